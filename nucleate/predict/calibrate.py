"""Calibrate the spread of an ensemble run that was trained before runs did it themselves (the
shipped models): each member predicts its own validation substrates again, from their stored
frames, and the rms of those errors becomes the run's calibration floor (see
:func:`nucleate.train.metrics.spread_floor`), written into metrics.json and every checkpoint."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import yaml
from tqdm.auto import tqdm

from nucleate.data.dataset import SAMPLE_SIDE
from nucleate.data.io import read_frames
from nucleate.errors import InputError
from nucleate.predict.core import load_checkpoints, predict_frames
from nucleate.resources import resolve
from nucleate.train.metrics import calibrated_spread, coverage, spread_floor
from nucleate.train.run import store_calibration
from nucleate.train.splits import redraw_validation


def calibrate_run(run: str | os.PathLike, data: str | os.PathLike | None = None,
                  progress: bool = True) -> dict:  # fmt: skip
    """Calibrate the run at ``run`` (a T_n ensemble directory); returns its calibration with the
    test coverage of ±2σ before and after. ``data``: the data set's root (default: the run's)."""
    run = Path(run)
    metrics = json.loads((run / "metrics.json").read_text())
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    if metrics.get("ensemble", 1) < 2:
        raise InputError(f"{run}: one member has no spread to calibrate")
    with open(run / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["id"] for r in rows]
    part = np.array([r["split"] for r in rows])
    y = np.array([float(r["tn"]) if r["tn"] else np.nan for r in rows])
    censored = np.array([r["censored"] == "True" for r in rows])
    n = metrics["ensemble"]
    parts = [part] + [
        redraw_validation(ids, part, cfg["split"], cfg["seed"] + k) for k in range(1, n)
    ]
    root = resolve(data or cfg["data"])
    models = load_checkpoints([run / c for c in metrics["checkpoints"]])
    every = models[0].hparams.meta["features"] == "density_image"  # the GNN read the last frame
    need = np.flatnonzero(np.any([p == "val" for p in parts], axis=0) & ~censored)
    preds = np.full((n, len(ids)), np.nan)
    for i in tqdm(need, desc="calibrate", unit="substrate", disable=not progress):
        frames = read_frames(root / "samples" / ids[i] / "frames.extxyz.gz", side=SAMPLE_SIDE)
        preds[:, i] = predict_frames(models, frames if every else frames[-1:]).members
    cal = spread_floor(y, preds, parts, censored)
    test = (part == "test") & ~censored
    pred = np.array([float(r["predicted"]) for r in rows])
    spread = np.array([float(r["spread"]) for r in rows])
    before = coverage(y[test], pred[test], spread[test])
    after = coverage(y[test], pred[test], calibrated_spread(spread[test], cal["floor"]))
    metrics["calibration"] = cal
    metrics.setdefault("test", {})["coverage_2sigma_calibrated"] = after
    (run / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    for c in metrics["checkpoints"]:
        store_calibration(run / c, cal)
    return {**cal, "test_n": int(test.sum()), "coverage_2sigma": before,
            "coverage_2sigma_calibrated": after}  # fmt: skip
