"""Predict T_n of a new substrate or trajectory with trained checkpoints (an ensemble when several
are given): the checkpoints say how to featurize and, for a substrate, how to simulate it."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nucleate import __version__
from nucleate.errors import InputError
from nucleate.models.domain import check_domain
from nucleate.report.runs import load_metrics
from nucleate.resources import resolve, where_looked

log = logging.getLogger(__name__)

#: frames of a trajectory in one forward pass of a graph network (memory grows with it)
FRAMES_PER_PASS = 32


@dataclass
class Prediction:
    """Ensemble mean and uncertainty. ``tn_std``: the members' spread (standard deviation; 0
    for one member), widened in quadrature by the checkpoints' calibration floor where they carry
    one (see :func:`nucleate.train.metrics.spread_floor`), or a descriptor model's predictive σ;
    ``spread``: the members' spread alone."""

    tn: float
    tn_std: float
    members: list[float]
    units: str
    source: str
    # descriptor models with a censoring classifier: the probability that T_n lies below the
    # training data's floor (no crystallisation above it in the cooling ramps), members' mean
    p_below_floor: float | None = None
    floor: float | None = None
    # descriptor models: the descriptors outside their training range (";"-joined; "" if none)
    outside_training_range: str | None = None
    # how far the input lies from the training substrates in the models' own representation
    # (members' mean; see nucleate.models.novelty), and whether most members place it beyond
    # every training substrate's nearest neighbour (a committee of descriptor models, each in
    # descriptors of its own: the largest, and whether any does); None for models saved without it
    novelty: float | None = None
    far_from_training: bool | None = None
    # milder departures of the input from the training inputs (see nucleate.models.domain)
    domain: str | None = None
    spread: float | None = None


def checkpoint_files(paths: list[str | os.PathLike]) -> list[Path]:
    """Checkpoint files from files and run directories (whose metrics.json names them)."""
    files: list[Path] = []
    for p in map(resolve, paths):  # bundled models/ from any working directory
        if p.is_dir() and not (p / "metrics.json").exists() and (p / "model.pkl").exists():
            files.append(p / "model.pkl")  # a shipped descriptor model
        elif p.is_dir():
            metrics = p / "metrics.json"
            if not metrics.exists():
                raise InputError(f"{p}: no metrics.json; give a checkpoint file or a run directory")
            files += [p / c for c in load_metrics(p).get("checkpoints", [])]
        elif p.exists():
            files.append(p)
        else:
            raise InputError(f"{p}: no such checkpoint ({where_looked(p)})")
    if not files:
        raise InputError("no checkpoints given")
    return files


def load_checkpoints(paths: list[str | os.PathLike]):
    """Load checkpoints (files, or run directories whose metrics.json names them); refuse ones
    from an incompatible nucleate version or of different kinds."""
    files = checkpoint_files(paths)
    models = []
    for f in files:
        if f.suffix == ".pkl":  # a descriptor model of `nucleate select`
            from nucleate.models.descriptor_model import DescriptorModel

            models.append(DescriptorModel(f))
            continue
        from nucleate.models.tn_network import load_tn_network  # torch: only for networks

        model = load_tn_network(f)
        made = str(model.hparams.meta.get("nucleate_version", "0"))
        if made.split(".")[:2] != __version__.split(".")[:2]:
            raise InputError(
                f"{f} was made by nucleate {made}; this is {__version__}: retrain it or install "
                f"nucleate=={made}"
            )
        models.append(model)
    features = {m.hparams.meta["features"] for m in models}
    if len(features) > 1 or (features != {"descriptors"} and len(map_settings(models)) > 1):
        raise InputError("the checkpoints use different featurizers; give one ensemble at a time")
    # descriptor models may read descriptors made with other settings (a committee of a
    # liquid-only and a substrate model): predict_frames featurizes each setting once
    return models


def map_settings(models) -> dict[str, dict]:
    """The distinct featurizer settings of ``models``, by their JSON text."""
    return {settings_key(m): m.hparams.meta["featurizer_settings"] for m in models}


def settings_key(model) -> str:
    """A model's featurizer settings as JSON text (the key of :func:`map_settings`)."""
    return json.dumps(model.hparams.meta["featurizer_settings"], sort_keys=True)


