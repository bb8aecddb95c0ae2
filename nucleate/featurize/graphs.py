"""Atomic graphs of the interfacial liquid (and of bulk liquids) as plain arrays.

:class:`GraphFeaturizer` turns a Frame into an :class:`AtomGraph` (numpy only);
:func:`nucleate.models.graph_data.to_pyg` converts it to a torch-geometric ``Data``. Edges join atoms
closer than ``cutoff`` under the frame's periodic boundaries (vesin neighbour lists); each edge
carries the vector from its source to its target and its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from nucleate.errors import InputError
from nucleate.featurize.base import FEATURIZERS, Context, Featurizer
from nucleate.frame import Frame
from nucleate.structure.layers import LayerDetector, LayerProfile, liquid_heights, substrate_surface
from nucleate.structure.libraries import neighbor_list
from nucleate.structure.order import RadialBondOrder


@dataclass(frozen=True)
class AtomGraph:
    """A graph of atoms.

    Attributes:
        positions: (n, 3) node positions (length).
        node_type: (n,) int64, 0 for liquid, 1 for substrate.
        species: (n,) int64 atom types of the frame.
        height: (n,) height above the substrate surface (length; 0 for bulk frames).
        layer: (n,) int64 liquid layer of each node (1, 2, ...; 0 for substrate and bulk).
        edge_index: (2, e) int64 source and target node of each directed edge (both directions).
        edge_vec: (e, 3) target minus source position, minimum image (length).
        edge_dist: (e,) edge lengths.
        node_features: (n, f) float64 extra per-node features (may have f = 0).
        atom_index: (n,) index of each node in the frame.
        units: the frame's unit system.
    """

    positions: np.ndarray
    node_type: np.ndarray
    species: np.ndarray
    height: np.ndarray
    layer: np.ndarray
    edge_index: np.ndarray
    edge_vec: np.ndarray
    edge_dist: np.ndarray
    node_features: np.ndarray
    atom_index: np.ndarray
    units: str

    @property
    def n_nodes(self) -> int:
        return len(self.positions)

    @property
    def n_edges(self) -> int:
        return self.edge_index.shape[1]

    def degree(self) -> np.ndarray:
        return np.bincount(self.edge_index[0], minlength=self.n_nodes)


#: the array fields of an :class:`AtomGraph` (what caches store)
GRAPH_ARRAYS = ("positions", "node_type", "species", "height", "layer", "edge_index", "edge_vec",
                "edge_dist", "node_features", "atom_index")  # fmt: skip


def graph_arrays(graph: AtomGraph) -> dict[str, np.ndarray]:
    """The arrays of a graph by field name (see :data:`GRAPH_ARRAYS`)."""
    return {k: getattr(graph, k) for k in GRAPH_ARRAYS}


@FEATURIZERS.register("graph")
class GraphFeaturizer(Featurizer):
    """Configured callable: Frame -> :class:`AtomGraph`.

    Args:
        cutoff: edge cutoff (length).
        layers: liquid layers kept as nodes (1 = contact layer); ``None`` keeps every liquid atom
            (bulk liquids and whole films: the propensity route).
        substrate: keep substrate atoms within ``substrate_depth`` below the surface as nodes of
            type 1 (only for interfaces).
        substrate_depth: how deep below the surface substrate nodes reach (length).
        local_order: an optional per-atom descriptor callable ``(positions, cell, pbc, types) ->
            (n, f)`` (e.g. :class:`~nucleate.structure.order.RadialBondOrder`) computed on the whole
            frame and attached to the nodes.
        detector: layer detector for interfaces.

    As a featurizer (``features``): the graph of the last frame, as :func:`graph_arrays`.
    """

    name = "graph"
    nested: ClassVar[dict[str, type]] = {"detector": LayerDetector, "local_order": RadialBondOrder}

    def __init__(
        self,
        cutoff: float = 1.5,
        layers: tuple[int, ...] | None = (1, 2),
        substrate: bool = True,
        substrate_depth: float = 1.5,
        local_order=None,
        detector: LayerDetector | None = None,
    ) -> None:
        if not cutoff > 0:
            raise InputError(f"cutoff must be positive, not {cutoff}")
        self.cutoff = float(cutoff)
        self.layers = None if layers is None else tuple(int(k) for k in layers)
        self.substrate = substrate
        self.substrate_depth = float(substrate_depth)
        self.local_order = local_order
        self.detector = detector or LayerDetector(n_layers=max(self.layers or (1,)))

    def __call__(self, frame: Frame, profile: LayerProfile | None = None) -> AtomGraph:
        n = frame.n_atoms
        height = np.zeros(n)
        layer = np.zeros(n, dtype=np.int64)
        interface = bool(frame.substrate.any())
        if interface:
            if profile is None:
                profile, (surface,) = self.detector.with_surfaces([frame])
            else:
                surface = substrate_surface(frame, profile.probe_radius)
            height[frame.liquid] = liquid_heights(frame, profile.reference, surface)
            z = frame.positions[:, 2]
            height[frame.substrate] = z[frame.substrate] - surface.top
            layer[frame.liquid] = profile.layer_of(height[frame.liquid])
            keep = frame.liquid.copy()
            if self.layers is not None:
                keep &= np.isin(layer, self.layers)
            if self.substrate:
                keep |= frame.substrate & (height >= -self.substrate_depth)
        else:
            keep = frame.liquid.copy()
        if not keep.any():
            raise InputError("the graph has no nodes (no liquid atoms in the requested layers)")
        idx = np.flatnonzero(keep)
        pos = frame.positions[idx]
        periodic = list(frame.pbc)
        if not all(periodic) and abs(np.linalg.det(frame.cell)) < 1e-12:
            raise InputError("a graph needs a cell")
        i, j, vec, dist = neighbor_list(self.cutoff).compute(
            points=pos, box=frame.cell, periodic=periodic, quantities="ijDd"
        )
        order = np.lexsort((j, i))  # deterministic edge order
        features = np.zeros((len(idx), 0))
        if self.local_order is not None:
            features = np.asarray(
                self.local_order(frame.positions, frame.cell, frame.pbc, frame.types)
            )[idx]
        return AtomGraph(
            positions=pos,
            node_type=frame.substrate[idx].astype(np.int64),
            species=frame.types[idx].astype(np.int64),
            height=height[idx],
            layer=layer[idx],
            edge_index=np.stack([i[order], j[order]]).astype(np.int64),
            edge_vec=vec[order],
            edge_dist=dist[order],
            node_features=features,
            atom_index=idx,
            units=frame.units,
        )

    def features(self, frames: Sequence[Frame], context: Context) -> dict[str, np.ndarray]:
        return graph_arrays(self(frames[-1]))
