"""Per-atom propensity of the liquid in frames (a trajectory or configuration file) with trained
propensity checkpoints (``nucleate predict --task propensity``): an extxyz file with per-atom arrays
``predicted_propensity`` and ``predicted_propensity_std`` (ensemble mean and spread; OVITO reads
them as particle properties; substrate atoms are NaN; arrays of the input, such as true labels,
are kept) and a picture coloured by propensity."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nucleate import __version__
from nucleate.errors import InputError


def load_propensity_checkpoints(paths: list[str]):
    """Propensity models from checkpoint files or run directories (their ``metrics.json`` names the
    final checkpoint); refuses T_n checkpoints and other nucleate versions."""
    from nucleate.predict.core import checkpoint_files, settings_key
    from nucleate.train.module import PropensityRegressor

    files = checkpoint_files(paths)
    models = []
    for f in files:
        try:
            model = PropensityRegressor.load_from_checkpoint(f, map_location="cpu").eval()
        except Exception as err:  # a T_n checkpoint, or not a checkpoint at all
            raise InputError(
                f"{f}: not a nucleate propensity checkpoint ({type(err).__name__}); "
                "--per_atom needs a model from `nucleate train` with a propensity section"
            ) from None
        made = str(model.hparams.meta.get("nucleate_version", "0"))
        if made.split(".")[:2] != __version__.split(".")[:2]:
            raise InputError(f"{f} was made by nucleate {made}; this is {__version__}: retrain it")
        models.append(model)
    settings = {settings_key(m) for m in models}
    if len(settings) > 1:
        raise InputError("the checkpoints use different featurizers; give one ensemble at a time")
    return models


def model_geometry(meta: dict) -> str:
    """``"film"`` (a liquid on a substrate) or ``"bulk"``: what a propensity model was trained
    on. Checkpoints made before it was recorded tell it by their height input (films only)."""
    if meta.get("geometry") in ("film", "bulk"):
        return meta["geometry"]
    return "film" if meta.get("config", {}).get("model_args", {}).get("use_height") else "bulk"


def check_geometry(meta: dict, frames) -> None:
    """Refuse frames of the other geometry than the model's: a bulk model on a film (its liquid
    next to a wall is nothing it saw), a film model on a bulk box (no substrate to measure the
    height from), and a bulk model on a box not periodic in all three directions."""
    geometry = model_geometry(meta)
    for k, frame in enumerate(frames):
        has_substrate = bool(np.any(frame.substrate))
        if geometry == "bulk" and has_substrate:
            raise InputError(
                f"frame {k} has {int(frame.substrate.sum())} substrate atoms; the model was trained "
                "on a bulk liquid: give frames without substrate (or a film model)"
            )
        if geometry == "bulk" and not np.all(frame.pbc):
            raise InputError(
                f"frame {k} is not periodic in x, y and z; the model was trained on a periodic "
                "bulk box"
            )
        if geometry == "film" and not has_substrate:
            raise InputError(
                f"frame {k} has no substrate; the model was trained on liquid films on a "
                "substrate: select the substrate (--substrate_types, ...) or use a bulk model"
            )


def predict_per_atom(
    models, frames, eps_sl: float | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each frame, (n_atoms,) mean and spread of the predicted propensity over the models
    (NaN for atoms that are not graph nodes or are substrate). ``eps_sl``: the substrate-liquid
    strength, for models that read a film's inherent state."""
    from nucleate.train.propensity import build_graph, predict_nodes

    meta = models[0].hparams.meta
    check_geometry(meta, frames)
    out = []
    for frame in frames:
        if frame.units != meta.get("units", frame.units):
            raise InputError(f"the frames are in {frame.units} units; the model was trained in "
                             f"{meta['units']} units")  # fmt: skip
        if not frame.liquid.any():
            raise InputError("the frame has no liquid atoms")
        g = build_graph(frame, meta["featurizer_settings"], eps_sl)
        preds = np.stack([predict_nodes(m, g) for m in models])
        liquid = np.asarray(g.node_type) == 0
        mean = np.full(frame.n_atoms, np.nan)
        std = np.full(frame.n_atoms, np.nan)
        idx = np.asarray(g.atom_index)[liquid]
        mean[idx] = preds[:, liquid].mean(axis=0)
        std[idx] = preds[:, liquid].std(axis=0)
        out.append((mean, std))
    return out


def write_per_atom(frames, results, path: Path) -> Path:
    from nucleate.data.io import write_frames

    done = [f.replace(arrays={**f.arrays, "predicted_propensity": m, "predicted_propensity_std": s})
            for f, (m, s) in zip(frames, results, strict=True)]  # fmt: skip
    return write_frames(path, done)


def plot_per_atom(
    frame, propensity: np.ndarray, path: Path, title: str = "", contact: float = 1.2
) -> Path:
    """A side view (x against height, a slab through the middle in y) and a top view of the
    contact layer (liquid atoms below ``contact`` above the substrate) of an interface, or a
    slice of a bulk liquid, coloured by propensity."""
    import matplotlib.pyplot as plt

    pos, cell = frame.positions, np.asarray(frame.cell)
    liq = frame.liquid & np.isfinite(propensity)
    vmin, vmax = np.nanpercentile(propensity[liq], [2, 98])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), constrained_layout=True)
    if frame.substrate.any():
        top = pos[frame.substrate, 2].max()  # the picture's reference: the highest substrate atom
        h = pos[:, 2] - top
        ymid = cell[1, 1] / 2
        slab = np.abs(pos[:, 1] - ymid) < 1.0
        ax = axes[0]
        s = frame.substrate & slab & (h > -2.5)
        ax.scatter(pos[s, 0], h[s], s=18, c="0.6", label="substrate")
        s = liq & slab
        sc = ax.scatter(pos[s, 0], h[s], s=18, c=propensity[s], cmap="coolwarm", vmin=vmin,
                        vmax=vmax)  # fmt: skip
        film_top = np.percentile(h[liq], 95.0) + 2.5  # leave out the vapour above the film
        ax.set(xlabel="x", ylabel="height above substrate", title="side view (|y − mid| < 1)",
               ylim=(-2.8, film_top))  # fmt: skip
        ax.set_aspect("equal", adjustable="box")
        ax = axes[1]
        layer = liq & (h < contact)
        ax.scatter(pos[layer, 0], pos[layer, 1], s=40, c=propensity[layer],
                   cmap="coolwarm", vmin=vmin, vmax=vmax)  # fmt: skip
        ax.set(xlabel="x", ylabel="y", title=f"contact layer (height < {contact:g})")
        ax.set_aspect("equal", adjustable="box")
    else:
        zmid = cell[2, 2] / 2
        s = liq & (np.abs(pos[:, 2] - zmid) < 1.0)
        sc = axes[0].scatter(pos[s, 0], pos[s, 1], s=30, c=propensity[s], cmap="coolwarm",
                             vmin=vmin, vmax=vmax)  # fmt: skip
        axes[0].set(xlabel="x", ylabel="y", title="slice |z − mid| < 1")
        axes[0].set_aspect("equal")
        axes[1].hist(propensity[liq], bins=60, color="C0")
        axes[1].set(xlabel="predicted propensity", ylabel="atoms")
    fig.colorbar(sc, ax=axes, label="predicted propensity", shrink=0.8)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
