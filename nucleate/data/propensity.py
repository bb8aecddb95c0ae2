"""Per-particle dynamical propensity from isoconfigurational ensembles, and the reader for the
Kob–Andersen benchmark files (BOTAN/GlassBench ``isoconfig_*.npz``).

Propensity of particle i: the mean over the replicas of |r_i(t*) − r_i(0)| (the Bapst et al. 2020
convention used by the benchmark), or of the squared displacement over the MSD (``squared=True``).
The noise ceiling of the labels comes from splitting the replicas into halves: the Pearson r between
the two half-ensemble propensities, corrected to the full ensemble by Spearman–Brown, is the
reliability ρ; no predictor can correlate with the labels better than sqrt(ρ) on average.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nucleate.errors import InputError
from nucleate.frame import Frame


def propensity(displacements: np.ndarray, squared: bool = False) -> np.ndarray:
    """(n,) propensity from (replicas, n, 3) displacements."""
    d = np.asarray(displacements, dtype=float)
    if d.ndim != 3 or d.shape[2] != 3:
        raise InputError(f"displacements must have shape (replicas, n, 3), not {d.shape}")
    if squared:
        d2 = np.sum(d**2, axis=2)
        return (d2 / d2.mean(axis=1, keepdims=True)).mean(axis=0)
    return np.linalg.norm(d, axis=2).mean(axis=0)


def _sinc_overlap(d: np.ndarray, q: float) -> np.ndarray:
    """sin(q|Δr|) / (q|Δr|) of displacements (..., 3): the isotropic self-overlap at wavenumber q."""
    qr = q * np.linalg.norm(d, axis=-1)
    return np.sinc(qr / np.pi)  # numpy's sinc is sin(pi x) / (pi x)


def self_intermediate_scattering(
    displacements: np.ndarray, q: float, mask: np.ndarray | None = None
) -> np.ndarray:
    """F_s(q, t) = < sin(q|Δr_i(t)|) / (q|Δr_i(t)|) > over replicas and the particles in ``mask``,
    from displacements (replicas, times, n, 3); shape (times,)."""
    d = np.asarray(displacements, dtype=float)
    if d.ndim != 4 or d.shape[-1] != 3:
        raise InputError(f"displacements must have shape (replicas, times, n, 3), not {d.shape}")
    mask = np.ones(d.shape[2], bool) if mask is None else np.asarray(mask, bool)
    return _sinc_overlap(d[:, :, mask], q).mean(axis=(0, 2))


def chi4(displacements: np.ndarray, q: float, mask: np.ndarray | None = None) -> np.ndarray:
    """Dynamic susceptibility χ4(t) = N (<Q(t)²> − <Q(t)>²), Q the self-overlap of one replica
    averaged over the N particles in ``mask``; the average runs over replicas (and whatever
    configurations are stacked along the first axis); shape (times,)."""
    d = np.asarray(displacements, dtype=float)
    mask = np.ones(d.shape[2], bool) if mask is None else np.asarray(mask, bool)
    Q = _sinc_overlap(d[:, :, mask], q).mean(axis=2)  # (replicas, times)
    return int(mask.sum()) * Q.var(axis=0)


@dataclass(frozen=True)
class NoiseCeiling:
    """Split-half reliability of propensity labels.

    Attributes:
        split_half_r: mean Pearson r between the propensities of two random halves of the replicas.
        reliability: the Spearman–Brown correction to the full ensemble, 2r / (1 + r).
        max_r: sqrt(reliability), the highest Pearson r a perfect predictor can expect.
    """

    split_half_r: float
    reliability: float
    max_r: float


def noise_ceiling(
    displacements: np.ndarray, mask: np.ndarray | None = None, splits: int = 20, seed: int = 0,
    squared: bool = False,
) -> NoiseCeiling:  # fmt: skip
    """Split-half noise ceiling of the propensity of the particles in ``mask``."""
    d = np.asarray(displacements, dtype=float)
    n_rep = d.shape[0]
    if n_rep < 4:
        raise InputError("a noise ceiling needs at least 4 replicas")
    rng = np.random.default_rng(seed)
    mask = np.ones(d.shape[1], bool) if mask is None else np.asarray(mask, bool)
    rs = []
    for _ in range(splits):
        perm = rng.permutation(n_rep)
        a = propensity(d[perm[: n_rep // 2]], squared)[mask]
        b = propensity(d[perm[n_rep // 2 :]], squared)[mask]
        rs.append(np.corrcoef(a, b)[0, 1])
    r = float(np.mean(rs))
    rel = 2 * r / (1 + r)
    return NoiseCeiling(r, rel, float(np.sqrt(max(rel, 0.0))))


@dataclass(frozen=True)
class IsoconfigSample:
    """One configuration of an isoconfigurational ensemble: the frame at t = 0 (types 1 = A,
    2 = B), the replicas' displacements at t*, and the per-particle propensity."""

    name: str
    frame: Frame
    displacements: np.ndarray
    propensity: np.ndarray


def read_isoconfig(path: str | os.PathLike, density: float = 1.2) -> IsoconfigSample:
    """Read a BOTAN/GlassBench ``isoconfig_*.npz`` file (``types`` 0 = A / 1 = B,
    ``initial_positions`` (n, 3), ``positions`` (replicas, n, 3) unwrapped). The cubic box side is
    (n / density)^(1/3) (the files do not store it; the KA benchmark is at density 1.2)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            types = np.asarray(data["types"], dtype=np.int64)
            x0 = np.asarray(data["initial_positions"], dtype=float)
            xt = np.asarray(data["positions"], dtype=float)
    except (KeyError, ValueError, OSError) as err:
        raise InputError(f"{path}: not an isoconfigurational npz file ({err})") from None
    n = len(types)
    if x0.shape != (n, 3) or xt.ndim != 3 or xt.shape[1:] != (n, 3):
        raise InputError(f"{path}: inconsistent shapes {x0.shape} and {xt.shape} for {n} particles")
    side = (n / density) ** (1.0 / 3.0)
    cell = np.eye(3) * side
    frame = Frame(
        positions=np.mod(x0, side),
        types=types + 1,
        cell=cell,
        pbc=(True, True, True),
        substrate=np.zeros(n, bool),
        units="lj",
        info={"source": str(path)},
    )
    disp = xt - x0[None]
    return IsoconfigSample(path.stem, frame, disp, propensity(disp))
