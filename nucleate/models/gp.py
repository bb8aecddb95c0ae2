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
    level, which on T_n labels settles near their seed-to-seed noise. The Matérn kernel's
    smoothness is chosen among ``nus`` by the log marginal likelihood of the training data
    (``nu_``; the rougher ν = 1.5 suits T_n, which rises steeply from the floor). ``predict(X, return_std=True)`` gives the predictive
    standard deviation. Inputs should be standardised; the target is normalised inside."""

    def __init__(
        self, n_restarts_optimizer: int = 2, random_state=None, kernel=None,
        nus: tuple[float, ...] = (0.5, 1.5, 2.5),
    ):  # fmt: skip
        super().__init__(
            kernel=kernel, normalize_y=True, n_restarts_optimizer=n_restarts_optimizer,
            random_state=random_state,
        )  # fmt: skip
        self.nus = nus

    def fit(self, X, y):
        d = np.shape(X)[1]
        best = None
        for nu in self.nus:
            self.kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
                np.ones(d), (1e-2, 1e3), nu=nu
            ) + WhiteKernel(1e-2, (1e-5, 1.0))
            with warnings.catch_warnings():  # irrelevant columns reach the length-scale bound
                warnings.simplefilter("ignore", ConvergenceWarning)
                super().fit(X, y)
            if best is None or self.log_marginal_likelihood_value_ > best[0]:
                best = (self.log_marginal_likelihood_value_, nu, dict(self.__dict__))
        self.__dict__.update(best[2])
        self.nu_ = best[1]
        return self
