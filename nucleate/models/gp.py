"""Gaussian-process regression for the descriptor route (scikit-learn), picklable."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel


class ARDGaussianProcess(GaussianProcessRegressor):
    """Gaussian-process regression with one length scale per input column (automatic relevance
    determination: a column that does not help is given a long one) and a fitted white-noise
    level, which on T_n labels settles near their seed-to-seed noise. ``predict(X,
    return_std=True)`` gives the predictive standard deviation. Inputs should be standardised;
    the target is normalised inside."""

    def __init__(self, n_restarts_optimizer: int = 2, random_state=None, kernel=None):
        super().__init__(
            kernel=kernel, normalize_y=True, n_restarts_optimizer=n_restarts_optimizer,
            random_state=random_state,
        )  # fmt: skip

    def fit(self, X, y):
        d = np.shape(X)[1]
        self.kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
            np.ones(d), (1e-2, 1e3), nu=2.5
        ) + WhiteKernel(1e-2, (1e-5, 1.0))
        with warnings.catch_warnings():  # irrelevant columns reach the length-scale bound
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super().fit(X, y)
