"""Substrate descriptors for any slab, on hand-built slabs with known answers."""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from nucleate.data.families import FAMILIES, build_named
from nucleate.errors import InputError
from nucleate.featurize.descriptors import adsorption_landscape
from nucleate.featurize.surface import (
    PLANES,
    PairLJ,
    atom_strengths,
    bessel_j,
    deep_sites,
    landscape,
    lateral_pairs,
    lattice_match,
    plane_reciprocal,
    stable_argsort,
    substrate_descriptors,
    symmetry_period,
)

A0 = 1.617
D0 = A0 / math.sqrt(2)


def square_net(a: float, n: int = 8):
    xy = np.array([(i * a, j * a) for i in range(n) for j in range(n)], dtype=float)
    return np.column_stack([xy, np.zeros(len(xy))]), np.array([[n * a, 0.0], [0.0, n * a]])


def probe_energy(xy, pos, lateral, pair):
    """Brute force: a probe's lowest energy over height at one lateral point (explicit images)."""
    images = np.concatenate([pos + [i * lateral[0, 0], j * lateral[1, 1], 0]
                             for i in (-1, 0, 1) for j in (-1, 0, 1)])  # fmt: skip

    def e(h):
        r = np.linalg.norm(images - [xy[0], xy[1], h], axis=1)
        return pair.energy(r).sum()

    return minimize_scalar(e, bounds=(0.5, 2.0), method="bounded", options={"xatol": 1e-9}).fun


def test_flat_square_net_has_its_areal_density_sites_and_corrugation():
    a = 1.2
    pos, lateral = square_net(a)
    pair = PairLJ(1.0)
    d = substrate_descriptors(pos, np.ones(len(pos)), lateral, D0, pair)
    assert d["exposed_density"] == pytest.approx(1 / a**2, rel=1e-12)
    assert d["site_density"] == pytest.approx(1 / a**2, rel=1e-12)  # one hollow per atom
    energy = landscape(pos, lateral, pair, 0.0, spacing=a / 8).energy
    hollow = probe_energy((a / 2, a / 2), pos, lateral, pair)
    atop = probe_energy((0.0, 0.0), pos, lateral, pair)
    # hollow and atop sites lie on the mesh; their heights are minimised to 1e-6 σ
    assert energy.min() == pytest.approx(hollow, abs=1e-9)
    assert energy.max() == pytest.approx(atop, abs=1e-9)
    assert len(deep_sites(energy)) == 64


def test_close_packed_layer_has_two_hollows_per_atom():
    slab, _ = build_named(FAMILIES.get("fcc111"), 0.0, A0, 3, 10.0, 0)
    top = slab.positions[:, 2] > slab.positions[:, 2].max() - 0.1
    d = substrate_descriptors(slab.positions, slab.numbers, slab.cell.array[:2, :2], D0,
                              PairLJ(1.0))  # fmt: skip
    area = slab.cell[0, 0] * slab.cell[1, 1]
    assert d["exposed_density"] == pytest.approx(top.sum() / area)
    assert d["site_density"] == pytest.approx(2 * top.sum() / area)  # fcc and hcp hollows


@pytest.mark.parametrize(("name", "value", "plane"), [("fcc111", 0.0, "111"),
                         ("fcc100", 0.0, "100"), ("fcc110", 0.0, "110"),
                         ("fcc111-twist", 21.8, "111")])  # fmt: skip
def test_a_facet_of_the_crystal_matches_its_own_plane_perfectly(name, value, plane):
    slab, _ = build_named(FAMILIES.get(name), value, A0, 3, 10.0, 0)
    d = substrate_descriptors(slab.positions, slab.numbers, slab.cell.array[:2, :2], D0, None)
    assert d[f"match_{plane}"] == pytest.approx(1.0, abs=1e-5)
    assert d["lattice_match"] == pytest.approx(1.0, abs=1e-5)
    others = [v for p, v in d.items() if p.startswith("match_") and p != f"match_{plane}"]
    assert max(others) < 0.7


