"""The shipped lj-fcc-v1 ensembles on substrates of kinds they never saw: every uncensored
substrate of data/lj-mix-v1 (other lattices, defects, steps, two components), predicted from its
stored equilibrium frames as `nucleate predict --trajectory` would, against its ramp T_n: RMSE
beside predicting lj-fcc-v1's mean, Spearman, ±2σ coverage of the spread and of the calibrated σ,
and how many the novelty score calls far from training.
    .venv/bin/python benchmarks/shipped_on_families.py [--models models/lj-fcc-v1/cnn models/lj-fcc-v1/gnn]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_io import write_results

from nucleate.data.dataset import SAMPLE_SIDE
from nucleate.data.io import read_frames
from nucleate.errors import InputError
from nucleate.predict.core import load_checkpoints, predict_frames

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["models/lj-fcc-v1/cnn", "models/lj-fcc-v1/gnn"])
    ap.add_argument("--data", default="data/lj-mix-v1")
    ap.add_argument("--train_data", default="data/lj-fcc-v1")
    args = ap.parse_args()
    with open(ROOT / args.data / "manifest.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["tn_censored"] != "True" and r["tn"]]
    with open(ROOT / args.train_data / "manifest.csv", newline="") as fh:
        train_tn = [
            float(r["tn"]) for r in csv.DictReader(fh) if r["tn_censored"] != "True" and r["tn"]
        ]
    y = np.array([float(r["tn"]) for r in rows])
    results, lines = {"n": len(rows), "families": sorted({r["family"] for r in rows})}, []
    for path in args.models:
        models = load_checkpoints([ROOT / path])
        pred, std, spread, far, refused = [], [], [], [], 0
        for r in tqdm(rows, desc=Path(path).name, unit="substrate"):
            frames = read_frames(ROOT / args.data / "samples" / r["id"] / "frames.extxyz.gz",
                                 side=SAMPLE_SIDE)  # fmt: skip
            try:
                p = predict_frames(models, frames, r["id"])
            except InputError:  # refused (e.g. a second substrate species the GNN never saw)
                refused += 1
                pred.append(np.nan), std.append(np.nan), spread.append(np.nan), far.append(None)
                continue
            (
                pred.append(p.tn),
                std.append(p.tn_std),
                spread.append(p.spread),
                far.append(p.far_from_training),  # None: the model stores no reference
            )
        pred, std, spread = map(np.array, (pred, std, spread))
        ok = np.isfinite(pred)
        z = np.abs(pred[ok] - y[ok])
        res = {
            "n_predicted": int(ok.sum()), "refused": refused,
            "rmse": float(np.sqrt(np.mean(z**2))),
            "rmse_train_mean": float(np.sqrt(np.mean((y[ok] - np.mean(train_tn)) ** 2))),
            "spearman": float(spearmanr(pred[ok], y[ok]).statistic),
            "coverage_2sigma_spread": float(np.mean(z <= 2 * spread[ok])),
            "coverage_2sigma_calibrated": float(np.mean(z <= 2 * std[ok])),
            # None where the model stores no novelty reference (trained before it was kept)
            "far_from_training": None if all(f is None for f in far)
            else int(sum(bool(f) for f, k in zip(far, ok, strict=True) if k)),
        }  # fmt: skip
        results[path] = res
        called = res["far_from_training"]
        lines.append(
            f"| `{path}` | {res['n_predicted']} ({refused} refused) | {res['rmse']:.4f} | "
            f"{res['rmse_train_mean']:.4f} | {res['spearman']:.2f} | "
            f"{res['coverage_2sigma_spread']:.2f} | {res['coverage_2sigma_calibrated']:.2f} | "
            f"{'– (no reference stored)' if called is None else called} |"
        )
    table = "\n".join([
        f"Uncensored substrates of `{args.data}` ({len(rows)}, families: "
        f"{', '.join(results['families'])}).", "",
        "| model | predicted | RMSE | predict lj-fcc-v1's mean | Spearman | ±2σ cover (spread) | "
        "±2σ cover (calibrated) | called far from training |", "|---|---|---|---|---|---|---|---|",
        *lines,
    ])  # fmt: skip
    print(table)
    write_results("shipped_on_families", results, table)


if __name__ == "__main__":
    main()
