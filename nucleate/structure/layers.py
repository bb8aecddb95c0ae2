"""Interfacial layers: the substrate surface, the density profile of the liquid above it, and the
first and second liquid layers.

The surface normal is z: the first two cell vectors must lie in the xy plane and be periodic.
Heights are measured from the substrate surface, either one flat plane (the mean surface height)
or, on rough substrates, the local surface under each atom (the highest substrate atom within a
lateral probe radius). Lengths are in the frame's units; the settings of :class:`LayerDetector` are
in units of a length ``d`` of the liquid or the substrate (as said), so the same settings work in
reduced LJ units and in Å.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

from nucleate.errors import InputError, NoLayerError
from nucleate.frame import Frame
from nucleate.structure.libraries import neighbor_list

Reference = Literal["auto", "flat", "local"]


# ----------------------------------------------------------------------------- geometry helpers
def check_slab(frame: Frame) -> None:
    """Raise :class:`InputError` unless the frame is a slab periodic in x and y with z as normal,
    with substrate and liquid atoms."""
    if not frame.substrate.any():
        raise InputError("the frame has no substrate atoms")
    if not frame.liquid.any():
        raise InputError("the frame has no liquid atoms")
    if not (frame.pbc[0] and frame.pbc[1]):
        raise InputError(
            f"interfacial layers need a cell periodic along its first two vectors; pbc is "
            f"{frame.pbc.tolist()}"
        )
    a, b = frame.cell[0], frame.cell[1]
    if frame.lateral_area <= 0:
        raise InputError("the cell has no lateral area; the file carries no cell (lattice)")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    if abs(a[2]) > 1e-6 * scale or abs(b[2]) > 1e-6 * scale:
        raise InputError("the first two cell vectors must lie in the xy plane (surface normal z)")
    if frame.pbc[2] and abs(frame.cell[2, 2]) <= 0:
        raise InputError("a cell periodic along z needs a third vector with a z component")


def nearest_neighbour_distance(positions: np.ndarray) -> float:
    """Median nearest-neighbour distance of a set of points (no periodicity; robust to edges).

    From vesin pair lists (scipy's k-d tree costs a third of a second to import, more than a
    prediction's layer analysis): the cutoff starts at the spacing of the points' projection on
    their widest plane and doubles until more than half of them have a neighbour within it. A
    point without one then has its nearest farther than every distance found, so it counts as
    infinite without moving the median."""
    points = np.asarray(positions, dtype=float)
    n = len(points)
    if n < 2:
        raise InputError("need at least two atoms to measure a nearest-neighbour distance")
    extent = np.sort(np.ptp(points, axis=0))[::-1]
    if extent[0] <= 0:
        raise InputError("atoms sit on top of each other (zero nearest-neighbour distance)")
    cutoff = max(np.sqrt(extent[0] * extent[1] / n), extent[0] / n, 1e-9 * extent[0])
    box = np.zeros((3, 3))
    while True:
        i, d = neighbor_list(cutoff).compute(points, box, False, quantities="id")
        nearest = np.full(n, np.inf)
        np.minimum.at(nearest, i, d)
        if np.isfinite(nearest).sum() * 2 > n:
            break
        cutoff *= 2.0
    d = float(np.median(nearest))
    if d <= 0:
        raise InputError("atoms sit on top of each other (zero nearest-neighbour distance)")
    return d


def gaussian_smooth(values: np.ndarray, sd: float) -> np.ndarray:
    """``values`` convolved with a normalised Gaussian of ``sd`` samples, cut at 4 sd, zero
    beyond the ends: scipy.ndimage's ``gaussian_filter1d(values, sd, mode="constant")``. Written
    out because importing scipy.ndimage (~0.15 s) costs more than the layer analysis it serves."""
    radius = int(4.0 * sd + 0.5)
    x = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (x / sd) ** 2)
    kernel /= kernel.sum()
    values = np.asarray(values, dtype=float)
    full = np.convolve(values, kernel)  # length n + 2 radius, the signal centred
    return full[radius : radius + len(values)]


def _unwrapped_z(frame: Frame) -> tuple[np.ndarray, float]:
    """z of all atoms with the substrate made contiguous along a periodic z; and the box height."""
    z = frame.positions[:, 2].copy()
    if not frame.pbc[2]:
        return z, np.inf
    lz = float(frame.cell[2, 2])
    zs = np.sort(z[frame.substrate] % lz)
    gaps = np.diff(np.concatenate([zs, [zs[0] + lz]]))
    cut = zs[(np.argmax(gaps) + 1) % len(zs)]  # lowest substrate atom after the largest gap
    bottom = cut - 1e-9 * lz
    return (z - bottom) % lz + bottom, lz


@dataclass(frozen=True)
class Surface:
    """The substrate surface of one frame on a periodic lateral grid.

    Attributes:
        heights: (na, nb) surface height at grid node (i/na, j/nb) in fractional lateral
            coordinates: the highest substrate atom within ``probe_radius`` of the node, laterally.
        top: mean surface height (length).
        roughness: standard deviation of the surface height over the grid (length).
        probe_radius: lateral probe radius (length).
    """

    heights: np.ndarray
    top: float
    roughness: float
    probe_radius: float

    def local(self, frac_xy: np.ndarray) -> np.ndarray:
        """(m,) surface height under points at fractional lateral coordinates (m, 2), bilinear."""
        na, nb = self.heights.shape
        u = (frac_xy[:, 0] % 1.0) * na
        v = (frac_xy[:, 1] % 1.0) * nb
        i0, j0 = np.floor(u).astype(int), np.floor(v).astype(int)
        fu, fv = u - i0, v - j0
        i0, j0 = i0 % na, j0 % nb
        i1, j1 = (i0 + 1) % na, (j0 + 1) % nb
        h = self.heights
        return (
            h[i0, j0] * (1 - fu) * (1 - fv)
            + h[i1, j0] * fu * (1 - fv)
            + h[i0, j1] * (1 - fu) * fv
            + h[i1, j1] * fu * fv
        )


#: positions closer than this (length units) are the same atoms: the stored frames of a frozen
#: substrate differ by round-off
SAME_POSITION = 1e-9


def unmoved(points: np.ndarray, cell: np.ndarray, previous: tuple | None) -> bool:
    """Whether ``points`` in ``cell`` are ``previous`` (a ``(points, cell)`` pair, or None) to
    within :data:`SAME_POSITION`: what was computed from those can be reused."""
    if previous is None or previous[0].shape != points.shape:
        return False
    # (np.allclose, for what it handles besides, takes several times as long: called per frame)
    return bool(
        np.all(np.abs(points - previous[0]) <= SAME_POSITION)
        and np.all(np.abs(cell - previous[1]) <= SAME_POSITION)
    )


def substrate_surface(frame: Frame, probe_radius: float, spacing: float | None = None) -> Surface:
    """The substrate's surface height map (see :class:`Surface`).

    Args:
        frame: a slab frame (see :func:`check_slab`).
        probe_radius: lateral radius within which the highest substrate atom sets the surface.
        spacing: grid spacing (length); default half the probe radius.
    """
    check_slab(frame)
    key = (float(probe_radius), spacing, tuple(bool(p) for p in frame.pbc))
    atoms_now = frame.positions[frame.substrate]
    last = _LAST_SURFACE[-1] if _LAST_SURFACE else None  # one snapshot (threads may replace it)
    if last is not None and last[0] == key and unmoved(atoms_now, frame.cell, last[1]):
        return last[2]  # the substrate of the frame before, unmoved (a frozen one)
    z, _ = _unwrapped_z(frame)
    sub = frame.substrate
    spacing = spacing or 0.5 * probe_radius
    a, b = frame.cell[0], frame.cell[1]
    na = max(1, int(np.ceil(np.linalg.norm(a) / spacing)))
    nb = max(1, int(np.ceil(np.linalg.norm(b) / spacing)))
    fu, fv = np.meshgrid(np.arange(na) / na, np.arange(nb) / nb, indexing="ij")
    nodes = fu.reshape(-1, 1) * a + fv.reshape(-1, 1) * b
    atoms = frame.positions[sub].copy()
    points = np.concatenate([nodes, atoms])
    points[:, 2] = 0.0
    box = np.array([a, b, [0.0, 0.0, 1.0]])
    i, j = neighbor_list(probe_radius).compute(
        points=points, box=box, periodic=[True, True, False], quantities="ij"
    )
    n_nodes = len(nodes)
    keep = (i < n_nodes) & (j >= n_nodes)
    heights = np.full(n_nodes, -np.inf)
    np.maximum.at(heights, i[keep], z[sub][j[keep] - n_nodes])
    # a node with no substrate atom within the probe lies over a hole deeper than the probe:
    # take the substrate's lowest surface height there
    if not np.all(np.isfinite(heights)):
        finite = heights[np.isfinite(heights)]
        heights[~np.isfinite(heights)] = finite.min() if len(finite) else z[sub].max()
    heights = heights.reshape(na, nb)
    heights.flags.writeable = False  # shared by the frames of a frozen substrate
    surface = Surface(heights, float(heights.mean()), float(heights.std()), float(probe_radius))
    _LAST_SURFACE[:] = [(key, (atoms_now, frame.cell.copy()), surface)]
    return surface


#: the last surface made, as (settings, (substrate atoms, cell), surface): consecutive frames of a
#: frozen substrate (every frame of a trajectory featurized one by one) share it
_LAST_SURFACE: list[tuple] = []


def forget_surface() -> None:
    """Forget the last surface made (for timing its making)."""
    _LAST_SURFACE.clear()


def liquid_heights(
    frame: Frame, reference: Literal["flat", "local"], surface: Surface
) -> np.ndarray:
    """(m,) heights of the liquid atoms (in frame order) above the substrate surface.

    With a periodic z, heights run upward from the substrate's top face through the periodic image,
    so liquid touching the bottom face of the slab appears near the top of the range.
    """
    z, lz = _unwrapped_z(frame)
    liq = frame.liquid
    zl = z[liq]
    if np.isfinite(lz):  # measure upward from the lowest substrate atom, then from the top face
        bottom = z[frame.substrate].min()
        zl = (zl - bottom) % lz + bottom
    if reference == "flat":
        return zl - surface.top
    frac = frame.fractional()[liq, :2] if np.isfinite(lz) else _lateral_fractional(frame)[liq]
    return zl - surface.local(frac)


def _lateral_fractional(frame: Frame) -> np.ndarray:
    lateral = np.array([frame.cell[0][:2], frame.cell[1][:2]])
    return np.linalg.solve(lateral.T, frame.positions[:, :2].T).T


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Layer:
    """One liquid layer: heights above the substrate surface, in the frame's length unit.

    Attributes:
        lower, upper: bounds of the layer.
        peak: height of the density maximum (NaN where no peak was resolved).
        peak_density: number density at the peak (length⁻³; NaN without a peak).
        atoms_per_area: mean number of liquid atoms in the layer per unit area (length⁻²).
        upper_from: how ``upper`` was found: ``"trough"`` (density minimum after the peak) or
            ``"fixed-width"`` (no next peak resolved: peak + half a layer spacing, or a spacing).
    """

    lower: float
    upper: float
    peak: float
    peak_density: float
    atoms_per_area: float
    upper_from: str


@dataclass(frozen=True)
class LayerProfile:
    """The density profile of the liquid above the substrate and the layers found in it.

    Attributes:
        heights: (n_bins,) bin centres (length) above the substrate surface.
        density: (n_bins,) liquid number density per bin, averaged over frames (length⁻³).
        smoothed: (n_bins,) ``density`` convolved with a Gaussian of width ``smoothing``.
        layers: the first, second, ... liquid layers.
        bulk_density: density of the middle of the film (length⁻³).
        substrate_top: mean absolute z of the substrate surface (length).
        roughness: standard deviation of the substrate surface height (length).
        reference: ``"flat"`` or ``"local"``, the surface heights are measured from.
        probe_radius: lateral probe radius of the surface map (length).
        d_liquid: mean spacing of the liquid, bulk density^(-1/3) (length).
        d_substrate: nearest-neighbour distance of the substrate (length).
        n_frames: frames averaged; units: the frames' unit system.
    """

    heights: np.ndarray
    density: np.ndarray
    smoothed: np.ndarray
    layers: tuple[Layer, ...]
    bulk_density: float
    substrate_top: float
    roughness: float
    reference: str
    probe_radius: float
    d_liquid: float
    d_substrate: float
    n_frames: int
    units: str

    def assign(self, frame: Frame, surface: Surface | None = None) -> np.ndarray:
        """(n_atoms,) int: the layer (1, 2, ...) of each liquid atom of ``frame``; 0 elsewhere.
        ``surface``: this frame's substrate surface, where the caller has it already."""
        surface = surface or substrate_surface(frame, self.probe_radius)
        h = liquid_heights(frame, self.reference, surface)  # type: ignore[arg-type]
        out = np.zeros(frame.n_atoms, dtype=np.int64)
        out[frame.liquid] = self.layer_of(h)
        return out

    def layer_of(self, heights: np.ndarray) -> np.ndarray:
        """(m,) int: the layer (1, 2, ...) at each height above the surface; 0 outside them."""
        idx = np.zeros(len(heights), dtype=np.int64)
        for k, layer in enumerate(self.layers, start=1):
            idx[(heights >= layer.lower) & (heights < layer.upper)] = k
        return idx

    def summary(self) -> dict:
        """A JSON-ready summary (no arrays)."""
        return {
            "units": self.units,
            "n_frames": self.n_frames,
            "reference": self.reference,
            "substrate_top": self.substrate_top,
            "roughness": self.roughness,
            "bulk_density": self.bulk_density,
            "d_liquid": self.d_liquid,
            "d_substrate": self.d_substrate,
            "layers": [asdict(layer) for layer in self.layers],
        }


def prominent_peaks(x: np.ndarray, prominence: float) -> tuple[np.ndarray, np.ndarray]:
    """The local maxima of a 1-D profile whose prominence is at least ``prominence``, and their
    prominences: ``scipy.signal.find_peaks(x, prominence=...)`` (same peaks: a plateau's middle
    sample, no edge sample; same prominences: the height above the higher of the lowest points on
    either side before a higher sample). Written out because importing ``scipy.signal`` (which
    imports ``scipy.stats``) costs more than a whole prediction's work."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    maxima = []
    i = 1
    while i < n - 1:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < n - 1 and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                maxima.append((i + ahead - 1) // 2)
                i = ahead
        i += 1
    peaks, proms = [], []
    for p in maxima:
        higher = np.flatnonzero(x[:p] > x[p])
        left = x[(higher[-1] + 1 if len(higher) else 0) : p + 1].min()
        higher = np.flatnonzero(x[p + 1 :] > x[p])
        right = x[p : (p + 1 + higher[0] if len(higher) else n)].min()
        prom = x[p] - max(left, right)
        if prom >= prominence:
            peaks.append(p)
            proms.append(prom)
    return np.array(peaks, dtype=int), np.array(proms, dtype=float)


# ----------------------------------------------------------------------------- the detector
class LayerDetector:
    """Find the substrate surface and the first liquid layers from the density profile along z.

    Configured callable: ``LayerDetector(...)(frames) -> LayerProfile``. The profile is averaged
    over all frames given. Peaks of the smoothed profile count as layers when their prominence
    exceeds both ``min_prominence`` × bulk density and ``significance`` standard deviations of the
    counting noise, so a short trajectory does not turn noise into layers. Each layer runs from the density
    minimum before its peak to the one after it; the first layer starts where the density first
    rises (IcePic's "first occupied bin to the trough after the peak"). Where the next peak is not
    resolved (weakly layered liquids) the layer ends half a layer spacing above its peak.

    Args:
        n_layers: how many layers to report (1 or more).
        bin_width: histogram bin, in units of the liquid's mean spacing ``d`` = bulk density^(-1/3).
        smoothing: Gaussian smoothing width, in units of ``d``.
        min_prominence: minimal peak prominence, as a fraction of the bulk density.
        significance: minimal peak prominence in standard deviations of the counting noise.
        reference: ``"flat"`` (heights above the mean surface), ``"local"`` (above the local
            surface under each atom: rough or stepped substrates) or ``"auto"`` (local when the
            surface roughness exceeds ``rough_threshold`` × the substrate's ``d``).
        probe_radius: lateral radius of the surface probe, in units of the substrate's ``d``.
        rough_threshold: roughness (in substrate ``d``) above which ``"auto"`` measures locally.
        max_first_layer: the first layer's peak must lie within this height (units of ``d``) of
            the surface; a liquid further away has no contact layer.
        max_gap: a peak more than this (units of ``d``) above the previous layer's peak is not the
            next layer but a density bump inside the film or below its free surface; it and the
            peaks above it are ignored. Adjacent layers lie 0.5–1.05 ``d`` apart on lj-fcc-v1, the
            bumps 1.8–15 ``d`` above the first layer.
    """

    def __init__(
        self,
        n_layers: int = 2,
        bin_width: float = 0.02,
        smoothing: float = 0.08,
        min_prominence: float = 0.05,
        significance: float = 4.0,
        reference: Reference = "auto",
        probe_radius: float = 1.0,
        rough_threshold: float = 0.15,
        max_first_layer: float = 3.0,
        max_gap: float = 1.5,
    ) -> None:
        if n_layers < 1:
            raise InputError("n_layers must be at least 1")
        if reference not in ("auto", "flat", "local"):
            raise InputError(f"reference must be auto, flat or local, not {reference!r}")
        for name, value in (("bin_width", bin_width), ("smoothing", smoothing)):
            if not value > 0:
                raise InputError(f"{name} must be positive")
        self.n_layers = n_layers
        self.bin_width = bin_width
        self.smoothing = smoothing
        self.min_prominence = min_prominence
        self.significance = significance
        self.reference = reference
        self.probe_radius = probe_radius
        self.rough_threshold = rough_threshold
        self.max_first_layer = max_first_layer
        self.max_gap = max_gap

    def __call__(self, frames: Frame | Iterable[Frame]) -> LayerProfile:
        return self.with_surfaces(frames)[0]

    def with_surfaces(self, frames: Frame | Iterable[Frame]) -> tuple[LayerProfile, list[Surface]]:
        """The profile and the substrate surface of each frame it was made from (for callers
        that need both: the surface is the costly part)."""
        frames = [frames] if isinstance(frames, Frame) else frames
        surfaces: list[Surface] = []
        heights: list[np.ndarray] = []
        bulk: list[float] = []
        tops: list[float] = []
        rough: list[float] = []
        first: Frame | None = None
        reference = self.reference
        for frame in frames:
            if first is None:
                check_slab(frame)
                first = frame
                d_sub = nearest_neighbour_distance(frame.positions[frame.substrate])
                probe = self.probe_radius * d_sub
            elif frame.units != first.units:
                raise InputError(f"frames mix units {first.units!r} and {frame.units!r}")
            surface = substrate_surface(frame, probe)  # a frozen substrate's: made once
            surfaces.append(surface)
            if reference == "auto":
                local = surface.roughness > self.rough_threshold * d_sub
                reference = "local" if local else "flat"
            h = liquid_heights(frame, reference, surface)
            heights.append(h)
            tops.append(surface.top)
            rough.append(surface.roughness)
            lo, hi = np.percentile(h, [30, 70])
            if hi > lo:
                bulk.append(0.4 * len(h) / (frame.lateral_area * (hi - lo)))
        if first is None:
            raise InputError("no frames given")
        area = first.lateral_area
        n_frames = len(heights)
        rho_bulk = float(np.mean(bulk)) if bulk else np.nan
        if not np.isfinite(rho_bulk) or rho_bulk <= 0:
            raise NoLayerError("no liquid layer: the liquid atoms do not form a film")
        d_liq = rho_bulk ** (-1 / 3)  # mean spacing: robust where nearest neighbours are not

        dh = self.bin_width * d_liq
        sigma = self.smoothing * d_liq
        allh = np.concatenate(heights)
        lo = min(allh.min(), 0.0) - 4 * sigma
        hi = allh.max() + 4 * sigma
        edges = np.arange(lo, hi + dh, dh)
        counts, _ = np.histogram(allh, bins=edges)
        centres = 0.5 * (edges[1:] + edges[:-1])
        density = counts / (n_frames * area * dh)
        smoothed = gaussian_smooth(density, sigma / dh)
        layers = self._layers(centres, smoothed, rho_bulk, area, n_frames, sigma, d_liq, allh)
        profile = LayerProfile(
            heights=centres,
            density=density,
            smoothed=smoothed,
            layers=layers,
            bulk_density=rho_bulk,
            substrate_top=float(np.mean(tops)),
            roughness=float(np.mean(rough)),
            reference=reference,
            probe_radius=probe,
            d_liquid=d_liq,
            d_substrate=d_sub,
            n_frames=n_frames,
            units=first.units,
        )
        return profile, surfaces

    def _layers(self, h, rho, rho_bulk, area, n_frames, sigma, d, allh) -> tuple[Layer, ...]:
        # a peak counts when it stands min_prominence * bulk density above its contour line and
        # that difference is `significance` standard deviations of the counting noise of the
        # smoothed profile (Poisson counts smoothed by a Gaussian of width sigma: var = rho / (A n_frames 2 sqrt(pi)
        # sigma)); so short trajectories do not turn noise into layers
        peaks, prominences = prominent_peaks(rho, self.min_prominence * rho_bulk)
        per_density = 1.0 / (area * n_frames * 2.0 * np.sqrt(np.pi) * sigma)
        contour = rho[peaks] - prominences
        noise = np.sqrt((rho[peaks] + contour) * per_density)
        peaks = peaks[prominences >= self.significance * noise]
        peaks = peaks[h[peaks] > -0.25 * d]  # liquid sunk into the substrate is no layer
        reach = self.max_first_layer * d
        if len(peaks) and h[peaks[0]] <= reach:
            # lower bound of the first layer: walk down from the peak while the density falls and
            # is above 1 % of the peak (the first occupied height, or the minimum before the peak)
            p0 = peaks[0]
            k = p0
            while k > 0 and rho[k - 1] <= rho[k] and rho[k - 1] > 0.01 * rho[p0]:
                k -= 1
            lower = float(h[k])
        else:
            # no resolved peak (weak layering, few frames): the contact layer starts where the
            # density first rises, provided the liquid does reach the substrate
            dense = np.flatnonzero((rho >= 0.5 * rho_bulk) & (h > -0.25 * d))
            if len(dense) == 0 or h[dense[0]] > reach:
                n_near = int(np.sum((allh > -0.25 * d) & (allh < reach)))
                raise NoLayerError(
                    f"no liquid layer detected within {self.max_first_layer:g} d = {reach:.3g} "
                    f"of the substrate ({n_near / n_frames:.0f} liquid atoms per frame there; "
                    f"peak density {rho.max():.3g} vs bulk {rho_bulk:.3g})"
                )
            k = dense[0]
            while k > 0 and rho[k - 1] > 0.02 * rho_bulk:
                k -= 1
            lower = float(h[k])
            peaks = peaks[:0]
        # layers are adjacent: stop at the first peak too far above the one below it
        far = np.flatnonzero(np.diff(h[peaks]) > self.max_gap * d)
        if len(far):
            peaks = peaks[: far[0] + 1]
        spacing = float(h[peaks[1]] - h[peaks[0]]) if len(peaks) > 1 else d
        layers = []
        for n in range(self.n_layers):
            if n < len(peaks):
                p = peaks[n]
                peak, peak_rho = float(h[p]), float(rho[p])
                if n + 1 < len(peaks):
                    upper, how = _trough(h, rho, p, peaks[n + 1]), "trough"
                else:
                    upper, how = max(peak + 0.5 * spacing, lower + 0.5 * spacing), "fixed-width"
            else:
                peak, peak_rho = np.nan, np.nan
                upper, how = lower + spacing, "fixed-width"
            in_layer = np.sum((allh >= lower) & (allh < upper)) / (n_frames * area)
            layers.append(Layer(lower, upper, peak, peak_rho, float(in_layer), how))
            lower = upper
        return tuple(layers)


def _trough(h: np.ndarray, rho: np.ndarray, left: int, right: int) -> float:
    """Height of the density minimum between two peaks: the middle of the flat bottom, so that the
    empty gap between two crystal planes is cut halfway."""
    seg = rho[left : right + 1]
    t = int(np.argmin(seg))
    depth = min(seg[0], seg[-1]) - seg[t]
    low = seg <= seg[t] + 0.02 * depth
    i = j = t
    while i > 0 and low[i - 1]:
        i -= 1
    while j < len(seg) - 1 and low[j + 1]:
        j += 1
    return float(0.5 * (h[left + i] + h[left + j]))
