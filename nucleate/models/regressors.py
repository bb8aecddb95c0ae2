"""The descriptor route's regressors by name: scikit-learn pipelines built by registered factories
(``factory(seed) -> estimator``), so a selection config names them (``regressors: [gp, ridge]``)."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nucleate.models.gp import ARDGaussianProcess, GPTreesAverage
from nucleate.registry import Registry

#: regressor names -> factories ``(seed) -> unfitted estimator``
REGRESSORS: Registry = Registry("regressor")
#: the regressors built on a Gaussian process with one length scale per descriptor: irrelevant
#: descriptors get long ones, so the selection gives them every cluster representative
GAUSSIAN_PROCESSES = frozenset({"gp", "gp_linear", "gp_trees"})


@REGRESSORS.register("gbr", aliases=("gradient_boosting",))
def gradient_boosting(seed: int = 0):
    """Shallow gradient-boosted trees (300 stages of depth 2, subsampled)."""
    return GradientBoostingRegressor(
        n_estimators=300, max_depth=2, learning_rate=0.05, subsample=0.8, random_state=seed
    )


@REGRESSORS.register("krr", aliases=("kernel_ridge",))
def kernel_ridge(seed: int = 0):
    """RBF kernel ridge on standardised descriptors, its strength and width by 4-fold CV."""
    grid = {"alpha": np.logspace(-4, 0, 5), "gamma": np.logspace(-3, 0, 4)}
    return make_pipeline(
        StandardScaler(), GridSearchCV(KernelRidge(kernel="rbf"), grid, cv=4, n_jobs=1)
    )


@REGRESSORS.register("ridge")
def ridge(seed: int = 0):
    """Linear ridge on standardised descriptors, its strength by leave-one-out CV."""
    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-4, 3, 29)))


@REGRESSORS.register("gp", aliases=("gaussian_process",))
def gaussian_process(seed: int = 0):
    """Gaussian process with one length scale per descriptor (automatic relevance determination)."""
    return make_pipeline(StandardScaler(), ARDGaussianProcess(random_state=seed))


@REGRESSORS.register("gp_linear")
def gaussian_process_linear(seed: int = 0):
    """The ARD Gaussian process plus a linear kernel (follows a trend out of the training range)."""
    return make_pipeline(StandardScaler(), ARDGaussianProcess(random_state=seed, linear=True))


@REGRESSORS.register("gp_trees")
def gp_trees_average(seed: int = 0):
    """The mean of the ARD Gaussian process with a linear kernel and extra trees, on standardised
    descriptors; its σ widens where the two disagree."""
    return make_pipeline(StandardScaler(), GPTreesAverage(random_state=seed))


def make_regressor(name: str, seed: int = 0):
    """An unfitted regressor by its registered name (or alias)."""
    return REGRESSORS.get(name)(seed)
