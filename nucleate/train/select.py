"""The descriptor route: correlation-cluster selection, importance ranking, regressors and a report.

``run_selection(SelectConfig)``: featurize the data set's descriptors (cached), split by substrate
(the same split as the CNN/GNN routes), select one descriptor per correlated cluster on the
training part (liquid and substrate descriptors clustered apart unless ``cluster_by_kind`` is
off; ``kinds`` keeps one kind alone), rank the kept descriptors by permutation importance on
held-out folds, measure the cross-validated error as a function of how many are kept (the
Gaussian process instead takes all representatives and weighs them by its length scales), fit
each regressor on the training part, choose on the validation part, refit the chosen one on
training and validation substrates, and touch the test part once. Censored substrates are left
out of the selection, ranking and cross-validation, and of the final fits unless
``use_censored`` (then :func:`fit_censored`); they are scored censoring-aware.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import norm
from sklearn.base import clone
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nucleate.data.dataset import campaign_config, iter_records, read_manifest, sha256_of
from nucleate.errors import InputError
from nucleate.featurize.descriptors import descriptor_table
from nucleate.featurize.pipeline import featurize_dataset
from nucleate.models.descriptor_model import (
    CENSORING_PKL,
    MODEL_JSON,
    MODEL_PKL,
    final_step,
    predictive_std,
    save_descriptor_model,
)
from nucleate.models.domain import training_domain
from nucleate.models.novelty import Novelty, regressor_representation
from nucleate.models.regressors import GAUSSIAN_PROCESSES, REGRESSORS, make_regressor
from nucleate.models.selection import CorrelationClusterSelector
from nucleate.report.selection import write_report
from nucleate.train.metrics import (
    POLYMORPH_COLUMNS,
    label_noise_rms,
    polymorph_labels,
    polymorph_metrics,
    regression_metrics,
)
from nucleate.train.splits import leave_one_group_out, substrate_split

KINDS = ("liquid", "substrate")
FITTED_ON = {"train": "training", "train+val": "training and validation"}  # for the model card


@dataclass
class SelectConfig:
    """One descriptor-selection run (a YAML file under configs/select/)."""

    data: str = "data/lj-fcc-v1"
    out: str = "runs/select/lj-fcc-v1"
    threshold: float = 0.3
    max_features: int = 10
    regressors: list[str] = field(default_factory=lambda: list(REGRESSORS.names()))
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0
    cv_folds: int = 5
    featurizer_settings: dict = field(default_factory=dict)
    cache_dir: str | None = None
    ship: str | None = None  # copy the chosen model (model.pkl, model.json) here with a card
    # fit the final regressors with the censored training substrates too (T_n below the floor,
    # by expectation-maximisation: see fit_censored). Off by default: it places censored
    # substrates below the floor but costs validation accuracy on the uncensored ones
    # (docs: Results, descriptor route)
    use_censored: bool = False
    # the Gaussian process takes every cluster representative and weighs them by its own length
    # scales (automatic relevance determination), not the top k of the importance ranking, which
    # is unstable: it moves when a few substrates are added
    gp_all_representatives: bool = True
    # after the choice on the validation part, refit the chosen regressor on training and
    # validation substrates together before the test part is touched (once)
    refit_train_val: bool = True
    # which descriptor kinds enter the pool: ["liquid", "substrate"], or one of them alone
    # (configs/select/lj-fcc-v1-liquid.yaml and -substrate.yaml measure what each carries)
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    # cluster liquid and substrate descriptors apart, so each kind keeps its own representatives
    cluster_by_kind: bool = True
    # descriptors left out of the pool, e.g. the grid parameters (mismatch, eps_sl, eps_density:
    # nucleate.featurize.descriptors.GRID_PARAMETERS) for a model meant for any slab
    exclude: list[str] = field(default_factory=list)
    # substrate families held out of all training, selection and tuning, scored at the end
    # ("held_out" in metrics.json and predictions.csv): kinds of substrate the model never saw
    hold_out: list[str] = field(default_factory=list)
    # substrate families used for training only: never validated on or tested, their substrates
    # join the training part, so the validation and test parts are those of the other families
    # alone with the same seed (the split hashes each id: benchmarks/tn_splits.py compares a
    # model trained with other kinds of substrate on the same test substrates)
    train_only: list[str] = field(default_factory=list)
    # refit every regressor leaving each family out in turn (lofo_predictions.csv; what a user
    # screening an unseen kind of substrate should expect); off, a run scored on its random
    # split alone takes a fraction of the time (benchmarks/tn_splits.py over many seeds)
    leave_one_family_out: bool = True

    def validate(self) -> None:
        """Raise :class:`InputError` on the first bad value, before any work (regressor aliases
        become their names)."""
        self.regressors = [REGRESSORS.canonical(name) for name in self.regressors]
        if not self.kinds or set(self.kinds) - set(KINDS):
            raise InputError(f"kinds must name some of {', '.join(KINDS)}, not {self.kinds}")
        known = {d.name for d in descriptor_table(2, precursors=True)}
        unknown = sorted(set(self.exclude) - known)
        if unknown:
            raise InputError(f"exclude names unknown descriptors: {', '.join(unknown)}")


def load_table(
    cfg: SelectConfig, progress: bool = True
) -> tuple[list[dict], np.ndarray, list[str]]:
    """Manifest rows, descriptor matrix (n, f) and descriptor names (featurized, or from the
    cache)."""

    rows = read_manifest(cfg.data)
    if len(rows) < 8:
        raise InputError(f"{cfg.data}: {len(rows)} samples are too few to select descriptors")
    out = featurize_dataset(
        cfg.data, "descriptors", cfg.featurizer_settings, Path(cfg.out) / "features",
        cache_dir=cfg.cache_dir, progress=progress,
    )  # fmt: skip
    with open(out / "descriptors.csv", newline="") as fh:
        table = list(csv.reader(fh))
    names = table[0][1:]
    by_id = {r[0]: np.array(r[1:], dtype=float) for r in table[1:]}
    X = np.stack([by_id[r["id"]] for r in rows])
    return rows, X, names


def fit_censored(model, X, y, censored, floor: float | None, n_iter: int = 8):
    """Fit a regressor on rows whose target is known (``y``) or only known to lie below
    ``floor`` (``censored``), by expectation-maximisation for a Gaussian error (the Tobit model):
    fit on the known rows, replace each censored target by its expectation given that it lies
    below the floor, E[y | y < floor] = mu - s phi(a) / Phi(a) with a = (floor - mu) / s, mu the
    current prediction and s its predictive standard deviation (a Gaussian process's; for other
    regressors the rms residual of the known rows), refit on all, repeat. Without censored rows
    or a floor it is a plain fit. Returns the fitted clone."""

    censored = np.asarray(censored, dtype=bool)
    known = ~censored
    m = clone(model).fit(X[known], y[known])
    if floor is None or not censored.any():
        return m
    target = np.array(y, dtype=float)
    for _ in range(n_iter):
        mu = m.predict(X[censored])
        sd = predictive_std(m, X[censored])
        if sd is None:
            sd = np.full(len(mu), np.sqrt(np.mean((m.predict(X[known]) - y[known]) ** 2)))
        sd = np.maximum(sd, 1e-9)
        a = (floor - mu) / sd
        target[censored] = mu - sd * np.exp(norm.logpdf(a) - norm.logcdf(a))
        m = clone(model).fit(X, target)
    return m


def fit_censoring_classifier(X: np.ndarray, censored: np.ndarray, seed: int = 0):
    """P(T_n lies below the floor | descriptors): L2-regularised logistic regression on
    standardised descriptors, its strength chosen by stratified cross-validation on the log loss.
    The regressor, fitted on uncensored substrates, cannot say that a substrate will not
    crystallise above the floor at all; this does. ``None`` when either class has fewer than 3
    rows."""

    censored = np.asarray(censored, dtype=bool)
    folds = int(min(5, censored.sum(), (~censored).sum()))
    if folds < 3:
        return None
    clf = GridSearchCV(
        LogisticRegression(max_iter=5000), {"C": np.logspace(-3, 3, 13)},
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed), scoring="neg_log_loss",
    )  # fmt: skip
    return make_pipeline(StandardScaler(), clf).fit(X, censored)


def classifier_metrics(censored: np.ndarray, p: np.ndarray, base_rate: float) -> dict:
    """How well probabilities ``p`` of lying below the floor match the outcomes ``censored``:
    Brier score and log loss beside those of always predicting the training base rate, ROC AUC
    (when both outcomes occur) and the accuracy of thresholding at 0.5."""

    c = np.asarray(censored, dtype=bool)
    base = np.full(len(c), base_rate)
    both = 0 < c.sum() < len(c)
    return {
        "n": len(c), "n_censored": int(c.sum()),
        "brier": float(brier_score_loss(c, p)), "brier_base_rate": float(brier_score_loss(c, base)),
        "log_loss": float(log_loss(c, p, labels=[False, True])),
        "log_loss_base_rate": float(log_loss(c, base, labels=[False, True])),
        "roc_auc": float(roc_auc_score(c, p)) if both else None,
        "accuracy": float(np.mean((p >= 0.5) == c)),
    }  # fmt: skip


def _cv_rmse(model_name, X, y, folds, seed) -> float:

    model = make_regressor(model_name, seed)
    errs = []
    for tr, te in KFold(folds, shuffle=True, random_state=seed).split(X):
        m = clone(model).fit(X[tr], y[tr])
        errs.append((m.predict(X[te]) - y[te]) ** 2)
    return float(np.sqrt(np.mean(np.concatenate(errs))))


def _rank(cfg: SelectConfig, Xtr, ytr, selector, names, kind_of) -> tuple[list[int], list[dict]]:
    """The cluster representatives by permutation importance on held-out folds of the training
    part (gradient boosting): their column indices, best first, and one record each."""
    reps = list(selector.representatives_)
    # permutation importance of the representatives on held-out folds of the training part
    importance = np.zeros(len(reps))
    folds = KFold(cfg.cv_folds, shuffle=True, random_state=cfg.seed)
    for tr, te in folds.split(Xtr):
        m = make_regressor("gbr", cfg.seed).fit(Xtr[tr][:, reps], ytr[tr])
        imp = permutation_importance(
            m, Xtr[te][:, reps], ytr[te], n_repeats=10, random_state=cfg.seed,
            scoring="neg_root_mean_squared_error",
        )  # fmt: skip
        importance += imp.importances_mean / cfg.cv_folds
    order = np.argsort(-importance, kind="stable")
    ranked = [reps[i] for i in order]
    ranking = [
        {"name": names[j], "kind": kind_of[names[j]], "importance": float(importance[i]),
         "relevance": float(selector.relevance_[j]),
         "cluster": [names[m] for m in np.flatnonzero(selector.clusters_ == selector.clusters_[j])]}
        for i, j in zip(order, ranked, strict=True)
    ]  # fmt: skip
    return ranked, ranking


def _leave_one_family_out(
    cfg: SelectConfig, X, y, censored, held, families, rows, ranked, best_k, out: Path
) -> tuple[dict, dict]:
    """Each regressor with its own k (the selection stays that of the training part) fitted on
    all families but one and scored on it: RMSE per family, and for a regressor with its own
    uncertainty how often ±2σ covers the unseen family; the predictions go to
    ``lofo_predictions.csv``. Families held out of the run stay out."""
    lofo, lofo_cover, lofo_rows = {}, {}, []
    # as the trained routes: the whole family is held out (and the hold_out families stay out)
    pool = np.flatnonzero(~censored & ~held)
    for name in cfg.regressors:
        c = ranked[: best_k[name]]
        per, cover = {}, {}
        for family, tr, te in leave_one_group_out(families[pool]):
            m = clone(make_regressor(name, cfg.seed)).fit(X[pool[tr]][:, c], y[pool[tr]])
            x_held = X[pool[te]][:, c]
            p_held = m.predict(x_held)
            err = p_held - y[pool[te]]
            per[family] = float(np.sqrt(np.mean(err**2)))
            std = predictive_std(m, x_held)
            if std is not None:
                cover[family] = float(np.mean(np.abs(err) <= 2.0 * std))
            for k, i in enumerate(pool[te]):
                lofo_rows.append([rows[i]["id"], family, name, y[i], f"{p_held[k]:.6g}",
                                  "" if std is None else f"{std[k]:.6g}"])  # fmt: skip
        lofo[name] = per
        if cover:
            lofo_cover[name] = cover
    with open(out / "lofo_predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "family", "regressor", "tn", "predicted", "predicted_std"])
        w.writerows(lofo_rows)
    return lofo, lofo_cover


def _table(cfg: SelectConfig, kinds: dict):
    """The descriptor table as the selection uses it: rows, X and names (usable, varying,
    of the kinds asked for), labels, censoring, families and the split (held-out families
    marked ``held_out``)."""
    rows, X, names = load_table(cfg)
    y = np.array([float(r["tn"]) if r["tn"] else np.nan for r in rows])
    censored = np.array([r["tn_censored"] == "True" for r in rows])
    families = np.array([r["family"] for r in rows])
    part = substrate_split([r["id"] for r in rows], tuple(cfg.split), cfg.seed).astype(object)
    for key in ("hold_out", "train_only"):
        missing = sorted(set(getattr(cfg, key)) - set(families))
        if missing:
            raise InputError(f"{key} names families not in {cfg.data}: {', '.join(missing)}")
    both = sorted(set(cfg.hold_out) & set(cfg.train_only))
    if both:
        raise InputError(f"families both held out and train_only: {', '.join(both)}")
    held = np.isin(families, cfg.hold_out)
    part[held] = "held_out"
    part[np.isin(families, cfg.train_only)] = "train"
    part = part.astype(str)
    for p in ("val", "test") if cfg.train_only else ():
        if not np.any((part == p) & ~censored):
            raise InputError(
                f"no uncensored {'validation' if p == 'val' else p} substrate is left: "
                "fewer families train_only or held out, or a larger split fraction"
            )
    fit_mask = (part == "train") & ~censored
    if fit_mask.sum() < cfg.cv_folds + 2:
        raise InputError(f"only {fit_mask.sum()} uncensored training substrates")
    # descriptors undefined on any substrate (e.g. no pair given; no second layer on the
    # weakest substrates) are not used; imputing them on the censored substrates did worse by
    # cross-validation (docs: changelog)
    usable = np.all(np.isfinite(X), axis=0)
    X, names = X[:, usable], [n for n, u in zip(names, usable, strict=True) if u]
    # descriptors constant over the training substrates carry nothing to select
    varies = np.ptp(X[fit_mask], axis=0) > 0
    # and only the kinds asked for (layered names beyond the table, e.g. a third layer, are liquid)
    kind_of = {n: kinds.get(n, "liquid") for n in names}
    keep = varies & np.array([kind_of[n] in cfg.kinds and n not in cfg.exclude for n in names])
    X, names = X[:, keep], [n for n, k in zip(names, keep, strict=True) if k]
    if not names:
        raise InputError(f"no usable descriptor of kind {', '.join(cfg.kinds)}")
    return rows, X, names, kind_of, y, censored, families, part, held


def _select(cfg: SelectConfig, Xtr, ytr, names, kind_of):
    """Cluster, rank the representatives, and each regressor's number of top descriptors by
    cross-validation on the training part: (selector, ranked, ranking, curve, best_k)."""
    groups = [kind_of[n] for n in names] if cfg.cluster_by_kind else None
    selector = CorrelationClusterSelector(threshold=cfg.threshold, groups=groups).fit(Xtr, ytr)
    ranked, ranking = _rank(cfg, Xtr, ytr, selector, names, kind_of)
    # cross-validated error against the number of top descriptors kept
    # (the Gaussian process, by default, takes all representatives: no curve, no k)
    all_reps = GAUSSIAN_PROCESSES & set(cfg.regressors) if cfg.gp_all_representatives else set()
    k_max = min(cfg.max_features, len(ranked))
    curve = {
        name: [
            _cv_rmse(name, Xtr[:, ranked[:k]], ytr, cfg.cv_folds, cfg.seed)
            for k in range(1, k_max + 1)
        ]
        for name in cfg.regressors
        if name not in all_reps
    }
    best_k = {name: int(np.argmin(c)) + 1 for name, c in curve.items()}
    best_k.update({name: len(ranked) for name in all_reps})
    return selector, ranked, ranking, curve, best_k


def _fit_and_choose(cfg: SelectConfig, X, y, censored, part, ranked, best_k):
    """Every regressor fitted on the training part, the one of lowest validation RMSE chosen
    and (``refit_train_val``) refitted with the validation part: (final, chosen, cols,
    fitted_on, refit, val_rmse)."""
    train = part == "train"
    val = (part == "val") & ~censored
    models, val_rmse = {}, {}
    floor = _floor(cfg.data)
    eligible = ~censored | cfg.use_censored  # no floor: fit_censored uses the known rows
    rows_fit = train & eligible
    for name in cfg.regressors:
        cols = ranked[: best_k[name]]
        models[name] = fit_censored(
            make_regressor(name, cfg.seed), X[rows_fit][:, cols], y[rows_fit],
            censored[rows_fit], floor,
        )  # fmt: skip
        pred = models[name].predict(X[val][:, cols]) if val.any() else np.array([])
        val_rmse[name] = float(np.sqrt(np.mean((pred - y[val]) ** 2))) if val.any() else np.nan
    chosen = min(cfg.regressors, key=lambda n: (np.nan_to_num(val_rmse[n], nan=np.inf), n))
    cols = ranked[: best_k[chosen]]
    final, fitted_on = models[chosen], rows_fit
    refit = cfg.refit_train_val and val.any()
    if refit:
        # the choice is made; the validation substrates now add to the fit
        fitted_on = (train | (part == "val")) & eligible
        final = fit_censored(
            make_regressor(chosen, cfg.seed), X[fitted_on][:, cols], y[fitted_on],
            censored[fitted_on], floor,
        )  # fmt: skip
    return final, chosen, cols, fitted_on, refit, val_rmse


def _coverage(pred, std, y) -> dict:
    z = np.abs(pred - y) / np.maximum(std, 1e-12)
    return {
        "coverage_1sigma": float(np.mean(z <= 1.0)),
        "coverage_2sigma": float(np.mean(z <= 2.0)),
    }


def _write_predictions(out: Path, rows, part, censored, pred_all, std_all, p_all) -> None:
    with open(out / "predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "split", "tn", "censored", "predicted", "predicted_std",
                    "p_below_floor"])  # fmt: skip
        for k, r in enumerate(rows):
            std = "" if std_all is None else f"{std_all[k]:.6g}"
            pb = "" if p_all is None else f"{p_all[k]:.4g}"
            w.writerow([r["id"], part[k], r["tn"], bool(censored[k]), f"{pred_all[k]:.6g}", std,
                        pb])  # fmt: skip


def run_selection(cfg: SelectConfig) -> dict:
    """Run the descriptor route end to end; writes metrics.json, the report and figures."""
    cfg.validate()
    start = time.perf_counter()
    kinds = {d.name: d.kind for d in descriptor_table(2, precursors=True)}
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    rows, X, names, kind_of, y, censored, families, part, held = _table(cfg, kinds)
    train = part == "train"
    fit_mask = train & ~censored
    selector, ranked, ranking, curve, best_k = _select(
        cfg, X[fit_mask], y[fit_mask], names, kind_of
    )
    final, chosen, cols, fitted_on, refit, val_rmse = _fit_and_choose(
        cfg, X, y, censored, part, ranked, best_k
    )
    floor = _floor(cfg.data)
    test = part == "test"
    pred_all = final.predict(X[:, cols])
    known = fitted_on & ~censored
    test_metrics = regression_metrics(
        y[test], pred_all[test], censored[test], floor, baseline=float(y[known].mean())
    )
    test_metrics["label_noise_rms"] = label_noise_rms(rows, test & ~censored)
    std_all = predictive_std(final, X[:, cols])
    # beside the regressor: the probability that a substrate does not crystallise above the floor,
    # from all usable descriptors, fitted on every training substrate
    classifier = (
        fit_censoring_classifier(X[train], censored[train], cfg.seed) if floor is not None else None
    )
    p_all = None if classifier is None else classifier.predict_proba(X)[:, 1]
    _write_predictions(out, rows, part, censored, pred_all, std_all, p_all)
    if std_all is not None and (test & ~censored).any():
        ok = test & ~censored
        test_metrics.update(_coverage(pred_all[ok], std_all[ok], y[ok]),
                            mean_std=float(std_all[ok].mean()))  # fmt: skip
    lofo, lofo_cover = {}, {}
    if cfg.leave_one_family_out:
        lofo, lofo_cover = _leave_one_family_out(cfg, X, y, censored, held, families, rows,
                                                 ranked, best_k, out)  # fmt: skip
    else:  # (not an earlier run's, left in the same folder)
        (out / "lofo_predictions.csv").unlink(missing_ok=True)
    if held.any():
        ok = held & ~censored
        test_metrics["held_out"] = {
            "families": sorted(set(cfg.hold_out)),
            **regression_metrics(
                y[held], pred_all[held], censored[held], floor, baseline=float(y[known].mean())
            ),
        }
        if std_all is not None and ok.any():
            cover = _coverage(pred_all[ok], std_all[ok], y[ok])
            test_metrics["held_out"]["coverage_2sigma"] = cover["coverage_2sigma"]
    polymorph = _polymorph_route(X, rows, part, cfg.seed, out)
    top4 = [r["kind"] for r in ranking[:4]]
    metrics = {
        "config": asdict(cfg),
        "n_samples": len(rows),
        "n_censored": int(censored.sum()),
        "split": {p: int((part == p).sum()) for p in ("train", "val", "test")},
        "n_descriptors": len(names),
        "n_clusters": len(selector.representatives_),
        "ranking": ranking,
        "top4_liquid": top4.count("liquid"),
        "top4_substrate": top4.count("substrate"),
        "cv_rmse_vs_k": curve,
        "best_k": best_k,
        "val_rmse": val_rmse,
        "chosen": chosen,
        "chosen_features": [names[j] for j in cols],
        # the substrates the final model was fitted on: "train" or "train+val" (refit_train_val)
        "fitted_on": "train+val" if refit else "train",
        "n_fit": int(fitted_on.sum()),
        # the fitted kernel of a Gaussian process (its Matérn smoothness, length scales, noise)
        "kernel": str(getattr(final_step(final), "kernel_", "")) or None,
        "test": test_metrics,
        "leave_one_family_out_rmse": lofo,
        "leave_one_family_out_coverage_2sigma": lofo_cover,
        # each chosen descriptor's range over the substrates of the final fit: `nucleate predict`
        # says when a new substrate lies outside it (the GP's σ does not know it extrapolates)
        "train_range": {
            names[j]: [float(X[fitted_on, j].min()), float(X[fitted_on, j].max())] for j in cols
        },
    }
    if polymorph:
        metrics["polymorph"] = polymorph
    if classifier is not None:
        base_rate = float(censored[train].mean())
        metrics["censoring"] = {
            "floor": floor, "columns": names, "train_base_rate": base_rate,
            **{p: classifier_metrics(censored[part == p], p_all[part == p], base_rate)
               for p in ("val", "test") if (part == p).any()},
        }  # fmt: skip
    novelty = Novelty(regressor_representation(final, X[known][:, cols]))
    fit_ids = {rows[k]["id"] for k in np.flatnonzero(fitted_on)}
    saved = _save_model(cfg, out, final, chosen, metrics, classifier, novelty.to_dict(), fit_ids)
    metrics["checkpoints"] = [saved]
    # the whole run's wall time on this machine: featurizing (or reading the cache), selection,
    # every regressor's fits and the leave-one-family-out refits (the report comes after)
    metrics["seconds"] = round(time.perf_counter() - start, 1)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")

    write_report(out, metrics, selector, names, y, pred_all, part, censored, families)
    if cfg.ship:
        ship_model(out, Path(cfg.ship), metrics)
    return metrics


def ship_model(run: Path, dest: Path, metrics: dict) -> None:
    """Copy a selection run's model into ``dest`` with a model card."""

    dest.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_PKL, MODEL_JSON, "predictions.csv"):
        shutil.copyfile(run / name, dest / name)
    (dest / CENSORING_PKL).unlink(missing_ok=True)
    if (run / CENSORING_PKL).exists():
        shutil.copyfile(run / CENSORING_PKL, dest / CENSORING_PKL)
    cfg, t = metrics["config"], metrics["test"]
    extra = ""
    if "coverage_2sigma" in t:
        extra = (f"; the predictive ±2σ covers {t['coverage_2sigma']:.2f} of the test substrates "
                 f"(mean σ {t['mean_std']:.4f})")  # fmt: skip
    cens_line = ""
    if t.get("n_censored"):
        cens_line = (f" Of the {t['n_censored']} censored test substrates, "
                     f"{t['censored_below_bound']:.0%} are predicted below the floor.")  # fmt: skip
    c = metrics.get("censoring", {}).get("test")
    if c:
        auc = "" if c["roc_auc"] is None else f"ROC AUC {c['roc_auc']:.3f}, "
        cens_line += (
            f"\n\nBeside it, a logistic classifier on all {len(metrics['censoring']['columns'])} "
            f"usable descriptors gives the probability that T_n lies below the floor "
            f"({metrics['censoring']['floor']}; `p_below_floor` in `nucleate predict`). Test "
            f"({c['n']} substrates, {c['n_censored']} censored): {auc}Brier score "
            f"{c['brier']:.3f} against {c['brier_base_rate']:.3f} for the training base rate, "
            f"accuracy {c['accuracy']:.2f}."
        )
    lofo = metrics.get("leave_one_family_out_rmse", {}).get(metrics["chosen"], {})
    if len(lofo) > 1:  # what a user screening an unseen kind of substrate should expect
        cover = metrics.get("leave_one_family_out_coverage_2sigma", {}).get(metrics["chosen"], {})
        cens_line += (
            f"\n\nLeaving one substrate family out in turn ({len(lofo)} families, each model "
            f"fitted on the others): RMSE {np.mean(list(lofo.values())):.4f} averaged over the "
            f"families (from {min(lofo.values()):.4f} to {max(lofo.values()):.4f})"
            + (f", ±2σ covering {np.mean(list(cover.values())):.2f} of a family's substrates on "
               "average." if cover else ".")
        )  # fmt: skip
    liquid_only = list(cfg.get("kinds", KINDS)) == ["liquid"]
    trajectory_eps = "" if liquid_only else " --eps_sl 1.0"
    kind_note = (
        "\n\nIt reads liquid descriptors only (no substrate parameter or descriptor): a "
        "trajectory needs no `--eps_sl`, and a kind of substrate it never saw is judged by its "
        "liquid alone.\n"
        if liquid_only
        else ""
    )
    fit_note = ""
    if cfg.get("use_censored"):
        fit_note = (" with its censored substrates (T_n only known to lie below the floor; "
                    "expectation-maximisation for a Gaussian error)")  # fmt: skip
    # the data set by its name (a path says where it lay on the machine that trained)
    data_name = campaign_config(cfg["data"]).get("name") or cfg["data"]
    (dest / "README.md").write_text(
        f"""# Descriptor model of T_n for `{data_name}`

`nucleate select` chose **{metrics["chosen"]}** on {len(metrics["chosen_features"])} descriptors
({", ".join(metrics["chosen_features"])}), chosen on the validation part of the shared substrate
split (fractions {list(cfg["split"])}, seed {cfg["seed"]}) and fitted on its
{FITTED_ON[metrics.get("fitted_on", "train")]} part{fit_note}
({metrics.get("n_fit", "?")} substrates).{f" Kernel: `{metrics['kernel']}`." if metrics.get("kernel") else ""}
Featurizer settings: `{json.dumps(cfg["featurizer_settings"])}`.

Test ({t["n"]} uncensored substrates, touched once): RMSE {t["rmse"]:.4f}, R² {t["r2"]:.3f},
Spearman {t["spearman"]:.3f}, predict-the-mean {t["rmse_mean_baseline"]:.4f}; the test labels'
own noise {t.get("label_noise_rms") or float("nan"):.4f}{extra}.{cens_line}{kind_note}

    nucleate predict --model {dest} --substrate fcc100:+0.015 --eps_sl 1.15
    nucleate predict --model {dest} --trajectory FRAMES{trajectory_eps}

`model.pkl` is a pickled scikit-learn pipeline (load only files you trust); `model.json` names the
descriptors, the featurizer settings, the simulation protocol and the versions it was made with.
"""
    )


