"""Correlation-cluster descriptor selection (after Fitzner, Pedevilla & Michaelides 2020).

Descriptors that carry the same information are grouped by hierarchical clustering on the distance
1 − |ρ| of their Spearman rank correlation; each cluster keeps the one member most relevant to the
target (largest |Spearman ρ| with y). A scikit-learn selector: ``fit`` / ``transform`` /
``get_support`` / ``get_feature_names_out``, usable inside a ``Pipeline`` and cross-validation.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data


def spearman_matrix(X: np.ndarray) -> np.ndarray:
    """(f, f) Spearman rank correlation between columns; constant columns correlate with nothing
    (0) but themselves (1)."""
    from scipy.stats import rankdata

    ranks = np.apply_along_axis(rankdata, 0, np.asarray(X, dtype=float))
    ranks -= ranks.mean(axis=0)
    norm = np.sqrt((ranks**2).sum(axis=0))
    safe = np.where(norm > 0, norm, 1.0)
    rho = (ranks.T @ ranks) / np.outer(safe, safe)
    rho[norm == 0, :] = 0.0
    rho[:, norm == 0] = 0.0
    np.fill_diagonal(rho, 1.0)
    return np.clip(rho, -1.0, 1.0)


def relevance(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(f,) |Spearman ρ| of each column with the target (0 for constant columns)."""
    rho = spearman_matrix(np.column_stack([X, y]))
    return np.abs(rho[:-1, -1])


class CorrelationClusterSelector(SelectorMixin, BaseEstimator):
    """Keep one descriptor per cluster of mutually correlated descriptors.

    Args:
        threshold: clusters are cut at this distance 1 − |ρ| (0.3 joins descriptors with
            |ρ| ≳ 0.7); ignored when ``n_clusters`` is given.
        n_clusters: cut the tree into this many clusters instead.
        linkage: scipy linkage method on the distances (``average``, ``complete``, ``single``).
        groups: optional (f,) label of each descriptor (e.g. its kind, liquid or substrate):
            descriptors of different groups never share a cluster (their distance is set to 2,
            beyond any 1 − |ρ|), so each group keeps its own representatives. Fitzner et al.
            name two liquid and two substrate factors; without groups a substrate descriptor
            that correlates with liquid ones (ε_sl with the contact layer's density and order
            on lj-fcc-v1) is represented by a noisier liquid descriptor.

    Fitted attributes:
        correlation_: (f, f) Spearman matrix; linkage_: the scipy linkage matrix;
        clusters_: (f,) cluster label (1..k) of each descriptor; relevance_: (f,) |ρ| with y;
        representatives_: (k,) indices of the kept descriptors, most relevant first.
    """

    def __init__(
        self, threshold: float = 0.3, n_clusters: int | None = None, linkage: str = "average",
        groups=None,
    ) -> None:  # fmt: skip
        self.threshold = threshold
        self.n_clusters = n_clusters
        self.linkage = linkage
        self.groups = groups

    def fit(self, X, y):
        from scipy.cluster.hierarchy import fcluster
        from scipy.cluster.hierarchy import linkage as scipy_linkage
        from scipy.spatial.distance import squareform

        X, y = validate_data(self, X, y, y_numeric=True, ensure_min_samples=2)
        if self.n_clusters is not None and not 1 <= self.n_clusters:
            raise ValueError(f"n_clusters must be at least 1, not {self.n_clusters}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], not {self.threshold}")
        n_features = X.shape[1]
        groups = None if self.groups is None else np.asarray(self.groups)
        if groups is not None and groups.shape != (n_features,):
            raise ValueError(
                f"groups must give one label per descriptor ({n_features}), not {groups.shape}"
            )
        self.correlation_ = spearman_matrix(X)
        self.relevance_ = relevance(X, y)
        if n_features == 1:
            self.linkage_ = np.zeros((0, 4))
            self.clusters_ = np.ones(1, dtype=int)
        else:
            distance = 1.0 - np.abs(self.correlation_)
            if groups is not None:
                distance[groups[:, None] != groups[None, :]] = 2.0
            np.fill_diagonal(distance, 0.0)
            self.linkage_ = scipy_linkage(squareform(distance, checks=False), method=self.linkage)
            if self.n_clusters is not None:
                k = min(self.n_clusters, n_features)
                self.clusters_ = fcluster(self.linkage_, k, criterion="maxclust")
            else:
                self.clusters_ = fcluster(self.linkage_, self.threshold, criterion="distance")
        reps = []
        for c in np.unique(self.clusters_):
            members = np.flatnonzero(self.clusters_ == c)
            reps.append(members[np.argmax(self.relevance_[members])])
        reps = np.array(reps, dtype=int)
        self.representatives_ = reps[np.argsort(-self.relevance_[reps], kind="stable")]
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "representatives_")
        mask = np.zeros(self.n_features_in_, dtype=bool)
        mask[self.representatives_] = True
        return mask

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags
