"""Layer detection on synthetic interfaces with known layers."""

import numpy as np
import pytest
from ase import Atoms
from conftest import shaken

from nucleate.data.io import Selection, from_ase
from nucleate.errors import InputError, NoLayerError
from nucleate.structure.layers import (
    LayerDetector,
    gaussian_smooth,
    nearest_neighbour_distance,
    prominent_peaks,
    substrate_surface,
)

SUB = Selection(substrate_types=(1,))


def frames_of(atoms_list, units="lj"):
    return [from_ase(a, SUB, units=units) for a in atoms_list]


def test_crystal_slab_layers_sit_at_the_planes(film):
    atoms, d, top = film()
    profile = LayerDetector()(frames_of([atoms]))
    assert profile.reference == "flat"
    assert profile.substrate_top == pytest.approx(top)
    assert profile.roughness == pytest.approx(0.0, abs=1e-9)
    bin_ = 0.02 * profile.d_liquid
    l1, l2 = profile.layers
    assert l1.peak == pytest.approx(d, abs=bin_)
    assert l2.peak == pytest.approx(2 * d, abs=bin_)
    # the empty gap between planes is cut halfway
    assert l1.upper == pytest.approx(1.5 * d, abs=bin_)
    assert l2.upper == pytest.approx(2.5 * d, abs=bin_)
    assert l1.upper_from == l2.upper_from == "trough"
    # one plane per layer: 6 x 6 atoms over the lateral area
    area = from_ase(atoms, SUB).lateral_area
    assert l1.atoms_per_area == pytest.approx(36 / area)
    assert l2.atoms_per_area == pytest.approx(36 / area)


def test_shaken_crystal_is_a_layered_liquid(film):
    atoms, d, _ = film(size=(8, 8), n_liquid=10)
    frames = frames_of(shaken(atoms, 0.12, 6))
    profile = LayerDetector(n_layers=3)(frames)
    tol = 0.08 * d
    for k, layer in enumerate(profile.layers, start=1):
        assert layer.peak == pytest.approx(k * d, abs=tol)
        assert layer.upper == pytest.approx((k + 0.5) * d, abs=tol)
    assert profile.layers[0].lower < 0.75 * d
    # atoms are assigned to the layer of the plane they came from (noise << spacing / 2)
    plane_layer = np.rint((frames[0].positions[:, 2] - profile.substrate_top) / d)
    truth = np.where(frames[0].liquid & (plane_layer <= 3), plane_layer, 0)
    assert np.mean(profile.assign(frames[0]) == truth) > 0.99


def _random_film(rng, n_atoms, area_side, heights):
    """A substrate plane (type 1) at z = 0 and liquid atoms at the given heights, random in x, y."""
    m = int(area_side / 1.0)
    g = (np.arange(m) + 0.5) * area_side / m
    sub = np.array([[x, y, 0.0] for x in g for y in g])
    liq = np.column_stack([rng.uniform(0, area_side, (n_atoms, 2)), heights])
    atoms = Atoms(
        numbers=[1] * len(sub) + [2] * n_atoms,
        positions=np.concatenate([sub, liq]),
        cell=[area_side, area_side, heights.max() + 10],
        pbc=(True, True, False),
    )
    return atoms


def _sample_heights(rng, n, amplitude, decay, spacing=1.0, first=1.0, thickness=8.0):
    """Heights from rho(h) ~ [1 + A exp(-(h - first)/decay) cos(2 pi (h - first)/spacing)],
    rising smoothly from zero density below first - spacing/2."""
    h = np.linspace(0, first + thickness, 20000)
    rise = 0.5 * (1 + np.tanh((h - (first - 0.45 * spacing)) / 0.05))
    osc = amplitude * np.exp(-np.clip(h - first, 0, None) / decay)
    rho = rise * (1 + osc * np.cos(2 * np.pi * (h - first) / spacing))
    cdf = np.cumsum(np.clip(rho, 0, None))
    return np.interp(rng.uniform(0, cdf[-1], n), cdf, h)


