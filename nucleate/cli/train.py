"""``nucleate train``: T_n models (CNN, GNN) or, with a ``propensity`` section, per-atom propensity models."""

from __future__ import annotations

from nucleate.cli.common import section


def add_arguments(p) -> None:
    from nucleate.train.config import TrainConfig
    from nucleate.train.propensity import PropensityTrainConfig

    p.add_class_arguments(TrainConfig)
    p.add_argument(
        "--propensity", type=PropensityTrainConfig | None, default=None,
        help="train a per-atom propensity model instead (configs/train/propensity_*.yaml)",
    )  # fmt: skip


def run(cfg) -> dict:
    """Train a T_n model or, with a ``propensity`` section, a per-atom propensity model, through
    the one training entry point (:func:`nucleate.train.tasks.run_training`)."""
    from dataclasses import fields

    from nucleate.train.tasks import TASKS, run_training

    if cfg.get("propensity") is not None:
        config = section(TASKS.get("propensity").config, cfg.propensity)
    else:
        tn = TASKS.get("tn").config
        config = tn(**{f.name: cfg[f.name] for f in fields(tn)})
    m = run_training(config)
    print(TASKS.get(config.task).summary(config, m))
    return m