def substrate_from(item: str, campaign: dict, eps_sl2: float | None = None):
    """The slab of one ``--substrate`` item and its name: a file in any ASE format, or a
    registered family's slab ``<family>:<value>`` (``fcc111:+0.015``, ``bcc110:-0.02``,
    ``fcc111-vacancies:0.2``; see :mod:`nucleate.data.families`) built exactly as the training
    campaign built its own. Two-component families need ``eps_sl2``."""
    from nucleate.data.campaign import family_slab
    from nucleate.data.families import parse_spec
    from nucleate.data.substrates import load_substrate

    item = item.strip()
    if Path(item).exists():
        return load_substrate(item), Path(item).stem
    try:
        spec = parse_spec(item)
    except InputError as err:
        # an unknown family's message lists the families already; a bad value needs only its range
        raise InputError(
            f"{item!r}: {err} (a generated substrate reads <family>:<value>, e.g. fcc111:+0.015 "
            f"or fcc111-vacancies:0.2)"
        ) from None
    if spec is None:
        return load_substrate(item), Path(item).stem
    if not campaign:
        raise InputError("the checkpoint carries no campaign to build a generated substrate from")
    fam, value = spec
    if fam.two_component and eps_sl2 is None:
        raise InputError(f"{item!r} has two components: give --eps_sl2 (the second one's strength)")
    slab, _, _ = family_slab(fam.name, value, campaign, eps_sl2)
    return slab, fam.slab_id(value)


def simulate_substrate(
    slab, eps_sl: float, campaign: dict, name: str = "substrate", eps_sl2: float | None = None
):
    """Equilibrium frames of the training data's protocol on a slab, cut to the interfacial region
    the data set keeps (same code and seeds as the campaign uses for a substrate of this name)."""
    from nucleate.data.campaign import equilibrate_interface, interfacial_region
    from nucleate.data.simulate import start_lammps

    if not campaign:
        raise InputError("the checkpoint carries no simulation protocol; give --trajectory instead")
    if not eps_sl > 0:
        raise InputError(f"eps_sl must be positive, not {eps_sl}")
    lmp = start_lammps()
    try:
        frames, top, profile = equilibrate_interface(
            lmp, slab, eps_sl, campaign, f"{name}_e{eps_sl:.2f}", eps_sl2
        )
    finally:
        lmp.close()
    return [interfacial_region(f, top, profile, campaign["store"]) for f in frames]


def with_protocol(campaign: dict, equilibrium: dict | None) -> dict:
    """The checkpoint's campaign with some equilibrium settings replaced (a shorter run for cheap
    screening: validate it against the full protocol, see benchmarks/predict_cost.py)."""
    if not equilibrium:
        return campaign
    unknown = set(equilibrium) - set(campaign["equilibrium"])
    if unknown:
        raise InputError(
            f"unknown equilibrium settings {sorted(unknown)}; the protocol has "
            f"{', '.join(campaign['equilibrium'])}"
        )
    if equilibrium.get("t_eq", campaign["equilibrium"]["t_eq"]) != campaign["equilibrium"]["t_eq"]:
        raise InputError("t_eq is the temperature the model was trained at; it cannot change")
    return {**campaign, "equilibrium": {**campaign["equilibrium"], **equilibrium}}


def _predict_task(task: dict, models=None) -> dict:
    """One screened substrate (in a worker, which loads the checkpoints itself, or in this process
    with ``models`` already loaded): simulate, featurize, predict, keep the frames."""
    import time

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from nucleate.data.io import write_frames

    start = time.time()
    models = models or load_checkpoints(task["model"])
    campaign = with_protocol(models[0].hparams.meta.get("campaign"), task.get("equilibrium"))
    eps_sl2 = task.get("eps_sl2")
    slab, name = substrate_from(task["substrate"], campaign, eps_sl2)
    frames = simulate_substrate(slab, task["eps_sl"], campaign, name, eps_sl2)
    sid = f"{name}_e{task['eps_sl']:.2f}"
    path = Path(task["out"]) / "frames" / f"{sid}.extxyz.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_frames(path, frames)
    p = predict_frames(
        models, frames, task["substrate"], task["eps_sl"], slab_frame(slab, frames[0]), eps_sl2
    )
    return {"id": sid, "substrate": task["substrate"], "eps_sl": task["eps_sl"], **asdict(p),
            "frames": str(path), "wall_seconds": round(time.time() - start, 1)}  # fmt: skip


