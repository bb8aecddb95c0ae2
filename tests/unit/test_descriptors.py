"""Interface descriptors on a perfect epitaxial film with known answers."""

import numpy as np
import pytest

from nucleate.data.io import Selection, from_ase
from nucleate.errors import InputError
from nucleate.featurize.descriptors import (
    DESCRIPTORS,
    InterfaceDescriptors,
    PairLJ,
    adsorption_landscape,
    descriptor_table,
)

SUB = Selection(substrate_types=(1,))
A0 = 1.5496


def test_table_documents_every_descriptor():
    assert len(DESCRIPTORS) >= 30
    names = [d.name for d in DESCRIPTORS]
    assert len(names) == len(set(names))
    assert {d.kind for d in DESCRIPTORS} == {"liquid", "substrate"}
    assert all(d.unit and d.doc for d in DESCRIPTORS)
    assert len(descriptor_table(1)) < len(descriptor_table(2))


def test_perfect_epitaxial_film(film):
    atoms, d, _ = film(size=(8, 8), n_liquid=8, noise=0.02)
    frame = from_ase(atoms, SUB)
    out = InterfaceDescriptors(a0=A0, pair=PairLJ(1.0))(frame)
    assert set(out) == {x.name for x in DESCRIPTORS}
    a_nn = A0 / np.sqrt(2)
    assert out["psi6_1"] > 0.95 and out["psi4_1"] < 0.3  # hexagonal (111) layer
    assert out["registry_1"] > 0.9  # the layer continues the substrate lattice
    assert out["crystal_1"] > 0.9
    assert out["q6bar_1"] > 0.4  # liquid neighbours only: the substrate side is missing
    assert out["height_1"] == pytest.approx(d, abs=0.03)
    assert out["spacing_12"] == pytest.approx(d, abs=0.05)
    assert out["sub_nn"] == pytest.approx(a_nn, rel=1e-6)
    assert out["mismatch"] == pytest.approx(0.0, abs=1e-9)
    assert out["sub_density"] == pytest.approx(1 / (np.sqrt(3) / 2 * a_nn**2), rel=1e-6)
    assert out["g2d_r_1"] == pytest.approx(a_nn, abs=0.05)
    assert out["e_ads_min"] < 0 and out["corrugation"] > 0
    assert out["eps_density"] == pytest.approx(out["sub_density"])


def test_adsorption_landscape_matches_a_direct_sum(film):
    atoms, _, top = film(size=(4, 4), n_liquid=1)
    frame = from_ase(atoms, SUB)
    sub = frame.positions[frame.substrate]
    lateral = frame.cell[:2, :2]
    pair = PairLJ(0.8, 1.0, 2.5)
    e, h = adsorption_landscape(sub, lateral, pair, top, grid=4)
    # direct: the first probe point at fractional (1/8, 1/8) from the first top atom
    anchor = sub[np.argmax(sub[:, 2] > sub[:, 2].max() - 1e-6), :2]
    p = np.array([*(anchor + lateral.T @ [0.125, 0.125]), top + h[0, 0]])
    total = 0.0
    for i in range(-3, 4):
        for j in range(-3, 4):
            shift = np.array([*(i * lateral[0] + j * lateral[1]), 0.0])
            r = np.linalg.norm(sub + shift - p, axis=1)
            total += pair.energy(r).sum()
    assert e[0, 0] == pytest.approx(total, rel=1e-9)
    # hollow sites bind more strongly than on-top sites: the landscape is corrugated
    e9, h9 = adsorption_landscape(sub, lateral, pair, top, grid=9)
    assert e9.max() - e9.min() > 0.01
    assert h9[np.unravel_index(np.argmin(e9), e9.shape)] < h9.max()  # hollows sit lower


def test_stride_uses_every_nth_frame_for_per_frame_order(film):
    from conftest import shaken

    atoms, _, _ = film(size=(6, 6), n_liquid=6, noise=0.02)
    frames = [from_ase(a, SUB) for a in shaken(atoms, 0.05, 6, seed=3)]
    f = InterfaceDescriptors(a0=A0, pair=PairLJ(1.0))
    strided = InterfaceDescriptors(a0=A0, pair=PairLJ(1.0), stride=3)(frames)
    picked = f(frames[::3])
    assert strided["psi6_1"] == pytest.approx(picked["psi6_1"], rel=1e-12)
    assert strided["q6bar_1_std"] == pytest.approx(picked["q6bar_1_std"], rel=1e-12)
    assert strided["psi6_1"] != f(frames)["psi6_1"]
    with pytest.raises(InputError):
        InterfaceDescriptors(stride=0)


def test_a_missing_second_layer_gives_nan_quietly(film):
    """A film with only a contact layer (as on the weakest substrates): the second layer's
    descriptors are undefined (NaN), without numpy's empty-slice warnings."""
    import warnings

    atoms, d, _ = film(size=(6, 6), n_liquid=1, noise=0.02)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = InterfaceDescriptors(a0=A0, pair=PairLJ(1.0))(from_ase(atoms, SUB))
    assert {k for k, v in out.items() if not np.isfinite(v)} == {
        "spacing_12",
        "height_2",
        "width_2",
    }
    assert out["height_1"] == pytest.approx(d, abs=0.03)  # the contact layer is there


