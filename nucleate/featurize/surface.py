"""Substrate descriptors defined for any slab, from its atoms and the pair potential alone.

Nothing here reads a substrate's grid parameters (facet, mismatch): a bcc, stepped, alloyed or
disordered slab gets the same descriptors as an fcc facet.

- the adsorption-energy landscape of one liquid probe atom over the surface (per-atom strengths, so
  two-component surfaces are described as they interact): its deep sites per area, their depth,
  the landscape's spread;
- the atoms a liquid atom can touch (the exposed atoms, under the local surface) per area;
- the lattice match of the exposed atoms against the low-index planes of the liquid's crystal:
  the local structure factor of the surface at each plane's reciprocal vectors, best orientation.

Lengths are in the frame's units; the crystal is given by its nearest-neighbour distance ``d0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from nucleate.errors import InputError
from nucleate.structure.libraries import neighbor_list

#: the type of a second substrate component (two-component surfaces)
SECOND_TYPE = 3


@dataclass(frozen=True)
class PairLJ:
    """A shifted LJ pair between the substrate and a liquid atom (for the adsorption landscape)."""

    eps: float
    sigma: float = 1.0
    cutoff: float = 2.5

    def energy(self, r: np.ndarray) -> np.ndarray:
        sr6 = (self.sigma / np.maximum(r, 1e-6)) ** 6
        src6 = (self.sigma / self.cutoff) ** 6
        e = 4 * self.eps * (sr6**2 - sr6) - 4 * self.eps * (src6**2 - src6)
        return np.where(r < self.cutoff, e, 0.0)

    def energy_r2(self, r2: np.ndarray, strength=None, floor: float = 1e-12) -> np.ndarray:
        """The same pair from squared distances (no square root or general power: the landscapes
        evaluate it for every probe-atom pair at every height), each pair times its atom's
        ``strength`` (default ``eps``); r² floored at ``floor``. Stays in the precision of
        ``r2`` (the landscape's coarse scan runs in float32)."""
        s2, rc2 = self.sigma**2, self.cutoff**2
        shift = (s2 / rc2) ** 3
        s6 = s2 / np.maximum(r2, floor)
        s6 = s6 * s6 * s6
        w4 = 4.0 * (self.eps if strength is None else strength)
        return w4 * (s6 * s6 - s6 - (shift * shift - shift)) * (r2 < rc2)


def atom_strengths(types: np.ndarray, eps_sl: float, eps_sl2: float | None = None) -> np.ndarray:
    """(n,) substrate–liquid strength of each substrate atom: ``eps_sl``, and ``eps_sl2`` for the
    second component (type 3), which then must be given."""
    types = np.asarray(types)
    second = types == SECOND_TYPE
    if second.any() and eps_sl2 is None:
        raise InputError("the substrate has a second component (type 3): give its eps_sl2")
    return np.where(second, np.nan if eps_sl2 is None else float(eps_sl2), float(eps_sl))


def _image_steps(lateral: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """The cell's heights along each lateral axis, and how many cell shifts either way reach every
    periodic image within ``cutoff`` of the cell."""
    heights = abs(np.linalg.det(lateral)) / np.linalg.norm(lateral[::-1], axis=1)
    return heights, (np.ceil(cutoff / heights) + 1).astype(int)


def lateral_images(lateral: np.ndarray, cutoff: float) -> np.ndarray:
    """(k, 2) lattice shifts of every periodic image within ``cutoff`` of the cell."""
    _, (n_a, n_b) = _image_steps(lateral, cutoff)
    return np.array(
        [
            i * lateral[0] + j * lateral[1]
            for i in range(-n_a, n_a + 1)
            for j in range(-n_b, n_b + 1)
        ]
    )


class LateralPairs(NamedTuple):
    """Every (probe, substrate atom) pair closer than a cutoff in the plane, periodic: sorted by
    probe; ``atom`` indexes the substrate atoms, ``r_xy2`` is the squared lateral distance."""

    probe: np.ndarray
    atom: np.ndarray
    r_xy2: np.ndarray


def lateral_pairs(
    probes_xy: np.ndarray, substrate_xy: np.ndarray, lateral: np.ndarray, cutoff: float
) -> LateralPairs:
    """The pairs of :class:`LateralPairs`, from a k-d tree over the substrate and only those of
    its periodic images that lie within ``cutoff`` of the cell: memory linear in the substrate
    (not one copy per image)."""
    return LateralSearch(substrate_xy, lateral, cutoff).pairs(probes_xy)


class LateralSearch:
    """The substrate's k-d tree for :func:`lateral_pairs`, made once: probes asked for a chunk at
    a time (the pairs of all probes of a large slab at once, and their sort, grew faster than
    the slab)."""

    def __init__(self, substrate_xy: np.ndarray, lateral: np.ndarray, cutoff: float):
        from scipy.spatial import cKDTree

        self.lateral, self.cutoff = lateral, cutoff
        self.inv = np.linalg.inv(lateral)
        frac = np.asarray(substrate_xy, dtype=float) @ self.inv
        frac = frac - np.floor(frac)  # every atom moved into the cell
        heights, (n_a, n_b) = _image_steps(lateral, cutoff)
        margin = cutoff / heights  # the cutoff in fractional units along each axis
        steps_a, steps_b = np.arange(-n_a, n_a + 1), np.arange(-n_b, n_b + 1)
        # the images (shift a, shift b, atom) within the margin of the cell, shift-major
        ok_a = (frac[:, 0] + steps_a[:, None] > -margin[0]) & (
            frac[:, 0] + steps_a[:, None] < 1 + margin[0]
        )
        ok_b = (frac[:, 1] + steps_b[:, None] > -margin[1]) & (
            frac[:, 1] + steps_b[:, None] < 1 + margin[1]
        )
        ia, ib, self.owner = np.nonzero(ok_a[:, None, :] & ok_b[None, :, :])
        images = (frac[self.owner] + np.column_stack([steps_a[ia], steps_b[ib]])) @ lateral
        self.tree = cKDTree(images)

    def pairs(self, probes_xy: np.ndarray) -> LateralPairs:
        """The pairs of these probes (``probe`` indexes them), sorted by probe."""
        from scipy.spatial import cKDTree

        cutoff = self.cutoff
        q = np.asarray(probes_xy, dtype=float) @ self.inv
        q = (q - np.floor(q)) @ self.lateral  # probes into the cell too: distances are periodic
        found = cKDTree(q).sparse_distance_matrix(self.tree, cutoff, output_type="ndarray")
        probe, image, dist = (np.ascontiguousarray(found[k]) for k in ("i", "j", "v"))
        keep = dist < cutoff  # (the tree keeps pairs at the cutoff itself)
        if not keep.all():
            probe, image, dist = probe[keep], image[keep], dist[keep]
        order = stable_argsort(probe)  # by probe (the tree's order within one)
        dist = np.take(dist, order)
        return LateralPairs(np.take(probe, order), np.take(self.owner, np.take(image, order)),
                            dist * dist)  # fmt: skip


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """np.argsort(keys, kind="stable") of non-negative integers below 2**32, by numpy's radix
    sort of 16-bit keys (once, or twice: low half, then high): several times faster than its
    merge sort of 64-bit ones."""
    keys = np.asarray(keys)
    if len(keys) == 0 or keys.max() < 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if keys.max() >= 1 << 32:
        return np.argsort(keys, kind="stable")
    low = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    return low[np.argsort((keys[low] >> 16).astype(np.uint16), kind="stable")]


class Landscape(NamedTuple):
    """The adsorption landscape of a probe atom: ``energy`` and ``height`` above the top atom
    (na, nb) at each mesh point, and the probe's best positions ``probes`` (na * nb, 3)."""

    energy: np.ndarray
    height: np.ndarray
    probes: np.ndarray


def landscape(
    substrate_xyz: np.ndarray,
    lateral: np.ndarray,
    pair: PairLJ,
    top: float,
    spacing: float = 0.15,
    heights: tuple[float, float, int] = (-1.5, 2.0, 36),
    strengths: np.ndarray | None = None,
) -> Landscape:
    """Adsorption energy of one liquid atom over the surface on a fine periodic mesh.

    At each mesh point the probe's energy is minimised over its height ``top + h``: h on
    ``linspace(*heights)`` (times σ; below ``top`` so that a probe may sink into vacancies and
    between adatoms, but none below the slab's lowest atoms), then by a Newton search within one
    coarse step of the best.
    ``strengths``: per-atom ε (two-component surfaces); default ``pair.eps``.

    Returns:
        a :class:`Landscape`: the mesh spans the cell with about ``spacing`` (times σ) between
        points, at fractional coordinates ``(i / na, j / nb)`` from the highest atom.
    """
    substrate_xyz = np.asarray(substrate_xyz, dtype=float)
    if len(substrate_xyz) == 0:
        raise InputError("the substrate has no atoms")
    lengths = np.linalg.norm(lateral, axis=1)
    na, nb = (np.maximum(4, np.ceil(lengths / (spacing * pair.sigma)))).astype(int)
    fu, fv = np.meshgrid(np.arange(na) / na, np.arange(nb) / nb, indexing="ij")
    # the mesh moves with the substrate (anchored at its highest atom): shifting the whole
    # interface leaves the landscape as it was
    anchor = substrate_xyz[int(np.argmax(substrate_xyz[:, 2])), :2]
    probes = anchor + fu.reshape(-1, 1) * lateral[0] + fv.reshape(-1, 1) * lateral[1]
    weight = np.full(len(substrate_xyz), pair.eps) if strengths is None else np.asarray(strengths)
    unit = PairLJ(1.0, pair.sigma, pair.cutoff)
    coarse = np.linspace(*heights[:2], int(heights[2])) * pair.sigma
    # no coarse height below the slab's lowest atoms (the search after it goes at most one step
    # below the lowest kept): there a probe would sit under a thin slab (two fcc(100) layers
    # leave a hollow beneath as deep as those on top), where no liquid atom on top can go
    coarse = coarse[coarse >= substrate_xyz[:, 2].min() - top - 1e-9 * pair.sigma]
    if len(coarse) < 2:
        raise InputError(f"the probe heights {heights} lie below the slab (top at {top})")
    # atoms deeper than a cutoff below the lowest height scanned (the coarse mesh's first, less
    # one coarse step for the fine scan) reach no probe: left out, every sum is the same
    lowest = coarse[0] - (coarse[1] - coarse[0])
    keep = substrate_xyz[:, 2] - top > lowest - pair.cutoff * (1.0 + 1e-9)
    substrate_xyz, weight = substrate_xyz[keep], weight[keep]
    search = LateralSearch(substrate_xyz[:, :2], lateral, pair.cutoff)
    e_min, height = np.empty(len(probes)), np.empty(len(probes))
    # probes in chunks: each chunk's pairs are found, sorted and kept in cache through its height
    # evaluations on their own (memory and time linear in the slab)
    for p0 in range(0, len(probes), LANDSCAPE_CHUNK):
        p1 = min(len(probes), p0 + LANDSCAPE_CHUNK)
        pairs = search.pairs(probes[p0:p1])
        e_min[p0:p1], height[p0:p1] = _best_heights(
            pairs.probe, p1 - p0, pairs.r_xy2, substrate_xyz[pairs.atom, 2] - top,
            weight[pairs.atom], unit, coarse,
        )  # fmt: skip
    probes_xyz = np.column_stack([probes, top + height])
    return Landscape(e_min.reshape(na, nb), height.reshape(na, nb), probes_xyz)


#: probes per chunk of the landscape scan
LANDSCAPE_CHUNK = 1024


def _best_heights(probe_of, n, r_xy2, dz_atom, weight, unit: PairLJ, coarse):
    """(energy, height) of each of ``n`` probes at its best height: the lowest of the
    ``coarse`` heights, then a safeguarded Newton search for the minimum within one coarse step
    of it (:func:`_newton_heights`). ``probe_of``: each pair's probe, sorted; ``dz_atom``: each
    pair's atom height below the reference top.

    The coarse scan only has to say which height is lowest, so it runs in single precision
    (half the memory traffic: it is most of a new slab's descriptor time); the search and the
    energies returned are double precision."""
    rc2 = unit.cutoff**2
    step = coarse[1] - coarse[0]
    # pairs out of reach at every height searched (coarse[0] - one step to coarse[-1] + one)
    # add exact zeros: left out, the sums are the same
    gap = np.maximum(np.maximum(coarse[0] - step - dz_atom, dz_atom - coarse[-1] - step), 0.0)
    near = np.flatnonzero(r_xy2 + gap * gap < rc2 * (1.0 + 1e-9))
    probe_of, r_xy2, dz_atom, weight = (
        np.take(x, near) for x in (probe_of, r_xy2, dz_atom, weight)
    )

    # the coarse scan, in float32 (r² floored at 0.01 σ², where the pair is 1e12 ε anyway: no
    # overflow)
    e_coarse = scan_energies(probe_of, n, r_xy2, dz_atom, weight, unit, coarse,
                             floor=0.01 * unit.sigma**2, dtype=np.float32)  # fmt: skip
    k = np.argmin(e_coarse, axis=1)
    h0 = coarse[k]
    # the search starts at the vertex of the parabola through the lowest coarse point and its
    # neighbours (a few Newton steps from the minimum)
    rows = np.arange(n)
    left = e_coarse[rows, np.maximum(k - 1, 0)]
    mid = e_coarse[rows, k]
    right = e_coarse[rows, np.minimum(k + 1, len(coarse) - 1)]
    curv = left - 2 * mid + right
    inside = (k > 0) & (k < len(coarse) - 1) & (curv > 0)
    h = h0 + step * np.where(inside, np.clip(0.5 * (left - right) / np.where(inside, curv, 1.0),
                                             -0.5, 0.5), 0.0)  # fmt: skip

    return _newton_heights(h, h0 - step, h0 + step, probe_of, n, r_xy2, dz_atom, 4.0 * weight,
                           unit)  # fmt: skip


def scan_energies(probe_of, n, r_xy2, dz_atom, weight, unit: PairLJ, heights, floor=1e-12,
                  dtype=np.float64) -> np.ndarray:  # fmt: skip
    """(n, len(heights)) energy of each of ``n`` probes at each of the ``heights`` (increasing,
    evenly spaced) that may be its lowest, inf at the others: ``unit.energy_r2(r², 1)`` of its
    pairs (``probe_of`` sorted; r² floored at ``floor``) times their ``weight``, summed, the
    same operations in the precision ``dtype``. Each probe is evaluated from
    :func:`_first_heights` to :func:`_last_heights` only (the lowest scanned height and its
    neighbours are the same as with every height: same numbers, the same argmin)."""
    first = _first_heights(probe_of, n, r_xy2, dz_atom, weight, unit, heights)
    last = np.maximum(_last_heights(probe_of, n, r_xy2, dz_atom, weight, unit, heights), first)
    cast = (np.asarray(x, dtype=dtype) for x in (r_xy2, dz_atom, weight))
    return _window_energies(probe_of, n, *cast, unit, heights, dtype(floor), first, last)


def _first_heights(probe_of, n, r_xy2, dz_atom, weight, unit: PairLJ, coarse) -> np.ndarray:
    """(n,) for each probe the first coarse height worth evaluating: one below the lowest
    height at which its energy is not provably above zero (kept for the parabola through the
    lowest height and its neighbours).

    A pair j whose energy ``w_j u(r)`` exceeds ``W + m`` (W: the sum of the probe's pair weights,
    m a margin) makes the probe's energy above ``m``, as no pair is below ``-w`` (the shifted
    pair ``u`` is above -1 everywhere): that holds for r below a radius of its own, so over an
    interval of heights. The highest height, 1.1 σ or more above every atom, has an energy of at
    most zero, so no height of the run of such heights from the lowest can be the lowest of the
    scan. Every probe from 0 where that does not hold (a weight that is not positive, a top
    height too low)."""
    first = np.zeros(n, dtype=np.int64)
    s2, n_h = unit.sigma**2, len(coarse)
    if not np.all(weight > 0) or coarse[-1] - dz_atom.max(initial=-np.inf) < 1.1 * unit.sigma:
        return first
    close = np.flatnonzero(r_xy2 < s2)  # only these can come closer than σ
    if len(close) == 0:
        return first
    total = run_sums(probe_of, n)(weight)  # W of each probe
    probe = probe_of[close]
    # the pair's energy above W + m: 4 x^2 - 4 x - 4 shift > t, x = (σ / r)^6
    shift = (s2 / unit.cutoff**2) ** 3
    t = (total[probe] * (1.0 + 1e-3) + 1e-3) / weight[close]
    x = 0.5 * (1.0 + np.sqrt(1.0 + t + 4.0 * (shift * shift - shift)))
    r2_block = s2 / np.cbrt(x) * (1.0 - 1e-6)  # a little inside: round-off stays on the safe side
    half2 = r2_block - r_xy2[close]
    hit = half2 > 0
    probe, centre, half = probe[hit], dz_atom[close][hit], np.sqrt(half2[hit])
    # the coarse heights strictly inside each pair's interval, as an index range
    step = (coarse[-1] - coarse[0]) / (n_h - 1)
    lo = np.ceil((centre - half - coarse[0]) / step + 1e-6).astype(np.int64)
    hi = np.floor((centre + half - coarse[0]) / step - 1e-6).astype(np.int64)
    lo, hi = np.maximum(lo, 0), np.minimum(hi, n_h - 1)
    ok = lo <= hi
    # pairs covering each height: +1 where a pair's range starts, -1 past its end, summed
    row = probe[ok] * (n_h + 1)
    count = np.bincount(row + lo[ok], minlength=n * (n_h + 1)) - np.bincount(
        row + hi[ok] + 1, minlength=n * (n_h + 1)
    )
    blocked = np.cumsum(count.reshape(n, n_h + 1)[:, :n_h], axis=1) > 0
    return np.maximum(np.argmin(blocked, axis=1) - 1, 0)  # (the top height is never blocked)


def _last_heights(probe_of, n, r_xy2, dz_atom, weight, unit: PairLJ, coarse) -> np.ndarray:
    """(n,) for each probe the last coarse height worth evaluating: one above the lowest height
    at or above which its energy can only rise (kept for the parabola through the lowest height
    and its neighbours).

    A pair's shifted energy ``w u(r)`` (w > 0) rises with r from the pair's minimum, 2^(1/6) σ,
    to the cutoff and is zero beyond: with the atom below the probe, it rises with the probe's
    height once the distance is 2^(1/6) σ or more. Above the highest such height of all its
    pairs, a probe's energy rises with height, so no coarse height above the first one there is
    the lowest of the scan. Every probe to the top height where a weight is not positive."""
    n_h = len(coarse)
    last = np.full(n, n_h - 1, dtype=np.int64)
    if len(probe_of) == 0 or not np.all(weight > 0):
        return last
    r_min2 = 2.0 ** (1.0 / 3.0) * unit.sigma**2
    rising = dz_atom + np.sqrt(np.maximum(r_min2 - r_xy2, 0.0))  # a pair's energy rises above
    has = np.zeros(n, dtype=bool)
    has[probe_of] = True
    starts = np.searchsorted(probe_of, np.flatnonzero(has))
    from_height = np.maximum.reduceat(rising, starts)  # each probe's: the highest of its pairs
    last[has] = np.minimum(np.searchsorted(coarse, from_height, side="left") + 1, n_h - 1)
    return last


def _window_energies(probe_of, n, r_xy2, dz, weight, unit: PairLJ, coarse, floor, first, last):
    """(n, len(coarse)) energy of each probe at each coarse height from ``first`` to ``last``
    (its own), inf at the others: :meth:`PairLJ.energy_r2` of every pair summed by probe, the
    same operations in the same order and in the precision of ``dz`` (so the same numbers,
    bitwise), in place in two buffers (a new array per pass: each pair's height, not per
    operation). Pass j evaluates every probe at its height ``first + j``: the probes are taken in the order of their number of
    heights, most first, so that those evaluated in a pass and their pairs are a prefix of the
    arrays."""
    real = dz.dtype.type
    s2, rc2 = unit.sigma**2, unit.cutoff**2
    shift = (s2 / rc2) ** 3
    shift = shift * shift - shift
    span = last - first  # heights after the first, per probe
    order = np.argsort(-span, kind="stable")  # probes by their number of heights, most first
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    owner = rank[probe_of]
    moved = stable_argsort(owner)  # pairs by probe in that order (each probe's own order kept)
    owner, r_xy2, dz = (np.take(x, moved) for x in (owner, r_xy2, dz))
    w4 = 4.0 * np.take(weight, moved)
    starts = np.searchsorted(owner, np.arange(n + 1))
    has = starts[1:] > starts[:-1]  # probes with pairs (the others: zero at every height)
    run, whose = starts[:-1][has], order[has]
    count = np.diff(np.append(run, len(dz)))  # each one's pairs
    first_w = first[whose]
    live = np.searchsorted(-span[whose], -np.arange(int(span.max(initial=0)) + 1), side="right")
    coarse_real = coarse.astype(real)
    r2, e = np.empty(len(dz), real), np.empty(len(dz), real)
    reach = np.empty(len(dz), dtype=bool)
    out = np.full((len(coarse), n), np.inf)
    out[:, order[~has]] = 0.0
    for j, m in enumerate(live):
        if not m:
            break
        p = run[m] if m < len(run) else len(dz)
        r2_, e_, reach_ = r2[:p], e[:p], reach[:p]
        k = first_w[:m] + j  # each probe's height in this pass
        np.subtract(np.repeat(coarse_real[k], count[:m]), dz[:p], out=r2_)  # (each pair's)
        np.multiply(r2_, r2_, out=r2_)
        np.add(r_xy2[:p], r2_, out=r2_)
        np.less(r2_, rc2, out=reach_)
        np.maximum(r2_, floor, out=r2_)
        np.divide(s2, r2_, out=r2_)  # (sigma / r)^2
        np.multiply(r2_, r2_, out=e_)
        np.multiply(e_, r2_, out=r2_)  # (sigma / r)^6
        np.multiply(r2_, r2_, out=e_)
        np.subtract(e_, r2_, out=e_)
        np.subtract(e_, shift, out=e_)
        np.multiply(w4[:p], e_, out=e_)
        np.multiply(e_, reach_, out=e_)
        out[k, whose[:m]] = np.add.reduceat(e_, run[:m])
    return out.T


def _newton_heights(h, lo, hi, probe_of, n, r_xy2, dz_atom, w4, unit: PairLJ):
    """(energy, height) at the minimum of each probe's energy over its height within the
    bracket [lo, hi], from ``h``: a Newton search on dE/dh with analytic derivatives, to
    :data:`NEWTON_TOL`. The bracket is narrowed by the sign of dE/dh at each step; a Newton step
    that leaves it goes to its end on that side if that end was never evaluated (a minimum at the
    edge of the range is found in one step), else to its middle. The pairs are only those in
    reach somewhere in the bracket, and only those of the probes still moving once they are
    fewer than half."""
    s2 = unit.sigma**2
    rc2 = unit.cutoff**2
    shift = (s2 / rc2) ** 3
    shift = shift * shift - shift
    tol = NEWTON_TOL * unit.sigma
    gap = np.maximum(np.maximum(np.take(lo, probe_of) - dz_atom, dz_atom - np.take(hi, probe_of)),
                     0.0)  # fmt: skip
    keep = np.flatnonzero(r_xy2 + gap * gap < rc2 * (1.0 + 1e-9))
    probe_of, r_xy2, dz_atom, w4 = (np.take(x, keep) for x in (probe_of, r_xy2, dz_atom, w4))
    e_out, at_out = np.zeros(n), h.copy()
    which = np.arange(n)  # the probes searched, and their own bracket state
    lo_seen, hi_seen = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    live = np.ones(n, dtype=bool)
    per_probe = run_sums(probe_of, n)
    buffers = np.empty((9, len(probe_of)))  # every pair's values, in place
    mask = np.empty(len(probe_of), dtype=bool)
    for step in range(NEWTON_ITERATIONS):
        m = len(probe_of)
        dz, r2, inv, wm, s6, s12, d1, d2, t = buffers[:, :m]
        reach = mask[:m]
        np.take(h, probe_of, out=dz)
        np.subtract(dz, dz_atom, out=dz)
        np.multiply(dz, dz, out=r2)
        np.add(r_xy2, r2, out=r2)
        np.less(r2, rc2, out=reach)
        np.maximum(r2, 1e-12, out=inv)
        np.divide(1.0, inv, out=inv)
        np.multiply(w4, reach, out=wm)  # 0 out of the cutoff
        np.multiply(s2, inv, out=t)
        np.multiply(t, t, out=s6)
        np.multiply(s6, t, out=s6)
        np.multiply(s6, s6, out=s12)
        # d1 = wm inv (6 s6 - 12 s12): 2 dE/d(r²) of each pair
        np.multiply(6.0, s6, out=d1)
        np.multiply(12.0, s12, out=t)
        np.subtract(d1, t, out=d1)
        np.multiply(wm, inv, out=r2)  # (r² is not needed again)
        np.multiply(r2, d1, out=d1)
        # d2 = wm inv inv (42 s12 - 12 s6): d²E/d(r²)²
        np.multiply(42.0, s12, out=d2)
        np.multiply(12.0, s6, out=t)
        np.subtract(d2, t, out=d2)
        np.multiply(r2, inv, out=t)
        np.multiply(t, d2, out=d2)
        # g1 = d1 dz, g2 = d1 + 4 dz dz d2 summed by probe
        np.multiply(d1, dz, out=t)
        g1 = per_probe(t)
        np.multiply(4.0, dz, out=t)
        np.multiply(t, dz, out=t)
        np.multiply(t, d2, out=t)
        np.add(d1, t, out=t)
        g2 = per_probe(t)
        down = live & (g1 > 0)  # the minimum lies below h
        up = live & (g1 <= 0)
        hi, hi_seen = np.where(down, h, hi), hi_seen | down
        lo, lo_seen = np.where(up, h, lo), lo_seen | up
        newton = np.where(
            g2 > 0, h - g1 / np.where(g2 > 0, g2, 1.0), np.where(down, -np.inf, np.inf)
        )
        middle = 0.5 * (lo + hi)
        moved = np.where(newton < lo, np.where(lo_seen, middle, lo),
                         np.where(newton > hi, np.where(hi_seen, middle, hi), newton))  # fmt: skip
        still = live & (np.abs(moved - h) > tol) & (hi - lo > tol)
        done = live & ~still if step < NEWTON_ITERATIONS - 1 else live
        if done.any():  # their energy where they were evaluated: wm (s12 - s6 - shift) summed
            np.subtract(s12, s6, out=t)
            np.subtract(t, shift, out=t)
            np.multiply(wm, t, out=t)
            e_out[which[done]], at_out[which[done]] = per_probe(t)[done], h[done]
        live = still
        h = np.where(live, moved, h)  # (a probe done stays where it was evaluated)
        if not live.any():
            break
        if live.mean() < 0.5:  # only the probes still moving, and their pairs, from here on
            pairs = np.flatnonzero(live[probe_of])
            probe_of = (np.cumsum(live) - 1)[np.take(probe_of, pairs)]
            r_xy2, dz_atom, w4 = (np.take(x, pairs) for x in (r_xy2, dz_atom, w4))
            which, h, lo, hi = which[live], h[live], lo[live], hi[live]
            lo_seen, hi_seen, live = lo_seen[live], hi_seen[live], live[live]
            per_probe = run_sums(probe_of, len(which))
    return e_out, at_out


#: the Newton search stops for a probe once its step is below NEWTON_TOL (times σ: its energy is
#: then within about 1e-10 ε of the minimum, from quadratic convergence), after at most
#: NEWTON_ITERATIONS (each at least halves the bracket: 0.2 σ / 2**40 is far below the tolerance)
NEWTON_TOL = 1e-6
NEWTON_ITERATIONS = 40


def run_sums(owner: np.ndarray, n: int):
    """For ``owner`` sorted (each element's group, 0 to n - 1): a function that sums values
    (..., len(owner)) over each group into (..., n), 0 for a group without elements. By
    np.add.reduceat over each group's run, an order of magnitude faster than np.bincount here."""
    starts = np.searchsorted(owner, np.arange(n))
    empty = np.diff(np.append(starts, len(owner))) == 0
    inside = starts < len(owner)  # (trailing empty groups start past the end)

    def total(values: np.ndarray) -> np.ndarray:
        out = np.zeros((*values.shape[:-1], n))
        if len(owner):
            out[..., inside] = np.add.reduceat(values, starts[inside], axis=-1)
        out[..., empty] = 0.0
        return out

    return total


def deep_sites(energy: np.ndarray) -> np.ndarray:
    """Local minima of a periodic landscape (na, nb) that lie below its mean: (k,) flat indices,
    one per basin (neighbouring mesh points of one flat minimum count once)."""
    from scipy import ndimage  # (here: its import is a tenth of a second nothing else needs)

    low = ndimage.minimum_filter(energy, size=3, mode="wrap")
    is_min = (energy <= low + 1e-9 * max(1.0, float(np.abs(energy).max()))) & (
        energy < energy.mean()
    )
    labels, n = ndimage.label(is_min, structure=np.ones((3, 3)))
    # merge basins that touch across the periodic edges
    parent = np.arange(n + 1)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in (
        *zip(labels[0], labels[-1], strict=True),
        *zip(labels[:, 0], labels[:, -1], strict=True),
    ):
        if a and b:
            parent[find(a)] = find(b)
    roots = np.array([find(k) for k in range(1, n + 1)], dtype=int)
    value, first = np.unique(labels.ravel(), return_index=True)  # each basin's first point
    firsts = first[value > 0]  # (basins 1..n, each present)
    _, keep = np.unique(roots, return_index=True)
    return firsts[keep].astype(int)


def touched(
    substrate_xyz: np.ndarray, lateral: np.ndarray, probes: np.ndarray, reach: float
) -> np.ndarray:
    """(n,) mask of the substrate atoms within ``reach`` of a probe atom at its best position
    somewhere on the surface (periodic): the atoms a liquid atom touches."""
    from scipy.spatial import cKDTree

    # atoms more than ``reach`` below the lowest probe touch none: left out of the search
    near = np.flatnonzero(substrate_xyz[:, 2] > np.min(probes[:, 2]) - reach * (1.0 + 1e-9))
    shifts = lateral_images(lateral, reach)
    n = len(near)
    images = np.concatenate([substrate_xyz[near] + [*s, 0.0] for s in shifts])
    # from the atoms' side: how many probes each image has within reach (the same pairs as
    # the probes' lists of atoms, without a Python list per probe)
    hits = cKDTree(probes).query_ball_point(images, reach, return_length=True)
    mask = np.zeros(len(substrate_xyz), dtype=bool)
    mask[near[np.flatnonzero(hits) % n]] = True
    return mask


#: low-index facets of an fcc crystal with nearest-neighbour distance 1: 2-D lattice bases of
#: their exposed atoms seen from above ((111) and (100): the top layer; (110): the top rows and the
#: second layer in their troughs, a centred rectangular net)
PLANES = {
    "111": np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]]),
    "100": np.array([[1.0, 0.0], [0.0, 1.0]]),
    "110": np.array([[1.0, 0.0], [0.5, math.sqrt(2) / 2]]),
}


