"""T_n against cooling rate: held-out substrates at every rate, a held-out rate, the change of the
substrates' ranking between the fastest and the slowest rate, and the measured curves against
classical nucleation theory.

    .venv/bin/python benchmarks/tn_rates.py [--data data/lj-fcc-v1-rates]
        [--union data/lj-fcc-v1 data/lj-mix-v1] [--folds 5] [--seed 0]
        [--ship models/lj-fcc-v1-rates/rate-head] [--reference MODEL_DIR] [--name tn_rates]

Routes, each scored on substrates it never saw (K folds over the several-rate substrates; a
fold's substrates are also removed from every training set of the reference-rate model):
- *ignore the rate*: the descriptor model of the reference rate (``--reference``, by default
  models/lj-mix-v1/descriptors-liquid: its regressor on its columns, refitted on the union
  without the fold), its T_n given at every rate;
- *rate head*: :class:`nucleate.models.rate_head.RateHead` on that model's T_n(r0), fitted on
  the other substrates' measured shifts (also scored on the measured T_n(r0): the head alone);
- *rate head + liquid descriptors*: the same head whose slope also reads the liquid descriptors
  of models/lj-mix-v1/descriptors-liquid of each substrate (what lets two substrates of equal
  T_n(r0) change rank);
- *direct*: the reference model's regressor with log10(rate) as one more input, trained on all
  rates at once (the union at r0 and the other substrates' rows at every rate).
The held-out rate: a route fitted without any row at that rate predicts it for every substrate.
Goal lines (issue on cooling rate): held-out substrates RMSE over all rates ≤ 0.25 × std(T_n).
Writes benchmarks/results/tn_rates.{json,md}; ``--ship`` writes the head fitted on every
substrate with these scores and a card.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from results_io import write_results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nucleate.data.dataset import campaign_config  # noqa: E402
from nucleate.data.rates import cnt_check, rank_change, rate_rows  # noqa: E402
from nucleate.featurize.pipeline import featurize_dataset  # noqa: E402
from nucleate.models.descriptor_model import predictive_std  # noqa: E402
from nucleate.models.regressors import make_regressor  # noqa: E402
from nucleate.train.rates import fit_head, held_out_rate, predict_rows, score  # noqa: E402

LIQUID_MODEL = ROOT / "models" / "lj-mix-v1" / "descriptors-liquid"
ROUTES = {"ignore": "ignore the rate", "head_measured": "rate head on measured T_n(r0)",
          "head": "rate head on predicted T_n(r0)",
          "head_desc_measured": "rate head + liquid descriptors in the slope, on measured T_n(r0)",
          "head_desc": "rate head + liquid descriptors in the slope, on predicted T_n(r0)",
          "direct": "direct, log rate an input"}  # fmt: skip


def union_table(union: list[str], out: Path, columns: list[str], settings: dict | None = None):
    """ids, descriptor matrix (these columns), T_n and censoring of the union, featurized with
    ``settings`` (the reference model's: e.g. its bond order; the other columns do not change)."""
    data = out / "union"
    subprocess.run([str(ROOT / ".venv" / "bin" / "nucleate"), "generate", "--join",
                    "[" + ", ".join(union) + "]", "--out", str(data)], check=True, cwd=ROOT)  # fmt: skip
    feats = featurize_dataset(data, "descriptors", settings, out / "union-features", progress=False)
    table = {r["id"]: r for r in csv.DictReader(open(feats / "descriptors.csv"))}
    rows = list(csv.DictReader(open(data / "manifest.csv")))
    ids = [r["id"] for r in rows]
    X = np.array([[float(table[i][c]) for c in columns] for i in ids])
    y = np.array([float(r["tn"]) if r["tn"] else np.nan for r in rows])
    return ids, X, y


def direct_set(X0, y0, X1, logr1, y1, r0):
    """The direct route's training set: substrates at r0 (log10 r0 as the last input) and rows at
    other rates (their log10 rate)."""
    X = np.vstack([np.column_stack([X0, np.full(len(X0), np.log10(r0))]),
                   np.column_stack([X1, logr1])])  # fmt: skip
    return X, np.concatenate([y0, y1])


def _shown(path: str) -> str:
    """A path as the results show it: relative to the repository when inside it."""
    p = Path(path).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def fit_predict(X, y, Xq, seed, regressor):
    model = make_regressor(regressor, seed).fit(X, y)
    return model.predict(Xq), predictive_std(model, Xq)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="data/lj-fcc-v1-rates")
    ap.add_argument("--union", nargs="+", default=["data/lj-fcc-v1", "data/lj-mix-v1"])
    ap.add_argument("--out", default="runs/bench/rates")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ship", default=None, help="write the head fitted on every substrate here")
    ap.add_argument("--reference", default=str(LIQUID_MODEL),
                    help="descriptor model (a select run or shipped model) whose regressor and "
                    "columns give T_n at the reference rate")  # fmt: skip
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--name", default="tn_rates", help="RESULTS/NAME.{json,md}")
    ap.add_argument("--plain_head", action="store_true",
                    help="ship the head whose slope reads T_n(r0) alone (default: and the liquid "
                    "descriptors)")  # fmt: skip
    args = ap.parse_args()
    out = (ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    rows, r0 = rate_rows(ROOT / args.data)
    floor = float(campaign_config(ROOT / args.data)["ramp"]["t_floor"])
    columns = json.loads((LIQUID_MODEL / "model.json").read_text())["columns"]
    ref = json.loads((Path(args.reference) / "model.json").read_text())
    wanted = list(dict.fromkeys(columns + ref["columns"]))
    uid, both, uy = union_table(args.union, out, wanted, ref.get("featurizer_settings"))
    UX = both[:, : len(columns)]  # the liquid descriptors of the slope
    RX = both[:, [wanted.index(c) for c in ref["columns"]]]  # the reference model's columns
    regressor = ref.get("regressor", "gp_trees")
    row_of = {i: k for k, i in enumerate(uid)}
    settings = json.loads((out / "union-features" / "featurizer.json").read_text())["settings"]
    desc = {"names": columns, "values": {i: UX[k] for i, k in row_of.items()}, "settings": settings}
    missing = sorted({r["id"] for r in rows} - set(row_of))
    if missing:
        raise SystemExit(f"substrates of {args.data} not in the union: {missing[:5]}")
    sub_ids = sorted({r["id"] for r in rows})
    rng = np.random.default_rng(args.seed)
    fold_of = {i: k % args.folds for k, i in enumerate(rng.permutation(sub_ids))}
    n = len(rows)
    rate = np.array([r["rate"] for r in rows])
    logr = np.log10(rate)
    pred = {k: np.full(n, np.nan) for k in ROUTES}
    std = {k: np.full(n, np.nan) for k in ROUTES}
    reference = {}
    for fold in range(args.folds):
        test_ids = {i for i, f in fold_of.items() if f == fold}
        te = np.array([r["id"] in test_ids for r in rows])
        keep = np.array([i not in test_ids for i in uid]) & np.isfinite(uy)
        Xq = RX[[row_of[r["id"]] for r in np.array(rows)[te]]]
        mu, sd = fit_predict(RX[keep], uy[keep], Xq, args.seed, regressor)
        for r, m, s in zip(np.array(rows)[te], mu, sd, strict=True):
            reference[r["id"]] = (float(m), float(s))
        pred["ignore"][te], std["ignore"][te] = mu, sd
        train_rows = [r for r, t in zip(rows, te, strict=True) if not t]
        head = fit_head(train_rows, r0)
        test_rows = [r for r, t in zip(rows, te, strict=True) if t]
        pred["head_measured"][te], std["head_measured"][te] = predict_rows(head, test_rows)
        at_ref = te & (rate == r0)  # the measured reference itself: not a prediction
        pred["head_measured"][at_ref] = np.nan
        pred["head"][te], std["head"][te] = predict_rows(head, test_rows, reference)
        head_d = fit_head(train_rows, r0, descriptors=desc)
        p, s = predict_rows(head_d, test_rows, descriptors=desc)
        pred["head_desc_measured"][te], std["head_desc_measured"][te] = p, s
        pred["head_desc_measured"][at_ref] = np.nan
        p, s = predict_rows(head_d, test_rows, reference, descriptors=desc)
        pred["head_desc"][te], std["head_desc"][te] = p, s
        # direct: the union at r0 and the training substrates' rows at the other rates
        other = [k for k, r in enumerate(rows) if not te[k] and r["rate"] != r0
                 and np.isfinite(r["tn"])]  # fmt: skip
        Xd, yd = direct_set(RX[keep], uy[keep], RX[[row_of[rows[k]["id"]] for k in other]],
                            logr[other], [rows[k]["tn"] for k in other], r0)  # fmt: skip
        Xdq = np.column_stack([RX[[row_of[r["id"]] for r in test_rows]], logr[te]])
        pred["direct"][te], std["direct"][te] = fit_predict(Xd, yd, Xdq, args.seed, regressor)
        print(f"fold {fold + 1}/{args.folds}: {len(test_ids)} substrates", flush=True)

    tn = np.array([r["tn"] for r in rows])
    known = np.isfinite(tn)
    std_tn = float(np.std(tn[known]))
    rates = sorted(set(rate))
    results = {"data": args.data, "union": args.union, "rate_ref": r0, "rates": rates,
               "n_substrates": len(sub_ids), "n_rows": n, "n_known": int(known.sum()),
               "std_tn": std_tn, "t_floor": floor, "folds": args.folds, "columns": columns,
               "reference": {"model": _shown(args.reference), "regressor": regressor,
                             "columns": ref["columns"]}, "routes": {}}  # fmt: skip
    for key, name in ROUTES.items():
        per_rate = {f"{x:g}": score([r for r in rows if r["rate"] == x], pred[key][rate == x],
                                    std[key][rate == x]) for x in rates}  # fmt: skip
        results["routes"][key] = {
            "name": name,
            "all_rates": score(rows, pred[key], std[key], floor),
            "other_rates": score(
                [r for r in rows if r["rate"] != r0], pred[key][rate != r0], std[key][rate != r0]
            ),
            "per_rate": per_rate,
            "rank_change": rank_change(rows, pred[key]),
        }
    held = {}
    for x in rates:
        if x == r0:
            continue
        test, p, s = held_out_rate(rows, r0, x)
        held[f"{x:g}"] = {"head_measured": score(test, p, s)}
        _, p, s = held_out_rate(rows, r0, x, desc)
        held[f"{x:g}"]["head_desc_measured"] = score(test, p, s)
        # direct without that rate: every union substrate at r0, the other rates' rows
        other = [k for k, r in enumerate(rows) if r["rate"] not in (x, r0) and np.isfinite(r["tn"])]
        keep = np.isfinite(uy)
        Xd, yd = direct_set(RX[keep], uy[keep], RX[[row_of[rows[k]["id"]] for k in other]],
                            logr[other], [rows[k]["tn"] for k in other], r0)  # fmt: skip
        Xdq = np.column_stack(
            [RX[[row_of[r["id"]] for r in test]], np.full(len(test), np.log10(x))]
        )
        pd_, sd_ = fit_predict(Xd, yd, Xdq, args.seed, regressor)
        held[f"{x:g}"]["direct_in_sample_r0"] = score(test, pd_, sd_)
        ignore = np.array([r["tn_ref"] for r in test])
        held[f"{x:g}"]["ignore_measured"] = score(test, ignore)
    results["held_out_rate"] = held
    t_m = _t_m(ROOT / args.union[0])
    results["cnt_measured"] = cnt_check(rows, r0, t_m)
    predicted_rows = [{**r, "tn": float(p)} for r, p in zip(rows, pred["head"], strict=True)]
    results["cnt_predicted_head"] = cnt_check(predicted_rows, r0, t_m)
    results["censored_by_rate"] = {f"{x:g}": int(sum(r["censored"] for r in rows
                                                     if r["rate"] == x)) for x in rates}  # fmt: skip
    table = render(results)
    figure = _figure(rows, pred["head"], std["head"], reference, out / "tn_rates.png")
    if args.ship:
        _ship(rows, r0, results, ROOT / args.ship, figure, None if args.plain_head else desc)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    write_results(args.name, results, table, Path(args.results))
    print(table)


def _t_m(root: Path) -> float | None:
    path = root / "calibration.json"
    return json.loads(path.read_text()).get("t_m") if path.exists() else None


def _f(v, spec=".4f") -> str:
    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, spec)


