"""The shipped ensembles (models/) load, carry their protocol, and reproduce their own predictions
on the bundled data set's frames."""

import csv
from pathlib import Path

import numpy as np
import pytest

from nucleate.data.io import read_frames
from nucleate.errors import InputError
from nucleate.predict.core import load_checkpoints, predict_frames

ROOT = Path(__file__).resolve().parents[2]
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
        # the test metrics read a sample as training did: the CNN all frames, the GNN the last
        p = predict_frames(models, frames if route == "cnn" else frames[-1:], r["id"])
        assert p.tn == pytest.approx(float(r["predicted"]), abs=2e-4)
        assert p.spread == pytest.approx(float(r["spread"]), abs=2e-4)
        assert p.tn_std == pytest.approx(np.hypot(p.spread, meta["calibration"]["floor"]))


def test_shipped_propensity_models_load_and_read_structure():
    """The lj-fcc propensity GNN reproduces the labels of a bundled configuration (trained on it:
    this checks the checkpoint and its featurizer settings, not generalisation; see the README for
    cross-validated numbers); the KA model predicts every particle of a KA-like mixture."""
    import numpy as np

    from nucleate.frame import Frame
    from nucleate.predict.per_atom import load_propensity_checkpoints, predict_per_atom

    models = load_propensity_checkpoints([MODELS / "propensity"])
    sample = ROOT / "data" / "lj-fcc-v1-propensity" / "samples" / "fcc111_m+00.0_e1.00"
    frame = read_frames(sample / "configs.extxyz.gz", index=0)[0]
    # it reads each atom's distance to its cage position: made on the substrate of eps_sl 1.0
    assert models[0].hparams.meta["featurizer_settings"]["displacement"] == [1.5, 2.5]
    with pytest.raises(InputError, match="give the substrate's --eps_sl"):
        predict_per_atom(models, [frame])
    ((mean, _),) = predict_per_atom(models, [frame], eps_sl=1.0)
    film = frame.liquid & (frame.arrays["height"] < 12.0)
    assert np.isnan(mean[frame.substrate]).all() and np.isfinite(mean[film]).all()
    assert np.corrcoef(mean[film], frame.arrays["propensity"][film])[0, 1] > 0.8

    ka = load_propensity_checkpoints([ROOT / "models" / "ka3d-t044" / "propensity"])
    rng = np.random.default_rng(0)
    side = (400 / 1.2) ** (1 / 3)
    x = rng.random((400, 3)) * side  # a random KA-like mixture (not equilibrated)
    types = np.where(rng.random(400) < 0.2, 2, 1)
    frame = Frame(x, types, np.eye(3) * side, (True, True, True), np.zeros(400, bool), units="lj")
    ((mean, _),) = predict_per_atom(ka, [frame])
    assert np.isfinite(mean).all()


