"""Novelty in a model's own representation: known distances on hand-built point sets, a GP's
length scales, and a trained GNN's checkpoint that knows its own training inputs."""

import json

import numpy as np
import pytest
from conftest import synthetic_dataset

from nucleate.errors import InputError
from nucleate.models.novelty import Novelty, regressor_representation


def test_distances_on_a_square_grid():
    grid = np.array([(i, j) for i in range(5) for j in range(5)], dtype=float)
    nov = Novelty(grid)
    assert nov.scale == 1.0 and nov.limit == 1.0  # every point's nearest neighbour is 1 away
    z = np.array([[2.0, 2.0], [2.5, 2.0], [2.5, 2.5], [7.0, 2.0]])
    np.testing.assert_allclose(nov.score(z), [0.0, 0.5, np.sqrt(0.5), 3.0])
    assert nov.far(z).tolist() == [False, False, False, True]
    again = Novelty.from_dict(json.loads(json.dumps(nov.to_dict())))
    np.testing.assert_allclose(again.score(z), nov.score(z))
    with pytest.raises(InputError, match="3 features"):
        nov.score(np.zeros((1, 3)))
    with pytest.raises(InputError, match="two or more"):
        Novelty(grid[:1])


@pytest.mark.parametrize(("n", "d"), [(300, 64), (40, 5), (700, 41)])
def test_distances_are_a_kd_trees(n, d):
    """Brute force, block by block, against scipy's k-d tree (a duplicated reference included)."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(n)
    ref = rng.normal(size=(n, d))
    ref[3] = ref[1]
    z = rng.normal(size=(90, d))
    novelty, tree = Novelty(ref), cKDTree(ref)
    own = tree.query(ref, k=2)[0][:, 1]
    assert novelty.scale == pytest.approx(np.median(own), rel=1e-12)
    assert novelty.limit == pytest.approx(own.max(), rel=1e-12)
    np.testing.assert_allclose(novelty.distance(z), tree.query(z, k=1)[0], rtol=1e-12)


def test_a_gaussian_process_is_seen_through_its_length_scales():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, WhiteKernel
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)) * [1.0, 5.0]
    y = np.sin(X[:, 0]) + 0.01 * rng.normal(size=60)  # only the first input matters
    model = make_pipeline(StandardScaler(), GaussianProcessRegressor(
        RBF([1.0, 1.0], (1e-2, 1e3)) + WhiteKernel(1e-4), random_state=0)).fit(X, y)  # fmt: skip
    z = regressor_representation(model, X)
    scaler, gp = model.steps[0][1], model.steps[1][1]
    scales = gp.kernel_.k1.length_scale
    np.testing.assert_allclose(z, scaler.transform(X) / scales)
    assert scales[1] > 10 * scales[0]  # the irrelevant input barely counts in the distance


def test_a_trained_gnn_knows_its_training_inputs(capsys, tmp_path, film):
    from nucleate import cli
    from nucleate.data.io import read_frames
    from nucleate.predict.core import load_checkpoints, predict_frames

    root = synthetic_dataset(tmp_path / "ds", film, 10)
    out = tmp_path / "gnn"
    assert cli.main(["train", "-c", "configs/train/gnn.yaml", "--data", str(root), "--out",
                     str(out), "--max_epochs", "2", "--loggers", "[csv]", "--model_args",
                     "{hidden: 8, layers: 1, cutoff: 1.5}"]) == 0  # fmt: skip
    capsys.readouterr()
    (model,) = load_checkpoints([out])
    ref = np.asarray(model.hparams.meta["novelty"]["reference"])
    n_train = sum(r.split(",")[1] == "train" for r in (out / "predictions.csv").read_text()
                  .splitlines()[1:])  # fmt: skip
    assert ref.shape == (n_train, 8)
    train_id = next(r.split(",")[0] for r in (out / "predictions.csv").read_text().splitlines()[1:]
                    if r.split(",")[1] == "train")  # fmt: skip
    frames = read_frames(root / "samples" / train_id / "frames.extxyz.gz")
    p = predict_frames([model], frames)
    assert p.novelty == pytest.approx(0.0, abs=1e-3) and p.far_from_training is False
