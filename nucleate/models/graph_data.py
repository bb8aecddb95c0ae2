"""Graphs as tensors: torch-geometric ``Data`` for training (:func:`to_pyg`), plain tensors
for prediction (:func:`graph_tensors`)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

#: the graph arrays a graph network's forward pass reads
TENSORS = ("pos", "node_type", "species", "height", "layer", "edge_index", "edge_vec", "edge_dist",
           "x")  # fmt: skip


def _tensors(graph) -> dict:
    import torch

    def t(a, dtype=torch.float32):
        return torch.as_tensor(np.asarray(a), dtype=dtype)

    long = {"node_type", "species", "layer", "edge_index"}
    source = {"pos": "positions", "x": "node_features"}
    return {k: t(getattr(graph, source.get(k, k)), torch.long if k in long else torch.float32)
            for k in TENSORS}  # fmt: skip


def graph_tensors(graph) -> SimpleNamespace:
    """One graph's tensors (those of :func:`to_pyg`; no ``batch``: a single graph) as plain
    attributes, for prediction: what the graph networks read, without importing torch-geometric,
    whose import is most of a short prediction's start-up."""
    return SimpleNamespace(**_tensors(graph), batch=None)


def to_pyg(graph, y=None, node_y=None):
    """A ``torch_geometric.data.Data`` with ``pos``, ``node_type``, ``species``, ``height``,
    ``layer``, ``edge_index``, ``edge_vec``, ``edge_dist``, ``x`` (node features) and optional
    graph-level ``y`` and node-level ``node_y`` targets."""
    import torch
    from torch_geometric.data import Data

    data = Data(**_tensors(graph))
    if y is not None:
        data.y = torch.as_tensor(np.atleast_1d(y), dtype=torch.float32)
    if node_y is not None:
        data.node_y = torch.as_tensor(np.asarray(node_y), dtype=torch.float32)
    return data
