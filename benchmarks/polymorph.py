"""Polymorph selectivity on lj-fcc-v1: how well each route predicts the polymorph fractions of the
crystal a substrate grows, beside the baselines and the labels' own ramp-to-ramp noise, and where
the pre-ordered-liquid descriptors rank for T_n. Reads finished runs:

    .venv/bin/nucleate train -c configs/train/cnn_polymorph.yaml
    .venv/bin/nucleate train -c configs/train/gnn_polymorph.yaml
    .venv/bin/nucleate select -c configs/select/lj-fcc-v1-precursors.yaml
    .venv/bin/python benchmarks/polymorph.py [CNN_RUN GNN_RUN SELECT_RUN]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PRECURSORS = ("pre_frac_1", "crys_like_1", "pre_q6_1", "lean_fcc_1", "lean_hcp_1", "lean_bcc_1")


def label_noise(data: Path) -> np.ndarray:
    """Mean |one ramp's fraction − the two-ramp mean| per class (fcc, hcp, bcc, other)."""
    d = []
    for f in sorted((data / "samples").glob("*/sample.json")):
        r = json.loads(f.read_text())
        p = [x["polymorph"] for x in r["ramps"] if x["polymorph"] and not x["censored"]]
        if len(p) == 2:
            d.append([abs(p[0][k] - p[1][k]) / 2 for k in ("fcc", "hcp", "bcc", "other")])
    return np.mean(d, axis=0)


def main(runs: list[Path]) -> None:
    noise = label_noise(ROOT / "data" / "lj-fcc-v1")
    print("| route | test substrates | MAE of fractions | MAE fcc / hcp / bcc | mean-fraction "
          "baseline MAE | majority polymorph accuracy | majority-class baseline |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        if not (run / "metrics.json").exists():
            print(f"| {run} | not run | | | | | |")
            continue
        m = json.loads((run / "metrics.json").read_text())
        t = m.get("polymorph", {}).get("test")
        if not t:
            continue
        per = " / ".join(f"{t['mae_per_class'][k]:.3f}" for k in ("fcc", "hcp", "bcc"))
        print(f"| {run.name} | {t['n']} | {t['mae']:.3f} | {per} | {t['mae_baseline']:.3f} | "
              f"{t['majority_accuracy']:.2f} | {t['majority_accuracy_baseline']:.2f} "
              f"({t['baseline_class']}) |")  # fmt: skip
    print(f"\nlabels' own noise (one ramp against the two-ramp mean): fcc / hcp / bcc "
          f"{noise[0]:.3f} / {noise[1]:.3f} / {noise[2]:.3f}, all four classes {noise.mean():.3f}")  # fmt: skip
    sel = runs[-1] / "metrics.json"
    if sel.exists():
        m = json.loads(sel.read_text())
        print(f"\nT_n descriptor route with precursors: {m['chosen']} on {len(m['chosen_features'])}"
              f" descriptors, test RMSE {m['test']['rmse']:.4f}, R² {m['test']['r2']:.3f}")  # fmt: skip
        for i, r in enumerate(m["ranking"], start=1):
            members = [c for c in r["cluster"] if c in PRECURSORS]
            if members:
                print(f"  rank {i}: {r['name']} (cluster holds precursor descriptors "
                      f"{', '.join(members)})")  # fmt: skip


if __name__ == "__main__":
    default = [ROOT / "runs/train/cnn_polymorph", ROOT / "runs/train/gnn_polymorph",
               ROOT / "runs/select/lj-fcc-v1-precursors"]  # fmt: skip
    main([Path(p) for p in sys.argv[1:]] or default)
