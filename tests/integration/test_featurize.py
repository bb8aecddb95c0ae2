"""Featurizers end to end: invariances, brute-force checks, real units, the CLI and its cache."""

import csv
import json
import logging
import shutil
import time

import numpy as np
import pytest
from ase import Atoms
from ase.io import write
from conftest import shaken, synthetic_dataset

from nucleate import cli
from nucleate.data import dataset
from nucleate.data.io import Selection, from_ase, write_frames
from nucleate.errors import InputError
from nucleate.featurize.descriptors import InterfaceDescriptors, PairLJ, descriptor_table
from nucleate.featurize.graphs import GraphFeaturizer
from nucleate.featurize.images import DensityImage

SUB = Selection(substrate_types=(1,))


def test_graph_edges_equal_a_brute_force_minimum_image_search(film):
    atoms, _, _ = film(size=(5, 4), n_liquid=5, noise=0.12, orthogonal=True)
    frame = from_ase(atoms, SUB)
    cutoff = 1.4
    g = GraphFeaturizer(cutoff=cutoff, layers=(1, 2, 3))(frame)
    pos = g.positions
    lateral = frame.cell[:2, :2]
    brute = set()
    for a in range(len(pos)):
        for b in range(len(pos)):
            if a == b:
                continue
            best = np.inf
            for i in (-1, 0, 1):
                for j in (-1, 0, 1):
                    shift = np.array([*(i * lateral[0] + j * lateral[1]), 0.0])
                    best = min(best, np.linalg.norm(pos[b] + shift - pos[a]))
            if best < cutoff:
                brute.add((a, b))
    assert set(map(tuple, g.edge_index.T)) == brute


def test_lateral_shift_leaves_image_and_descriptors_unchanged(film):
    atoms, _, _ = film(size=(8, 8), n_liquid=6)
    frames = [from_ase(a, SUB) for a in shaken(atoms, 0.08, 3)]
    shift = np.array([2.345, -1.234, 0.0])  # not a lattice vector: across the periodic boundary
    moved = [f.replace(positions=f.positions + shift).wrapped() for f in frames]
    det = DensityImage(pixel=0.1, sigma=0.2, size=32, window="origin")
    a = det.render(det.points(frames), origin=(1.0, 1.0))
    b = det.render(det.points(moved), origin=(1.0 + shift[0], 1.0 + shift[1]))
    np.testing.assert_allclose(a, b, atol=1e-5)
    d = InterfaceDescriptors(a0=1.5496, pair=PairLJ(1.0))
    da, db = d(frames), d(moved)
    for name in da:
        assert db[name] == pytest.approx(da[name], rel=1e-6, abs=1e-6), name


def test_flat_substrate_has_zero_corrugation():
    # a dense square substrate (spacing 0.2 sigma) is flat to a liquid atom of size sigma
    n, s = 60, 0.2
    g = (np.arange(n) + 0.5) * s
    x, y = np.meshgrid(g, g, indexing="ij")
    sub = np.column_stack([x.ravel(), y.ravel(), np.zeros(n * n)])
    rng = np.random.default_rng(0)
    liq = np.column_stack([rng.uniform(0, n * s, (300, 2)), rng.uniform(1.0, 4.0, 300)])
    atoms = Atoms(
        numbers=[1] * len(sub) + [2] * len(liq), positions=np.concatenate([sub, liq]),
        cell=[n * s, n * s, 12.0], pbc=(True, True, False),
    )  # fmt: skip
    out = InterfaceDescriptors(pair=PairLJ(0.05), detector=None)(
        from_ase(atoms, SUB, units="lj"),
    )
    assert out["corrugation"] < 1e-6 * abs(out["e_ads_min"])
    assert out["h_ads_range"] == 0.0


