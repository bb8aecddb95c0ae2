"""Data splits that keep substrates apart: train / validation / test by substrate, and grouped
cross-validation folds (leave one facet out). Every route (image, graph, descriptor) uses these, so
their test sets are the same."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from nucleate.errors import InputError


def substrate_split(
    ids: Sequence[str], fractions: tuple[float, float, float] = (0.7, 0.15, 0.15), seed: int = 0
) -> np.ndarray:
    """(n,) array of ``"train"``, ``"val"``, ``"test"``: each substrate id goes to one part, by a
    hash of (seed, id), so the split does not depend on the order or number of other samples."""
    f = np.asarray(fractions, dtype=float)
    if f.shape != (3,) or np.any(f < 0) or not np.isclose(f.sum(), 1.0):
        raise InputError(
            f"split fractions must be three non-negative numbers summing to 1: {fractions}"
        )
    u = np.array(
        [int(hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:12], 16) / 16**12 for i in ids]
    )
    out = np.where(u < f[0], "train", np.where(u < f[0] + f[1], "val", "test"))
    if len(set(ids)) != len(ids):
        raise InputError("substrate ids must be unique")
    return out


def leave_one_group_out(groups: Sequence[str]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(group, train indices, test indices) for each group (e.g. each facet) held out in turn."""
    groups = np.asarray(groups)
    return [
        (str(g), np.flatnonzero(groups != g), np.flatnonzero(groups == g))
        for g in np.unique(groups)
    ]


def redraw_validation(ids, part, split, seed) -> np.ndarray:
    """Keep the test part; draw train / validation anew from the rest with another seed."""
    f_train, f_val, _ = split
    redraw = substrate_split(
        ids, (f_train / (f_train + f_val), f_val / (f_train + f_val), 0.0), seed
    )
    part = np.asarray(part)
    out = np.where(np.isin(part, ("test", "held_out")), part, redraw)
    if not np.any(out == "val") and np.sum(out == "train") > 1:  # small data: keep a validation
        out[np.flatnonzero(out == "train")[-1]] = "val"
    return out
