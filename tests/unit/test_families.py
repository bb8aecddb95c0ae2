"""Substrate families: every registered builder makes a periodic slab facing +z with the atoms,
lattice and components its parameter says; names parse; two-component slabs are held in LAMMPS."""

import math

import numpy as np
import pytest
from ase.neighborlist import neighbor_list

from nucleate.data.families import FAMILIES, SECOND, TWISTS, build_named, parse_spec
from nucleate.errors import InputError

A0 = 1.617
D0 = A0 / math.sqrt(2)
EXAMPLE = {"mismatch": 0.02, "fraction": 0.25, "coverage": 0.2, "width": 2, "sigma": 0.1,
           "angle": 21.8}  # fmt: skip


def build(name, value=None, n_layers=3, min_lateral=10.0, seed=1):
    fam = FAMILIES.get(name)
    return build_named(fam, EXAMPLE[fam.param] if value is None else value, A0, n_layers,
                       min_lateral, seed)[0]  # fmt: skip


def nn_distances(slab):
    """(n,) distance of each atom to its nearest neighbour, with the slab's periodicity."""
    i, d = neighbor_list("id", slab, 2.5 * D0)
    out = np.full(len(slab), np.inf)
    np.minimum.at(out, i, d)
    return out


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_builds_a_periodic_slab_facing_up(name):
    slab = build(name)
    assert len(FAMILIES) >= 11
    assert slab.pbc.tolist() == [True, True, False]
    cell = slab.cell.array
    assert np.allclose(cell[:2, 2], 0) and np.allclose(cell[2, :2], 0)
    assert cell[0, 0] >= 10.0 and cell[1, 1] >= 10.0
    z = slab.positions[:, 2]
    assert z.min() == pytest.approx(0.0, abs=1e-9)
    assert cell[2, 2] > z.max()  # the cell holds the slab; vacuum comes with the interface
    frac = slab.get_scaled_positions(wrap=False)[:, :2]
    assert np.all(frac > -1e-9) and np.all(frac < 1 + 1e-9)
    assert set(np.unique(slab.numbers)) <= {1, SECOND}
    # periodic: no atom sits closer to an image than to a lattice neighbour (no seam)
    nn = nn_distances(slab)
    if name != "fcc111-disordered":
        assert nn.min() > 0.8 * D0
    # the same name builds the same slab; a random family draws from its own seed
    again = build(name)
    assert np.array_equal(again.positions, slab.positions)
    assert np.array_equal(again.numbers, slab.numbers)


@pytest.mark.parametrize("name", ["fcc111", "fcc100", "fcc110", "bcc100", "bcc110", "hcp0001"])
@pytest.mark.parametrize("m", [-0.06, 0.0, 0.05])
def test_mismatch_scales_the_nearest_neighbour_distance(name, m):
    nn = nn_distances(build(name, m))
    assert np.allclose(nn, D0 * (1 + m), rtol=1e-9)


def test_defect_families_have_the_atoms_their_parameter_says():
    perfect = build("fcc111", 0.0)
    per_layer = len(perfect) // 3
    assert len(build("fcc111", 0.0, n_layers=4)) == 4 * per_layer
    for f in (0.1, 0.5):
        slab = build("fcc111-vacancies", f)
        assert len(slab) == 3 * per_layer - round(f * per_layer)
    for c in (0.05, 0.3):
        slab = build("fcc111-adatoms", c)
        assert len(slab) == 3 * per_layer + round(c * per_layer)
        assert np.sum(np.isclose(slab.positions[:, 2], slab.positions[:, 2].max())) == round(
            c * per_layer
        )
    for w in (1, 2, 3, 6):
        slab = build("fcc111-steps", w)
        top = np.isclose(slab.positions[:, 2], slab.positions[:, 2].max())
        lower = len(slab) - top.sum()
        assert top.sum() * 2 == lower // 3  # the extra layer covers half the surface
        # stripes of w rows: along y the occupied rows come in runs of w
        rows = np.unique(np.round(slab.positions[top, 1] / (D0 * math.sqrt(3) / 2)).astype(int))
        runs = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
        assert {len(r) for r in runs} == {w}


def test_two_component_families_mark_their_second_component():
    for name, value, share in (("fcc111-stripes", 2, 0.5), ("fcc100-checker", 1, 0.5),
                               ("fcc111-alloy", 0.25, 0.25)):  # fmt: skip
        slab = build(name, value)
        assert FAMILIES.get(name).two_component
        assert np.mean(slab.numbers == SECOND) == pytest.approx(share, abs=0.5 / len(slab))
    # the checkerboard of single cells: every surface atom's in-plane neighbours are the other kind
    slab = build("fcc100-checker", 1)
    top = np.flatnonzero(np.isclose(slab.positions[:, 2], slab.positions[:, 2].max()))
    i, j = neighbor_list("ij", slab[top], 1.05 * D0)
    assert len(i) == 4 * len(top)
    assert np.all(slab.numbers[top][i] != slab.numbers[top][j])


