"""Predict T_n of a new substrate or trajectory with trained checkpoints (an ensemble when several
are given): the checkpoints say how to featurize and, for a substrate, how to simulate it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nucleate import __version__
from nucleate.errors import InputError


@dataclass
class Prediction:
    """Ensemble mean and spread (standard deviation over members; 0 for one member)."""

    tn: float
    tn_std: float
    members: list[float]
    units: str
    source: str


def load_checkpoints(paths: list[str | os.PathLike]):
    """Load checkpoints (files, or run directories whose metrics.json names them); refuse ones
    from an incompatible nucleate version or of different kinds."""
    from nucleate.train.module import TnRegressor

    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            metrics = p / "metrics.json"
            if not metrics.exists():
                raise InputError(f"{p}: no metrics.json; give a checkpoint file or a run directory")
            files += [p / c for c in json.loads(metrics.read_text()).get("checkpoints", [])]
        elif p.exists():
            files.append(p)
        else:
            raise InputError(f"{p}: no such checkpoint")
    if not files:
        raise InputError("no checkpoints given")
    models = []
    for f in files:
        try:
            model = TnRegressor.load_from_checkpoint(f, map_location="cpu").eval()
        except Exception as err:  # torch and Lightning raise many kinds here
            raise InputError(f"{f}: not a nucleate checkpoint ({type(err).__name__})") from None
        made = str(model.hparams.meta.get("nucleate_version", "0"))
        if made.split(".")[:2] != __version__.split(".")[:2]:
            raise InputError(
                f"{f} was made by nucleate {made}; this is {__version__}: retrain it or install "
                f"nucleate=={made}"
            )
        models.append(model)
    kinds = {(m.hparams.meta["features"], json.dumps(m.hparams.meta["featurizer_settings"],
                                                     sort_keys=True)) for m in models}  # fmt: skip
    if len(kinds) > 1:
        raise InputError("the checkpoints use different featurizers; give one ensemble at a time")
    return models


def simulate_substrate(slab_path: str | os.PathLike, eps_sl: float, campaign: dict, seed: int = 0):
    """Equilibrium frames of the training data's protocol on a user-supplied slab."""
    from nucleate.data.simulate import start_lammps
    from nucleate.data.simulate.md import Potential, build_interface, equilibrium, load_interface
    from nucleate.data.substrates import load_substrate

    if not campaign:
        raise InputError("the checkpoint carries no simulation protocol; give --trajectory instead")
    pot = Potential(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in campaign["potential"].items()}
    )
    inter, eq = campaign["interface"], campaign["equilibrium"]
    slab = load_substrate(slab_path)
    atoms, _ = build_interface(slab, inter["n_liquid"], inter["density"], inter["gap"], seed)
    dt = pot.timestep
    lmp = start_lammps()
    try:
        load_interface(lmp, atoms, pot, eps_sl, campaign["substrates"]["sigma_sl"])
        return equilibrium(
            lmp, pot.units, eq["t_melt"], eq["t_eq"], round(eq["melt_time"] / dt),
            round(eq["eq_time"] / dt), eq["n_frames"], round(eq["frame_every"] / dt), seed + 1,
            eq["damp"],
        )  # fmt: skip
    finally:
        lmp.close()


def predict_frames(models, frames, source: str = "frames") -> Prediction:
    """Featurize frames as the checkpoints say and predict with every member."""
    import torch

    from nucleate.featurize.pipeline import build, compute_features
    from nucleate.models.graph_data import to_pyg

    meta = models[0].hparams.meta
    units = meta.get("units", "lj")
    if frames[0].units != units:
        raise InputError(
            f"{source} is in {frames[0].units!r} units but the model was trained in {units!r}"
        )
    featurizer = build(meta["features"], meta["featurizer_settings"])
    feats = compute_features(meta["features"], featurizer, list(frames), {})
    if meta["features"] == "density_image":
        x = torch.as_tensor(feats["image"][None], dtype=torch.float32)
    else:
        from types import SimpleNamespace

        x = to_pyg(SimpleNamespace(**feats))
    with torch.no_grad():
        members = [float(m(x)[0]) for m in models]
    std = float(np.std(members, ddof=1)) if len(members) > 1 else 0.0
    return Prediction(float(np.mean(members)), std, members, units, source)
