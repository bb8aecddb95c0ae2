"""Crystallinity, polymorph and T_n labels on reference crystals and liquids with known answers."""

import numpy as np
import pytest
from ase.build import bulk

from nucleate.data.labels import crossing_temperature
from nucleate.data.simulate import start_lammps
from nucleate.structure.crystallinity import Crystallinity, polymorph_fractions
from nucleate.structure.order import freud_system, reference_order, steinhardt

A = 1.6  # fcc lattice constant near melting, sigma
D = A / np.sqrt(2)


def crystal(name):
    if name == "fcc":
        return bulk("Ar", "fcc", a=A, cubic=True).repeat(6)
    if name == "hcp":
        return bulk("Ar", "hcp", a=D, c=D * np.sqrt(8 / 3), orthorhombic=True).repeat((6, 4, 4))
    return bulk("Ar", "bcc", a=A / 2 ** (1 / 3), cubic=True).repeat(7)  # same density as fcc


def test_perfect_fcc_gives_the_known_q4_q6():
    q = reference_order()["fcc"][0]
    assert q[0] == pytest.approx(0.1909, abs=1e-3)
    assert q[1] == pytest.approx(0.5745, abs=1e-3)


@pytest.mark.parametrize("name", ["fcc", "hcp", "bcc"])
@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_reference_crystals_are_classified(name, noise):
    atoms = crystal(name)
    rng = np.random.default_rng(0)
    pos = atoms.positions + rng.normal(0.0, noise * D, atoms.positions.shape)
    everyone = np.ones(len(atoms), dtype=bool)
    frac = polymorph_fractions(pos, atoms.cell.array, True, everyone)
    assert frac[name] > 0.9, frac


def md(atoms, commands):
    """Run LAMMPS on ``atoms`` (one LJ species) and return (positions from the box corner, cell)."""
    lmp = start_lammps()
    try:
        c = atoms.cell.array
        lmp.commands_string(
            f"units lj\natom_style atomic\natom_modify map array\n"
            f"region b prism 0 {c[0, 0]} 0 {c[1, 1]} 0 {c[2, 2]} 0 0 0\ncreate_box 1 b"
        )
        n = len(atoms)
        lmp.create_atoms(n, list(range(1, n + 1)), [1] * n, atoms.positions.ravel().tolist())
        lmp.commands_string(
            "mass 1 1\npair_style lj/cut 2.5\npair_coeff 1 1 1 1\npair_modify shift yes\n"
            + commands
        )
        x = np.array(lmp.numpy.extract_atom("x")[:n])
        lo, hi, *_ = lmp.extract_box()
    finally:
        lmp.close()
    return x - np.array(lo), np.diag(np.array(hi) - np.array(lo))


def test_thermal_crystal_from_md_is_solid_and_fcc():
    x, cell = md(
        crystal("fcc"),
        "velocity all create 0.5 1\nfix 1 all npt temp 0.5 0.5 0.5 iso 0 0 5\nrun 2000",
    )
    solid, cluster = Crystallinity()(x, cell, True)
    assert solid.mean() > 0.95
    assert (cluster == 0).sum() == solid.sum()  # one crystal
    assert polymorph_fractions(x, cell, True, solid)["fcc"] > 0.9


def test_liquid_is_not_crystal():
    x, cell = md(
        crystal("fcc"), "velocity all create 2.0 1\nfix 1 all nvt temp 2.0 1.0 0.5\nrun 3000"
    )
    solid, cluster = Crystallinity()(x, cell, True)
    assert solid.mean() < 0.02
    assert (cluster >= 0).sum() == solid.sum()


def test_nucleus_in_a_disordered_surrounding():
    atoms = crystal("fcc")
    rng = np.random.default_rng(1)
    centre = atoms.cell.lengths() / 2
    inside = np.linalg.norm(atoms.positions - centre, axis=1) < 3.5
    pos = atoms.positions + rng.normal(0.0, 0.03, atoms.positions.shape)
    pos[~inside] += rng.normal(0.0, 0.3, ((~inside).sum(), 3))
    _solid, cluster = Crystallinity()(pos, atoms.cell.array, True)
    largest = cluster == 0
    core = np.linalg.norm(atoms.positions - centre, axis=1) < 2.5
    assert largest[core].all()  # the surface of a nucleus has too few solid bonds; its core not
    assert (largest & inside).sum() > 0.5 * inside.sum()
    assert (largest & ~inside).sum() < 0.1 * largest.sum()
    assert polymorph_fractions(pos, atoms.cell.array, True, largest)["fcc"] > 0.9


def test_solid_mask_alone_and_a_shared_freud_view_give_the_same_answers():
    # a nucleus in a disordered surrounding: some atoms solid, some not
    atoms = crystal("fcc")
    rng = np.random.default_rng(2)
    inside = np.linalg.norm(atoms.positions - atoms.cell.lengths() / 2, axis=1) < 3.5
    pos = atoms.positions + rng.normal(0.0, 0.03, atoms.positions.shape)
    pos[~inside] += rng.normal(0.0, 0.3, ((~inside).sum(), 3))
    cell = atoms.cell.array
    solid, _ = Crystallinity()(pos, cell, True)
    assert 0.1 < solid.mean() < 0.9
    system = freud_system(pos, cell, True)
    np.testing.assert_array_equal(Crystallinity().solid_like(pos, cell, True), solid)
    np.testing.assert_array_equal(Crystallinity().solid_like(pos, cell, True, system), solid)
    np.testing.assert_array_equal(
        steinhardt(pos, cell, True, system=system), steinhardt(pos, cell, True)
    )


def test_crossing_temperature_interpolates_and_censors():
    temps = [0.7, 0.6, 0.5, 0.4]
    assert crossing_temperature(temps, [0, 10, 30, 50], 20) == pytest.approx(0.55)
    assert crossing_temperature(temps, [0, 1, 2, 3], 20) is None
    assert crossing_temperature(temps, [25, 30, 40, 50], 20) == pytest.approx(0.7)
