"""Local order descriptors on perfect lattices with known values; invariances."""

import numpy as np
import pytest
from ase.build import bulk
from scipy.spatial.transform import Rotation

from nucleate.structure.order import RadialBondOrder, steinhardt

A = 1.6
D = A / np.sqrt(2)


def fcc():
    return bulk("Ar", "fcc", a=A, cubic=True).repeat(5)


def test_radial_shells_of_perfect_fcc():
    atoms = fcc()
    rb = RadialBondOrder(shells=(D, A), width=0.02, ls=(4, 6), coarse_grain=1.2)
    f = rb(atoms.positions, atoms.cell.array, True)
    names = rb.feature_names()
    row = dict(zip(names, f[0], strict=True))
    assert row[f"G(r={D:g})"] == pytest.approx(12.0, rel=1e-6)
    assert row[f"q4(r={D:g})"] == pytest.approx(0.19094, abs=1e-4)
    assert row[f"q6(r={D:g})"] == pytest.approx(0.57452, abs=1e-4)
    # second shell: the 6 octahedral neighbours at a
    assert row[f"G(r={A:g})"] == pytest.approx(6.0, rel=1e-3)
    assert row[f"q4(r={A:g})"] == pytest.approx(np.sqrt(7 / 12), abs=1e-4)
    # a Frame works as well as arrays
    from nucleate.data.io import from_ase

    atoms.arrays["substrate"] = np.zeros(len(atoms), bool)
    np.testing.assert_allclose(rb(from_ase(atoms)), f, atol=1e-12)
    # a perfect crystal is its own coarse-grained average
    np.testing.assert_allclose(f[:, : len(names) // 2], f[:, len(names) // 2 :], atol=1e-9)
    np.testing.assert_allclose(f, f[0][None, :].repeat(len(f), 0), atol=1e-9)


def test_invariant_to_rotation_and_atom_order():
    atoms = fcc()
    rng = np.random.default_rng(0)
    pos = atoms.positions + rng.normal(0, 0.08, atoms.positions.shape)
    rb = RadialBondOrder()
    f = rb(pos, atoms.cell.array, True)
    perm = rng.permutation(len(pos))
    np.testing.assert_allclose(rb(pos[perm], atoms.cell.array, True), f[perm], atol=1e-9)
    rot = Rotation.from_euler("zyx", [0.3, -0.7, 1.1]).as_matrix()
    np.testing.assert_allclose(rb(pos @ rot.T, atoms.cell.array @ rot.T, True), f, atol=1e-8)


def _direct_q(pos, cell, shell, width, l, cutoff):
    """q_l of one shell per atom by the textbook sum over complex Y_lm (all m), minimum image,
    over the neighbours within ``cutoff``."""
    from scipy.special import sph_harm_y

    out = np.zeros(len(pos))
    inv = np.linalg.inv(cell)
    for a in range(len(pos)):
        d = pos - pos[a]
        d -= np.round(d @ inv) @ cell
        r = np.linalg.norm(d, axis=1)
        keep = (r > 0) & (r < cutoff)
        d, r = d[keep], r[keep]
        w = np.exp(-0.5 * ((r - shell) / width) ** 2)
        theta, phi = np.arccos(d[:, 2] / r), np.arctan2(d[:, 1], d[:, 0])
        m = np.arange(-l, l + 1)
        qlm = (w[:, None] * sph_harm_y(l, m[None, :], theta[:, None], phi[:, None])).sum(0)
        out[a] = np.sqrt(4 * np.pi / (2 * l + 1) * np.sum(np.abs(qlm / w.sum()) ** 2))
    return out


def test_bond_order_equals_the_direct_sum_over_complex_harmonics():
    # a disordered 500-atom box: several blocks of atoms, every neighbour count
    atoms = fcc()
    pos = atoms.positions + np.random.default_rng(3).normal(0, 0.15, atoms.positions.shape)
    rb = RadialBondOrder(coarse_grain=None)
    f = rb(pos, atoms.cell.array, True)
    names = rb.feature_names()
    for shell, l in [(1.1, 6), (1.6, 4), (2.2, 8)]:
        column = names.index(f"q{l}(r={shell:g})")
        cutoff = max(rb.shells) + 3 * rb.width
        expected = _direct_q(pos, atoms.cell.array, shell, rb.width, l, cutoff)
        np.testing.assert_allclose(f[:, column], expected, atol=1e-10)


def test_an_atom_without_neighbours_has_zero_order_and_memory_is_linear():
    import tracemalloc

    cell = np.eye(3) * 20.0
    lonely = RadialBondOrder()(np.array([[1.0, 1.0, 1.0], [9.0, 9.0, 9.0]]), cell, True)
    np.testing.assert_array_equal(lonely, 0.0)
    peaks = []
    for repeat in (4, 8):  # 256 and 2048 atoms
        atoms = bulk("Ar", "fcc", a=A, cubic=True).repeat(repeat)
        rb = RadialBondOrder()
        tracemalloc.start()
        rb(atoms.positions, atoms.cell.array, True)
        peaks.append(tracemalloc.get_traced_memory()[1] / len(atoms))
        tracemalloc.stop()
    # peak bytes per atom do not grow with the box (8 x the atoms)
    assert peaks[1] < 1.2 * peaks[0]


def test_species_resolved_densities_add_up():
    atoms = fcc()
    types = np.arange(len(atoms)) % 2 + 1
    pos = atoms.positions
    total = RadialBondOrder(ls=(6,), coarse_grain=None)(pos, atoms.cell.array, True)
    split = RadialBondOrder(ls=(6,), coarse_grain=None, species=(1, 2))(
        pos, atoms.cell.array, True, types
    )
    # columns per shell: G1, G2, q6 against G, q6
    np.testing.assert_allclose(split[:, 0::3] + split[:, 1::3], total[:, 0::2], atol=1e-9)
    np.testing.assert_allclose(split[:, 2::3], total[:, 1::2], atol=1e-9)


def test_averaged_steinhardt_matches_freud_reference():
    atoms = fcc()
    q = steinhardt(atoms.positions, atoms.cell.array, True)
    np.testing.assert_allclose(q.mean(axis=0), [0.19094, 0.57452], atol=1e-4)


def test_displacement_of_a_rigid_shift_across_the_box_and_its_coarse_graining():
    from nucleate.structure.order import displacement_descriptors

    atoms = fcc()
    start = atoms.positions
    cell = atoms.cell.array
    shift = np.array([0.03, -0.04, 0.12])
    end = np.mod(start + shift, np.diag(cell))  # atoms near a face come back on the other side
    assert np.abs(end - start).max() > 1.0  # (some did)
    d = displacement_descriptors(start, end, cell, True, coarse_grain=(1.2,), split_normal=True)
    assert d.shape == (len(start), 4)
    assert np.allclose(d[:, 0], np.linalg.norm(shift))
    assert np.allclose(d[:, 1], 0.05) and np.allclose(d[:, 2], 0.12)
    assert np.allclose(d[:, 3], np.linalg.norm(shift))
    # one atom moved alone: its 12 nearest neighbours (within 1.2) average it over 13 atoms
    moved = start.copy()
    moved[0] += [0.0, 0.0, 0.26]
    d = displacement_descriptors(start, moved, cell, True, coarse_grain=(1.2,))
    assert d[0, 0] == pytest.approx(0.26) and d[0, 1] == pytest.approx(0.26 / 13)
    near = np.linalg.norm(
        (start - start[0] + np.diag(cell) / 2) % np.diag(cell) - np.diag(cell) / 2, axis=1
    )
    first = (near > 0) & (near < 1.2)
    assert first.sum() == 12
    assert np.allclose(d[first, 1], 0.26 / 13)
    assert np.allclose(d[~first & (near > 0), 1], 0.0)


def test_film_pair_energy_splits_by_partner_with_known_values():
    """Two liquid atoms 1.0 apart, one of them 2^(1/6) above a substrate atom: shifted LJ values
    by hand; the substrate's row is zero and the neighbour means run over liquid atoms only."""
    from nucleate.structure.order import film_pair_energy

    r_min = 2.0 ** (1.0 / 6.0)
    pos = np.array([[5.0, 5.0, 5.0], [5.0, 5.0, 5.0 + r_min], [6.0, 5.0, 5.0 + r_min]])
    sub = np.array([True, False, False])
    cell = np.diag([20.0, 20.0, 20.0])
    e = film_pair_energy(pos, cell, [True, True, False], sub, eps_sl=2.0, coarse_grain=(1.2,))

    def v(r, eps):
        return 4 * eps * (r**-12 - r**-6)

    ll = 0.5 * (v(1.0, 1.0) - v(2.5, 1.0))  # each liquid atom's half of their pair
    sl_near = -2.0 - v(2.5, 2.0)  # the minimum of the substrate pair, shifted
    sl_far = v(np.hypot(1.0, r_min), 2.0) - v(2.5, 2.0)
    assert e.shape == (3, 6)
    np.testing.assert_allclose(e[0], 0.0)
    np.testing.assert_allclose(e[1, :3], [ll, sl_near, ll + sl_near], rtol=1e-10)
    np.testing.assert_allclose(e[2, :3], [ll, sl_far, ll + sl_far], rtol=1e-10)
    # within 1.2 each liquid atom sees the other (the substrate atom does not count)
    np.testing.assert_allclose(e[1, 3:], (e[1, :3] + e[2, :3]) / 2, rtol=1e-10)
    np.testing.assert_allclose(e[2, 3:], e[1, 3:], rtol=1e-10)
