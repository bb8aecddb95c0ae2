"""The contact layer of film propensity: its height (the data set's own) and the contact-layer term
of the loss, on hand-built batches with known answers."""

import pytest
import torch

from nucleate.train.module import PropensityRegressor


def _batch(height, target, batch):
    from torch_geometric.data import Data

    n = len(height)
    return Data(
        height=torch.tensor(height), node_y=torch.tensor(target), batch=torch.tensor(batch),
        node_mask=torch.ones(n, dtype=torch.bool),
    )  # fmt: skip


def _module(weight):
    return PropensityRegressor("gnn", {"node_out": 1}, contact_weight=weight, contact_height=1.2)


def test_within_contact_error_ignores_each_graphs_offset_and_the_layers_above():
    # two graphs; contact atoms (height < 1.2): 0, 1 in graph 0 and 3, 4 in graph 1
    data = _batch(
        [0.5, 1.0, 2.0, 0.8, 1.1, 3.0], [1.0, 2.0, 9.0, 4.0, 6.0, 0.0], [0, 0, 0, 1, 1, 1]
    )
    m = _module(1.0)
    # right differences within each contact layer, wrong offsets, wrong atoms above: no error
    z = torch.tensor([11.0, 12.0, -5.0, -1.0, 1.0, 7.0])
    assert float(m._within_contact(z, data.node_y, data)) == pytest.approx(0.0, abs=1e-6)
    # the contact atoms of graph 0 swapped: deviations (+0.5, -0.5) against (-0.5, +0.5),
    # an error of 1 on two of the four contact atoms
    z = torch.tensor([2.0, 1.0, 9.0, 4.0, 6.0, 0.0])
    assert float(m._within_contact(z, data.node_y, data)) == pytest.approx(2 / 4)


def test_contact_weight_adds_the_within_contact_term_to_the_loss():
    data = _batch([0.5, 1.0, 2.0], [1.0, 2.0, 9.0], [0, 0, 0])
    z = torch.tensor([2.0, 1.0, 9.0])  # the contact pair swapped
    plain = float(torch.mean((z - data.node_y) ** 2))
    within = float(_module(1.0)._within_contact(z, data.node_y, data))
    assert within == pytest.approx(1.0)
    for weight in (0.0, 2.5):
        m = _module(weight)
        m.net.forward_nodes = lambda d, z=z: z[:, None]  # a fixed prediction, standardised
        loss, _ = m._loss(data)
        assert float(loss) == pytest.approx(plain + weight * within)


def test_no_contact_layer_gives_no_contact_term():
    data = _batch([2.0, 3.0], [1.0, 2.0], [0, 0])
    assert float(_module(1.0)._within_contact(torch.tensor([5.0, 0.0]), data.node_y, data)) == 0.0


def test_contact_height_is_the_data_sets_own(tmp_path):
    import yaml

    from nucleate.data.propensity_campaign import PropensityCampaign, contact_height_of
    from nucleate.train.propensity import contact_height

    assert contact_height_of({"propensity": {"contact_height": 1.5}}) == 1.5
    assert contact_height_of({"propensity": {}}) == PropensityCampaign.contact_height
    assert contact_height_of(None) == PropensityCampaign.contact_height
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump({"propensity": {"contact_height": 0.9}}))
    assert contact_height(tmp_path) == 0.9


def test_times_head_is_trained_beside_the_prediction_and_left_out_of_it():
    data = _batch([0.5, 2.0, 3.0], [1.0, 2.0, 3.0], [0, 0, 0])
    data.node_times = torch.tensor([[0.5, 1.0], [1.0, 2.0], [1.5, 3.0]])
    m = PropensityRegressor("gnn", {"node_out": 3}, times_weight=0.5, times_mean=[1.0, 2.0],
                            times_std=[0.5, 1.0])  # fmt: skip
    out = torch.tensor([[1.0, -1.0, -1.0], [2.0, 0.0, 0.0], [3.0, 2.0, 1.0]])
    m.net.forward_nodes = lambda d: out
    # standardised times: [[-1, -1], [0, 0], [1, 1]]; errors 0, 0, (1, 0): mean 1/6
    loss, z = m._loss(data)
    assert float(loss) == pytest.approx(0.5 * (1 / 6))
    assert torch.equal(z, out[:, 0])
    # the prediction is the first output only, in the labels' units
    assert torch.allclose(m(data), out[:, 0] * m.y_std + m.y_mean)
