"""Calibrate the shipped T_n ensembles' spread (members' own validation error added in quadrature,
see nucleate.train.metrics.spread_floor) and measure the test coverage of ±2σ before and after.
Rewrites models/lj-fcc-v1/{cnn,gnn}/metrics.json and their checkpoints' meta.
    .venv/bin/python benchmarks/calibrate_shipped.py [--models models/lj-fcc-v1/cnn models/lj-fcc-v1/gnn]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_io import write_results

from nucleate.predict.calibrate import calibrate_run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["models/lj-fcc-v1/cnn", "models/lj-fcc-v1/gnn"])
    args = ap.parse_args()
    results = {m: calibrate_run(m) for m in args.models}
    rows = [f"| `{m}` | {r['floor']:.4f} ({r['n']} member-validation substrates) | {r['test_n']} | "
            f"{r['coverage_2sigma']:.2f} | {r['coverage_2sigma_calibrated']:.2f} |"
            for m, r in results.items()]  # fmt: skip
    table = "\n".join([
        "| ensemble | calibration floor | test substrates | ±2σ coverage, spread only | "
        "±2σ coverage, calibrated |", "|---|---|---|---|---|", *rows,
    ])  # fmt: skip
    print(table)
    write_results("calibrate_shipped", results, table)


if __name__ == "__main__":
    main()
