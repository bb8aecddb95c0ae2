"""T_n by substrate family: each route trained on the union of lj-fcc-v1 and lj-mix-v1 and scored
(a) on the shared random split by substrate, (b) leaving each family out in turn, (c) with two
whole families held out of all training, selection and tuning, beside predict-the-mean and the
nearest training substrate (in the slab descriptors' standardised space).

    .venv/bin/python benchmarks/tn_families.py [--data data/lj-fcc-v1 data/lj-mix-v1]
        [--out runs/bench/families] [--hold_out fcc111-steps bcc110]
        [--routes select select_bo select_liquid select_liquid_bo select_substrate] [--ensemble 3]
        [--force]
        [--no_trained_lofo] [--threads 1]

Descriptor routes run ``nucleate select`` with configs/select/lj-union*.yaml (no grid parameter
among the descriptors); trained routes (cnn, icepic_vgg, gnn, painn) ``nucleate train --lofo
true`` (one model per family: slow; ``--no_trained_lofo`` trains only the random-split and
held-out models). A trained route's ±2σ coverage is that of its calibrated spread (the one
``nucleate predict`` reports; leaving a family out, each family's model calibrated on its own
validation substrates, drawn from the other families). A finished route is reused unless
``--force``. Writes OUT/results.json and OUT/results.md. Goal lines (issue on substrate
families): leaving one family out, the best liquid-only route ≤ 0.35 × std(T_n) averaged over
families and below the substrate route; on the random split the best route ≤ 0.2 × std(T_n);
±2σ coverage ≥ 0.8 on held-out families.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from results_io import write_results
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
SELECT = {"select": "configs/select/lj-union.yaml",
          "select_bo": "configs/select/lj-union-bo.yaml",
          "select_liquid": "configs/select/lj-union-liquid.yaml",
          "select_liquid_bo": "configs/select/lj-union-liquid-bo.yaml",
          "select_substrate": "configs/select/lj-union-substrate.yaml"}  # fmt: skip
TRAINED = ("cnn", "icepic_vgg", "gnn", "painn")
NAMES = {"select": "descriptors, liquid + substrate",
         "select_bo": "descriptors, liquid + substrate + layer bond order", "select_liquid": "liquid descriptors",
         "select_liquid_bo": "liquid descriptors + layer bond order",
         "select_substrate": "substrate descriptors", "cnn": "CNN (images)",
         "icepic_vgg": "IcePic-like VGG", "gnn": "GNN (graph)", "painn": "PaiNN (graph)"}  # fmt: skip
LIQUID_ONLY = ("select_liquid", "select_liquid_bo", "cnn", "icepic_vgg", "gnn", "painn")
KEYS = ("n", "rmse", "spearman", "coverage_2sigma", "label_noise_rms")


def _exe() -> str:
    return shutil.which("nucleate", path=os.path.dirname(sys.executable)) or "nucleate"


def _run(cmd: list[str], target: Path, force: bool) -> None:
    """Run a route into ``target``: reused when finished; a killed trained route goes on from its
    finished fits (``--resume``); ``force`` starts afresh."""
    if (target / "metrics.json").exists() and not force:
        return
    if force:
        shutil.rmtree(target, ignore_errors=True)
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def run_route(
    route: str,
    data: Path,
    out: Path,
    hold_out: list[str],
    ensemble: int,
    force: bool,
    trained_lofo: bool = True,
    threads: int = 1,
):
    """The route on the random split with leave-one-family-out (for a trained route only when
    ``trained_lofo``), then with ``hold_out`` held out (unless ``hold_out`` is empty)."""
    for suffix, held in (("", []), ("-held", hold_out)) if hold_out else (("", []),):
        target = out / f"{route}{suffix}"
        if route in SELECT:
            cmd = [_exe(), "select", "-c", SELECT[route]]
            if held:  # its held-out score only: leaving each family out again adds nothing
                cmd += ["--leave_one_family_out", "false"]
        else:
            cmd = [_exe(), "train", "-c", f"configs/train/{route}.yaml", "--ensemble",
                   str(ensemble), "--lofo", "true" if trained_lofo and not held else "false",
                   "--loggers", "[csv]", "--threads", str(threads), "--resume", "true"]  # fmt: skip
        cmd += ["--data", str(data), "--out", str(target)]
        if held:
            cmd += ["--hold_out", "[" + ", ".join(held) + "]"]
        _run(cmd, target, force)


def _score(t: np.ndarray, p: np.ndarray, s: np.ndarray | None = None) -> dict:
    out = {"n": len(t), "rmse": float(np.sqrt(np.mean((p - t) ** 2)))}
    out["spearman"] = float(spearmanr(t, p).statistic) if len(t) > 2 else float("nan")
    if s is not None and np.all(np.isfinite(s)):
        out["coverage_2sigma"] = float(np.mean(np.abs(p - t) <= 2 * s))
    return out


def summary(per: dict[str, dict]) -> dict:
    """Leave-one-family-out over all families: the mean of the families' RMSEs (each family
    counts once, however many substrates it has) and the RMSE pooled over every held-out
    substrate (each substrate counts once: the lj-fcc-v1 facets dominate it)."""
    if not per:  # a trained route run without leave-one-family-out
        return {"lofo_mean_rmse": None, "lofo_pooled_rmse": None}
    n = np.array([v["n"] for v in per.values()], dtype=float)
    rmse = np.array([v["rmse"] for v in per.values()])
    return {"lofo_mean_rmse": float(rmse.mean()),
            "lofo_pooled_rmse": float(np.sqrt(np.sum(n * rmse**2) / n.sum()))}  # fmt: skip


def lofo_scores(route: str, out: Path) -> dict[str, dict]:
    """Per held-out family: RMSE, Spearman and (where the route has a σ) ±2σ coverage."""
    metrics = json.loads((out / route / "metrics.json").read_text())
    if route in SELECT:
        chosen = metrics["chosen"]
        rows = [r for r in csv.DictReader(open(out / route / "lofo_predictions.csv"))
                if r["regressor"] == chosen]  # fmt: skip
        result = {}
        for fam in sorted({r["family"] for r in rows}):
            sel = [r for r in rows if r["family"] == fam]
            t = np.array([float(r["tn"]) for r in sel])
            p = np.array([float(r["predicted"]) for r in sel])
            s = np.array([float(r["predicted_std"]) if r["predicted_std"] else np.nan for r in sel])
            result[fam] = _score(t, p, s)
        return result
    return {fam: _keys(v) for fam, v in metrics.get("leave_one_family_out", {}).items()}


def baselines(data: Path, out: Path) -> dict[str, dict[str, dict]]:
    """Leave one family out: predict the other families' mean; predict the T_n of the nearest
    training substrate by the standardised slab descriptors (no grid parameter)."""
    from nucleate.featurize.descriptors import GRID_PARAMETERS, descriptor_table
    from nucleate.featurize.pipeline import featurize_dataset

    feats = featurize_dataset(data, "descriptors", None, out / "features", progress=False)
    table = {r["id"]: r for r in csv.DictReader(open(feats / "descriptors.csv"))}
    kinds = {d.name: d.kind for d in descriptor_table(2)}
    rows = [r for r in csv.DictReader(open(data / "manifest.csv")) if r["tn_censored"] != "True"]
    names = [n for n in next(iter(table.values())) if kinds.get(n) == "substrate"
             and n not in GRID_PARAMETERS]  # fmt: skip
    X = np.array([[float(table[r["id"]][n]) for n in names] for r in rows])
    X = X[:, np.all(np.isfinite(X), axis=0)]
    y = np.array([float(r["tn"]) for r in rows])
    fam = np.array([r["family"] for r in rows])
    mean, nearest = {}, {}
    for f in sorted(set(fam)):
        te, tr = fam == f, fam != f
        mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
        z = (X - mu) / np.where(sd > 0, sd, 1.0)
        d = ((z[te][:, None, :] - z[tr][None, :, :]) ** 2).sum(axis=-1)
        mean[f] = _score(y[te], np.full(te.sum(), y[tr].mean()))
        nearest[f] = _score(y[te], y[tr][np.argmin(d, axis=1)])
    return {"mean": mean, "nearest": nearest, "std_tn": float(y.std()), "n": len(y)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", nargs="+", default=["data/lj-fcc-v1", "data/lj-mix-v1"])
    ap.add_argument("--out", default="runs/bench/families")
    ap.add_argument("--hold_out", nargs=2, default=["fcc111-steps", "bcc110"])
    ap.add_argument("--no_held", action="store_true", help="skip (c), the two held-out families")
    ap.add_argument("--routes", nargs="+", default=list(SELECT))
    ap.add_argument("--ensemble", type=int, default=3)
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--threads", type=int, default=1, help="torch threads of a trained route")
    ap.add_argument("--no_trained_lofo", action="store_true",
                    help="trained routes: the random split and the held-out families only")  # fmt: skip
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows of routes not run now from the current results file, "
                    "when it is of the same data (same substrates and std(T_n))")  # fmt: skip
    ap.add_argument(
        "--results",
        default=str(ROOT / "benchmarks" / "results"),
        help="where tn_families.json / .md go besides OUT (the docs read them there)",
    )
    args = ap.parse_args()
    if args.no_held:
        args.hold_out = []
    out = (ROOT / args.out).resolve()
    data = out / "data"
    subprocess.run([_exe(), "generate", "--join", "[" + ", ".join(args.data) + "]", "--out",
                    str(data)], check=True, cwd=ROOT)  # fmt: skip
    for route in args.routes:
        run_route(route, data, out, args.hold_out, args.ensemble, args.force,
                  not args.no_trained_lofo, args.threads)  # fmt: skip
    base = baselines(data, out)
    std = base["std_tn"]
    results = {"data": args.data, "n_uncensored": base["n"], "std_tn": std,
               "hold_out": args.hold_out, "routes": {}, "baselines": {}}  # fmt: skip
    for name in ("mean", "nearest"):
        per = base[name]
        results["baselines"][name] = {"lofo": per, **summary(per)}
    for route in args.routes:
        m = json.loads((out / route / "metrics.json").read_text())
        ho = {}
        if args.hold_out:
            held = json.loads((out / f"{route}-held" / "metrics.json").read_text())
            ho = held["test"]["held_out"] if route in SELECT else held["held_out"]
        per = lofo_scores(route, out)
        results["routes"][route] = {
            "name": NAMES.get(route, route),
            "liquid_only": route in LIQUID_ONLY,
            "random_split": _keys(m["test"]),
            # training cost on this machine: a descriptor route's whole select run (its
            # leave-one-family-out refits included), a trained route's ensemble fit
            "fit_seconds": m.get("seconds") if route in SELECT else m.get("fit_seconds"),
            "lofo": per,
            **summary(per),
            "held_out": _keys(ho),
        }
    if args.merge:
        merge_previous(results, Path(args.results) / "tn_families.json")
    (out / "tn_families.json").write_text(json.dumps(results, indent=1) + "\n")
    write_results("tn_families", results, table(results), Path(args.results))
    print(table(results))


def merge_previous(results: dict, path: Path) -> None:
    """Add the routes of an earlier results file that this run did not run (each keeps the
    date and command it was measured with); refused when the data differ."""
    if not path.exists():
        return
    old = json.loads(path.read_text())
    same = (old.get("data") == results["data"] and old.get("n_uncensored") == results["n_uncensored"]
            and abs(old.get("std_tn", 0.0) - results["std_tn"]) < 1e-9
            and old.get("hold_out") == results["hold_out"])  # fmt: skip
    if not same:
        raise SystemExit(f"{path} is of other data or held-out families: cannot merge")
    for route, entry in old["routes"].items():
        if route not in results["routes"]:
            entry.setdefault("measured", {"date": old.get("date"), "command": old.get("command")})
            results["routes"][route] = entry


def _keys(m: dict) -> dict:
    """The table's scores from a metrics part; a trained route's coverage is its calibrated one."""
    out = {k: m.get(k) for k in KEYS}
    if m.get("coverage_2sigma_calibrated") is not None:
        out["coverage_2sigma"] = m["coverage_2sigma_calibrated"]
    return out


def _times_std(v, std: float) -> str:
    return "–" if v is None else f"{v:.4f} ({v / std:.2f})"


def _minutes(seconds) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f}"


def _f(v, spec=".4f") -> str:
    return "–" if v is None or (isinstance(v, float) and not np.isfinite(v)) else format(v, spec)


def table(results: dict) -> str:
    """The markdown tables of a results.json."""
    std = results["std_tn"]
    routes = results["routes"]
    lines = [
        f"Union of {' + '.join(results['data'])}: {results['n_uncensored']} uncensored "
        f"substrates, std(T_n) = {std:.4f}.",
        "",
        "| route | random split RMSE (× std) | Spearman | ±2σ cover | LOFO mean RMSE (× std) | "
        f"LOFO pooled RMSE | held out {' + '.join(results['hold_out']) or '(not run)'}: RMSE | "
        "Spearman | "
        "±2σ cover | fit (min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for route, r in routes.items():
        rs, ho = r["random_split"], r["held_out"]
        lines.append(
            f"| {NAMES.get(route, route)} | {_f(rs['rmse'])} ({rs['rmse'] / std:.2f}) | "
            f"{_f(rs['spearman'], '.2f')} | {_f(rs.get('coverage_2sigma'), '.2f')} | "
            f"{_times_std(r['lofo_mean_rmse'], std)} | "
            f"{_f(r.get('lofo_pooled_rmse'))} | {_f(ho['rmse'])} | "
            f"{_f(ho['spearman'], '.2f')} | {_f(ho.get('coverage_2sigma'), '.2f')} | "
            f"{_minutes(r.get('fit_seconds'))} |"
        )
    for name, b in results["baselines"].items():
        label = {"mean": "predict the mean", "nearest": "nearest training substrate"}[name]
        lines.append(f"| {label} | | | | {b['lofo_mean_rmse']:.4f} "
                     f"({b['lofo_mean_rmse'] / std:.2f}) | {_f(b.get('lofo_pooled_rmse'))} | | | | |")  # fmt: skip
    lines += ["", "fit (min): wall minutes on this machine for the random split's model (a "
              "descriptor route's whole select run, its leave-one-family-out refits included; a "
              "trained route's ensemble fit, on the threads given); – where the run predates the "
              "record."]  # fmt: skip
    families = sorted({f for r in routes.values() for f in r["lofo"]})
    cols = list(routes) + list(results["baselines"])
    lines += ["", "Leaving one family out: RMSE / Spearman / ±2σ coverage of the held-out family.",
              "", "| family | n | " + " | ".join(NAMES.get(c, c) for c in cols) + " |",
              "|---|---|" + "---|" * len(cols)]  # fmt: skip
    for fam in families:
        cells = []
        n = None
        for c in cols:
            v = (routes[c]["lofo"] if c in routes else results["baselines"][c]["lofo"]).get(fam)
            if v is None:
                cells.append("–")
                continue
            n = v["n"]
            cells.append(f"{_f(v['rmse'])} / {_f(v['spearman'], '.2f')} / "
                         f"{_f(v.get('coverage_2sigma'), '.2f')}")  # fmt: skip
        lines.append(f"| {fam} | {n} | " + " | ".join(cells) + " |")
    liquid = [r for r in routes if r in LIQUID_ONLY and routes[r]["lofo_mean_rmse"] is not None]
    if liquid and "select_substrate" in routes:
        best = min(liquid, key=lambda r: routes[r]["lofo_mean_rmse"])
        b, s = routes[best]["lofo_mean_rmse"], routes["select_substrate"]["lofo_mean_rmse"]
        lines += ["", f"Goal, leaving one family out: best liquid-only route ({NAMES[best]}) "
                  f"{b:.4f} = {b / std:.2f} × std (goal ≤ 0.35), substrate route {s:.4f} "
                  f"({'beaten' if b < s else 'not beaten'})."]  # fmt: skip
    best = min(routes, key=lambda r: routes[r]["random_split"]["rmse"])
    v = routes[best]["random_split"]["rmse"]
    lines += ["", f"Goal, random split: best route ({NAMES.get(best, best)}) {v:.4f} = "
              f"{v / std:.2f} × std (goal ≤ 0.2)."]  # fmt: skip
    # every route is scored on the same test substrates: their labels' own noise is one number
    noise = [r["random_split"].get("label_noise_rms") for r in routes.values()]
    noise = next((x for x in noise if x is not None), None)
    if noise is not None:
        goal = 0.2 * std
        room = np.sqrt(max(goal**2 - noise**2, 0.0))
        lines[-1] += (f" The test labels' own noise (each label's ramp spread / √ramps, rms) is "
                      f"{noise:.4f}: an error-free model would score that, and the goal "
                      f"({goal:.4f}) leaves a model √(goal² − noise²) = {room:.4f} of its own "
                      f"error, against √({v:.4f}² − noise²) = "
                      f"{np.sqrt(max(v**2 - noise**2, 0.0)):.4f} for the best route.")  # fmt: skip
    cover = []
    for route, r in routes.items():
        c = [x.get("coverage_2sigma") for x in r["lofo"].values()]
        if c and None not in c:
            cover.append(f"{NAMES.get(route, route)} mean {np.mean(c):.2f}, lowest {min(c):.2f}, "
                         f"{sum(x >= 0.8 for x in c)} of {len(c)} families ≥ 0.8")  # fmt: skip
    if cover:
        lines += ["", "Goal, ±2σ coverage ≥ 0.8 on held-out families, leaving one family out: "
                  + "; ".join(cover) + "."]  # fmt: skip
    earlier = {}  # (date, command) -> the routes kept from that run
    for r, e in routes.items():
        if "measured" in e:
            earlier.setdefault((e["measured"]["date"], e["measured"]["command"]), []).append(r)
    for (day, command), kept in earlier.items():
        lines += ["", f"{', '.join(NAMES.get(r, r) for r in kept)}: measured {day} with "
                  f"`{command}` (kept)."]  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    main()
