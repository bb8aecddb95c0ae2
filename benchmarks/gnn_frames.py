"""Does the GNN gain from reading every frame? The shipped GNN ensemble on the uncensored test
substrates of its split: T_n from the last frame alone (as training and its test metrics read a
sample) against the mean of its per-frame predictions over all stored frames (what
``nucleate predict --trajectory`` reports).
    .venv/bin/python benchmarks/gnn_frames.py [--model models/lj-fcc-v1/gnn] [--data data/lj-fcc-v1]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_io import write_results

from nucleate.data.dataset import SAMPLE_SIDE
from nucleate.data.io import read_frames
from nucleate.predict.core import load_checkpoints, predict_frames


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="models/lj-fcc-v1/gnn")
    ap.add_argument("--data", default="data/lj-fcc-v1")
    args = ap.parse_args()
    models = load_checkpoints([args.model])
    with open(Path(args.model) / "predictions.csv", newline="") as fh:
        test = [r["id"] for r in csv.DictReader(fh) if r["split"] == "test"]
    with open(Path(args.data) / "manifest.csv", newline="") as fh:
        labels = {r["id"]: r for r in csv.DictReader(fh)}
    last, mean, true = [], [], []
    for sid in test:
        row = labels.get(sid)
        if row is None or row["tn_censored"] == "True" or not row["tn"]:
            continue
        frames = read_frames(
            Path(args.data) / "samples" / sid / "frames.extxyz.gz", side=SAMPLE_SIDE
        )
        last.append(predict_frames(models, frames[-1:]).tn)
        mean.append(predict_frames(models, frames).tn)
        true.append(float(row["tn"]))
    last, mean, true = map(np.array, (last, mean, true))
    rmse = {
        k: float(np.sqrt(np.mean((v - true) ** 2))) for k, v in (("last", last), ("mean", mean))
    }
    table = (
        "| GNN reads | uncensored test substrates | test RMSE |\n|---|---|---|\n"
        f"| the last frame (as in training) | {len(true)} | {rmse['last']:.4f} |\n"
        f"| every frame, mean of the predictions | {len(true)} | {rmse['mean']:.4f} |"
    )
    print(table)
    write_results("gnn_frames", {"model": args.model, "n": len(true), "rmse": rmse}, table)


if __name__ == "__main__":
    main()
