"""A message-passing network on atomic graphs (SchNet-style continuous filters on distances, with
the height above the substrate as a node input): a graph-level head for T_n and a node-level head
for per-atom propensity. Invariant to atom order, to translations (periodic ones included: edges
carry minimum-image distances) and to batch composition."""

from __future__ import annotations

import math

import torch
from torch import nn


class GaussianRBF(nn.Module):
    def __init__(self, cutoff: float, n: int) -> None:
        super().__init__()
        self.register_buffer("centres", torch.linspace(0.0, cutoff, n))
        self.width = cutoff / n
        self.cutoff = cutoff

    def forward(self, d: torch.Tensor) -> torch.Tensor:
        rbf = torch.exp(-0.5 * ((d[:, None] - self.centres[None]) / self.width) ** 2)
        envelope = 0.5 * (torch.cos(math.pi * d / self.cutoff) + 1.0) * (d < self.cutoff)
        return rbf * envelope[:, None]


class Interaction(nn.Module):
    def __init__(self, hidden: int, n_rbf: int) -> None:
        super().__init__()
        self.filter = nn.Sequential(nn.Linear(n_rbf, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.update = nn.Sequential(
            nn.Linear(2 * hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden)
        )
        self.norm = nn.LayerNorm(hidden)

    def forward(self, h, edge_index, rbf, inverse=None):
        """``rbf``: the radial basis of each edge, or with ``inverse`` of each distinct distance
        (``rbf[inverse]`` that of each edge): the filter is then evaluated once per distance."""
        src, dst = edge_index
        w = self.filter(rbf)
        msg = h[src] * (w if inverse is None else w[inverse])
        agg = torch.zeros_like(h).index_add_(0, dst, msg)
        return self.norm(h + self.update(torch.cat([h, agg], dim=1)))


class InterfaceGNN(nn.Module):
    """Args: hidden width, interaction layers, edge cutoff (length), radial basis size, the
    species (atom types) embedded (others share one embedding), whether the height above the substrate is a node input,
    extra node-feature width, graph-level outputs, whether to add a node-level head."""

    def __init__(
        self,
        hidden: int = 64,
        layers: int = 4,
        cutoff: float = 1.5,
        n_rbf: int = 16,
        species: tuple[int, ...] = (1, 2),
        use_height: bool = True,
        extra_features: int = 0,
        out: int = 1,
        node_out: int = 0,
    ) -> None:
        super().__init__()
        self.embed_type = nn.Embedding(2, hidden)  # 0 liquid, 1 substrate
        self.embed_species = nn.Embedding(len(species) + 1, hidden)  # last: any other species
        table = torch.full((max(species) + 1,), len(species), dtype=torch.long)
        table[torch.tensor(species)] = torch.arange(len(species))
        self.register_buffer("species_index", table)
        self.use_height = use_height
        n_in = hidden + (8 if use_height else 0) + extra_features
        self.inp = nn.Linear(n_in, hidden)
        self.rbf = GaussianRBF(cutoff, n_rbf)
        self.height_rbf = GaussianRBF(4.0 * cutoff, 8) if use_height else None
        self.layers = nn.ModuleList(Interaction(hidden, n_rbf) for _ in range(layers))
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, out))
        self.node_head = (
            nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, node_out))
            if node_out else None
        )  # fmt: skip

    def node_embeddings(self, data) -> torch.Tensor:
        """(nodes, hidden): the node states after the interaction layers."""
        return self.interact(self.initial_states(data), data)

    def initial_states(self, data) -> torch.Tensor:
        """(nodes, hidden): type, species, height and extra node features, mixed."""
        sp = data.species.clamp(min=0, max=len(self.species_index))
        padded = torch.cat(
            [self.species_index, self.species_index.new_tensor([len(self.species_index)])]
        )
        idx = padded[sp].clamp(max=self.embed_species.num_embeddings - 1)
        parts = [self.embed_type(data.node_type) + self.embed_species(idx)]
        if self.use_height:
            parts.append(self.height_rbf(data.height.clamp(min=0.0)))
        if data.x is not None and data.x.shape[1] > 0:
            parts.append(data.x)
        return self.inp(torch.cat(parts, dim=1))

    def interact(self, h: torch.Tensor, data) -> torch.Tensor:
        """Continuous-filter convolutions on the edge distances. The filters depend on the
        distance alone, and both directions of an edge have the same one: they are evaluated
        once per distinct distance (about half the edges) and gathered for every edge."""
        dist, inverse = torch.unique(data.edge_dist, return_inverse=True)
        rbf = self.rbf(dist)
        for layer in self.layers:
            h = layer(h, data.edge_index, rbf, inverse)
        return h

    def forward(self, data) -> torch.Tensor:
        """(graphs, out): the head on the mean over the liquid nodes of each graph."""
        return self.readout(self.embed(data))

    def readout(self, z: torch.Tensor) -> torch.Tensor:
        """The outputs from the representation ``embed(data)``."""
        return self.head(z)

    def embed(self, data) -> torch.Tensor:
        """(graphs, hidden): the mean embedding of each graph's liquid nodes."""
        h = self.node_embeddings(data)
        batch = (
            data.batch
            if getattr(data, "batch", None) is not None
            else torch.zeros(len(h), dtype=torch.long, device=h.device)
        )
        liquid = (data.node_type == 0).float()[:, None]
        n_graphs = int(batch.max()) + 1
        total = torch.zeros(n_graphs, h.shape[1], device=h.device).index_add_(0, batch, h * liquid)
        count = torch.zeros(n_graphs, 1, device=h.device).index_add_(0, batch, liquid)
        return total / count.clamp(min=1.0)

    def forward_nodes(self, data) -> torch.Tensor:
        """(nodes, node_out) from the node-level head."""
        if self.node_head is None:
            raise ValueError("this network was built without a node-level head (node_out=0)")
        return self.node_head(self.node_embeddings(data))
