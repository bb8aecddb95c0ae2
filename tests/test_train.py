"""Training from configs end to end on a tiny synthetic data set (CPU, a few epochs)."""

import json

import pytest
import torch
from conftest import synthetic_dataset

from nucleate import cli
from nucleate.train.module import TnRegressor


@pytest.mark.parametrize(
    ("config", "extra"),
    [
        ("cnn", ["--featurizer_settings", "{layers: [1, 2], size: 16}", "--model_args",
                 "{widths: [4, 8]}", "--loggers", "[csv, tensorboard, wandb]"]),
        ("icepic_vgg", ["--featurizer_settings", "{layers: [1], size: 16}", "--model_args",
                        "{widths: [4, 8], dense: 16}", "--loggers", "[csv]"]),
        ("gnn", ["--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}", "--loggers", "[csv]"]),
    ],
)  # fmt: skip
def test_train_cli(capsys, tmp_path, film, config, extra):
    root = synthetic_dataset(tmp_path / "ds", film, 16, censor_every=5)
    out = tmp_path / "run"
    args = ["train", "-c", f"configs/train/{config}.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "3", "--batch_size", "4", *extra]  # fmt: skip
    assert cli.main(args) == 0
    assert "test RMSE" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train"]["n_censored"] >= 0 and "rmse" in metrics["val"]
    assert (out / "config.yaml").exists() and (out / "parity.png").exists()
    assert (out / "logs" / "metrics.csv").exists()
    # the checkpoint describes itself: loading it needs nothing else
    model = TnRegressor.load_from_checkpoint(out / metrics["checkpoint"])
    assert model.hparams.model == config
    assert model.hparams.meta["data_sha256"] == metrics["data_sha256"]
    assert float(model.y_std) > 0
    if config != "gnn":
        c = model.hparams.model_args["in_channels"]
        with torch.no_grad():
            assert model.eval()(torch.zeros(2, c, 16, 16)).shape == (2,)
