"""What ``nucleate predict`` does, writing into a staging folder: T_n of trajectories or of
substrates simulated with the training protocol (ranked, with warnings), or per-atom propensity.
``cfg`` is the parsed ``predict`` section; ``reading`` the options that read frames
(:func:`nucleate.data.io.iter_frames`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nucleate.errors import InputError


def predict_into(cfg, out: Path, final: Path, reading: dict) -> dict:
    """The work of ``nucleate predict``, writing into ``out`` (moved to ``final`` by the CLI)."""
    import csv
    from dataclasses import asdict

    from nucleate.data.io import read_frames
    from nucleate.predict.core import load_checkpoints, predict_frames, screen
    from nucleate.report.predictions import plot_predictions

    if cfg.per_atom:
        return per_atom_into(cfg, out, final, reading)
    models = load_checkpoints(cfg.model)
    if cfg.trajectory is not None:
        frames = read_frames(cfg.trajectory, **reading)
        if cfg.eps_sl and len(cfg.eps_sl) > 1:
            raise InputError("a trajectory has one substrate-liquid strength: give one --eps_sl")
        eps = cfg.eps_sl[0] if cfg.eps_sl else None
        p = predict_frames(models, frames, cfg.trajectory, eps_sl=eps)
        results = [{"id": Path(cfg.trajectory).name.split(".")[0], **asdict(p)}]

        def frames_of(r):
            return frames
    else:
        if not cfg.eps_sl:
            raise InputError("--substrate needs --eps_sl (the substrate-liquid interaction)")
        workers = cfg.workers or os.cpu_count() or 1
        results = screen(
            cfg.model,
            cfg.substrate,
            cfg.eps_sl,
            out,
            workers,
            equilibrium=cfg.equilibrium,
            eps_sl2=cfg.eps_sl2,
        )

        def frames_of(r):
            return read_frames(r["frames"])

    plot = out / "prediction.png"
    if cfg.plot:
        plot_predictions(results, models, frames_of, plot)
    for r in results:  # the kept frames' paths as they will be
        if "frames" in r:
            r["frames"] = str(final / Path(r["frames"]).relative_to(out))
    (out / "prediction.json").write_text(json.dumps(results, indent=1) + "\n")
    keys = [k for k in results[0] if k != "members"]
    with open(out / "predictions.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, ["rank", *keys], extrasaction="ignore")
        w.writeheader()
        w.writerows({"rank": k + 1, **r} for k, r in enumerate(results))
    width = max(len(r["id"]) for r in results)
    n = len(models)
    likely_below = outside = far = unusual = False
    for k, r in enumerate(results):
        below = ""
        if r.get("p_below_floor") is not None:
            below = f"  P(T_n < {r['floor']:g}) = {r['p_below_floor']:.2f}"
            if r["p_below_floor"] > 0.5:
                below, likely_below = below + " *", True
        if r.get("outside_training_range"):
            below, outside = below + f"  ! outside: {r['outside_training_range']}", True
        if r.get("domain"):
            below, unusual = below + f"  ~ {r['domain']}", True
        if r.get("far_from_training"):
            below, far = below + f"  ? far from training (novelty {r['novelty']:.1f})", True
        print(f"{k + 1:3d}  {r['id']:<{width}}  T_n = {r['tn']:.4f} ± {r['tn_std']:.4f}{below}")
    if likely_below:
        print("* more likely than not below the floor: the liquid probably does not crystallise "
              "above it on the training ramps, and T_n there is the regressor's extrapolation")  # fmt: skip
    if outside:
        print("! these descriptors lie outside their range over the training substrates: the "
              "model extrapolates and its ± understates the error (see the model card's "
              "coverage on held-out families)")  # fmt: skip
    if unusual:
        print("~ the input departs from the training inputs (liquid spacing, contact layer): "
              "check its units, temperature and how the liquid was selected")  # fmt: skip
    if far:
        print("? far from every training substrate in the model's own representation (farther "
              "than any training substrate from its nearest neighbour): a kind of substrate the "
              "model has not seen; treat T_n and its ± as a guess")  # fmt: skip
    print(f"({n} model(s), units {results[0]['units']}); written to {final}/prediction.json, "
          f"predictions.csv{', prediction.png' if cfg.plot else ''}")  # fmt: skip
    return {"results": results}


def per_atom_into(cfg, out: Path, final: Path, reading: dict) -> dict:
    import numpy as np

    from nucleate.data.io import read_frames
    from nucleate.predict.per_atom import (
        load_propensity_checkpoints,
        model_geometry,
        plot_per_atom,
        predict_per_atom,
        write_per_atom,
    )

    if cfg.trajectory is None:
        raise InputError("--per_atom reads frames: give --trajectory FILE")
    models = load_propensity_checkpoints(cfg.model)
    kwargs = dict(reading)
    if model_geometry(models[0].hparams.meta) == "bulk":
        # a bulk model reads every atom as liquid; substrate options are refused by Selection
        from dataclasses import replace

        kwargs["selection"] = replace(kwargs["selection"], bulk=True)
    try:
        frames = read_frames(cfg.trajectory, **kwargs)
    except InputError as err:
        if "no substrate given" in str(err):
            raise InputError(
                f"{err} (the model was trained on liquid films on a substrate)"
            ) from None
        raise
    results = predict_per_atom(models, frames)
    path = write_per_atom(frames, results, out / "per_atom.extxyz")
    summary = []
    for k, (mean, _) in enumerate(results):
        summary.append({"frame": k, "mean": float(np.nanmean(mean)),
                        "atoms": int(np.isfinite(mean).sum())})  # fmt: skip
    if cfg.plot:
        plot_per_atom(frames[-1], results[-1][0], out / "per_atom.png",
                      f"{Path(cfg.trajectory).name}: predicted propensity, last frame")  # fmt: skip
    (out / "per_atom.json").write_text(json.dumps(summary, indent=1) + "\n")
    path = final / path.name
    print(f"per-atom propensity of {len(frames)} frame(s) ({len(models)} model(s)) written to "
          f"{path}{' and ' + str(final / 'per_atom.png') if cfg.plot else ''}")  # fmt: skip
    return {"per_atom": summary, "file": str(path)}
