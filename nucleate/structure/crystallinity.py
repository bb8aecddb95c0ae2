"""Crystalline atoms and clusters (ten Wolde q6 bonds) and the polymorph make-up of a crystal
(the nearest of the q̄4–q̄6 curves of thermally disordered fcc, hcp and bcc): analysis of one
configuration, used by the labels (data) and the descriptors (featurize)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nucleate.structure import libraries
from nucleate.structure.order import freud_system, reference_order, steinhardt

POLYMORPHS = ("fcc", "hcp", "bcc")


@dataclass(frozen=True)
class Crystallinity:
    """Per-atom crystallinity by the ten Wolde criterion: two neighbours (closer than ``r_cut``)
    share a solid-like bond when the normalised dot product of their q6 vectors exceeds
    ``q_threshold``; an atom with at least ``solid_threshold`` such bonds is crystal-like; crystal-like
    atoms joined by solid-like bonds form clusters.

    Defaults suit the LJ liquid in σ (first minimum of g(r) near 1.5σ).
    """

    r_cut: float = 1.5
    q_threshold: float = 0.7
    solid_threshold: int = 7

    def __call__(
        self, positions: np.ndarray, cell: np.ndarray, pbc, system: tuple | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(solid, cluster)``: (n,) bool crystal-like mask and (n,) int cluster label
        (-1 for atoms that are not crystal-like; labels sorted by cluster size, 0 the largest).
        ``system``: the ``(box, points)`` of :func:`freud_system` for these positions, when the
        caller has made it already."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        solid, sl = self._solid(positions, cell, pbc, system)
        n = len(solid)
        cluster = np.full(n, -1, dtype=np.int64)
        if not solid.any():
            return solid, cluster
        nl = sl.nlist
        i, j = np.asarray(nl.query_point_indices), np.asarray(nl.point_indices)
        bond = np.asarray(sl.ql_ij) > self.q_threshold
        keep = bond & solid[i] & solid[j]
        graph = coo_matrix((np.ones(keep.sum()), (i[keep], j[keep])), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        ids = np.flatnonzero(solid)
        uniq, inverse, counts = np.unique(labels[ids], return_inverse=True, return_counts=True)
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[np.argsort(-counts, kind="stable")] = np.arange(len(uniq))
        cluster[ids] = rank[inverse]
        return solid, cluster

    def solid_like(
        self, positions: np.ndarray, cell: np.ndarray, pbc, system: tuple | None = None
    ) -> np.ndarray:
        """The (n,) crystal-like mask of :meth:`__call__` alone (no clusters)."""
        return self._solid(positions, cell, pbc, system)[0]

    def _solid(self, positions, cell, pbc, system):
        freud = libraries.freud()
        box, points = system if system is not None else freud_system(positions, cell, pbc)
        sl = freud.order.SolidLiquid(6, self.q_threshold, self.solid_threshold, normalize_q=True)
        sl.compute((box, points), neighbors={"r_max": self.r_cut, "exclude_ii": True})
        return np.asarray(sl.num_connections) >= self.solid_threshold, sl


#: thermal disorder levels of the polymorph references (displacement / nearest-neighbour distance)
_NOISE = tuple(np.round(np.arange(0.0, 0.161, 0.02), 3))


def polymorph_fractions(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc,
    atoms: np.ndarray,
    max_distance: float = 0.06,
    interior: bool = True,
) -> dict[str, float]:
    """Fractions of ``atoms`` (indices or mask) of each polymorph by their (q̄4, q̄6).

    q̄_l are Lechner–Dellago averages over the 12 nearest neighbours. Each polymorph's reference is
    a curve in the q̄4–q̄6 plane, traced by its perfect crystal under growing thermal disorder; an
    atom takes the polymorph whose curve passes nearest, or ``other`` when every curve is further
    than ``max_distance``. With ``interior``, only the atoms whose 12 nearest neighbours all
    belong to ``atoms`` are classified (when there are any). Returns fractions over fcc, hcp, bcc,
    other (summing to 1).
    """
    atoms = np.flatnonzero(atoms) if np.asarray(atoms).dtype == bool else np.asarray(atoms)
    out = {name: 0.0 for name in (*POLYMORPHS, "other")}
    if len(atoms) == 0:
        return out
    q = steinhardt(positions, cell, pbc, (4, 6), average=True, num_neighbors=12)
    if interior:
        # atoms at the crystal's surface have liquid among their neighbours, which drags q̄ toward
        # the liquid; classify the crystal by its inside when it has one
        # twice: q̄ averages over the neighbours, so their shells must be whole too
        for _ in range(2):
            inside = _interior(positions, cell, pbc, atoms)
            if not inside.any():
                break
            atoms = atoms[inside]
    q = q[atoms]
    refs = reference_order(noise=_NOISE)
    dist = np.stack([_distance_to_curve(q, refs[name]) for name in POLYMORPHS], axis=1)
    best = np.argmin(dist, axis=1)
    far = dist[np.arange(len(q)), best] > max_distance
    for k, name in enumerate(POLYMORPHS):
        out[name] = float(np.mean((best == k) & ~far))
    out["other"] = float(np.mean(far))
    return out


def _interior(positions: np.ndarray, cell: np.ndarray, pbc, atoms: np.ndarray) -> np.ndarray:
    """(len(atoms),) bool: whose 12 nearest neighbours all are among ``atoms`` and in the first
    shell."""
    freud = libraries.freud()

    box, points = freud_system(positions, cell, pbc)
    nl = (
        freud.locality.AABBQuery(box, points)
        .query(points[atoms], {"num_neighbors": 12, "exclude_ii": False})
        .toNeighborList()
    )
    member = np.zeros(len(points), dtype=bool)
    member[atoms] = True
    qi, pj = np.asarray(nl.query_point_indices), np.asarray(nl.point_indices)
    dist = np.asarray(nl.distances)
    self_hit = pj == atoms[qi]
    # a full first shell: the 12 neighbours are crystal atoms, none much further than the nearest
    # (a crystal face has its 10th to 12th neighbours in the second shell, sqrt(2) further away)
    d_nn = np.median(dist[~self_hit]) if (~self_hit).any() else 0.0
    bad = (~member[pj] | (dist > 1.25 * d_nn)) & ~self_hit
    return np.bincount(qi[bad], minlength=len(atoms)) == 0


def _distance_to_curve(points: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """(m,) distance from each point to the polyline ``curve`` (k, 2)."""
    a, b = curve[:-1], curve[1:]
    ab = b - a
    t = np.einsum("mkd,kd->mk", points[:, None, :] - a[None], ab) / np.maximum(
        np.einsum("kd,kd->k", ab, ab), 1e-12
    )
    t = np.clip(t, 0.0, 1.0)
    nearest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(points[:, None, :] - nearest, axis=2).min(axis=1)
