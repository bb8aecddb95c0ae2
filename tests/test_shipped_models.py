"""The shipped ensembles (models/) load, carry their protocol, and reproduce their own predictions
on the bundled data set's frames."""

import csv
from pathlib import Path

import pytest

from nucleate.data.io import read_frames
from nucleate.predict.core import load_checkpoints, predict_frames

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models" / "lj-fcc-v1"


@pytest.mark.parametrize("route", ["cnn", "gnn"])
def test_shipped_ensemble_reproduces_its_test_predictions(route):
    models = load_checkpoints([MODELS / route])
    assert len(models) == 3
    meta = models[0].hparams.meta
    assert meta["units"] == "lj" and meta["campaign"]["equilibrium"]["t_eq"] == 0.68
    with open(MODELS / route / "predictions.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"][:2]
    for r in rows:
        frames = read_frames(ROOT / "data" / "lj-fcc-v1" / "samples" / r["id"] / "frames.extxyz.gz")
        p = predict_frames(models, frames, r["id"])
        assert p.tn == pytest.approx(float(r["predicted"]), abs=2e-4)
        assert p.tn_std == pytest.approx(float(r["spread"]), abs=2e-4)
