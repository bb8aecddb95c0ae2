"""Per-atom dynamical propensity from static structure: a GNN with a node-level head and a ridge
baseline on the same local-order descriptors, cross-validated over groups of configurations.

Data (``data``): a propensity data set made by ``nucleate generate --propensity`` (films on
substrates; one group = one substrate, all its configurations) or a directory of
BOTAN/GlassBench ``isoconfig_*.npz`` files (the Kob–Andersen benchmark; one group = one
configuration). Every configuration becomes one graph whose nodes carry the descriptors
(:class:`~nucleate.structure.order.RadialBondOrder`, optionally
:class:`~nucleate.structure.order.PairEnergy`) and whose targeted nodes (``target_species``, or
every liquid atom) carry the propensity.

``train_propensity(PropensityTrainConfig)`` (called through
:func:`nucleate.train.tasks.run_training`): for each cross-validation fold, the GNN (early stopping
on one group of the training part) and the ridge (its strength chosen by grouped
cross-validation inside the training part) predict the held-out groups; Pearson r per configuration
and pooled, next to the labels' split-half noise ceiling. Then a final GNN on all groups (one held
out for early stopping) is saved as a self-describing checkpoint. Run directory: ``config.yaml``,
``metrics.json``, ``predictions.npz``, ``checkpoints/``, logs, ``parity.png``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import yaml

from nucleate import __version__
from nucleate.data.campaign import campaign_potential
from nucleate.data.propensity_campaign import contact_height_of
from nucleate.data.simulate.states import (
    PairModel,
    cage_state,
    film_cage_state,
    film_inherent_state,
    inherent_state,
)
from nucleate.errors import InputError
from nucleate.models.linear import height_terms
from nucleate.report.training import propensity_parity
from nucleate.structure.order import displacement_descriptors, film_pair_energy


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
    directory, e.g. ``models/ka3d-t044/propensity``.

    ``state``: which structure the descriptors and graph are read from: ``"given"`` (the
    configuration as it is), ``"inherent"`` (its energy minimum,
    :func:`~nucleate.data.simulate.states.inherent_state`) or ``"cage"`` (positions averaged over
    short runs, :func:`~nucleate.data.simulate.states.cage_state` with the ``cage`` arguments);
    both made with LAMMPS from ``state_model`` (:class:`~nucleate.data.simulate.states.PairModel`
    arguments; default: ``pair_energy``'s pairs and cutoff), for periodic bulk configurations.
    Films' states (:func:`~nucleate.data.simulate.states.film_inherent_state`,
    :func:`~nucleate.data.simulate.states.film_cage_state`) use the source campaign's potential
    and each sample's ``eps_sl``. Prediction makes the same state of every input frame.

    ``descriptors_from``: ``"state"`` (default) reads the descriptors and the graph from the
    state, ``"given"`` from the configuration itself; ``displacement``: coarse-graining radii
    (may be empty) to add each atom's displacement from the configuration to its state as node
    features (:func:`~nucleate.structure.order.displacement_descriptors`; films: also its parts
    in-plane and along the normal), ``None`` for none; ``film_energy`` (films): coarse-graining
    radii to add each liquid atom's pair energy with the liquid and with the substrate
    (:func:`~nucleate.structure.order.film_pair_energy`, the source campaign's potential and the
    sample's ``eps_sl``) in the configuration and, with a state, in the state too.

    ``contact_weight`` (films): weight of a second loss term on the contact layer's atoms, their
    propensity measured from their configuration's contact-layer mean
    (:class:`~nucleate.train.module.PropensityRegressor`); the contact layer is the data set's
    own (its campaign's ``contact_height``), as in the contact-layer scores.

    ``times_weight`` (films): weight of a second node head trained on the propensity at every
    label time of the data set (its ``propensity_t``), beside the one at t* that is predicted.

    ``ensemble``: networks per fold and in the final model, each from its own seed and stopping
    early on a validation group drawn for it (the first as with one network; two may draw the
    same); the prediction is their mean, their spread the ``predicted_propensity_std`` of
    ``nucleate predict --task propensity``."""

    #: the task this config trains (:mod:`nucleate.train.tasks`)
    task: ClassVar[str] = "propensity"

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
    state: str = "given"
    state_model: dict | None = None
    cage: dict = field(default_factory=dict)
    threads: int | None = None  # torch threads on the CPU (None: torch's default)
    final_model: str = "gnn"  # what is saved and shipped: "gnn" (the network) or "ridge"
    descriptors_from: str = "state"
    displacement: list[float] | None = None
    film_energy: list[float] | None = None
    contact_weight: float = 0.0
    times_weight: float = 0.0
    ensemble: int = 1

    def __post_init__(self) -> None:
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise InputError(f"threads must be a whole number ≥ 1, not {self.threads!r}")
        if self.state not in STATES:
            raise InputError(f"state must be one of {', '.join(STATES)}, not {self.state!r}")
        if self.state != "given" and not (self.state_model or self.pair_energy or _is_film(self)):
            raise InputError(f"state {self.state!r} needs the potential: give state_model (pairs) "
                             "or pair_energy")  # fmt: skip
        if self.final_model not in ("gnn", "ridge"):
            raise InputError(f"final_model must be gnn or ridge, not {self.final_model!r}")
        if self.cage and self.state != "cage":
            raise InputError(f"cage settings are given but state is {self.state!r}")
        if self.descriptors_from not in ("state", "given"):
            raise InputError("descriptors_from must be state or given, not "
                             f"{self.descriptors_from!r}")  # fmt: skip
        if self.state == "given" and self.displacement is not None:
            raise InputError("displacement needs a state to move to: set state to inherent or cage")
        if self.descriptors_from == "given" and self.state != "given" and self.displacement is None:
            raise InputError(f"descriptors_from: given ignores the {self.state} state: "
                             "add displacement (e.g. [1.5, 2.5]) or read from the state")  # fmt: skip
        if self.displacement is not None and any(
            not isinstance(r, (int, float)) or r <= 0 for r in self.displacement
        ):
            raise InputError(f"displacement radii must be positive, not {self.displacement!r}")
        if self.film_energy is not None:
            if not _is_film(self):
                raise InputError("film_energy is for films (a film propensity data set)")
            if any(not isinstance(r, (int, float)) or r <= 0 for r in self.film_energy):
                raise InputError(f"film_energy radii must be positive, not {self.film_energy!r}")
        if not isinstance(self.ensemble, int) or self.ensemble < 1:
            raise InputError(f"ensemble must be a whole number ≥ 1, not {self.ensemble!r}")
        if self.ensemble > 1 and self.final_model == "ridge":
            raise InputError("ensemble is for networks: a ridge is one deterministic fit")
        if not isinstance(self.times_weight, (int, float)) or self.times_weight < 0:
            raise InputError(f"times_weight must be ≥ 0, not {self.times_weight!r}")
        if self.times_weight > 0 and not _is_film(self):
            raise InputError("times_weight is for films (their labels at every time)")
        if not isinstance(self.contact_weight, (int, float)) or self.contact_weight < 0:
            raise InputError(f"contact_weight must be ≥ 0, not {self.contact_weight!r}")
        if self.contact_weight > 0 and not _is_film(self):
            raise InputError(
                "contact_weight is for films: a bulk configuration has no contact layer"
            )
        unknown = set(self.cage) - {"temperature", "run_time", "replicas", "timestep", "seed"}
        if unknown:
            raise InputError(f"unknown cage settings {sorted(unknown)}")