def test_in_plane_structure_factor_tells_a_held_lattice_from_a_liquid_layer(film):
    """sk_max_1 / sk_static_1: a contact layer on its lattice sites (shaken a little from frame to
    frame) keeps both near 1; a layer whose atoms sit at random in-plane places in every frame has
    per-frame amplitudes of order 1/sqrt(N) and a frame average smaller still."""
    from conftest import shaken

    atoms, _, _ = film(size=(8, 8), n_liquid=8, noise=0.0)
    f = InterfaceDescriptors(a0=A0, pair=PairLJ(1.0))
    held = f([from_ase(a, SUB) for a in shaken(atoms, 0.05, 6, seed=1)])
    assert held["sk_max_1"] > 0.9 and held["sk_static_1"] > 0.9
    rng = np.random.default_rng(2)
    lateral = atoms.cell.array[:2, :2]
    frames = []
    for _ in range(6):
        b = atoms.copy()
        liq = b.numbers == 2
        b.positions[liq, :2] = rng.random((int(liq.sum()), 2)) @ lateral
        frames.append(from_ase(b, SUB))
    liquid = f(frames)
    n_layer = 64  # an 8 x 8 layer
    assert liquid["sk_max_1"] < 4 / np.sqrt(n_layer)
    assert liquid["sk_static_1"] < 0.6 * liquid["sk_max_1"]


def test_density_waves_equal_the_direct_sum_over_atoms():
    from nucleate.featurize.descriptors import density_waves

    rng = np.random.default_rng(1)
    lateral = np.array([[12.3, 0.0], [6.1, 10.7]])
    xy = rng.random((500, 2)) @ lateral + [30.0, -4.0]  # outside the cell: periodic all the same
    hk = np.array([[1, 0], [0, 1], [3, -7], [9, 4], [12, -12]])
    direct = np.exp(2j * np.pi * ((xy @ np.linalg.inv(lateral)) @ hk.T)).sum(axis=0)
    np.testing.assert_allclose(density_waves(xy, lateral, hk), direct, atol=1e-9)
    # a perfect periodic net at its own wavevector adds in phase: |S| = n
    net = np.array([(i, j) for i in range(6) for j in range(5)], float) @ (lateral / [[6], [5]])
    assert abs(density_waves(net, lateral, np.array([[6, 0]]))[0]) == pytest.approx(30.0)


def test_layer_means_of_the_bond_order_on_a_perfect_film(film):
    from nucleate.featurize.base import FEATURIZERS
    from nucleate.structure.order import RadialBondOrder

    atoms, _, _ = film(size=(6, 6), n_liquid=8)
    frame = from_ase(atoms, SUB)
    a_nn = A0 / np.sqrt(2)
    order = RadialBondOrder(shells=(a_nn,), width=0.02, ls=(4, 6), coarse_grain=None)
    out = InterfaceDescriptors(a0=A0, bond_order=order)(frame)
    # the contact and second layers sit in the perfect crystal (the substrate counts as
    # neighbours): 12 nearest neighbours with fcc's q4, q6
    for k in (1, 2):
        assert out[f"bo{k}_G(r={a_nn:g})"] == pytest.approx(12.0, rel=1e-6)
        assert out[f"bo{k}_q4(r={a_nn:g})"] == pytest.approx(0.19094, abs=1e-4)
        assert out[f"bo{k}_q6(r={a_nn:g})"] == pytest.approx(0.57452, abs=1e-4)
    plain = InterfaceDescriptors(a0=A0)(frame)
    assert set(out) - set(plain) == {f"bo{k}_{n}" for k in (1, 2) for n in order.feature_names()}
    # from a config: a dict of the bond order's settings; a bad stride is refused
    built = FEATURIZERS.get("descriptors").from_settings({"bond_order": {"ls": [6]}})
    assert "bo1_q6(r=0.9)" in built.names() and "bo1_q4(r=0.9)" not in built.names()
    with pytest.raises(InputError, match="bond_order_stride"):
        InterfaceDescriptors(bond_order=order, bond_order_stride=0)


