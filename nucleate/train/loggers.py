"""Training loggers: CSV always, TensorBoard, Weights & Biases (offline unless reachable)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger, WandbLogger

from nucleate.registry import Registry

#: logger names -> factories ``(out, project, run) -> Lightning logger``
LOGGERS: Registry = Registry("logger")


@LOGGERS.register("csv")
def csv_logger(out: Path, project: str, run: str) -> CSVLogger:
    """Metrics per step in ``out/logs/metrics.csv`` (always there, read by the report)."""
    return CSVLogger(out, name="logs", version="")


@LOGGERS.register("tensorboard", aliases=("tb",))
def tensorboard_logger(out: Path, project: str, run: str) -> TensorBoardLogger:
    """TensorBoard event files under ``out/tensorboard``."""
    return TensorBoardLogger(out, name="tensorboard", version="")


@LOGGERS.register("wandb")
def wandb_logger(out: Path, project: str, run: str) -> WandbLogger:
    """Weights & Biases, offline (sync later) unless logged in and its server answers."""
    offline = (
        os.environ.get("WANDB_MODE", "") in ("offline", "disabled")
        or not (os.environ.get("WANDB_API_KEY") or (Path.home() / ".netrc").exists())
        or not wandb_reachable()
    )
    return WandbLogger(project=project, save_dir=str(out), offline=offline, name=run)


def make_loggers(names: list[str], out: Path, project: str = "nucleate", run: str = "run"):
    """Lightning loggers by registered name (``csv``, ``tensorboard``, ``wandb``) writing under
    ``out``. (Lightning's advertisement for its cloud logger is kept out of the output.)"""
    rank_zero = logging.getLogger(LIGHTNING_INFO)
    if not any(isinstance(f, NoTips) for f in rank_zero.filters):
        rank_zero.addFilter(NoTips())
    return [LOGGERS.get(name)(Path(out), project, run) for name in names]


#: the logger through which Lightning prints its information lines
LIGHTNING_INFO = "lightning.pytorch.utilities.rank_zero"


class NoTips(logging.Filter):
    """Drops Lightning's "💡 Tip" lines (a product advertisement printed by every Trainer that has
    no LitLogger); every other line passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("💡 Tip")


def wandb_reachable(timeout: float = 3.0) -> bool:
    """Whether the W&B server answers a TCP connection within ``timeout`` seconds: a logged-in
    user without network gets an offline run (sync it later) instead of a hanging one."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False
