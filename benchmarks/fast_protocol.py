"""Is a shorter equilibrium run good enough to predict from? Predicts the test substrates of a
trained ensemble again through MD with a shorter protocol and compares with the full-protocol
predictions (the run's predictions.csv) and with the true T_n.

    .venv/bin/python benchmarks/fast_protocol.py [--model models/lj-fcc-v1/cnn]
        [--equilibrium '{"melt_time": 5, "eq_time": 6, "n_frames": 4, "frame_every": 1.5}']

Prints the test RMSE of both protocols and how far the fast predictions move from the full ones.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import tempfile
from pathlib import Path

import numpy as np

from nucleate.predict.core import screen

ID = re.compile(r"^fcc(\d+)_m([+-]\d+\.\d)_e(\d+\.\d+)$")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default="models/lj-fcc-v1/cnn")
    ap.add_argument("--equilibrium", default='{"melt_time": 5, "eq_time": 6, "n_frames": 4, '
                    '"frame_every": 1.5}')  # fmt: skip
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="runs/bench/fast_protocol.json")
    args = ap.parse_args()
    eq = json.loads(args.equilibrium)
    with open(Path(args.model) / "predictions.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test" and r["censored"] == "False"]
    tn = np.array([float(r["tn"]) for r in rows])
    full = np.array([float(r["predicted"]) for r in rows])
    fast = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in rows:  # one screen per substrate: each has its own eps_sl
            facet, m, e = ID.match(r["id"]).groups()
            (res,) = screen([args.model], [f"fcc{facet}:{float(m) / 100:+.3f}"], [float(e)],
                            tmp, workers=1, progress=False, equilibrium=eq)  # fmt: skip
            fast.append(res["tn"])
            print(f"{r['id']}: true {float(r['tn']):.4f} full {float(r['predicted']):.4f} "
                  f"fast {res['tn']:.4f}", flush=True)  # fmt: skip
    fast = np.array(fast)

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    result = {"model": args.model, "equilibrium": eq, "n_test": len(rows),
              "rmse_full": rmse(full, tn), "rmse_fast": rmse(fast, tn),
              "rms_shift_fast_vs_full": rmse(fast, full),
              "mean_shift_fast_minus_full": float(np.mean(fast - full))}  # fmt: skip
    print(json.dumps(result, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
