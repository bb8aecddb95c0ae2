"""``nucleate inspect``: the substrate surface and the liquid layers of a trajectory."""

from __future__ import annotations

import json
from pathlib import Path

from nucleate.cli.common import add_reading_arguments, progress, read_kwargs


def add_arguments(p) -> None:
    from typing import Literal

    p.add_argument("path", type=str, help="trajectory or structure file (any ASE format)")
    add_reading_arguments(p)
    p.add_argument("--n_layers", type=int, default=2)
    p.add_argument("--reference", type=Literal["auto", "flat", "local"], default="auto")
    p.add_argument("--plot", type=str | None, default=None, help="write the density profile here")
    p.add_argument("--json", type=str | None, default=None, help="write the summary as JSON here")


def run(cfg) -> dict:
    """Read frames, detect layers, print and optionally save the result; returns the summary."""
    from nucleate.data.io import iter_frames
    from nucleate.structure.layers import LayerDetector

    frames = iter_frames(cfg.path, **read_kwargs(cfg))
    profile = LayerDetector(n_layers=cfg.n_layers, reference=cfg.reference)(progress(frames))
    summary = {"path": str(cfg.path), **profile.summary()}
    print(format_profile(profile, cfg.path))
    if cfg.json:
        Path(cfg.json).write_text(json.dumps(summary, indent=2) + "\n")
        print(f"summary written to {cfg.json}")
    if cfg.plot:
        from nucleate.report.features import plot_profile

        plot_profile(profile, cfg.plot, title=str(cfg.path))
        print(f"profile plot written to {cfg.plot}")
    return summary


def format_profile(profile, path) -> str:
    """A short human-readable table of the layers found."""
    u = {"lj": "σ", "real": "Å", "metal": "Å"}[profile.units]
    lines = [
        f"{path}: {profile.n_frames} frame(s), units {profile.units}",
        f"  substrate surface at z = {profile.substrate_top:.4g} {u} (roughness "
        f"{profile.roughness:.3g} {u}; heights measured from the {profile.reference} surface)",
        f"  liquid: bulk density {profile.bulk_density:.4g} {u}^-3, nearest neighbour "
        f"{profile.d_liquid:.4g} {u}",
        "  layer   lower    peak   upper  atoms/area  upper from",
    ]
    for k, layer in enumerate(profile.layers, start=1):
        lines.append(
            f"  {k:5d} {layer.lower:7.3f} {layer.peak:7.3f} {layer.upper:7.3f} "
            f"{layer.atoms_per_area:11.4f}  {layer.upper_from}"
        )
    return "\n".join(lines)
