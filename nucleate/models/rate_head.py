"""T_n at other cooling rates: a small Bayesian linear head on top of any T_n model.

Every T_n route predicts the nucleation temperature of one protocol, whose ramp runs at the
reference rate r0. The head predicts the shift to another rate r,

    T_n(r) - T_n(r0) = x (b0 + b1 t) + x^2 (c0 + c1 t),   x = log10(r / r0),  t = T_n(r0) - t_mid,

with no shift at r0 by construction. Optionally the slope also reads a few standardised liquid
descriptors z of the substrate's interface at r0 (``+ x w·z``): two substrates of equal T_n(r0)
can then shift by different amounts, so the ranking can change with the rate as measured.
The form is what classical nucleation theory gives for a ramp: T_n falls with log rate, with
a slope that grows with the undercooling at T_n, so weak nucleators (low T_n(r0)) shift more
(dT_n / d ln r ~ -ΔT / (C (2 - ΔT / T_n)), ΔT = T_m - T_n, C the barrier at T_n in units of
kT); the barrier itself depends on the template, which the descriptors stand for. Fitted by
Bayesian ridge regression (scikit-learn) on the measured shifts of a several-rate data set; its
predictive σ adds the reference's own σ, carried through the reference's weight in the shift.
Stored as plain JSON (coefficients, posterior covariance, noise).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from nucleate.errors import InputError

#: how far beyond the trained rates the head still answers, in decades (marked as extrapolated)
EXTRAPOLATE_DECADES = 0.5


def design(
    tn_ref: np.ndarray, log_ratio: np.ndarray, t_mid: float, degree: int = 2,
    z: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """The head's inputs: x, x t and, at degree 2, x², x² t (x = log10 r / r0,
    t = T_n(r0) - t_mid); then x z_k for each column of the standardised descriptors ``z``."""
    t = np.asarray(tn_ref, dtype=float) - t_mid
    x = np.asarray(log_ratio, dtype=float)
    cols = [x**d * f for d in range(1, degree + 1) for f in (1.0, t)]
    if z is not None:
        z = np.asarray(z, dtype=float)
        cols += [x * z[..., k] for k in range(z.shape[-1])]
    return np.stack(cols, axis=-1)


@dataclass
class RateHead:
    """The rate head (see the module docstring). ``rate_ref``: r0, the rate of the T_n routes it
    sits on; ``rates``: the rates it was fitted on; ``coef``, ``covariance``, ``noise_std``: the
    Bayesian ridge posterior; ``degree``: 1 (linear in log rate) or 2; ``descriptors``: the
    liquid descriptors in the slope (none by default), standardised by ``descriptor_mean`` and
    ``descriptor_std``, computed by the descriptor featurizer with ``featurizer_settings``."""

    rate_ref: float
    t_mid: float
    rates: list[float] = field(default_factory=list)
    coef: list[float] = field(default_factory=list)
    covariance: list[list[float]] = field(default_factory=list)
    noise_std: float = 0.0
    degree: int = 2
    n_fit: int = 0
    metrics: dict = field(default_factory=dict)
    descriptors: list[str] = field(default_factory=list)
    descriptor_mean: list[float] = field(default_factory=list)
    descriptor_std: list[float] = field(default_factory=list)
    featurizer_settings: dict = field(default_factory=dict)

    @classmethod
    def fit(
        cls, tn_ref: np.ndarray, rate: np.ndarray, tn: np.ndarray, rate_ref: float,
        degree: int = 2, values: np.ndarray | None = None, descriptors: list[str] | None = None,
        featurizer_settings: dict | None = None,
    ) -> RateHead:  # fmt: skip
        """Fit on measured pairs: each row a substrate at ``rate`` with T_n ``tn`` and its T_n
        ``tn_ref`` at ``rate_ref`` (rows at ``rate_ref`` itself carry no shift to learn); with
        ``values`` (rows × ``descriptors``), the slope reads those descriptors too."""
        if degree not in (1, 2):
            raise InputError(f"the rate head is linear or quadratic in log rate, not {degree}")
        from sklearn.linear_model import BayesianRidge

        tn_ref, rate, tn = (np.asarray(a, dtype=float) for a in (tn_ref, rate, tn))
        x = np.log10(rate / rate_ref)
        use = np.isfinite(tn_ref) & np.isfinite(tn) & (np.abs(x) > 1e-12)
        names, mean, std, z = [], [], [], None
        if values is not None:
            values = np.asarray(values, dtype=float)
            names = list(descriptors or [])
            if values.ndim != 2 or values.shape != (len(tn), len(names)) or not names:
                raise InputError(f"descriptor values of shape {values.shape} for {len(tn)} rows "
                                 f"and {len(names)} descriptors")  # fmt: skip
            use &= np.all(np.isfinite(values), axis=1)
            if use.any():
                mean = values[use].mean(axis=0).tolist()
                std = np.where(values[use].std(axis=0) > 0, values[use].std(axis=0), 1.0).tolist()
                z = (values - np.asarray(mean)) / np.asarray(std)
        if use.sum() < 5:
            raise InputError(f"{int(use.sum())} substrate-rate pairs are too few to fit the head")
        t_mid = float(np.mean(tn_ref[use]))
        model = BayesianRidge(fit_intercept=False).fit(
            design(tn_ref[use], x[use], t_mid, degree, None if z is None else z[use]),
            (tn - tn_ref)[use],
        )
        return cls(
            rate_ref=float(rate_ref),
            t_mid=t_mid,
            rates=sorted({float(r) for r in rate[use]} | {float(rate_ref)}),
            coef=[float(c) for c in model.coef_],
            covariance=np.asarray(model.sigma_, dtype=float).tolist(),
            noise_std=float(1.0 / math.sqrt(model.alpha_)),
            degree=degree,
            n_fit=int(use.sum()),
            descriptors=names,
            descriptor_mean=[float(v) for v in mean],
            descriptor_std=[float(v) for v in std],
            featurizer_settings=dict(featurizer_settings or {}),
        )

    def standardised(self, values) -> np.ndarray | None:
        """The head's descriptors standardised as in its fit (None for a head without any);
        refuses a head that reads descriptors when none are given."""
        if not self.descriptors:
            return None
        if values is None:
            names = ", ".join(self.descriptors)
            raise InputError(f"this rate model reads liquid descriptors ({names}): give them")
        values = np.asarray(values, dtype=float)
        if values.shape[-1] != len(self.descriptors):
            raise InputError(f"{values.shape[-1]} descriptor values for the rate model's "
                             f"{len(self.descriptors)}")  # fmt: skip
        return (values - np.asarray(self.descriptor_mean)) / np.asarray(self.descriptor_std)

    def check_rates(self, rates) -> list[bool]:
        """Refuse rates more than :data:`EXTRAPOLATE_DECADES` beyond the fitted ones; returns,
        per rate, whether it lies outside the fitted span (an extrapolation)."""
        lo, hi = math.log10(min(self.rates)), math.log10(max(self.rates))
        out = []
        for r in rates:
            if not r > 0:
                raise InputError(f"a cooling rate must be positive, not {r}")
            lr = math.log10(r)
            if lr < lo - EXTRAPOLATE_DECADES or lr > hi + EXTRAPOLATE_DECADES:
                raise InputError(
                    f"rate {r:g} is more than {EXTRAPOLATE_DECADES:g} decades beyond the rates "
                    f"the rate model was fitted on ({min(self.rates):g}-{max(self.rates):g})"
                )
            out.append(lr < lo - 1e-9 or lr > hi + 1e-9)
        return out

    def predict(
        self, tn_ref: np.ndarray, tn_ref_std: np.ndarray | None, rate: np.ndarray,
        values: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """T_n at ``rate`` (broadcast against ``tn_ref``) and its σ: the head's own predictive σ
        and the reference's σ times d T_n(r) / d T_n(r0). A head with descriptors needs each
        row's ``values`` (rows × descriptors)."""
        tn_ref = np.asarray(tn_ref, dtype=float)
        x = np.log10(np.asarray(rate, dtype=float) / self.rate_ref)
        tn_ref, x = np.broadcast_arrays(tn_ref, x)
        z = self.standardised(values)
        if z is not None:
            z = np.broadcast_to(z, (*tn_ref.shape, len(self.descriptors)))
        A = design(tn_ref, x, self.t_mid, self.degree, z)
        coef, cov = np.asarray(self.coef), np.asarray(self.covariance)
        shift = A @ coef
        at_ref = np.abs(x) < 1e-12
        var = np.where(at_ref, 0.0, np.einsum("...i,ij,...j->...", A, cov, A) + self.noise_std**2)
        ref_std = np.zeros_like(tn_ref) if tn_ref_std is None else np.asarray(tn_ref_std, float)
        gain = 1.0 + sum(x**d * coef[2 * d - 1] for d in range(1, self.degree + 1))  # dT/dT0
        return tn_ref + shift, np.sqrt(var + (gain * ref_std) ** 2)

    def slope(self, tn_ref: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        """d T_n / d log10(rate) at r0 for substrates of reference T_n ``tn_ref`` (and, for a
        head with descriptors, their ``values``)."""
        out = self.coef[0] + self.coef[1] * (np.asarray(tn_ref, dtype=float) - self.t_mid)
        z = self.standardised(values)
        if z is not None:
            out = out + z @ np.asarray(self.coef[2 * self.degree :])
        return out

    def save(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> RateHead:
        path = Path(path)
        if path.is_dir():
            path = path / "rate_head.json"
        if not path.exists():
            raise InputError(f"no rate model at {path}")
        try:
            return cls(**json.loads(path.read_text()))
        except (TypeError, json.JSONDecodeError) as err:
            raise InputError(f"{path} is not a rate model: {err}") from None
