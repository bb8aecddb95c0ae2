"""Conversion of :class:`~nucleate.featurize.graphs.AtomGraph` to torch-geometric ``Data``."""

from __future__ import annotations

import numpy as np


def to_pyg(graph, y=None, node_y=None):
    """A ``torch_geometric.data.Data`` with ``pos``, ``node_type``, ``species``, ``height``,
    ``layer``, ``edge_index``, ``edge_vec``, ``edge_dist``, ``x`` (node features) and optional
    graph-level ``y`` and node-level ``node_y`` targets."""
    import torch
    from torch_geometric.data import Data

    def t(a, dtype=torch.float32):
        return torch.as_tensor(np.asarray(a), dtype=dtype)

    data = Data(
        pos=t(graph.positions),
        node_type=t(graph.node_type, torch.long),
        species=t(graph.species, torch.long),
        height=t(graph.height),
        layer=t(graph.layer, torch.long),
        edge_index=t(graph.edge_index, torch.long),
        edge_vec=t(graph.edge_vec),
        edge_dist=t(graph.edge_dist),
        x=t(graph.node_features),
    )
    if y is not None:
        data.y = t(np.atleast_1d(y))
    if node_y is not None:
        data.node_y = t(node_y)
    return data
