"""Train a T_n model (CNN on density images or GNN on atomic graphs) from one config.

``train_tn(TrainConfig)`` (called through :func:`nucleate.train.tasks.run_training`): featurize
the data set (cached), split by substrate (the split every route shares), scale targets on the
training part only, train with early stopping and checkpoint choice on validation only, evaluate
the test part once with the chosen checkpoint, and write the run directory: ``config.yaml``,
``metrics.json``, ``predictions.csv``, ``checkpoints/best.ckpt`` (self-describing), logs (CSV
always, TensorBoard, Weights & Biases offline unless logged in) and pictures (parity, learning
curves).
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import numpy as np
import torch
import yaml

from nucleate import __version__
from nucleate.data.dataset import (
    SAMPLE_SIDE,
    atomic_write_text,
    campaign_config,
    iter_records,
    read_manifest,
    sha256_of,
    to_plain,
)
from nucleate.errors import InputError
from nucleate.featurize.pipeline import featurize_dataset
from nucleate.models.domain import training_domain
from nucleate.models.novelty import Novelty
from nucleate.report.training import parity_pictures, polymorph_picture
from nucleate.train.config import TrainConfig
from nucleate.train.loggers import make_loggers
from nucleate.train.metrics import (
    POLYMORPH_COLUMNS,
    calibrated_spread,
    coverage,
    label_noise_rms,
    polymorph_labels,
    polymorph_metrics,
    regression_metrics,
    spread_floor,
)
from nucleate.train.module import TnRegressor
from nucleate.train.splits import redraw_validation, substrate_split


def _labels(root: Path, rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from nucleate.data.dataset import campaign_config

    floor = float(campaign_config(root).get("ramp", {}).get("t_floor", np.nan))
    censored = np.array([r["tn_censored"] == "True" for r in rows])
    y = np.array([float(r["tn"]) if r["tn"] else np.nan for r in rows])
    if np.any(censored) and not np.isfinite(floor):
        raise InputError("censored samples need the ramp floor (campaign.yaml) as their bound")
    bound = np.full(len(rows), floor if np.isfinite(floor) else 0.0)
    return np.where(censored, bound, y), censored, bound


def _graph_data(npz: Path, y: float, censored: bool, bound: float, poly=None, has=False):
    import torch

    from nucleate.models.graph_data import to_pyg

    with np.load(npz) as g:
        data = to_pyg(SimpleNamespace(**{k: g[k] for k in g.files}), y=y)
    data.censored = torch.tensor([bool(censored)])
    data.bound = torch.tensor([float(bound)], dtype=torch.float32)
    if poly is not None:
        data.poly = torch.as_tensor(np.asarray(poly)[None], dtype=torch.float32)
        data.has_poly = torch.tensor([bool(has)])
    return data


def train_tn(cfg: TrainConfig) -> dict:
    """Featurize, split, train the ensemble (and the leave-one-family-out models), evaluate once
    on the test part and write the run directory; returns the metrics."""
    cfg.validate()
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    root, out = Path(cfg.data), Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(to_plain(asdict(cfg)), sort_keys=False))
    rows = read_manifest(root)
    ids = [r["id"] for r in rows]
    y, censored, bound = _labels(root, rows)
    multi = cfg.polymorph_weight > 0
    poly, has_poly = polymorph_labels(rows)
    families = np.array([r["family"] for r in rows])
    held_out = np.isin(families, cfg.hold_out)
    part = np.where(held_out, "held_out", substrate_split(ids, tuple(cfg.split), cfg.seed))
    train = (part == "train") & ~censored
    if train.sum() < 2 or not np.any(part == "val"):
        raise InputError(f"{root}: too few substrates to train ({train.sum()} uncensored in train)")
    mean, std = float(y[train].mean()), float(y[train].std() or 1.0)
    feats = featurize_dataset(
        root, cfg.features, cfg.featurizer_settings, out / "features", cache_dir=cfg.cache_dir
    )
    L.seed_everything(cfg.seed, workers=True)
    loader, model_args, images = _inputs(cfg, feats, ids, y, censored, bound, poly, has_poly)
    if multi:
        model_args["out"] = 1 + len(POLYMORPH_COLUMNS)
    train_ids = {i for i, p in zip(ids, part, strict=True) if p in ("train", "val")}
    trained = [r for r in iter_records(root) if r["id"] in train_ids]
    meta = {
        "nucleate_version": __version__,
        "features": cfg.features,
        "featurizer_settings": cfg.featurizer_settings,
        "data": str(root),
        "data_sha256": sha256_of(root / "manifest.csv"),
        "config": to_plain(asdict(cfg)),
        "units": campaign_config(root).get("potential", {}).get("units", "lj"),
        "campaign": campaign_config(root),  # the protocol that made the training data
        # what the training inputs looked like: predict refuses inputs far from it
        "domain": training_domain(trained, root, cfg.cache_dir),
    }
    kind = "image" if cfg.features == "density_image" else "graph"
    preds, epochs, ckpts, polys, member_parts, member_outs = [], [], [], [], [], []
    for k in range(cfg.ensemble):
        member_part = part if k == 0 else redraw_validation(ids, part, cfg.split, cfg.seed + k)
        member_parts.append(member_part)
        member_out = out if cfg.ensemble == 1 else out / f"member{k}"
        member_outs.append(member_out)
        p, ep, ck, zero, pp = _fit_member(
            cfg, member_out, cfg.seed + k, member_part, censored, loader, kind, model_args, mean,
            std, meta, test_now=True,
        )  # fmt: skip
        preds.append(p)
        polys.append(pp)
        epochs.append(ep)
        ckpts.append(str(Path(ck).resolve().relative_to(out.resolve())))
    P = np.stack(preds)
    pred, spread = P.mean(axis=0), (P.std(axis=0, ddof=1) if len(P) > 1 else np.zeros(len(ids)))
    pp = np.mean(polys, axis=0) if multi else None  # ensemble-mean polymorph fractions
    metrics, calibration = _evaluate(cfg, rows, part, y, censored, bound, P, member_parts, mean,
                                     poly, has_poly, pp)  # fmt: skip
    if cfg.lofo and len(set(families)) > 1:
        metrics["leave_one_family_out"] = _leave_one_family_out(
            cfg, out, ids, families, held_out, y, censored, bound, loader, kind, model_args, mean,
            std, meta,
        )  # fmt: skip
    metrics["calibration"] = calibration
    if zero:  # the checkpoints carry it: predict widens the spread by it
        for ck in ckpts:
            store_calibration(out / ck, calibration)
    metrics.update(
        model=cfg.model, features=cfg.features, epochs=epochs, checkpoints=ckpts,
        fit_seconds=fit_seconds(member_outs),
        checkpoint=ckpts[0], ensemble=cfg.ensemble,
        n_parameters=sum(p.numel() for p in TnRegressor.load_from_checkpoint(out / ckpts[0]).parameters()),
        data_sha256=meta["data_sha256"],
    )  # fmt: skip
    if not zero:  # other DDP ranks: rank 0 writes the run
        return metrics
    _write_run(out, metrics, rows, part, y, censored, pred, spread, poly, has_poly, pp, families,
               root)  # fmt: skip
    if images is not None:
        _saliency(out / ckpts[0], images, ids, part, out / "saliency.png")
    return metrics


def _leave_one_family_out(
    cfg, out, ids, families, held_out, y, censored, bound, loader, kind, model_args, mean, std, meta
) -> dict:
    """One model per family trained on the others (validation drawn from them) and scored on it;
    families held out of the run stay out of every fit. Each held-out substrate's prediction goes
    to ``lofo_predictions.csv`` (as the descriptor route's), with the σ that model would report:
    its calibration floor from its own validation substrates (of the training families: how
    well that σ covers a family never seen is the point of the score)."""
    scores, lines = {}, []
    for fam in sorted(set(families[~held_out])):
        held = families == fam
        fam_part = redraw_validation(ids, np.where(held, "test", "train"), cfg.split, cfg.seed)
        fam_part[held] = "test"
        fam_part[held_out] = "held_out"
        p, *_ = _fit_member(
            cfg, out / "lofo" / fam, cfg.seed, fam_part, censored, loader, kind, model_args, mean,
            std, meta, test_now=False,
        )  # fmt: skip
        scores[fam] = regression_metrics(
            y[held], p[held], censored[held], bound[held], baseline=mean
        )
        scores[fam]["fit_seconds"] = fit_seconds([out / "lofo" / fam])
        floor = spread_floor(y, p[None, :], [fam_part], censored)["floor"]
        sigma = calibrated_spread(np.zeros(len(p)), floor)  # one member: no spread of its own
        ok = held & ~censored
        if ok.any():
            scores[fam]["coverage_2sigma_calibrated"] = coverage(y[ok], p[ok], sigma[ok])
        lines += [[ids[k], fam, cfg.model, "" if censored[k] else f"{y[k]:.6g}", f"{p[k]:.6g}",
                   f"{sigma[k]:.6g}"] for k in np.flatnonzero(held)]  # fmt: skip
    with open(out / "lofo_predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "family", "regressor", "tn", "predicted", "predicted_std"])
        w.writerows(lines)
    return scores


def _inputs(cfg: TrainConfig, feats: Path, ids, y, censored, bound, poly, has_poly):
    """The featurized samples as loaders: ``loader(mask, shuffle)``, the model's arguments that
    the data fix (image channels and size, embedded species) and the images (None for graphs)."""
    multi = cfg.polymorph_weight > 0
    images = None
    if cfg.features == "density_image":
        from torch.utils.data import DataLoader, TensorDataset

        with np.load(feats / "images.npz") as d:
            order = {str(i): k for k, i in enumerate(d["ids"])}
            images = d["images"][[order[i] for i in ids]]
        model_args = {"in_channels": images.shape[1], **cfg.model_args}
        if cfg.model == "icepic_vgg":
            model_args.setdefault("size", images.shape[-1])
        arrays = (images, y, censored, bound) + ((poly, has_poly) if multi else ())
        tensors = [torch.as_tensor(a, dtype=torch.float32) for a in arrays]
        tensors[2] = tensors[2].bool()
        if multi:
            tensors[5] = tensors[5].bool()

        def loader(mask, shuffle):
            idx = torch.as_tensor(np.flatnonzero(mask))
            return DataLoader(
                TensorDataset(*(t[idx] for t in tensors)), cfg.batch_size, shuffle=shuffle
            )
    else:
        from torch_geometric.loader import DataLoader

        graphs = [
            _graph_data(
                feats / f"{i}.npz",
                y[k],
                censored[k],
                bound[k],
                poly[k] if multi else None,
                has_poly[k],
            )
            for k, i in enumerate(ids)
        ]
        species = sorted({int(s) for g in graphs for s in g.species.tolist()})
        model_args = {"species": tuple(species), **cfg.model_args}

        def loader(mask, shuffle):
            return DataLoader(
                [graphs[k] for k in np.flatnonzero(mask)], cfg.batch_size, shuffle=shuffle
            )

    return loader, model_args, images


def _evaluate(
    cfg: TrainConfig, rows, part, y, censored, bound, P, member_parts, mean, poly, has_poly, pp
) -> tuple[dict, dict]:
    """Metrics of the ensemble's mean per part (censoring-aware), the coverage of its spread and
    of the spread widened by the calibration floor, the polymorph head's; and the calibration."""
    pred, spread = P.mean(axis=0), (P.std(axis=0, ddof=1) if len(P) > 1 else np.zeros(len(P[0])))
    held_out, test_mask = part == "held_out", part == "test"
    val_mask = part == "val"
    metrics = {
        stage: regression_metrics(y[m], pred[m], censored[m], bound[m], baseline=mean)
        for stage, m in (("train", part == "train"), ("val", val_mask), ("test", test_mask),
                         ("held_out", held_out))
        if m.any()
    }  # fmt: skip
    # the error the spread misses, from each member's own validation substrates
    calibration = spread_floor(y, P, member_parts, censored)
    sigma = calibrated_spread(spread, calibration["floor"])
    if held_out.any():
        metrics["held_out"]["families"] = sorted(set(cfg.hold_out))
        ok = held_out & ~censored
        if cfg.ensemble > 1 and ok.any():
            metrics["held_out"]["coverage_2sigma"] = coverage(y[ok], pred[ok], spread[ok])
        if ok.any():
            metrics["held_out"]["coverage_2sigma_calibrated"] = coverage(y[ok], pred[ok], sigma[ok])
    if test_mask.any():
        metrics["test"]["label_noise_rms"] = label_noise_rms(rows, test_mask & ~censored)
    if cfg.ensemble > 1 and test_mask.any():
        ok = test_mask & ~censored
        z = np.abs(pred[ok] - y[ok]) / np.maximum(spread[ok], 1e-12)
        metrics["test"]["coverage_1sigma"] = float(np.mean(z <= 1.0))
        metrics["test"]["coverage_2sigma"] = float(np.mean(z <= 2.0))
        metrics["test"]["mean_spread"] = float(spread[ok].mean())
    if test_mask.any() and (test_mask & ~censored).any():
        ok = test_mask & ~censored
        metrics["test"]["coverage_2sigma_calibrated"] = coverage(y[ok], pred[ok], sigma[ok])
    if pp is not None and test_mask.any():
        tr = (part == "train") & has_poly
        te = test_mask & has_poly
        metrics["polymorph"] = {
            "test": polymorph_metrics(poly[te], pp[te], poly[tr]),
            "train": polymorph_metrics(poly[tr], pp[tr], poly[tr]),
        }
    return metrics, calibration


def _write_run(
    out: Path,
    metrics,
    rows,
    part,
    y,
    censored,
    pred,
    spread,
    poly,
    has_poly,
    pp,
    families,
    root: Path,
) -> None:
    """``metrics.json``, ``predictions.csv`` (and the polymorph head's) and the pictures."""
    ids = [r["id"] for r in rows]
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    with open(out / "predictions.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "split", "tn", "censored", "predicted", "spread"])
        for k, i in enumerate(ids):
            w.writerow([i, part[k], f"{y[k]:.6g}", bool(censored[k]), f"{pred[k]:.6g}",
                        f"{spread[k]:.6g}"])  # fmt: skip
    parity_pictures(out, y, pred, part, censored)
    if pp is not None:
        with open(out / "predictions_polymorph.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "split", "family", "observed", *POLYMORPH_COLUMNS,
                        *(f"predicted_{c}" for c in POLYMORPH_COLUMNS)])  # fmt: skip
            for k, i in enumerate(ids):
                w.writerow([i, part[k], families[k], bool(has_poly[k]),
                            *(f"{v:.4g}" for v in poly[k]), *(f"{v:.4g}" for v in pp[k])])  # fmt: skip
        polymorph_picture(out / "polymorph.png", poly, pp, part, has_poly, families)
        _precursor_maps(root, rows, y, censored, out / "precursor_maps.png")


def _saliency(checkpoint: Path, images: np.ndarray, ids, part, path: Path, n: int = 4) -> None:
    """Which regions of the layer drive the prediction: the gradient magnitude |dT_n/d pixel|,
    lightly smoothed, beside each image (test images first)."""
    import matplotlib.pyplot as plt
    import torch
    from scipy.ndimage import gaussian_filter

    from nucleate.train.module import TnRegressor

    model = TnRegressor.load_from_checkpoint(checkpoint).eval()
    chosen = [k for k in range(len(ids)) if part[k] == "test"][:n] or list(range(min(n, len(ids))))
    fig, axes = plt.subplots(2, len(chosen), figsize=(2.6 * len(chosen), 5.2), squeeze=False,
                             layout="constrained")  # fmt: skip
    for col, k in enumerate(chosen):
        x = torch.as_tensor(images[k : k + 1], dtype=torch.float32).requires_grad_(True)
        model(x).sum().backward()
        grad = x.grad.abs().sum(dim=1)[0].numpy()
        axes[0, col].imshow(images[k, 0], origin="lower", cmap="magma")
        axes[0, col].set_title(f"{ids[k]}\nT_n = {float(model(x).detach()):.3f}", fontsize=7)
        axes[1, col].imshow(gaussian_filter(grad, 1.0), origin="lower", cmap="viridis")
        for ax in axes[:, col]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("layer 1 density")
    axes[1, 0].set_ylabel("saliency |dT_n/dx|")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def store_calibration(checkpoint: str | os.PathLike, calibration: dict) -> None:
    """Write the spread calibration into a checkpoint's meta (atomically)."""
    import torch

    path = Path(checkpoint)
    ck = torch.load(path, map_location="cpu", weights_only=False)
    ck["hyper_parameters"]["meta"] = {**ck["hyper_parameters"]["meta"], "calibration": calibration}
    tmp = path.with_suffix(".tmp")
    torch.save(ck, tmp)
    os.replace(tmp, path)


#: config fields that do not change what a fit learns (left out of its resume key)
_NOT_IN_FIT = ("out", "loggers", "wandb_project", "resume", "threads", "lofo", "ensemble",
               "cache_dir", "hold_out", "progress")  # fmt: skip


def fit_key(cfg: TrainConfig, seed: int, part: np.ndarray, data_sha256: str) -> str:
    """What one fit depends on, hashed: the config (less :data:`_NOT_IN_FIT`), the seed, every
    sample's part and the data set's manifest hash."""
    import hashlib

    fields = {k: v for k, v in to_plain(asdict(cfg)).items() if k not in _NOT_IN_FIT}
    text = json.dumps([fields, int(seed), [str(p) for p in part], data_sha256, __version__],
                      sort_keys=True, default=str)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def fit_seconds(outs: list[Path]) -> float | None:
    """Wall seconds the fits in ``outs`` took to train (their ``fit.json``), summed; None when any
    fit has no time recorded (made by an earlier version)."""
    total = 0.0
    for out in outs:
        try:
            total += float(json.loads((out / "fit.json").read_text())["seconds"])
        except (OSError, ValueError, KeyError):
            return None
    return round(total, 3)


def _finished_fit(out: Path, key: str) -> dict | None:
    """The record of a fit finished in ``out`` with this key and its checkpoint still there."""
    try:
        record = json.loads((out / "fit.json").read_text())
    except (OSError, ValueError):
        return None
    if record.get("key") != key or not (out / record.get("checkpoint", "")).is_file():
        return None
    return record


def _predict_all(best, loader, n: int, polymorph: bool):
    best.eval()
    with torch.no_grad():
        everyone = loader(np.ones(n, bool), False)
        pred = torch.cat([best.predict_step(b, 0) for b in everyone]).numpy()
        poly = (
            torch.cat([best.predict_polymorph(b) for b in everyone]).numpy() if polymorph else None
        )
    return pred, poly


def _fit_member(
    cfg, out, seed, part, censored, loader, kind, model_args, mean, std, meta, test_now
):
    """Train one model on ``part == "train"`` with early stopping on ``"val"``; returns its
    predictions for every sample, the epochs run and the best checkpoint's path. With
    ``cfg.resume`` a fit finished before in ``out`` with the same key is reloaded instead."""
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    key = fit_key(cfg, seed, part, meta["data_sha256"])
    record = _finished_fit(out, key) if cfg.resume else None
    if record is not None:
        path = out / record["checkpoint"]
        best = TnRegressor.load_from_checkpoint(path)
        pred, poly = _predict_all(best, loader, len(part), cfg.polymorph_weight > 0)
        return pred, record["epochs"], str(path), True, poly
    # the record of an earlier fit here goes first: this fit replaces its checkpoint as it trains,
    # and a run killed before this one finishes must not take that checkpoint for the old fit
    (out / "fit.json").unlink(missing_ok=True)
    L.seed_everything(seed, workers=True)
    train = (part == "train") & ~censored
    module = TnRegressor(
        cfg.model,
        model_args,
        kind,
        mean,
        std,
        cfg.lr,
        cfg.weight_decay,
        cfg.augment,
        meta,
        polymorph_weight=float(cfg.polymorph_weight),
    )
    # a fit trained again (killed, or its config changed) replaces the checkpoint it left instead
    # of writing best-v1.ckpt beside it (a stale file as large as the model)
    checkpoint = ModelCheckpoint(out / "checkpoints", "best", monitor="val_loss", mode="min",
                                 enable_version_counter=False)  # fmt: skip
    trainer = L.Trainer(
        max_epochs=cfg.max_epochs, accelerator=cfg.accelerator, devices=cfg.devices,
        strategy=cfg.strategy, num_nodes=cfg.num_nodes,
        callbacks=[EarlyStopping("val_loss", patience=cfg.patience), checkpoint],
        logger=make_loggers(cfg.loggers, out, cfg.wandb_project, Path(cfg.out).name),
        enable_progress_bar=cfg.progress, enable_model_summary=cfg.progress, log_every_n_steps=1,
        deterministic=True, precision=cfg.precision,
    )  # fmt: skip
    start = time.perf_counter()
    trainer.fit(module, loader(train, True), loader(part == "val", False))
    seconds = time.perf_counter() - start
    best = TnRegressor.load_from_checkpoint(checkpoint.best_model_path)
    test_mask = part == "test"
    if test_now and test_mask.any():
        trainer.test(best, loader(test_mask, False), verbose=False)  # touched once, best checkpoint
    # every rank predicts every sample itself (no distributed sampler, no gather needed)
    pred, poly = _predict_all(best, loader, len(part), cfg.polymorph_weight > 0)
    if trainer.is_global_zero:  # the training inputs in the model's own representation
        with torch.no_grad():
            embedded = [best.embed(best.inputs(b)) for b in loader(part == "train", False)]
        novelty = Novelty(torch.cat(embedded).numpy())
        state = torch.load(checkpoint.best_model_path, weights_only=False)
        state["hyper_parameters"]["meta"] = {**state["hyper_parameters"]["meta"],
                                             "novelty": novelty.to_dict()}  # fmt: skip
        torch.save(state, checkpoint.best_model_path)
        record = {"key": key, "epochs": trainer.current_epoch, "seconds": round(seconds, 3),
                  "checkpoint": str(Path(checkpoint.best_model_path).resolve().relative_to(
                      out.resolve()))}  # fmt: skip
        atomic_write_text(out / "fit.json", json.dumps(record))
    return pred, trainer.current_epoch, checkpoint.best_model_path, trainer.is_global_zero, poly


def _precursor_maps(root: Path, rows, y, censored, path: Path) -> None:
    """q̄4–q̄6 maps of the contact layer of the strongest and the weakest nucleator, against
    references at the data set's T_eq (LJ data sets made by nucleate only)."""
    from nucleate.data.dataset import campaign_config
    from nucleate.data.io import read_frames
    from nucleate.report.features import plot_precursor_maps

    c = campaign_config(root)
    t_eq, a0 = c.get("equilibrium", {}).get("t_eq"), c.get("a0")
    if t_eq is None or a0 is None or c.get("potential", {}).get("units", "lj") != "lj":
        return
    ok = np.flatnonzero(~censored & np.isfinite(y))
    if len(ok) < 2:
        return
    picks = [ok[np.argmax(y[ok])], ok[np.argmin(y[ok])]]
    frames = [read_frames(root / "samples" / rows[k]["id"] / "frames.extxyz.gz", side=SAMPLE_SIDE)
              for k in picks]  # fmt: skip
    titles = [f"{rows[k]['id']}: T_n = {y[k]:.3f} ({w})" for k, w in zip(picks, ("strongest",
              "weakest"), strict=True)]  # fmt: skip
    plot_precursor_maps(frames, titles, float(t_eq), path, float(a0))


def export_run(run: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """A shippable copy of a training run (``models/``): metrics, config, predictions, pictures and
    every member's checkpoint reduced to what loading needs (weights and hyperparameters, which
    carry the featurizer settings, scalers and protocol; no optimizer state)."""
    import shutil

    import torch

    run, dest = Path(run), Path(dest)
    if not (run / "metrics.json").exists():
        raise InputError(f"{run}: not a training run (no metrics.json)")
    metrics = json.loads((run / "metrics.json").read_text())
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("metrics.json", "config.yaml", "predictions.csv", "parity.png",
                 "learning_curves.png", "saliency.png"):  # fmt: skip
        if (run / name).exists():
            shutil.copy2(run / name, dest / name)
    keep = ("state_dict", "hyper_parameters", "hparams_name", "pytorch-lightning_version")
    for rel in metrics["checkpoints"]:
        state = torch.load(run / rel, map_location="cpu", weights_only=False)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        torch.save({k: state[k] for k in keep if k in state}, dest / rel)
    return dest
