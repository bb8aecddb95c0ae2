"""The one training entry point, for every task: :func:`run_training` takes the config of a T_n run
(:class:`~nucleate.train.config.TrainConfig`, trained by :func:`nucleate.train.run.train_tn`) or of
a per-atom propensity run (:class:`~nucleate.train.propensity.PropensityTrainConfig`, trained by
:func:`nucleate.train.propensity.train_propensity`); each config names its task (``task``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nucleate.registry import Registry
from nucleate.train.config import TrainConfig
from nucleate.train.propensity import PropensityTrainConfig, train_propensity
from nucleate.train.run import train_tn


@dataclass(frozen=True)
class TrainingTask:
    """A task's config class, its training function (config -> metrics) and the one line the
    command line prints of its metrics."""

    config: type
    train: Callable[..., dict]
    summary: Callable[..., str]


def tn_summary(cfg: TrainConfig, m: dict) -> str:
    t = m.get("test", {})
    took = m.get("fit_seconds")
    took = f"; training {took / 60:.1f} min" if took is not None else ""
    return (f"{cfg.model}: test RMSE {t.get('rmse', float('nan')):.4f} (predict-the-mean "
            f"{t.get('rmse_mean_baseline', float('nan')):.4f}){took}; run directory {cfg.out}")  # fmt: skip


def propensity_summary(cfg: PropensityTrainConfig, m: dict) -> str:
    g, r = m["gnn"], m["ridge"]
    return (f"propensity, cross-validated Pearson r per configuration: GNN {g['r_mean']:.3f} "
            f"(pooled {g['r_pooled']:.3f}), ridge {r['r_mean']:.3f} (pooled {r['r_pooled']:.3f}); "
            f"noise ceiling {m['ceiling']:.3f}; run directory {cfg.out}")  # fmt: skip


#: task name -> how it trains
TASKS: Registry[TrainingTask] = Registry("training task")
TASKS.add("tn", TrainingTask(TrainConfig, train_tn, tn_summary))
TASKS.add("propensity", TrainingTask(PropensityTrainConfig, train_propensity, propensity_summary))


def task_of(cfg) -> TrainingTask:
    """The training task of a config (by its ``task``); refuses an object of another class."""
    task = TASKS.get(cfg.task)
    if not isinstance(cfg, task.config):
        raise TypeError(f"{type(cfg).__name__} is not a {task.config.__name__}")
    return task


def run_training(cfg) -> dict:
    """Train the run a config describes, of either task; returns its metrics (also written to the
    run directory)."""
    return task_of(cfg).train(cfg)
