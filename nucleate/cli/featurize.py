"""``nucleate featurize``: density images, graphs, descriptors, local order of a data set or a file."""

from __future__ import annotations

from pathlib import Path

from nucleate.cli.common import section
from nucleate.data.io import read_frames
from nucleate.featurize.pipeline import FEATURIZER_NAMES, FeaturizeConfig, featurize
from nucleate.report.features import plot_feature_output, plot_precursor_map


def add_arguments(p) -> None:
    p.add_class_arguments(FeaturizeConfig)
    p.epilog = "featurizers: " + ", ".join(FEATURIZER_NAMES)


def run(cfg) -> Path:
    """Featurize a data set (``--data``) or a trajectory file (``--trajectory``)."""
    cfg = section(FeaturizeConfig, cfg)
    out = featurize(cfg)
    print(f"{cfg.featurizer} features written to {out}")
    if cfg.plot:
        plot_feature_output(out, cfg.featurizer, cfg.plot)
        print(f"picture written to {cfg.plot}")
    if cfg.precursor_map:
        frames = read_frames(cfg.trajectory, **cfg.read_kwargs())
        d = plot_precursor_map(frames, cfg.precursor_temperature, cfg.precursor_map,
                               str(Path(cfg.trajectory)))  # fmt: skip
        print(f"precursor map written to {cfg.precursor_map}: " + ", ".join(
            f"{k} {v:.2f}" for k, v in d.items()))  # fmt: skip
    return out