def water_on_platinum():
    """Pt(111) (a = 3.92 Å) with three layers of 'water': O on a hexagonal lattice, two H each."""
    from ase.build import fcc111

    slab = fcc111("Pt", size=(6, 6, 3), a=3.92, orthogonal=True, vacuum=0.0)
    slab.pbc = (True, True, False)
    top = slab.positions[:, 2].max()
    cell = slab.cell.array.copy()
    nn = 3.92 / np.sqrt(2)
    sites = slab.positions[slab.positions[:, 2] > top - 0.1, :2]
    rng = np.random.default_rng(0)
    symbols, pos = [], []
    for k, height in enumerate((2.6, 5.4, 8.2)):
        for xy in sites[:: 1 + (k > 0)]:
            o = np.array([*xy, top + height]) + rng.normal(0, 0.1, 3)
            symbols += ["O", "H", "H"]
            pos += [o, o + np.array([0.96, 0.0, 0.0]), o + np.array([-0.24, 0.93, 0.0])]
    cell[2, 2] = top + 20.0
    atoms = slab + Atoms(symbols, positions=pos)
    atoms.set_cell(cell)
    atoms.pbc = (True, True, False)
    return atoms, top, nn


def test_real_units_water_oxygens():
    atoms, _top, nn = water_on_platinum()
    frame = from_ase(atoms, Selection(substrate_types=("Pt",), liquid_types=("O",)), units="real")
    assert frame.liquid.sum() == (atoms.symbols == "O").sum()
    out = InterfaceDescriptors(n_layers=2, pair=PairLJ(0.2, 2.8, 7.0))(frame)
    assert out["height_1"] == pytest.approx(2.6, abs=0.15)
    assert out["spacing_12"] == pytest.approx(2.8, abs=0.2)
    assert out["sub_nn"] == pytest.approx(nn, rel=1e-6)
    assert out["rho_areal_1"] == pytest.approx(36 / frame.lateral_area, rel=1e-6)  # O only
    img = DensityImage()(frame)  # Å defaults: 50 x 50 pixels of 0.4 Å
    assert img.shape == (1, 50, 50)
    assert img.sum() * 0.4**2 > 0
    g = GraphFeaturizer(cutoff=3.5 * 1.2, layers=(1,), substrate=False)(frame)
    assert g.units == "real" and set(g.species.tolist()) == {8}


def _tiny_dataset(root, film):
    atoms, _, _ = film(size=(6, 6), n_liquid=6)
    for k, eps in enumerate((0.5, 1.0)):
        frames = [from_ase(a, SUB) for a in shaken(atoms, 0.08, 2, seed=k)]
        staging = dataset.staging_dir(root, f"s{k}")
        write_frames(staging / "frames.extxyz.gz", frames)
        dataset.commit_sample(
            root, staging,
            {"id": f"s{k}", "family": "synthetic", "parameters": {"facet": "x", "eps_sl": eps},
             "labels": {"tn": 0.5 + 0.01 * k}},
        )  # fmt: skip
    dataset.write_manifest(root)


def test_featurize_cli_on_a_data_set_uses_its_cache(capsys, tmp_path, film, caplog):
    root = tmp_path / "ds"
    _tiny_dataset(root, film)
    cache = tmp_path / "cache"
    args = ["featurize", "--data", root, "--featurizer", "descriptors", "--out", tmp_path / "d",
            "--cache_dir", cache]  # fmt: skip
    assert cli.main([str(a) for a in args]) == 0
    table = (tmp_path / "d" / "descriptors.csv").read_text().splitlines()
    assert len(table) == 3 and table[0].startswith("id,rho_bulk")
    first = table[1]
    with caplog.at_level(logging.INFO):
        assert cli.main([str(a) for a in args]) == 0
    assert "from the cache" in caplog.text
    assert (tmp_path / "d" / "descriptors.csv").read_text().splitlines()[1] == first
    n_cached = len(list((cache / "features").glob("*.npz")))
    assert cli.main([str(a) for a in [*args, "--force", "true"]]) == 0
    assert len(list((cache / "features").glob("*.npz"))) == n_cached  # same keys, rebuilt
    meta = json.loads((tmp_path / "d" / "featurizer.json").read_text())
    assert meta["name"] == "descriptors" and meta["samples"] == 2
    # images with a picture
    img_args = ["featurize", "--data", root, "--featurizer", "density_image", "--settings",
                "{size: 24, layers: [1, 2]}", "--out", tmp_path / "i", "--cache_dir", cache,
                "--plot", tmp_path / "i.png"]  # fmt: skip
    assert cli.main([str(a) for a in img_args]) == 0
    with np.load(tmp_path / "i" / "images.npz") as data:
        assert data["images"].shape == (2, 2, 24, 24)
    assert (tmp_path / "i.png").stat().st_size > 5000
    # without --out: under the cache folder, never into the data set
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    bare = ["featurize", "--data", root, "--featurizer", "density_image", "--cache_dir", cache]
    assert cli.main([str(a) for a in bare]) == 0
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    (written,) = (cache / "outputs").glob("ds-density_image-*")
    assert (written / "images.npz").exists()
    capsys.readouterr()
    # a swapped sample file is caught before its warm cache entry is used
    import shutil

    samples = sorted((root / "samples").iterdir())
    shutil.copy(samples[1] / "frames.extxyz.gz", samples[0] / "frames.extxyz.gz")
    assert cli.main([str(a) for a in args]) == 2
    assert "differs from the manifest's sha256" in capsys.readouterr().err


