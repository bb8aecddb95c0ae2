"""The graph models against each other on lj-fcc-v1: the distance-only GNN (SchNet-style) and
PaiNN (equivariant, angle-aware), one member each, on several fresh substrate splits, with the
same featurizer, training budget and early stopping.

    .venv/bin/python benchmarks/graph_models.py [--models gnn painn] [--seeds 0 1 2 3 4]
        [--max_epochs 200] [--patience 15] [--threads 1] [--out runs/bench/graph_models] [--merge]

Each (model, seed) is a `nucleate train -c configs/train/<model>.yaml --seed S` run, reused when
it has finished (OUT/<model>-s<seed>). Writes benchmarks/results/graph_models.{json,md}: per model
the test RMSE, Spearman and calibrated ±2σ coverage per seed, and their mean. Goal (issue on
liquid-only models): the best liquid-only route ≤ 0.25 × std(T_n) over ≥ 5 seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
from results_io import write_results

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=["gnn", "painn"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    ap.add_argument("--max_epochs", type=int, default=200)
    ap.add_argument("--patience", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default="data/lj-fcc-v1")
    ap.add_argument("--out", default="runs/bench/graph_models")
    ap.add_argument("--merge", action="store_true",
                    help="keep the last results' rows of the models not given (with their date "
                         "and command)")  # fmt: skip
    args = ap.parse_args()
    exe = shutil.which("nucleate", path=os.path.dirname(sys.executable)) or "nucleate"
    out = ROOT / args.out
    runs: dict[str, list[dict]] = {}
    now = {"date": date.today().isoformat(), "command": shlex.join(["python", *sys.argv])}
    measured = {model: now for model in args.models}
    last = ROOT / "benchmarks" / "results" / "graph_models.json"
    if args.merge and last.exists():
        prev = json.loads(last.read_text())
        for model, rows in prev["runs"].items():
            if model not in args.models:
                runs[model] = rows
                measured[model] = prev.get("measured", {}).get(model) or {
                    "date": prev["date"], "command": prev["command"]}  # fmt: skip
    for model in args.models:
        for seed in args.seeds:
            run = out / f"{model}-s{seed}"
            if not (run / "metrics.json").exists():
                subprocess.run([exe, "train", "-c", f"configs/train/{model}.yaml", "--data",
                                args.data, "--out", str(run), "--seed", str(seed),
                                "--max_epochs", str(args.max_epochs), "--patience",
                                str(args.patience), "--threads", str(args.threads),
                                "--loggers", "[csv]"], check=True, cwd=ROOT)  # fmt: skip
            m = json.loads((run / "metrics.json").read_text())
            t = m["test"]
            runs.setdefault(model, []).append({
                "seed": seed, "rmse": t["rmse"], "spearman": t["spearman"],
                "coverage_2sigma_calibrated": t.get("coverage_2sigma_calibrated"),
                "mean_baseline": t["rmse_mean_baseline"], "epochs": m["epochs"][0],
                "n_parameters": m["n_parameters"], "fit_seconds": m.get("fit_seconds"),
            })  # fmt: skip
    lines = ["| model | seed | test RMSE | predict the mean | Spearman | ±2σ cover (calibrated) | "
             "epochs | parameters | fit (min) |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    summary = {}
    for model, rs in runs.items():
        for r in rs:
            lines.append(f"| {model} | {r['seed']} | {r['rmse']:.4f} | {r['mean_baseline']:.4f} | "
                         f"{r['spearman']:.3f} | {r['coverage_2sigma_calibrated']:.2f} | "
                         f"{r['epochs']} | {r['n_parameters']} | {_minutes(r)} |")  # fmt: skip
        summary[model] = {"rmse_mean": float(np.mean([r["rmse"] for r in rs])),
                          "seeds": [r["seed"] for r in rs]}  # fmt: skip
    lines += ["", "Mean test RMSE over the seeds: " + ", ".join(
        f"{m} {s['rmse_mean']:.4f} ({len(s['seeds'])} seed{'s' * (len(s['seeds']) > 1)})"
        for m, s in summary.items()) + "."]  # fmt: skip
    lines += ["", f"fit (min): wall minutes of the fit on this machine, {args.threads} thread(s) "
              "(– where the run predates the record)."]  # fmt: skip
    lines += [f"{m}: measured {w['date']} with `{w['command']}`" + ("" if w is now else " (kept).")
              for m, w in measured.items()]  # fmt: skip
    write_results("graph_models", {"data": args.data, "runs": runs, "summary": summary,
                                   "measured": measured, "max_epochs": args.max_epochs,
                                   "patience": args.patience}, "\n".join(lines))  # fmt: skip
    print("\n".join(lines))


def _minutes(row: dict) -> str:
    seconds = row.get("fit_seconds")
    return "–" if seconds is None else f"{seconds / 60:.1f}"


if __name__ == "__main__":
    main()
