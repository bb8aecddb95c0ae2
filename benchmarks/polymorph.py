"""Polymorph selectivity on lj-fcc-v1: how well each route predicts the polymorph fractions of the
crystal a substrate grows, beside the baselines and the labels' own ramp-to-ramp noise, and where
the pre-ordered-liquid descriptors rank for T_n. Reads finished runs:

    .venv/bin/nucleate train -c configs/train/cnn_polymorph.yaml
    .venv/bin/nucleate train -c configs/train/gnn_polymorph.yaml
    .venv/bin/nucleate select -c configs/select/lj-fcc-v1-precursors.yaml
    .venv/bin/python benchmarks/polymorph.py [CNN_RUN GNN_RUN SELECT_RUN]

Writes benchmarks/results/polymorph.{json,md} (the table the docs show).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from results_io import write_results

from nucleate.train.metrics import POLYMORPH_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
PRECURSORS = ("pre_frac_1", "crys_like_1", "pre_q6_1", "lean_fcc_1", "lean_hcp_1", "lean_bcc_1")


def label_noise(data: Path) -> np.ndarray:
    """Mean |one ramp's fraction − the mean over the substrate's ramps| per class (fcc, hcp, bcc,
    other), over the substrates with two or more ramps that crystallised."""
    d = []
    for f in sorted((data / "samples").glob("*/sample.json")):
        r = json.loads(f.read_text())
        p = [x["polymorph"] for x in r["ramps"] if x["polymorph"] and not x["censored"]]
        if len(p) >= 2:
            frac = np.array([[q[k] for k in POLYMORPH_COLUMNS] for q in p])
            d.append(np.abs(frac - frac.mean(axis=0)).mean(axis=0))
    return np.mean(d, axis=0)


def main(runs: list[Path]) -> None:
    noise = label_noise(ROOT / "data" / "lj-fcc-v1")
    lines = ["| route | test substrates | MAE of fractions | MAE fcc / hcp / bcc | mean-fraction "
             "baseline MAE | majority polymorph accuracy | majority-class baseline |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    numbers: dict = {"label_noise": dict(zip(POLYMORPH_COLUMNS, noise.tolist(), strict=True)),
                     "routes": {}}  # fmt: skip
    for run in runs:
        if not (run / "metrics.json").exists():
            lines.append(f"| {run.name} | not run | | | | | |")
            continue
        m = json.loads((run / "metrics.json").read_text())
        t = m.get("polymorph", {}).get("test")
        if not t:
            continue
        numbers["routes"][run.name] = t
        per = " / ".join(f"{t['mae_per_class'][k]:.3f}" for k in ("fcc", "hcp", "bcc"))
        lines.append(f"| {run.name} | {t['n']} | {t['mae']:.3f} | {per} | {t['mae_baseline']:.3f} | "
                     f"{t['majority_accuracy']:.2f} | {t['majority_accuracy_baseline']:.2f} "
                     f"({t['baseline_class']}) |")  # fmt: skip
    lines.append(f"\nThe labels' own noise (one ramp against the mean of its substrate's ramps): "
                 f"fcc / hcp / bcc {noise[0]:.3f} / {noise[1]:.3f} / {noise[2]:.3f}, all four "
                 f"classes {noise.mean():.3f}.")  # fmt: skip
    sel = runs[-1] / "metrics.json"
    if sel.exists():
        m = json.loads(sel.read_text())
        numbers["tn_with_precursors"] = {"chosen": m["chosen"], "test": m["test"]}
        lines.append(f"\nT_n descriptor route with the precursor descriptors: {m['chosen']} on "
                     f"{len(m['chosen_features'])} descriptors, test RMSE {m['test']['rmse']:.4f}, "
                     f"R² {m['test']['r2']:.3f}.")  # fmt: skip
        for i, r in enumerate(m["ranking"], start=1):
            members = [c for c in r["cluster"] if c in PRECURSORS]
            if members:
                lines.append(f"- rank {i}: {r['name']} (its cluster holds the precursor "
                             f"descriptors {', '.join(members)})")  # fmt: skip
    table = "\n".join(lines)
    print(table)
    write_results("polymorph", numbers, table)


if __name__ == "__main__":
    default = [ROOT / "runs/train/cnn_polymorph", ROOT / "runs/train/gnn_polymorph",
               ROOT / "runs/select/lj-fcc-v1-precursors"]  # fmt: skip
    main([Path(p) for p in sys.argv[1:]] or default)
