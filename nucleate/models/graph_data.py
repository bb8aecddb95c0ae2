"""Graphs as tensors: torch-geometric ``Data`` for training (:func:`to_pyg`), plain tensors
for prediction (:func:`batch_tensors`, without importing torch-geometric, whose import is
most of a short prediction's start-up)."""

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


def batch_tensors(graphs) -> SimpleNamespace:
    """Several graphs as one disjoint graph (edges renumbered, ``batch`` the graph of each
    node), for one forward pass over all of them at prediction."""
    import torch

    parts = [_tensors(g) for g in graphs]
    sizes = [len(p["node_type"]) for p in parts]
    offsets = np.cumsum([0, *sizes[:-1]])
    out = {k: torch.cat([p[k] for p in parts]) for k in TENSORS if k != "edge_index"}
    out["edge_index"] = torch.cat(
        [p["edge_index"] + int(o) for p, o in zip(parts, offsets, strict=True)], dim=1
    )
    batch = torch.repeat_interleave(torch.arange(len(parts)), torch.tensor(sizes))
    return SimpleNamespace(**out, batch=batch)


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