def screen(model: list[str], substrates: list[str], eps_sl: list[float], out: str | os.PathLike,
           workers: int = 1, progress: bool = True,
           equilibrium: dict | None = None,
           eps_sl2: float | None = None) -> list[dict]:  # fmt: skip
    """Predict T_n of every substrate × ε_sl (each through the training protocol's equilibrium
    MD, with ``equilibrium`` overrides if given), ``workers`` at once; returns the results ranked
    by T_n, highest (best nucleator) first. ``eps_sl2``: the second component's strength of
    two-component substrates."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm.auto import tqdm

    models = load_checkpoints(model)  # fail fast on bad checkpoints or substrates
    campaign = with_protocol(models[0].hparams.meta.get("campaign"), equilibrium)
    for item in substrates:
        substrate_from(item, campaign, eps_sl2)
    tasks = [{"model": [str(m) for m in model], "substrate": s, "eps_sl": float(e), "out": str(out),
              "equilibrium": equilibrium, "eps_sl2": eps_sl2}
             for s in substrates for e in eps_sl]  # fmt: skip
    bar = tqdm(total=len(tasks), unit="substrate", desc="predict", disable=not progress)
    results = []
    if workers <= 1 or len(tasks) == 1:
        for t in tasks:
            results.append(_predict_task(t, models))
            bar.update()
    else:
        import multiprocessing as mp

        from nucleate.data.executor import die_with_parent

        with ProcessPoolExecutor(
            min(workers, len(tasks)), mp.get_context("spawn"), initializer=die_with_parent
        ) as pool:
            for fut in as_completed([pool.submit(_predict_task, t) for t in tasks]):
                results.append(fut.result())
                bar.update()
    bar.close()
    return sorted(results, key=lambda r: -r["tn"])


def slab_frame(slab, frame):
    """The whole slab (ASE Atoms) as a substrate Frame aligned with ``frame``'s substrate atoms
    (the frames keep only its top layers; the adsorption descriptors want all of it)."""
    from nucleate.frame import Frame

    pos = slab.get_positions()
    top = frame.positions[frame.substrate, 2].max() if frame.substrate.any() else pos[:, 2].max()
    return Frame(
        positions=pos + np.array([0.0, 0.0, top - pos[:, 2].max()]),
        types=np.where(slab.numbers == 3, 3, 1), cell=frame.cell, pbc=frame.pbc,
        substrate=np.ones(len(pos), dtype=bool), liquid=np.zeros(len(pos), dtype=bool),
        units=frame.units,
    )  # fmt: skip


def predict_frames(
    models,
    frames,
    source: str = "frames",
    eps_sl: float | None = None,
    substrate=None,
    eps_sl2: float | None = None,
) -> Prediction:
    """Featurize frames as the checkpoints say and predict with every member. A descriptor model
    that reads substrate descriptors needs ``eps_sl`` (the substrate–liquid strength; ``eps_sl2``
    that of a second substrate component, type 3, where there is one) and takes the whole
    ``substrate`` as a Frame where the frames keep only its top layers."""
    from nucleate.featurize.base import Context
    from nucleate.featurize.pipeline import build

    meta = models[0].hparams.meta
    units = meta.get("units", "lj")
    if frames[0].units != units:
        raise InputError(
            f"{source} is in {frames[0].units!r} units but the model was trained in {units!r}"
        )
    hparams = getattr(models[0], "hparams", None)  # a network's; descriptor models have none
    embedded = hparams.get("model_args", {}).get("species") if isinstance(hparams, dict) else None
    departures = check_domain(meta, frames, set(embedded) if embedded else None)
    if meta["features"] == "descriptors":
        if eps_sl is None and any(m.needs_eps_sl for m in models):
            raise InputError(
                "this descriptor model reads substrate descriptors and needs --eps_sl (the "
                "substrate-liquid strength); a liquid-only model (nucleate select with kinds: "
                "[liquid]) reads the frames alone"
            )
        eps = None if eps_sl is None else float(eps_sl)
        # each distinct featurizer setting once (a committee's members may differ)
        by_key = {
            key: build("descriptors", settings)(
                list(frames), substrate=substrate, eps_sl=eps, eps_sl2=eps_sl2
            )
            for key, settings in map_settings(models).items()
        }
        values = [by_key[settings_key(m)] for m in models]
        out = [m.predict(v) for m, v in zip(models, values, strict=True)]
        members = [t for t, _ in out]
        tn, std = committee(members, [s for _, s in out])
        probs = [m.p_below_floor(v) for m, v in zip(models, values, strict=True)]
        probs = [q for q in probs if q is not None]
        outside = sorted({c for m, v in zip(models, values, strict=True)
                          for c in m.outside_range(v)})  # fmt: skip
        # each descriptor model judges novelty in its own representation (its own descriptors):
        # far from training when any of them says so
        novel = _summary([m.novelty(v) for m, v in zip(models, values, strict=True)],
                         any_far=True)  # fmt: skip
        return Prediction(
            float(tn), float(std), members, units, source,
            float(np.mean(probs)) if probs else None, models[0].floor if probs else None,
            ";".join(outside), *novel, departures,
        )  # fmt: skip
    import torch

    from nucleate.models.graph_data import batch_tensors

    featurizer = build(meta["features"], meta["featurizer_settings"])

    if meta["features"] == "density_image":  # one image, averaged over the frames
        feats = featurizer.features(list(frames), Context())
        inputs = [torch.as_tensor(feats["image"][None], dtype=torch.float32)]
    else:  # a graph per frame (training read one frame per sample): the mean over the frames
        from types import SimpleNamespace

        graphs = [SimpleNamespace(**featurizer.features([f], Context())) for f in frames]
        inputs = [batch_tensors(graphs[k : k + FRAMES_PER_PASS])  # several frames per forward
                  for k in range(0, len(graphs), FRAMES_PER_PASS)]  # fmt: skip
    with torch.no_grad():  # each member once over each input: T_n and its representation
        outputs = [[m.outputs(x) for x in inputs] for m in models]
    per_frame = np.array(  # (models, frames)
        [np.concatenate([tn.numpy().reshape(-1) for tn, _ in out]) for out in outputs]
    )
    # a member's novelty: its most novel frame
    novel = _summary([_worst(_member_novelty(m, z) for _, z in out)
                      for m, out in zip(models, outputs, strict=True)])  # fmt: skip
    if per_frame.shape[1] > 1:
        frame_sd = per_frame.mean(axis=0).std(ddof=1)
        log.info("%s: mean of %d frames (frame-to-frame sd %.4f)", source, per_frame.shape[1],
                 frame_sd)  # fmt: skip
    members = [float(v) for v in per_frame.mean(axis=1)]
    spread = float(np.std(members, ddof=1)) if len(members) > 1 else 0.0
    floor = float((meta.get("calibration") or {}).get("floor", 0.0))
    std = float(np.hypot(spread, floor))
    return Prediction(float(np.mean(members)), std, members, units, source, None, None, None,
                      *novel, departures, spread)  # fmt: skip


def committee(means, stds) -> tuple[np.ndarray, np.ndarray]:
    """The prediction of several descriptor models together (axis 0: the members; also arrays
    of substrates): their mean, and σ² = the mean of their own σ² + the variance of their
    predictions (ddof 1; one model: its own σ)."""
    means, stds = np.asarray(means, dtype=float), np.asarray(stds, dtype=float)
    var = np.mean(stds**2, axis=0)
    if len(means) > 1:
        var = var + np.var(means, axis=0, ddof=1)
    return means.mean(axis=0), np.sqrt(var)


def _worst(novelties) -> tuple[float, bool] | None:
    """The most novel of several (novelty, far) pairs (None when none is known)."""
    known = [n for n in novelties if n is not None]
    return max(known, key=lambda n: n[0]) if known else None


def _member_novelty(model, embedding) -> tuple[float, bool] | None:
    """(novelty, far) of the most novel input of a batch for one trained member, from the
    member's ``embedding`` of the batch (None without a stored reference)."""
    from nucleate.models.novelty import Novelty

    ref = model.hparams.meta.get("novelty")
    if ref is None:
        return None
    z = embedding.numpy()
    novelty = Novelty.from_dict(ref)
    scores, far = novelty.score(z), novelty.far(z)
    k = int(np.argmax(scores))
    return float(scores[k]), bool(far[k])


def _summary(per_member: list, any_far: bool = False) -> tuple[float | None, bool | None]:
    """Members' mean novelty, and whether most of them call the input far. ``any_far``, for
    members that each see the input in a representation of their own: the largest novelty, and
    whether any calls it far (the input is as new as the member that knows it least finds it)."""
    known = [p for p in per_member if p is not None]
    if not known:
        return None, None
    scores, votes = [s for s, _ in known], sum(f for _, f in known)
    if any_far:
        return float(np.max(scores)), bool(votes > 0)
    return float(np.mean(scores)), bool(votes * 2 > len(known))
