"""Labels at several cooling rates: the table of a several-rate data set (one row per substrate
and rate), the change of the substrates' ranking between rates, and the measured T_n(rate)
curves against classical nucleation theory."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import spearmanr

from nucleate.data import dataset
from nucleate.errors import InputError


def rate_rows(root) -> tuple[list[dict], float]:
    """One row per substrate and rate of a several-rate data set (``labels_by_rate``), with the
    substrate's T_n at the primary rate as ``tn_ref`` (NaN where censored); and the primary
    rate."""
    campaign = dataset.campaign_config(root)
    rate_ref = float(campaign["ramp"]["rate"])
    rows = []
    for record in dataset.iter_records(root):
        by_rate = record.get("labels_by_rate")
        if not by_rate:
            continue
        ref = record["labels"]
        tn_ref = math.nan if ref.get("tn") is None else float(ref["tn"])
        for key, labels in by_rate.items():
            if not labels.get("n_ramps"):
                continue
            rows.append({
                "id": record["id"], "family": record.get("family", ""),
                "eps_sl": record["parameters"].get("eps_sl"), "rate": float(key),
                "tn": math.nan if labels.get("tn") is None else float(labels["tn"]),
                "tn_std": labels.get("tn_std"), "censored": bool(labels.get("tn_censored")),
                "n_ramps": labels.get("n_ramps", 0), "tn_ref": tn_ref,
            })  # fmt: skip
    if not rows:
        raise InputError(f"{root}: no sample has labels at several rates (labels_by_rate)")
    return rows, rate_ref


def by_substrate(rows: list[dict], values: np.ndarray | None = None) -> dict[str, dict]:
    """id -> {rate: T_n} (measured, or ``values`` aligned with ``rows``)."""
    out: dict[str, dict] = {}
    for k, r in enumerate(rows):
        out.setdefault(r["id"], {})[r["rate"]] = r["tn"] if values is None else values[k]
    return out


def rank_change(rows: list[dict], pred: np.ndarray) -> dict:
    """Between the fastest and the slowest rate: the substrates' measured rank correlation, and
    how well the predicted change of each substrate's rank follows the measured one (Spearman),
    over substrates with T_n known at both."""
    rates = sorted({r["rate"] for r in rows})
    fast, slow = rates[-1], rates[0]
    measured, predicted = by_substrate(rows), by_substrate(rows, pred)
    ids = [i for i, m in measured.items()
           if all(np.isfinite(m.get(x, np.nan)) for x in (fast, slow))
           and all(np.isfinite(predicted[i].get(x, np.nan)) for x in (fast, slow))]  # fmt: skip
    if len(ids) < 4:
        return {"n": len(ids)}

    def ranks(values):
        return np.argsort(np.argsort(-np.asarray(values)))

    m_fast, m_slow = (np.array([measured[i][x] for i in ids]) for x in (fast, slow))
    p_fast, p_slow = (np.array([predicted[i][x] for i in ids]) for x in (fast, slow))
    dm = ranks(m_slow) - ranks(m_fast)
    dp = ranks(p_slow) - ranks(p_fast)
    noise = _shift_noise(rows, ids, fast, slow)
    shift_var = float(np.var(m_slow - m_fast, ddof=1))
    return {
        # how much of the substrates' spread in T_n(slow) - T_n(fast) is more than ramp noise
        "shift_variance": shift_var, "shift_noise_variance": noise,
        "shift_reliability": (1.0 - noise / shift_var) if shift_var > 0 and noise is not None
        else None,
        "n": len(ids), "fast": fast, "slow": slow,
        "spearman_fast_slow": float(spearmanr(m_fast, m_slow).statistic),
        "predicted_spearman_fast_slow": float(spearmanr(p_fast, p_slow).statistic),
        "rank_changes": int(np.count_nonzero(dm)), "max_rank_change": int(np.abs(dm).max()),
        "spearman_rank_change": float(spearmanr(dm, dp).statistic) if np.ptp(dm) else None,
    }  # fmt: skip


def _shift_noise(rows: list[dict], ids: list[str], fast: float, slow: float) -> float | None:
    """Mean noise variance of a substrate's measured T_n(slow) - T_n(fast): the squared standard
    error of each rate's mean over its ramps, added (None where a spread is missing)."""
    err = {(r["id"], r["rate"]): (r.get("tn_std"), r.get("n_ramps") or 0) for r in rows}
    total = []
    for i in ids:
        parts = [err.get((i, x), (None, 0)) for x in (fast, slow)]
        if any(s is None or n < 2 for s, n in parts):
            return None
        total.append(sum(float(s) ** 2 / n for s, n in parts))
    return float(np.mean(total))


def cnt_check(rows: list[dict], rate_ref: float, t_m: float | None = None) -> dict:
    """The measured T_n(rate) curves against what classical nucleation theory expects for a
    ramp: T_n falls with log rate, more steeply for weak nucleators, the slope d T_n / d log10 r
    proportional to the undercooling T_m - T_n (so a line of slope against T_n(r0) crosses zero
    near T_m). Per substrate with T_n known at every rate: its least-squares slope."""
    per = by_substrate(rows)
    rates = sorted({r["rate"] for r in rows})
    ref = {r["id"]: r["tn_ref"] for r in rows}
    slopes, t0, falling = [], [], []
    for sid, m in per.items():
        if not all(np.isfinite(m.get(x, np.nan)) for x in rates):
            continue
        x = np.log10(np.array(rates))
        y = np.array([m[r] for r in rates])
        slopes.append(float(np.polyfit(x, y, 1)[0]))
        t0.append(ref[sid])
        falling.append(bool(np.all(np.diff(y) < 0)))  # from the slowest rate up: T_n falls
    out = {"n": len(slopes), "rates": rates}
    if len(slopes) < 3:
        return out
    slopes, t0 = np.array(slopes), np.array(t0)
    b, a = np.polyfit(t0, slopes, 1)
    out.update(
        slope_mean=float(slopes.mean()),
        negative_slope_fraction=float(np.mean(slopes < 0)),
        monotonic_fraction=float(np.mean(falling)),
        # slope = a + b T_n(r0): CNT expects b > 0 (weak nucleators, low T_n, steeper) and the
        # line to reach zero slope near T_m
        slope_vs_tn_ref=[float(a), float(b)],
        pearson_slope_tn_ref=float(np.corrcoef(t0, slopes)[0, 1]),
        zero_slope_at=float(-a / b) if b != 0 else None,
        t_m=t_m,
        per_substrate={"slope": slopes.tolist(), "tn_ref": t0.tolist()},
    )
    return out
