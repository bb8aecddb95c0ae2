"""Models: invariances that the physics demands, and the censored loss."""

import numpy as np
import pytest
import torch
from conftest import shaken

from nucleate.data.io import Selection, from_ase
from nucleate.featurize.graphs import GraphFeaturizer
from nucleate.models.graph_data import to_pyg
from nucleate.models.losses import censored_mse
from nucleate.models.registry import GRAPH_MODELS, build_model

SUB = Selection(substrate_types=(1,))


def test_periodic_cnn_is_invariant_to_periodic_shifts():
    torch.manual_seed(0)
    model = build_model("cnn", in_channels=2, widths=(8, 16, 16)).eval()
    x = torch.randn(3, 2, 32, 32)
    shifted = torch.roll(x, shifts=(4, -8), dims=(2, 3))  # multiples of the total stride (4)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(shifted), atol=1e-5, rtol=1e-4)


def test_icepic_vgg_shapes():
    model = build_model("icepic_vgg", in_channels=1, size=48, dense=64).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 1, 48, 48)).shape == (2, 1)


@pytest.fixture
def graphs(film):
    atoms, _, _ = film(size=(4, 4), n_liquid=5)
    frames = [from_ase(a, SUB) for a in shaken(atoms, 0.08, 3)]
    return frames, [to_pyg(GraphFeaturizer(cutoff=1.4)(f)) for f in frames]


def rotated_about_z(frame, angle: float):
    """The frame and its cell turned by ``angle`` about the surface normal."""
    c, s_ = np.cos(angle), np.sin(angle)
    rot = np.array([[c, -s_, 0.0], [s_, c, 0.0], [0.0, 0.0, 1.0]])
    return frame.replace(positions=frame.positions @ rot.T, cell=frame.cell @ rot.T)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_graph_model_invariances(name, graphs, film):
    """Every registered graph model: the same T_n (and node outputs) for the same interface in
    another batch, another atom order, shifted across the periodic boundary, or turned about the
    surface normal; and a mirror image about a vertical plane changes nothing either."""
    from torch_geometric.data import Batch

    frames, data = graphs
    torch.manual_seed(0)
    model = build_model(name, hidden=16, layers=2, cutoff=1.4, node_out=1).eval()

    def predict(frame):
        return model(to_pyg(GraphFeaturizer(cutoff=1.4)(frame)))

    with torch.no_grad():
        single = torch.cat([model(d) for d in data])
        batched = model(Batch.from_data_list(data))
        torch.testing.assert_close(single, batched, atol=1e-5, rtol=1e-5)  # batch composition
        reordered = model(Batch.from_data_list(data[::-1])).flip(0)
        torch.testing.assert_close(single, reordered, atol=1e-5, rtol=1e-5)
        f = frames[0]
        perm = np.random.default_rng(1).permutation(f.n_atoms)
        shuffled = f.replace(positions=f.positions[perm], types=f.types[perm],
                             substrate=f.substrate[perm], liquid=f.liquid[perm])  # fmt: skip
        torch.testing.assert_close(predict(shuffled), single[:1], atol=1e-5, rtol=1e-5)
        moved = f.replace(positions=f.positions + np.array([1.234, -0.77, 0.0])).wrapped()
        torch.testing.assert_close(predict(moved), single[:1], atol=1e-5, rtol=1e-5)
        for angle in (0.3, 2.0):
            torch.testing.assert_close(
                predict(rotated_about_z(f, angle)), single[:1], atol=1e-4, rtol=1e-4
            )
        mirrored = f.replace(positions=f.positions * [1, -1, 1], cell=f.cell * [1, -1, 1])
        torch.testing.assert_close(predict(mirrored), single[:1], atol=1e-4, rtol=1e-4)
        # and the model is not constant: another interface gives another output
        assert not torch.allclose(single[0], single[1], atol=1e-6)
        assert model.forward_nodes(data[0]).shape == (data[0].num_nodes, 1)


@pytest.mark.parametrize("name", GRAPH_MODELS)
def test_prediction_batch_of_plain_tensors_is_the_pyg_batch(name, graphs):
    """Prediction's batch of plain tensors (no torch-geometric) gives every graph's own output,
    in order, as torch-geometric's Batch does."""
    from torch_geometric.data import Batch

    from nucleate.models.graph_data import batch_tensors

    frames, data = graphs
    torch.manual_seed(0)
    model = build_model(name, hidden=16, layers=2, cutoff=1.4).eval()
    plain = batch_tensors([GraphFeaturizer(cutoff=1.4)(f) for f in frames])
    with torch.no_grad():
        torch.testing.assert_close(model(plain), model(Batch.from_data_list(data)))
        torch.testing.assert_close(model(plain)[1], model(data[1])[0], atol=1e-5, rtol=1e-5)