@pytest.mark.parametrize("name", ["fcc100", "fcc100-checker"])
def test_a_thin_slab_is_seen_from_above_only(name):
    """Two fcc(100) layers (what a data set's frames keep) leave a hollow beneath the slab as
    deep as those on top: the probe must not sit there, so the slab's descriptors of shape are
    those of a thick one (its top layer exposed, the (100) net matched perfectly)."""
    slab, _ = build_named(FAMILIES.get(name), 1 if name.endswith("checker") else 0.0, A0, 3,
                          10.0, 0)  # fmt: skip
    z = slab.positions[:, 2]
    lateral = slab.cell.array[:2, :2]
    planes = np.unique(np.round(z, 6))
    thin = z >= planes[-2] - 1e-6  # the top two layers
    pair = PairLJ(1.0)
    strengths = dict(eps_sl2=0.5) if name.endswith("checker") else {}
    thick = substrate_descriptors(slab.positions, slab.numbers, lateral, D0, pair, **strengths)
    two = substrate_descriptors(slab.positions[thin], slab.numbers[thin], lateral, D0, pair,
                                **strengths)  # fmt: skip
    for key in ("exposed_density", "match_100", "match_111", "match_110", "site_density"):
        assert two[key] == pytest.approx(thick[key], rel=1e-9), key
    land = landscape(slab.positions[thin], lateral, pair, float(z.max()))
    assert land.height.min() > 0.5  # on top, in the hollows of the top layer


def test_each_plane_is_scanned_over_its_own_symmetry():
    """Six-fold (111) repeats every 60°, four-fold (100) every 90°, (110) only every 180°."""
    periods = {p: symmetry_period(plane_reciprocal(p, D0)) for p in PLANES}
    assert periods == {"111": 60.0, "100": 90.0, "110": 180.0}


@pytest.mark.parametrize("turn", [17.0, 41.0, 73.0, 101.0, 131.0, 163.0])
def test_lattice_match_does_not_depend_on_how_the_surface_is_turned(turn):
    """The same strained, bumpy bcc(110) top layer turned in the plane (cell and atoms): the
    same match to every plane, whatever the best orientation falls on."""
    slab, _ = build_named(FAMILIES.get("bcc110"), 0.03, A0, 3, 10.0, 0)
    top = slab.positions[slab.positions[:, 2] > slab.positions[:, 2].max() - 0.1, :2]
    lateral = slab.cell.array[:2, :2]
    t = np.radians(turn)
    rot = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    want, got = lattice_match(top, lateral, D0), lattice_match(top @ rot, lateral @ rot, D0)
    for plane in PLANES:
        assert got[plane] == pytest.approx(want[plane], abs=2e-4)


def test_lattice_match_falls_with_mismatch_and_disorder():
    def match(name, value):
        slab, _ = build_named(FAMILIES.get(name), value, A0, 3, 10.0, 0)
        top = slab.positions[:, 2] > slab.positions[:, 2].max() - 0.3
        return lattice_match(slab.positions[top, :2], slab.cell.array[:2, :2], D0)["111"]

    m = [match("fcc111", x) for x in (0.0, 0.03, 0.06, 0.09)]
    assert m[0] == pytest.approx(1.0) and m[0] > m[1] > m[2] > m[3]
    rng = np.random.default_rng(0)
    xy = rng.random((200, 2)) * 12.0
    assert max(lattice_match(xy, np.diag([12.0, 12.0]), D0).values()) < 0.4


