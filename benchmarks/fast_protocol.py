"""Is a shorter equilibrium run good enough to predict from? Predicts the test substrates of a
trained ensemble again through MD with a shorter protocol and compares with the full-protocol
predictions (the run's predictions.csv) and with the true T_n.

    .venv/bin/python benchmarks/fast_protocol.py [--model models/lj-fcc-v1/cnn]
        [--equilibrium '{"melt_time": 5, "eq_time": 6, "n_frames": 4, "frame_every": 1.5}']

Prints the test RMSE of both protocols and how far the fast predictions move from the full ones,
and writes them to ``benchmarks/results/NAME.{json,md}`` (``--name``, default fast_protocol), the
table the docs show; ``--workers`` substrates are simulated at once (one core each).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from results_io import write_results

from nucleate.predict.core import screen

ID = re.compile(r"^fcc(\d+)_m([+-]\d+\.\d)_e(\d+\.\d+)$")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default="models/lj-fcc-v1/cnn")
    ap.add_argument("--equilibrium", default='{"melt_time": 5, "eq_time": 6, "n_frames": 4, '
                    '"frame_every": 1.5}')  # fmt: skip
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--name", default="fast_protocol")
    args = ap.parse_args()
    eq = json.loads(args.equilibrium)
    with open(Path(args.model) / "predictions.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test" and r["censored"] == "False"]
    tn = np.array([float(r["tn"]) for r in rows])
    full = np.array([float(r["predicted"]) for r in rows])
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:

        def one(r):  # one screen per substrate: each has its own eps_sl
            facet, m, e = ID.match(r["id"]).groups()
            out = Path(tmp) / r["id"]
            (res,) = screen([args.model], [f"fcc{facet}:{float(m) / 100:+.3f}"], [float(e)],
                            str(out), workers=1, progress=False, equilibrium=eq)  # fmt: skip
            print(f"{r['id']}: true {float(r['tn']):.4f} full {float(r['predicted']):.4f} "
                  f"fast {res['tn']:.4f}", flush=True)  # fmt: skip
            return res["tn"]

        with ThreadPoolExecutor(args.workers) as pool:  # each screen runs LAMMPS in a process
            fast = np.array(list(pool.map(one, rows)))
    minutes = (time.perf_counter() - start) / 60

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    result = {"model": args.model, "equilibrium": eq, "n_test": len(rows),
              "rmse_full": rmse(full, tn), "rmse_fast": rmse(fast, tn),
              "rms_shift_fast_vs_full": rmse(fast, full),
              "mean_shift_fast_minus_full": float(np.mean(fast - full)),
              "minutes": minutes, "workers": args.workers}  # fmt: skip
    print(json.dumps(result, indent=1))
    settings = ", ".join(f"{k} {v:g}" for k, v in eq.items())
    table = (
        "| model | equilibrium run | test substrates | RMSE, full protocol | RMSE, shorter run "
        "| rms shift shorter − full | mean shift |\n|---|---|---|---|---|---|---|\n"
        f"| `{args.model}` | {settings} | {len(rows)} | {result['rmse_full']:.4f} "
        f"| {result['rmse_fast']:.4f} | {result['rms_shift_fast_vs_full']:.4f} "
        f"| {result['mean_shift_fast_minus_full']:+.4f} |\n\n"
        "Test substrates of the model's own split that crystallised; the full-protocol "
        "predictions are the model's predictions.csv, the shorter ones come from simulating each "
        f"substrate again ({minutes:.0f} min with {args.workers} at once)."
    )
    write_results(args.name, result, table)


if __name__ == "__main__":
    main()
