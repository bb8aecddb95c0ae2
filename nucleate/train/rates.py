"""T_n against cooling rate: the rate head (:class:`nucleate.models.rate_head.RateHead`) fitted on
the rows of a several-rate data set (:func:`nucleate.data.rates.rate_rows`), and its scores on
held-out substrates and a held-out rate."""

from __future__ import annotations

import numpy as np

from nucleate.models.rate_head import RateHead


def _arrays(rows: list[dict]):
    return (np.array([r[k] for r in rows], dtype=float) for k in ("tn_ref", "rate", "tn"))


def fit_head(
    rows: list[dict], rate_ref: float, degree: int | None = None, descriptors: dict | None = None
) -> RateHead:
    """The head on every row with T_n known at both its rate and the reference rate; quadratic
    in log rate when the rows hold two or more rates besides the reference (else linear). With
    ``descriptors`` (``{"names": [...], "values": {id: vector}, "settings": {...}}``) the slope
    reads those liquid descriptors of each substrate too."""
    tn_ref, rate, tn = _arrays(rows)
    others = {r for r, t, t0 in zip(rate, tn, tn_ref, strict=True)
              if r != rate_ref and np.isfinite(t) and np.isfinite(t0)}  # fmt: skip
    if degree is None:
        degree = 2 if len(others) >= 2 else 1
    if descriptors is None:
        return RateHead.fit(tn_ref, rate, tn, rate_ref, degree=degree)
    values = np.array([descriptors["values"][r["id"]] for r in rows], dtype=float)
    return RateHead.fit(tn_ref, rate, tn, rate_ref, degree=degree, values=values,
                        descriptors=descriptors["names"],
                        featurizer_settings=descriptors.get("settings"))  # fmt: skip


def predict_rows(
    head: RateHead, rows: list[dict], reference: dict | None = None,
    descriptors: dict | None = None,
):  # fmt: skip
    """Predicted T_n and σ of each row: from the measured ``tn_ref`` or, with ``reference``
    (id -> (T_n, σ) at the reference rate, e.g. a model's prediction), from that; a head with
    descriptors reads each row's from ``descriptors["values"]``."""
    if reference is None:
        t0 = np.array([r["tn_ref"] for r in rows])
        s0 = np.zeros(len(rows))
    else:
        t0 = np.array([reference[r["id"]][0] for r in rows])
        s0 = np.array([reference[r["id"]][1] for r in rows])
    rate = np.array([r["rate"] for r in rows])
    values = None
    if head.descriptors:
        values = np.array([descriptors["values"][r["id"]] for r in rows], dtype=float)
    return head.predict(t0, s0, rate, values)


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


def held_out_rate(rows: list[dict], rate_ref: float, held: float, descriptors: dict | None = None):
    """T_n at rate ``held`` from a head fitted on the other rates only (the reference rate and
    the rest), for every substrate: a rate the head never saw."""
    train = [r for r in rows if r["rate"] != held]
    test = [r for r in rows if r["rate"] == held]
    head = fit_head(train, rate_ref, descriptors=descriptors)
    pred, std = predict_rows(head, test, descriptors=descriptors)
    return test, pred, std


def score(
    rows: list[dict], pred: np.ndarray, std: np.ndarray | None = None, floor: float | None = None
) -> dict:
    """RMSE, bias and ±2σ coverage over the rows whose T_n is known (where a prediction is
    given); with ``floor``, also how many censored rows (no crystal above the floor) the
    prediction places below the floor (within 2σ when ``std`` is given)."""
    tn = np.array([r["tn"] for r in rows])
    ok = np.isfinite(tn) & np.isfinite(pred)
    out: dict = {"n": int(ok.sum())}
    if ok.any():
        err = pred[ok] - tn[ok]
        out.update(rmse=float(np.sqrt(np.mean(err**2))), bias=float(err.mean()))
        if std is not None:
            out["coverage_2sigma"] = float(np.mean(np.abs(err) <= 2 * std[ok]))
    cens = np.array([r["censored"] for r in rows]) & np.isfinite(pred)
    if floor is not None and cens.any():
        low = pred[cens] - (0.0 if std is None else 2 * std[cens])
        out["censored"] = int(cens.sum())
        out["censored_below_floor"] = float(np.mean(low < floor))
    return out