def test_gnn_filter_once_per_distance_is_the_filter_of_every_edge(graphs):
    """The GNN evaluates its filters once per distinct distance (both directions of an edge share
    one); that is the same network as evaluating them on every edge, and about half the work."""
    _, data = graphs
    torch.manual_seed(0)
    model = build_model("gnn", hidden=16, layers=2, cutoff=1.4).eval()
    d = data[0]
    with torch.no_grad():
        h0 = model.initial_states(d)
        rbf = model.rbf(d.edge_dist)
        h = h0
        for layer in model.layers:  # the filter on every edge
            h = layer(h, d.edge_index, rbf)
        torch.testing.assert_close(model.interact(h0, d), h, atol=1e-6, rtol=1e-6)
    assert len(torch.unique(d.edge_dist)) <= 0.55 * len(d.edge_dist)


def test_painn_sees_bond_angles_that_distances_alone_miss():
    """Two four-atom clusters that are the same graph with the same edge lengths but other bond
    angles (an equilateral triangle plus one atom bonded to a corner, in line with a side or at
    right angles to the plane): no distance-only network tells them apart; PaiNN does."""
    from torch_geometric.data import Data

    def cluster(direction):
        pos = np.array([[0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0], [0, 0, 0]], float)
        pos[3] = pos[0] + direction
        i, j = np.array([0, 1, 0, 2, 1, 2, 0, 3]), np.array([1, 0, 2, 0, 2, 1, 3, 0])
        vec = pos[j] - pos[i]
        return Data(pos=torch.tensor(pos, dtype=torch.float32), node_type=torch.zeros(4, dtype=torch.long),
                    species=torch.full((4,), 2), height=torch.ones(4), layer=torch.ones(4, dtype=torch.long),
                    edge_index=torch.tensor(np.stack([j, i])), edge_vec=torch.tensor(-vec, dtype=torch.float32),
                    edge_dist=torch.tensor(np.linalg.norm(vec, axis=1), dtype=torch.float32),
                    x=torch.zeros(4, 0))  # fmt: skip

    outward = cluster(np.array([-1.0, 0.0, 0.0]))  # the fourth atom straight away from atom 1
    sideways = cluster(np.array([0.0, 0.0, 1.0]))  # the fourth atom at right angles
    torch.manual_seed(0)
    schnet = build_model("gnn", hidden=8, layers=1, cutoff=1.5, use_height=False).eval()
    painn = build_model("painn", hidden=8, layers=2, cutoff=1.5, use_height=False).eval()
    with torch.no_grad():
        torch.testing.assert_close(schnet(outward), schnet(sideways))
        assert not torch.allclose(painn(outward), painn(sideways), atol=1e-5)


def test_censored_loss():
    pred = torch.tensor([0.50, 0.30, 0.40])
    target = torch.tensor([0.45, 0.0, 0.0])
    censored = torch.tensor([False, True, True])
    bound = torch.tensor([0.35, 0.35, 0.35])
    # exact: 0.05^2; censored below the bound: 0; censored above by 0.05: 0.05^2
    expected = (0.05**2 + 0.0 + 0.05**2) / 3
    assert censored_mse(pred, target, censored, bound).item() == pytest.approx(expected)


def test_every_network_is_the_readout_of_its_embedding(graphs):
    """Prediction takes T_n and the representation (for novelty) from one pass: every
    registered T_n network's output is its ``readout`` of its ``embed``."""
    from nucleate.models.registry import MODELS

    _, data = graphs
    inputs = {"cnn": ({"in_channels": 2, "widths": (8, 16)}, torch.randn(3, 2, 16, 16)),
              "icepic_vgg": ({"in_channels": 2, "size": 16, "dense": 32},
                             torch.randn(3, 2, 16, 16))}  # fmt: skip
    inputs.update({n: ({"hidden": 16, "layers": 2, "cutoff": 1.4}, data[0]) for n in GRAPH_MODELS})
    names = [n for n in MODELS if not getattr(MODELS.get(n), "per_atom_only", False)]
    assert set(names) <= set(inputs), "a new network needs an input here"
    for name in names:
        args, x = inputs[name]
        torch.manual_seed(0)
        model = build_model(name, **args).eval()
        with torch.no_grad():
            torch.testing.assert_close(model.readout(model.embed(x)), model(x))
