"""What a prediction saves: CPU time of predicting one new substrate (equilibrium MD of the training
protocol, featurizing, the ensemble) against labelling it directly (the same equilibrium plus the
cooling ramps of the data set's campaign), both in this process on one core, one after the other.

    .venv/bin/python benchmarks/predict_cost.py [--model models/lj-fcc-v1/cnn]
        [--substrate fcc100:+0.015] [--eps_sl 1.15] [--out runs/bench/predict_cost.json]

Writes benchmarks/results/predict_cost.{json,md}. Prints both CPU times, their ratio and the two
T_n values (predicted ± spread, direct ± s.e.).
Both are timed in a warm process (Lightning imported, LAMMPS loaded once before the timers), as
when screening many substrates; ``--cold`` charges that start-up to the prediction instead.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from results_io import write_results

from nucleate.data.campaign import run_task
from nucleate.data.families import parse_spec
from nucleate.predict.core import (
    load_checkpoints,
    predict_frames,
    simulate_substrate,
    substrate_from,
    with_protocol,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default="models/lj-fcc-v1/cnn")
    ap.add_argument("--substrate", default="fcc100:+0.015")
    ap.add_argument("--eps_sl", type=float, default=1.15)
    ap.add_argument("--out", default="runs/bench/predict_cost.json")
    ap.add_argument(
        "--equilibrium",
        default=None,
        help="JSON overrides of the equilibrium run for the prediction (fast protocol)",
    )
    ap.add_argument(
        "--cold", action="store_true",
        help="charge one-time start-up (importing Lightning, loading LAMMPS) to the prediction, "
        "as the first prediction of a fresh process pays it; by default both sides are timed in "
        "a warm process, as in screening",
    )  # fmt: skip
    args = ap.parse_args()
    torch.set_num_threads(1)
    if not args.cold:  # one-time costs of a process, paid by neither side
        import nucleate.train.module  # noqa: F401  (Lightning)
        from nucleate.data.simulate import start_lammps

        start_lammps().close()

    c0, w0 = time.process_time(), time.perf_counter()
    models = load_checkpoints([args.model])
    campaign = models[0].hparams.meta["campaign"]
    fast = with_protocol(campaign, json.loads(args.equilibrium) if args.equilibrium else None)
    slab, name = substrate_from(args.substrate, campaign)
    frames = simulate_substrate(slab, args.eps_sl, fast, name)
    p = predict_frames(models, frames, args.substrate)
    predict_cpu, predict_wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"predict: {predict_cpu:.1f} s CPU ({predict_wall:.1f} s wall): "
          f"T_n = {p.tn:.4f} ± {p.tn_std:.4f}", flush=True)  # fmt: skip

    spec = parse_spec(args.substrate)
    if spec is None:
        raise SystemExit("the benchmark labels generated substrates (<family>:<value>) only")
    sid = f"{name}_e{args.eps_sl:.2f}"
    task = {"id": sid, "kind": "family", "family": spec[0].name, "value": spec[1],
            "eps_sl": args.eps_sl, "campaign": campaign}  # fmt: skip
    c0, w0 = time.process_time(), time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        record = run_task(task, root)
    label_cpu, label_wall = time.process_time() - c0, time.perf_counter() - w0
    tns = np.array([r["tn"] for r in record["ramps"] if not r["censored"]])
    sem = tns.std(ddof=1) / np.sqrt(len(tns)) if len(tns) > 1 else float("nan")
    steps = [r["steps"] for r in record["ramps"]]
    print(f"label:   {label_cpu:.1f} s CPU ({label_wall:.1f} s wall), {len(steps)} ramps of "
          f"{steps} steps: T_n = {tns.mean() if len(tns) else float('nan'):.4f} ± {sem:.4f}")  # fmt: skip
    ratio = label_cpu / predict_cpu
    print(f"a prediction costs {ratio:.1f} x less CPU time than the ramps that label it")
    result = {"substrate": sid, "model": args.model, "n_models": len(models),
              "equilibrium": fast["equilibrium"],
              "predict_cpu_s": predict_cpu, "predict_wall_s": predict_wall,
              "warm": not args.cold, "label_cpu_s": label_cpu, "label_wall_s": label_wall, "ratio": ratio,
              "ramp_steps": steps, "predicted": {"tn": p.tn, "spread": p.tn_std},
              "direct": {"tn": float(tns.mean()) if len(tns) else None, "sem": float(sem),
                         "n_censored": int(len(steps) - len(tns))}}  # fmt: skip
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    d = result["direct"]
    table = "\n".join([
        "| substrate | model | predict: CPU s (wall s) | T_n predicted | label: CPU s (wall s) | "
        "ramps | T_n labelled | CPU ratio |",
        "|---|---|---|---|---|---|---|---|",
        f"| {sid} (ε_sl {args.eps_sl:g}) | `{args.model}` ({len(models)} members) | "
        f"{predict_cpu:.0f} ({predict_wall:.0f}) | {p.tn:.4f} ± {p.tn_std:.4f} | "
        f"{label_cpu:.0f} ({label_wall:.0f}) | {len(steps)} ({d['n_censored']} censored) | "
        f"{_f(d['tn'])} ± {_f(d['sem'])} | {ratio:.1f} |",
        "",
        f"Timed {'cold (start-up charged to the prediction)' if args.cold else 'warm'}, one core, "
        "one after the other in one process.",
    ])  # fmt: skip
    write_results("predict_cost", result, table)


def _f(v) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{v:.4f}"


if __name__ == "__main__":
    main()
