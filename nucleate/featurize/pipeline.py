"""Featurize data sets and trajectory files, with a disk cache.

Every featurizer follows one contract (:mod:`nucleate.featurize.base`): built from a settings
dict by its registered name, ``features(frames, context) -> dict of arrays``, and its own way to
store a data set's results. Results are cached per input under a key hashed from the
featurizer's name, its settings, the nucleate version, the featurizer's revision and the input
file's sha256 (plus the sample's parameters), so changing any of them recomputes; ``force``
recomputes anyway. A log line says when the cache is used.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from nucleate import __version__
from nucleate.data import dataset
from nucleate.data.campaign import family_slab
from nucleate.data.dataset import SAMPLE_SIDE
from nucleate.data.families import FAMILIES
from nucleate.data.io import ReadOptions, read_frames
from nucleate.data.substrates import fcc_slab
from nucleate.errors import InputError
from nucleate.featurize import descriptors, graphs, images, local  # noqa: F401  (they register)
from nucleate.featurize.base import FEATURIZERS, Context, Featurizer
from nucleate.featurize.cache import cache_key, cached, default_cache_dir
from nucleate.frame import Frame

log = logging.getLogger(__name__)


#: public featurizer names (the registry itself: :data:`nucleate.featurize.base.FEATURIZERS`)
FEATURIZER_NAMES = FEATURIZERS.names()


def build(name: str, settings: dict | None = None) -> Featurizer:
    """Instantiate a registered featurizer (or an alias of one) from a settings dict."""
    return FEATURIZERS.get(name).from_settings(settings)


@dataclass
class FeaturizeConfig(ReadOptions):
    """Options of nucleate featurize.

    The frame-reading options (for ``trajectory``) are those of
    :class:`~nucleate.data.io.ReadOptions`.

    Args:
        featurizer: a registered featurizer name (or alias).
        data: a data set directory.
        trajectory: a trajectory file.
        settings: featurizer settings, e.g. {size: 32}.
        out: output directory (default: under the cache folder for data, never inside the data
            set; <file>.<featurizer> here for trajectory).
        force: recompute instead of using the cache.
        cache_dir: the cache folder (default: NUCLEATE_CACHE or ~/.cache/nucleate).
        plot: density_image / layers: a PNG of the result.
        precursor_map: trajectory: a PNG of the contact layer in the q̄4-q̄6 plane against
            liquid / fcc / hcp / bcc references simulated at temperature.
        temperature: the temperature of the frames, for precursor_map.
    """

    featurizer: str = "descriptors"
    data: str | None = None
    trajectory: str | None = None
    settings: dict = field(default_factory=dict)
    out: str | None = None
    force: bool = False
    cache_dir: str | None = None
    plot: str | None = None
    precursor_map: str | None = None
    temperature: float | None = None

    def validate(self) -> None:
        """Raise :class:`InputError` on the first bad option (featurizer settings included)."""
        if (self.data is None) == (self.trajectory is None):
            raise InputError("give either --data DIR or --trajectory FILE")
        self.featurizer = FEATURIZERS.canonical(self.featurizer)
        build(self.featurizer, self.settings)
        if self.precursor_map and (self.trajectory is None or self.precursor_temperature is None):
            raise InputError(
                "--precursor_map needs --trajectory and --temperature (T of the frames)"
            )

    @property
    def precursor_temperature(self) -> float | None:
        return self.temperature or (self.settings or {}).get("precursor_temperature")


def featurize(cfg: FeaturizeConfig) -> Path:
    """Featurize ``cfg.data`` (a data set) or ``cfg.trajectory`` (a file); the output folder."""
    cfg.validate()
    if cfg.data is not None:
        return featurize_dataset(
            cfg.data, cfg.featurizer, cfg.settings, cfg.out, cfg.force, cfg.cache_dir
        )
    return featurize_file(
        cfg.trajectory, cfg.featurizer, cfg.settings, cfg.out, cfg.force, cfg.cache_dir,
        **cfg.read_kwargs(),
    )  # fmt: skip


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
    root = Path(root)
    rows = dataset.read_manifest(root)
    campaign = dataset.campaign_config(root)
    settings = dict(settings or {})
    for key in FEATURIZERS.get(name).dataset_settings:  # e.g. the descriptors' a0
        if key not in settings:
            value = campaign.get(key)
            settings[key] = None if value is None else float(value)
    featurizer = build(name, settings)
    if out is None:  # never into the data set: under the cache, by data set and settings
        tag = cache_key(name, settings, dataset.sha256_of(root / dataset.MANIFEST))[:12]
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
            frames = read_frames(root / frames_file, side=SAMPLE_SIDE)
            substrate = full_substrate(frames[0], params, family, campaign)
            return featurizer.features(frames, Context(params, substrate))

        results[row["id"]], hit = cached(cache / f"{key}.npz", compute, force)
        hits += hit
    if hits:
        log.info("featurize %s: %d of %d samples from the cache %s (rebuild with --force true)",
                 name, hits, len(rows), cache)  # fmt: skip
    featurizer.write(out, results)
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
    settings = dict(settings or {})
    featurizer = build(name, settings)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    side = read_kwargs.get("side", "auto")
    resolved = dataset.reading_side(path, side)
    if resolved != side:  # the side reading will use: the cache key says it too
        read_kwargs["side"] = resolved
    reading = {k: str(v) for k, v in read_kwargs.items()}
    if read_kwargs.get("topology") is not None and Path(read_kwargs["topology"]).exists():
        reading["topology_sha256"] = dataset.sha256_of(read_kwargs["topology"])  # content, not name
    key = cache_key(name, settings, dataset.sha256_of(path), reading)
    cache = Path(cache_dir or default_cache_dir()) / "features"
    result, hit = cached(
        cache / f"{key}.npz",
        lambda: featurizer.features(read_frames(path, **read_kwargs), Context()),
        force,
    )
    if hit:
        log.info("featurize %s: %s from the cache (rebuild with --force true)", name, path)
    out = Path(out or path.with_suffix("").with_suffix("").name + f".{name}")
    out.mkdir(parents=True, exist_ok=True)
    featurizer.write(out, {path.name: result})
    return out


def sample_substrate(path: str | os.PathLike, frame, sample: dict | None = None) -> Frame | None:
    """The whole substrate of a data set sample's frames file (``<root>/samples/<id>/``: the
    frames keep only the slab's top layers), rebuilt from its ``sample.json`` (``sample``, when
    the caller has read it) and the data set's campaign as the data set's own featurization does
    (:func:`full_substrate`); None for any other file, or a sample whose substrate is not a
    generated one."""
    path = Path(path)
    sample = dataset.sample_record(path) if sample is None else sample
    if sample is None:
        return None
    root = path.parent.parent.parent
    return full_substrate(frame, sample.get("parameters", {}), sample.get("family"),
                          dataset.campaign_config(root))  # fmt: skip


def full_substrate(frame, params: dict, family: str | None = None, campaign: dict | None = None):
    """The whole generated substrate (frames keep only its top layers), as a Frame with the same
    lateral cell, rebuilt from the sample's parameters (a family's slab: with the data set's
    campaign, as it was built); None for other substrates."""
    if params.get("facet") in ("111", "100", "110") and "a_s" in params:
        # the builder's lateral size is recovered from the frame's cell
        slab = fcc_slab(params["facet"], params["a_s"], 3, min_lateral=1.0)
        reps = np.rint(frame.cell[:2, :2].diagonal() / slab.cell.lengths()[:2]).astype(int)
        slab = slab.repeat((int(reps[0]), int(reps[1]), 1))
    elif family in FAMILIES and "value" in params and campaign:
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
