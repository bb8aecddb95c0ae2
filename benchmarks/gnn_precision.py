"""Mixed precision for the GNN: the shipped lj-fcc-v1 GNN config trained once in fp32 and once
with bf16 autocast (``--precision bf16-mixed``), same seed and split, one thread, one member:
the wall time per epoch and the validation and test RMSE of each. Mixed precision is a training
option; it becomes a default only where this shows no loss of accuracy.

    .venv/bin/python benchmarks/gnn_precision.py [--config configs/train/gnn.yaml]
        [--out runs/bench/gnn-precision] [--max_epochs 200] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from results_io import write_results

ROOT = Path(__file__).resolve().parents[1]
PRECISIONS = ("32-true", "bf16-mixed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="configs/train/gnn.yaml")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "bench" / "gnn-precision")
    ap.add_argument("--max_epochs", type=int, default=200)
    ap.add_argument("--reuse", action="store_true", help="keep finished runs (timed before)")
    args = ap.parse_args()
    exe = shutil.which("nucleate", path=os.path.dirname(sys.executable)) or "nucleate"
    runs = {}
    for precision in PRECISIONS:
        out = args.out / precision
        timing = out / "wall_seconds.json"
        if not (args.reuse and timing.exists()):
            shutil.rmtree(out, ignore_errors=True)
            cmd = [exe, "train", "-c", args.config, "--ensemble", "1", "--threads", "1",
                   "--max_epochs", str(args.max_epochs), "--precision", precision,
                   "--accelerator", "cpu", "--loggers", "[csv]", "--out", str(out)]  # fmt: skip
            print("$", " ".join(cmd), flush=True)
            start = time.time()
            subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "WANDB_MODE": "offline"})
            timing.write_text(json.dumps({"seconds": time.time() - start}))
        m = json.loads((out / "metrics.json").read_text())
        seconds = json.loads(timing.read_text())["seconds"]
        epochs = int(m["epochs"][0])
        runs[precision] = {"epochs": epochs, "wall_seconds": seconds,
                           "seconds_per_epoch": seconds / max(epochs, 1),
                           "val_rmse": m["val"]["rmse"], "test_rmse": m["test"]["rmse"]}  # fmt: skip
    a, b = runs["32-true"], runs["bf16-mixed"]
    numbers = {"config": args.config, "max_epochs": args.max_epochs, "runs": runs,
               "speedup_per_epoch": a["seconds_per_epoch"] / b["seconds_per_epoch"],
               "test_rmse_change": b["test_rmse"] - a["test_rmse"]}  # fmt: skip
    rows = [f"| {p} | {r['epochs']} | {r['seconds_per_epoch']:.2f} | {r['val_rmse']:.4f} | "
            f"{r['test_rmse']:.4f} |" for p, r in runs.items()]  # fmt: skip
    table = "\n".join([
        "| precision | epochs run | s per epoch | val RMSE | test RMSE |",
        "|---|---|---|---|---|", *rows, "",
        f"`{args.config}`, one member, one thread, same seed and split, at most {args.max_epochs} "
        "epochs (early stopping otherwise as configured); per-epoch time = the "
        "whole run's wall time (featurizing cached) over its epochs. bf16 against fp32: "
        f"{numbers['speedup_per_epoch']:.2f} × per epoch, test RMSE "
        f"{numbers['test_rmse_change']:+.4f}.",
    ])  # fmt: skip
    write_results("gnn_precision", numbers, table)
    print(table)


if __name__ == "__main__":
    main()