def render(res: dict) -> str:
    std = res["std_tn"]
    rates = [f"{x:g}" for x in res["rates"]]
    lines = [
        f"{res['n_substrates']} substrates of {res['data']} at rates {', '.join(rates)} "
        f"(reference {res['rate_ref']:g}); {res['n_known']} of {res['n_rows']} substrate-rate "
        f"pairs crystallised above the floor (censored per rate: "
        + ", ".join(f"{k}: {v}" for k, v in res["censored_by_rate"].items())
        + f"); std(T_n) over them {std:.4f}. Held-out substrates: {res['folds']} folds, a fold's "
        "substrates removed from every training set."
        + (
            f" Predicted T_n(r0): `{res['reference']['model']}` ({res['reference']['regressor']} "
            f"on its {len(res['reference']['columns'])} descriptors, refitted without the fold)."
            if res.get("reference")
            else ""
        ),
        "",
        "| route | RMSE, all rates | × std | ±2σ cover | RMSE at the other rates | "
        + " | ".join(f"RMSE at {r}" for r in rates)
        + " | Spearman of rank changes | censored pairs placed below the floor |",
        "|---|---|---|---|---|" + "---|" * len(rates) + "---|---|",
    ]
    for route in res["routes"].values():
        a, o = route["all_rates"], route["other_rates"]
        cells = [_f(route["per_rate"][r].get("rmse")) for r in rates]
        lines.append(
            f"| {route['name']} | {_f(a.get('rmse'))} | {_f(a.get('rmse', np.nan) / std, '.2f')} | "
            f"{_f(a.get('coverage_2sigma'), '.2f')} | {_f(o.get('rmse'))} | "
            + " | ".join(cells)
            + f" | {_f(route['rank_change'].get('spearman_rank_change'), '.2f')} | "
            f"{_f(a.get('censored_below_floor'), '.2f')} of {a.get('censored', 0)} |"
        )
    lines += ["", "Held-out rate (no row at that rate in any fit; the head from the measured "
              "T_n(r0)):", "", "| held-out rate | ignore the rate | rate head | ±2σ cover | "
              "rate head + descriptors | ±2σ cover | "
              "direct (substrates seen at r0) | ±2σ cover |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for r, h in res["held_out_rate"].items():
        hd = h.get("head_desc_measured", {})
        lines.append(
            f"| {r} | {_f(h['ignore_measured'].get('rmse'))} | {_f(h['head_measured'].get('rmse'))}"
            f" | {_f(h['head_measured'].get('coverage_2sigma'), '.2f')} | {_f(hd.get('rmse'))} | "
            f"{_f(hd.get('coverage_2sigma'), '.2f')} | "
            f"{_f(h['direct_in_sample_r0'].get('rmse'))} | "
            f"{_f(h['direct_in_sample_r0'].get('coverage_2sigma'), '.2f')} |"
        )
    rc = res["routes"]["head"]["rank_change"]
    c = res["cnt_measured"]
    lines += [
        "",
        f"Ranking between the fastest ({_f(rc.get('fast'), 'g')}) and the slowest "
        f"({_f(rc.get('slow'), 'g')}) rate, {rc.get('n')} substrates with T_n at both: measured "
        f"Spearman {_f(rc.get('spearman_fast_slow'), '.3f')}, {rc.get('rank_changes')} substrates "
        f"change rank (at most by {rc.get('max_rank_change')}). The shift T_n(slow) − "
        f"T_n(fast) varies between substrates by a variance {_f(rc.get('shift_variance'), '.5f')}, "
        f"of which the ramps' own noise is {_f(rc.get('shift_noise_variance'), '.5f')} "
        f"(reliability {_f(rc.get('shift_reliability'), '.2f')}): the rank changes are mostly real.",
        "",
        f"Classical nucleation theory (measured curves, {c['n']} substrates with T_n at every "
        f"rate): T_n falls with the rate on {_f(c.get('monotonic_fraction'), '.2f')} of them "
        f"(slope negative on {_f(c.get('negative_slope_fraction'), '.2f')}, mean "
        f"dT_n/dlog10 r = {_f(c.get('slope_mean'))}); the slope against T_n(r0): Pearson "
        f"{_f(c.get('pearson_slope_tn_ref'), '.2f')}, zero slope at T_n = "
        f"{_f(c.get('zero_slope_at'), '.3f')} (T_m = {_f(c.get('t_m'), '.3f')}; CNT: steeper for "
        "weak nucleators, zero near T_m).",
    ]
    return "\n".join(lines)


def _figure(rows, pred, std, reference, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = sorted({r["id"] for r in rows}, key=lambda i: -next(r["tn_ref"] for r in rows
                                                            if r["id"] == i))  # fmt: skip
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    cmap = plt.get_cmap("viridis")
    for k, sid in enumerate(ids):
        mine = [j for j, r in enumerate(rows) if r["id"] == sid]
        order = sorted(mine, key=lambda j: rows[j]["rate"])
        x = [rows[j]["rate"] for j in order]
        c = cmap(k / max(len(ids) - 1, 1))
        ax.plot(x, [rows[j]["tn"] for j in order], "o", color=c, ms=4)
        ax.plot(x, [pred[j] for j in order], "-", color=c, lw=1, alpha=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("cooling rate (ε/k_B per τ)")
    ax.set_ylabel("T_n (ε/k_B)")
    ax.set_title("measured (points) and predicted for unseen substrates (lines)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _ship(rows, r0, results, dest: Path, figure: Path, desc: dict | None) -> None:
    import shutil

    head = fit_head(rows, r0, descriptors=desc)
    head.metrics = {k: results[k] for k in ("data", "rates", "rate_ref", "n_substrates", "std_tn")}
    head.metrics["route"] = "head_desc" if desc else "head"
    head.metrics["held_out_substrates"] = {
        k: results["routes"][k]["all_rates"]
        for k in ("head", "head_measured", "head_desc", "head_desc_measured", "ignore")
    }
    head.metrics["rank_change"] = results["routes"]["head_desc" if desc else "head"]["rank_change"]
    head.metrics["held_out_rate"] = results["held_out_rate"]
    head.save(dest / "rate_head.json")
    shutil.copyfile(figure, dest / "tn_rates.png")
    (dest / "README.md").write_text(card(head, results))


def card(head, results: dict) -> str:
    """The rate model's card, from its fit and the benchmark's scores."""
    key = head.metrics.get("route", "head")
    ho = results["routes"][key]["all_rates"]
    alone = results["routes"][f"{key}_measured"]["all_rates"]
    ignore = results["routes"]["ignore"]["all_rates"]
    plain = results["routes"]["head"]["all_rates"]
    rc = results["routes"][key]["rank_change"]
    coef = ", ".join(f"{c:+.4f}" for c in head.coef[: 2 * head.degree])
    mid = np.array(head.descriptor_mean) if head.descriptors else None  # a typical interface
    s45, s60 = float(head.slope(0.45, mid)), float(head.slope(0.60, mid))
    steeper = (
        "steeper for weak nucleators"
        if s45 < s60 - 0.005
        else "T_n(r0) alone changes it little: the descriptors, which follow T_n, carry how the "
        "slope varies between substrates"
    )
    reads = (f"slope linear in T_n({head.rate_ref:g}) and in {len(head.descriptors)} liquid "
             f"descriptors of the substrate's interface ({', '.join(head.descriptors)}: those of "
             "models/lj-mix-v1/descriptors-liquid, computed from the input's frames)"
             if head.descriptors else f"slope linear in T_n({head.rate_ref:g})")  # fmt: skip
    lines = [
        "# Rate model: T_n at other cooling rates",
        "",
        f"`rate_head.json`: {'quadratic' if head.degree == 2 else 'linear'} in x = log10(r / "
        f"{head.rate_ref:g}), {reads} (see `nucleate.models.rate_head`), fitted by Bayesian "
        f"ridge on {head.n_fit} measured shifts of {results['n_substrates']} substrates of "
        f"`{results['data']}` at rates {', '.join(f'{r:g}' for r in head.rates)}. Used by "
        "`nucleate predict --rate [...]` on top of any T_n model whose protocol rate is "
        f"{head.rate_ref:g} (every model in models/).",
        "",
        f"- Coefficients (x, x·t, x², x²·t; t = T_n(r0) − {head.t_mid:.3f}): {coef}; residual "
        f"σ {head.noise_std:.4f}.",
        f"- Slope dT_n/dlog10 r at r0{' (descriptors at their mean)' if mid is not None else ''}"
        f": {s45:.3f} for T_n(r0) = 0.45, {s60:.3f} for 0.60 ({steeper}).",
        "",
        "Measured by `python benchmarks/tn_rates.py --ship models/lj-fcc-v1-rates/rate-head` "
        f"({results['folds']} folds over the substrates; a fold's substrates removed from every "
        f"fit), over {ho.get('n')} substrate-rate pairs with T_n known, std(T_n) "
        f"{results['std_tn']:.4f}:",
        "",
        "| T_n at every rate of an unseen substrate from | RMSE | ±2σ cover |",
        "|---|---|---|",
        f"| the liquid-descriptor model at r0 + this head | {_f(ho.get('rmse'))} | "
        f"{_f(ho.get('coverage_2sigma'), '.2f')} |",
        *(
            [
                f"| the same with the slope from T_n(r0) alone | {_f(plain.get('rmse'))} | "
                f"{_f(plain.get('coverage_2sigma'), '.2f')} |"
            ]
            if key != "head"
            else []
        ),
        f"| the liquid-descriptor model at r0, rate ignored | {_f(ignore.get('rmse'))} | "
        f"{_f(ignore.get('coverage_2sigma'), '.2f')} |",
        f"| the measured T_n(r0) + this head (the head alone; other rates only) | "
        f"{_f(alone.get('rmse'))} | {_f(alone.get('coverage_2sigma'), '.2f')} |",
        "",
        f"Ranking between the fastest and the slowest rate ({rc.get('n')} substrates): measured "
        f"Spearman {_f(rc.get('spearman_fast_slow'), '.3f')}; the predicted change of each "
        f"substrate's rank against the measured one: Spearman "
        f"{_f(rc.get('spearman_rank_change'), '.2f')}.",
        "",
        "Limits: fitted on LJ films of one protocol; rates more than half a decade beyond the "
        "fitted ones are refused, those beyond the fitted span but within it marked "
        "extrapolated; substrates censored at a rate (no crystal above the floor) are not in "
        "the fit, so for weak nucleators at fast rates the head extrapolates below the data.",
        "",
        "![T_n against rate](tn_rates.png)",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
