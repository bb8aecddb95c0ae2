"""nucleate predict: a trajectory, a new substrate through the training protocol, bad input."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from ase.io import write
from conftest import shaken, synthetic_dataset

from nucleate import cli
from nucleate.data.substrates import fcc_slab


def _train(tmp_path, root, extra=()):
    out = tmp_path / "gnn"
    args = ["train", "-c", "configs/train/gnn.yaml", "--data", str(root), "--out", str(out),
            "--max_epochs", "2", "--loggers", "[csv]", "--ensemble", "2",
            "--model_args", "{hidden: 8, layers: 1, cutoff: 1.5}", *extra]  # fmt: skip
    assert cli.main(args) == 0
    return out


def test_predict_a_trajectory_with_an_ensemble(capsys, tmp_path, film):
    run = _train(tmp_path, synthetic_dataset(tmp_path / "ds", film, 12))
    atoms, _, _ = film(size=(5, 5), n_liquid=5)
    write(tmp_path / "new.extxyz", shaken(atoms, 0.07, 2, seed=99))
    out = tmp_path / "p"
    code = cli.main(["predict", "--model", f"[{run}]", "--trajectory", str(tmp_path / "new.extxyz"),
                     "--substrate_types", "[1]", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (p,) = json.loads((out / "prediction.json").read_text())
    assert (out / "prediction.png").stat().st_size > 5000
    assert len(p["members"]) == 2 and p["tn_std"] >= 0 and 0.0 < p["tn"] < 2.0
    assert "T_n =" in capsys.readouterr().out
    # an existing --out is refused, untouched, unless --overwrite true replaces it as a whole
    (out / "old.txt").write_text("from an earlier run")
    again = ["predict", "--model", f"[{run}]", "--trajectory", str(tmp_path / "new.extxyz"),
             "--substrate_types", "[1]", "--out", str(out), "--plot", "false"]  # fmt: skip
    assert cli.main(again) == 2 and "pass --overwrite true" in capsys.readouterr().err
    assert (out / "old.txt").exists() and (out / "prediction.png").exists()
    assert cli.main([*again, "--overwrite", "true"]) == 0
    assert (out / "prediction.json").exists() and not (out / "old.txt").exists()
    assert not (out / "prediction.png").exists()  # no earlier picture beside the new numbers
    assert not list(tmp_path.glob(".p.tmp*"))
    capsys.readouterr()
    # units the model was not trained in: an error, not a wrong number, and nothing written
    code = cli.main(["predict", "--model", f"[{run}]", "--trajectory", str(tmp_path / "new.extxyz"),
                     "--substrate_types", "[1]", "--units", "real", "--out",
                     str(tmp_path / "p2")])  # fmt: skip
    assert code == 2 and "trained in 'lj'" in capsys.readouterr().err
    assert not (tmp_path / "p2").exists() and not list(tmp_path.glob(".p2.tmp*"))
    # inputs far from the training films are refused in one line, before anything is written
    frames = shaken(atoms, 0.07, 2, seed=99)
    angstrom = [a.copy() for a in frames]
    for a in angstrom:
        a.set_cell(a.cell.array * 3.4, scale_atoms=True)  # the same film written in Å
    other = atoms[[i for i in range(len(atoms)) if atoms.numbers[i] != 1 or i % 7]]
    two = [frames[0], other]  # two systems: another substrate
    gas = atoms[[i for i in range(len(atoms)) if atoms.numbers[i] == 1 or i % 40 == 0]]
    gas.set_cell(gas.cell.array * [1, 1, 3], scale_atoms=False)
    for name, images, message in (
        ("angstrom", angstrom, "are the frames in Å while the model is in LJ units"),
        ("two", two, "the trajectory holds different systems"),
        ("gas", [gas], "no liquid layer|a gas or a vapour"),
    ):
        write(tmp_path / f"{name}.extxyz", images)
        code = cli.main(["predict", "--model", f"[{run}]", "--trajectory",
                         str(tmp_path / f"{name}.extxyz"), "--substrate_types", "[1]", "--out",
                         str(tmp_path / f"p-{name}")])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and re.search(message, err), (name, err)
        assert len(err.strip().splitlines()) == 1 and not (tmp_path / f"p-{name}").exists()
    code = cli.main(["predict", "--model", f"[{run}]", "--trajectory", str(tmp_path / "new.extxyz"),
                     "--substrate_types", "[7]", "--out", str(tmp_path / "p-nosub")])  # fmt: skip
    assert code == 2 and "no substrate atoms" in capsys.readouterr().err
    # a checkpoint from another version is refused
    ckpt = run / "member0" / "checkpoints" / "best.ckpt"
    state = torch.load(ckpt, weights_only=False)
    state["hyper_parameters"]["meta"]["nucleate_version"] = "9.9.0"
    torch.save(state, tmp_path / "old.ckpt")
    code = cli.main(["predict", "--model", f"[{tmp_path / 'old.ckpt'}]", "--trajectory",
                     str(tmp_path / "new.extxyz"), "--substrate_types", "[1]", "--out",
                     str(tmp_path / "p-old")])  # fmt: skip
    assert code == 2 and "made by nucleate 9.9.0" in capsys.readouterr().err


@pytest.mark.slow
def test_predict_a_new_substrate_through_md(capsys, tmp_path, film):
    from dataclasses import asdict, fields

    import yaml

    from nucleate.cli import build_parser
    from nucleate.data.campaign import Campaign
    from nucleate.data.dataset import to_plain

    # the checkpoint carries the protocol of its data set: here the tiny campaign's
    data = synthetic_dataset(tmp_path / "ds", film, 12)
    parser = build_parser()
    cfg = parser.instantiate(parser.parse_args(["generate", "-c", "configs/data/tiny.yaml"]))
    campaign = Campaign(**{f.name: cfg.generate[f.name] for f in fields(Campaign)})
    (data / "campaign.yaml").write_text(yaml.safe_dump(to_plain(asdict(campaign))))
    run = _train(tmp_path, data)
    slab = fcc_slab("111", 1.617 * 1.03, n_layers=2, min_lateral=6.0)
    write(tmp_path / "slab.extxyz", slab)
    out = tmp_path / "p"
    # a slab file and a generated slab, two interaction strengths: a screen of four, ranked
    code = cli.main(["predict", "--model", f"[{run}]", "--substrate",
                     f"[{tmp_path / 'slab.extxyz'}, 'fcc100:-0.02']", "--eps_sl", "[0.5, 1.5]",
                     "--workers", "2", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    results = json.loads((out / "prediction.json").read_text())
    assert {r["id"] for r in results} == {"slab_e0.50", "slab_e1.50", "fcc100_m-02.0_e0.50",
                                          "fcc100_m-02.0_e1.50"}  # fmt: skip
    tns = [r["tn"] for r in results]
    assert tns == sorted(tns, reverse=True)
    rows = (out / "predictions.csv").read_text().splitlines()
    assert rows[0].startswith("rank,id") and len(rows) == 5
    assert (out / "prediction.png").stat().st_size > 5000
    # the kept frames are the interfacial region the data set stores: predicting them again
    # through --trajectory gives the same number
    frames = results[0]["frames"]
    code = cli.main(["predict", "--model", f"[{run}]", "--trajectory", frames, "--out",
                     str(tmp_path / "again"), "--plot", "false"])  # fmt: skip
    assert code == 0
    (again,) = json.loads((tmp_path / "again" / "prediction.json").read_text())
    assert abs(again["tn"] - results[0]["tn"]) < 1e-5
    code = cli.main(
        ["predict", "--model", f"[{run}]", "--substrate", f"[{tmp_path / 'slab.extxyz'}]"]
    )
    assert code == 2 and "--eps_sl" in capsys.readouterr().err
    code = cli.main(["predict", "--model", f"[{run}]", "--substrate", "[fcc112:0.01]",
                     "--eps_sl", "[1.0]"])  # fmt: skip
    assert code == 2 and "<family>:<value>" in capsys.readouterr().err
    code = cli.main(["predict", "--model", f"[{run}]", "--substrate", "[fcc111:3]",
                     "--eps_sl", "[1.0]"])  # fmt: skip
    assert code == 2 and "fraction" in capsys.readouterr().err


def test_protocol_overrides_are_checked():
    import pytest

    from nucleate.errors import InputError
    from nucleate.predict.core import with_protocol

    campaign = {"equilibrium": {"t_eq": 0.68, "melt_time": 20.0, "n_frames": 20}}
    fast = with_protocol(campaign, {"melt_time": 5.0, "n_frames": 4})
    assert fast["equilibrium"] == {"t_eq": 0.68, "melt_time": 5.0, "n_frames": 4}
    assert campaign["equilibrium"]["melt_time"] == 20.0  # the checkpoint's protocol is untouched
    assert with_protocol(campaign, None) is campaign
    with pytest.raises(InputError, match="unknown equilibrium settings"):
        with_protocol(campaign, {"melt_tme": 5.0})
    with pytest.raises(InputError, match="t_eq"):
        with_protocol(campaign, {"t_eq": 0.6})


def test_predict_refuses_a_trajectory_without_liquid_layer(capsys, tmp_path, film):
    import numpy as np

    run = _train(tmp_path, synthetic_dataset(tmp_path / "ds", film, 12))
    atoms, _, _ = film(size=(5, 5), n_liquid=5)
    gas = atoms.copy()
    liquid = gas.get_array("type") != 1 if "type" in gas.arrays else gas.numbers != gas.numbers[0]
    rng = np.random.default_rng(0)
    top = gas.positions[~liquid, 2].max()
    gas.cell[2, 2] = top + 60.0
    pos = gas.positions.copy()  # a dilute gas far above the surface: no layer on it
    pos[liquid, 2] = top + 20.0 + 30.0 * rng.random(liquid.sum())
    gas.positions = pos
    write(tmp_path / "gas.extxyz", gas)
    code = cli.main(["predict", "--model", f"[{run}]", "--trajectory", str(tmp_path / "gas.extxyz"),
                     "--substrate_types", "[1]", "--out", str(tmp_path / "p")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "nucleate: error:" in err and "layer" in err, err


def test_shipped_model_found_from_another_directory(tmp_path, monkeypatch, capsys):
    """`--model models/...` as the README writes it, run outside the repository."""
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(tmp_path)
    sample = root / "data/lj-fcc-v1/samples/fcc111_m+00.0_e1.00/frames.extxyz.gz"
    argv = ["predict", "--model", "[models/lj-fcc-v1/gnn]", "--trajectory", str(sample),
            "--plot", "false", "--out", "here"]  # fmt: skip
    import torch

    assert cli.main([*argv, "--threads", "1"]) == 0
    assert torch.get_num_threads() == 1
    assert (tmp_path / "here" / "predictions.csv").exists()
    assert cli.main([*argv[:2], "[models/none]", *argv[3:-1], "there"]) == 2
    assert "looked in the working directory" in capsys.readouterr().err
    assert cli.main([*argv, "--threads", "0", "--overwrite", "true"]) == 2
    assert "threads must be a whole number" in capsys.readouterr().err


def test_graph_model_refuses_species_it_never_saw(tmp_path, capsys):
    """Liquid and substrate types swapped (as a LAMMPS set-up may number them): the GNN, which
    embeds species, refuses in one line; the CNN, which sees densities only, marks it."""
    from nucleate.data.io import read_frames, to_ase

    root = Path(__file__).resolve().parents[2]
    frame = read_frames(
        root / "data/lj-fcc-v1/samples/fcc111_m+00.0_e1.00/frames.extxyz.gz", index=-1
    )[0]
    atoms = to_ase(frame)
    atoms.numbers = np.where(
        frame.substrate, 2, 1
    )  # the masks in the file still say which is which
    write(tmp_path / "swapped.extxyz", atoms)
    common = ["predict", "--trajectory", str(tmp_path / "swapped.extxyz"), "--plot", "false"]
    out = tmp_path / "gnn"
    assert (
        cli.main([*common, "--model", f"[{root / 'models/lj-fcc-v1/gnn'}]", "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert "renumber the types" in err and err.count("\n") == 1 and not out.exists()
    assert (
        cli.main(
            [*common, "--model", f"[{root / 'models/lj-fcc-v1/cnn'}]", "--out", str(tmp_path / "c")]
        )
        == 0
    )
    assert "not in training" in (tmp_path / "c" / "predictions.csv").read_text()


def test_gnn_refuses_a_substrate_species_it_never_embedded(tmp_path, capsys):
    """A two-component substrate (type 3) for the shipped GNN, trained on types 1 and 2 only."""
    root = Path(__file__).resolve().parents[2]
    sample = next(
        p for p in sorted((root / "data/lj-mix-v1/samples").iterdir()) if "alloy" in p.name
    )
    out = tmp_path / "o"
    argv = ["predict", "--model", f"[{root / 'models/lj-fcc-v1/gnn'}]", "--trajectory",
            str(sample / "frames.extxyz.gz"), "--plot", "false", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 2
    assert "species [3] the model never saw" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("command", ["predict", "report"])
def test_a_damaged_metrics_json_is_one_line(tmp_path, capsys, command):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text("{bad")
    root = Path(__file__).resolve().parents[2]
    sample = root / "data/lj-fcc-v1/samples/fcc111_m+00.0_e1.00/frames.extxyz.gz"
    out = tmp_path / "out"
    argv = (["predict", "--model", f"[{run}]", "--trajectory", str(sample), "--out", str(out)]
            if command == "predict" else ["report", f"[{run}]", "--out", str(out)])  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "metrics.json: damaged, not JSON" in err and err.count("\n") == 1 and not out.exists()


def test_several_trajectories_are_predicted_in_one_process_and_ranked(tmp_path, capsys):
    """A screen of trajectories one has simulated: each gets the T_n it gets alone (a descriptor
    model, each with its own ε_sl), the ranking is by T_n, ids tell apart files of one name, and
    the ε_sl values must be one for all or one each."""
    root = Path(__file__).resolve().parents[2]
    samples = root / "data/lj-fcc-v1/samples"
    runs = [
        ("fcc111_m+00.0_e1.00", 1.0),
        ("fcc100_m+00.0_e0.40", 0.4),
        ("fcc110_m+01.5_e2.00", 2.0),
    ]
    paths = [str(samples / sid / "frames.extxyz.gz") for sid, _ in runs]
    model = ["predict", "--model", f"[{root / 'models/lj-fcc-v1/descriptors'}]", "--plot", "false"]
    alone = {}
    for (sid, eps), path in zip(runs, paths, strict=True):
        out = tmp_path / sid
        argv = [*model, "--trajectory", path, "--eps_sl", f"[{eps}]", "--out", str(out)]
        assert cli.main(argv) == 0
        alone[sid] = json.loads((out / "prediction.json").read_text())[0]["tn"]
    argv = [*model, "--trajectory", f"[{', '.join(paths)}]", "--out", str(tmp_path / "screen"),
            "--eps_sl", f"[{', '.join(str(e) for _, e in runs)}]"]  # fmt: skip
    assert cli.main(argv) == 0
    got = json.loads((tmp_path / "screen" / "prediction.json").read_text())
    assert [r["id"] for r in got] == sorted(
        [f"{sid}/frames" for sid, _ in runs], key=lambda i: -alone[i.split("/")[0]]
    )
    for r in got:
        assert r["tn"] == pytest.approx(alone[r["id"].split("/")[0]], abs=1e-12)
    assert [r["tn"] for r in got] == sorted((r["tn"] for r in got), reverse=True)
    capsys.readouterr()
    bad = [*argv[:-1], "[1.0, 0.4]", "--out", str(tmp_path / "bad")]
    assert cli.main(bad) == 2
    assert "3 trajectories" in capsys.readouterr().err


def test_propensity_reads_one_trajectory_given_as_a_list_of_one():
    from nucleate.errors import InputError
    from nucleate.predict.command import PredictConfig

    one = PredictConfig(model=["m"], trajectory=["a.extxyz"], task="propensity")
    one.validate()
    assert one.trajectories == ["a.extxyz"]
    with pytest.raises(InputError, match="one trajectory at a time"):
        PredictConfig(
            model=["m"], trajectory=["a.extxyz", "b.extxyz"], task="propensity"
        ).validate()
    with pytest.raises(InputError, match="named twice"):
        PredictConfig(model=["m"], trajectory=["a.extxyz", "a.extxyz"]).validate()


@pytest.mark.slow
def test_a_committee_of_descriptor_models_with_other_settings(tmp_path, capsys, film,
                                                               monkeypatch):  # fmt: skip
    """Descriptor models whose featurizer settings differ (a liquid-only and a substrate model)
    predict together: each reads descriptors made with its own settings, the committee gives
    their mean and a σ from their own σ and their spread, and calls an input far from training
    when one member does; a network beside them is refused."""
    from nucleate.models.descriptor_model import DescriptorModel
    from nucleate.train.select import SelectConfig, run_selection

    root = synthetic_dataset(tmp_path / "ds", film, 16)
    ships = []
    for name, settings, kinds in (("liq", {"stride": 2}, ["liquid"]), ("all", {}, None)):
        ships.append(tmp_path / name)
        run_selection(SelectConfig(
            data=str(root), out=str(tmp_path / f"sel-{name}"), regressors=["gp"], cv_folds=3,
            max_features=3, cache_dir=str(tmp_path / "c"), featurizer_settings=settings,
            ship=str(ships[-1]), **({"kinds": kinds} if kinds else {}),
        ))  # fmt: skip
    frames = root / "samples" / "s03" / "frames.extxyz.gz"

    def predict(models, out):
        args = ["predict", "--model", "[" + ", ".join(map(str, models)) + "]", "--trajectory",
                str(frames), "--eps_sl", "1.0", "--out", str(tmp_path / out), "--plot", "false"]  # fmt: skip
        assert cli.main(args) == 0, capsys.readouterr().err
        (result,) = json.loads((tmp_path / out / "prediction.json").read_text())
        return result

    alone = [predict([s], f"p-{s.name}") for s in ships]
    both = predict(ships, "p-both")
    assert both["members"] == pytest.approx([a["tn"] for a in alone], rel=1e-9)
    assert both["tn"] == pytest.approx(np.mean([a["tn"] for a in alone]), rel=1e-9)
    spread = np.var([a["tn"] for a in alone], ddof=1)
    own = np.mean([a["tn_std"] ** 2 for a in alone])
    assert both["tn_std"] == pytest.approx(np.sqrt(own + spread), rel=1e-6)
    # (the two members were made with different featurizer settings)
    assert {DescriptorModel(s / "model.pkl").hparams.meta["featurizer_settings"].get("stride")
            for s in ships} == {2, None}  # fmt: skip
    # each member judges novelty in its own descriptors: one that calls the input far is enough
    assert both["far_from_training"] is False
    real = DescriptorModel.novelty

    def liquid_member_far(self, values):
        score, far = real(self, values)
        liq = self.path.parent.name == "liq"
        return (score + 3.0 * liq, far or liq)

    monkeypatch.setattr(DescriptorModel, "novelty", liquid_member_far)
    far = predict(ships, "p-far")
    assert far["far_from_training"] is True
    monkeypatch.undo()
    # ... and the committee is as novel as that member finds it (the larger score, not the mean)
    liq = next(a for a, s in zip(alone, ships, strict=True) if s.name == "liq")
    assert far["novelty"] == pytest.approx(liq["novelty"] + 3.0, rel=1e-9)
    run = _train(tmp_path, root)
    args = ["predict", "--model", f"[{ships[0]}, {run}]", "--trajectory", str(frames),
            "--out", str(tmp_path / "p-mixed"), "--plot", "false"]  # fmt: skip
    assert cli.main(args) == 2
    assert "different featurizers" in capsys.readouterr().err