def test_featurize_cli_on_a_trajectory_file(capsys, tmp_path, film):
    atoms, _, _ = film(size=(5, 5), n_liquid=5)
    write(tmp_path / "t.extxyz", shaken(atoms, 0.05, 2))
    args = ["featurize", "--trajectory", tmp_path / "t.extxyz", "--substrate_types", "[1]",
            "--featurizer", "graph", "--out", tmp_path / "g", "--cache_dir", tmp_path / "c"]  # fmt: skip
    assert cli.main([str(a) for a in args]) == 0
    with np.load(tmp_path / "g" / "t.extxyz.npz") as data:
        assert data["edge_index"].shape[0] == 2
    code = cli.main(["featurize", "--featurizer", "graph"])
    assert code == 2 and "either --data" in capsys.readouterr().err
    code = cli.main(["featurize", "--trajectory", str(tmp_path / "t.extxyz"), "--substrate_types",
                     "[1]", "--settings", "{nonsense: 1}", "--cache_dir", str(tmp_path / "c")])  # fmt: skip
    assert code == 2 and "bad settings" in capsys.readouterr().err


@pytest.mark.slow
def test_select_cli_end_to_end(capsys, tmp_path, film):
    """The descriptor route on a small synthetic data set whose label follows the order of the
    contact layer (every third substrate censored): runs, reports, names the top descriptors with
    their kinds, and ships the regressor with its censoring classifier."""
    root = tmp_path / "ds"
    synthetic_dataset(root, film, 20, censor_every=3)
    with open(root / "campaign.yaml", "a") as fh:
        fh.write("name: synthetic-v0\n")
    out = tmp_path / "sel"
    start = time.perf_counter()
    code = cli.main(["select", "--data", str(root), "--out", str(out), "--cv_folds", "3",
                     "--split", "[0.7, 0.15, 0.15]", "--cache_dir", str(tmp_path / "c"),
                     "--regressors", "[ridge, gbr, gp]", "--ship", str(tmp_path / "shipped")])  # fmt: skip
    elapsed = time.perf_counter() - start
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    assert "top descriptors:" in stdout
    metrics = json.loads((out / "metrics.json").read_text())
    # the run's own wall time (the training cost the benchmarks state), within the call's
    assert 0 < metrics["seconds"] <= elapsed
    assert metrics["top4_liquid"] + metrics["top4_substrate"] == min(4, len(metrics["ranking"]))
    assert metrics["chosen"] in ("ridge", "gbr", "gp")
    # the card names the data set, not where it lay
    card = (tmp_path / "shipped" / "README.md").read_text()
    assert card.startswith("# Descriptor model of T_n for `synthetic-v0`\n")
    # the GP takes every cluster representative (no k from a curve); the chosen regressor is
    # refitted on the training and validation substrates before the test
    assert "gp" not in metrics["cv_rmse_vs_k"] and metrics["best_k"]["gp"] == metrics["n_clusters"]
    with open(out / "predictions.csv", newline="") as fh:
        pred_rows = list(csv.DictReader(fh))
    n_known = sum(r["split"] in ("train", "val") and r["censored"] == "False" for r in pred_rows)
    assert metrics["fitted_on"] == "train+val" and metrics["n_fit"] == n_known
    if metrics["chosen"] == "gp":  # the GP's own uncertainty, checked on the test part
        assert 0 <= metrics["test"]["coverage_2sigma"] <= 1 and metrics["test"]["mean_std"] > 0
        assert (
            "Matern(" in metrics["kernel"]
            and "Kernel: `" in (tmp_path / "shipped" / "README.md").read_text()
        )
    else:
        assert metrics["kernel"] is None
    # leaving a facet out, the GP (the only one here with its own σ) reports its ±2σ coverage
    cover = metrics["leave_one_family_out_coverage_2sigma"]
    assert set(cover) == {"gp"}
    assert set(cover["gp"]) == set(metrics["leave_one_family_out_rmse"]["gp"])
    assert all(0 <= v <= 1 for v in cover["gp"].values())
    # the chosen descriptors' ranges over the fit substrates travel with the model
    assert set(metrics["train_range"]) == set(metrics["chosen_features"])
    assert all(lo <= hi for lo, hi in metrics["train_range"].values())
    # the chosen regressor is saved as a model that `nucleate predict` reads from the run directory
    with open(out / "predictions.csv", newline="") as fh:
        expected = {r["id"]: r for r in csv.DictReader(fh)}["s03"]
    frames = root / "samples" / "s03" / "frames.extxyz.gz"
    assert "nucleate predict" in (tmp_path / "shipped" / "README.md").read_text()
    shipped = tmp_path / "shipped"
    args = ["predict", "--model", f"[{shipped}]", "--trajectory", frames, "--out", tmp_path / "p"]
    from nucleate.models.descriptor_model import DescriptorModel

    model = DescriptorModel(shipped / "model.pkl")
    # --eps_sl is needed exactly when the model reads a substrate descriptor
    code = cli.main([str(a) for a in args])
    assert (code == 2) == model.needs_eps_sl
    assert ("needs --eps_sl" in capsys.readouterr().err) == model.needs_eps_sl
    model.hparams.meta["columns"], model.hparams.meta["censoring"]["columns"] = ["psi6_1"], []
    assert not model.needs_eps_sl
    model.hparams.meta["censoring"]["columns"] = ["e_ads_min"]
    assert model.needs_eps_sl
    assert cli.main([str(a) for a in [*args, "--eps_sl", "[1.0]", "--overwrite", "true"]]) == 0, (
        capsys.readouterr().err
    )
    printed = capsys.readouterr().out
    p_below = float(printed.split("P(T_n < 0.35) = ")[1].split()[0])
    assert ("more likely than not below the floor" in printed) == (p_below > 0.5)
    assert (shipped / "censoring.pkl").exists() and "below the floor" in (
        shipped / "README.md"
    ).read_text()
    c = metrics["censoring"]
    assert c["floor"] == 0.35 and 0 < c["train_base_rate"] < 1
    assert set(c) >= {"val", "test"} and 0 <= c["test"]["brier"] <= 1
    (result,) = json.loads((tmp_path / "p" / "prediction.json").read_text())
    assert 0 <= result["p_below_floor"] <= 1 and result["floor"] == 0.35
    assert result["p_below_floor"] == pytest.approx(float(expected["p_below_floor"]), abs=1e-3)
    assert result["tn"] == pytest.approx(float(expected["predicted"]), rel=1e-5)
    # the GP's own σ; a regressor without one gives its validation RMSE as the error bar
    std = float(expected["predicted_std"] or metrics["val_rmse"][metrics["chosen"]])
    assert result["tn_std"] == pytest.approx(std, rel=1e-4) and result["tn_std"] > 0
    # novelty in the regressor's own representation: a substrate it was fitted on is no stranger
    with open(out / "predictions.csv", newline="") as fh:
        fit_id = next(r["id"] for r in csv.DictReader(fh)
                      if r["split"] == "train" and r["censored"] == "False")  # fmt: skip
    again = ["predict", "--model", f"[{shipped}]", "--trajectory",
             root / "samples" / fit_id / "frames.extxyz.gz", "--out", tmp_path / "p_fit",
             "--eps_sl", "[1.0]", "--plot", "false"]  # fmt: skip
    assert cli.main([str(a) for a in again]) == 0
    (fitted,) = json.loads((tmp_path / "p_fit" / "prediction.json").read_text())
    assert fitted["novelty"] == pytest.approx(0.0, abs=1e-3)
    assert fitted["far_from_training"] is False
    shipped_meta = json.loads((shipped / "model.json").read_text())
    assert len(shipped_meta["novelty"]["reference"]) == metrics["n_fit"]
    assert (out / "report.html").exists() and (out / "figures" / "correlation.png").exists()
    # the label was made from the disorder of the layer: a liquid-order descriptor leads
    assert metrics["ranking"][0]["kind"] == "liquid"
    # liquid and substrate descriptors are clustered apart (cluster_by_kind, the default)
    kind = {d.name: d.kind for d in descriptor_table(2, precursors=True)}
    for r in metrics["ranking"]:
        assert {kind[n] for n in r["cluster"]} == {r["kind"]}, r
    # the descriptor route predicts the polymorph fractions too (planted: fcc on (111) films)
    p = metrics["polymorph"]["test"]
    assert p["n"] >= 1 and 0 <= p["mae"] <= 1 and (out / "predictions_polymorph.csv").exists()


