"""Per-atom dynamical propensity from static structure: a GNN with a node-level head and a ridge
baseline on the same local-order descriptors, cross-validated over groups of configurations.

Data (``data``): a propensity data set made by ``nucleate generate --propensity`` (films on
substrates; one group = one substrate, all its configurations) or a directory of
BOTAN/GlassBench ``isoconfig_*.npz`` files (the Kob–Andersen benchmark; one group = one
configuration). Every configuration becomes one graph whose nodes carry the descriptors
(:class:`~nucleate.structure.order.RadialBondOrder`, optionally
:class:`~nucleate.structure.order.PairEnergy`) and whose targeted nodes (``target_species``, or
every liquid atom) carry the propensity.

``run_propensity_training(PropensityTrainConfig)``: for each cross-validation fold, the GNN (early
stopping on one group of the training part) and the ridge (its strength chosen by grouped
cross-validation inside the training part) predict the held-out groups; Pearson r per configuration
and pooled, next to the labels' split-half noise ceiling. Then a final GNN on all groups (one held
out for early stopping) is saved as a self-describing checkpoint. Run directory: ``config.yaml``,
``metrics.json``, ``predictions.npz``, ``checkpoints/``, logs, ``parity.png``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from nucleate import __version__
from nucleate.errors import InputError
from nucleate.report.training import propensity_parity


@dataclass
class PropensityTrainConfig:
    """One propensity training run (configs/train/propensity_*.yaml).

    ``local_order``: :class:`~nucleate.structure.order.RadialBondOrder` arguments;
    ``pair_energy``: :class:`~nucleate.structure.order.PairEnergy` arguments or ``None``;
    ``cutoff``: graph edge cutoff; ``target_species``: atom types whose propensity is learned and
    scored (``None``: every liquid atom; in films, vapour atoms with fewer than 3 neighbours
    within ``cutoff`` are not scored); ``folds``: cross-validation folds over groups (0: leave
    one group out); ``final``: also train on everything and save the checkpoint; ``ship``: then
    export the run (checkpoint without optimizer state, metrics, config, picture) to this
    directory, e.g. ``models/ka3d-t044/propensity``."""

    data: str = "data/lj-fcc-v1-propensity"
    out: str = "runs/propensity/lj-fcc"
    local_order: dict = field(default_factory=dict)
    pair_energy: dict | None = None
    cutoff: float = 1.5
    target_species: list[int] | None = None
    model_args: dict = field(default_factory=dict)
    folds: int = 4
    seed: int = 0
    max_epochs: int = 150
    patience: int = 20
    lr: float = 2e-3
    weight_decay: float = 1e-4
    ridge_alphas: list[float] = field(default_factory=lambda: [1e1, 1e2, 1e3, 1e4, 1e5])
    final: bool = True
    ship: str | None = None
    loggers: list[str] = field(default_factory=lambda: ["csv", "tensorboard"])
    wandb_project: str = "nucleate"
    accelerator: str = "auto"
    cache_dir: str | None = None


@dataclass
class _Config:
    """One configuration: its group, graph (numpy; ``graph.height`` for films), targets (nan
    where not scored), noise ceilings (all scored atoms; contact layer, films only), units."""

    name: str
    group: str
    graph: object
    target: np.ndarray
    ceiling: float
    units: str
    ceiling_contact: float = float("nan")


def featurizer_settings(cfg: PropensityTrainConfig) -> dict:
    return {"local_order": cfg.local_order, "pair_energy": cfg.pair_energy, "cutoff": cfg.cutoff}


def node_featurizer(settings: dict):
    """``(positions, cell, pbc, types) -> (n, f)`` per-atom descriptors from featurizer
    settings: radial bond order, then the pair energy when configured."""
    from nucleate.structure.order import PairEnergy, RadialBondOrder

    parts = [RadialBondOrder(**_tuples(settings.get("local_order") or {}))]
    if settings.get("pair_energy"):
        parts.append(PairEnergy(**_tuples(settings["pair_energy"])))

    def compute(positions, cell, pbc, types):
        return np.hstack([p(positions, cell, pbc, types) for p in parts])

    return compute


def _tuples(d: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def build_graph(frame, settings: dict):
    """The propensity graph of a frame: every liquid atom (and the top substrate layers of a film)
    as nodes, with the descriptors as node features."""
    from nucleate.featurize.graphs import GraphFeaturizer

    compute = node_featurizer(settings)
    return GraphFeaturizer(cutoff=settings["cutoff"], layers=None, local_order=compute)(frame)


def _cache_path(cfg, settings: dict, source: Path) -> Path:
    from nucleate.data.dataset import sha256_of
    from nucleate.featurize.cache import cache_key, default_cache_dir

    base = Path(cfg.cache_dir) if cfg.cache_dir else default_cache_dir()
    key = cache_key("propensity_graph", settings, sha256_of(source))
    return base / "propensity" / f"{source.stem}-{key[:20]}.npz"


def load_configs(cfg: PropensityTrainConfig, progress: bool = True) -> list[_Config]:
    """Every configuration of ``cfg.data`` as a graph with targets (descriptors cached)."""
    from types import SimpleNamespace

    from tqdm.auto import tqdm

    from nucleate.data.propensity import noise_ceiling, read_isoconfig
    from nucleate.featurize.cache import cached
    from nucleate.featurize.graphs import GRAPH_ARRAYS, graph_arrays

    root = Path(cfg.data)
    settings = featurizer_settings(cfg)
    items = []  # (source file, loader)
    ka = sorted(root.glob("isoconfig_*.npz")) if root.is_dir() else []
    if ka:
        for f in ka:
            items.append((f, "ka"))
    elif (root / "manifest.csv").exists():
        from nucleate.data.dataset import read_manifest

        for row in read_manifest(root):
            items.append((root / "samples" / row["id"] / "configs.extxyz.gz", "film"))
    else:
        raise InputError(f"{root}: neither a propensity data set nor isoconfig_*.npz files")
    out = []
    for path, kind in tqdm(items, desc="propensity graphs", disable=not progress):
        cache = _cache_path(cfg, settings, path)
        if kind == "ka":
            s = read_isoconfig(path)
            frames = [s.frame]
            targets = [s.propensity]
            masks = [np.isin(s.frame.types, cfg.target_species or [1, 2])]
            ceilings = [noise_ceiling(s.displacements, masks[0]).max_r]
            groups = [path.stem]
        else:
            from nucleate.data.io import read_frames

            frames = read_frames(path)
            targets = [np.asarray(f.arrays["propensity"], float) for f in frames]
            masks = [f.liquid & (np.isin(f.types, cfg.target_species) if cfg.target_species
                                 else True) for f in frames]  # fmt: skip
            ceilings = [float(f.info.get("ceiling", np.nan)) for f in frames]
            ceil_contact = [float(f.info.get("ceiling_contact", np.nan)) for f in frames]
            groups = [path.parent.name] * len(frames)

        def compute(frames=frames):
            return {f"g{i}_{k}": v for i, f in enumerate(frames)
                    for k, v in graph_arrays(build_graph(f, settings)).items()}  # fmt: skip

        stored, _ = cached(cache, compute, force=False)
        graphs = [SimpleNamespace(**{k: stored[f"g{i}_{k}"] for k in GRAPH_ARRAYS})
                  for i in range(len(frames))]  # fmt: skip
        for k, g in enumerate(graphs):
            t = np.where(masks[k], targets[k], np.nan)[np.asarray(g.atom_index)]
            if kind == "film":  # vapour atoms (under 3 neighbours) move ballistically: not scored
                degree = np.bincount(np.asarray(g.edge_index)[0], minlength=len(t))
                t[degree < 3] = np.nan
            out.append(_Config(
                f"{path.stem if kind == 'ka' else groups[k]}#{k}", groups[k], g, t, ceilings[k],
                frames[k].units, ceil_contact[k] if kind == "film" else float("nan"),
            ))  # fmt: skip
    return out


def _folds(groups: list[str], n_folds: int, seed: int) -> list[np.ndarray]:
    uniq = sorted(set(groups))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    n = len(uniq) if n_folds <= 0 else min(n_folds, len(uniq))
    held = [set(np.array(uniq)[order[k::n]]) for k in range(n)]
    return [np.array([g in h for g in groups]) for h in held]


def _ridge_matrix(c: _Config, height_only: bool = False) -> np.ndarray:
    g = c.graph
    x = np.asarray(g.node_features, float)
    if np.any(np.asarray(g.node_type) == 1):  # films: the height above the substrate too
        h = np.asarray(g.height, float)[:, None]
        hx = np.hstack([h, np.exp(-h), np.exp(-h / 3.0), np.exp(-((h - 1.0) ** 2))])
        x = hx if height_only else np.hstack([x, hx])
    return x


def _fit_ridge(train: list[_Config], alphas: list[float], seed: int, height_only: bool = False):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def xy(cs):
        X = np.concatenate([_ridge_matrix(c, height_only) for c in cs])
        y = np.concatenate([c.target for c in cs])
        ok = np.isfinite(y)
        return X[ok], y[ok]

    groups = [c.group for c in train]
    inner = _folds(groups, 3, seed + 1) if len(set(groups)) > 2 else []
    best, best_r = alphas[0], -np.inf
    for a in alphas if inner else []:
        rs = []
        for f in inner:
            tr = [c for c, m in zip(train, f, strict=True) if not m]
            te = [c for c, m in zip(train, f, strict=True) if m]
            model = make_pipeline(StandardScaler(), Ridge(alpha=a)).fit(*xy(tr))
            rs += [_pearson(model.predict(_ridge_matrix(c, height_only)), c.target) for c in te]
        if np.nanmean(rs) > best_r:
            best, best_r = a, float(np.nanmean(rs))
    return make_pipeline(StandardScaler(), Ridge(alpha=best)).fit(*xy(train)), best


def _pearson(pred: np.ndarray, target: np.ndarray) -> float:
    ok = np.isfinite(target)
    if ok.sum() < 3:
        return float("nan")
    return float(np.corrcoef(np.asarray(pred)[ok], target[ok])[0, 1])


def _to_data(c: _Config):
    import torch

    from nucleate.models.graph_data import to_pyg

    t = np.nan_to_num(c.target, nan=0.0)
    d = to_pyg(c.graph, node_y=t)
    d.node_mask = torch.as_tensor(np.isfinite(c.target))
    return d


def _train_gnn(cfg, train: list[_Config], val: list[_Config], out: Path, meta: dict, tag: str):
    import lightning as L
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from torch_geometric.loader import DataLoader

    from nucleate.train.loggers import make_loggers
    from nucleate.train.module import PropensityRegressor

    x = np.concatenate([np.asarray(c.graph.node_features) for c in train])
    y = np.concatenate([c.target for c in train])
    y = y[np.isfinite(y)]
    species = sorted({int(s) for c in train for s in np.asarray(c.graph.species)})
    model_args = {"species": tuple(species), "extra_features": x.shape[1], "node_out": 1,
                  "cutoff": cfg.cutoff, **cfg.model_args}  # fmt: skip
    module = PropensityRegressor(
        "gnn", model_args, x_mean=x.mean(0).tolist(), x_std=(x.std(0) + 1e-6).tolist(),
        target_mean=float(y.mean()), target_std=float(y.std() or 1.0), lr=cfg.lr,
        weight_decay=cfg.weight_decay, meta=meta,
    )  # fmt: skip
    L.seed_everything(cfg.seed, workers=True)
    ckpt = ModelCheckpoint(out / "checkpoints", filename=tag, monitor="val_loss", mode="min")
    trainer = L.Trainer(
        max_epochs=cfg.max_epochs, accelerator=cfg.accelerator, devices=1,
        callbacks=[EarlyStopping("val_loss", patience=cfg.patience), ckpt],
        logger=make_loggers(cfg.loggers, out / "logs" / tag, cfg.wandb_project, tag)
        if cfg.loggers else False,
        enable_progress_bar=False, enable_model_summary=False, log_every_n_steps=1,
        deterministic=False,
    )  # fmt: skip
    trainer.fit(
        module,
        DataLoader([_to_data(c) for c in train], batch_size=1, shuffle=True),
        DataLoader([_to_data(c) for c in val], batch_size=1),
    )
    best = PropensityRegressor.load_from_checkpoint(ckpt.best_model_path, map_location="cpu")
    return best.eval(), Path(ckpt.best_model_path), int(trainer.current_epoch)


def predict_nodes(model, graph) -> np.ndarray:
    """(nodes,) propensity predicted for a numpy graph."""
    import torch

    from nucleate.models.graph_data import to_pyg

    with torch.no_grad():
        return model(to_pyg(graph)).numpy()


def run_propensity_training(cfg: PropensityTrainConfig, progress: bool = True) -> dict:
    import yaml

    from nucleate.data.dataset import to_plain

    start = time.time()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.rmtree(out / "checkpoints", ignore_errors=True)  # no stale -v1 copies from a rerun
    (out / "config.yaml").write_text(yaml.safe_dump(to_plain(asdict(cfg)), sort_keys=False))
    configs = load_configs(cfg, progress)
    groups = [c.group for c in configs]
    if len(set(groups)) < 3:
        raise InputError(f"{cfg.data}: cross-validation needs at least 3 groups")
    settings = featurizer_settings(cfg)
    units = {c.units for c in configs}
    if len(units) > 1:
        raise InputError(f"{cfg.data}: configurations in several unit systems {sorted(units)}")
    units = units.pop()
    campaign = {}
    if (Path(cfg.data) / "campaign.yaml").exists():
        campaign = yaml.safe_load((Path(cfg.data) / "campaign.yaml").read_text())
    film = any(np.any(np.asarray(c.graph.node_type) == 1) for c in configs)
    meta = {"nucleate_version": __version__, "task": "propensity",
            "featurizer_settings": settings, "data": str(cfg.data), "units": units,
            "config": to_plain(asdict(cfg)), "campaign": campaign,
            "geometry": "film" if film else "bulk"}  # fmt: skip
    pred_gnn = [np.full(len(c.target), np.nan) for c in configs]
    pred_ridge = [np.full(len(c.target), np.nan) for c in configs]
    pred_height = [np.full(len(c.target), np.nan) for c in configs]
    folds = _folds(groups, cfg.folds, cfg.seed)
    fold_info = []
    for k, test in enumerate(folds):
        train_idx = np.flatnonzero(~test)
        train_groups = sorted({groups[i] for i in train_idx})
        val_group = train_groups[np.random.default_rng(cfg.seed + k).integers(len(train_groups))]
        tr = [configs[i] for i in train_idx if groups[i] != val_group]
        va = [configs[i] for i in train_idx if groups[i] == val_group]
        model, _, epochs = _train_gnn(cfg, tr, va, out, meta, f"fold{k}")
        ridge, alpha = _fit_ridge([configs[i] for i in train_idx], cfg.ridge_alphas, cfg.seed)
        if film:  # how much a height profile alone explains
            height, _ = _fit_ridge([configs[i] for i in train_idx], [1.0], cfg.seed, True)
        for i in np.flatnonzero(test):
            pred_gnn[i] = predict_nodes(model, configs[i].graph)
            pred_ridge[i] = ridge.predict(_ridge_matrix(configs[i]))
            if film:
                pred_height[i] = height.predict(_ridge_matrix(configs[i], True))
        fold_info.append({"test_groups": sorted({groups[i] for i in np.flatnonzero(test)}),
                          "val_group": val_group, "epochs": epochs, "ridge_alpha": alpha})  # fmt: skip
        if progress:
            r = [_pearson(pred_gnn[i], configs[i].target) for i in np.flatnonzero(test)]
            print(f"fold {k + 1}/{len(folds)}: GNN r {np.nanmean(r):.3f} ({epochs} epochs)")
    metrics = {
        "n_configs": len(configs),
        "n_groups": len(set(groups)),
        "folds": fold_info,
        "gnn": score(configs, pred_gnn),
        "ridge": score(configs, pred_ridge),
        "ceiling": float(np.nanmean([c.ceiling for c in configs])),
    }
    if film:
        metrics["height_only"] = score(configs, pred_height)
        metrics["ceiling_contact"] = float(np.nanmean([c.ceiling_contact for c in configs]))
    (out / "metrics.json").write_text(json.dumps(to_plain(metrics), indent=1) + "\n")  # CV first
    checkpoints = []
    if cfg.final:
        uniq = sorted(set(groups))
        val_group = uniq[np.random.default_rng(cfg.seed).integers(len(uniq))]
        _, path, epochs = _train_gnn(
            cfg, [c for c in configs if c.group != val_group],
            [c for c in configs if c.group == val_group], out, meta, "final",
        )  # fmt: skip
        checkpoints.append(str(path.resolve().relative_to(out.resolve())))
        metrics["final"] = {"val_group": val_group, "epochs": epochs}
    metrics["checkpoints"] = checkpoints
    metrics["seconds"] = round(time.time() - start, 1)
    np.savez_compressed(
        out / "predictions.npz", names=np.array([c.name for c in configs]),
        groups=np.array(groups), **{f"target_{k}": c.target for k, c in enumerate(configs)},
        **{f"gnn_{k}": p for k, p in enumerate(pred_gnn)},
        **{f"ridge_{k}": p for k, p in enumerate(pred_ridge)},
        **{f"height_{k}": c.graph.height for k, c in enumerate(configs)},
    )  # fmt: skip
    (out / "metrics.json").write_text(json.dumps(to_plain(metrics), indent=1) + "\n")
    propensity_parity(
        [c.target for c in configs], pred_gnn, pred_ridge, metrics, out / "parity.png"
    )
    if cfg.ship and checkpoints:
        from nucleate.train.run import export_run

        export_run(out, cfg.ship)
    return metrics


def score(configs: list[_Config], preds: list[np.ndarray]) -> dict:
    """Pearson r per configuration (mean and standard error) and pooled over all configurations;
    for films also within the contact layer (height < 1.2) and the rest."""
    per = [_pearson(p, c.target) for c, p in zip(configs, preds, strict=True)]
    t = np.concatenate([c.target for c in configs])
    p = np.concatenate(preds)
    ok = np.isfinite(t) & np.isfinite(p)
    res = {
        "r_per_config": [float(r) for r in per],
        "r_mean": float(np.nanmean(per)),
        "r_sem": float(np.nanstd(per) / np.sqrt(max(np.isfinite(per).sum(), 1))),
        "r_pooled": float(np.corrcoef(p[ok], t[ok])[0, 1]),
    }
    if any(np.any(np.asarray(c.graph.node_type) == 1) for c in configs):
        h = np.concatenate([c.graph.height for c in configs])
        for name, sel in (("contact", h < 1.2), ("above_contact", h >= 1.2)):
            m = ok & sel
            res[f"r_pooled_{name}"] = float(np.corrcoef(p[m], t[m])[0, 1]) if m.sum() > 2 else None
        # within each configuration's contact layer: comparable to the contact-layer ceiling
        per_c = []
        for c, q in zip(configs, preds, strict=True):
            sel = np.asarray(c.graph.height) < 1.2
            per_c.append(_pearson(q[sel], c.target[sel]))
        res["r_contact_per_config"] = float(np.nanmean(per_c))
    return res