def _save_model(
    cfg: SelectConfig, out: Path, model, name: str, metrics: dict, classifier=None,
    novelty: dict | None = None,
    fit_ids: set[str] | None = None,
) -> str:  # fmt: skip
    """The chosen regressor (as finally fitted: ``metrics["fitted_on"]``) as a model for
    `nucleate predict`, with the censoring classifier when there is one, the chosen
    descriptors' ranges over the fit substrates and their representation for the novelty of a
    new input (:class:`nucleate.models.novelty.Novelty`)."""

    featurizer = json.loads((out / "features" / "featurizer.json").read_text())
    first = next(iter_records(cfg.data), {})
    meta = {
        "regressor": name,
        "columns": metrics["chosen_features"],
        "featurizer_settings": featurizer["settings"],
        "campaign": campaign_config(cfg.data),
        "units": first.get("units", "lj"),
        "data": str(cfg.data),
        "data_sha256": sha256_of(Path(cfg.data) / "manifest.csv"),
        "split": list(cfg.split),
        "seed": cfg.seed,
        "test": metrics["test"],
        # the error bar of a regressor without its own uncertainty (not a Gaussian process)
        "val_rmse": metrics["val_rmse"][name] if np.isfinite(metrics["val_rmse"][name]) else None,
        "train_range": metrics["train_range"],
    }
    if novelty is not None:
        meta["novelty"] = novelty
    if fit_ids is not None:  # what the training inputs looked like: predict refuses far ones
        fitted = [r for r in iter_records(cfg.data) if r["id"] in fit_ids]
        meta["domain"] = training_domain(fitted, cfg.data, cfg.cache_dir)
    if classifier is not None:
        meta["censoring"] = metrics["censoring"]
    return save_descriptor_model(out, model, meta, classifier).name


