"""Substrate builders: fcc slabs exposing (111), (100) or (110), and user-supplied slabs.

Slabs come back as ``ase.Atoms`` with an orthogonal cell, periodic in x and y, the surface normal
along +z and the top layer at the highest z. The lateral size is a whole number of surface unit
cells (so the slab is commensurate with its periodic box) and at least ``min_lateral`` along x and y.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from nucleate.errors import InputError

FACETS = ("111", "100", "110")


def _builder(facet: str):
    from ase.build import fcc100, fcc110, fcc111

    try:
        return {"111": fcc111, "100": fcc100, "110": fcc110}[facet]
    except KeyError:
        raise InputError(f"unknown facet {facet!r}; use one of {', '.join(FACETS)}") from None


def surface_cell(facet: str, a: float) -> tuple[float, float, int]:
    """Lateral lengths (x, y) of the smallest orthogonal surface cell and its atoms per layer."""
    unit = _builder(facet)("X", size=(1, 2 if facet == "111" else 1, 1), a=a, orthogonal=True)
    lx, ly, _ = unit.cell.lengths()
    return float(lx), float(ly), len(unit)


def fcc_slab(facet: str, a: float, n_layers: int = 3, min_lateral: float = 10.0):
    """An fcc slab exposing ``facet``.

    Args:
        facet: ``"111"``, ``"100"`` or ``"110"``.
        a: cubic lattice constant (length unit of the data set).
        n_layers: atomic layers (frozen in simulations).
        min_lateral: smallest lateral box length along x and y.

    Returns:
        ``ase.Atoms`` with atomic number 1 for every atom, cell z = slab thickness + one layer
        spacing, ``pbc = (True, True, False)``.
    """
    if not a > 0:
        raise InputError(f"lattice constant must be positive, not {a}")
    if n_layers < 1:
        raise InputError(f"a slab needs at least one layer, not {n_layers}")
    lx, ly, _ = surface_cell(facet, a)
    nx = max(1, math.ceil(min_lateral / lx - 1e-9))
    ny = max(1, math.ceil(min_lateral / ly - 1e-9))
    if facet == "111":
        ny *= 2  # ASE's orthogonal fcc111 cell needs an even count along y
    slab = _builder(facet)("X", size=(nx, ny, n_layers), a=a, orthogonal=True, vacuum=None)
    slab.numbers[:] = 1
    slab.pbc = (True, True, False)
    z = slab.positions[:, 2]
    slab.positions[:, 2] -= z.min()
    layer_gap = np.diff(np.unique(np.round(z, 8)))
    spacing = float(layer_gap.min()) if len(layer_gap) else a / 2
    cell = slab.cell.array.copy()
    cell[2] = [0.0, 0.0, float(np.ptp(z)) + spacing]
    slab.set_cell(cell)
    slab.info.clear()
    slab.info.update({"facet": facet, "a": float(a), "n_layers": int(n_layers)})
    return slab


def load_substrate(path: str | os.PathLike, format: str | None = None):
    """A user-supplied slab from any file ASE reads, checked and set up as :func:`fcc_slab` would.

    The slab must have atoms, a cell periodic along x and y with the first two vectors in the xy
    plane, and its surface facing +z. Every atom becomes substrate.
    """
    from ase.io import read

    from nucleate.data.io import check_path, guess_format

    path = check_path(path)
    fmt = guess_format(path, format)
    try:
        slab = read(str(path), index=-1, format=fmt)
    except Exception as err:
        raise InputError(f"{path}: cannot read a substrate ({err})") from None
    if len(slab) == 0:
        raise InputError(f"{path}: the substrate has no atoms")
    if not np.all(np.isfinite(slab.positions)):
        raise InputError(f"{path}: the substrate has NaN or infinite coordinates")
    cell = slab.cell.array
    if not (slab.pbc[0] and slab.pbc[1]) or np.linalg.norm(np.cross(cell[0], cell[1])) <= 0:
        raise InputError(f"{path}: a substrate needs a cell periodic along x and y")
    if abs(cell[0, 2]) > 1e-6 or abs(cell[1, 2]) > 1e-6:
        raise InputError(f"{path}: the first two cell vectors must lie in the xy plane")
    slab = slab.copy()
    slab.numbers[:] = 1  # one component: every atom interacts with the liquid with eps_sl
    slab.wrap(pbc=(True, True, False))
    slab.pbc = (True, True, False)
    slab.positions[:, 2] -= slab.positions[:, 2].min()
    slab.info = {"facet": "user", "source": str(path)}
    return slab


@dataclass(frozen=True)
class SubstrateSpec:
    """A generated fcc substrate: facet, mismatch ``m`` (a_s = a_0 (1 + m)) and attraction ε_sl."""

    facet: str
    mismatch: float
    eps_sl: float

    @property
    def id(self) -> str:
        return f"fcc{self.facet}_m{self.mismatch * 100:+05.1f}_e{self.eps_sl:.2f}"
