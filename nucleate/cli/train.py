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
    """Train a T_n model (see :mod:`nucleate.train.run`) or, with a ``propensity`` section, a
    per-atom propensity model (see :mod:`nucleate.train.propensity`)."""
    from dataclasses import fields

    from nucleate.train.run import TrainConfig, run_training

    if cfg.get("propensity") is not None:
        from nucleate.train.propensity import PropensityTrainConfig, run_propensity_training

        pc = section(PropensityTrainConfig, cfg.propensity)
        m = run_propensity_training(pc)
        g, r = m["gnn"], m["ridge"]
        print(f"propensity, cross-validated Pearson r per configuration: GNN {g['r_mean']:.3f} "
              f"(pooled {g['r_pooled']:.3f}), ridge {r['r_mean']:.3f} (pooled "
              f"{r['r_pooled']:.3f}); noise ceiling {m['ceiling']:.3f}; run directory {pc.out}")  # fmt: skip
        return m
    config = TrainConfig(**{f.name: cfg[f.name] for f in fields(TrainConfig)})
    m = run_training(config)
    t = m.get("test", {})
    print(f"{config.model}: test RMSE {t.get('rmse', float('nan')):.4f} (predict-the-mean "
          f"{t.get('rmse_mean_baseline', float('nan')):.4f}); run directory {config.out}")  # fmt: skip
    return m