def test_second_component_interacts_with_its_own_strength():
    pos, lateral = square_net(1.2, 6)
    types = np.ones(len(pos), dtype=int)
    with pytest.raises(InputError, match="eps_sl2"):
        atom_strengths(np.full(len(pos), 3), 1.0)
    one = landscape(pos, lateral, PairLJ(1.0), 0.0).energy
    two = landscape(pos, lateral, PairLJ(1.0), 0.0, strengths=atom_strengths(
        np.full(len(pos), 3), 1.0, 2.0)).energy  # fmt: skip
    assert np.allclose(two, 2 * one)
    half = types.copy()
    half[: len(pos) // 2] = 3  # the weak half attracts less
    mixed = landscape(pos, lateral, PairLJ(1.0), 0.0,
                      strengths=atom_strengths(half, 1.0, 0.3)).energy  # fmt: skip
    assert one.min() < mixed.min()
    assert mixed.mean() > one.mean()


def test_lateral_pairs_are_every_periodic_pair_within_the_cutoff_once():
    # an oblique cell smaller than twice the cutoff (several images of one atom reach a probe),
    # atoms and probes given outside the cell: against every image explicitly
    rng = np.random.default_rng(4)
    lateral = np.array([[3.1, 0.0], [1.2, 2.9]])
    atoms = rng.random((7, 2)) @ lateral + [5.0, -8.0]
    probes = rng.random((30, 2)) @ lateral - [11.0, 2.0]
    cutoff = 2.5
    pairs = lateral_pairs(probes, atoms, lateral, cutoff)
    expected = []
    for p, q in enumerate(probes):
        for a, x in enumerate(atoms):
            for i in range(-8, 9):
                for j in range(-8, 9):
                    d2 = np.sum((q - x - i * lateral[0] - j * lateral[1]) ** 2)
                    if d2 < cutoff**2:
                        expected.append((p, a, d2))
    got = sorted(zip(pairs.probe, pairs.atom, pairs.r_xy2, strict=True))
    expected.sort()
    assert len(got) == len(expected) > len(probes)
    np.testing.assert_array_equal([g[:2] for g in got], [e[:2] for e in expected])
    np.testing.assert_allclose([g[2] for g in got], [e[2] for e in expected], atol=1e-9)
    assert np.all(np.diff(pairs.probe) >= 0)  # sorted by probe


@pytest.mark.parametrize("high", [50, 70_000, 3_000_000_000, 1 << 40])
def test_radix_argsort_is_numpys_stable_argsort(high):
    # one 16-bit pass, two passes (keys above 2**16), and numpy's own sort beyond 2**32; many
    # equal keys, so that a sort that is not stable would be seen
    keys = np.random.default_rng(1).integers(0, high, 5000)
    keys[::3] = keys[0]
    np.testing.assert_array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))


@pytest.mark.parametrize("eps", [0.3, 1.0, 2.5])
def test_one_strength_shortcut_equals_the_per_atom_computation(eps):
    """A one-component slab's descriptors come from the unit-strength landscape scaled by eps;
    the per-atom path (every atom a second component of the same strength) gives the same."""
    slab, _ = build_named(FAMILIES.get("fcc100"), 0.02, A0, 3, 10.0, 0)
    pos, lateral = slab.positions, slab.cell.array[:2, :2]
    short = substrate_descriptors(pos, np.ones(len(pos), int), lateral, D0, PairLJ(eps))
    full = substrate_descriptors(pos, np.full(len(pos), 3), lateral, D0, PairLJ(1.0), eps)
    assert short.keys() == full.keys()
    for k, v in full.items():
        assert short[k] == pytest.approx(v, rel=1e-12, abs=1e-14), k
    assert short["site_depth"] < -eps  # deeper than one pair's minimum


def test_a_dimer_in_a_wide_cell_matches_a_brute_force_scan_at_every_probe():
    """Most probes of a wide cell have no atom within the cutoff (energy 0), also the last ones
    of a chunk of the scan; every other probe's energy is its minimum over height, here by brute
    force: the lowest point of a height mesh of 0.001 σ, then a bounded scalar minimisation
    around it (two atoms one above the other: a probe near one has two pairs)."""
    pair = PairLJ(1.0)
    lateral = np.array([[30.0, 0.0], [0.0, 30.0]])
    atoms = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -0.6]])  # one above the other
    land = landscape(atoms, lateral, pair, 0.0)
    assert land.energy.size > 4 * 2048  # several chunks of the scan
    probes = land.probes[:, :2]
    heights = np.linspace(-1.6, 2.1, 3701)  # the range searched: the coarse one and a step
    want = np.zeros(len(probes))
    for k, xy in enumerate(probes):
        d = xy - atoms[:, :2]
        d -= np.round(d / 30.0) * 30.0  # nearest images (the cell is wider than two cutoffs)
        rho2 = (d**2).sum(axis=1)
        if rho2.min() < pair.cutoff**2:
            r = np.sqrt(rho2[None, :] + (heights[:, None] - atoms[None, :, 2]) ** 2)
            h0 = heights[int(np.argmin(pair.energy(r).sum(axis=1)))]

            def energy(h, rho2=rho2):
                return pair.energy(np.sqrt(rho2 + (h - atoms[:, 2]) ** 2)).sum()

            want[k] = minimize_scalar(energy, bounds=(max(h0 - 1e-3, -1.6), min(h0 + 1e-3, 2.1)),
                                      method="bounded", options={"xatol": 1e-10}).fun  # fmt: skip
    assert (want == 0).mean() > 0.9
    np.testing.assert_allclose(land.energy.ravel(), want, atol=1e-9)


