"""The domain guard of every prediction: input frames far from what a model was trained on are
refused with one line naming the likely cause, milder departures are marked in the output.

A model's domain is what its training inputs looked like (:func:`training_domain`, stored in the
checkpoint): the units, the liquid's spacing ``d_liquid`` (bulk density^(-1/3)) and the atoms per
area of its contact layer. Models saved without one are guarded by the liquid's crystal: its spacing
``a0 / 4^(1/3)`` (fcc, from the training campaign) catches wrong units, and nothing milder is
marked.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from nucleate.data.dataset import SAMPLE_SIDE, SAMPLES
from nucleate.data.io import read_frames
from nucleate.errors import InputError, NoLayerError
from nucleate.structure.layers import LayerDetector

#: a liquid spacing beyond this factor of the training one is refused (a wrong unit, a gas)
REFUSE = 1.5
#: a departure beyond this fraction of the training range (each side) is marked
MARGIN = 0.1


def training_domain(
    records: list[dict], root: str | Path | None = None, cache_dir: str | Path | None = None
) -> dict:
    """The domain of the training samples. With the data set's ``root``, measured on each
    sample's stored frames exactly as :func:`check_domain` measures an input (the layer detector
    on the frames: the frames keep the interfacial region only, whose spacing reads a few per cent
    below the whole film's), so that a training sample as stored lies inside it, and kept in the
    feature cache (``cache_dir``, by the frames' sha256) for the next model trained on them;
    without, from the records' stored layer summaries of the whole film."""
    d, d_sub, area = [], [], []
    for r in records:
        if root is not None:
            m = _sample_domain(Path(root), r, cache_dir)
            d += m["d_liquid"].tolist()
            d_sub += m["d_substrate"].tolist()
            area += m["atoms_per_area_1"].tolist()
        elif r.get("layers"):
            d.append(r["layers"]["d_liquid"])
            d_sub.append(r["layers"]["d_substrate"])
            if r["layers"].get("layers"):
                area.append(r["layers"]["layers"][0]["atoms_per_area"])
    units = sorted({r.get("units", "lj") for r in records})
    out = {"units": units[0] if len(units) == 1 else units}
    for key, values in (("d_liquid", d), ("d_substrate", d_sub), ("atoms_per_area_1", area)):
        if values:
            out[key] = [float(min(values)), float(max(values))]
    return out


def _sample_domain(root: Path, record: dict, cache_dir) -> dict[str, np.ndarray]:
    """One stored sample's contribution to :func:`training_domain` (empty arrays where its
    frames hold no liquid layer), from the cache when its frames were measured before."""
    from nucleate.featurize.cache import cache_key, cached, default_cache_dir

    path = root / SAMPLES / record["id"] / "frames.extxyz.gz"

    def measure() -> dict[str, np.ndarray]:
        try:
            profile = LayerDetector(n_layers=1)(read_frames(path, side=SAMPLE_SIDE))
        except NoLayerError:
            return {k: np.zeros(0) for k in ("d_liquid", "d_substrate", "atoms_per_area_1")}
        first = [profile.layers[0].atoms_per_area] if profile.layers else []
        return {"d_liquid": np.array([profile.d_liquid]),
                "d_substrate": np.array([profile.d_substrate]),
                "atoms_per_area_1": np.array(first, dtype=float)}  # fmt: skip

    sha = record.get("files", {}).get("frames.extxyz.gz")
    if sha is None:  # a record without its files' hashes: measured every time
        return measure()
    key = cache_key("domain", {"n_layers": 1, "side": SAMPLE_SIDE}, sha)
    return cached(Path(cache_dir or default_cache_dir()) / "features" / f"{key}.npz", measure,
                  False)[0]  # fmt: skip


def _same_system(frames) -> None:
    first = frames[0]
    for k, f in enumerate(frames[1:], start=1):
        # the liquid may differ (frames cut to the interfacial region); the substrate may not
        if int(f.substrate.sum()) != int(first.substrate.sum()):
            raise InputError(
                f"frame {k} has {int(f.substrate.sum())} substrate atoms, frame 0 "
                f"{int(first.substrate.sum())}: the trajectory holds different systems; predict "
                "each one on its own"
            )
        lateral = np.abs(f.cell[:2, :2] - first.cell[:2, :2]).max()
        if lateral > 0.05 * np.abs(first.cell[:2, :2]).max():
            raise InputError(
                f"frame {k}'s lateral cell differs from frame 0's by {lateral:.3g}: the "
                "trajectory holds different systems; predict each one on its own"
            )


#: the atom types of nucleate's own campaigns: substrate (1, and 3 for a second component), liquid
CAMPAIGN_SPECIES = {"substrate": {1, 3}, "liquid": {2}}


def check_species(meta: dict, frames, known: set[int] | None = None) -> str:
    """Compare the frames' atom species with the training data's (models trained on nucleate's
    campaigns: substrate types 1 and 3, liquid type 2). A graph model embeds species, so other
    species are refused (they would silently read as another atom); for the other models, which
    see only positions, they are marked. ``known``: the species a graph model embeds (those it
    saw in training); others are refused. Returns the mark ("" if none)."""
    if known is not None:
        seen = {int(t) for f in frames for t in np.unique(f.types[f.substrate | f.liquid])}
        if seen - set(known):
            raise InputError(
                f"the frames have species {sorted(seen - set(known))} the model never saw (it was "
                f"trained on {sorted(known)} and reads species): renumber the types as in "
                "training, or use a model trained on such substrates"
            )
    if not meta.get("campaign"):
        return ""
    seen = {
        "substrate": {int(t) for f in frames for t in np.unique(f.types[f.substrate])},
        "liquid": {int(t) for f in frames for t in np.unique(f.types[f.liquid])},
    }
    odd = {k: sorted(v - CAMPAIGN_SPECIES[k]) for k, v in seen.items() if v - CAMPAIGN_SPECIES[k]}
    if not odd:
        return ""
    said = ", ".join(f"{k} species {v}" for k, v in odd.items())
    if meta.get("features") == "graph":
        raise InputError(
            f"the frames have {said}; the model was trained on substrate types 1 (and 3) and "
            "liquid type 2 and reads species: renumber the types as in training"
        )
    return f"{said} not in training (types: substrate 1, 3; liquid 2)"


def check_domain(meta: dict, frames, species: set[int] | None = None) -> str:
    """Refuse frames far outside the model's domain (:class:`InputError`, one line with the
    likely cause and the fix); return the milder departures (";"-joined, "" if none).
    ``species``: the atom species a graph model embeds (see :func:`check_species`)."""
    frames = list(frames)
    if not frames:
        raise InputError("no frames given")
    if not any(f.substrate.any() for f in frames):
        raise InputError("the frames have no substrate atoms: say which atoms are the substrate "
                         "(--substrate_types, --substrate_array or --substrate_below)")  # fmt: skip
    _same_system(frames)
    species_mark = check_species(meta, frames, species)
    domain = meta.get("domain") or {}
    try:
        profile = LayerDetector(n_layers=1)(frames)
    except NoLayerError as err:
        raise InputError(f"no liquid layer on the substrate ({err}): is this a film?") from None
    d = float(profile.d_liquid)
    lo, hi = domain.get("d_liquid") or [None, None]
    known = lo is not None
    if not known:  # a model saved without its domain: the liquid's crystal sets the scale
        a0 = (meta.get("campaign") or {}).get("a0")
        if not a0:
            return ""
        # the spacing density^(-1/3) of the fcc crystal (4 atoms per a0^3), the quantity d_liquid
        # is, not its nearest-neighbour distance; good for the refusal of wrong units only
        lo = hi = float(a0) / 4 ** (1 / 3)
    ratio = d / (0.5 * (lo + hi))
    if not 1 / REFUSE <= ratio <= REFUSE:
        units = meta.get("units", "lj")
        s_lo, s_hi = domain.get("d_substrate") or [lo, hi]
        scaled = profile.d_substrate / (0.5 * (s_lo + s_hi))  # the whole frame, or the liquid?
        if abs(math.log(scaled / ratio)) < math.log(REFUSE):
            hint = (
                "are the frames in Å while the model is in LJ units (σ)? convert them (divide "
                "lengths by σ in Å)"
                if units == "lj" and 2.5 <= ratio <= 4.5
                else "substrate and liquid are both scaled: are the units right (--units)?"
            )
        else:
            hint = ("the liquid is far less dense than the training liquid: a gas or a vapour, "
                    "not a liquid film?" if ratio > 1 else
                    "the liquid is far denser than the training liquid: a solid?")  # fmt: skip
        raise InputError(
            f"the liquid's spacing {d:.3g} is {ratio:.2g} × the training one ({0.5 * (lo + hi):.3g}"
            f" {units}): {hint}"
        )
    marks = [species_mark] if species_mark else []
    pad = MARGIN * max(hi - lo, 0.05 * hi)
    if known and not lo - pad <= d <= hi + pad:
        marks.append(f"d_liquid {d:.3g} outside [{lo:.3g}, {hi:.3g}]")
    a_lo, a_hi = domain.get("atoms_per_area_1") or [None, None]
    if a_lo is not None and profile.layers:
        a = float(profile.layers[0].atoms_per_area)
        pad = MARGIN * max(a_hi - a_lo, 0.05 * a_hi)
        if not a_lo - pad <= a <= a_hi + pad:
            marks.append(f"contact layer {a:.3g} atoms/area outside [{a_lo:.3g}, {a_hi:.3g}]")
    return "; ".join(marks)