def _polymorph_route(X, rows, part, seed: int, out: Path) -> dict:
    """Polymorph fractions of the grown crystal from all usable descriptors (gradient boosting,
    one model per fraction, predictions clipped and renormalised), fitted on the training part
    and scored on the test part beside the baselines; {} when the data set has too few labels."""

    poly, has = polymorph_labels(rows)
    tr, te = (part == "train") & has, (part == "test") & has
    if tr.sum() < 10 or not te.any():
        return {}
    gbr = GradientBoostingRegressor(
        n_estimators=200, max_depth=2, learning_rate=0.05, subsample=0.8, random_state=seed
    )
    model = MultiOutputRegressor(gbr).fit(X[tr], poly[tr])
    pred = np.clip(model.predict(X), 0.0, 1.0)
    pred /= np.maximum(pred.sum(axis=1, keepdims=True), 1e-9)
    with open(out / "predictions_polymorph.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "split", "observed", *POLYMORPH_COLUMNS,
                    *(f"predicted_{c}" for c in POLYMORPH_COLUMNS)])  # fmt: skip
        for k, r in enumerate(rows):
            w.writerow([r["id"], part[k], bool(has[k]), *(f"{v:.4g}" for v in poly[k]),
                        *(f"{v:.4g}" for v in pred[k])])  # fmt: skip
    return {"test": polymorph_metrics(poly[te], pred[te], poly[tr]),
            "train": polymorph_metrics(poly[tr], pred[tr], poly[tr])}  # fmt: skip


def _floor(root: str) -> float | None:

    floor = campaign_config(root).get("ramp", {}).get("t_floor")
    return None if floor is None else float(floor)
