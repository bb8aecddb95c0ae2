"""Atomic graphs: coordination on a perfect interface, bulk graphs, invariances, PyG conversion."""

import numpy as np
import pytest

from nucleate.data.io import Selection, from_ase
from nucleate.featurize.graphs import GraphFeaturizer
from nucleate.structure.order import RadialBondOrder

SUB = Selection(substrate_types=(1,))


def test_perfect_fcc111_interface_has_fcc_coordination(film):
    atoms, d, _top = film(size=(6, 6), n_liquid=6)
    frame = from_ase(atoms, SUB)
    a_nn = 1.5496 / np.sqrt(2)
    g = GraphFeaturizer(cutoff=1.2 * a_nn, layers=(1, 2), substrate_depth=0.1)(frame)
    # nodes: the substrate's top plane and two liquid planes of 36 atoms
    assert g.n_nodes == 108
    assert sorted(np.unique(g.layer).tolist()) == [0, 1, 2]
    deg = g.degree()
    # contact layer: 6 in-plane + 3 substrate + 3 above = 12 (an fcc site)
    assert (deg[g.layer == 1] == 12).all()
    assert (deg[g.layer == 2] == 9).all()  # 6 in-plane + 3 below (layer 3 not in the graph)
    np.testing.assert_allclose(g.edge_dist, a_nn, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(g.edge_vec, axis=1), g.edge_dist, atol=1e-9)
    np.testing.assert_allclose(g.height[g.layer == 1], d, atol=1e-6)
    # both directions of every edge
    pairs = set(map(tuple, g.edge_index.T))
    assert all((j, i) in pairs for i, j in pairs)


def test_bulk_graph_and_local_order_features():
    from ase.build import bulk

    atoms = bulk("Ar", "fcc", a=1.6, cubic=True).repeat(4)
    atoms.numbers[:] = 2
    atoms.arrays["substrate"] = np.zeros(len(atoms), bool)
    frame = from_ase(atoms)
    rb = RadialBondOrder(ls=(6,), coarse_grain=None)
    g = GraphFeaturizer(cutoff=1.3, layers=None, local_order=rb)(frame)
    assert g.n_nodes == len(atoms) and (g.degree() == 12).all()
    assert g.node_features.shape == (len(atoms), len(rb.feature_names()))


def test_graph_does_not_depend_on_atom_order(film):
    atoms, _, _ = film(size=(5, 5), n_liquid=5, noise=0.05)
    frame = from_ase(atoms, SUB)
    perm = np.random.default_rng(0).permutation(len(atoms))
    shuffled = from_ase(atoms[perm], SUB)
    f = GraphFeaturizer(cutoff=1.3)
    a, b = f(frame), f(shuffled)
    assert a.n_nodes == b.n_nodes and a.n_edges == b.n_edges
    # same atoms, same neighbours: compare edges as pairs of original atom indices
    ea = {tuple(a.atom_index[e]) for e in a.edge_index.T}
    eb = {tuple(perm[b.atom_index[e]]) for e in b.edge_index.T}
    assert ea == eb


def test_pyg_conversion(film):
    pytest.importorskip("torch_geometric")
    from nucleate.models.graph_data import to_pyg

    atoms, _, _ = film(size=(4, 4), n_liquid=4)
    g = GraphFeaturizer(cutoff=1.3)(from_ase(atoms, SUB))
    data = to_pyg(g, y=0.55)
    assert data.num_nodes == g.n_nodes and data.num_edges == g.n_edges
    assert data.y.item() == pytest.approx(0.55)
    assert data.edge_vec.shape == (g.n_edges, 3)
