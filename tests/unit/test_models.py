"""Models: invariances that the physics demands, and the censored loss."""

import numpy as np
import pytest
import torch
from conftest import shaken

from nucleate.data.io import Selection, from_ase
from nucleate.featurize.graphs import GraphFeaturizer
from nucleate.models.graph_data import to_pyg
from nucleate.models.losses import censored_mse
from nucleate.models.registry import build_model

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


def test_gnn_invariances(graphs, film):
    from torch_geometric.data import Batch

    frames, data = graphs
    torch.manual_seed(0)
    model = build_model("gnn", hidden=16, layers=2, cutoff=1.4, node_out=1).eval()
    with torch.no_grad():
        single = torch.cat([model(d) for d in data])
        batched = model(Batch.from_data_list(data))
        torch.testing.assert_close(single, batched, atol=1e-5, rtol=1e-5)  # batch composition
        reordered = model(Batch.from_data_list(data[::-1])).flip(0)
        torch.testing.assert_close(single, reordered, atol=1e-5, rtol=1e-5)
        # atom order
        f = frames[0]
        perm = np.random.default_rng(1).permutation(f.n_atoms)
        shuffled = f.replace(positions=f.positions[perm], types=f.types[perm],
                             substrate=f.substrate[perm], liquid=f.liquid[perm])  # fmt: skip
        torch.testing.assert_close(
            model(to_pyg(GraphFeaturizer(cutoff=1.4)(shuffled))), single[:1], atol=1e-5, rtol=1e-5
        )
        # a lateral translation across the periodic boundary
        moved = f.replace(positions=f.positions + np.array([1.234, -0.77, 0.0])).wrapped()
        torch.testing.assert_close(
            model(to_pyg(GraphFeaturizer(cutoff=1.4)(moved))), single[:1], atol=1e-5, rtol=1e-5
        )
        assert model.forward_nodes(data[0]).shape == (data[0].num_nodes, 1)


def test_censored_loss():
    pred = torch.tensor([0.50, 0.30, 0.40])
    target = torch.tensor([0.45, 0.0, 0.0])
    censored = torch.tensor([False, True, True])
    bound = torch.tensor([0.35, 0.35, 0.35])
    # exact: 0.05^2; censored below the bound: 0; censored above by 0.05: 0.05^2
    expected = (0.05**2 + 0.0 + 0.05**2) / 3
    assert censored_mse(pred, target, censored, bound).item() == pytest.approx(expected)
