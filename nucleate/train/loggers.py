"""Training loggers: CSV always, TensorBoard, Weights & Biases (offline unless reachable)."""

from __future__ import annotations

import os
from pathlib import Path

from nucleate.errors import InputError


def make_loggers(names: list[str], out: Path, project: str = "nucleate", run: str = "run"):
    """Lightning loggers by name (``csv``, ``tensorboard``, ``wandb``) writing under ``out``;
    W&B offline unless logged in and its server answers."""
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    loggers = []
    for name in names:
        if name == "csv":
            loggers.append(CSVLogger(out, name="logs", version=""))
        elif name == "tensorboard":
            loggers.append(TensorBoardLogger(out, name="tensorboard", version=""))
        elif name == "wandb":
            from lightning.pytorch.loggers import WandbLogger

            offline = (
                os.environ.get("WANDB_MODE", "") in ("offline", "disabled")
                or not (os.environ.get("WANDB_API_KEY") or (Path.home() / ".netrc").exists())
                or not wandb_reachable()
            )
            loggers.append(
                WandbLogger(
                    project=project,
                    save_dir=str(out),
                    offline=offline,
                    name=run,
                )
            )
        else:
            raise InputError(f"unknown logger {name!r}; use csv, tensorboard, wandb")
    return loggers


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