def test_shipped_descriptor_model_reproduces_its_test_predictions():
    """The descriptor model (a pickled scikit-learn pipeline with its model.json) featurizes the
    bundled frames as it was trained (the whole substrate rebuilt from the sample's parameters,
    ε_sl given) and gives its own predictions, uncertainties and probabilities of lying below the
    floor again."""
    import json

    from nucleate.featurize.pipeline import full_substrate

    (model,) = load_checkpoints([MODELS / "descriptors"])
    assert model.hparams.meta["campaign"]["equilibrium"]["t_eq"] == 0.68
    with open(MODELS / "descriptors" / "predictions.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "test"][:2]
    for r in rows:
        sample = ROOT / "data" / "lj-fcc-v1" / "samples" / r["id"]
        params = json.loads((sample / "sample.json").read_text())["parameters"]
        frames = read_frames(sample / "frames.extxyz.gz")
        p = predict_frames([model], frames, r["id"], params["eps_sl"],
                           full_substrate(frames[0], params))  # fmt: skip
        assert p.tn == pytest.approx(float(r["predicted"]), abs=2e-4)
        # the GP's own σ, or for another regressor its validation RMSE
        std = float(r["predicted_std"] or model.hparams.meta["val_rmse"])
        assert p.tn_std == pytest.approx(std, abs=2e-4) and p.tn_std > 0
        # and its censoring classifier the probability of lying below the floor
        assert p.floor == 0.35
        assert p.p_below_floor == pytest.approx(float(r["p_below_floor"]), abs=1e-3)


def test_shipped_descriptor_model_says_when_it_extrapolates():
    """The descriptor model carries each descriptor's range over its fit substrates: inside it
    (and within the 10 % margin) nothing is flagged, beyond it that descriptor is named; a model
    saved without ranges flags nothing."""
    (model,) = load_checkpoints([MODELS / "descriptors"])
    ranges = model.hparams.meta["train_range"]
    assert set(ranges) == set(model.hparams.meta["columns"])
    mid = {c: 0.5 * (lo + hi) for c, (lo, hi) in ranges.items()}
    assert model.outside_range(mid) == []
    col, (lo, hi) = next(iter(ranges.items()))
    assert model.outside_range({**mid, col: hi + 0.05 * (hi - lo)}) == []
    assert model.outside_range({**mid, col: hi + 0.5 * (hi - lo)}) == [col]
    assert model.outside_range({**mid, col: lo - 0.5 * (hi - lo)}) == [col]
    model.hparams.meta.pop("train_range")
    assert model.outside_range({**mid, col: hi + 10 * (hi - lo)}) == []


@pytest.mark.parametrize("route", ["cnn", "gnn"])
def test_shipped_model_reads_its_own_training_data_as_in_domain(route):
    """A training substrate of the shipped models, as stored, is neither refused nor marked as
    departing from the training inputs, and the GNN predicts every frame (mean over frames)."""
    from nucleate.data.io import read_frames
    from nucleate.predict.core import load_checkpoints, predict_frames

    models = load_checkpoints([ROOT / "models/lj-fcc-v1" / route])
    frames = read_frames(ROOT / "data/lj-fcc-v1/samples/fcc111_m+00.0_e1.00/frames.extxyz.gz")
    p = predict_frames(models, frames)
    assert p.domain == ""
    if route == "gnn":  # the mean over frames, not the last frame's value
        last = predict_frames(models, frames[-1:])
        assert p.tn != last.tn
        assert abs(p.tn - last.tn) < 0.05


@pytest.mark.parametrize("name", ["descriptors-liquid", "descriptors-liquid-bo"])
def test_shipped_liquid_only_union_model_reproduces_its_predictions_without_eps_sl(name):
    """models/lj-mix-v1/descriptors-liquid and -bo (trained on lj-fcc-v1 + lj-mix-v1, liquid
    descriptors only; -bo with the layer bond order) predict the bundled frames of their test
    substrates as in their run, without --eps_sl, and read a substrate they were fitted on as
    inside their domain."""
    union = ROOT / "models" / "lj-mix-v1" / name
    (model,) = load_checkpoints([union])
    assert not model.needs_eps_sl
    with open(union / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))

    def frames_of(sid):
        for data in ("lj-fcc-v1", "lj-mix-v1"):
            path = ROOT / "data" / data / "samples" / sid / "frames.extxyz.gz"
            if path.exists():
                return read_frames(path)
        raise AssertionError(sid)

    test = [r for r in rows if r["split"] == "test" and "-" in r["id"].split("_")[0]][:2]
    for r in test:  # two test substrates of the new families
        p = predict_frames([model], frames_of(r["id"]), r["id"])
        assert p.tn == pytest.approx(float(r["predicted"]), abs=2e-4)
        assert p.tn_std == pytest.approx(float(r["predicted_std"]), abs=2e-4)
    fitted = next(r for r in rows if r["split"] == "train" and r["censored"] == "False")
    assert predict_frames([model], frames_of(fitted["id"])).domain == ""


