"""Density images of the interfacial liquid layers: the input of the image route (after IcePic).

Each liquid atom of a layer is a normalised 2-D Gaussian in the surface plane; the image is the
areal number density (atoms per length², averaged over frames) sampled on a square grid with a
fixed physical pixel size, so images of different boxes and cells are comparable. The grid is laid
over the periodic surface: every pixel sees every periodic image of every atom, so there are no
edge artefacts, any cell shape works (hexagonal (111) cells included), and a window larger than
the cell tiles it. Physical augmentations re-render the same layers with the window shifted,
rotated in the plane or mirrored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from nucleate.errors import InputError
from nucleate.featurize.base import FEATURIZERS, Context, Featurizer
from nucleate.frame import Frame
from nucleate.structure.layers import (
    LayerDetector,
    LayerProfile,
    Surface,
    liquid_heights,
    substrate_surface,
)

#: defaults per unit system: pixel (length), Gaussian width (length), image size (pixels)
DEFAULTS = {
    "lj": {"pixel": 0.125, "sigma": 0.25, "size": 64},  # 8 σ window
    "real": {"pixel": 0.4, "sigma": 0.63, "size": 50},  # IcePic: 2 nm window, 0.4 Å pixels
    "metal": {"pixel": 0.4, "sigma": 0.63, "size": 50},
}


@dataclass(frozen=True)
class LayerPoints:
    """Lateral positions of the atoms of each requested layer, for every frame.

    Attributes:
        points: per channel, per frame, an (m, 2) array of in-plane positions (length).
        lateral: (2, 2) the lateral cell vectors as rows (x, y components).
        n_frames: frames averaged.
        units: unit system.
    """

    points: tuple[tuple[np.ndarray, ...], ...]
    lateral: np.ndarray
    n_frames: int
    units: str


def layer_points(
    frames: Sequence[Frame],
    layers: Sequence[int],
    profile: LayerProfile,
    surfaces: Sequence[Surface] | None = None,
) -> LayerPoints:
    """Collect the in-plane positions of the atoms in the given layers (1 = contact layer).
    ``surfaces``: each frame's substrate surface, where the caller has them already."""
    if not frames:
        raise InputError("no frames given")
    first = frames[0]
    lateral = np.array([first.cell[0][:2], first.cell[1][:2]])
    channels = []
    for k in layers:
        if not 1 <= k <= len(profile.layers):
            raise InputError(f"layer {k} was not detected ({len(profile.layers)} layers)")
    per_frame = []
    for n, frame in enumerate(frames):
        if not np.allclose(frame.cell[:2, :2], lateral):
            raise InputError("the lateral cell changes between frames")
        surface = surfaces[n] if surfaces else substrate_surface(frame, profile.probe_radius)
        h = liquid_heights(frame, profile.reference, surface)  # type: ignore[arg-type]
        xy = frame.positions[frame.liquid, :2]
        per_frame.append((h, xy))
    for k in layers:
        layer = profile.layers[k - 1]
        channels.append(tuple(xy[(h >= layer.lower) & (h < layer.upper)] for h, xy in per_frame))
    return LayerPoints(tuple(channels), lateral, len(frames), first.units)