def test_weakly_layered_liquid_finds_first_and_second_layer():
    rng = np.random.default_rng(1)
    frames = [
        from_ase(_random_film(rng, 3000, 12.0, _sample_heights(rng, 3000, 0.5, 0.9)), SUB)
        for _ in range(40)
    ]
    profile = LayerDetector()(frames)
    l1, l2 = profile.layers
    assert l1.peak == pytest.approx(1.0, abs=0.06)
    assert l2.peak == pytest.approx(1.97, abs=0.1)  # e^-x cos(2 pi x) peaks at x = 0.97
    assert l1.upper == pytest.approx(1.5, abs=0.1)
    assert l1.upper_from == "trough"


def test_single_peak_falls_back_to_a_fixed_width():
    rng = np.random.default_rng(2)
    frames = [
        from_ase(_random_film(rng, 3000, 12.0, _sample_heights(rng, 3000, 1.5, 0.12)), SUB)
        for _ in range(10)
    ]
    profile = LayerDetector()(frames)
    l1, l2 = profile.layers
    assert l1.peak == pytest.approx(1.0, abs=0.06)
    assert l1.upper_from == "fixed-width"
    spacing = profile.bulk_density ** (-1 / 3)
    assert l1.upper == pytest.approx(l1.peak + 0.5 * spacing)
    assert np.isnan(l2.peak) and l2.upper == pytest.approx(l1.upper + spacing)


def test_a_density_bump_far_up_the_film_is_not_the_second_layer():
    """One resolved contact layer and, 6 spacings higher, a dense slab inside the film (as weakly
    attractive lj-fcc-v1 substrates showed): the second layer is the one-spacing band above the
    first, not the bump. Taken as a layer, the bump put the contact region's upper bound 12-26 σ
    up the film, so crystals grown below it were not counted and T_n came out censored."""
    rng = np.random.default_rng(4)
    frames = []
    for _ in range(10):
        h = _sample_heights(rng, 3000, 1.5, 0.12)
        h = np.concatenate([h, rng.normal(7.0, 0.15, 400)])  # the bump
        frames.append(from_ase(_random_film(rng, 3400, 12.0, h), SUB))
    profile = LayerDetector()(frames)
    l1, l2 = profile.layers
    spacing = profile.d_liquid
    assert l1.peak == pytest.approx(1.0, abs=0.06)
    assert l1.upper == pytest.approx(l1.peak + 0.5 * spacing)
    assert np.isnan(l2.peak) and l2.upper == pytest.approx(l1.upper + spacing)
    # allowing any gap finds the bump, as the detector did before
    loose = LayerDetector(max_gap=np.inf)(frames).layers[1]
    assert loose.peak == pytest.approx(7.0, abs=0.1) and loose.upper > 7.0


def test_structureless_liquid_gets_a_fixed_width_contact_layer():
    # no layering at all (a drying interface seen in few frames): the contact layer starts where
    # the density rises and is one mean spacing wide; noise is not taken for layers
    rng = np.random.default_rng(3)
    frames = [
        from_ase(_random_film(rng, 1500, 12.0, _sample_heights(rng, 1500, 0.0, 1.0)), SUB)
        for _ in range(2)
    ]
    profile = LayerDetector()(frames)
    l1, l2 = profile.layers
    assert l1.upper_from == l2.upper_from == "fixed-width"
    assert np.isnan(l1.peak) and np.isnan(l2.peak)
    assert l1.lower == pytest.approx(0.42, abs=0.1)  # rho(h) rises through 2 % near 0.45
    assert l1.upper - l1.lower == pytest.approx(profile.d_liquid)


