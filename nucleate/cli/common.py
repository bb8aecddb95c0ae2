"""Options and helpers shared by the subcommands: how frames are read, config sections."""

from __future__ import annotations


def add_reading_arguments(p) -> None:
    from typing import Literal

    p.add_argument(
        "--format", type=str | None, default=None,
        help="ASE format, or mda / mda:<MDAnalysis format>; guessed from the name if unset",
    )  # fmt: skip
    p.add_argument(
        "--topology", type=str | None, default=None,
        help="topology of an MD trajectory (.gro, .tpr, .pdb, .psf, LAMMPS data), read with it "
        "through MDAnalysis",
    )  # fmt: skip
    p.add_argument("--index", type=str, default=":", help="frames to read, ASE syntax (':', '-1')")
    p.add_argument(
        "--units", type=Literal["lj", "real", "metal"] | None, default=None,
        help="unit system of the file (default: recorded in the file, else lj)",
    )  # fmt: skip
    p.add_argument(
        "--substrate_types", type=list[int | str] | None, default=None,
        help="substrate species (type numbers or symbols), e.g. [1] or [Pt]",
    )  # fmt: skip
    p.add_argument("--substrate_array", type=str | None, default=None)
    p.add_argument("--substrate_below", type=float | None, default=None, help="height cut")
    p.add_argument("--liquid_types", type=list[int | str] | None, default=None, help="e.g. [O]")
    p.add_argument(
        "--substrate_select", type=str | None, default=None,
        help="MDAnalysis selection of the substrate, e.g. 'resname SUB' (MD formats)",
    )  # fmt: skip
    p.add_argument(
        "--liquid_select", type=str | None, default=None,
        help="MDAnalysis selection of the liquid sites, e.g. 'name OW' (MD formats)",
    )  # fmt: skip
    p.add_argument("--atom_style", type=str | None, default=None, help="LAMMPS data atom style")
    p.add_argument(
        "--side", type=Literal["auto", "top", "bottom", "both"], default="auto",
        help="the side of the slab whose liquid is analysed: a slab with liquid on both sides "
        "needs top or bottom, or both (its two faces read as two samples of one surface); a surface "
        "facing -z is bottom (auto finds the side that has liquid)",
    )  # fmt: skip


def read_kwargs(cfg) -> dict:
    from nucleate.data.io import Selection

    def _types(values):
        return None if values is None else tuple(values)

    selection = Selection(
        substrate_types=_types(cfg.substrate_types),
        substrate_array=cfg.substrate_array,
        substrate_below=cfg.substrate_below,
        liquid_types=_types(cfg.liquid_types),
        substrate_select=cfg.substrate_select,
        liquid_select=cfg.liquid_select,
    )
    index = int(cfg.index) if cfg.index.lstrip("-").isdigit() else cfg.index
    return {"index": index, "format": cfg.format, "selection": selection, "units": cfg.units,
            "atom_style": cfg.atom_style, "topology": cfg.topology, "side": cfg.side}  # fmt: skip


def section(cls, given):
    """The dataclass ``cls`` of a parsed config section (a dataclass or a Namespace)."""
    from dataclasses import asdict, fields, is_dataclass

    values = asdict(given) if is_dataclass(given) else dict(vars(given))
    return cls(**{f.name: values[f.name] for f in fields(cls)})


def add_config_class(cls_path: str):
    """An argument adder for a config dataclass given as 'module:Class' (imported when used)."""

    def add(p) -> None:
        from importlib import import_module

        module, name = cls_path.split(":")
        p.add_class_arguments(getattr(import_module(module), name))

    return add


def progress(frames):
    from tqdm.auto import tqdm

    return tqdm(frames, desc="frames", unit="frame", disable=None, leave=False)
