"""Featurize data sets and trajectory files, with a disk cache.

The registry :data:`FEATURIZERS` maps public names to featurizer classes; each is built from a
settings dict. Results are cached per input under a key hashed from the featurizer's name, its
settings, the nucleate version, the featurizers' revision and the input file's sha256 (plus the
sample's parameters), so changing any of them recomputes; ``force`` recomputes anyway. A log line
says when the cache is used.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from pathlib import Path

import numpy as np

from nucleate import __version__
from nucleate.errors import InputError
from nucleate.featurize.cache import cache_key, cached, default_cache_dir

log = logging.getLogger(__name__)


def _registry() -> dict:
    from nucleate.featurize.descriptors import InterfaceDescriptors
    from nucleate.featurize.graphs import GraphFeaturizer
    from nucleate.featurize.images import DensityImage
    from nucleate.structure.layers import LayerDetector
    from nucleate.structure.order import RadialBondOrder

    return {
        "layers": LayerDetector,
        "density_image": DensityImage,
        "graph": GraphFeaturizer,
        "descriptors": InterfaceDescriptors,
        "local_order": RadialBondOrder,
    }


#: public featurizer names (the registry is filled lazily to keep imports light)
FEATURIZERS = ("layers", "density_image", "graph", "descriptors", "local_order")


def build(name: str, settings: dict | None = None):
    """Instantiate a registered featurizer from a settings dict."""
    registry = _registry()
    if name not in registry:
        raise InputError(f"unknown featurizer {name!r}; use one of {', '.join(registry)}")
    settings = dict(settings or {})
    if name == "descriptors" and isinstance(settings.get("pair"), dict):
        from nucleate.featurize.descriptors import PairLJ

        settings["pair"] = PairLJ(**settings["pair"])
    try:
        return registry[name](**settings)
    except TypeError as err:
        raise InputError(f"bad settings for featurizer {name!r}: {err}") from None


def compute_features(name: str, featurizer, frames: list, params: dict, substrate=None) -> dict:
    """Run one featurizer on the frames of one input: a dict of arrays."""
    if name == "density_image":
        return {"image": featurizer(frames)}
    if name == "descriptors":
        values = featurizer(
            frames, substrate=substrate, eps_sl=params.get("eps_sl"), eps_sl2=params.get("eps_sl2")
        )
        return {"names": np.array(list(values)), "values": np.array(list(values.values()))}
    if name == "graph":
        from nucleate.featurize.graphs import graph_arrays

        return graph_arrays(featurizer(frames[-1]))
    if name == "local_order":
        return {
            f"frame{k}": featurizer(f.positions, f.cell, f.pbc, f.types)
            for k, f in enumerate(frames)
        }
    if name == "layers":
        p = featurizer(frames)
        bounds = np.array([[la.lower, la.peak, la.upper] for la in p.layers])
        return {"heights": p.heights, "density": p.density, "layers": bounds}
    raise InputError(f"no pipeline for featurizer {name!r}")


def featurize_dataset(
    root: str | os.PathLike,
    name: str,
    settings: dict | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> Path:
    """Featurize every sample of a data set; writes ``out`` (a directory) and returns it.

    Output: ``density_image`` -> ``images.npz`` (ids, images (n, c, h, w)); ``descriptors`` ->
    ``descriptors.csv`` (id + one column per descriptor); ``graph``, ``local_order``, ``layers``
    -> ``<id>.npz`` per sample. ``featurizer.json`` records name, settings and version.
    Without ``out``: under the cache folder (``outputs/<data set>-<featurizer>-<key>``), never
    inside the data set.
    """
    from tqdm.auto import tqdm

    from nucleate.data import dataset
    from nucleate.data.io import read_frames

    root = Path(root)
    rows = dataset.read_manifest(root)
    campaign = dataset.campaign_config(root)
    settings = dict(settings or {})
    if name == "descriptors" and "a0" not in settings:
        settings["a0"] = _campaign_a0(root)
    featurizer = build(name, settings)
    if out is None:  # never into the data set: under the cache, by data set and settings
        from nucleate.data.dataset import sha256_of

        tag = cache_key(name, settings, sha256_of(root / dataset.MANIFEST))[:12]
        out = Path(cache_dir or default_cache_dir()) / "outputs" / f"{root.name}-{name}-{tag}"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(cache_dir or default_cache_dir()) / "features"
    results, hits = {}, 0
    for row in tqdm(rows, desc=f"featurize {name}", unit="sample", disable=not progress):
        files = dict(zip(row["files"].split(";"), row["sha256"].split(";"), strict=True))
        frames_file = next(f for f in files if f.endswith("frames.extxyz.gz"))
        # the cache is keyed on the manifest's hash: check the file is that file (a warm cache
        # would otherwise hide a damaged or swapped one)
        if dataset.sha256_of(root / frames_file) != files[frames_file]:
            raise InputError(
                f"{root / frames_file}: its content differs from the manifest's sha256 (changed or "
                "damaged); check the data set: nucleate generate -c <its config> --verify true"
            )
        record = json.loads((root / frames_file).parent.joinpath("sample.json").read_text())
        params = record.get("parameters", {})
        key = cache_key(name, settings, files[frames_file], params)
        family = record.get("family")

        def compute(frames_file=frames_file, params=params, family=family):
            frames = read_frames(root / frames_file)
            substrate = _full_substrate(frames[0], params, family, campaign)
            return compute_features(name, featurizer, frames, params, substrate)

        results[row["id"]], hit = cached(cache / f"{key}.npz", compute, force)
        hits += hit
    if hits:
        log.info("featurize %s: %d of %d samples from the cache %s (rebuild with --force true)",
                 name, hits, len(rows), cache)  # fmt: skip
    _write_outputs(out, name, results)
    (out / "featurizer.json").write_text(
        json.dumps({"name": name, "settings": settings, "version": __version__,
                    "data": str(root), "samples": len(results)}, indent=1, default=str) + "\n"
    )  # fmt: skip
    return out


def featurize_file(
    path: str | os.PathLike,
    name: str,
    settings: dict | None = None,
    out: str | os.PathLike | None = None,
    force: bool = False,
    cache_dir: str | os.PathLike | None = None,
    **read_kwargs,
) -> Path:
    """Featurize the frames of one trajectory or structure file (see
    :func:`nucleate.data.io.iter_frames` for ``read_kwargs``)."""
    from nucleate.data.dataset import sha256_of
    from nucleate.data.io import read_frames

    settings = dict(settings or {})
    featurizer = build(name, settings)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    reading = {k: str(v) for k, v in read_kwargs.items()}
    if read_kwargs.get("topology") is not None and Path(read_kwargs["topology"]).exists():
        reading["topology_sha256"] = sha256_of(read_kwargs["topology"])  # its content, not name
    key = cache_key(name, settings, sha256_of(path), reading)
    cache = Path(cache_dir or default_cache_dir()) / "features"
    result, hit = cached(
        cache / f"{key}.npz",
        lambda: compute_features(name, featurizer, read_frames(path, **read_kwargs), {}),
        force,
    )
    if hit:
        log.info("featurize %s: %s from the cache (rebuild with --force true)", name, path)
    out = Path(out or path.with_suffix("").with_suffix("").name + f".{name}")
    out.mkdir(parents=True, exist_ok=True)
    _write_outputs(out, name, {path.name: result})
    return out


def _write_outputs(out: Path, name: str, results: dict[str, dict]) -> None:
    ids = list(results)
    if name == "density_image":
        np.savez_compressed(
            out / "images.npz",
            ids=np.array(ids),
            images=np.stack([results[i]["image"] for i in ids]),
        )
    elif name == "descriptors":
        names = [str(n) for n in results[ids[0]]["names"]]
        tmp = out / ".descriptors.csv.tmp"
        with open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", *names])
            for i in ids:
                writer.writerow([i, *[f"{v:.8g}" for v in results[i]["values"]]])
        os.replace(tmp, out / "descriptors.csv")
    else:
        for i in ids:
            np.savez_compressed(out / f"{i}.npz", **results[i])


def _campaign_a0(root: Path) -> float | None:
    from nucleate.data.dataset import campaign_config

    a0 = campaign_config(root).get("a0")
    return None if a0 is None else float(a0)


def _full_substrate(frame, params: dict, family: str | None = None, campaign: dict | None = None):
    """The whole generated substrate (frames keep only its top layers), as a Frame with the same
    lateral cell, rebuilt from the sample's parameters (a family's slab: with the data set's
    campaign, as it was built); None for other substrates."""
    from nucleate.data.families import FAMILIES
    from nucleate.frame import Frame

    if params.get("facet") in ("111", "100", "110") and "a_s" in params:
        from nucleate.data.substrates import fcc_slab

        # the builder's lateral size is recovered from the frame's cell
        slab = fcc_slab(params["facet"], params["a_s"], 3, min_lateral=1.0)
        reps = np.rint(frame.cell[:2, :2].diagonal() / slab.cell.lengths()[:2]).astype(int)
        slab = slab.repeat((int(reps[0]), int(reps[1]), 1))
    elif family in FAMILIES and "value" in params and campaign:
        from nucleate.data.campaign import family_slab

        slab, _, _ = family_slab(family, params["value"], campaign, params.get("eps_sl2"))
    else:
        return None
    if not np.allclose(slab.cell.array[:2, :2], frame.cell[:2, :2], atol=1e-6):
        return None
    top_frame = frame.positions[frame.substrate, 2].max()
    pos = slab.positions + np.array([0.0, 0.0, top_frame - slab.positions[:, 2].max()])
    return Frame(
        positions=pos,
        types=np.where(slab.numbers == 3, 3, 1),
        cell=frame.cell,
        pbc=frame.pbc,
        substrate=np.ones(len(pos), dtype=bool),
        liquid=np.zeros(len(pos), dtype=bool),
        units=frame.units,
    )
