"""``nucleate featurize``: density images, graphs, descriptors, local order of a data set or a file."""

from __future__ import annotations

from pathlib import Path

from nucleate.cli.common import add_reading_arguments, read_kwargs
from nucleate.errors import NucleateError


def add_arguments(p) -> None:
    from typing import Literal

    from nucleate.featurize.pipeline import FEATURIZER_NAMES

    p.add_argument("--featurizer", type=Literal[FEATURIZER_NAMES], default="descriptors")  # type: ignore[valid-type]
    p.add_argument("--data", type=str | None, default=None, help="a data set directory")
    p.add_argument("--trajectory", type=str | None, default=None, help="a trajectory file")
    p.add_argument("--settings", type=dict, default={}, help="featurizer settings, e.g. {size: 32}")
    p.add_argument(
        "--out", type=str | None, default=None,
        help="output directory (default: under the cache folder for --data, never inside the "
        "data set; <file>.<featurizer> here for --trajectory)",
    )  # fmt: skip
    p.add_argument("--force", type=bool, default=False, help="recompute instead of using the cache")
    p.add_argument("--cache_dir", type=str | None, default=None)
    p.add_argument("--plot", type=str | None, default=None, help="density_image/layers: a PNG")
    p.add_argument(
        "--precursor_map", type=str | None, default=None,
        help="--trajectory: a PNG of the contact layer in the q̄4-q̄6 plane against liquid / fcc / "
        "hcp / bcc references simulated at --temperature",
    )  # fmt: skip
    p.add_argument("--temperature", type=float | None, default=None, help="for --precursor_map")
    add_reading_arguments(p)


def run(cfg) -> Path:
    """Featurize a data set (``--data``) or a trajectory file (``--trajectory``)."""
    from nucleate.featurize.pipeline import featurize_dataset, featurize_file

    if (cfg.data is None) == (cfg.trajectory is None):
        raise NucleateError("give either --data DIR or --trajectory FILE")
    settings = dict(cfg.settings or {})
    if cfg.data is not None:
        out = featurize_dataset(
            cfg.data, cfg.featurizer, settings, cfg.out, cfg.force, cfg.cache_dir
        )
    else:
        out = featurize_file(
            cfg.trajectory, cfg.featurizer, settings, cfg.out, cfg.force, cfg.cache_dir,
            **read_kwargs(cfg),
        )  # fmt: skip
    print(f"{cfg.featurizer} features written to {out}")
    if cfg.plot:
        from nucleate.report.features import plot_feature_output

        plot_feature_output(out, cfg.featurizer, cfg.plot)
        print(f"picture written to {cfg.plot}")
    if cfg.precursor_map:
        from nucleate.data.io import read_frames
        from nucleate.featurize.precursors import plot_precursor_map

        temperature = cfg.temperature or settings.get("precursor_temperature")
        if cfg.trajectory is None or temperature is None:
            raise NucleateError(
                "--precursor_map needs --trajectory and --temperature (T of the frames)"
            )
        d = plot_precursor_map(read_frames(cfg.trajectory, **read_kwargs(cfg)), temperature,
                               cfg.precursor_map, str(Path(cfg.trajectory)))  # fmt: skip
        print(f"precursor map written to {cfg.precursor_map}: " + ", ".join(
            f"{k} {v:.2f}" for k, v in d.items()))  # fmt: skip
    return out