@FEATURIZERS.register("density_image", aliases=("image",))
class DensityImage(Featurizer):
    """Configured callable: frames of an interface -> (channels, size, size) density image.

    Args:
        layers: which layers become channels (1 = contact layer, 2 = the next).
        pixel: pixel size (length); default per unit system (:data:`DEFAULTS`).
        sigma: width of each atom's Gaussian (length); default per unit system.
        size: image side in pixels.
        window: ``"densest"`` puts the window where the contact layer holds most atoms (as IcePic
            crops its densest 2 × 2 nm), ``"origin"`` at the cell origin.
        detector: the layer detector (default :class:`LayerDetector` ``(n_layers=max(layers))``).

    The returned image is float32, areal number density per channel (atoms / length²) averaged
    over frames; its sum × pixel² is the mean number of layer atoms in the window.
    """

    def __init__(
        self,
        layers: Sequence[int] = (1,),
        pixel: float | None = None,
        sigma: float | None = None,
        size: int | None = None,
        window: str = "densest",
        detector: LayerDetector | None = None,
    ) -> None:
        if window not in ("densest", "origin"):
            raise InputError(f"window must be 'densest' or 'origin', not {window!r}")
        self.layers = tuple(int(k) for k in layers)
        if not self.layers:
            raise InputError("give at least one layer")
        self.pixel, self.sigma, self.size = pixel, sigma, size
        for name in ("pixel", "sigma", "size"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise InputError(f"{name} must be positive, not {value}")
        self.window = window
        self.detector = detector or LayerDetector(n_layers=max(self.layers))

    name = "density_image"
    nested: ClassVar[dict[str, type]] = {"detector": LayerDetector}

    def resolved(self, units: str) -> tuple[float, float, int]:
        """(pixel, sigma, size) with the unit system's defaults filled in."""
        d = DEFAULTS[units]
        return (
            float(self.pixel or d["pixel"]),
            float(self.sigma or d["sigma"]),
            int(self.size or d["size"]),
        )

    def points(self, frames: Frame | Iterable[Frame]) -> LayerPoints:
        frames = [frames] if isinstance(frames, Frame) else list(frames)
        return layer_points(frames, self.layers, *self.detector.with_surfaces(frames))

    def __call__(self, frames: Frame | Iterable[Frame]) -> np.ndarray:
        pts = self.points(frames)
        return self.render(pts, origin=self.origin(pts))

    def features(self, frames: Sequence[Frame], context: Context) -> dict[str, np.ndarray]:
        return {"image": self(frames)}

    @classmethod
    def write(cls, out, results) -> None:
        """``images.npz``: ids and the images stacked (n, channels, size, size)."""
        ids = list(results)
        images = np.stack([results[i]["image"] for i in ids])
        np.savez_compressed(out / "images.npz", ids=np.array(ids), images=images)

    def origin(self, pts: LayerPoints) -> np.ndarray:
        """Lower-left corner of the window: the cell origin, or the densest placement."""
        if self.window == "origin":
            return np.zeros(2)
        pixel, _sigma, size = self.resolved(pts.units)
        side = pixel * size
        xy = np.concatenate(pts.points[0]) if pts.points[0] else np.zeros((0, 2))
        if len(xy) == 0:
            return np.zeros(2)
        # candidate corners on a coarse grid over the cell; count atoms inside each window
        steps = 8
        u, v = np.meshgrid(np.arange(steps) / steps, np.arange(steps) / steps, indexing="ij")
        corners = u.reshape(-1, 1) * pts.lateral[0] + v.reshape(-1, 1) * pts.lateral[1]
        counts = _counts_in_windows(xy, corners, side, pts.lateral)
        return corners[int(np.argmax(counts))]  # the first of equal counts, as before

    def render(
        self,
        pts: LayerPoints,
        origin: Sequence[float] = (0.0, 0.0),
        angle: float = 0.0,
        mirror: bool = False,
    ) -> np.ndarray:
        """The image with its window at ``origin`` (lower-left corner, length), the pixel grid
        rotated by ``angle`` (radians) about the window centre, and mirrored (x -> -x) if asked.
        """
        pixel, sigma, size = self.resolved(pts.units)
        idx = (np.arange(size) + 0.5) * pixel - 0.5 * size * pixel  # pixel centres, window frame
        centre = np.asarray(origin, dtype=float) + 0.5 * size * pixel
        image = np.zeros((len(self.layers), size, size), dtype=np.float64)
        for ch, per_frame in enumerate(pts.points):
            for xy in per_frame:
                q = _window_frame(xy, centre, angle, mirror, pts.lateral, size * pixel, sigma)
                image[ch] += _separable_density(q, idx, sigma)
            image[ch] /= pts.n_frames
        return image.astype(np.float32)

    def augment(
        self, pts: LayerPoints, n: int, rng: np.random.Generator | int | None = None
    ) -> np.ndarray:
        """(n, channels, size, size) renders with random window shifts over the cell, random
        in-plane rotations and random mirroring: the physical symmetries of a layer."""
        rng = np.random.default_rng(rng)
        out = []
        for _ in range(n):
            u, v = rng.random(2)
            origin = u * pts.lateral[0] + v * pts.lateral[1]
            out.append(self.render(pts, origin, rng.uniform(0, 2 * np.pi), bool(rng.integers(2))))
        return np.stack(out)


GAUSSIAN_CUTOFF = (
    6.0  #: each atom's Gaussian is cut at this many σ (exp(-18): invisible in float32)
)


def _window_frame(
    xy, centre, angle: float, mirror: bool, lateral: np.ndarray, side: float, sigma: float
) -> np.ndarray:
    """The atoms and those of their periodic images that reach the window (within the cutoff of
    its square), in the window's own frame: centre at 0, axes along the pixel rows and columns
    (rotated by ``angle``, x mirrored if asked)."""
    cutoff = GAUSSIAN_CUTOFF * sigma
    heights = np.abs(np.linalg.det(lateral)) / np.linalg.norm(lateral, axis=1)
    if cutoff > 0.5 * heights.min():
        raise InputError(
            f"the Gaussian width {sigma:g} is too large for a cell this narrow ({heights.min():.3g})"
        )
    if len(xy) == 0:
        return np.zeros((0, 2))
    # the nearest image of every atom to the window centre, then every shift that can reach
    # within reach = half the window's diagonal + the cutoff of it
    inv = np.linalg.inv(lateral)
    frac = (xy - centre) @ inv
    near = (frac - np.round(frac)) @ lateral
    reach = side / np.sqrt(2.0) + cutoff
    n = np.ceil(reach / heights).astype(int)
    shifts = np.array([i * lateral[0] + j * lateral[1] for i in range(-n[0], n[0] + 1)
                       for j in range(-n[1], n[1] + 1)])  # fmt: skip
    images = (near[:, None, :] + shifts[None]).reshape(-1, 2)
    c, s = np.cos(angle), np.sin(angle)
    q = images @ np.array([[c, -s], [s, c]])  # rotate by -angle: into the window's axes
    if mirror:
        q[:, 0] *= -1.0
    half = 0.5 * side + cutoff
    return q[(np.abs(q[:, 0]) < half) & (np.abs(q[:, 1]) < half)]


def _separable_density(q: np.ndarray, idx: np.ndarray, sigma: float) -> np.ndarray:
    """(size, size) sum of normalised 2-D Gaussians at ``q`` (window frame) on the pixel grid
    ``idx`` × ``idx`` (row = y, column = x): a Gaussian is a product of two 1-D ones, so the image
    is one matrix product, each factor cut at the cutoff."""
    if len(q) == 0:
        return np.zeros((len(idx), len(idx)))
    cutoff = GAUSSIAN_CUTOFF * sigma

    def factor(d):
        return np.where(np.abs(d) < cutoff, np.exp(-0.5 * (d / sigma) ** 2), 0.0)

    gx = factor(idx[None, :] - q[:, :1])  # (atoms, columns)
    gy = factor(idx[None, :] - q[:, 1:])  # (atoms, rows)
    return (gy.T @ gx) / (2.0 * np.pi * sigma**2)


def _counts_in_windows(
    xy: np.ndarray, corners: np.ndarray, side: float, lateral: np.ndarray
) -> np.ndarray:
    """For each corner, the atoms (with periodic images) inside the square window
    [corner, corner + side]²; the images are made once for all corners."""
    n_a = int(np.ceil(side / np.linalg.norm(lateral[0]))) + 1
    n_b = int(np.ceil(side / np.linalg.norm(lateral[1]))) + 1
    shifts = np.array([i * lateral[0] + j * lateral[1] for i in range(-1, n_a + 1)
                       for j in range(-1, n_b + 1)])  # fmt: skip
    images = (xy[:, None, :] + shifts[None]).reshape(-1, 2)
    # only the images inside some window can count: those in the corners' box grown by a side
    slack = 1e-9 * (side + np.abs(corners).max())  # (a box a little larger: no edge round-off)
    lo, hi = corners.min(axis=0) - slack, corners.max(axis=0) + side + slack
    images = images[np.all((images >= lo) & (images < hi), axis=1)]
    x, y = images[:, 0], images[:, 1]
    counts = np.empty(len(corners), dtype=np.int64)
    for k, (cx, cy) in enumerate(corners):
        counts[k] = np.count_nonzero((x >= cx) & (x - cx < side) & (y >= cy) & (y - cy < side))
    return counts
