"""The disk cache of features: keys hashed from a featurizer's name, its settings, the nucleate
version, the featurizer's revision and the input's sha256; arrays stored as ``.npz``, written
atomically."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from nucleate import __version__


def default_cache_dir() -> Path:
    return Path(os.environ.get("NUCLEATE_CACHE", Path.home() / ".cache" / "nucleate"))


#: raised whenever a featurizer's output changes for the same settings and input (2: the layer
#: detector's adjacency rule; 3: the slab-only substrate descriptors; 4: the in-plane structure
#: factor descriptors sk_max_1 and sk_static_1), so that caches made before
#: are not used
REVISION = 4
#: one featurizer's own revision where only its output changed (the others' caches stay good):
#: descriptors 5, the probe landscape's heights found by a Newton search (site_depth and
#: landscape_std moved by at most 1e-4 of their spread over the bundled data sets); 6, no probe
#: below a thin slab (its shape descriptors; the bundled data sets' whole slabs unchanged), and
#: the registry's whole first Bragg shell in a large cell (5 bundled twist samples changed)
FEATURIZER_REVISION = {"descriptors": 6}


def revision(name: str) -> int:
    """The revision of featurizer ``name``'s output, part of its cache keys."""
    return FEATURIZER_REVISION.get(name, REVISION)


def cache_key(name: str, settings: dict, input_sha: str, extra: dict | None = None) -> str:
    blob = json.dumps(
        {"name": name, "settings": settings, "version": __version__, "input": input_sha,
         "extra": extra or {}, "revision": revision(name)},
        sort_keys=True, default=str,
    )  # fmt: skip
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def cached(path: Path, compute, force: bool) -> tuple[dict, bool]:
    """The arrays stored at ``path`` (an ``.npz``), or ``compute()``'s, written there atomically;
    with whether they came from the cache. ``force`` recomputes."""
    if path.exists() and not force:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}, True
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp{os.getpid()}-{path.name}")
    np.savez_compressed(tmp, **result)
    os.replace(tmp, path)
    return result, False
