"""T_n results table: the CNN, the IcePic-like VGG, the GNN and the descriptor route on one data set,
each on the shared substrate split (test part touched once) and leaving one facet out, beside the
predict-the-mean baseline, with the wall-clock training time on this machine.

    .venv/bin/python benchmarks/tn_models.py [--data data/lj-fcc-v1] [--out runs/bench/tn]
        [--ensemble 5] [--routes cnn icepic_vgg gnn select] [--seed 0] [--lofo false]

Runs ``nucleate train`` / ``nucleate select`` with the shipped configs (a finished route is reused
unless ``--force``), then writes ``OUT/results.md`` (the README table) and ``OUT/results.json``.
``--seed`` picks another substrate split (the shared one is seed 0); ``--lofo false`` skips the
trained routes' leave-one-facet-out models (one split seed after another, as for
``benchmarks/tn_splits.py``).
Goal lines: RMSE ≤ 0.25 × std(T_n) and ≤ 2 × the median seed-to-seed spread of the labels.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"cnn": "CNN (periodic, layers 1+2)", "icepic_vgg": "IcePic-like VGG (layer 1)",
         "gnn": "GNN (interface graph)", "select": "descriptors (correlation clusters)",
         "select_precursors": "descriptors + pre-ordered-liquid descriptors",
         "select_substrate": "substrate descriptors alone",
         "select_liquid": "liquid descriptors alone"}  # fmt: skip
SELECT_CONFIGS = {"select": "configs/select/lj-fcc-v1.yaml",
                  "select_precursors": "configs/select/lj-fcc-v1-precursors.yaml",
                  "select_substrate": "configs/select/lj-fcc-v1-substrate.yaml",
                  "select_liquid": "configs/select/lj-fcc-v1-liquid.yaml"}  # fmt: skip


def _run(
    route: str, data: str, out: Path, ensemble: int, force: bool, seed: int = 0, lofo: bool = True
) -> float | None:
    """Run one route into ``out/route``; returns its wall time (None when reused)."""
    target = out / route
    if (target / "metrics.json").exists() and not force:
        return None
    shutil.rmtree(target, ignore_errors=True)
    exe = shutil.which("nucleate", path=os.path.dirname(sys.executable)) or "nucleate"
    if route in SELECT_CONFIGS:
        cmd = [exe, "select", "-c", SELECT_CONFIGS[route]]
    else:
        cmd = [exe, "train", "-c", f"configs/train/{route}.yaml", "--ensemble", str(ensemble),
               "--lofo", str(lofo).lower(), "--loggers", "[csv, tensorboard]"]  # fmt: skip
    cmd += ["--data", data, "--out", str(target), "--seed", str(seed)]
    print("$", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    (target / "wall_seconds.txt").write_text(f"{wall:.1f}\n")
    return wall


def _labels(data: Path, skip_families=()) -> dict:
    """Label statistics of the data set's substrates (those of ``skip_families`` left out: a
    run's ``train_only`` families, never tested)."""
    with open(data / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["family"] not in set(skip_families)]
    ok = [r for r in rows if r["tn_censored"] != "True"]
    tn = np.array([float(r["tn"]) for r in ok])
    spread = np.array([float(r["tn_std"]) for r in ok if r["tn_std"] not in ("", "nan")])
    return {"n": len(rows), "n_censored": len(rows) - len(ok), "std": float(tn.std()),
            "seed_spread_median": float(np.median(spread))}  # fmt: skip


def _rescore(route_dir: Path, data: Path, m: dict) -> dict:
    """The test metrics of a trained run recomputed from its predictions.csv against the data
    set's current labels (e.g. after more ramps tightened them); the models are not retrained."""
    from nucleate.data.dataset import campaign_config, read_manifest
    from nucleate.train.metrics import label_noise_rms, regression_metrics

    rows = {r["id"]: r for r in read_manifest(data)}
    with open(route_dir / "predictions.csv", newline="") as fh:
        pred = list(csv.DictReader(fh))
    test = [p for p in pred if p["split"] == "test"]
    man = [rows[p["id"]] for p in test]
    cens = np.array([r["tn_censored"] == "True" for r in man])
    y = np.array([float(r["tn"]) if r["tn"] else np.nan for r in man])
    yp = np.array([float(p["predicted"]) for p in test])
    train_y = [float(rows[p["id"]]["tn"]) for p in pred
               if p["split"] == "train" and rows[p["id"]]["tn"]]  # fmt: skip
    floor = float(campaign_config(data)["ramp"]["t_floor"])
    t = regression_metrics(y, yp, cens, floor, baseline=float(np.mean(train_y)))
    t["label_noise_rms"] = label_noise_rms(man, ~cens)
    spread = np.array([float(p["spread"]) for p in test])
    if m.get("ensemble", 1) > 1:
        z = np.abs(yp[~cens] - y[~cens]) / np.maximum(spread[~cens], 1e-12)
        t["coverage_2sigma"] = float(np.mean(z <= 2.0))
    return {**m, "test": t}