#: the structures a propensity model can read (see PropensityTrainConfig.state)
STATES = ("given", "inherent", "cage")


def _is_film(cfg) -> bool:
    """Whether the data are a film propensity data set (a manifest, not KA files)."""
    return (Path(cfg.data) / "manifest.csv").exists()


def contact_height(data: str | Path) -> float:
    """The contact layer's height above the substrate of a film propensity data set."""
    path = Path(data) / "campaign.yaml"
    return contact_height_of(yaml.safe_load(path.read_text()) if path.exists() else None)


def source_campaign(data: str | Path) -> dict:
    """The campaign of the T_n data set a film propensity data set was made from (its
    potential and substrates), or ``{}``."""
    path = Path(data) / "campaign.yaml"
    if not path.exists():
        return {}
    own = yaml.safe_load(path.read_text()) or {}
    source = (own.get("propensity") or {}).get("source")
    if not source:
        return own
    for base in (Path(source), Path(data).parent / Path(source).name):
        if (base / "campaign.yaml").exists():
            return yaml.safe_load((base / "campaign.yaml").read_text())
    raise InputError(f"{data}: its source data set {source} is not found")


@dataclass
class _Config:
    """One configuration: its group, graph (numpy; ``graph.height`` for films), targets (nan
    where not scored), noise ceilings (all scored atoms; contact layer, films only), units, the
    LAMMPS time its structural state took."""

    name: str
    group: str
    graph: object
    target: np.ndarray
    ceiling: float
    units: str
    ceiling_contact: float = float("nan")
    state_seconds: float = 0.0
    times: np.ndarray | None = None  # (nodes, label times) for films with times_weight


