"""Does propensity read from static structure tell strong nucleators from weak ones?

Reads a finished film propensity run (``nucleate train -c configs/train/propensity_lj.yaml``):
per substrate, the mean contact-layer propensity (height < 1.2) predicted for its held-out
configurations and the true one, against the substrate's T_n from the source data set.

    .venv/bin/python benchmarks/propensity_tn.py [RUN_DIR] [PROPENSITY_DATA]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr


def main(run: Path, data: Path) -> None:
    z = np.load(run / "predictions.npz")
    with open(data / "manifest.csv", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    acc: dict[str, list] = {}
    for k, g in enumerate(z["groups"]):
        h, t, p = z[f"height_{k}"], z[f"target_{k}"], z[f"gnn_{k}"]
        sel = (h < 1.2) & np.isfinite(t)
        acc.setdefault(str(g), []).append((p[sel].mean(), t[sel].mean()))
    ids = [g for g in acc if rows[g]["tn"]]
    tn = [float(rows[g]["tn"]) for g in ids]
    pred = [np.mean([a for a, _ in acc[g]]) for g in ids]
    true = [np.mean([b for _, b in acc[g]]) for g in ids]
    print(f"{len(ids)} uncensored substrates; contact-layer propensity against T_n, Spearman: "
          f"predicted (held out) {spearmanr(pred, tn).statistic:.3f}, labels "
          f"{spearmanr(true, tn).statistic:.3f}; predicted vs labels Pearson "
          f"{np.corrcoef(pred, true)[0, 1]:.3f}")  # fmt: skip


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    run = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "runs/propensity/lj-fcc"
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "data/lj-fcc-v1-propensity"
    main(run, data)
