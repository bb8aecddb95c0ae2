"""``nucleate predict``: T_n of new substrates or trajectories, per-atom propensity; the work is in :mod:`nucleate.predict.command`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nucleate.cli.common import add_reading_arguments, read_kwargs
from nucleate.data.families import FAMILIES
from nucleate.errors import NucleateError
from nucleate.predict.command import predict_into


def add_arguments(p) -> None:
    p.add_argument(
        "--model",
        type=list[str],
        help="checkpoints or run directories, e.g. [models/lj-fcc-v1/cnn]",
    )
    p.add_argument(
        "--trajectory", type=str | None, default=None,
        help="frames of an interface, predicted instead of simulating a substrate: the CNN reads "
        "one density image averaged over all frames, the GNN predicts each frame's graph and "
        "reports the mean over the frames, the descriptor model averages its descriptors over them",
    )  # fmt: skip
    p.add_argument(
        "--substrate", type=list[str] | None, default=None,
        help="slab files and/or generated slabs <family>:<value>, e.g. [my_slab.extxyz, "
        "fcc111:+0.015, bcc110:-0.02, fcc111-vacancies:0.2]: simulated first (every one with "
        "every --eps_sl); families: " + ", ".join(FAMILIES),
    )  # fmt: skip
    p.add_argument(
        "--eps_sl2", type=float | None, default=None,
        help="substrate-liquid ε of the second component of two-component families "
        "(fcc111-stripes, fcc111-alloy, fcc100-checker; lj-mix-v1 used 0.3)",
    )  # fmt: skip
    p.add_argument(
        "--eps_sl", type=list[float] | None, default=None,
        help="substrate-liquid ε for --substrate, e.g. [1.2] or [0.5, 1.0, 1.5]",
    )  # fmt: skip
    p.add_argument("--workers", type=int, default=0, help="simulations at once (0: all cores)")
    p.add_argument(
        "--equilibrium", type=dict | None, default=None,
        help="override the training protocol's equilibrium run for --substrate, e.g. {melt_time: "
        "5, eq_time: 6, n_frames: 4, frame_every: 1.5} (cheaper, validate it first)",
    )  # fmt: skip
    p.add_argument("--out", type=str, default="prediction", help="output directory")
    p.add_argument(
        "--overwrite", type=bool, default=False,
        help="replace an existing non-empty --out (refused otherwise)",
    )  # fmt: skip
    p.add_argument("--plot", type=bool, default=True, help="write prediction.png")
    p.add_argument(
        "--per_atom", "--per-atom", type=bool, default=False,
        help="per-atom propensity of --trajectory with propensity checkpoints (e.g. --model "
        "[models/lj-fcc-v1/propensity]): writes per_atom.extxyz and per_atom.png",
    )  # fmt: skip
    add_reading_arguments(p)


def run(cfg) -> dict:
    """T_n of new substrates (simulated with the training data's protocol) or of a trajectory."""
    if (cfg.trajectory is None) == (cfg.substrate is None):
        raise NucleateError(
            "give either --trajectory FILE or --substrate [FILE or fcc111:+0.02, ...]"
        )
    if cfg.model is None:
        raise NucleateError("give --model [checkpoint or run directory, ...]")
    final = Path(cfg.out)
    if final.exists() and (not final.is_dir() or any(final.iterdir())) and not cfg.overwrite:
        raise NucleateError(
            f"{final} exists and is not empty: choose another --out or pass --overwrite true"
        )
    # everything is written into a staging folder moved into place at the end: a failure
    # leaves nothing half-written, and no earlier run's files beside the new ones
    out = final.parent / f".{final.name}.tmp{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    try:
        result = predict_into(cfg, out, final, read_kwargs(cfg))
        if final.exists():
            shutil.rmtree(final) if final.is_dir() else final.unlink()
        os.replace(out, final)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return result