def test_stepped_substrate_needs_the_local_surface(film):
    atoms, d, _ = film(size=(12, 6), n_liquid=8, step=True)
    frames = frames_of(shaken(atoms, 0.05, 3))
    auto = LayerDetector()(frames)
    flat = LayerDetector(reference="flat")(frames)
    assert auto.reference == "local"
    assert auto.roughness > 0.3 * d
    # truth: the first liquid plane above each terrace
    f = frames[0]
    z = np.asarray(atoms.positions[:, 2])
    planes = np.unique(np.round(z, 6))
    plane = np.searchsorted(planes, np.round(z, 6))
    frac = atoms.cell.scaled_positions(atoms.positions)[:, 0] % 1.0
    upper = frac < 0.5
    first = f.liquid & (((plane == 4) & upper) | ((plane == 3) & ~upper))
    # away from the step edges (more than a probe radius laterally) every atom is found
    edge = np.minimum.reduce([abs(frac), abs(frac - 0.5), abs(1 - frac)]) * np.linalg.norm(
        atoms.cell[0]
    )
    far = edge > auto.probe_radius + 0.3
    got = auto.assign(f) == 1
    assert got[first & far].all()
    assert not got[~first & far].any()
    assert np.mean(got[first]) > 0.75
    # measured from one flat plane, the terraces smear the layers
    assert np.mean(flat.assign(f)[first] == 1) < np.mean(got[first])


def test_units_scale_lj_to_angstrom(film):
    atoms, _d, _ = film(noise=0.0)
    lj = LayerDetector()(frames_of([atoms]))
    big = atoms.copy()
    big.set_cell(big.cell.array * 3.405, scale_atoms=True)
    real = LayerDetector()(frames_of([big], units="real"))
    assert real.units == "real"
    for a, b in zip(lj.layers, real.layers, strict=True):
        assert b.peak == pytest.approx(3.405 * a.peak, rel=1e-3)
        assert b.upper == pytest.approx(3.405 * a.upper, rel=1e-3)


def test_periodic_z_with_the_substrate_across_the_boundary(film):
    atoms, d, _ = film(vacuum=4.0)
    ref = LayerDetector()(frames_of([atoms]))
    moved = atoms.copy()
    moved.pbc = True
    moved.positions[:, 2] -= 1.5 * d + 4.0  # the lowest planes cross z = 0
    moved.wrap()
    got = LayerDetector()(frames_of([moved]))
    for a, b in zip(ref.layers, got.layers, strict=True):
        assert b.peak == pytest.approx(a.peak, abs=1e-6)
        assert b.upper == pytest.approx(a.upper, abs=1e-6)


def test_orthogonal_and_hexagonal_cells_agree(film):
    hexa = LayerDetector()(frames_of([film()[0]]))
    orth = LayerDetector()(frames_of([film(size=(6, 6), orthogonal=True)[0]]))
    for a, b in zip(hexa.layers, orth.layers, strict=True):
        assert b.peak == pytest.approx(a.peak, abs=1e-6)
        assert b.atoms_per_area == pytest.approx(a.atoms_per_area, rel=1e-6)


def test_surface_of_a_perfect_slab_is_flat(film):
    atoms, d, top = film()
    f = from_ase(atoms, SUB)
    s = substrate_surface(f, probe_radius=np.sqrt(2) * d)
    np.testing.assert_allclose(s.heights, top)


def test_detached_liquid_has_no_layer(film):
    atoms, _d, _ = film()
    atoms.positions[atoms.numbers == 2, 2] += 6.0  # lift the liquid 6 sigma off the substrate
    atoms.cell[2, 2] += 6.0
    with pytest.raises(NoLayerError, match="no liquid layer detected"):
        LayerDetector()(frames_of([atoms]))


def test_non_periodic_cell_is_refused(film):
    atoms, _, _ = film()
    atoms.pbc = False
    with pytest.raises(InputError, match="periodic"):
        LayerDetector()(frames_of([atoms]))