@pytest.mark.parametrize(
    "data, members, families",
    [("lj-mix-v1", ["descriptors-liquid-bo", "descriptors-substrate"],
      ["fcc111-disordered", "fcc111-alloy"]),
     ("lj-fcc-v1", ["descriptors-liquid-bo1", "descriptors-substrate"], ["fcc110"])],
)  # fmt: skip
def test_shipped_committee_predicts_bundled_samples_from_the_cli(tmp_path, capsys, data, members,
                                                                families):  # fmt: skip
    """The shipped committees (a liquid-only and a substrate model, of the union and of the fcc
    grid), given bundled samples' frames files as trajectories: each member gives its own run's
    prediction for each (the substrate member reads the whole slab, rebuilt from the sample as
    in training, not only the top layers the file keeps: on a disordered slab the two differ by
    0.05), and the committee their mean. A data set's sample carries its strengths (its
    ε_sl, and the second component's of a two-component one): none is given; one that
    disagrees is refused."""
    import json

    from nucleate import cli

    members = [ROOT / "models" / data / m for m in members]
    preds = []
    for m in members:
        with open(m / "predictions.csv", newline="") as fh:
            preds.append({r["id"]: r for r in csv.DictReader(fh)})
    test = [i for i, r in preds[1].items() if r["split"] == "test" and r["censored"] == "False"]
    for family in families:
        sid = next(i for i in test if i.startswith(family + "_"))
        sample = ROOT / "data" / data / "samples" / sid
        params = json.loads((sample / "sample.json").read_text())["parameters"]
        args = ["predict", "--model", "[" + ", ".join(map(str, members)) + "]", "--trajectory",
                str(sample / "frames.extxyz.gz"), "--out", str(tmp_path / sid), "--plot", "false"]  # fmt: skip
        assert cli.main([*args, "--eps_sl", str(params["eps_sl"] + 0.1)]) == 2
        assert f"simulated with eps_sl {params['eps_sl']:g}" in capsys.readouterr().err
        assert cli.main(args) == 0, capsys.readouterr().err
        (result,) = json.loads((tmp_path / sid / "prediction.json").read_text())
        expected = [float(p[sid]["predicted"]) for p in preds]
        assert result["members"] == pytest.approx(expected, abs=2e-4), sid
        assert result["tn"] == pytest.approx(np.mean(expected), abs=2e-4)


def test_shipped_union_gnn_reproduces_its_test_predictions_on_new_families():
    """models/lj-mix-v1/gnn (an ensemble of three, trained on lj-fcc-v1 + lj-mix-v1) predicts
    the bundled frames of two test substrates of the new families as in its run (the last
    frame, as its test metrics read a sample), with its calibrated spread, and reads one of its
    own training substrates as inside its domain."""
    union = ROOT / "models" / "lj-mix-v1" / "gnn"
    models = load_checkpoints([union])
    assert len(models) == 3
    floor = models[0].hparams.meta["calibration"]["floor"]
    with open(union / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    new = [r for r in rows if r["split"] == "test" and "-" in r["id"].split("_")[0]][:2]
    assert len(new) == 2
    for r in new:
        frames = read_frames(ROOT / "data" / "lj-mix-v1" / "samples" / r["id"] / "frames.extxyz.gz")
        p = predict_frames(models, frames[-1:], r["id"])
        assert p.tn == pytest.approx(float(r["predicted"]), abs=2e-4)
        assert p.tn_std == pytest.approx(np.hypot(p.spread, floor))
    fitted = next(r for r in rows if r["split"] == "train" and r["id"].startswith("bcc"))
    frames = read_frames(
        ROOT / "data" / "lj-mix-v1" / "samples" / fitted["id"] / "frames.extxyz.gz"
    )
    assert predict_frames(models, frames).domain == ""


def test_prediction_loads_shipped_networks_without_lightning():
    """Predicting needs torch and the network, not the training framework (seconds to import)."""
    import subprocess
    import sys

    code = (
        "import sys; from nucleate.predict.core import load_checkpoints; "
        f"m = load_checkpoints([{str(MODELS / 'gnn')!r}]); "
        "assert type(m[0]).__name__ == 'TnNetwork', type(m[0]); "
        "assert 'lightning' not in sys.modules, 'lightning imported'"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