@pytest.mark.parametrize("net", ["square", "hexagonal"])
def test_bond_orientational_order_of_perfect_nets(net):
    """|psi_4| and |psi_6| from one pass over a layer's in-plane pairs: 1 on the net of their own
    symmetry, 0 for psi_6 on the square net (bonds 90° apart: e^{6iθ} = ±1 cancel), below 1 for
    psi_4 on the hexagonal one; g(r) peaks at the nearest-neighbour distance."""
    from nucleate.featurize.descriptors import _g2d_peak, _in_plane, _psi

    a = 1.13
    if net == "square":
        basis, n = np.array([[a, 0.0], [0.0, a]]), (8, 8)
    else:
        basis, n = np.array([[a, 0.0], [a / 2, a * np.sqrt(3) / 2]]), (8, 8)
    i, j = np.meshgrid(np.arange(n[0]), np.arange(n[1]), indexing="ij")
    xy = i.reshape(-1, 1) * basis[0] + j.reshape(-1, 1) * basis[1]
    lateral = basis * np.array(n)[:, None]
    pairs = _in_plane(xy, lateral, 2.5 * a)
    psi6, psi4 = _psi(pairs, len(xy), (6, 4), 1.2 * a)  # the first shell only
    if net == "square":
        np.testing.assert_allclose(psi4, 1.0, atol=1e-12)
        np.testing.assert_allclose(psi6, 0.0, atol=1e-12)  # bonds 90° apart: e^{i 6 θ} = ±1
    else:
        np.testing.assert_allclose(psi6, 1.0, atol=1e-12)
        assert np.all(psi4 < 0.9)
    # the same numbers as one n-fold at a time
    np.testing.assert_array_equal(_psi(pairs, len(xy), (4,), 1.2 * a)[0], psi4)
    _, r = _g2d_peak(pairs, len(xy), lateral, 2.7)  # (a not on a bin edge)
    assert r == pytest.approx(a, abs=2.7 / 120)  # its bin holds the nearest neighbours


def _psi_by_hand(xy, box, n_fold, cutoff):
    """|psi_n| of each point from its n_fold nearest others within cutoff (minimum image in an
    orthorhombic box, cutoff below half of it): the definition, point by point."""
    out = np.zeros(len(xy))
    if len(xy) < n_fold + 1:
        return out
    for k, p in enumerate(xy):
        d = xy - p
        d -= box * np.round(d / box)
        r = np.hypot(d[:, 0], d[:, 1])
        near = [j for j in np.argsort(r) if j != k and r[j] < cutoff][:n_fold]
        if near:
            out[k] = abs(np.exp(1j * n_fold * np.arctan2(d[near, 1], d[near, 0])).mean())
    return out


@pytest.mark.parametrize("n", [5, 6, 7, 40])
def test_bond_orientational_order_is_its_definition(n):
    """psi_6 and psi_4 of a disordered layer from one pass equal the definition evaluated for each
    n-fold on its own (n = 5, 6: too few points for psi_6, enough for psi_4)."""
    from nucleate.featurize.descriptors import _in_plane, _psi

    rng = np.random.default_rng(n)
    box = np.array([10.0, 9.0])
    xy = rng.uniform(0.0, 1.0, (n, 2)) * box
    pairs = _in_plane(xy, np.diag(box), 4.4)
    psi6, psi4 = _psi(pairs, n, (6, 4), 4.0)
    np.testing.assert_allclose(psi6, _psi_by_hand(xy, box, 6, 4.0), atol=1e-12)
    np.testing.assert_allclose(psi4, _psi_by_hand(xy, box, 4, 4.0), atol=1e-12)
    assert (psi6 == 0).all() == (n < 7)


def test_pair_correlation_peak_counts_as_np_histogram():
    """g(r)'s bins hold [e_k, e_k+1): distances on the bin edges counted as np.histogram does."""
    from nucleate.featurize.descriptors import _g2d_peak

    r_max = 3.0
    edges = np.linspace(0, r_max, 61)
    dist = np.concatenate([edges[[10, 20, 20, 20, 31]], [0.7, 1.234, 2.999, r_max, 3.5]])
    pairs = (np.zeros(len(dist), int), np.zeros((len(dist), 2)), dist)
    lateral = np.diag([10.0, 10.0])
    counts, _ = np.histogram(dist[dist < r_max], bins=edges)
    shell = np.pi * (edges[1:] ** 2 - edges[:-1] ** 2)
    g = counts / (4 * shell * 4 / 100.0)
    k = int(np.argmax(g))
    height, r = _g2d_peak(pairs, 4, lateral, r_max)
    assert (height, r) == pytest.approx((g[k], 0.5 * (edges[k] + edges[k + 1])), rel=1e-12)
    assert k == 20  # the three distances on its lower edge


@pytest.mark.parametrize("n", [9, 16, 24])
def test_first_bragg_shell_of_a_layer_in_any_cell(n):
    """The substrate's first shell (for the registry of the liquid layers) is the six vectors of
    length 4π/(√3 a) of a hexagonal layer, however large the cell (a fixed ±12 range of (h, k)
    missed them beyond about 14 spacings and cut the shell of a 12.4 x 14.3 twist cell to 4)."""
    from nucleate.featurize.descriptors import _reciprocal_shell

    a = 1.1433
    basis = np.array([[a, 0.0], [a / 2, a * np.sqrt(3) / 2]])
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    xy = i.reshape(-1, 1) * basis[0] + j.reshape(-1, 1) * basis[1]
    g = _reciprocal_shell(xy, basis * n)
    assert len(g) == 6
    np.testing.assert_allclose(np.linalg.norm(g, axis=1), 4 * np.pi / (np.sqrt(3) * a), rtol=1e-12)
