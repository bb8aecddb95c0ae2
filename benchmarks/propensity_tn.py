"""Does propensity read from static structure tell strong nucleators from weak ones?

Reads a finished film propensity run (``nucleate train -c configs/train/propensity_lj.yaml``):
per substrate, the mean contact-layer propensity (below the data set's contact height) predicted
for its held-out configurations and the true one, against the substrate's T_n from the source
data set.

    .venv/bin/python benchmarks/propensity_tn.py [RUN_DIR] [PROPENSITY_DATA]

RUN_DIR defaults to runs/propensity/lj-fcc (the config's run). Writes
benchmarks/results/propensity_tn.{json,md}.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from results_io import write_results
from scipy.stats import spearmanr

from nucleate.train.propensity import contact_height


def main(run: Path, data: Path) -> None:
    z = np.load(run / "predictions.npz")
    with open(data / "manifest.csv", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    acc: dict[str, list] = {}
    contact = contact_height(data)
    for k, g in enumerate(z["groups"]):
        h, t, p = z[f"height_{k}"], z[f"target_{k}"], z[f"gnn_{k}"]
        sel = (h < contact) & np.isfinite(t)
        acc.setdefault(str(g), []).append((p[sel].mean(), t[sel].mean()))
    ids = [g for g in acc if rows[g]["tn"]]
    tn = [float(rows[g]["tn"]) for g in ids]
    pred = [np.mean([a for a, _ in acc[g]]) for g in ids]
    true = [np.mean([b for _, b in acc[g]]) for g in ids]
    numbers = {"run": str(run), "data": str(data), "n_substrates": len(ids),
               "spearman_predicted_tn": float(spearmanr(pred, tn).statistic),
               "spearman_labels_tn": float(spearmanr(true, tn).statistic),
               "pearson_predicted_labels": float(np.corrcoef(pred, true)[0, 1])}  # fmt: skip
    table = (
        "| contact-layer propensity (mean per substrate) | Spearman with T_n |\n|---|---|\n"
        f"| predicted, held out (cross-validation) | {numbers['spearman_predicted_tn']:.3f} |\n"
        f"| labels | {numbers['spearman_labels_tn']:.3f} |\n\n"
        f"{len(ids)} uncensored substrates of {data.name}; predicted against the labels: Pearson "
        f"{numbers['pearson_predicted_labels']:.3f}."
    )
    write_results("propensity_tn", numbers, table)
    print(table)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    run = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "runs/propensity/lj-fcc"
    data = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "data/lj-fcc-v1-propensity"
    main(run, data)