@pytest.mark.parametrize("seed", range(6))
def test_prominent_peaks_are_scipys_find_peaks(seed):
    """The same peaks and prominences as scipy.signal.find_peaks on noisy layered profiles, with
    plateaus, edge maxima and repeated heights."""
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    rng = np.random.default_rng(seed)
    h = np.linspace(0, 10, 400)
    x = np.exp(-h / 3) * np.cos(2 * np.pi * h) ** 2 + 0.2 * rng.random(400)
    x = gaussian_filter1d(x, 1 + seed)
    x[0] = x.max() + 1  # an edge maximum is no peak
    x = np.round(x, 2 if seed % 2 else 4)  # plateaus and ties
    for threshold in (0.0, 0.01, 0.05):
        want, props = find_peaks(x, prominence=threshold)
        got, prom = prominent_peaks(x, threshold)
        assert len(want) > 0
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(prom, props["prominences"], atol=1e-12)


@pytest.mark.parametrize(("n", "sd"), [(400, 2.3), (60, 0.7), (10, 3.0), (5, 0.2), (300, 7.49)])
def test_gaussian_smooth_is_scipys_gaussian_filter1d(n, sd):
    """Zero beyond the ends, cut at 4 sd, kernels longer than the profile included."""
    from scipy.ndimage import gaussian_filter1d

    x = np.random.default_rng(n).random(n) * np.linspace(1, 3, n)
    np.testing.assert_allclose(
        gaussian_smooth(x, sd), gaussian_filter1d(x, sd, mode="constant"), rtol=0, atol=1e-14
    )


def _point_sets():
    rng = np.random.default_rng(0)
    slab = [(i * 1.1 + 0.55 * (k % 2), j * 1.1, -0.8 * k)
            for i in range(10) for j in range(10) for k in range(6)]  # fmt: skip
    return {
        "cloud": rng.random((500, 3)) * 10,
        "plane": np.column_stack([rng.random((300, 2)) * 20, np.zeros(300)]),
        "line": np.column_stack([np.arange(50) * 1.1, np.zeros((50, 2))]),
        "pair": np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0]]),
        "slab": np.array(slab),
        "far outliers": np.concatenate([rng.random((10, 3)), rng.random((12, 3)) * 1000]),
    }


@pytest.mark.parametrize("name", list(_point_sets()))
def test_nearest_neighbour_distance_is_a_kd_trees_median(name):
    """From vesin pair lists with a growing cutoff: scipy's k-d tree's median, also where most
    points are far apart (the cutoff grows) or lie on a plane or a line."""
    from scipy.spatial import cKDTree

    points = _point_sets()[name]
    want = float(np.median(cKDTree(points).query(points, k=2)[0][:, 1]))
    assert nearest_neighbour_distance(points) == pytest.approx(want, rel=1e-12)


def test_nearest_neighbour_distance_refuses_atoms_on_top_of_each_other():
    with pytest.raises(InputError, match="on top of each other"):
        nearest_neighbour_distance(np.array([[0.0, 0, 0], [0, 0, 0], [1, 1, 1]]))
    with pytest.raises(InputError, match="on top of each other"):
        nearest_neighbour_distance(np.zeros((3, 3)))


def test_a_frozen_substrate_gets_one_surface_a_moved_one_its_own(film):
    """with_surfaces reuses the surface while the substrate atoms stay put (to round-off) and
    makes a new one as soon as they move."""
    atoms, d, top = film(size=(8, 8), n_liquid=10)
    frames = shaken(atoms, 0.1, 3)
    frames[1].positions[frames[1].numbers != 2] += 1e-12  # round-off: the same substrate
    lifted = frames[2].numbers != 2
    frames[2].positions[lifted, 2] += 0.01 * d  # the substrate moved
    frames[2].positions[lifted & (frames[2].positions[:, 2] > top - 0.1 * d), 2] += 0.2 * d
    _, surfaces = LayerDetector().with_surfaces(frames_of(frames))
    assert surfaces[1] is surfaces[0]
    assert surfaces[2] is not surfaces[0]
    fresh = [substrate_surface(f, probe_radius=surfaces[0].probe_radius) for f in frames_of(frames)]
    for s, f in zip(surfaces, fresh, strict=True):
        np.testing.assert_allclose(s.heights, f.heights, atol=1e-9)
    assert surfaces[2].top == pytest.approx(top + 0.21 * d)
