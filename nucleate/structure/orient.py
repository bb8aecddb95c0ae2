"""Interfaces as users have them, turned to the one geometry the analysis reads: the substrate
below, its surface facing +z, the liquid above, z not periodic.

Handles a surface facing −z (liquid below the slab), a slab anywhere in the box (not at z = 0, or
split across a periodic boundary in z) and a slab with liquid on both sides (one side chosen:
``top`` or ``bottom``; ``auto`` takes the side that has the liquid and refuses to guess when both
have it). A frame already in that geometry is returned unchanged.
"""

from __future__ import annotations

import numpy as np

from nucleate.errors import InputError
from nucleate.frame import Frame

SIDES = ("auto", "top", "bottom")
#: a side with at most this fraction of the other side's liquid counts as dry (stray vapour atoms)
DRY = 0.05


def _slab_centre(z: np.ndarray, length: float | None) -> tuple[float, float]:
    """(centre, thickness) of the substrate heights ``z``; along a periodic axis of ``length`` the
    slab is the complement of the widest gap between substrate atoms (it may straddle the box
    boundary)."""
    if length is None:
        return 0.5 * (z.min() + z.max()), float(z.max() - z.min())
    zs = np.sort(np.mod(z, length))
    gaps = np.diff(np.r_[zs, zs[0] + length])
    k = int(np.argmax(gaps))
    lo, thickness = zs[(k + 1) % len(zs)], length - gaps[k]
    return float(np.mod(lo + 0.5 * thickness, length)), float(thickness)


def sides(frame: Frame) -> tuple[int, int]:
    """Liquid sites (above, below) the middle of the substrate slab."""
    zc = _relative_heights(frame)
    return int(np.sum(frame.liquid & (zc > 0))), int(np.sum(frame.liquid & (zc < 0)))


def _relative_heights(frame: Frame) -> np.ndarray:
    """Heights relative to the slab's middle (minimum image along a periodic z)."""
    z = frame.positions[:, 2]
    length = None
    if frame.pbc[2]:
        cell = frame.cell
        if np.abs(cell[2, :2]).max() > 1e-9 or np.abs(cell[:2, 2]).max() > 1e-9:
            raise InputError(
                "a cell periodic along z must have its third vector along z and the first two in "
                "the xy plane (LAMMPS convention) to find the slab"
            )
        length = float(cell[2, 2])
    centre, _ = _slab_centre(z[frame.substrate], length)
    zc = z - centre
    if length is not None:
        zc = np.mod(zc + 0.5 * length, length) - 0.5 * length
    return zc


def _contiguous(frame: Frame) -> bool:
    """Whether the slab lies in one piece inside the box as given and the liquid above it (a
    frame periodic in z, as most MD files are, needs no unwrapping then)."""
    if not frame.pbc[2]:
        return True
    z = frame.positions[:, 2]
    zs = z[frame.substrate]
    _, thickness = _slab_centre(zs, float(frame.cell[2, 2]))
    return zs.max() - zs.min() <= thickness + 1e-9 and bool(np.all(z[frame.liquid] > zs.min()))


def orient(frame: Frame, side: str = "auto") -> Frame:
    """The frame with the chosen side's liquid above the substrate, z not periodic.

    Args:
        frame: an interface (frames without substrate are returned as they are).
        side: ``top`` (liquid above the slab), ``bottom`` (below; the frame is mirrored in z) or
            ``auto`` (the side with liquid; refused when both sides hold liquid).

    Returns:
        The frame itself when it already is in that geometry (slab in one piece, liquid only
        above it), else a frame with the substrate and the atoms on that side (the other side's
        dropped), heights from 0, the surface facing +z, ``pbc = (x, y, False)`` and
        ``info["side"]``.
    """
    if side not in SIDES:
        raise InputError(f"side {side!r}: use one of {', '.join(SIDES)}")
    if not frame.substrate.any():
        return frame
    zc = _relative_heights(frame)
    above, below = (int(np.sum(frame.liquid & m)) for m in (zc > 0, zc < 0))
    if side == "auto":
        if below <= DRY * above:
            side = "top"
        elif above <= DRY * below:
            side = "bottom"
        else:
            raise InputError(
                f"liquid on both sides of the slab ({above} sites above, {below} below): choose "
                "one with --side top or --side bottom, or read both faces with --side both (liquid "
                "that seeped into a holed or rough slab from above counts as below: --side top)"
            )
    if side == "top" and below == 0 and _contiguous(frame):
        return frame  # already the geometry the analysis reads: positions as they were given
    sign = 1.0 if side == "top" else -1.0
    keep = frame.substrate | (sign * zc > 0)
    if not np.any(frame.liquid & keep):
        raise InputError(f"no liquid on the {side} side of the slab")
    z = sign * zc[keep]
    z -= z.min()
    positions = frame.positions[keep].copy()
    positions[:, 2] = z
    cell = frame.cell.copy()
    cell[2] = [0.0, 0.0, float(z.max()) * 1.5 + 1.0]  # room above the film, not periodic
    return Frame(
        positions=positions,
        types=frame.types[keep],
        cell=cell,
        pbc=(bool(frame.pbc[0]), bool(frame.pbc[1]), False),
        substrate=frame.substrate[keep],
        liquid=frame.liquid[keep],
        units=frame.units,
        info={**frame.info, "side": side},
        arrays={k: np.asarray(v)[keep] for k, v in frame.arrays.items()},
    )
