"""The newcomer's path, timed: ``nucleate quickstart`` as the README runs it (fresh output folder,
features cached or not as ``--cold`` says), its step times from its own quickstart.json, and
``nucleate predict`` with a shipped model on one bundled trajectory (end to end, a new process
each time, with and without the picture).

    .venv/bin/python benchmarks/bench_quickstart.py [--out runs/bench/quickstart] [--cold]
        [--predict_repeats 3] [--no_quickstart]

``--cold`` points the feature cache at an empty folder (what a first run pays). Goals (issue on
speed): the quickstart ≤ 5 minutes on this machine idle; predict ≤ 2.5 s. Timings on a busy
machine are not comparable: the results carry the load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from results_io import write_results

ROOT = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("nucleate"))
TRAJECTORY = "data/lj-fcc-v1/samples/fcc111_m+00.0_e1.00/frames.extxyz.gz"
MODELS = ("models/lj-fcc-v1/cnn", "models/lj-fcc-v1/descriptors", "models/lj-mix-v1/gnn")


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def predict_times(repeats: int, env: dict) -> dict:
    """Wall seconds of ``nucleate predict`` per shipped model, median of ``repeats`` runs. The
    runs go round the models in turn (not all of one model, then the next), so that a drift of
    the machine's speed over the minutes they take falls on every model alike."""
    cmds = {}
    for model in MODELS:
        for plot in (True, False):
            cmds[f"{model}{'' if plot else ' (no picture)'}"] = [
                EXE, "predict", "--model", f"[{model}]", "--trajectory", TRAJECTORY,
                "--eps_sl", "[1.0]", "--out", str(Path(tempfile.gettempdir()) / "bench-pred"),
                "--overwrite", "true", "--threads", "1", "--plot", str(plot).lower(),
            ]  # fmt: skip
    runs = {key: [] for key in cmds} | {REFERENCE: []}
    for cmd in cmds.values():  # untimed: the first run writes nucleate's bytecode caches
        timed(cmd, env)
    for _ in range(repeats):
        for key, cmd in cmds.items():
            runs[key].append(timed(cmd, env))
        runs[REFERENCE].append(timed([sys.executable, "-c", "import torch"], env))
    return {key: sorted(t)[len(t) // 2] for key, t in runs.items()}


#: a fixed workload timed in the same rounds: the host's speed drifts by tens of per cent over
#: an hour, so runs on different days compare through it
REFERENCE = "reference: python -c 'import torch'"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="runs/bench/quickstart")
    ap.add_argument("--cold", action="store_true", help="an empty feature cache")
    ap.add_argument("--predict_repeats", type=int, default=3)
    ap.add_argument(
        "--no_quickstart",
        action="store_true",
        help="time predict only (printed; the results file keeps the whole run's)",
    )
    args = ap.parse_args()
    env = {**os.environ, "WANDB_MODE": "offline", "MPLBACKEND": "Agg"}
    # as an installed program runs: Python writes a module's bytecode cache on its first import.
    # A shell with PYTHONDONTWRITEBYTECODE set (this sandbox's) made every timed run compile
    # nucleate's own ~60 modules from source again (0.1-0.4 s of a prediction)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    results: dict = {"predict_seconds": predict_times(args.predict_repeats, env)}
    if not args.no_quickstart:
        out = ROOT / args.out
        shutil.rmtree(out, ignore_errors=True)
        cache = tempfile.mkdtemp(prefix="nucleate-cache-") if args.cold else None
        if cache:
            env["NUCLEATE_CACHE"] = cache
        total = timed([EXE, "quickstart", "--out", str(out)], env)
        q = json.loads((out / "quickstart.json").read_text())
        results["quickstart"] = {"wall_seconds": total, "cold_cache": args.cold,
                                 "steps": q["timings"], "direct": q["direct"],
                                 "predicted": q["predicted"]}  # fmt: skip
        if cache:
            shutil.rmtree(cache, ignore_errors=True)
    lines = ["| what | seconds |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} |" if k == REFERENCE else f"| predict, `{k}` | {v:.2f} |"
              for k, v in results["predict_seconds"].items()]  # fmt: skip
    if "quickstart" in results:
        qs = results["quickstart"]
        lines += [f"| quickstart step: {k} | {v:.0f} |" for k, v in qs["steps"].items()]
        cache = "an empty feature cache" if qs["cold_cache"] else "the feature cache as found"
        lines.append(f"| **quickstart, whole** ({cache}) | **{qs['wall_seconds']:.0f}** |")
        d = qs["direct"]
        lines += [
            "",
            "| the quickstart's comparison | T_n | ± | within |",
            "|---|---|---|---|",
            f"| direct ramps ({d['n']}, s.e.) | {d['tn']:.4f} | {d['sem']:.4f} | — |",
        ]
        lines += [f"| {route.upper()} (spread ⊕ test RMSE) | {p['tn']:.4f} | "
                  f"{p['uncertainty']:.4f} | {'yes' if p['within'] else 'no'} |"
                  for route, p in qs["predicted"].items()]  # fmt: skip
    table = "\n".join(lines) + (
        "\n\nGoals: predict ≤ 2.5 s end to end; the quickstart ≤ 300 s idle. Predict runs with "
        "`--threads 1`, median of the repeats after one untimed run of each (which writes "
        "Python's bytecode caches, as a user's first run does); the quickstart's direct ramps, "
        "the descriptors and the GNN run in a second process, beside the CNN and the descriptor "
        "selection."
    )
    if not args.no_quickstart:  # the results file holds whole runs only
        write_results("bench_quickstart", results, table)
    print(table)


if __name__ == "__main__":
    main()
