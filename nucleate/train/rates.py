"""T_n against cooling rate: the table of a several-rate data set, the rate head fitted on it
(:class:`nucleate.models.rate_head.RateHead`), its scores on held-out substrates and a held-out
rate, and the checks against classical nucleation theory."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import spearmanr

from nucleate.data import dataset
from nucleate.errors import InputError
from nucleate.models.rate_head import RateHead


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


def _arrays(rows: list[dict]):
    return (np.array([r[k] for r in rows], dtype=float) for k in ("tn_ref", "rate", "tn"))


def fit_head(rows: list[dict], rate_ref: float, degree: int | None = None) -> RateHead:
    """The head on every row with T_n known at both its rate and the reference rate; quadratic
    in log rate when the rows hold two or more rates besides the reference (else linear)."""
    tn_ref, rate, tn = _arrays(rows)
    others = {r for r, t, t0 in zip(rate, tn, tn_ref, strict=True)
              if r != rate_ref and np.isfinite(t) and np.isfinite(t0)}  # fmt: skip
    if degree is None:
        degree = 2 if len(others) >= 2 else 1
    return RateHead.fit(tn_ref, rate, tn, rate_ref, degree=degree)


def predict_rows(head: RateHead, rows: list[dict], reference: dict | None = None):
    """Predicted T_n and σ of each row: from the measured ``tn_ref`` or, with ``reference``
    (id -> (T_n, σ) at the reference rate, e.g. a model's prediction), from that."""
    if reference is None:
        t0 = np.array([r["tn_ref"] for r in rows])
        s0 = np.zeros(len(rows))
    else:
        t0 = np.array([reference[r["id"]][0] for r in rows])
        s0 = np.array([reference[r["id"]][1] for r in rows])
    rate = np.array([r["rate"] for r in rows])
    return head.predict(t0, s0, rate)


def leave_one_substrate_out(rows: list[dict], rate_ref: float, reference: dict | None = None):
    """Each substrate's T_n at every rate from a head fitted on the other substrates."""
    ids = [r["id"] for r in rows]
    pred, std = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    for sid in dict.fromkeys(ids):
        mine = np.array([i == sid for i in ids])
        head = fit_head([r for r, m in zip(rows, mine, strict=True) if not m], rate_ref)
        p, s = predict_rows(head, [r for r, m in zip(rows, mine, strict=True) if m], reference)
        pred[mine], std[mine] = p, s
    return pred, std


def held_out_rate(rows: list[dict], rate_ref: float, held: float):
    """T_n at rate ``held`` from a head fitted on the other rates only (the reference rate and
    the rest), for every substrate: a rate the head never saw."""
    train = [r for r in rows if r["rate"] != held]
    test = [r for r in rows if r["rate"] == held]
    head = fit_head(train, rate_ref)
    pred, std = predict_rows(head, test)
    return test, pred, std


def score(rows: list[dict], pred: np.ndarray, std: np.ndarray | None = None) -> dict:
    """RMSE, bias and ±2σ coverage over rows whose T_n is known at their rate and the reference
    (censored rows and rows at the reference rate itself are not scored)."""
    tn = np.array([r["tn"] for r in rows])
    ok = np.isfinite(tn) & np.isfinite(pred)
    if not ok.any():
        return {"n": 0}
    err = pred[ok] - tn[ok]
    out = {"n": int(ok.sum()), "rmse": float(np.sqrt(np.mean(err**2))),
           "bias": float(err.mean())}  # fmt: skip
    if std is not None:
        out["coverage_2sigma"] = float(np.mean(np.abs(err) <= 2 * std[ok]))
    return out


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
    return {
        "n": len(ids), "fast": fast, "slow": slow,
        "spearman_fast_slow": float(spearmanr(m_fast, m_slow).statistic),
        "predicted_spearman_fast_slow": float(spearmanr(p_fast, p_slow).statistic),
        "rank_changes": int(np.count_nonzero(dm)), "max_rank_change": int(np.abs(dm).max()),
        "spearman_rank_change": float(spearmanr(dm, dp).statistic) if np.ptp(dm) else None,
    }  # fmt: skip


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
