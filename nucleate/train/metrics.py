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
