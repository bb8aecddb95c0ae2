"""Gaussian-process regression for the descriptor route (scikit-learn), picklable."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, DotProduct, Matern, WhiteKernel


class ARDGaussianProcess(GaussianProcessRegressor):
    """Gaussian-process regression with one length scale per input column (automatic relevance
    determination: a column that does not help is given a long one) and a fitted white-noise
    level, which on T_n labels settles near their seed-to-seed noise. The Matérn kernel's
    smoothness is chosen among ``nus`` by the log marginal likelihood of the training data
    (``nu_``; the rougher ν = 1.5 suits T_n, which rises steeply from the floor).
    ``linear=True`` adds a linear kernel: far from the training inputs the prediction follows the
    descriptors' linear trend instead of falling back to the mean (a substrate family unlike any
    trained on). ``predict(X, return_std=True)`` gives the predictive standard deviation. Inputs
    should be standardised; the target is normalised inside."""

    def __init__(
        self, n_restarts_optimizer: int = 2, random_state=None, kernel=None,
        nus: tuple[float, ...] = (0.5, 1.5, 2.5), linear: bool = False,
    ):  # fmt: skip
        super().__init__(
            kernel=kernel, normalize_y=True, n_restarts_optimizer=n_restarts_optimizer,
            random_state=random_state,
        )  # fmt: skip
        self.nus = nus
        self.linear = linear

    def fit(self, X, y):
        d = np.shape(X)[1]
        best = None
        for nu in self.nus:
            self.kernel = ConstantKernel(1.0, (1e-2, 1e2)) * Matern(
                np.ones(d), (1e-2, 1e3), nu=nu
            ) + WhiteKernel(1e-2, (1e-5, 1.0))
            if self.linear:
                self.kernel = self.kernel + ConstantKernel(0.1, (1e-4, 1e2)) * DotProduct(
                    1.0, (1e-3, 1e3)
                )
            with warnings.catch_warnings():  # irrelevant columns reach the length-scale bound
                warnings.simplefilter("ignore", ConvergenceWarning)
                super().fit(X, y)
            if best is None or self.log_marginal_likelihood_value_ > best[0]:
                best = (self.log_marginal_likelihood_value_, nu, dict(self.__dict__))
        self.__dict__.update(best[2])
        self.nu_ = best[1]
        return self


class GPTreesAverage(RegressorMixin, BaseEstimator):
    """The mean of two regressors that fail differently: an ARD Gaussian process with a linear
    term (smooth, extrapolates a trend) and extremely randomised trees (piecewise constant,
    insensitive to a descriptor's scale and to redundant ones). The predictive standard deviation
    adds the process's own to half their disagreement, ``sqrt(σ_gp² + ((gp - trees) / 2)²)``:
    where the two read an unfamiliar substrate differently, the interval widens. ``kernel_`` is
    the process's (its length scales are the novelty check's metric)."""

    def __init__(
        self, n_estimators: int = 300, min_samples_leaf: int = 2, n_restarts_optimizer: int = 0,
        nus: tuple[float, ...] = (0.5, 1.5), random_state=None,
    ):  # fmt: skip
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.n_restarts_optimizer = n_restarts_optimizer
        self.nus = nus
        self.random_state = random_state

    def fit(self, X, y):
        self.gp_ = ARDGaussianProcess(
            self.n_restarts_optimizer, self.random_state, nus=self.nus, linear=True
        ).fit(X, y)
        self.trees_ = ExtraTreesRegressor(
            self.n_estimators, min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state, n_jobs=1,
        ).fit(X, y)  # fmt: skip
        self.n_features_in_ = np.shape(X)[1]
        return self

    @property
    def kernel_(self):
        """The fitted process's kernel (absent before ``fit``)."""
        return self.gp_.kernel_

    def predict(self, X, return_std: bool = False):
        g, s = self.gp_.predict(X, return_std=True)
        t = self.trees_.predict(X)
        mean = 0.5 * (g + t)
        if not return_std:
            return mean
        return mean, np.sqrt(s**2 + (0.5 * (g - t)) ** 2)