def featurizer_settings(cfg: PropensityTrainConfig) -> dict:
    out = {"local_order": cfg.local_order, "pair_energy": cfg.pair_energy, "cutoff": cfg.cutoff}
    if cfg.state != "given":  # settings of models on the given structure stay as they were
        pe = cfg.pair_energy or {}
        if cfg.state_model:
            model = cfg.state_model
        elif _is_film(cfg):  # the film's own potential; each substrate's eps_sl per frame
            source = source_campaign(cfg.data)
            if "potential" not in source:
                raise InputError("a film's state is made with the potential of the campaign "
                                 "that made the data: its source campaign has none")  # fmt: skip
            model = {"potential": source["potential"],
                     "sigma_sl": float(source.get("substrates", {}).get("sigma_sl", 1.0))}  # fmt: skip
        else:
            model = {"pairs": pe["pairs"], "cutoff": pe.get("cutoff", 2.5)}
        out.update(state=cfg.state, state_model=model, cage=cfg.cage)
        if cfg.descriptors_from != "state":  # settings of the earlier models stay as they were
            out["descriptors_from"] = cfg.descriptors_from
        if cfg.displacement is not None:
            out["displacement"] = [float(r) for r in cfg.displacement]
    if cfg.film_energy is not None:
        out["film_energy"] = {"coarse_grain": [float(r) for r in cfg.film_energy],
                              **film_pair_potential(source_campaign(cfg.data))}  # fmt: skip
    return out


def film_pair_potential(campaign: dict) -> dict:
    """The liquid's and the substrate's LJ parameters of a film campaign's potential (lj/cut,
    shifted; type 1 the substrate, 2 the liquid), as :func:`film_pair_energy` takes them."""
    pot = campaign.get("potential", {})
    style = str(pot.get("pair_style", "")).split()
    if len(style) != 2 or style[0] != "lj/cut" or "shift yes" not in str(pot.get("pair_modify")):
        raise InputError("film_energy needs the source campaign's potential as lj/cut with "
                         f"pair_modify shift yes, not {pot.get('pair_style')!r}")  # fmt: skip
    coeffs = {tuple(c.split()[:2]): c.split()[2:] for c in pot.get("pair_coeffs", [])}
    if ("2", "2") not in coeffs or ("1", "2") not in coeffs:
        raise InputError("film_energy needs pair_coeffs for the liquid (2 2) and the substrate "
                         "(1 2) in the source campaign")  # fmt: skip
    eps_ll, sigma_ll = (float(x) for x in coeffs[("2", "2")][:2])
    return {"eps_ll": eps_ll, "sigma_ll": sigma_ll, "cutoff": float(style[1]),
            "sigma_sl": float(campaign.get("substrates", {}).get("sigma_sl", 1.0))}  # fmt: skip


def structural_state(frame, settings: dict, cache_dir: str | None = None,
                     eps_sl: float | None = None):  # fmt: skip
    """``(frame, seconds)``: the structure a model with these featurizer settings reads, and the
    LAMMPS wall time it took to make (0 for the given structure; the first time's time when the
    state was cached). States are cached by content under ``cache_dir`` (default: nucleate's).
    A film's state needs its substrate's ``eps_sl``."""
    state = settings.get("state", "given")
    if state == "given":
        return frame, 0.0
    if "potential" in settings["state_model"]:
        if eps_sl is None:
            raise InputError(f"this model reads the film's {state} state, made with the "
                             "substrate-liquid potential: give the substrate's --eps_sl")  # fmt: skip
        potential = campaign_potential({"potential": settings["state_model"]["potential"]})
        sigma_sl = settings["state_model"]["sigma_sl"]
        if state == "cage":
            return film_cage_state(frame, potential, eps_sl, sigma_sl, **settings.get("cage", {}),
                                   cache_dir=cache_dir)  # fmt: skip
        made = film_inherent_state(frame, potential, eps_sl, sigma_sl, cache_dir=cache_dir)
        return made.frame, made.seconds
    model = PairModel(**_tuples(settings["state_model"]))
    if state == "inherent":
        made = inherent_state(frame, model, cache_dir=cache_dir)
        return made.frame, made.seconds
    return cage_state(frame, model, **settings.get("cage", {}), cache_dir=cache_dir)


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