def test_select_on_one_kind_of_descriptor(tmp_path, film):
    """``kinds`` restricts the pool: a liquid-only run ranks and chooses liquid descriptors
    alone, and its shipped model predicts a trajectory without --eps_sl (it reads no substrate
    descriptor); an unknown kind is refused before any work."""
    from nucleate.train.select import SelectConfig, run_selection

    root = synthetic_dataset(tmp_path / "ds", film, 16)
    cfg = SelectConfig(
        data=str(root), out=str(tmp_path / "sel"), regressors=["ridge"], cv_folds=3,
        max_features=3, cache_dir=str(tmp_path / "c"), kinds=["liquid"], ship=str(tmp_path / "m"),
    )  # fmt: skip
    m = run_selection(cfg)
    kind = {d.name: d.kind for d in descriptor_table(2, precursors=True)}
    assert {r["kind"] for r in m["ranking"]} == {"liquid"} and m["top4_substrate"] == 0
    assert {kind[n] for n in m["chosen_features"]} == {"liquid"}
    assert "eps_sl" not in m["chosen_features"]
    frames = root / "samples" / "s03" / "frames.extxyz.gz"
    args = ["predict", "--model", f"[{tmp_path / 'm'}]", "--trajectory", str(frames), "--out",
            str(tmp_path / "p"), "--plot", "false"]  # fmt: skip
    assert cli.main(args) == 0
    (result,) = json.loads((tmp_path / "p" / "prediction.json").read_text())
    assert np.isfinite(result["tn"])
    card = (tmp_path / "m" / "README.md").read_text()
    assert "needs no `--eps_sl`" in card and "--trajectory FRAMES\n" in card
    cfg.kinds = ["solvent"]
    with pytest.raises(InputError, match="kinds must name"):
        run_selection(cfg)


