"""How far an input lies from everything a model was trained on, in the model's own representation.

The reference is the training inputs' representation (a GNN's or CNN's pooled embedding before its
head; a descriptor regressor's scaled inputs, divided by a Gaussian process's length scales). An
input's *novelty* is its distance to the nearest training input over the median distance of a
training input to its nearest other one; it is *far* when that distance exceeds every training
input's own nearest-neighbour distance by ``margin`` (``limit``), i.e. it lies where no training
substrate does. A per-descriptor range check misses an input that is inside every range but in
an empty corner of the space; this does not.
"""

from __future__ import annotations

import numpy as np

from nucleate.errors import InputError


class Novelty:
    """Nearest-training-input distances in a model's representation.

    Args:
        reference: (n, d) training inputs as the model represents them (n ≥ 2).
        margin: an input is far beyond ``margin`` × the largest nearest-neighbour distance
            among the training inputs.
    """

    def __init__(self, reference: np.ndarray, margin: float = 1.0) -> None:
        ref = np.asarray(reference, dtype=float)
        if ref.ndim != 2 or len(ref) < 2 or not np.all(np.isfinite(ref)):
            raise InputError("a novelty reference needs two or more finite training inputs")
        self.reference = ref
        own = np.sort(_distances(ref, ref), axis=1)[:, 1]  # each one's nearest other
        self.scale = float(np.median(own)) or 1.0
        self.limit = float(margin * own.max())
        self.margin = float(margin)

    def distance(self, z: np.ndarray) -> np.ndarray:
        """(m,) distance of each input (m, d) to its nearest training input."""
        z = np.atleast_2d(np.asarray(z, dtype=float))
        if z.shape[1] != self.reference.shape[1]:
            raise InputError(
                f"an input of {z.shape[1]} features against a reference of "
                f"{self.reference.shape[1]}"
            )
        return _distances(z, self.reference).min(axis=1)

    def score(self, z: np.ndarray) -> np.ndarray:
        """(m,) novelty: nearest-training distance over the training inputs' median one."""
        return self.distance(z) / self.scale

    def far(self, z: np.ndarray) -> np.ndarray:
        """(m,) whether each input lies beyond the limit (where no training input is)."""
        return self.distance(z) > self.limit

    def to_dict(self) -> dict:
        return {"reference": np.round(self.reference, 6).tolist(), "margin": self.margin}

    @classmethod
    def from_dict(cls, d: dict) -> Novelty:
        return cls(np.asarray(d["reference"]), d.get("margin", 1.0))


def _distances(a: np.ndarray, b: np.ndarray, rows: int = 64) -> np.ndarray:
    """(len(a), len(b)) Euclidean distances, a block of rows at a time. By brute force: the
    references hold hundreds of training inputs, and a k-d tree (scipy.spatial, whose import
    alone costs more than a prediction's forward passes) gains nothing in tens of dimensions."""
    out = np.empty((len(a), len(b)))
    for k in range(0, len(a), rows):
        diff = a[k : k + rows, None, :] - b[None, :, :]
        out[k : k + rows] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return out


def regressor_representation(model, X: np.ndarray) -> np.ndarray:
    """A scikit-learn regressor's view of its inputs: every transform of a pipeline (scaling),
    then, for a Gaussian process with one length scale per input, division by them."""
    X = np.asarray(X, dtype=float)
    final = model
    if hasattr(model, "steps"):
        for _, step in model.steps[:-1]:
            X = step.transform(X)
        final = model.steps[-1][1]
    kernel = getattr(final, "kernel_", None)
    if kernel is not None:
        for key, value in kernel.get_params().items():
            if key.endswith("length_scale"):
                scales = np.atleast_1d(np.asarray(value, dtype=float))
                if scales.size in (1, X.shape[1]):
                    return X / scales
    return X