@pytest.mark.parametrize("family, value", [("fcc111", 0.0), ("fcc111-vacancies", 0.35),
                                           ("fcc111-adatoms", 0.3), ("fcc111-disordered", 0.35)])  # fmt: skip
def test_skipping_heights_inside_the_substrate_changes_no_number(family, value, monkeypatch):
    """The coarse scan leaves out the lowest heights at which a probe provably overlaps an atom
    (its energy above zero, the top height's at most zero); the landscape is the same to the
    last bit as with every height scanned, on surfaces whose probes sink into vacancies, sit
    between adatoms or on a disordered layer, and most of the scan is left out."""
    from nucleate.featurize import surface

    slab, _ = build_named(FAMILIES.get(family), value, A0, 4, 10.0, 0)
    pos, lateral = slab.positions, slab.cell.array[:2, :2]
    top = pos[:, 2].max()
    skipped = []
    pruned = surface._first_heights

    def spy(*args):
        first = pruned(*args)
        skipped.append(first)
        return first

    monkeypatch.setattr(surface, "_first_heights", spy)
    fast = landscape(pos, lateral, PairLJ(1.0), top)
    monkeypatch.setattr(surface, "_first_heights", lambda probe_of, n, *_: np.zeros(n, int))
    full = landscape(pos, lateral, PairLJ(1.0), top)
    np.testing.assert_array_equal(fast.energy, full.energy)
    np.testing.assert_array_equal(fast.height, full.height)
    assert np.concatenate(skipped).mean() > 5  # of 36 heights (21 on the flat fcc(111))


@pytest.mark.parametrize("family, value", [("fcc111", 0.0), ("fcc111-vacancies", 0.35),
                                           ("fcc111-adatoms", 0.3), ("bcc110", 0.0)])  # fmt: skip
def test_stopping_the_scan_where_every_pair_is_past_its_minimum_changes_no_number(
    family, value, monkeypatch
):
    """Above the height at which every pair of a probe is past the pair's minimum its energy
    only rises: the scan stops one height above it, and the landscape (and the adsorption
    landscape on its 171 heights) is the same to the last bit as with every height up to the
    top, while most heights above the minimum are left out."""
    from nucleate.featurize import surface

    slab, _ = build_named(FAMILIES.get(family), value, A0, 4, 10.0, 0)
    pos, lateral = slab.positions, slab.cell.array[:2, :2]
    top = pos[:, 2].max()
    spans = []
    stops = surface._last_heights

    def spy(probe_of, n, r_xy2, dz_atom, weight, unit, heights):
        last = stops(probe_of, n, r_xy2, dz_atom, weight, unit, heights)
        spans.append(len(heights) - 1 - last)
        return last

    monkeypatch.setattr(surface, "_last_heights", spy)
    fast = landscape(pos, lateral, PairLJ(1.0), top)
    fast_ads = adsorption_landscape(pos, lateral, PairLJ(0.7), top, grid=6)
    monkeypatch.setattr(
        surface, "_last_heights", lambda probe_of, n, *a: np.full(n, len(a[-1]) - 1)
    )
    full = landscape(pos, lateral, PairLJ(1.0), top)
    full_ads = adsorption_landscape(pos, lateral, PairLJ(0.7), top, grid=6)
    np.testing.assert_array_equal(fast.energy, full.energy)
    np.testing.assert_array_equal(fast.height, full.height)
    np.testing.assert_array_equal(fast_ads[0], full_ads[0])
    np.testing.assert_array_equal(fast_ads[1], full_ads[1])
    assert np.concatenate(spans[:-1]).mean() > 5  # of the 36 coarse heights, left out above
    assert spans[-1].mean() > 50  # of the adsorption landscape's 171


