"""Local bond order with freud: Steinhardt q_l, Lechner–Dellago averaged q̄_l, and the freud view
of a periodic (or slab) cell.

Positions and cells are plain arrays in any length unit; cutoffs are in the same unit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


def freud_system(positions: np.ndarray, cell: np.ndarray, pbc) -> tuple:
    """``(box, points)`` for freud: the cell as a periodic freud Box and the positions shifted into
    freud's centred box convention. Along axes that are not periodic the box is twice the cell, so
    that atoms never meet their images; every atom must lie inside the cell along those axes.

    Args:
        positions: (n, 3) Cartesian positions.
        cell: (3, 3) cell vectors as rows; the first must lie along x and the second in the xy
            plane (LAMMPS convention).
        pbc: (3,) periodicity.
    """
    import freud

    cell = np.asarray(cell, dtype=float)
    periodic = np.broadcast_to(np.asarray(pbc, dtype=bool), 3)
    origin = cell.sum(axis=0) / 2.0
    points = np.asarray(positions, dtype=np.float64) - origin
    frac = np.linalg.solve(cell.T, points.T).T
    frac[:, periodic] = (frac[:, periodic] + 0.5) % 1.0 - 0.5
    points = frac @ cell
    # freud queries need a periodic box: along an open axis the cell is doubled, so that the
    # periodic images lie a whole cell away and never meet
    padded = cell.copy()
    padded[~periodic] *= 2.0
    box = freud.box.Box.from_matrix(padded.T)
    return box, np.ascontiguousarray(points, dtype=np.float32)


def steinhardt(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc,
    ls: tuple[int, ...] = (4, 6),
    average: bool = True,
    num_neighbors: int | None = 12,
    r_max: float | None = None,
) -> np.ndarray:
    """(n, len(ls)) Steinhardt order q_l per atom, averaged over neighbours (Lechner–Dellago q̄_l)
    when ``average``. Neighbours: the ``num_neighbors`` nearest, or all within ``r_max``."""
    import freud

    box, points = freud_system(positions, cell, pbc)
    query = {"num_neighbors": num_neighbors} if r_max is None else {"r_max": r_max}
    if r_max is None and num_neighbors is None:
        raise ValueError("give num_neighbors or r_max")
    out = np.empty((len(points), len(ls)))
    for k, l in enumerate(ls):
        st = freud.order.Steinhardt(l, average=average)
        st.compute((box, points), neighbors={**query, "exclude_ii": True})
        out[:, k] = st.particle_order
    return out


@lru_cache(maxsize=8)
def reference_order(
    ls: tuple[int, ...] = (4, 6),
    num_neighbors: int = 12,
    average: bool = True,
    noise: tuple[float, ...] = (0.0,),
) -> dict[str, np.ndarray]:
    """Mean q_l of fcc, hcp and bcc crystals with the same neighbour rule, computed here.

    Args:
        noise: Gaussian displacement per coordinate, in units of the nearest-neighbour distance;
            one reference point per value (thermal disorder moves crystals through the q̄4–q̄6 plane).

    Returns:
        name -> (len(noise), len(ls)) array.
    """
    from ase.build import bulk

    rng = np.random.default_rng(12345)
    d_nn = 1.0 / np.sqrt(2.0)  # fcc and hcp below; bcc is scaled to the same density
    crystals = {
        "fcc": bulk("Ar", "fcc", a=1.0, cubic=True).repeat(5),
        "hcp": bulk("Ar", "hcp", a=d_nn, c=d_nn * np.sqrt(8 / 3)).repeat((7, 7, 5)),
        "bcc": bulk("Ar", "bcc", a=(2.0 / 4.0) ** (1 / 3), cubic=True).repeat(6),
    }
    refs = {}
    for name, atoms in crystals.items():
        points = []
        for sigma in noise:
            pos = atoms.positions + rng.normal(0.0, sigma * d_nn, atoms.positions.shape)
            q = steinhardt(pos, atoms.cell.array, True, ls, average, num_neighbors=num_neighbors)
            points.append(q.mean(axis=0))
        refs[name] = np.array(points)
    return refs
