"""Propensity route: per-atom pair energy, whole-film graphs, the isoconfigurational campaign on a
tiny source data set, node-level training on synthetic KA-format files and `predict --per_atom`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import layered_film

from nucleate import cli
from nucleate.data.io import Selection, from_ase
from nucleate.errors import InputError
from nucleate.structure.order import PairEnergy

ROOT = Path(__file__).resolve().parents[2]
KA = {"1-1": [1.0, 1.0], "1-2": [1.5, 0.8], "2-2": [0.5, 0.88]}


def test_pair_energy_of_a_dimer_and_its_coarse_graining():
    r = 2 ** (1 / 6)
    pos = np.array([[1.0, 1.0, 1.0], [1.0 + r, 1.0, 1.0], [6.0, 6.0, 6.0]])
    pe = PairEnergy({"1-1": [1.0, 1.0]}, cutoff=2.5, coarse_grain=(1.5,))
    e = pe(pos, np.eye(3) * 12.0, True, np.array([1, 1, 1]))
    shift = 4 * (2.5**-12 - 2.5**-6)
    # each atom of the dimer carries half of V(r_min) = -1 (shifted), the lone atom nothing
    np.testing.assert_allclose(e[:, 0], [0.5 * (-1 - shift), 0.5 * (-1 - shift), 0.0], atol=1e-12)
    # the dimer's atoms average over both (equal), the lone atom over itself
    np.testing.assert_allclose(e[:, 1], e[:, 0], atol=1e-12)
    # species-resolved: an A-B pair at its own minimum 0.8 * 2^(1/6) has -1.5
    pos[1, 0] = 1.0 + 0.8 * r
    e2 = PairEnergy(KA, coarse_grain=())(pos, np.eye(3) * 12.0, True, np.array([1, 2, 1]))
    assert e2[0, 0] == pytest.approx(0.5 * (-1.5 - 1.5 * shift))
    assert pe.feature_names() == ["e_pair", "cg1.5_e_pair"]


def test_whole_film_graph_keeps_every_liquid_atom_with_heights():
    from nucleate.featurize.graphs import GraphFeaturizer

    atoms, dz, _ = layered_film(n_liquid=6, noise=0.02)
    frame = from_ase(atoms, Selection(substrate_types=(1,)))
    g = GraphFeaturizer(layers=None)(frame)
    liquid = g.node_type == 0
    assert liquid.sum() == frame.liquid.sum()
    # heights grow plane by plane: the highest liquid atoms sit about 6 planes up
    assert g.height[liquid].max() == pytest.approx(6 * dz, abs=0.15)
    assert g.height[liquid].min() == pytest.approx(dz, abs=0.15)


def _ka_like(path: Path, n: int, seed: int, replicas: int = 8) -> None:
    """A small random binary mixture in the KA file format whose displacements grow with the
    local density at r = 1 (a planted structure-dynamics link) plus replica noise."""
    from nucleate.structure.order import RadialBondOrder

    rng = np.random.default_rng(seed)
    side = (n / 1.2) ** (1 / 3)
    types = (rng.random(n) < 0.2).astype(np.int8)
    x0 = rng.random((n, 3)) * side
    rb = RadialBondOrder(shells=(1.0,), ls=(6,), coarse_grain=None)
    g = rb(x0, np.eye(3) * side, True, types + 1)[:, 0]
    scale = 0.2 + 0.4 * (g - g.min()) / (np.ptp(g) + 1e-9)
    disp = rng.normal(size=(replicas, n, 3)) * scale[None, :, None] * 0.5
    np.savez(path, types=types, initial_positions=x0, positions=x0[None] + disp)


def test_propensity_training_on_ka_files_and_per_atom_prediction(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative run directory, as users give it
    data = tmp_path / "ka"
    data.mkdir()
    for k in range(3):
        _ka_like(data / f"isoconfig_N160_{k}.npz", 160, seed=k)
    out = tmp_path / "run"
    cfg = {"propensity": {
        "data": str(data), "out": "run", "cache_dir": str(tmp_path / "cache"),
        "local_order": {"shells": [1.0, 1.5], "width": 0.1, "ls": [6], "coarse_grain": [1.5],
                        "species": [1, 2]},
        "pair_energy": {"pairs": KA, "coarse_grain": [1.5]},
        "target_species": [1], "model_args": {"hidden": 8, "layers": 1, "use_height": False},
        "folds": 0, "max_epochs": 3, "patience": 3, "loggers": ["csv"],
        "ridge_alphas": [0.1, 1.0, 10.0], "ship": "shipped", "ensemble": 2,
    }}  # fmt: skip
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(cfg))
    assert cli.main(["train", "-c", str(tmp_path / "p.yaml")]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["n_configs"] == 3 and len(m["folds"]) == 3
    for route in ("gnn", "ridge"):
        assert len(m[route]["r_per_config"]) == 3 and np.isfinite(m[route]["r_pooled"])
    # the ridge finds the planted energy-mobility link on held-out configurations
    assert m["ridge"]["r_mean"] > 0.5
    assert 0 < m["ceiling"] <= 1
    # two networks per fold and in the final model, each with its validation group
    assert all(len(f["members"]) == 2 for f in m["folds"])
    assert m["final"]["members"][0]["val_group"] == m["final"]["val_group"]
    assert (out / "parity.png").exists()
    assert m["checkpoints"] == ["checkpoints/final.ckpt", "checkpoints/final-m1.ckpt"]
    # the descriptors were cached: a second featurization reads them
    assert len(list((tmp_path / "cache" / "propensity").glob("*.npz"))) == 3

    # per-atom prediction on one configuration written as extxyz
    from nucleate.data.io import write_frames
    from nucleate.data.propensity import read_isoconfig

    s = read_isoconfig(data / "isoconfig_N160_0.npz")
    write_frames(tmp_path / "ka.extxyz", s.frame)
    pred = tmp_path / "pred"
    shipped = tmp_path / "shipped"  # exported without optimizer state: predict reads it
    assert (shipped / "checkpoints" / "final.ckpt").exists()
    assert (shipped / "checkpoints" / "final-m1.ckpt").exists()
    assert cli.main(["predict", "--per-atom", "true", "--model", f"[{shipped}]", "--trajectory",
                     str(tmp_path / "ka.extxyz"), "--out", str(pred)]) == 0  # fmt: skip
    from ase.io import read

    atoms = read(pred / "per_atom.extxyz")
    p = atoms.arrays["predicted_propensity"]
    assert p.shape == (160,) and np.isfinite(p).all()
    # the two members differ (own seeds): the spread is the ensemble's, not zero
    assert np.all(atoms.arrays["predicted_propensity_std"] > 0)
    assert (pred / "per_atom.png").exists()

    # a T_n checkpoint is refused with a clear message
    from nucleate.errors import InputError
    from nucleate.predict.per_atom import load_propensity_checkpoints

    with pytest.raises(InputError, match="not a nucleate propensity checkpoint"):
        load_propensity_checkpoints([str(ROOT / "models/lj-fcc-v1/gnn")])


def test_propensity_model_on_inherent_states(tmp_path, monkeypatch):
    """``state: inherent``: training reads each configuration's energy minimum (LAMMPS, cached
    by content), records what it cost, and prediction minimises its input the same way."""
    from nucleate.data.io import write_frames
    from nucleate.data.propensity import read_isoconfig
    from nucleate.train.propensity import PropensityTrainConfig, build_graph, featurizer_settings

    monkeypatch.setenv("NUCLEATE_CACHE", str(tmp_path / "user-cache"))
    data = tmp_path / "ka"
    data.mkdir()
    for k in range(3):
        _ka_like(data / f"isoconfig_N160_{k}.npz", 160, seed=k)
    section = {
        "data": str(data), "out": str(tmp_path / "run"), "cache_dir": str(tmp_path / "cache"),
        "local_order": {"shells": [1.0, 1.5], "width": 0.1, "ls": [6], "coarse_grain": [1.5],
                        "species": [1, 2]},
        "pair_energy": {"pairs": KA, "coarse_grain": [1.5]}, "state": "inherent",
        "target_species": [1], "model_args": {"hidden": 8, "layers": 0, "use_height": False},
        "folds": 0, "max_epochs": 2, "patience": 2, "loggers": [], "threads": 1,
        "ridge_alphas": [1.0], "ship": str(tmp_path / "shipped"), "final_model": "ridge",
    }  # fmt: skip
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"propensity": section}))
    assert cli.main(["train", "-c", str(tmp_path / "p.yaml")]) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["state"] == "inherent" and m["state_seconds_per_config"] > 0
    assert m["final"]["model"] == "ridge"
    assert len(list((tmp_path / "cache" / "states").glob("inherent-*.npz"))) == 3

    # the minimum's pair energy is far below the random configuration's: the graph reads it
    s = read_isoconfig(data / "isoconfig_N160_0.npz")
    cfg = PropensityTrainConfig(**{k: v for k, v in section.items() if k != "ship"})
    given = build_graph(s.frame, {**featurizer_settings(cfg), "state": "given"})
    minimum = build_graph(s.frame, featurizer_settings(cfg))
    e_pair = -2  # the per-particle pair energy, before its one coarse-grained average
    assert minimum.node_features[:, e_pair].mean() < given.node_features[:, e_pair].mean() - 1.0

    write_frames(tmp_path / "ka.extxyz", s.frame)
    argv = ["predict", "--per_atom", "true", "--model", f"[{tmp_path / 'shipped'}]",
            "--trajectory", str(tmp_path / "ka.extxyz"), "--out", str(tmp_path / "pred"),
            "--plot", "false"]  # fmt: skip
    assert cli.main(argv) == 0
    assert len(list((tmp_path / "user-cache" / "states").glob("inherent-*.npz"))) == 2


def _film_propensity_set(root: Path, n: int = 3) -> Path:
    """A film propensity data set of ``n`` shaken fcc(111) films (types 1 substrate, 2 liquid),
    mobility growing with height, made "from" a source data set holding the campaign's
    potential (the layout `nucleate generate` writes)."""
    from nucleate.data.io import write_frames
    from nucleate.data.simulate.md import Potential

    source = root / "source"
    source.mkdir(parents=True)
    pot = Potential()
    (source / "campaign.yaml").write_text(yaml.safe_dump({
        "potential": {"units": pot.units, "pair_style": pot.pair_style,
                      "pair_coeffs": list(pot.pair_coeffs), "pair_modify": pot.pair_modify,
                      "masses": list(pot.masses)},
        "substrates": {"sigma_sl": 1.0}}))  # fmt: skip
    data = root / "films"
    (data / "samples").mkdir(parents=True)
    (data / "campaign.yaml").write_text(yaml.safe_dump({"propensity": {"source": str(source)}}))
    rows = []
    for k in range(n):
        atoms, _, top = layered_film(size=(4, 4), n_liquid=5, noise=0.08, seed=k)
        frame = from_ase(atoms, Selection(substrate_types=(1,)))
        rng = np.random.default_rng(k)
        h = frame.positions[:, 2] - top
        prop = np.where(frame.substrate, 0.0, 0.1 * h + rng.normal(0, 0.05, frame.n_atoms))
        frames = [frame.replace(arrays={"propensity": prop}, info={"ceiling": 0.9,
                                                                     "ceiling_contact": 0.8})]  # fmt: skip
        sid = f"film{k}"
        (data / "samples" / sid).mkdir()
        write_frames(data / "samples" / sid / "configs.extxyz.gz", frames)
        rows.append({"id": sid, "family": "fcc111", "eps_sl": 0.5 + 0.5 * k})
    with open(data / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    return data


@pytest.mark.slow
def test_film_propensity_on_inherent_states_needs_the_substrate_strength(tmp_path, monkeypatch):
    """Films: the inherent state is made with the source campaign's potential and each sample's
    eps_sl (held substrate); prediction minimises with the --eps_sl given and refuses without."""
    monkeypatch.setenv("NUCLEATE_CACHE", str(tmp_path / "user-cache"))
    data = _film_propensity_set(tmp_path)
    section = {
        "data": str(data), "out": str(tmp_path / "run"), "cache_dir": str(tmp_path / "cache"),
        "local_order": {"shells": [1.0, 1.5], "width": 0.1, "ls": [6], "coarse_grain": [1.5]},
        "state": "inherent", "model_args": {"hidden": 8, "layers": 1, "use_height": True},
        "folds": 0, "max_epochs": 2, "patience": 2, "loggers": [], "threads": 1,
        "ridge_alphas": [1.0], "ship": str(tmp_path / "shipped"),
    }  # fmt: skip
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"propensity": section}))
    assert cli.main(["train", "-c", str(tmp_path / "p.yaml")]) == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["state"] == "inherent" and m["state_seconds_per_config"] > 0
    made = sorted((tmp_path / "cache" / "states").glob("film-inherent-*.npz"))
    assert len(made) == 3  # one minimisation per sample, each with its own eps_sl
    traj = data / "samples" / "film0" / "configs.extxyz.gz"
    argv = ["predict", "--per_atom", "true", "--model", f"[{tmp_path / 'shipped'}]",
            "--trajectory", str(traj), "--substrate_types", "[1]", "--plot", "false"]  # fmt: skip
    assert cli.main([*argv, "--out", str(tmp_path / "refused")]) == 2
    assert cli.main([*argv, "--eps_sl", "[0.5]", "--out", str(tmp_path / "pred")]) == 0
    from ase.io import read

    p = read(tmp_path / "pred" / "per_atom.extxyz").arrays["predicted_propensity"]
    assert np.isfinite(p[atoms_liquid(traj)]).all()
    # the same frame and strength as in training: the user cache holds the same state
    user = sorted((tmp_path / "user-cache" / "states").glob("film-inherent-*.npz"))
    assert len(user) == 1 and user[0].name in {f.name for f in made}


def test_film_energy_node_features_read_the_substrate_strength(tmp_path):
    """film_energy adds each atom's pair energies (3 columns and their means per radius) computed
    with the sample's eps_sl: the substrate part scales with it, the liquid part does not;
    without eps_sl the graph is refused."""
    from nucleate.data.io import read_frames
    from nucleate.errors import InputError
    from nucleate.train.propensity import PropensityTrainConfig, build_graph, featurizer_settings

    data = _film_propensity_set(tmp_path, n=1)
    local = {"shells": [1.0], "width": 0.1, "ls": [6], "coarse_grain": None}
    plain = featurizer_settings(PropensityTrainConfig(data=str(data), local_order=local))
    cfg = PropensityTrainConfig(data=str(data), local_order=local, film_energy=[1.5])
    settings = featurizer_settings(cfg)
    assert settings["film_energy"]["cutoff"] == 2.5 and settings["film_energy"]["eps_ll"] == 1.0
    frame = read_frames(data / "samples" / "film0" / "configs.extxyz.gz")[0]
    base = build_graph(frame, plain)
    weak, strong = (build_graph(frame, settings, eps_sl=e) for e in (0.5, 2.0))
    assert weak.node_features.shape[1] == base.node_features.shape[1] + 6
    np.testing.assert_array_equal(weak.node_features[:, :-6], base.node_features)
    liquid = np.asarray(weak.node_type) == 0
    contact = liquid & (np.asarray(weak.height) < 1.2)
    e_sl = base.node_features.shape[1] + 1
    assert contact.any() and np.all(weak.node_features[contact, e_sl] != 0)
    np.testing.assert_allclose(strong.node_features[:, e_sl], 4 * weak.node_features[:, e_sl])
    np.testing.assert_array_equal(
        strong.node_features[:, e_sl - 1], weak.node_features[:, e_sl - 1]
    )
    with pytest.raises(InputError, match="give the substrate's --eps_sl"):
        build_graph(frame, settings)
    types = np.asarray(frame.types).copy()
    types[np.flatnonzero(frame.substrate)[0]] = 3  # a second substrate component
    with pytest.raises(InputError, match="one-component substrate"):
        build_graph(frame.replace(types=types), settings, eps_sl=1.0)


def atoms_liquid(path: Path) -> np.ndarray:
    from nucleate.data.io import read_frames

    return read_frames(path)[0].liquid


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"state": "relaxed"}, "state must be one of given, inherent, cage"),
        ({"state": "inherent", "pair_energy": None}, "needs the potential"),
        ({"state": "inherent", "cage": {"replicas": 2}}, "cage settings are given"),
        ({"state": "cage", "cage": {"replica": 2}}, "unknown cage settings"),
        ({"displacement": [1.5]}, "displacement needs a state"),
        ({"state": "cage", "descriptors_from": "given"}, "ignores the cage state"),
        ({"state": "cage", "descriptors_from": "cage"}, "descriptors_from must be"),
        ({"state": "inherent", "displacement": [0.0]}, "radii must be positive"),
        ({"film_energy": [1.5]}, "film_energy is for films"),
        ({"contact_weight": 1.0}, "contact_weight is for films"),
        ({"contact_weight": -0.5}, "contact_weight must be"),
        ({"ensemble": 0}, "ensemble must be a whole number"),
        ({"times_weight": 1.0}, "times_weight is for films"),
        ({"ensemble": 3, "final_model": "ridge"}, "ensemble is for networks"),
    ],
)
def test_propensity_states_refuse_bad_settings(change, message):
    from nucleate.errors import InputError
    from nucleate.train.propensity import PropensityTrainConfig

    base = {"pair_energy": {"pairs": KA}, "data": "isoconfig-files"}
    with pytest.raises(InputError, match=message):
        PropensityTrainConfig(**{**base, **change})


@pytest.mark.parametrize("film", [False, True])
def test_a_saved_ridge_predicts_what_the_ridge_does(tmp_path, film):
    """The ridge shipped as a node_linear checkpoint gives the fitted pipeline's predictions."""
    from types import SimpleNamespace

    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from nucleate import __version__
    from nucleate.models.linear import height_terms
    from nucleate.predict.per_atom import load_propensity_checkpoints
    from nucleate.train.propensity import predict_nodes, save_ridge

    rng = np.random.default_rng(3)
    n, f = 50, 6
    x = rng.normal(5.0, [1.0, 2.0, 0.1, 3.0, 1.0, 0.5], (n, f))
    height = rng.uniform(0.5, 6.0, n)
    graph = SimpleNamespace(
        node_features=x, height=height, node_type=np.zeros(n, int), species=np.ones(n, int),
        positions=rng.random((n, 3)), layer=np.zeros(n, int), edge_index=np.array([[0, 1], [1, 0]]),
        edge_vec=np.zeros((2, 3)), edge_dist=np.array([1.0, 1.0]), atom_index=np.arange(n),
    )  # fmt: skip
    inputs = np.hstack([x, height_terms(torch_tensor(height)).numpy()]) if film else x
    y = inputs @ rng.normal(size=inputs.shape[1]) + rng.normal(0, 0.1, n)
    ridge = make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(inputs, y)
    config = SimpleNamespace(graph=graph)
    meta = {"nucleate_version": __version__, "featurizer_settings": {}, "units": "lj"}
    path = save_ridge(ridge, config, film, meta, tmp_path / "final.ckpt")
    model = load_propensity_checkpoints([str(path)])[0]
    np.testing.assert_allclose(predict_nodes(model, graph), ridge.predict(inputs), atol=1e-4)