def build_graph(frame, settings: dict, eps_sl: float | None = None):
    """The propensity graph of a frame: every liquid atom (and the top substrate layers of a film)
    as nodes, with the descriptors of its structural state as node features."""
    return state_graph(frame, settings, eps_sl=eps_sl)[0]


def state_graph(frame, settings: dict, cache_dir: str | None = None,
                eps_sl: float | None = None):  # fmt: skip
    """``(graph, seconds)``: :func:`build_graph` and the time its structural state took."""
    from nucleate.featurize.graphs import GraphFeaturizer

    compute = node_featurizer(settings)
    state, seconds = structural_state(frame, settings, cache_dir, eps_sl)
    read = frame if settings.get("descriptors_from") == "given" else state
    graph = GraphFeaturizer(cutoff=settings["cutoff"], layers=None, local_order=compute)(read)
    if settings.get("displacement") is not None:
        moved = displacement_descriptors(
            frame.positions, state.positions, frame.cell, frame.pbc,
            tuple(settings["displacement"]), split_normal=bool(frame.substrate.any()),
        )  # fmt: skip
        features = np.hstack([graph.node_features, moved[graph.atom_index]])
        graph = replace(graph, node_features=features)
    if settings.get("film_energy") is not None:
        if eps_sl is None:
            raise InputError("this model reads the film's pair energies with the substrate: give "
                             "the substrate's --eps_sl")  # fmt: skip
        if len(np.unique(np.asarray(frame.types)[np.asarray(frame.substrate)])) > 1:
            raise InputError("film_energy takes a one-component substrate (one ε_sl); this "
                             "frame's substrate has several atom types")  # fmt: skip
        fe = dict(settings["film_energy"])
        radii = tuple(fe.pop("coarse_grain"))
        looks = [frame] if state is frame else [frame, state]
        energy = [film_pair_energy(f.positions, f.cell, f.pbc, f.substrate, eps_sl, **fe,
                                   coarse_grain=radii) for f in looks]  # fmt: skip
        features = np.hstack([graph.node_features, *(e[graph.atom_index] for e in energy)])
        graph = replace(graph, node_features=features)
    return graph, seconds


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
    eps = {}  # film sample -> its substrate-liquid strength (for its inherent state)
    ka = sorted(root.glob("isoconfig_*.npz")) if root.is_dir() else []
    if ka:
        for f in ka:
            items.append((f, "ka"))
    elif (root / "manifest.csv").exists():
        from nucleate.data.dataset import read_manifest

        for row in read_manifest(root):
            items.append((root / "samples" / row["id"] / "configs.extxyz.gz", "film"))
            eps[row["id"]] = float(row["eps_sl"]) if row.get("eps_sl") not in (None, "") else None
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
            at_times = [np.asarray(f.arrays["propensity_t"], float).reshape(f.n_atoms, -1)
                        if cfg.times_weight > 0 else None for f in frames]  # fmt: skip
            masks = [f.liquid & (np.isin(f.types, cfg.target_species) if cfg.target_species
                                 else True) for f in frames]  # fmt: skip
            ceilings = [float(f.info.get("ceiling", np.nan)) for f in frames]
            ceil_contact = [float(f.info.get("ceiling_contact", np.nan)) for f in frames]
            groups = [path.parent.name] * len(frames)

        sample_eps = eps.get(path.parent.name)

        def compute(frames=frames, e=sample_eps):
            made = [state_graph(f, settings, cfg.cache_dir, e) for f in frames]
            out = {f"g{i}_{k}": v for i, (g, _) in enumerate(made)
                   for k, v in graph_arrays(g).items()}  # fmt: skip
            return {**out, "state_seconds": np.array([t for _, t in made])}

        stored, _ = cached(cache, compute, force=False)
        seconds = stored.get("state_seconds", np.zeros(len(frames)))
        graphs = [SimpleNamespace(**{k: stored[f"g{i}_{k}"] for k in GRAPH_ARRAYS})
                  for i in range(len(frames))]  # fmt: skip
        for k, g in enumerate(graphs):
            t = np.where(masks[k], targets[k], np.nan)[np.asarray(g.atom_index)]
            if kind == "film":  # vapour atoms (under 3 neighbours) move ballistically: not scored
                degree = np.bincount(np.asarray(g.edge_index)[0], minlength=len(t))
                t[degree < 3] = np.nan
            times = None
            if kind == "film" and at_times[k] is not None:  # scored where the target is
                times = at_times[k][np.asarray(g.atom_index)]
            out.append(_Config(
                f"{path.stem if kind == 'ka' else groups[k]}#{k}", groups[k], g, t, ceilings[k],
                frames[k].units, ceil_contact[k] if kind == "film" else float("nan"),
                float(seconds[k]), times,
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
        hx = height_terms(torch.as_tensor(np.asarray(g.height, float))).numpy()
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


def save_ridge(ridge, config: _Config, film: bool, meta: dict, path: Path) -> Path:
    """A fitted ridge pipeline (scaler + ridge) saved as a propensity checkpoint of the
    ``node_linear`` network, which computes the same map; predictions read it as any other."""
    import lightning as L

    from nucleate.train.module import PropensityRegressor

    scaler, linear = ridge[0], ridge[-1]
    n = int(np.asarray(config.graph.node_features).shape[1])
    module = PropensityRegressor("node_linear", {"extra_features": n, "node_out": 1,
                                                 "use_height": film}, meta=meta)  # fmt: skip
    with torch.no_grad():
        module.net.center.copy_(torch.as_tensor(scaler.mean_))
        module.net.scale.copy_(torch.as_tensor(scaler.scale_))
        module.net.linear.weight.copy_(torch.as_tensor(linear.coef_).reshape(1, -1))
        module.net.linear.bias.fill_(float(linear.intercept_))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": module.state_dict(), "hyper_parameters": dict(module.hparams),
                "pytorch-lightning_version": L.__version__}, path)  # fmt: skip
    return path


