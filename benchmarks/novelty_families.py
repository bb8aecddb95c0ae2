"""Does a trained route's novelty score know when it extrapolates? The family benchmark's GNN
fits (benchmarks/tn_families.py --routes gnn): the random-split ensemble's novelty on its own test
substrates (nothing new to it), and each leave-one-family-out fit's novelty on the family it never
saw, each from the substrate's stored frames as `nucleate predict --trajectory` reads them. Per
family: the median score, the share above every in-distribution test score (what a flag set at
that level would catch), the RMSE, and the Spearman correlation of score and absolute error; over
families, the correlation of the median score with the RMSE.

    .venv/bin/python benchmarks/novelty_families.py [--run runs/bench/fam-gnn --route gnn]

With ``--select RUN`` (a ``nucleate select`` run on the union, e.g. a split seed of
benchmarks/tn_splits.py) the same for a descriptor route: its saved model's novelty on its own
test substrates, as `nucleate predict` scores it, and for each family the chosen regressor refitted
on the other families (its columns, as the run's own leave-one-family-out refits) scoring the
family in its representation (results ``novelty_families_descriptors``).

    .venv/bin/python benchmarks/novelty_families.py --select runs/bench/tn_splits_union_liquid_bo/seed1
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_io import write_results

from nucleate.data.dataset import SAMPLE_SIDE
from nucleate.data.io import read_frames
from nucleate.predict.core import load_checkpoints, predict_frames

ROOT = Path(__file__).resolve().parents[1]


def _best(folder: Path) -> Path:
    """The checkpoint a fit recorded as its own (an interrupted earlier fit may have left
    another beside it)."""
    return folder / json.loads((folder / "fit.json").read_text())["checkpoint"]


def scored(checkpoints: list[Path], data: Path, ids: list[str], tn: dict) -> np.ndarray:
    """(n, 3): novelty (NaN without a stored reference), predicted T_n, label."""
    models = load_checkpoints(checkpoints)
    out = []
    for sid in ids:
        frames = read_frames(data / "samples" / sid / "frames.extxyz.gz", side=SAMPLE_SIDE)
        p = predict_frames(models, frames, sid)
        out.append((np.nan if p.novelty is None else p.novelty, p.tn, tn[sid]))
    return np.array(out, dtype=float)


def family_row(a: np.ndarray, limit: float) -> dict:
    """One held-out family's summary from its (novelty, predicted, label) rows."""
    err = np.abs(a[:, 1] - a[:, 2])
    has = np.isfinite(a[:, 0])
    return {
        "n": len(a), "rmse": float(np.sqrt(np.mean(err**2))),
        "novelty_median": float(np.median(a[has, 0])) if has.any() else None,
        "above_in_distribution_max": float(np.mean(a[has, 0] > limit)) if has.any() else None,
        "spearman_novelty_error": float(spearmanr(a[has, 0], err[has]).statistic)
        if has.sum() > 2 else None,
    }  # fmt: skip


def trained_route(run: Path, route_name: str) -> tuple[np.ndarray, dict]:
    """The in-distribution rows and the per-family summaries of a trained route's fits."""
    data, route = run / "data", run / route_name
    rows = list(csv.DictReader(open(data / "manifest.csv")))
    known = [r for r in rows if r["tn_censored"] != "True" and r["tn"]]
    tn = {r["id"]: float(r["tn"]) for r in known}
    test = [r["id"] for r in csv.DictReader(open(route / "predictions.csv"))
            if r["split"] == "test" and r["id"] in tn]  # fmt: skip
    members = sorted(p for p in route.glob("member*") if p.is_dir())
    ind = scored([_best(m) for m in members], data, test, tn)
    limit = np.nanmax(ind[:, 0])
    families = {}
    for folder in sorted(p for p in (route / "lofo").iterdir() if p.is_dir()):
        ids = [r["id"] for r in known if r["family"] == folder.name]
        families[folder.name] = family_row(scored([_best(folder)], data, ids, tn), limit)
    return ind, families


