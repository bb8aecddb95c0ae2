"""The descriptor route's test RMSE over several substrate splits: one test part of ~16 uncensored
substrates carries roughly ±20 % sampling error, so the goal (RMSE ≤ 0.25 × std(T_n) and ≤ 2 × the
median seed-to-seed spread) is judged here on the mean over split seeds as well.

    .venv/bin/python benchmarks/tn_splits.py [--config configs/select/lj-fcc-v1-precursors.yaml]
        [--seeds 0 1 2 3 4] [--out runs/bench/tn_splits] [--name tn_splits]

Each seed is a full `nucleate select` run (selection, ranking, regressor choice on that seed's
validation part, test touched once), reused unless ``--force``. Writes ``OUT/results.md``,
``OUT/results.json`` and ``benchmarks/results/NAME.{json,md}`` (``--name``): per seed the chosen
regressor, test RMSE, the test labels' own noise and the ±2σ coverage where the regressor has an
uncertainty; then mean ± standard deviation.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml
from results_io import write_results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from tn_models import _labels  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--config", default="configs/select/lj-fcc-v1-precursors.yaml")
    ap.add_argument("--data", default="data/lj-fcc-v1")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--out", default="runs/bench/tn_splits")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--no_lofo", action="store_true",
                    help="skip each run's leave-one-family-out refits (scores the split only)")  # fmt: skip
    ap.add_argument("--name", default="tn_splits",
                    help="benchmarks/results/NAME.{json,md} (the docs include NAME.md)")  # fmt: skip
    args = ap.parse_args()
    out = (ROOT / args.out).resolve()
    exe = shutil.which("nucleate", path=os.path.dirname(sys.executable)) or "nucleate"
    runs = []
    for seed in args.seeds:
        target = out / f"seed{seed}"
        if args.force or not (target / "metrics.json").exists():
            cmd = [exe, "select", "-c", args.config, "--data", args.data, "--seed", str(seed),
                   "--out", str(target)]  # fmt: skip
            if args.no_lofo:
                cmd += ["--leave_one_family_out", "false"]
            print("$", " ".join(cmd), flush=True)
            subprocess.run(cmd, check=True, cwd=ROOT)
        m = json.loads((target / "metrics.json").read_text())
        t = m["test"]
        runs.append({"seed": seed, "chosen": m["chosen"], "k": len(m["chosen_features"]),
                     "n_test": t["n"], "rmse": t["rmse"], "r2": t["r2"],
                     "label_noise_rms": t.get("label_noise_rms"),
                     "coverage_2sigma": t.get("coverage_2sigma"), "seconds": m.get("seconds"),
                     "censoring": m.get("censoring", {}).get("test")})  # fmt: skip
    # families a run trains on only (select's train_only) are never tested: the goal's std is
    # that of the families scored
    train_only = (yaml.safe_load((ROOT / args.config).read_text()) or {}).get("train_only") or []
    labels = _labels(ROOT / args.data, skip_families=train_only)
    by_eps = _pooled_by_eps([out / f"seed{seed}" for seed in args.seeds], ROOT / args.data)
    goal = min(0.25 * labels["std"], 2 * labels["seed_spread_median"])
    rmse = np.array([r["rmse"] for r in runs])
    sd = rmse.std(ddof=1) if len(rmse) > 1 else 0.0
    lines = [
        f"`{args.config}` on `{args.data}` ({labels['n']} substrates"
        + (f" scored, beside {len(train_only)} families trained on only" if train_only else "")
        + f"): std(T_n) = "
        f"{labels['std']:.4f}, goal RMSE ≤ {goal:.4f} (the smaller of 0.25 × std = "
        f"{0.25 * labels['std']:.4f} and 2 × the median seed-to-seed spread = "
        f"{2 * labels['seed_spread_median']:.4f}).",
        "",
        "| split seed | chosen | features | uncensored test substrates | test RMSE | R² | "
        "label noise (rms) | coverage ±2σ | run (min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        cov = "–" if r["coverage_2sigma"] is None else f"{r['coverage_2sigma']:.2f}"
        noise = "–" if r["label_noise_rms"] is None else f"{r['label_noise_rms']:.4f}"
        # the whole select run on this machine (selection, fits, leave-one-family-out refits)
        minutes = "–" if r.get("seconds") is None else f"{r['seconds'] / 60:.1f}"
        lines.append(f"| {r['seed']} | {r['chosen']} | {r['k']} | {r['n_test']} | "
                     f"{r['rmse']:.4f} | {r['r2']:.2f} | {noise} | {cov} | {minutes} |")  # fmt: skip
    lines += [
        "",
        f"Mean test RMSE {rmse.mean():.4f} ± {sd:.4f} (sd over {len(rmse)} splits; standard "
        f"error of the mean {sd / np.sqrt(len(rmse)):.4f}); {int((rmse <= goal).sum())} of "
        f"{len(rmse)} splits meet the goal ({goal:.4f}).",
    ]
    if f"{rmse.mean():.4f}" == f"{goal:.4f}":  # (equal to four digits: which side, to six)
        side = "meets" if rmse.mean() <= goal else "misses"
        lines[-1] += f" The mean {side} it: {rmse.mean():.6f} against {goal:.6f}."
    cens = [r["censoring"] for r in runs if r["censoring"]]
    if cens:
        auc = [c["roc_auc"] for c in cens if c["roc_auc"] is not None]
        lines += [
            "",
            f"Censoring classifier (P(T_n below the floor), all test substrates, {len(cens)} "
            f"splits): Brier score {np.mean([c['brier'] for c in cens]):.3f} against "
            f"{np.mean([c['brier_base_rate'] for c in cens]):.3f} for the training base rate, "
            f"ROC AUC {np.mean(auc) if auc else float('nan'):.3f}, accuracy "
            f"{np.mean([c['accuracy'] for c in cens]):.2f} (means over splits).",
        ]
    lines += [
        "",
        "Pooled over the splits, by substrate interaction strength (uncensored test substrates; "
        "bias = mean of predicted − label):",
        "",
        "| ε_sl | test predictions | RMSE | bias | share of the squared error |",
        "|---|---|---|---|---|",
    ]
    total = sum(v["sse"] for v in by_eps.values())
    for eps, v in sorted(by_eps.items()):
        lines.append(f"| {eps:g} | {v['n']} | {v['rmse']:.4f} | {v['bias']:+.4f} | "
                     f"{v['sse'] / total:.2f} |")  # fmt: skip
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text)
    numbers = {"config": args.config, "data": args.data, "train_only": train_only,
               "labels": labels, "goal": goal,
               "runs": runs, "mean_rmse": float(rmse.mean()),
               "by_eps_sl": {str(k): v for k, v in by_eps.items()}}  # fmt: skip
    (out / "results.json").write_text(json.dumps(numbers, indent=1) + "\n")
    write_results(args.name, numbers, text)
    print(text)


def _pooled_by_eps(run_dirs: list[Path], data: Path) -> dict[float, dict]:
    """Test errors of the uncensored test substrates of all runs, grouped by ε_sl (from the
    data manifest): count, RMSE, bias and sum of squares."""
    from nucleate.data.dataset import read_manifest

    eps = {r["id"]: float(r["eps_sl"]) for r in read_manifest(data)}
    errs: dict[float, list[float]] = {}
    for run in run_dirs:
        with open(run / "predictions.csv", newline="") as fh:
            for p in csv.DictReader(fh):
                if p["split"] == "test" and p["censored"] != "True" and p["tn"]:
                    e = float(p["predicted"]) - float(p["tn"])
                    errs.setdefault(eps[p["id"]], []).append(e)
    return {k: {"n": len(v), "rmse": float(np.sqrt(np.mean(np.square(v)))),
                "bias": float(np.mean(v)), "sse": float(np.sum(np.square(v)))}
            for k, v in errs.items()}  # fmt: skip


if __name__ == "__main__":
    main()