def torch_tensor(a):
    import torch

    return torch.as_tensor(a)


def test_propensity_campaign_on_a_tiny_source(tmp_path):
    """Two configurations x 4 replicas of a 150-atom film: the held substrate has zero propensity,
    the liquid does not; labels, ceilings and the manifest are written; a rerun does nothing, a
    rerun with other label settings is refused."""
    from dataclasses import replace

    from nucleate.data.propensity_campaign import PropensityCampaign
    from nucleate.data.runner import run_campaign

    c = yaml.safe_load((ROOT / "data/lj-fcc-v1/campaign.yaml").read_text())
    c["interface"]["n_liquid"] = 150
    c["substrates"]["min_lateral"] = 5.0
    c["equilibrium"].update(melt_time=1.0, eq_time=1.0, n_frames=1, frame_every=0.5)
    src = tmp_path / "src"
    src.mkdir()
    (src / "campaign.yaml").write_text(yaml.safe_dump(c))
    with open(ROOT / "data/lj-fcc-v1/manifest.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["id"] == "fcc111_m+00.0_e1.00"]
    with open(src / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    camp = PropensityCampaign(source=str(src), out=str(tmp_path / "prop"), n_configs=2,
                              n_replicas=4, times=[0.05, 0.1], t_star=0.1, workers=1)  # fmt: skip
    assert run_campaign(camp, progress=False)["complete"] == 1
    sample = tmp_path / "prop" / "samples" / "fcc111_m+00.0_e1.00"
    from nucleate.data.io import read_frames

    frames = read_frames(sample / "configs.extxyz.gz")
    assert len(frames) == 2
    for f in frames:
        p = f.arrays["propensity"]
        assert np.abs(p[f.substrate]).max() < 1e-6  # frozen region: zero
        assert p[f.liquid].min() > 0
        assert f.arrays["propensity_t"].shape == (f.n_atoms, 2)
        assert 0 < f.info["ceiling"] <= 1
    rec = json.loads((sample / "sample.json").read_text())
    assert rec["source_labels"]["tn"] == pytest.approx(float(rows[0]["tn"]))
    assert 5.0 < rec["labels"]["q_star"] < 8.0  # first peak of a dense LJ liquid's S(q)
    with np.load(sample / "ensemble.npz") as z:
        assert z["abs_displacement"].shape[:2] == (2, 4)
        assert np.all(z["fs"] <= 1.0 + 1e-9)
    with open(tmp_path / "prop" / "manifest.csv") as fh:
        assert [r["id"] for r in csv.DictReader(fh)] == ["fcc111_m+00.0_e1.00"]
    from nucleate.report.data_card import write_card

    write_card(tmp_path / "prop")  # the CLI writes it after the campaign; the task from its yaml
    card = (tmp_path / "prop" / "README.md").read_text()
    assert "noise ceiling" in card.lower() and (tmp_path / "prop" / "propensity.png").exists()
    assert run_campaign(camp, progress=False)["ran"] == 0
    assert run_campaign(replace(camp, workers=2), progress=False)["ran"] == 0  # free setting
    with pytest.raises(InputError, match="n_replicas"):
        run_campaign(replace(camp, n_replicas=8), progress=False)


def _bulk_ka_box(path: Path, n: int = 512, seed: int = 0) -> Path:
    """A cubic periodic box of KA particles (80 % A) at the KA density 1.2, slightly shaken."""
    from ase import Atoms
    from ase.io import write

    rng = np.random.default_rng(seed)
    side = round(n ** (1 / 3))
    length = (n / 1.2) ** (1 / 3)
    grid = np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), -1).reshape(-1, 3)
    pos = grid * (length / side) + rng.normal(0, 0.05, (n, 3))
    types = np.where(rng.permutation(n) < int(0.8 * n), 1, 2)
    write(path, Atoms(numbers=types, positions=pos, cell=[length] * 3, pbc=True))
    return path


