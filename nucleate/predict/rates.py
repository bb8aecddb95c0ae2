"""T_n of predicted substrates at the cooling rates a user asks for: the rate head
(:class:`nucleate.models.rate_head.RateHead`) on the T_n a model gives at its own protocol's rate,
the ranking at each rate, written beside the prediction."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from nucleate.errors import InputError
from nucleate.models.rate_head import RateHead
from nucleate.resources import resolve, where_looked


def load_rate_head(path: str, models) -> RateHead:
    """The rate model at ``path`` (bundled ones found from anywhere), refused when its reference
    rate is not the rate of the models' own protocol (their T_n is the answer at that rate)."""
    found = resolve(path)
    if not found.exists():
        raise InputError(f"rate model {path} not found ({where_looked(path)})")
    head = RateHead.load(found)
    campaign = models[0].hparams.meta.get("campaign") or {}
    rate = (campaign.get("ramp") or {}).get("rate")
    if rate is None:
        raise InputError("the model carries no protocol rate: it cannot be moved to another rate")
    if abs(float(rate) - head.rate_ref) > 1e-12 * max(1.0, head.rate_ref):
        raise InputError(
            f"the model's T_n is at rate {float(rate):g}, the rate model starts from "
            f"{head.rate_ref:g}: they do not fit together"
        )
    return head


def head_descriptors(head: RateHead, results: list[dict], frames_of) -> np.ndarray | None:
    """(results, descriptors): the liquid descriptors a rate head's slope reads, computed from
    each result's frames (``frames_of(result)``) as the head was fitted; None for a head that
    reads none."""
    if not head.descriptors:
        return None
    from nucleate.featurize.pipeline import build

    featurizer = build("descriptors", head.featurizer_settings)
    out = []
    for r in results:
        values = featurizer(list(frames_of(r)))
        missing = [n for n in head.descriptors if not np.isfinite(values.get(n, np.nan))]
        if missing:
            raise InputError(f"{r['id']}: the rate model reads {', '.join(missing)}, undefined "
                             "for this interface (no second liquid layer?)")  # fmt: skip
        out.append([values[n] for n in head.descriptors])
    return np.array(out, dtype=float)


def at_rates(
    results: list[dict], head: RateHead, rates: list[float], values: np.ndarray | None = None
) -> list[dict]:
    """Each result's T_n and σ at every rate (``by_rate``, in place); returns the rows of
    rates.csv, ranked per rate (1 = the highest T_n at that rate). A head whose slope reads
    descriptors needs their ``values`` (see :func:`head_descriptors`)."""
    outside = head.check_rates(rates)
    tn = np.array([r["tn"] for r in results])
    sd = np.array([r["tn_std"] for r in results])
    rows = []
    for rate, extrapolated in zip(rates, outside, strict=True):
        mean, std = head.predict(tn, sd, np.full(len(results), rate), values)
        rank = np.argsort(np.argsort(-mean)) + 1
        for r, m, s, k in zip(results, mean, std, rank, strict=True):
            entry = {"rate": float(rate), "tn": float(m), "tn_std": float(s),
                     "rank": int(k), "extrapolated": bool(extrapolated)}  # fmt: skip
            r.setdefault("by_rate", []).append(entry)
            rows.append({"id": r["id"], **entry})
    return rows


def write_rates(rows: list[dict], path: Path) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, ["id", "rate", "tn", "tn_std", "rank", "extrapolated"])
        w.writeheader()
        w.writerows({**r, "tn": f"{r['tn']:.5g}", "tn_std": f"{r['tn_std']:.3g}"} for r in rows)
    return path


def print_rates(results: list[dict], rates: list[float], head: RateHead) -> None:
    """The table of T_n ± σ (rank) per substrate and rate."""
    width = max(len(r["id"]) for r in results)
    fitted = ", ".join(f"{x:g}" for x in head.rates)
    print(f"T_n at the cooling rates asked for (rank at each rate; rate model fitted on {fitted}):")
    print(" " * (width + 2) + "".join(f"rate {x:g}".ljust(26) for x in rates))
    for r in results:
        cells = [f"{e['tn']:.4f} ± {e['tn_std']:.4f} ({e['rank']})" for e in r["by_rate"]]
        print(f"{r['id']:<{width}}  " + "".join(c.ljust(26) for c in cells))
    if any(e["extrapolated"] for e in results[0]["by_rate"]):
        print("rates beyond those the rate model was fitted on are extrapolated: read them as a "
              "trend, not a number")  # fmt: skip