def _pearson(pred: np.ndarray, target: np.ndarray) -> float:
    ok = np.isfinite(target)
    if ok.sum() < 3:
        return float("nan")
    return float(np.corrcoef(np.asarray(pred)[ok], target[ok])[0, 1])


def _to_data(c: _Config):
    from nucleate.models.graph_data import to_pyg

    t = np.nan_to_num(c.target, nan=0.0)
    d = to_pyg(c.graph, node_y=t)
    d.node_mask = torch.as_tensor(np.isfinite(c.target))
    if c.times is not None:
        d.node_times = torch.as_tensor(np.nan_to_num(c.times, nan=0.0), dtype=torch.float32)
    return d


def _train_gnn(cfg, train: list[_Config], val: list[_Config], out: Path, meta: dict, tag: str,
               seed: int | None = None):  # fmt: skip
    import lightning as L
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from torch_geometric.loader import DataLoader

    from nucleate.train.loggers import make_loggers
    from nucleate.train.module import PropensityRegressor

    x = np.concatenate([np.asarray(c.graph.node_features) for c in train])
    y = np.concatenate([c.target for c in train])
    y = y[np.isfinite(y)]
    species = sorted({int(s) for c in train for s in np.asarray(c.graph.species)})
    times = {}
    if cfg.times_weight > 0:  # a second head: the propensity at every label time
        at = np.concatenate([c.times[np.isfinite(c.target)] for c in train])
        times = {"times_weight": float(cfg.times_weight), "times_mean": at.mean(0).tolist(),
                 "times_std": (at.std(0) + 1e-6).tolist()}  # fmt: skip
    model_args = {"species": tuple(species), "extra_features": x.shape[1],
                  "node_out": 1 + len(times.get("times_mean", [])), "cutoff": cfg.cutoff,
                  **cfg.model_args}  # fmt: skip
    module = PropensityRegressor(
        "gnn", model_args, x_mean=x.mean(0).tolist(), x_std=(x.std(0) + 1e-6).tolist(),
        target_mean=float(y.mean()), target_std=float(y.std() or 1.0), lr=cfg.lr,
        weight_decay=cfg.weight_decay, meta=meta, contact_weight=float(cfg.contact_weight),
        contact_height=contact_height_of(meta.get("campaign")), **times,
    )  # fmt: skip
    L.seed_everything(cfg.seed if seed is None else seed, workers=True)
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

    from nucleate.models.graph_data import to_pyg

    with torch.no_grad():
        return model(to_pyg(graph)).numpy()