def test_ka_model_card_command_runs_as_written_on_a_bulk_box(tmp_path, monkeypatch):
    """The command of models/ka3d-t044/README.md, run as written (only the file name is ours)."""
    import shlex

    card = (ROOT / "models/ka3d-t044/README.md").read_text()
    line = next(x.strip() for x in card.splitlines() if x.strip().startswith("nucleate predict"))
    monkeypatch.chdir(ROOT)
    _bulk_ka_box(tmp_path / "ka.extxyz")
    argv = [str(tmp_path / "ka.extxyz") if w == "ka.extxyz" else w for w in shlex.split(line)[1:]]
    assert cli.main([*argv, "--out", str(tmp_path / "out"), "--plot", "false"]) == 0
    from ase.io import read

    atoms = read(tmp_path / "out" / "per_atom.extxyz")
    prop = atoms.arrays["predicted_propensity"]
    assert np.isfinite(prop).all()  # every particle of a bulk box is liquid and predicted
    assert prop.std() > 0  # and they differ: structure is read, not a constant


@pytest.mark.parametrize(
    ("model", "source", "extra", "message"),
    [
        ("ka3d-t044", "film", [], "marks 216 substrate atoms"),
        ("ka3d-t044", "bulk", ["--substrate_types", "[1]"], "a bulk liquid has no substrate"),
        ("lj-fcc-v1", "bulk", [], "trained on liquid films on a substrate"),
    ],
)
def test_propensity_models_refuse_the_other_geometry(
    tmp_path, capsys, model, source, extra, message
):
    film = ROOT / "data/lj-fcc-v1/samples/fcc111_m+00.0_e1.00/frames.extxyz.gz"
    path = film if source == "film" else _bulk_ka_box(tmp_path / "ka.extxyz")
    out = tmp_path / "out"
    argv = ["predict", "--per_atom", "true", "--model", f"[{ROOT / 'models' / model / 'propensity'}]",
            "--trajectory", str(path), "--index=-1", *extra, "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
