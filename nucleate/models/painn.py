"""An equivariant message-passing network on atomic graphs (PaiNN, Schütt, Unke & Gastegger, ICML
2021): every node carries scalar features and vector features that rotate with the structure, so
messages carry bond directions and their products carry bond angles, which a distance-only
network (:class:`~nucleate.models.gnn.InterfaceGNN`) sees only indirectly. The read-out uses the
scalars alone: the output is invariant to rotations (about the surface normal, since the height
above the substrate is an input), atom order, periodic translation and batch composition.

Written out here (about 60 lines on plain ``index_add_``) rather than taken from a library: PyG has
no PaiNN, its DimeNet++ needs ``torch_sparse`` for the triplets and its ViSNet builds its own
``radius_graph`` (``torch_cluster``), neither of which installs from PyPI here; e3nn would add a
dependency for what PaiNN does with vectors alone.
"""

from __future__ import annotations

import torch
from torch import nn

from nucleate.models.gnn import InterfaceGNN


class PaiNNLayer(nn.Module):
    """One message and one update block of PaiNN (scalar width ``hidden``, as many vector
    channels)."""

    def __init__(self, hidden: int, n_rbf: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.phi = nn.Sequential(
            nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 3 * hidden)
        )
        self.w = nn.Linear(n_rbf, 3 * hidden)
        self.u = nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, hidden, bias=False)
        self.a = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, 3 * hidden)
        )
        self.norm = nn.LayerNorm(hidden)

    def forward(self, s, vec, edge_index, rbf, unit):
        src, dst = edge_index
        f = self.hidden
        x = self.phi(s)[src] * self.w(rbf)  # (edges, 3F)
        ds, dv_v, dv_r = x[:, :f], x[:, f : 2 * f], x[:, 2 * f :]
        dv = vec[src] * dv_v[:, None, :] + unit[:, :, None] * dv_r[:, None, :]  # (edges, 3, F)
        s = s + torch.zeros_like(s).index_add_(0, dst, ds)
        vec = vec + torch.zeros_like(vec).index_add_(0, dst, dv)
        uv, vv = self.u(vec), self.v(vec)  # (nodes, 3, F)
        norm = torch.sqrt((vv**2).sum(dim=1) + 1e-8)
        a = self.a(torch.cat([s, norm], dim=1))
        a_vv, a_sv, a_ss = a[:, :f], a[:, f : 2 * f], a[:, 2 * f :]
        vec = vec + uv * a_vv[:, None, :]
        s = self.norm(s + a_sv * (uv * vv).sum(dim=1) + a_ss)
        return s, vec


class InterfacePaiNN(InterfaceGNN):
    """The interface network of :class:`~nucleate.models.gnn.InterfaceGNN` (same inputs, heads and
    read-out over the liquid nodes) with PaiNN's equivariant interaction layers.

    Args: as :class:`~nucleate.models.gnn.InterfaceGNN`."""

    def __init__(
        self,
        hidden: int = 64,
        layers: int = 3,
        cutoff: float = 1.5,
        n_rbf: int = 16,
        species: tuple[int, ...] = (1, 2),
        use_height: bool = True,
        extra_features: int = 0,
        out: int = 1,
        node_out: int = 0,
    ) -> None:
        super().__init__(hidden, 0, cutoff, n_rbf, species, use_height, extra_features, out,
                         node_out)  # fmt: skip
        self.layers = nn.ModuleList(PaiNNLayer(hidden, n_rbf) for _ in range(layers))

    def interact(self, h: torch.Tensor, data) -> torch.Tensor:
        rbf = self.rbf(data.edge_dist)
        unit = data.edge_vec / data.edge_dist.clamp(min=1e-9)[:, None]
        vec = h.new_zeros(h.shape[0], 3, h.shape[1])
        for layer in self.layers:
            h, vec = layer(h, vec, data.edge_index, rbf, unit)
        return h