def train_propensity(cfg: PropensityTrainConfig, progress: bool = True) -> dict:
    """Featurize, cross-validate the network and the ridge, save the final model, write the run
    directory (and ship it); returns the metrics."""
    import shutil

    from nucleate.data.dataset import to_plain

    start = time.time()
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / "checkpoints", ignore_errors=True)  # no stale -v1 copies from a rerun
    (out / "config.yaml").write_text(yaml.safe_dump(to_plain(asdict(cfg)), sort_keys=False))
    configs = load_configs(cfg, progress)
    meta = run_meta(cfg, configs)
    film = meta["geometry"] == "film"
    preds, metrics = cross_validate(cfg, configs, film, out, meta, progress)
    (out / "metrics.json").write_text(json.dumps(to_plain(metrics), indent=1) + "\n")  # CV first
    checkpoints = []
    if cfg.final:
        paths, metrics["final"] = final_checkpoint(cfg, configs, film, out, meta)
        checkpoints += [str(p.resolve().relative_to(out.resolve())) for p in paths]
    metrics["checkpoints"] = checkpoints
    metrics["seconds"] = round(time.time() - start, 1)
    np.savez_compressed(
        out / "predictions.npz", names=np.array([c.name for c in configs]),
        groups=np.array([c.group for c in configs]),
        **{f"target_{k}": c.target for k, c in enumerate(configs)},
        **{f"{route}_{k}": p for route in ("gnn", "ridge") for k, p in enumerate(preds[route])},
        **{f"height_{k}": c.graph.height for k, c in enumerate(configs)},
    )  # fmt: skip
    (out / "metrics.json").write_text(json.dumps(to_plain(metrics), indent=1) + "\n")
    propensity_parity(
        [c.target for c in configs], preds["gnn"], preds["ridge"], metrics, out / "parity.png"
    )
    if cfg.ship and checkpoints:
        from nucleate.train.run import export_run

        export_run(out, cfg.ship)
    return metrics


def run_meta(cfg: PropensityTrainConfig, configs: list[_Config]) -> dict:
    """What a checkpoint carries about its training: featurizer settings, units, geometry, the
    configuration and the campaign of the data; refuses data that cannot be cross-validated."""
    from nucleate.data.dataset import to_plain

    if len({c.group for c in configs}) < 3:
        raise InputError(f"{cfg.data}: cross-validation needs at least 3 groups")
    units = {c.units for c in configs}
    if len(units) > 1:
        raise InputError(f"{cfg.data}: configurations in several unit systems {sorted(units)}")
    campaign = {}
    if (Path(cfg.data) / "campaign.yaml").exists():
        campaign = yaml.safe_load((Path(cfg.data) / "campaign.yaml").read_text())
    film = any(np.any(np.asarray(c.graph.node_type) == 1) for c in configs)
    return {"nucleate_version": __version__, "task": "propensity",
            "featurizer_settings": featurizer_settings(cfg), "data": str(cfg.data),
            "units": units.pop(), "config": to_plain(asdict(cfg)), "campaign": campaign,
            "geometry": "film" if film else "bulk"}  # fmt: skip