def test_select_without_refit_keeps_the_training_fit(tmp_path, film):
    """With the refit and the all-representatives GP switched off, the GP takes the k of its
    cross-validation curve and the shipped model is the one fitted on the training part alone:
    its validation predictions are the held-out ones that chose it."""
    from nucleate.train.select import SelectConfig, run_selection

    root = synthetic_dataset(tmp_path / "ds", film, 16)
    cfg = SelectConfig(
        data=str(root), out=str(tmp_path / "sel"), regressors=["gp"], cv_folds=3, max_features=3,
        cache_dir=str(tmp_path / "c"), refit_train_val=False, gp_all_representatives=False,
    )  # fmt: skip
    m = run_selection(cfg)
    assert m["fitted_on"] == "train" and len(m["cv_rmse_vs_k"]["gp"]) == min(3, m["n_clusters"])
    assert m["best_k"]["gp"] == int(np.argmin(m["cv_rmse_vs_k"]["gp"])) + 1
    with open(tmp_path / "sel" / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    val = [r for r in rows if r["split"] == "val"]
    assert m["n_fit"] == sum(r["split"] == "train" for r in rows) and val
    rmse = np.sqrt(np.mean([(float(r["predicted"]) - float(r["tn"])) ** 2 for r in val]))
    assert rmse == pytest.approx(m["val_rmse"]["gp"], rel=1e-4)


def test_select_train_only_families_keep_the_others_split(tmp_path, film):
    """``train_only`` families join the training part and nothing else: the validation and test
    substrates are those of the other families in a run without them (same seed), and a family
    named there that is not in the data, or also held out, is refused. (And a run may skip its
    leave-one-family-out refits.)"""
    from nucleate.train.select import SelectConfig, run_selection

    root = synthetic_dataset(tmp_path / "ds", film, 24)

    def splits(**kw):
        cfg = SelectConfig(
            data=str(root), out=str(tmp_path / "sel"), regressors=["ridge"], cv_folds=3,
            max_features=3, cache_dir=str(tmp_path / "c"), seed=3, **kw,
        )  # fmt: skip
        run_selection(cfg)
        with open(tmp_path / "sel" / "predictions.csv", newline="") as fh:
            return {r["id"]: r["split"] for r in csv.DictReader(fh)}

    plain = splits()
    assert (tmp_path / "sel" / "lofo_predictions.csv").exists()
    only = splits(train_only=["fcc100"], leave_one_family_out=False)
    # (without the leave-one-family-out refits: no such predictions, no such scores)
    assert not (tmp_path / "sel" / "lofo_predictions.csv").exists()
    metrics = json.loads((tmp_path / "sel" / "metrics.json").read_text())
    assert metrics["leave_one_family_out_rmse"] == {} and metrics["config"]["train_only"]
    family = {f"s{k:02d}": ("fcc111", "fcc100")[k % 2] for k in range(24)}
    assert {only[i] for i in only if family[i] == "fcc100"} == {"train"}
    assert {plain[i] for i in plain if family[i] == "fcc100"} != {"train"}  # the option did it
    assert all(only[i] == plain[i] for i in only if family[i] == "fcc111")
    with pytest.raises(InputError, match="train_only names families not in"):
        splits(train_only=["bcc110"])
    with pytest.raises(InputError, match="both held out and train_only: fcc100"):
        splits(train_only=["fcc100"], hold_out=["fcc100"])


def test_liquid_leaked_below_a_generated_slab_is_not_a_second_interface(tmp_path, film):
    """A campaign builds every film above its substrate; liquid that passed a holed slab
    (fcc111-disordered) sits below it. A data set's sample reads its top interface, also when
    its file is given as a trajectory; the same frames outside a data set are refused with
    --side auto (which side is meant?)."""
    from nucleate.data.io import read_frames
    from nucleate.featurize.pipeline import featurize_dataset, featurize_file

    root = synthetic_dataset(tmp_path / "ds", film, 4)
    sample = root / "samples" / "s01"
    (frame,) = read_frames(sample / "frames.extxyz.gz")
    pos = frame.positions.copy()
    leak = np.flatnonzero(frame.liquid)[:12]  # 12 of the liquid's atoms, 10 % of it
    pos[leak, 2] = frame.positions[frame.substrate, 2].min() - 1.0
    record = json.loads((sample / "sample.json").read_text())
    staging = dataset.staging_dir(root, "leaky")
    write_frames(staging / "frames.extxyz.gz", [frame.replace(positions=pos)])
    record = {k: v for k, v in record.items() if k != "files"}
    dataset.commit_sample(root, staging, {**record, "id": "leaky"})
    dataset.write_manifest(root)
    sample = root / "samples" / "leaky"
    out = featurize_dataset(root, "layers", {}, tmp_path / "feat", cache_dir=tmp_path / "c",
                            progress=False)  # fmt: skip
    with np.load(out / "leaky.npz") as z, np.load(out / "s01.npz") as ref:
        assert z["layers"].shape == ref["layers"].shape  # the same two layers above the slab
    direct = featurize_file(sample / "frames.extxyz.gz", "layers", cache_dir=tmp_path / "c",
                            out=tmp_path / "f")  # fmt: skip
    with np.load(out / "leaky.npz") as z, np.load(next(direct.glob("*.npz"))) as d:
        assert np.array_equal(z["layers"], d["layers"])
    loose = tmp_path / "mine.extxyz.gz"
    shutil.copy(sample / "frames.extxyz.gz", loose)
    with pytest.raises(InputError, match="liquid on both sides"):
        featurize_file(loose, "layers", cache_dir=tmp_path / "c", out=tmp_path / "g")