def _row(route: str, m: dict, wall: float) -> dict:
    test = m["test"]
    if route in SELECT_CONFIGS:
        lofo = m["leave_one_family_out_rmse"][m["chosen"]]
        name = f"{NAMES[route]}: {m['chosen']}, {len(m['chosen_features'])} features"
    else:
        lofo = {k: v["rmse"] for k, v in m.get("leave_one_family_out", {}).items()}
        name = NAMES[route] + (f", ensemble of {m['ensemble']}" if m["ensemble"] > 1 else "")
    lofo = {k.removeprefix("fcc"): v for k, v in lofo.items()}
    return {"route": route, "name": name, "rmse": test["rmse"], "r2": test["r2"],
            "spearman": test["spearman"], "mae": test["mae"], "baseline": test["rmse_mean_baseline"],
            "coverage_2sigma": test.get("coverage_2sigma"), "lofo": lofo, "wall_s": wall,
            "label_noise_rms": test.get("label_noise_rms")}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", default="data/lj-fcc-v1")
    ap.add_argument("--out", default="runs/bench/tn")
    ap.add_argument("--ensemble", type=int, default=5)
    ap.add_argument(
        "--routes",
        nargs="+",
        choices=list(NAMES),
        default=["cnn", "icepic_vgg", "gnn", "select", "select_precursors"],
    )
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--seed", type=int, default=0, help="substrate split seed (0: the shared one)")
    ap.add_argument("--lofo", choices=["true", "false"], default="true",
                    help="train the leave-one-facet-out models of the trained routes")  # fmt: skip
    ap.add_argument("--ship", default=None, help="export the trained ensembles here (models/...)")
    ap.add_argument("--rescore", nargs="*", default=[], metavar="ROUTE",
                    help="trained routes to re-score against the current labels (from their "
                    "predictions.csv, not retrained): after labels were tightened")  # fmt: skip
    args = ap.parse_args()
    if args.ship and args.seed != 0:
        ap.error("--ship exports the shared split's ensembles: use it with --seed 0")
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    for route in args.routes:
        _run(route, args.data, out, args.ensemble, args.force, args.seed, args.lofo == "true")
    labels = _labels(ROOT / args.data)
    rows = []
    for route in args.routes:
        m = json.loads((out / route / "metrics.json").read_text())
        wall = float((out / route / "wall_seconds.txt").read_text())
        if route in args.rescore:
            m = _rescore(out / route, ROOT / args.data, m)
        row = _row(route, m, wall)
        if route in args.rescore:
            row["name"] += " (re-scored)"
        rows.append(row)
    facets = sorted({f for r in rows for f in r["lofo"]})
    noise = next((r["label_noise_rms"] for r in rows if r["label_noise_rms"] is not None), None)
    header = ["model", "test RMSE", "test R²", "Spearman", "mean baseline RMSE", "coverage ±2σ",
              *(f"LOFO RMSE ({f})" for f in facets), "train time (2 cores)"]  # fmt: skip
    lines = [
        f"Data: `{args.data}`, {labels['n']} substrates ({labels['n_censored']} censored); "
        f"std(T_n) = {labels['std']:.4f}, median seed-to-seed spread = "
        f"{labels['seed_spread_median']:.4f} (goal: RMSE ≤ {0.25 * labels['std']:.4f} "
        f"and ≤ {2 * labels['seed_spread_median']:.4f})"
        + (
            f"; noise of the test labels themselves (rms of spread / √ramps) = {noise:.4f}, "
            "the RMSE a perfect model would show."
            if noise is not None
            else "."
        ),
        "",
        "| " + " | ".join(header) + " |",
        "|---" * (7 + len(facets)) + "|",
    ]
    for r in rows:
        cov = "–" if r["coverage_2sigma"] is None else f"{r['coverage_2sigma']:.2f}"
        lofo = [f"{r['lofo'][f]:.4f}" if f in r["lofo"] else "–" for f in facets]
        cells = [r["name"], f"{r['rmse']:.4f}", f"{r['r2']:.2f}", f"{r['spearman']:.2f}",
                 f"{r['baseline']:.4f}", cov, *lofo, f"{r['wall_s'] / 60:.1f} min"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(json.dumps({"labels": labels, "rows": rows}, indent=1))
    print(text)
    if args.ship:
        _ship(out, ROOT / args.ship, [r for r in args.routes if r in ("cnn", "gnn")], args, text)


def _ship(out: Path, dest: Path, routes: list[str], args, table: str) -> None:
    """Export the ensembles (weights and hyperparameters only) with a model card."""
    from nucleate.train.run import export_run

    for route in routes:
        export_run(out / route, dest / route)
    cmd = (f"python benchmarks/tn_models.py --data {args.data} --out {args.out} "
           f"--routes {' '.join(args.routes)} --ensemble {args.ensemble} --ship {args.ship}")  # fmt: skip
    card = f"""# Pretrained T_n ensembles for `{args.data}`

Each directory is one ensemble of {args.ensemble} members trained by `nucleate train` with the
shipped config of the same name (`configs/train/<name>.yaml`, `--ensemble {args.ensemble}`), on the
shared substrate split (70 / 15 / 15 %, seed 0; the test part touched once). The checkpoints carry
their featurizer settings, target scaler, the data set's hash and the simulation protocol, so

    nucleate predict --model '[{args.ship}/cnn]' --substrate '[fcc111:+0.02]' --eps_sl '[1.2]'

needs nothing else. Regenerate (about the times below on 2 CPU cores):

    {cmd}

## Test metrics (LJ reduced units)

{table}
LOFO: trained on two facets, tested on the third (one model per facet, not shipped). The
IcePic-like VGG baseline is not shipped either (its dense layer makes each member about 30 MB).
"""
    card_path = dest / "README.md"
    if card_path.exists():  # keep the sections other exports wrote by hand (e.g. propensity/)
        old = card_path.read_text().split("\n## ")[1:]
        kept = [s for s in old if not s.startswith("Test metrics")]
        card += "".join(f"\n## {s.rstrip()}\n" for s in kept)
    card_path.write_text(card)
    print(f"ensembles and model card written to {dest}")


if __name__ == "__main__":
    main()
