"""Pre-ordered liquid (precursors) in the q̄4–q̄6 plane, against references at the same temperature.

Lechner–Dellago averaged bond order (q̄4, q̄6; 12 nearest neighbours) of bulk liquid, fcc, hcp and
bcc, each simulated with LAMMPS at the temperature of interest
(:func:`nucleate.data.simulate.references.reference_clouds`), sets
the scale: an atom is ``liquid`` below the 99th percentile of the liquid's q̄6, ``crystal-like``
above the 5th percentile of the crystals' q̄6 (the lowest of the three), and ``pre-ordered`` in
between (Díaz Leines & Rogal, PRL 2022); every ordered atom leans to the crystal reference whose
reference (perfect crystal to its thermal cloud) is nearest in the cloud's Mahalanobis metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nucleate.data.simulate.references import PHASES, reference_clouds
from nucleate.structure.order import steinhardt

CLASSES = ("liquid", "pre-ordered", "crystal-like")


@dataclass(frozen=True)
class PrecursorClassifier:
    """Thresholds and crystal references derived from reference clouds.

    Attributes:
        q6_preordered: q̄6 above which an atom is no longer liquid-like (99th percentile of the
            liquid).
        q6_crystal: q̄6 above which an atom is crystal-like (5th percentile of the least ordered
            crystal; at least ``q6_preordered``).
        centres: crystal name -> mean (q̄4, q̄6) at the temperature; perfect: name -> (q̄4, q̄6) of
            the perfect crystal; precisions: name -> inverse covariance (2, 2) of the cloud.
    """

    q6_preordered: float
    q6_crystal: float
    centres: dict
    perfect: dict
    precisions: dict

    @classmethod
    def from_references(cls, clouds: dict[str, np.ndarray]) -> PrecursorClassifier:
        pre = float(np.percentile(clouds["liquid"][:, 1], 99.0))
        crys = min(float(np.percentile(clouds[k][:, 1], 5.0)) for k in PHASES[1:])
        from nucleate.structure.order import reference_order

        perfect = reference_order()  # same neighbour rule: 12 nearest, averaged
        return cls(
            pre, max(crys, pre),
            {k: clouds[k].mean(axis=0) for k in PHASES[1:]},
            {k: perfect[k][0] for k in PHASES[1:]},
            {k: np.linalg.inv(np.cov(clouds[k].T) + 1e-8 * np.eye(2)) for k in PHASES[1:]},
        )  # fmt: skip

    def classify(self, q: np.ndarray) -> np.ndarray:
        """(n,) class index into :data:`CLASSES` of (n, 2) (q̄4, q̄6)."""
        q6 = np.asarray(q)[:, 1]
        return (q6 >= self.q6_preordered).astype(int) + (q6 >= self.q6_crystal).astype(int)

    def lean(self, q: np.ndarray) -> np.ndarray:
        """(n,) index into ("fcc", "hcp", "bcc") of the nearest crystal reference: the distance to
        the segment from the perfect crystal to the centre of its cloud at the temperature (the
        path thermal disorder takes), in the metric of that cloud (Mahalanobis)."""
        d = []
        for k in PHASES[1:]:
            w = np.linalg.cholesky(self.precisions[k])  # whitening: |x @ w| = Mahalanobis
            a, b = self.perfect[k] @ w, self.centres[k] @ w
            x = np.asarray(q) @ w
            t = np.clip((x - a) @ (b - a) / max(float((b - a) @ (b - a)), 1e-12), 0.0, 1.0)
            d.append(np.linalg.norm(x - (a + t[:, None] * (b - a)), axis=1))
        d = np.stack(d, axis=1)
        return np.argmin(d, axis=1)

    def descriptors(self, q: np.ndarray) -> dict[str, float]:
        """Per-substrate precursor descriptors of a set of (contact-layer) atoms: fractions of
        pre-ordered and crystal-like atoms, the mean q̄6 of the pre-ordered ones (their
        crystallinity), and the fractions of ordered atoms leaning to fcc / hcp / bcc."""
        c = self.classify(q)
        ordered = c >= 1
        lean = self.lean(q[ordered]) if ordered.any() else np.zeros(0, int)
        pre = c == 1
        out = {
            "frac_preordered": float(np.mean(pre)),
            "frac_crystal_like": float(np.mean(c == 2)),
            "q6_preordered": float(q[pre, 1].mean()) if pre.any() else float(self.q6_preordered),
        }
        for k, name in enumerate(PHASES[1:]):
            out[f"lean_{name}"] = float(np.mean(lean == k)) if len(lean) else 0.0
        return out


def cached_reference_clouds(temperature: float, a0: float = 1.617) -> dict[str, np.ndarray]:
    """:func:`reference_clouds` simulated once and kept on disk (the feature cache directory,
    keyed by temperature, a0 and nucleate version) and in memory."""
    from nucleate import __version__
    from nucleate.featurize.cache import cached, default_cache_dir

    key = (float(temperature), float(a0))
    if key not in _memo:
        path = default_cache_dir() / "precursors" / f"T{temperature:g}-a{a0:g}-{__version__}.npz"
        _memo[key], _ = cached(path, lambda: reference_clouds(temperature, a0), force=False)
    return _memo[key]


def classifier_at(temperature: float, a0: float = 1.617) -> PrecursorClassifier:
    """The classifier from the (cached) LJ references at ``temperature``."""
    return PrecursorClassifier.from_references(cached_reference_clouds(temperature, a0))


_memo: dict = {}


def contact_layer_order(frames, profile=None):
    """(m, 2) q̄4, q̄6 of the liquid atoms of layer 1 over ``frames`` (q̄ over all atoms, the
    substrate's included); ``profile``: their layer profile (detected when not given)."""
    from nucleate.structure.layers import LayerDetector

    frames = list(frames)
    profile = profile or LayerDetector(n_layers=1)(frames)
    qs = []
    for f in frames:
        q = steinhardt(f.positions, f.cell, f.pbc, (4, 6), True, 12)
        qs.append(q[(profile.assign(f) == 1) & f.liquid])
    return np.concatenate(qs)
