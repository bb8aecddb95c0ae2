"""Where the bundled data sets, models and configs are found, from any working directory.

A relative path (``models/lj-fcc-v1/gnn``, ``data/lj-fcc-v1``, ``configs/train/cnn.yaml``) is
looked up in the working directory first, then under the folder named by ``NUCLEATE_ROOT``, then
under the installation's own root (the source tree holding ``nucleate/``, ``data/`` and
``models/``; an install from a wheel does not carry them: set ``NUCLEATE_ROOT``).
"""

from __future__ import annotations

import os
from pathlib import Path

#: the environment variable naming the folder that holds data/, models/ and configs/
ENV = "NUCLEATE_ROOT"


def install_root() -> Path | None:
    """The source tree nucleate runs from, when it carries the bundled data or models."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "data").is_dir() or (root / "models").is_dir() else None


def search_roots() -> list[Path]:
    """The folders a relative resource path is looked up in after the working directory."""
    roots = []
    if os.environ.get(ENV):
        roots.append(Path(os.environ[ENV]).expanduser())
    if (root := install_root()) is not None:
        roots.append(root)
    return roots


def resolve(path: str | os.PathLike) -> Path:
    """``path`` as given when it exists (or is absolute), else the first match under
    :func:`search_roots`, else ``path`` unchanged (the caller reports it missing, with
    :func:`where_looked`)."""
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p
    for root in search_roots():
        if (root / p).exists():
            return root / p
    return p


def where_looked(path: str | os.PathLike) -> str:
    """A clause for a not-found message: where ``path`` was looked for, and how to point there."""
    places = ["the working directory", *(str(r) for r in search_roots())]
    hint = "" if os.environ.get(ENV) else f"; set {ENV} to the folder holding data/ and models/"
    return f"looked in {', '.join(places)}{hint}"
