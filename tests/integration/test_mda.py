"""MD formats through MDAnalysis: files written by MDAnalysis's own writers (xtc + gro, dcd + a
LAMMPS data file) read back through nucleate's reader and CLI, with selection strings; a
water-like film (O + H, in Å) analysed by its oxygens."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import layered_film

from nucleate.cli import main
from nucleate.data.io import Selection, read_frames
from nucleate.structure.layers import LayerDetector

mda = pytest.importorskip("MDAnalysis")

SCALE = 3.4  # σ of argon in Å: the LJ film written as if it were in Å


def _universe(atoms, names, resnames, types, scale=SCALE):
    n = len(atoms)
    u = mda.Universe.empty(n, n_residues=n, atom_resindex=np.arange(n), trajectory=True)
    u.add_TopologyAttr("name", names)
    u.add_TopologyAttr("resname", resnames)
    u.add_TopologyAttr("type", types)
    u.add_TopologyAttr("resid", np.arange(1, n + 1))
    cell = atoms.cell.array.copy()
    cell[2, 2] += 20.0  # MD boxes are periodic in z: room above the film
    u.dimensions = [*(np.diag(cell) * scale), 90.0, 90.0, 90.0]
    u.atoms.positions = atoms.positions * scale
    return u


def _write(u, topology, trajectory, n_frames=3, seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    x0 = u.atoms.positions.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u.atoms.write(str(topology))
        with mda.Writer(str(trajectory), len(u.atoms)) as w:
            for _ in range(n_frames):
                u.atoms.positions = x0 + rng.normal(0, noise, x0.shape)
                w.write(u.atoms)


@pytest.fixture
def xtc_film(tmp_path):
    """An fcc(111) film (3 substrate planes, 8 'liquid' planes) as .gro + .xtc in Å."""
    atoms, spacing, _top = layered_film(size=(6, 6), orthogonal=True)
    sub = atoms.numbers == 1
    u = _universe(atoms, np.where(sub, "PT", "AR"), np.where(sub, "SUB", "LIQ"),
                  np.where(sub, "PT", "AR"))  # fmt: skip
    _write(u, tmp_path / "film.gro", tmp_path / "film.xtc")
    return tmp_path / "film.xtc", tmp_path / "film.gro", spacing, int(sub.sum())


def test_xtc_gro_with_selection_strings(xtc_film):
    xtc, gro, spacing, n_sub = xtc_film
    frames = read_frames(xtc, topology=gro, selection=Selection(substrate_select="resname SUB"))
    assert len(frames) == 3
    assert frames[0].units == "metal"  # MDAnalysis's Å and ps
    assert frames[0].substrate.sum() == n_sub
    profile = LayerDetector(n_layers=2)(frames)
    # the first layer sits one plane spacing (in Å now) above the substrate's top plane
    assert profile.layers[0].peak == pytest.approx(spacing * SCALE, abs=0.15)


def test_types_match_topology_names(xtc_film):
    xtc, gro, _, n_sub = xtc_film
    frames = read_frames(xtc, topology=gro, index=-1, selection=Selection(substrate_types=("PT",)))
    assert len(frames) == 1 and frames[0].substrate.sum() == n_sub


def test_water_like_film_read_by_its_oxygens(tmp_path):
    """O + H liquid on a substrate: with liquid 'name OW' the hydrogens are neither substrate nor
    liquid, and the layers are those of the oxygens."""
    atoms, spacing, _top = layered_film(size=(4, 4), orthogonal=True)
    liquid = np.flatnonzero(atoms.numbers != 1)
    from ase import Atoms

    h = Atoms("H" * (2 * len(liquid)),
              positions=np.repeat(atoms.positions[liquid], 2, axis=0) + [0.28, 0.0, 0.08] * np.array(
                  [[1], [-1]] * len(liquid)), cell=atoms.cell, pbc=atoms.pbc)  # fmt: skip
    water = atoms + h
    kind = np.where(
        np.arange(len(water)) < len(atoms), np.where(water.numbers == 1, "PT", "OW"), "HW"
    )
    u = _universe(water, kind, np.where(kind == "PT", "SUB", "SOL"), kind)
    _write(u, tmp_path / "w.gro", tmp_path / "w.xtc", n_frames=2)
    frames = read_frames(tmp_path / "w.xtc", topology=tmp_path / "w.gro",
                         selection=Selection(substrate_select="resname SUB", liquid_select="name OW"))  # fmt: skip
    f = frames[0]
    assert f.liquid.sum() == len(liquid)
    assert not np.any((f.substrate | f.liquid)[len(atoms) :])  # hydrogens: carried, not analysed
    profile = LayerDetector(n_layers=1)(frames)
    assert profile.layers[0].peak == pytest.approx(spacing * SCALE, abs=0.15)


def test_dcd_with_lammps_data_topology(tmp_path):
    """A LAMMPS data file (written by ASE's LAMMPS writer through nucleate) as topology of a DCD:
    numeric types select, LJ units kept without conversion."""
    from nucleate.data.io import from_ase, write_frames

    atoms, spacing, _ = layered_film(size=(4, 4), orthogonal=True)
    frame = from_ase(atoms, Selection(substrate_types=(1,)))
    write_frames(tmp_path / "film.data", frame, format="lammps-data")
    u = mda.Universe(str(tmp_path / "film.data"), atom_style="id type x y z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mda.Writer(str(tmp_path / "film.dcd"), len(u.atoms)) as w:
            w.write(u.atoms)
    frames = read_frames(tmp_path / "film.dcd", topology=tmp_path / "film.data", units="lj",
                         selection=Selection(substrate_types=(1,)))  # fmt: skip
    assert frames[0].units == "lj"
    assert frames[0].substrate.sum() == int((atoms.numbers == 1).sum())
    assert LayerDetector(n_layers=1)(frames).layers[0].peak == pytest.approx(spacing, abs=0.05)


def test_cli_inspect_and_featurize_an_xtc(xtc_film, tmp_path, capsys):
    xtc, gro, _spacing, _ = xtc_film
    args = [str(xtc), "--topology", str(gro), "--substrate_select", "resname SUB"]
    assert main(["inspect", *args, "--json", str(tmp_path / "l.json")]) == 0
    import json

    layers = json.loads((tmp_path / "l.json").read_text())
    assert "Å" in capsys.readouterr().out
    assert layers["units"] == "metal"
    out = tmp_path / "img"
    assert main(["featurize", "--featurizer", "density_image", "--trajectory", str(xtc),
                 "--topology", str(gro), "--substrate_select", "resname SUB", "--out", str(out),
                 "--cache_dir", str(tmp_path / "cache")]) == 0  # fmt: skip
    assert any(out.iterdir())


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "holds coordinates only; give its topology"),
        (["--topology", "GRO", "--substrate_select", "resnam SUB"], "bad substrate selection"),
        (["--topology", "GRO", "--substrate_select", "resname NONE"], "no substrate atoms"),
    ],
)
def test_cli_refuses_bad_md_input(xtc_film, tmp_path, capsys, extra, message):
    xtc, gro, _, _ = xtc_film
    extra = [str(gro) if e == "GRO" else e for e in extra]
    assert main(["inspect", str(xtc), *extra, "--json", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.json").exists()


def test_selection_strings_need_an_md_reader(tmp_path, capsys):
    from nucleate.data.io import from_ase, write_frames

    atoms, _, _ = layered_film(size=(3, 3))
    write_frames(tmp_path / "f.extxyz", from_ase(atoms, Selection(substrate_types=(1,))))
    assert main(["inspect", str(tmp_path / "f.extxyz"), "--substrate_select", "resname SUB"]) == 2
    assert "read through MDAnalysis" in capsys.readouterr().err


def test_cli_predicts_an_lj_xtc_with_the_shipped_gnn(tmp_path):
    """A bundled LJ interface written as .gro + .xtc (no conversion: read with --units lj) is
    predicted by the shipped GNN as the same frame read from extxyz is."""
    import csv
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sample = root / "data/lj-fcc-v1/samples/fcc111_m+00.0_e1.00/frames.extxyz.gz"
    frame = read_frames(sample, index=-1)[0]
    from nucleate.data.io import to_ase

    atoms = to_ase(frame)
    sub = frame.substrate
    # gro has no types: the names stand for them, numbered in sorted order (AU 1, LJ 2, as trained)
    u = _universe(
        atoms,
        np.where(sub, "AU", "LJ"),
        np.where(sub, "SUB", "LIQ"),
        np.where(sub, "AU", "LJ"),
        scale=1.0,
    )
    _write(u, tmp_path / "f.gro", tmp_path / "f.xtc", n_frames=1, noise=0.0)
    model = str(root / "models/lj-fcc-v1/gnn")
    common = ["predict", "--model", f"[{model}]", "--plot", "false"]
    assert main([*common, "--trajectory", str(tmp_path / "f.xtc"), "--topology", str(tmp_path / "f.gro"),
                 "--units", "lj", "--substrate_select", "resname SUB", "--out", str(tmp_path / "a")]) == 0  # fmt: skip
    assert (
        main([*common, "--trajectory", str(sample), "--index", "-1", "--out", str(tmp_path / "b")])
        == 0
    )

    def tn(d):
        with open(tmp_path / d / "predictions.csv") as f:
            return float(next(csv.DictReader(f))["tn"])

    # gro stores 0.001 nm = 0.01 (here σ): the two readings agree to that precision's effect
    assert tn("a") == pytest.approx(tn("b"), abs=0.01)


def test_lammps_own_data_and_dcd_read_with_a_selection(tmp_path):
    """LAMMPS writes the data file and a DCD trajectory itself; nucleate reads the DCD with the
    data file as topology (MDAnalysis), LJ units kept, the substrate by a selection string."""
    from nucleate.data.io import from_ase, write_frames
    from nucleate.data.simulate import start_lammps

    atoms, spacing, _ = layered_film(size=(4, 4), n_liquid=4, orthogonal=True)
    write_frames(
        tmp_path / "in.data", from_ase(atoms, Selection(substrate_types=(1,))), format="lammps-data"
    )
    lmp = start_lammps()
    try:
        lmp.commands_string(
            f"""
            units lj
            atom_style atomic
            boundary p p f
            read_data {tmp_path / "in.data"}
            pair_style lj/cut 2.5
            pair_coeff * * 1.0 1.0
            group liquid type 2
            fix 1 liquid nve
            write_data {tmp_path / "out.data"}
            dump d all dcd 5 {tmp_path / "traj.dcd"}
            run 10
            """
        )
    finally:
        lmp.close()
    frames = read_frames(tmp_path / "traj.dcd", topology=tmp_path / "out.data", units="lj",
                         selection=Selection(substrate_select="type 1"))  # fmt: skip
    assert len(frames) == 3 and frames[0].units == "lj"  # steps 0, 5 and 10
    assert frames[0].substrate.sum() == int((atoms.numbers == 1).sum())
    assert LayerDetector(n_layers=1)(frames[:1]).layers[0].peak == pytest.approx(spacing, abs=0.05)
