"""A linear map of each atom's descriptors (and, for films, of its height above the substrate):
the ridge baseline of the propensity route as a network, so that a fitted ridge ships, loads and
predicts like any other propensity model."""

from __future__ import annotations

import torch
from torch import nn


def height_terms(height: torch.Tensor) -> torch.Tensor:
    """(nodes, 4) the height expansions the propensity ridge reads for films: h, e^-h, e^(-h/3)
    and a Gaussian around the contact layer, e^-(h-1)^2."""
    h = height.reshape(-1, 1)
    return torch.cat([h, torch.exp(-h), torch.exp(-h / 3.0), torch.exp(-((h - 1.0) ** 2))], dim=1)


class NodeLinear(nn.Module):
    """``forward_nodes(data) = ((inputs - center) / scale) @ w + b`` per node, inputs being the node
    descriptors (``data.x``) and, with ``use_height``, :func:`height_terms` of ``data.height``.
    Per-atom only: it has no graph-level output. The extra arguments that the propensity trainer
    gives every node model (``species``, ``cutoff``) are accepted and unused."""

    per_atom_only = True

    def __init__(
        self,
        extra_features: int,
        node_out: int = 1,
        use_height: bool = False,
        species: tuple[int, ...] = (),
        cutoff: float = 0.0,
    ) -> None:
        super().__init__()
        n = int(extra_features) + (4 if use_height else 0)
        self.use_height = bool(use_height)
        self.linear = nn.Linear(n, node_out)
        self.register_buffer("center", torch.zeros(n))
        self.register_buffer("scale", torch.ones(n))

    def inputs(self, data) -> torch.Tensor:
        parts = [data.x]
        if self.use_height:
            parts.append(height_terms(data.height))
        return torch.cat(parts, dim=1)

    def forward_nodes(self, data) -> torch.Tensor:
        """(nodes, node_out)."""
        return self.linear((self.inputs(data) - self.center) / self.scale)

    def forward(self, data) -> torch.Tensor:
        raise TypeError("node_linear predicts per atom (propensity); it has no graph-level output")
