"""Training from configs end to end on a tiny synthetic data set (CPU, a few epochs)."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import synthetic_dataset

from nucleate import cli
from nucleate.train.module import TnRegressor

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("config", "extra"),
    [
        ("cnn", ["--featurizer_settings", "{layers: [1, 2], size: 16}", "--model_args",
                 "{widths: [4, 8]}", "--loggers", "[csv, tensorboard, wandb]"]),
        ("icepic_vgg", ["--featurizer_settings", "{layers: [1], size: 16}", "--model_args",
                        "{widths: [4, 8], dense: 16}", "--loggers", "[csv]"]),
        ("gnn", ["--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}", "--loggers", "[csv]"]),
        ("painn", ["--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}", "--loggers", "[csv]"]),
    ],
)  # fmt: skip
def test_train_cli(capsys, tmp_path, film, config, extra):
    root = synthetic_dataset(tmp_path / "ds", film, 16, censor_every=5)
    out = tmp_path / "run"
    args = ["train", "-c", f"configs/train/{config}.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "3", "--batch_size", "4", "--threads", "1", *extra]  # fmt: skip
    assert cli.main(args) == 0
    assert torch.get_num_threads() == 1
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
    if config not in ("gnn", "painn"):
        assert (out / "saliency.png").stat().st_size > 5000
        c = model.hparams.model_args["in_channels"]
        with torch.no_grad():
            assert model.eval()(torch.zeros(2, c, 16, 16)).shape == (2,)


@pytest.mark.parametrize("config", ["gnn", "cnn"])
def test_bf16_mixed_precision_trains(tmp_path, film, config):
    """bf16 autocast on the CPU: the run trains and its validation predictions are finite."""
    root = synthetic_dataset(tmp_path / "ds", film, 16)
    out = tmp_path / "run"
    extra = (
        ["--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}"]
        if config == "gnn"
        else ["--featurizer_settings", "{layers: [1], size: 16}", "--model_args", "{widths: [4]}"]
    )
    args = ["train", "-c", f"configs/train/{config}.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "2", "--batch_size", "4", "--threads", "1", "--loggers", "[csv]",
            "--precision", "bf16-mixed", "--accelerator", "cpu", *extra]  # fmt: skip
    assert cli.main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert np.isfinite(metrics["val"]["rmse"])
    assert "precision: bf16-mixed" in (out / "config.yaml").read_text()


@pytest.mark.parametrize(
    ("precision", "message"),
    [("fp8", "precision must be one of"), ("16-mixed", "needs a GPU")],
)
def test_training_precision_is_checked(tmp_path, capsys, precision, message):
    args = ["train", "-c", "configs/train/gnn.yaml", "--precision", precision, "--accelerator",
            "cpu", "--out", str(tmp_path / "run")]  # fmt: skip
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_ensemble_spread_coverage_and_leave_one_family_out(capsys, tmp_path, film):
    root = synthetic_dataset(tmp_path / "ds", film, 16)
    out = tmp_path / "ens"
    args = ["train", "-c", "configs/train/gnn.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "2", "--batch_size", "4", "--loggers", "[csv]", "--ensemble", "3",
            "--lofo", "true", "--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}"]  # fmt: skip
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    m = json.loads((out / "metrics.json").read_text())
    assert m["ensemble"] == 3 and len(m["checkpoints"]) == 3
    # the training time: the three members' fits, each family's, and the line printed
    assert m["fit_seconds"] > 0 and f"training {m['fit_seconds'] / 60:.1f} min" in printed
    assert all(v["fit_seconds"] > 0 for v in m["leave_one_family_out"].values())
    assert 0.0 <= m["test"]["coverage_1sigma"] <= m["test"]["coverage_2sigma"] <= 1.0
    assert m["test"]["mean_spread"] > 0
    assert set(m["leave_one_family_out"]) == {"fcc100", "fcc111"}
    # every substrate once, predicted by the model that never saw its family
    held = list(csv.DictReader(open(out / "lofo_predictions.csv")))
    assert len(held) == 16 and len({r["id"] for r in held}) == 16
    for fam, score in m["leave_one_family_out"].items():
        mine = [r for r in held if r["family"] == fam and r["tn"]]
        err = [float(r["predicted"]) - float(r["tn"]) for r in mine]
        assert np.sqrt(np.mean(np.square(err))) == pytest.approx(score["rmse"], rel=1e-3)
        # each family's σ: one value, its model's validation error (from the other family)
        sigma = {float(r["predicted_std"]) for r in held if r["family"] == fam}
        assert len(sigma) == 1 and sigma.pop() > 0
        inside = [abs(e) <= 2 * float(r["predicted_std"]) for e, r in zip(err, mine, strict=True)]
        assert score["coverage_2sigma_calibrated"] == pytest.approx(np.mean(inside))
    lines = (out / "predictions.csv").read_text().splitlines()
    assert lines[0].endswith("spread") and len(lines) == 17
    # the calibration floor: the members' own validation error, in every checkpoint's meta
    cal = m["calibration"]
    assert cal["floor"] > 0 and cal["n"] >= 3
    assert m["test"]["coverage_2sigma_calibrated"] >= m["test"]["coverage_2sigma"]
    from nucleate.data.io import read_frames
    from nucleate.predict.core import load_checkpoints, predict_frames

    models = load_checkpoints([out])
    assert all(mm.hparams.meta["calibration"] == cal for mm in models)
    sample = next((root / "samples").iterdir())
    p = predict_frames(models, read_frames(sample / "frames.extxyz.gz"))
    assert p.tn_std == pytest.approx(np.hypot(p.spread, cal["floor"]))


def test_report_compares_runs_offline(capsys, tmp_path, film):
    root = synthetic_dataset(tmp_path / "ds", film, 12)
    runs = []
    for config, extra in (
        (
            "cnn",
            [
                "--featurizer_settings",
                "{layers: [1], size: 16}",
                "--model_args",
                "{widths: [4, 8]}",
            ],
        ),
        ("gnn", ["--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}"]),
    ):
        out = tmp_path / config
        args = ["train", "-c", f"configs/train/{config}.yaml", "--data", str(root), "--out",
                str(out), "--max_epochs", "2", "--loggers", "[csv]", *extra]  # fmt: skip
        assert cli.main(args) == 0
        runs.append(str(out))
    page = tmp_path / "dash.html"
    assert cli.main(["report", f"[{runs[0]}, {runs[1]}]", "--out", str(page)]) == 0
    text = page.read_text()
    assert "test rmse" in text and "data:image/png;base64," in text
    assert "model" in text and "features" in text  # config keys that differ
    assert "http" not in text.split("<body>")[1]  # nothing to fetch: it works offline
    code = cli.main(["report", f"[{tmp_path}]", "--out", str(page)])
    assert code == 2 and "not a training run" in capsys.readouterr().err


def test_wandb_falls_back_to_offline_without_a_server(monkeypatch, tmp_path):
    from nucleate.train.loggers import make_loggers, wandb_reachable

    # a logged-in user whose W&B server does not answer (a closed port on this machine)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    monkeypatch.setenv("WANDB_BASE_URL", "http://127.0.0.1:9")
    assert not wandb_reachable(timeout=1.0)
    (logger,) = make_loggers(["wandb"], tmp_path)
    assert logger._offline


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path, film):
    """The same config trains with DDP (2 CPU processes, gloo): Lightning relaunches the CLI as a
    second rank; both train, rank 0 alone writes the run."""
    import os
    import shutil
    import subprocess

    root = synthetic_dataset(tmp_path / "ds", film, 12)
    out = tmp_path / "ddp"
    exe = shutil.which("nucleate", path=os.path.dirname(os.sys.executable))
    args = [exe, "train", "-c", "configs/train/gnn.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "2", "--batch_size", "2", "--loggers", "[csv]", "--accelerator", "cpu",
            "--strategy", "ddp", "--devices", "2",
            "--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "world_size: 2" in done.stderr + done.stdout or "Initializing distributed" in (
        done.stderr + done.stdout
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert "rmse" in metrics["val"] and (out / "checkpoints" / "best.ckpt").exists()


def test_exported_run_is_small_and_predicts_the_same(tmp_path, film):
    from nucleate.train.run import export_run

    root = synthetic_dataset(tmp_path / "ds", film, 12)
    run = tmp_path / "run"
    assert cli.main(["train", "-c", "configs/train/cnn.yaml", "--data", str(root), "--out",
                     str(run), "--max_epochs", "2", "--loggers", "[csv]", "--ensemble", "2",
                     "--featurizer_settings", "{layers: [1], size: 16}",
                     "--model_args", "{widths: [4, 8]}"]) == 0  # fmt: skip
    shipped = export_run(run, tmp_path / "models" / "cnn")
    metrics = json.loads((shipped / "metrics.json").read_text())
    x = torch.rand(3, 1, 16, 16)
    for rel in metrics["checkpoints"]:
        a = TnRegressor.load_from_checkpoint(run / rel).eval()
        b = TnRegressor.load_from_checkpoint(shipped / rel).eval()
        with torch.no_grad():
            assert torch.equal(a(x), b(x))
        assert (shipped / rel).stat().st_size < 0.6 * (run / rel).stat().st_size


def test_relative_output_directory(capsys, tmp_path, film, monkeypatch):
    root = synthetic_dataset(tmp_path / "ds", film, 12)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "-c", str(ROOT / "configs/train/gnn.yaml"), "--data", str(root),
                     "--out", "rel/run", "--max_epochs", "1", "--loggers", "[csv]",
                     "--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}"]) == 0  # fmt: skip
    metrics = json.loads((tmp_path / "rel" / "run" / "metrics.json").read_text())
    assert metrics["checkpoint"] == "checkpoints/best.ckpt"


@pytest.mark.parametrize(
    ("config", "extra"),
    [
        ("cnn", ["--featurizer_settings", "{layers: [1, 2], size: 16}", "--model_args",
                 "{widths: [4, 8]}"]),
        ("gnn", ["--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}"]),
    ],
)  # fmt: skip
def test_multitask_polymorph_head(capsys, tmp_path, film, config, extra):
    root = synthetic_dataset(tmp_path / "ds", film, 16, censor_every=5)
    out = tmp_path / "mt"
    args = ["train", "-c", f"configs/train/{config}.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "3", "--batch_size", "4", "--loggers", "[csv]",
            "--polymorph_weight", "1.0", *extra]  # fmt: skip
    assert cli.main(args) == 0
    capsys.readouterr()
    m = json.loads((out / "metrics.json").read_text())
    p = m["polymorph"]["test"]
    assert p["n"] >= 1 and 0 <= p["mae"] <= 1 and p["baseline_class"] in ("fcc", "hcp")
    assert 0 <= p["majority_accuracy"] <= 1 and 0 <= p["majority_accuracy_baseline"] <= 1
    assert (out / "predictions_polymorph.csv").exists() and (out / "polymorph.png").exists()
    from nucleate.report.dashboard import write_dashboard

    page = write_dashboard([out], tmp_path / "report.html").read_text()
    assert "Polymorph selectivity" in page and "majority-class baseline" in page
    model = TnRegressor.load_from_checkpoint(out / m["checkpoint"]).eval()
    assert model.hparams.polymorph_weight == 1.0
    if config == "cnn":
        x = torch.rand(3, model.hparams.model_args["in_channels"], 16, 16)
        with torch.no_grad():
            assert model(x).shape == (3,)  # the T_n head is unchanged
            frac = model.polymorph(x)
        assert frac.shape == (3, 4) and torch.allclose(frac.sum(1), torch.ones(3))


def test_polymorph_metrics_know_the_answer():
    import numpy as np

    from nucleate.train.metrics import polymorph_metrics

    train = np.array([[0.8, 0.2, 0, 0], [0.7, 0.3, 0, 0], [0.1, 0.9, 0, 0]])
    true = np.array([[0.9, 0.1, 0, 0], [0.2, 0.8, 0, 0]])
    m = polymorph_metrics(true, true, train)
    assert m["mae"] == 0 and m["majority_accuracy"] == 1
    assert m["baseline_class"] == "fcc" and m["majority_accuracy_baseline"] == 0.5
    assert m["mae_baseline"] > 0


def test_label_noise_is_the_ramp_spread_over_root_ramps():
    from nucleate.train.metrics import label_noise_rms

    rows = [
        {"tn_std": "0.02", "n_ramps": "4", "n_censored": "0"},  # 0.01
        {"tn_std": "0.02", "n_ramps": "3", "n_censored": "1"},  # two used: 0.02 / sqrt(2)
        {"tn_std": "", "n_ramps": "2", "n_censored": "2"},  # censored: unknown
    ]
    expected = np.sqrt((0.01**2 + 0.02**2 / 2) / 2)
    assert label_noise_rms(rows, np.array([True, True, True])) == pytest.approx(expected)
    assert label_noise_rms(rows, np.array([False, False, True])) is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (["--max_epochs", "0"], "max_epochs must be a whole number ≥ 1"),
        (["--batch_size", "-4"], "batch_size must be a whole number ≥ 1"),
        (["--lr", "-0.001"], "lr must be positive"),
        (["--ensemble", "0"], "ensemble must be a whole number ≥ 1"),
        (["--model", "resnet"], "unknown model 'resnet'"),
        (["--model_args", "{hidden: 8, depth: 3}"], "unknown model_args for gnn: depth"),
        (["--featurizer_settings", "{cutof: 1.5}"], "bad settings for featurizer 'graph'"),
        (["--featurizer_settings", "{cutoff: 2.0}"], "the graph's cutoff (2.0) and the model's"),
        (["--hold_out", "[bcc110]"], "hold_out names families not in"),
        (["--threads", "0"], "threads must be a whole number ≥ 1"),
        (["--resume", "true", "--devices", "2"], "resume works on one device"),
    ],
)
def test_bad_training_options_are_refused_before_any_work(capsys, tmp_path, film, override,
                                                          message):  # fmt: skip
    root = synthetic_dataset(tmp_path / "ds", film, 6)
    out = tmp_path / "run"
    args = ["train", "-c", "configs/train/gnn.yaml", "--data", str(root), "--out", str(out),
            "--cache_dir", str(tmp_path / "cache"), *override]  # fmt: skip
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "cache").exists()  # nothing written, featurized


@pytest.mark.slow
@pytest.mark.parametrize("model", ["gnn", "painn"])
def test_graph_models_learn_more_than_the_mean(tmp_path, film, model):
    """A short training run of every graph model beats predicting the training mean on the test
    part of a data set whose T_n falls with the disorder of the contact layer."""
    root = synthetic_dataset(tmp_path / "ds", film, 24)
    out = tmp_path / model
    args = ["train", "-c", f"configs/train/{model}.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "40", "--patience", "40", "--batch_size", "4", "--loggers", "[csv]",
            "--lr", "0.003", "--model_args", "{hidden: 16, layers: 2, cutoff: 1.5}"]  # fmt: skip
    assert cli.main(args) == 0
    test = json.loads((out / "metrics.json").read_text())["test"]
    assert test["rmse"] < 0.5 * test["rmse_mean_baseline"], test


def test_resume_reuses_finished_fits_and_retrains_changed_ones(capsys, tmp_path, film, monkeypatch):
    """A killed run goes on from its finished fits: with ``--resume true`` a fit whose key (config,
    seed, split, data) is unchanged is reloaded, not trained again; a changed one trains anew."""
    root = synthetic_dataset(tmp_path / "ds", film, 16)
    out = tmp_path / "run"
    args = ["train", "-c", "configs/train/gnn.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "2", "--batch_size", "4", "--loggers", "[csv]", "--ensemble", "2",
            "--lofo", "true", "--threads", "1", "--resume", "true",
            "--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}"]  # fmt: skip
    assert cli.main(args) == 0
    first = json.loads((out / "metrics.json").read_text())
    fits = sorted(out.rglob("fit.json"))
    assert len(fits) == 4  # two members, two families left out
    # a fit's record is written when it trains (the checkpoints are rewritten by the calibration)
    stamps = {f: f.stat().st_mtime_ns for f in fits}
    # a run killed after its fits: the metrics are gone, the fits are kept
    (out / "metrics.json").unlink()
    (out / "lofo" / "fcc111" / "fit.json").unlink()
    assert cli.main(args) == 0
    second = json.loads((out / "metrics.json").read_text())
    assert second["test"]["rmse"] == pytest.approx(first["test"]["rmse"], rel=1e-6)
    assert second["leave_one_family_out"]["fcc100"] == first["leave_one_family_out"]["fcc100"]
    lost = out / "lofo" / "fcc111" / "fit.json"
    assert lost.exists()  # trained again
    assert all(f.stat().st_mtime_ns == stamp for f, stamp in stamps.items() if f != lost)
    # a changed setting changes every key: everything trains again
    assert cli.main([*args, "--lr", "0.002"]) == 0
    assert all(f.stat().st_mtime_ns != stamp for f, stamp in stamps.items())
    # each fit trained again replaced its checkpoint (no best-v1.ckpt beside a stale best.ckpt)
    assert sorted(p.name for p in out.rglob("*.ckpt")) == ["best.ckpt"] * 4
    # a fit begun again forgets the one it replaces before it trains: killed while training (its
    # checkpoint half replaced), the old settings resumed train again instead of loading it
    import lightning.pytorch as pl

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pl.Trainer, "fit", killed)
    assert cli.main([*args, "--lr", "0.003"]) == 130
    assert not (out / "member0" / "fit.json").exists()
    capsys.readouterr()