def descriptor_route(run: Path) -> tuple[np.ndarray, dict]:
    """The same for a ``nucleate select`` run: its saved model on its test substrates, and per
    family the chosen regressor refitted on the other families' uncensored substrates."""
    from sklearn.base import clone

    from nucleate.models.descriptor_model import DescriptorModel
    from nucleate.models.novelty import Novelty, regressor_representation
    from nucleate.models.regressors import make_regressor

    metrics = json.loads((run / "metrics.json").read_text())
    config = metrics["config"]
    manifest = Path(config["data"])
    manifest = (manifest if manifest.is_absolute() else ROOT / manifest) / "manifest.csv"
    family = {r["id"]: r["family"] for r in csv.DictReader(open(manifest))}
    table = {r["id"]: r for r in csv.DictReader(open(run / "features" / "descriptors.csv"))}
    model = DescriptorModel(run / "model.pkl")
    columns = model.hparams.meta["columns"]
    preds = [r for r in csv.DictReader(open(run / "predictions.csv"))
             if r["censored"] != "True" and r["tn"]]  # fmt: skip
    ind = []
    for r in preds:
        if r["split"] == "test":
            values = {c: float(table[r["id"]][c]) for c in columns}
            ind.append((model.novelty(values)[0], float(r["predicted"]), float(r["tn"])))
    ids = [r["id"] for r in preds]
    X = np.array([[float(table[i][c]) for c in columns] for i in ids])
    y = np.array([float(r["tn"]) for r in preds])
    groups = np.array([family[i] for i in ids])
    ind = np.array(ind)
    limit = np.nanmax(ind[:, 0])
    families = {}
    for name in sorted(set(groups)):
        held = groups == name
        fit = clone(make_regressor(metrics["chosen"], config["seed"])).fit(X[~held], y[~held])
        novelty = Novelty(regressor_representation(fit, X[~held]))
        z = regressor_representation(fit, X[held])
        rows = np.column_stack([novelty.score(z), fit.predict(X[held]), y[held]])
        families[name] = family_row(rows, limit)
        print(f"{name}: {families[name]}", flush=True)
    return ind, families


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", default="runs/bench/fam-gnn", help="a tn_families.py --out folder")
    ap.add_argument("--route", default="gnn")
    ap.add_argument("--select", default=None, help="a nucleate select run (a descriptor route)")
    args = ap.parse_args()
    if args.select:
        args.run, args.route = args.select, json.loads(
            (ROOT / args.select / "metrics.json").read_text())["chosen"]  # fmt: skip
        ind, families = descriptor_route(ROOT / args.select)
        name, model = "novelty_families_descriptors", "saved model"
    else:
        ind, families = trained_route(ROOT / args.run, args.route)
        name, model = "novelty_families", "random-split ensemble"
    fam = [v for v in families.values() if v["novelty_median"] is not None]
    rho = spearmanr([v["novelty_median"] for v in fam], [v["rmse"] for v in fam]).statistic
    results = {
        "run": args.run, "route": args.route,
        "in_distribution": {"n": len(ind), "novelty_median": float(np.nanmedian(ind[:, 0])),
                            "novelty_max": float(np.nanmax(ind[:, 0])),
                            "rmse": float(np.sqrt(np.mean((ind[:, 1] - ind[:, 2]) ** 2)))},
        "families": families, "spearman_family_novelty_rmse": float(rho),
        "n_families_with_novelty": len(fam),
    }  # fmt: skip

    def f(v, spec):
        return "–" if v is None else format(v, spec)

    i = results["in_distribution"]
    lines = [
        f"`{args.run}` ({args.route}): the {model} on its {i['n']} uncensored test "
        f"substrates scores novelty median {i['novelty_median']:.2f}, at most "
        f"{i['novelty_max']:.2f} (RMSE {i['rmse']:.4f}). Each family below is scored by the fit "
        "that never saw it.",
        "",
        "| held-out family | n | novelty (median) | above every in-distribution score | RMSE | "
        "Spearman, novelty vs error |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {name} | {v['n']} | {f(v['novelty_median'], '.2f')} | "
              f"{f(v['above_in_distribution_max'], '.2f')} | {v['rmse']:.4f} | "
              f"{f(v['spearman_novelty_error'], '.2f')} |" for name, v in families.items()]  # fmt: skip
    lines += ["", f"Over the {len(fam)} families with a stored reference: Spearman of the median "
              f"novelty against the family's RMSE {rho:.2f}."]  # fmt: skip
    if len(fam) < len(families):
        lines[-1] += " '–': a fit made before the novelty reference was stored."
    table = "\n".join(lines)
    write_results(name, results, table)
    print(table)


if __name__ == "__main__":
    main()