def plane_reciprocal(plane: str, d0: float) -> np.ndarray:
    """(k, 2) shortest reciprocal vectors of a crystal facet's net, one of each ± pair: its first
    shell, and the next too when the first lies along one direction only."""
    basis = PLANES[plane] * d0
    recip = 2 * np.pi * np.linalg.inv(basis).T
    hk = np.array([(h, k) for h in range(-3, 4) for k in range(-3, 4) if (h, k) > (0, 0)])
    g = hk @ recip
    norms = np.linalg.norm(g, axis=1)
    shells = np.unique(np.round(norms / norms.min(), 6))
    for shell in shells:
        keep = g[norms <= shell * norms.min() * (1 + 1e-6)]
        if np.linalg.matrix_rank(keep, tol=1e-9) == 2:
            return keep
    raise AssertionError("a 2-D net has two independent reciprocal vectors")


@lru_cache(maxsize=64)
def _plane_geometry(plane: str, d0: float) -> tuple[np.ndarray, float]:
    """A facet's reciprocal vectors (read-only) and their symmetry period, per crystal: the same
    for every slab of one data set."""
    g = plane_reciprocal(plane, d0)
    g.flags.writeable = False
    return g, symmetry_period(g)


def lattice_match(
    xy: np.ndarray,
    lateral: np.ndarray,
    d0: float,
    weights: np.ndarray | None = None,
    radius: float = 2.5,
) -> dict[str, float]:
    """How well the surface's in-plane geometry fits each low-index plane of the crystal.

    For a plane with reciprocal vectors G and an orientation φ, the local structure factor of the
    surface is ``mean_i |sum_j w_j exp(i R_φ G . r_ij)| / sum_j w_j`` over neighbours j of atom i
    within ``radius`` × d0 (i included); the match is its mean over the plane's G at the best φ.
    1 for a surface that is that plane of the crystal (any orientation and position), about
    ``1 / sqrt(neighbours)`` for one without order at that wavelength.

    Args:
        xy: (n, 2) lateral positions of the exposed substrate atoms.
        lateral: (2, 2) lateral cell vectors (rows).
        d0: the crystal's nearest-neighbour distance.
        weights: (n,) per-atom weights (their strength ε, so a weak component templates less).
    """
    n = len(xy)
    if n < 3:
        return {p: float("nan") for p in PLANES}
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    pts = np.column_stack([xy, np.zeros(n)])
    box = np.array([[*lateral[0], 0.0], [*lateral[1], 0.0], [0.0, 0.0, 1.0]])
    i, j, vec = neighbor_list(radius * d0).compute(
        points=pts, box=box, periodic=[True, True, False], quantities="ijD"
    )
    order = np.argsort(i, kind="stable")  # each atom's neighbours one run
    i, j, vec = i[order], j[order], vec[order, :2]
    norm = np.bincount(i, w[j], minlength=n) + w
    per_atom = run_sums(i, n)  # (rows, pairs) -> (rows, n): sums over each atom's neighbours
    rho, theta = np.hypot(vec[:, 0], vec[:, 1]), np.arctan2(vec[:, 1], vec[:, 0])
    # S_i(φ) = w_i + sum_j w_j exp(i |G| ρ_ij cos(γ + φ - θ_ij)) for G at angle γ, expanded by
    # Jacobi-Anger: sum_n i^n J_n(|G| ρ_ij) exp(i n (γ + φ - θ_ij)), so that one set of
    # coefficients per atom and |G| gives every angle φ (an FFT for the 1° steps, a sum for the
    # fine ones): the same numbers as the direct sums over each angle, to round-off
    moments = {}

    def coefficients(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(orders n, (orders, atoms) c_n) with S_i(φ) = sum_n c_n,i exp(i n φ)."""
        k, gamma = float(np.hypot(*g)), float(np.arctan2(g[1], g[0]))
        key = round(k, 9)
        if key not in moments:  # sum_j w_j J_n(k ρ_ij) exp(-i n θ_ij), n = -N..N
            n_max = int(np.ceil(k * rho.max(initial=0.0))) + BESSEL_EXTRA_ORDERS
            bessel = bessel_j(k * rho, n_max)
            turn = np.exp(-1j * theta)
            powers = np.empty((n_max + 1, len(theta)), dtype=complex)
            powers[0] = 1.0
            for q in range(1, n_max + 1):
                powers[q] = powers[q - 1] * turn
            terms = bessel * powers
            terms *= w[j]
            half = per_atom(terms.real) + 1j * per_atom(terms.imag)  # orders 0..N
            # order -n: (-1)^n times the conjugate of order n (J_-n = (-1)^n J_n, real weights):
            # the same numbers as summing its own terms
            sign = (-1.0) ** np.arange(n_max, 0, -1)[:, None]
            moments[key] = (n_max, np.concatenate([sign * half[:0:-1].conj(), half]))
        n_max, moment = moments[key]
        orders = np.arange(-n_max, n_max + 1)
        c = (1j**orders * np.exp(1j * orders * gamma))[:, None] * moment
        c[n_max] += w  # the atom itself
        return orders, c

    out = {}
    for plane in PLANES:
        g, period = _plane_geometry(plane, float(d0))
        # the match repeats with the plane's rotational symmetry: one period of 1° steps
        coarse = np.arange(round(period))  # degrees: indices of a 360-point FFT
        expansions = [coefficients(gv) for gv in g]
        m = np.zeros(len(coarse))
        for orders, c in expansions:
            grid = np.zeros((360, n), dtype=complex)  # S_i at φ = 0°, 1°, ... 359°
            if len(orders) <= 360:  # each order its own angle
                grid[orders % 360] = c
            else:  # orders beyond the FFT's length fold onto it
                np.add.at(grid, orders % 360, c)
            m += (np.abs(np.fft.ifft(grid, axis=0)[coarse] * 360) / norm).mean(axis=1)
        best = coarse[int(np.argmax(m))]
        fine = np.radians(best + np.arange(-1.0, 1.0001, 0.05))
        m_fine = np.zeros(len(fine))
        for orders, c in expansions:
            m_fine += (np.abs(np.exp(1j * np.outer(fine, orders)) @ c) / norm).mean(axis=1)
        out[plane] = float(m_fine.max() / len(g))
    return out


#: orders of the Jacobi-Anger expansion beyond its largest argument z: J_n(z) for n > z + 32 is
#: below 1e-14 for the arguments of a lattice match (z = |G| ρ up to about 30); orders beyond
#: the 360-point FFT fold onto it exactly (e^{inφ} repeats at its angles)
BESSEL_EXTRA_ORDERS = 32


def bessel_j(z: np.ndarray, n_max: int) -> np.ndarray:
    """(n_max + 1, len(z)) Bessel functions J_n(z), n = 0..n_max, of real z >= 0, by Miller's
    downward recurrence normalised with J_0 + 2 sum_k J_2k = 1 (every order at once, vectorised
    over z: scipy.special.jv takes about 1 µs per value, this a few ns)."""
    z = np.asarray(z, dtype=float)
    out = np.zeros((n_max + 1, len(z)))
    small = z < 1e-12  # J_n(0) = 1 for n = 0, else 0
    zz = np.where(small, 1.0, z)
    start = n_max + 20 + int(np.ceil(zz.max(initial=0.0)))
    upper, current = np.zeros_like(zz), np.full_like(zz, 1e-300)
    even = np.zeros_like(zz)  # sum of J_2k, k >= 1 (unnormalised)
    for n in range(start, 0, -1):  # J_{n-1} = (2n / z) J_n - J_{n+1}
        upper, current = current, (2.0 * n / zz) * current - upper
        if n - 1 <= n_max:
            out[n - 1] = current
        if n - 1 > 0 and (n - 1) % 2 == 0:
            even += current
        big = np.abs(current) > 1e250
        if big.any():  # rescale before overflow (the ratios are all that count)
            scale = np.where(big, 1e-250, 1.0)
            upper *= scale
            current *= scale
            even *= scale
            out[n - 1 :] *= scale
    out /= current + 2.0 * even
    out[:, small] = 0.0
    out[0, small] = 1.0
    return out


def symmetry_period(g: np.ndarray) -> float:
    """The smallest rotation, in degrees (180 / k, k = 6, 4, 3, 2 or 1), that maps the reciprocal
    vectors ``g`` (one of each ± pair) onto themselves up to sign: a lattice match over angles
    repeats with it (|S(-G)| = |S(G)| for real weights)."""
    scale = np.abs(g).max()
    for k in (6, 4, 3, 2):
        t = np.pi / k
        turned = g @ np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
        gap = np.minimum(
            np.abs(turned[:, None] - g[None]).max(axis=2),
            np.abs(turned[:, None] + g[None]).max(axis=2),
        ).min(axis=1)
        if np.all(gap < 1e-9 * scale):
            return 180.0 / k
    return 180.0


def substrate_descriptors(
    positions: np.ndarray,
    types: np.ndarray,
    lateral: np.ndarray,
    d0: float | None,
    pair: PairLJ | None,
    eps_sl2: float | None = None,
    reach: float = 1.25,
) -> dict[str, float]:
    """The slab-only substrate descriptors of one frame's substrate.

    Args:
        positions: (n, 3) positions of the substrate atoms.
        types: (n,) their types (3: a second component).
        lateral: (2, 2) lateral cell vectors.
        d0: the crystal's nearest-neighbour distance (for the lattice match; None: NaN).
        pair: the substrate–liquid pair (None: the landscape's shape from a unit LJ pair with
            σ = d0 / 2^(1/6), and no energies).
        reach: a probe touches the atoms within ``reach`` σ of its best position.

    Returns ``exposed_density`` (atoms a probe liquid atom touches, per area), ``lattice_match``
    (best of ``match_111``, ``match_100``, ``match_110``, those atoms weighted by their
    strength), and with a pair: ``site_density`` (deep adsorption sites per area),
    ``site_depth`` (their mean energy), ``landscape_std`` (spread of the fine landscape).
    """
    positions = np.asarray(positions, dtype=float)
    types = np.asarray(types)
    if pair is not None and pair.eps > 0 and not np.any(types == SECOND_TYPE):
        # one strength: the landscape is eps times that of a unit pair (same heights, same
        # sites) and the weighted lattice match does not depend on it, so slabs that differ only
        # in eps_sl (a grid's strength axis) share one computation
        unit = _unit_descriptors(positions, np.asarray(lateral, dtype=float), d0,
                                 PairLJ(1.0, pair.sigma, pair.cutoff), reach)  # fmt: skip
        return {k: v * pair.eps if k in _ENERGIES else v for k, v in unit.items()}
    return _substrate_descriptors(positions, types, lateral, d0, pair, eps_sl2, reach)


#: the substrate descriptors that are energies (they scale with a single strength eps_sl)
_ENERGIES = ("site_depth", "landscape_std")
_UNIT_CACHE: dict[bytes, dict[str, float]] = {}


def forget_slabs() -> None:
    """Empty the memory of the last slabs' unit-strength descriptors (for timing them)."""
    _UNIT_CACHE.clear()


def _unit_descriptors(positions, lateral, d0, unit: PairLJ, reach: float) -> dict[str, float]:
    """:func:`substrate_descriptors` of a one-component slab with a unit-strength pair, kept for
    the last few slabs."""
    import hashlib

    h = hashlib.blake2b(positions.tobytes() + lateral.tobytes(), digest_size=16)
    h.update(repr((positions.shape, d0, unit, reach)).encode())
    key = h.digest()
    if key not in _UNIT_CACHE:
        if len(_UNIT_CACHE) >= 16:
            _UNIT_CACHE.pop(next(iter(_UNIT_CACHE)))
        n = len(positions)
        _UNIT_CACHE[key] = _substrate_descriptors(positions, np.ones(n, int), lateral, d0, unit,
                                                  None, reach)  # fmt: skip
    return dict(_UNIT_CACHE[key])


def _substrate_descriptors(positions, types, lateral, d0, pair, eps_sl2, reach):
    area = abs(np.linalg.det(lateral))
    if pair is None:
        sigma = (d0 if d0 else 1.12) / 2 ** (1 / 6)
        shape_pair, strengths = PairLJ(1.0, sigma, 2.5 * sigma), None
    else:
        shape_pair, strengths = pair, atom_strengths(types, pair.eps, eps_sl2)
    land = landscape(positions, lateral, shape_pair, float(positions[:, 2].max()),
                     strengths=strengths)  # fmt: skip
    mask = touched(positions, lateral, land.probes, reach * shape_pair.sigma)
    out = {"exposed_density": float(mask.sum() / area)}
    if d0 is not None and np.isfinite(d0):
        weights = None if strengths is None else strengths[mask]
        match = lattice_match(positions[mask, :2], lateral, d0, weights)
    else:
        match = {p: float("nan") for p in PLANES}
    out.update({f"match_{p}": v for p, v in match.items()})
    values = list(match.values())
    out["lattice_match"] = max(values) if np.all(np.isfinite(values)) else float("nan")
    if pair is None:
        out.update(site_density=float("nan"), site_depth=float("nan"), landscape_std=float("nan"))
        return out
    energy = land.energy
    sites = deep_sites(energy)
    out["site_density"] = float(len(sites) / area)
    out["site_depth"] = float(energy.ravel()[sites].mean()) if len(sites) else float(energy.min())
    out["landscape_std"] = float(energy.std())
    return out
