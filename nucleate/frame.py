"""The Frame: one configuration of a liquid in contact with a substrate, as plain numpy arrays.

A Frame is frozen and its arrays are read-only, so featurizers can share them safely. Everything in
nucleate takes Frames; ASE appears only in :mod:`nucleate.data.io`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from nucleate.errors import InputError

#: Unit systems nucleate knows, named as in LAMMPS: (length, energy, time, temperature).
UNITS: Mapping[str, tuple[str, str, str, str]] = MappingProxyType(
    {
        "lj": ("sigma", "epsilon", "tau", "epsilon/k_B"),
        "real": ("Angstrom", "kcal/mol", "fs", "K"),
        "metal": ("Angstrom", "eV", "ps", "K"),
    }
)


#: fractional tolerance for wrapping: atoms this close below a cell face count as inside
_WRAP_EPS = 1e-7


def check_units(units: str) -> str:
    """Return ``units`` if nucleate knows it, else raise :class:`InputError`."""
    if units not in UNITS:
        raise InputError(f"unknown units {units!r}; use one of {', '.join(UNITS)}")
    return units


def _frozen(array: Any, dtype: Any, shape: tuple[int | None, ...], name: str) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    if out.ndim != len(shape) or any(
        s is not None and s != n for s, n in zip(shape, out.shape, strict=False)
    ):
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + ")"
        raise InputError(f"frame {name} has shape {out.shape}, expected {want}")
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Frame:
    """One configuration of atoms with a substrate and a liquid.

    Attributes:
        positions: (n, 3) float64 Cartesian positions, in the length unit of ``units``.
        types: (n,) int64 species: atomic numbers for files with chemical symbols, LAMMPS atom
            types for LAMMPS files without element names.
        cell: (3, 3) float64 cell vectors as rows (ASE convention), length unit of ``units``.
        pbc: (3,) bool periodicity along each cell vector.
        substrate: (n,) bool mask of substrate atoms.
        liquid: (n,) bool mask of the liquid sites analysed (for water the oxygens); atoms that are
            neither substrate nor liquid (hydrogens) are carried along but not analysed.
        units: unit system, one of :data:`UNITS` (``"lj"``, ``"real"``, ``"metal"``).
        info: per-frame metadata (e.g. ``step``, ``time``, ``source``).
        arrays: extra per-atom arrays, each with first dimension n.
    """

    positions: np.ndarray
    types: np.ndarray
    cell: np.ndarray
    pbc: np.ndarray
    substrate: np.ndarray
    liquid: np.ndarray | None = None
    units: str = "lj"
    info: Mapping[str, Any] = field(default_factory=dict)
    arrays: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        positions = _frozen(self.positions, np.float64, (None, 3), "positions")
        n = len(positions)
        if not np.all(np.isfinite(positions)):
            bad = int(np.sum(~np.all(np.isfinite(positions), axis=1)))
            raise InputError(f"{bad} of {n} atoms have NaN or infinite coordinates")
        set_(self, "positions", positions)
        set_(self, "types", _frozen(self.types, np.int64, (n,), "types"))
        cell = _frozen(self.cell, np.float64, (3, 3), "cell")
        if not np.all(np.isfinite(cell)):
            raise InputError("the cell has NaN or infinite entries")
        set_(self, "cell", cell)
        set_(self, "pbc", _frozen(np.broadcast_to(self.pbc, 3), bool, (3,), "pbc"))
        substrate = _frozen(self.substrate, bool, (n,), "substrate mask")
        set_(self, "substrate", substrate)
        liquid = ~substrate if self.liquid is None else self.liquid
        liquid = _frozen(liquid, bool, (n,), "liquid mask")
        if np.any(liquid & substrate):
            raise InputError("an atom cannot be both substrate and liquid")
        set_(self, "liquid", liquid)
        check_units(self.units)
        set_(self, "info", MappingProxyType(dict(self.info)))
        arrays = {}
        for key, value in dict(self.arrays).items():
            value = np.array(value, copy=True)
            if value.shape[:1] != (n,):
                raise InputError(f"per-atom array {key!r} has {value.shape[:1]} rows for {n} atoms")
            value.flags.writeable = False
            arrays[key] = value
        set_(self, "arrays", MappingProxyType(arrays))

    @property
    def n_atoms(self) -> int:
        return len(self.positions)

    @property
    def length_unit(self) -> str:
        return UNITS[self.units][0]

    @property
    def lateral_area(self) -> float:
        """Area of the cell face spanned by the first two cell vectors (length²)."""
        # |a x b| written out: np.cross on two 3-vectors costs ~60 µs, and descriptors ask for
        # this area several times per frame
        (a0, a1, a2), (b0, b1, b2) = self.cell[0].tolist(), self.cell[1].tolist()
        return math.hypot(a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0)

    def replace(self, **changes: Any) -> Frame:
        """A copy with some fields replaced (validated again)."""
        return replace(self, **changes)

    def outside_cell(self) -> np.ndarray:
        """(n,) bool: atoms outside [0, 1) in fractional coordinates along a periodic axis."""
        frac = self.fractional()
        return np.any(((frac < -_WRAP_EPS) | (frac >= 1 - _WRAP_EPS)) & self.pbc, axis=1)

    def fractional(self) -> np.ndarray:
        """(n, 3) fractional coordinates; needs a cell of full rank."""
        if abs(np.linalg.det(self.cell)) < 1e-12:
            raise InputError("the cell has zero volume; the file carries no cell (lattice)")
        return np.linalg.solve(self.cell.T, self.positions.T).T

    def wrapped(self) -> Frame:
        """A copy with every atom wrapped into the cell along the periodic axes."""
        if not np.any(self.pbc):
            return self
        frac = self.fractional()
        # like ASE's wrap: atoms within eps below a face stay there instead of jumping across
        frac[:, self.pbc] = (frac[:, self.pbc] + _WRAP_EPS) % 1.0 - _WRAP_EPS
        return self.replace(positions=frac @ self.cell)

    def __repr__(self) -> str:
        return (
            f"Frame(n_atoms={self.n_atoms}, substrate={int(self.substrate.sum())}, "
            f"liquid={int(self.liquid.sum())}, units={self.units!r}, pbc={self.pbc.tolist()})"
        )
