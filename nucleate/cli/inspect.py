"""``nucleate inspect``: the substrate surface and the liquid layers of a trajectory."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nucleate.cli.common import progress, section
from nucleate.data.io import ReadOptions, iter_frames
from nucleate.errors import InputError
from nucleate.report.features import plot_profile
from nucleate.structure.layers import LayerDetector


@dataclass
class InspectConfig(ReadOptions):
    """Options of nucleate inspect.

    Args:
        path: trajectory or structure file (any ASE format, or MD formats through MDAnalysis).
        n_layers: liquid layers to report.
        reference: heights above the flat (mean) or the local surface, or auto.
        plot: write the density profile here (PNG, PDF or SVG).
        json: write the summary as JSON here.
    """

    path: str = ""
    n_layers: int = 2
    reference: Literal["auto", "flat", "local"] = "auto"
    plot: str | None = None
    json: str | None = None

    def validate(self) -> None:
        if not Path(self.path).exists():
            raise InputError(f"{self.path}: no such file")
        if self.n_layers < 1:
            raise InputError(f"n_layers must be at least 1, not {self.n_layers}")


def add_arguments(p) -> None:
    p.add_argument("path", type=str, help="trajectory or structure file (any ASE format)")
    p.add_class_arguments(InspectConfig, skip={"path"})


def run(cfg) -> dict:
    """Read frames, detect layers, print and optionally save the result; returns the summary."""
    cfg = section(InspectConfig, cfg)
    cfg.validate()
    frames = iter_frames(cfg.path, **cfg.read_kwargs())
    profile = LayerDetector(n_layers=cfg.n_layers, reference=cfg.reference)(progress(frames))
    summary = {"path": str(cfg.path), **profile.summary()}
    print(format_profile(profile, cfg.path))
    if cfg.json:
        Path(cfg.json).write_text(json.dumps(summary, indent=2) + "\n")
        print(f"summary written to {cfg.json}")
    if cfg.plot:
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
