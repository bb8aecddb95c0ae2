"""Reading finished run directories (``nucleate train`` / ``nucleate select``): their metrics."""

from __future__ import annotations

import json
from pathlib import Path

from nucleate.errors import InputError


def load_metrics(run) -> dict:
    """A run directory's metrics.json, or one line saying why it cannot be read."""
    path = Path(run) / "metrics.json"
    try:
        metrics = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{run}: no metrics.json (not a finished run directory)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(
            f"{path}: damaged, not JSON ({err.__class__.__name__}); retrain or restore it"
        ) from None
    if not isinstance(metrics, dict):
        raise InputError(f"{path}: damaged, not a JSON object")
    return metrics
