"""Regression metrics for T_n, censoring-aware, beside the predict-the-mean baseline."""

from __future__ import annotations

import numpy as np


def regression_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    censored: np.ndarray | None = None,
    bound: np.ndarray | float | None = None,
    baseline: float | None = None,
) -> dict[str, float]:
    """RMSE, MAE, R², Spearman on the uncensored samples; for censored ones (T_n only known to lie
    below ``bound``) the fraction predicted below the bound and the RMSE of the excess above it;
    ``baseline``: the RMSE of always predicting this value (the training mean)."""
    from scipy.stats import spearmanr

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    censored = np.zeros(len(y_true), bool) if censored is None else np.asarray(censored, bool)
    ok = ~censored
    t, p = y_true[ok], y_pred[ok]
    out: dict[str, float] = {"n": int(ok.sum()), "n_censored": int(censored.sum())}
    if ok.sum() >= 1:
        err = p - t
        out["rmse"] = float(np.sqrt(np.mean(err**2)))
        out["mae"] = float(np.mean(np.abs(err)))
        var = np.var(t)
        out["r2"] = float(1.0 - np.mean(err**2) / var) if var > 0 else float("nan")
        out["spearman"] = float(spearmanr(t, p).statistic) if ok.sum() > 2 else float("nan")
        if baseline is not None:
            out["rmse_mean_baseline"] = float(np.sqrt(np.mean((t - baseline) ** 2)))
    if censored.any() and bound is not None:
        b = np.broadcast_to(np.asarray(bound, dtype=float), y_true.shape)[censored]
        excess = np.clip(y_pred[censored] - b, 0.0, None)
        out["censored_below_bound"] = float(np.mean(excess == 0.0))
        out["censored_rmse_excess"] = float(np.sqrt(np.mean(excess**2)))
    return out


def label_noise_rms(rows: list[dict], mask: np.ndarray) -> float | None:
    """RMS noise of the T_n labels of the manifest rows under ``mask`` (each label's ramp spread
    / sqrt(ramps)): the RMSE a perfect model would still show against them."""
    from nucleate.data.dataset import label_noise

    noise = label_noise([r for r, m in zip(rows, mask, strict=True) if m])
    return float(np.sqrt(np.nanmean(noise**2))) if np.isfinite(noise).any() else None


def spread_floor(y: np.ndarray, preds: np.ndarray, parts: list, censored: np.ndarray) -> dict:
    """The error an ensemble's spread misses, measured where no member was fitted.

    A deep ensemble's spread (members with different seeds and validation draws) is much
    narrower than its error: it sees only how the members disagree, not what they all get wrong.
    Each member's own validation substrates were kept out of its fit; the rms of its errors there,
    pooled over members, is the floor added in quadrature to the spread:
    σ = sqrt(spread² + floor²).

    Args:
        y: (n,) labels.
        preds: (members, n) each member's predictions.
        parts: each member's split labels, (n,) with ``"val"`` for its validation substrates.
        censored: (n,) labels that are only a bound (not used).

    Returns:
        ``{"floor", "n", "method"}``; floor 0 when no member has an uncensored validation
        substrate.
    """
    own = [(np.asarray(p) == "val") & ~censored for p in parts]  # each member's held-out part
    res = np.concatenate([preds[k][m] - y[m] for k, m in enumerate(own)] or [np.zeros(0)])
    floor = float(np.sqrt(np.mean(res**2))) if len(res) else 0.0
    return {"floor": floor, "n": len(res),
            "method": "rms error of each member on its own validation substrates, added in "
                      "quadrature to the ensemble spread"}  # fmt: skip


def calibrated_spread(spread, floor: float):
    """The spread widened by the floor of :func:`spread_floor`: sqrt(spread² + floor²)."""
    return np.sqrt(np.asarray(spread, dtype=float) ** 2 + float(floor) ** 2)


def coverage(y: np.ndarray, pred: np.ndarray, sigma: np.ndarray, k: float = 2.0) -> float:
    """Fraction of labels within ±k σ of the prediction."""
    z = np.abs(pred - y) / np.maximum(sigma, 1e-12)
    return float(np.mean(z <= k))


#: the polymorph fractions of the grown crystal, as the manifest's columns
POLYMORPH_COLUMNS = ("fcc", "hcp", "bcc", "other")


def polymorph_labels(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) polymorph fractions of the grown crystal (zeros where unknown) and (n,) whether
    a sample has them (samples that crystallised)."""
    raw = np.array([[float(r.get(k) or "nan") for k in POLYMORPH_COLUMNS] for r in rows])
    has = np.isfinite(raw).all(axis=1) & (raw.sum(axis=1) > 0.5)
    return np.where(np.isfinite(raw), raw, 0.0), has


def polymorph_metrics(true: np.ndarray, pred: np.ndarray, train_true: np.ndarray) -> dict:
    """Polymorph fractions against the observed ones: mean absolute error per fraction and
    accuracy of the majority polymorph, beside the baselines (the training mean fractions; the
    training set's most common majority polymorph)."""
    base = train_true.mean(axis=0)
    major = np.bincount(np.argmax(train_true, axis=1), minlength=4).argmax()
    return {
        "n": len(true),
        "mae": float(np.mean(np.abs(pred - true))),
        "mae_baseline": float(np.mean(np.abs(base[None] - true))),
        "mae_per_class": {
            k: float(np.mean(np.abs(pred[:, j] - true[:, j])))
            for j, k in enumerate(POLYMORPH_COLUMNS)
        },
        "majority_accuracy": float(np.mean(np.argmax(pred, 1) == np.argmax(true, 1))),
        "majority_accuracy_baseline": float(np.mean(np.argmax(true, 1) == major)),
        "baseline_class": POLYMORPH_COLUMNS[int(major)],
    }