def test_twisted_layer_is_commensurate_and_rotated():
    for angle in TWISTS:
        slab = build("fcc111-twist", angle)
        z = np.round(slab.positions[:, 2], 6)
        layers = np.unique(z)
        counts = [int(np.sum(z == h)) for h in layers]
        area = slab.cell[0, 0] * slab.cell[1, 1]
        assert counts == [round(area / (math.sqrt(3) / 2 * D0**2))] * 3
        # in-plane bond directions of the top layer differ from those below by the angle (mod 60)
        directions = []
        for h in (layers[-2], layers[-1]):
            sub = slab[np.flatnonzero(z == h)]
            vec = neighbor_list("D", sub, 1.05 * D0)
            directions.append(np.degrees(np.arctan2(vec[:, 1], vec[:, 0])) % 60)
        below, top = (np.median(d) for d in directions)
        assert min(abs(top - below - angle) % 60, 60 - abs(top - below - angle) % 60) < 0.5
    with pytest.raises(InputError, match="coincidence angle"):
        build("fcc111-twist", 10.0)


def test_names_parse_and_bad_ones_are_refused():
    fam, value = parse_spec("bcc110:+0.02")
    assert (fam.name, value) == ("bcc110", 0.02)
    assert fam.slab_id(value) == "bcc110_m+02.0"
    assert parse_spec("fcc111-vacancies:0.2")[0].slab_id(0.2) == "fcc111-vacancies_f0.20"
    assert FAMILIES.get("fcc111").slab_id(0.015) == "fcc111_m+01.5"  # lj-fcc-v1's ids
    assert parse_spec("my_slab.extxyz") is None
    with pytest.raises(InputError, match="unknown substrate family"):
        parse_spec("bcc111:0.0")
    with pytest.raises(InputError, match=r"fraction: 0\.03 is 3 %"):
        parse_spec("bcc110:3")
    with pytest.raises(InputError, match="whole number"):
        parse_spec("fcc111-steps:1.5")


def test_random_families_differ_by_seed_and_value():
    a = build("fcc111-alloy", 0.5, seed=1)
    b = build("fcc111-alloy", 0.5, seed=2)
    assert not np.array_equal(a.numbers, b.numbers)
    c = build("fcc111-vacancies", 0.2)
    d = build("fcc111-vacancies", 0.35)
    assert len(c) > len(d)


def test_two_component_slab_is_held_and_interacts_with_its_own_strength():
    from nucleate.data.simulate import start_lammps
    from nucleate.data.simulate.md import Potential, build_interface, load_interface, minimise

    slab = build("fcc111-stripes", 2, n_layers=2, min_lateral=6.0)
    atoms, _ = build_interface(slab, 60, 0.75, 1.0, seed=3)
    assert set(np.unique(atoms.numbers)) == {1, 2, 3}
    lmp = start_lammps()
    try:
        with pytest.raises(InputError, match="eps_sl2"):
            load_interface(lmp, atoms, Potential(), 1.0)
    finally:
        lmp.close()
    energies = []
    for eps2 in (0.0, 1.0):
        lmp = start_lammps()
        try:
            load_interface(lmp, atoms, Potential(), 1.0, eps_sl2=eps2)
            n = lmp.get_natoms()
            x0 = np.array(lmp.numpy.extract_atom("x")[:n]).copy()
            minimise(lmp)
            x1 = np.array(lmp.numpy.extract_atom("x")[:n])
            sub = np.array(lmp.numpy.extract_atom("type")[:n]) != 2
            assert (
                np.abs(x1[sub] - x0[sub]).max() < 1e-10
            )  # both components held (round-off of re-wrapping)
            assert lmp.extract_global("natoms") == len(atoms)
            lmp.command("run 0")
            energies.append(lmp.get_thermo("pe"))
        finally:
            lmp.close()
    assert energies[1] < energies[0]  # the second component attracts the liquid when eps_sl2 > 0


def test_prediction_builds_the_slab_the_campaign_built():
    from dataclasses import asdict

    from nucleate.data.campaign import Campaign, FamilyGrid, SubstrateGrid, family_slab
    from nucleate.predict.core import substrate_from

    campaign = Campaign(
        a0=A0, seed=4, substrates=SubstrateGrid(facets=[], mismatch=[], eps_sl=[1.0], families=[
            FamilyGrid("fcc111-vacancies", [0.2]), FamilyGrid("fcc111-alloy", [0.5], eps_sl2=0.3)])
    )  # fmt: skip
    config = asdict(campaign)
    (vac, alloy) = campaign.tasks()
    assert vac["id"] == "fcc111-vacancies_f0.20_e1.00" and alloy["eps_sl2"] == 0.3
    trained, family, params = family_slab(vac["family"], vac["value"], config)
    assert family == "fcc111-vacancies" and params["fraction"] == 0.2
    predicted, name = substrate_from("fcc111-vacancies:0.2", config)
    assert name == "fcc111-vacancies_f0.20"
    assert np.array_equal(trained.positions, predicted.positions)
    with pytest.raises(InputError, match="--eps_sl2"):
        substrate_from("fcc111-alloy:0.5", config)
    slab, _ = substrate_from("fcc111-alloy:0.5", config, eps_sl2=0.3)
    assert np.array_equal(slab.numbers, family_slab("fcc111-alloy", 0.5, config, 0.3)[0].numbers)
    with pytest.raises(InputError) as err:
        substrate_from("fcc112:0.0", config)
    assert "use one of fcc111" in str(err.value) and "<family>:<value>" in str(err.value)
    assert str(err.value).count("fcc111-twist") == 1  # the families listed once
    with pytest.raises(InputError, match=r"outside \[-0.2, 0.2\].*<family>:<value>"):
        substrate_from("bcc110:0.5", config)