def cross_validate(cfg, configs: list[_Config], film: bool, out: Path, meta: dict,
                   progress: bool = True) -> tuple[dict, dict]:  # fmt: skip
    """Held-out predictions of the network, the ridge (and, for films, the height alone) for
    every configuration, one fold of groups at a time, and their scores."""
    groups = [c.group for c in configs]
    contact = contact_height_of(meta.get("campaign")) if film else None
    preds = {
        k: [np.full(len(c.target), np.nan) for c in configs] for k in ("gnn", "ridge", "height")
    }
    folds = _folds(groups, cfg.folds, cfg.seed)
    fold_info = []
    for k, test in enumerate(folds):
        train_idx = np.flatnonzero(~test)
        members = _train_members(cfg, [configs[i] for i in train_idx],
                                 np.random.default_rng(cfg.seed + k), out, meta, f"fold{k}")  # fmt: skip
        ridge, alpha = _fit_ridge([configs[i] for i in train_idx], cfg.ridge_alphas, cfg.seed)
        if film:  # how much a height profile alone explains
            height, _ = _fit_ridge([configs[i] for i in train_idx], [1.0], cfg.seed, True)
        for i in np.flatnonzero(test):
            preds["gnn"][i] = np.mean([predict_nodes(m, configs[i].graph) for m, *_ in members], 0)
            preds["ridge"][i] = ridge.predict(_ridge_matrix(configs[i]))
            if film:
                preds["height"][i] = height.predict(_ridge_matrix(configs[i], True))
        epochs = [e for _, _, e, _ in members]
        fold_info.append({"test_groups": sorted({groups[i] for i in np.flatnonzero(test)}),
                          "val_group": members[0][3], "epochs": epochs[0], "ridge_alpha": alpha,
                          "members": [{"val_group": v, "epochs": e} for _, _, e, v in members]})  # fmt: skip
        if progress:
            r = [_pearson(preds["gnn"][i], configs[i].target) for i in np.flatnonzero(test)]
            print(f"fold {k + 1}/{len(folds)}: GNN r {np.nanmean(r):.3f} "
                  f"({', '.join(map(str, epochs))} epochs)")  # fmt: skip
    metrics = {
        "n_configs": len(configs),
        "n_groups": len(set(groups)),
        "folds": fold_info,
        "gnn": score(configs, preds["gnn"], contact),
        "ridge": score(configs, preds["ridge"], contact),
        "ceiling": float(np.nanmean([c.ceiling for c in configs])),
        "state": cfg.state,
        "state_seconds_per_config": float(np.mean([c.state_seconds for c in configs])),
    }
    if film:
        metrics["height_only"] = score(configs, preds["height"], contact)
        metrics["ceiling_contact"] = float(np.nanmean([c.ceiling_contact for c in configs]))
    return preds, metrics


def _train_members(cfg, configs: list[_Config], rng, out: Path, meta: dict, tag: str) -> list:
    """``cfg.ensemble`` networks on ``configs``, member m with seed ``cfg.seed + m``, stopping
    early on a group drawn from ``rng`` for it (in turn: the first member's is the first draw).
    Returns (model, checkpoint, epochs, validation group) per member."""
    uniq = sorted({c.group for c in configs})
    members = []
    for m in range(cfg.ensemble):
        val_group = uniq[rng.integers(len(uniq))]
        model, path, epochs = _train_gnn(
            cfg, [c for c in configs if c.group != val_group],
            [c for c in configs if c.group == val_group], out, meta,
            tag if m == 0 else f"{tag}-m{m}", seed=cfg.seed + m,
        )  # fmt: skip
        members.append((model, path, epochs, val_group))
    return members


def final_checkpoint(cfg, configs: list[_Config], film: bool, out: Path,
                     meta: dict) -> tuple[list[Path], dict]:  # fmt: skip
    """The model trained on every group (``cfg.final_model``): its checkpoints (one per ensemble
    member) and how it was made. Each network stops early on one group held out of its training."""
    if cfg.final_model == "ridge":
        ridge, alpha = _fit_ridge(configs, cfg.ridge_alphas, cfg.seed)
        path = save_ridge(ridge, configs[0], film, meta, out / "checkpoints" / "final.ckpt")
        return [path], {"model": "ridge", "ridge_alpha": alpha}
    members = _train_members(cfg, configs, np.random.default_rng(cfg.seed), out, meta, "final")
    info = {"model": "gnn", "val_group": members[0][3], "epochs": members[0][2],
            "members": [{"val_group": v, "epochs": e} for _, _, e, v in members]}  # fmt: skip
    return [p for _, p, _, _ in members], info


def score(configs: list[_Config], preds: list[np.ndarray], contact: float | None = None) -> dict:
    """Pearson r per configuration (mean and standard error) and pooled over all configurations;
    for films (``contact``: the contact layer's height) also within the contact layer and the
    rest."""
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
    if contact is not None:
        h = np.concatenate([c.graph.height for c in configs])
        for name, sel in (("contact", h < contact), ("above_contact", h >= contact)):
            m = ok & sel
            res[f"r_pooled_{name}"] = float(np.corrcoef(p[m], t[m])[0, 1]) if m.sum() > 2 else None
        # within each configuration's contact layer: comparable to the contact-layer ceiling
        per_c = []
        for c, q in zip(configs, preds, strict=True):
            sel = np.asarray(c.graph.height) < contact
            per_c.append(_pearson(q[sel], c.target[sel]))
        res["r_contact_per_config"] = float(np.nanmean(per_c))
    return res