def test_a_minimum_beyond_the_range_scanned_stops_at_its_edge():
    """A probe over an atom has its minimum 2^(1/6) σ above it; scanned from 0 to 0.8 σ (and
    the search one coarse step beyond), it ends at the edge of the search, 0.9 σ, with the
    energy there."""
    pair = PairLJ(1.0)
    lateral = np.array([[8.0, 0.0], [0.0, 8.0]])
    land = landscape(np.zeros((1, 3)), lateral, pair, 0.0, heights=(0.0, 0.8, 9))
    assert land.height[0, 0] == pytest.approx(0.9, abs=1e-9)  # the probe over the atom
    assert land.energy[0, 0] == pytest.approx(float(pair.energy(np.array(0.9))), abs=1e-9)
    free = landscape(np.zeros((1, 3)), lateral, pair, 0.0)  # the full range: the LJ minimum
    assert abs(free.height[0, 0]) == pytest.approx(2 ** (1 / 6), abs=1e-6)  # (above or below)
    assert free.energy[0, 0] == pytest.approx(float(pair.energy(np.array(2 ** (1 / 6)))), abs=1e-10)


def test_bessel_functions_match_scipy():
    from scipy.special import jv

    z = np.concatenate([[0.0, 1e-13, 1e-6, 0.3], np.linspace(0.01, 40.0, 400)])
    np.testing.assert_allclose(bessel_j(z, 80), jv(np.arange(81)[:, None], z[None, :]), atol=1e-12)


def direct_lattice_match(xy, lateral, d0, weights, radius=2.5):
    """The lattice match by its definition: at every 1° of each plane's period, then every 0.05°
    within 1° of the best, the structure factor summed directly over explicit periodic images."""
    images = np.concatenate([xy + i * lateral[0] + j * lateral[1]
                             for i in range(-2, 3) for j in range(-2, 3)])  # fmt: skip
    w_images = np.tile(weights, 25)
    out = {}
    for plane in PLANES:
        g = plane_reciprocal(plane, d0)

        def match(angles, g=g):
            total = np.zeros(len(angles))
            for a, phi in enumerate(angles):
                c, s = np.cos(phi), np.sin(phi)
                gr = g @ np.array([[c, s], [-s, c]])  # each G turned by phi
                for i, x in enumerate(xy):
                    d = images - x
                    near = (np.einsum("ij,ij->i", d, d) < (radius * d0) ** 2) & (
                        np.abs(d).sum(axis=1) > 1e-12)  # fmt: skip
                    s_g = weights[i] + np.exp(1j * d[near] @ gr.T).T @ w_images[near]
                    total[a] += np.abs(s_g).mean() / (weights[i] + w_images[near].sum())
            return total / len(xy)

        coarse = np.radians(np.arange(0.0, symmetry_period(g), 1.0))
        best = coarse[int(np.argmax(match(coarse)))]
        out[plane] = float(match(best + np.radians(np.arange(-1.0, 1.0001, 0.05))).max())
    return out


def test_lattice_match_equals_its_direct_sum():
    """The expansion (every angle from one set of coefficients per atom) gives the direct sums'
    numbers, on a weighted, disordered patch."""
    rng = np.random.default_rng(3)
    lateral = np.array([[5.0, 0.0], [1.5, 4.6]])
    xy = rng.random((14, 2)) @ lateral
    weights = rng.uniform(0.3, 1.5, len(xy))
    want = direct_lattice_match(xy, lateral, D0, weights)
    got = lattice_match(xy, lateral, D0, weights)
    for plane in PLANES:
        assert got[plane] == pytest.approx(want[plane], abs=1e-12)


def test_integer_positions_give_the_landscapes_of_their_float_values():
    """Positions (and the top) given as integers, a hand-made slab, are read as floats."""
    pos = np.array([[0, 0, 0], [1, 1, -1]])
    lateral = np.diag([3.0, 3.0])
    for fn in (
        lambda p: landscape(p, lateral, PairLJ(1.0), 0),
        lambda p: adsorption_landscape(p, lateral, PairLJ(1.0), 0, grid=4),
    ):
        got, want = fn(pos), fn(pos.astype(float))
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
