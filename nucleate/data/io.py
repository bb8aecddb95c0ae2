"""Reading and writing frames: ASE at the edge, Frames inside.

Any format ASE reads works (extxyz, LAMMPS data and text dumps, POSCAR, ...). Trajectories are
read lazily, one frame at a time. Which atoms are substrate and which are the analysed liquid
comes from a :class:`Selection`. Lengths are never converted: a LAMMPS file in reduced units stays
in σ, a real-units file in Å; the unit system is recorded on every Frame.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from nucleate.data import extxyz
from nucleate.data.dataset import reading_side
from nucleate.errors import InputError
from nucleate.frame import Frame, check_units

log = logging.getLogger(__name__)

# LAMMPS formats: ASE would convert lengths from `units`; "metal" leaves lengths as they are.
_LAMMPS_FORMATS = {"lammps-data", "lammps-dump-text", "lammps-dump-binary"}
_SUBSTRATE_ARRAY = "substrate"
_LIQUID_ARRAY = "liquid"
_NEEDS_MDA = (
    "selection strings work on files read through MDAnalysis (give --topology, or --format mda)"
)


@dataclass(frozen=True)
class Selection:
    """Which atoms are substrate and which are the liquid sites analysed.

    Exactly one way to find the substrate is used: ``substrate_types`` (species given as atomic
    numbers / LAMMPS types or chemical symbols), ``substrate_array`` (a per-atom array in the file,
    non-zero meaning substrate), ``substrate_below`` (a height cut: atoms with z below it) or
    ``substrate_select`` (an MDAnalysis selection string, for files read through MDAnalysis).
    With none given, a per-atom array named ``substrate`` is used when the file has one (nucleate
    writes it). ``liquid_types`` or ``liquid_select`` pick the liquid sites (e.g. ``("O",)`` or
    ``"name OW"`` for water, whose oxygens stand for molecules); by default every atom that is
    not substrate.
    """

    substrate_types: tuple[int | str, ...] | None = None
    substrate_array: str | None = None
    substrate_below: float | None = None
    liquid_types: tuple[int | str, ...] | None = None
    substrate_select: str | None = None
    liquid_select: str | None = None
    #: a bulk liquid: no substrate at all (the propensity models of bulk glass formers)
    bulk: bool = False

    def __post_init__(self) -> None:
        given = [
            name
            for name in (
                "substrate_types",
                "substrate_array",
                "substrate_below",
                "substrate_select",
            )
            if getattr(self, name) is not None
        ]
        if len(given) > 1:
            raise InputError(f"give one way to find the substrate, not {' and '.join(given)}")
        if self.bulk and given:
            raise InputError(f"a bulk liquid has no substrate: drop {' and '.join(given)}")
        if self.liquid_types is not None and self.liquid_select is not None:
            raise InputError("give one way to find the liquid, not liquid_types and liquid_select")

    @property
    def uses_strings(self) -> bool:
        """Whether a selection string is given (only files read through MDAnalysis take them)."""
        return self.substrate_select is not None or self.liquid_select is not None

    def masks(
        self, atoms, source: str = "frame", chosen: tuple | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(substrate, liquid) boolean masks for an ``ase.Atoms``; ``chosen``: the (substrate,
        liquid) masks the selection strings picked (None where not given)."""
        numbers = atoms.numbers
        chosen_substrate, chosen_liquid = chosen or (None, None)
        if self.bulk:
            marked = np.asarray(atoms.arrays.get(_SUBSTRATE_ARRAY, np.zeros(len(numbers))))
            if np.any(marked.reshape(len(numbers), -1)[:, 0] != 0):
                raise InputError(
                    f"{source}: the file marks {int(np.count_nonzero(marked))} substrate atoms, "
                    "but a bulk liquid is asked for (a bulk model): give frames without substrate"
                )
            substrate = np.zeros(len(numbers), dtype=bool)
            how = "none (bulk)"
        elif self.substrate_select is not None:
            if chosen_substrate is None:
                raise InputError(f"{source}: {_NEEDS_MDA}")
            substrate = np.asarray(chosen_substrate, dtype=bool)
            how = f"selection {self.substrate_select!r}"
        elif self.substrate_types is not None:
            substrate = np.isin(numbers, _type_numbers(self.substrate_types))
            how = f"types {list(self.substrate_types)}"
        elif self.substrate_below is not None:
            substrate = atoms.positions[:, 2] < self.substrate_below
            how = f"z < {self.substrate_below}"
        else:
            name = self.substrate_array or _SUBSTRATE_ARRAY
            if name not in atoms.arrays:
                if self.substrate_array is None:
                    raise InputError(
                        f"{source}: no substrate given; name its types (--substrate_types), a "
                        f"per-atom array (--substrate_array), a height cut (--substrate_below) or, "
                        f"for MD formats, a selection (--substrate_select)"
                    )
                have = ", ".join(sorted(atoms.arrays)) or "none"
                raise InputError(f"{source}: no per-atom array {name!r} (arrays: {have})")
            substrate = np.asarray(atoms.arrays[name]).reshape(len(atoms), -1)[:, 0] != 0
            how = f"array {name!r}"
        if self.liquid_select is not None:
            if chosen_liquid is None:
                raise InputError(f"{source}: {_NEEDS_MDA}")
            liquid = np.asarray(chosen_liquid, dtype=bool) & ~substrate
            liquid_how = f"selection {self.liquid_select!r}"
        elif self.liquid_types is not None:
            liquid = np.isin(numbers, _type_numbers(self.liquid_types)) & ~substrate
            liquid_how = f"types {list(self.liquid_types)}"
        elif (
            self.substrate_types is None
            and self.substrate_array is None
            and self.substrate_select is None
            and _LIQUID_ARRAY in (atoms.arrays)
        ):
            liquid = (np.asarray(atoms.arrays[_LIQUID_ARRAY]) != 0) & ~substrate
            liquid_how = "array 'liquid'"
        else:
            liquid = ~substrate
            liquid_how = "all non-substrate atoms"
        explicit = any(
            v is not None
            for v in (
                self.substrate_types, self.substrate_array, self.substrate_below,
                self.substrate_select,
            )
        )  # fmt: skip
        if explicit and not substrate.any():  # a file's own all-false mask is a bulk system
            raise InputError(f"{source}: no substrate atoms (substrate by {how})")
        if not liquid.any():
            raise InputError(f"{source}: no liquid atoms (liquid: {liquid_how})")
        return substrate, liquid


def _type_numbers(types: Iterable[int | str]) -> list[int]:
    from ase.data import atomic_numbers

    out = []
    for t in types:
        if isinstance(t, str) and not t.strip().lstrip("-").isdigit():
            if t not in atomic_numbers:
                raise InputError(f"unknown species {t!r}: give a chemical symbol or a type number")
            out.append(atomic_numbers[t])
        else:
            out.append(int(t))
    return out


def from_ase(
    atoms,
    selection: Selection | None = None,
    units: str | None = None,
    wrap: bool = True,
    source: str = "frame",
    chosen: tuple | None = None,
) -> Frame:
    """Convert an ``ase.Atoms`` to a :class:`Frame`.

    Args:
        atoms: the ASE atoms; per-atom arrays other than positions/numbers are kept in
            ``Frame.arrays``.
        selection: how to find substrate and liquid atoms (default :class:`Selection()`).
        units: unit system; default the ``units`` entry of ``atoms.info``, else ``"lj"``.
        wrap: wrap atoms outside the cell back in along periodic axes.
        source: a name for error messages.
        chosen: (substrate, liquid) masks picked by selection strings (see :meth:`Selection.masks`).
    """
    selection = selection or Selection()
    recorded = atoms.info.get("units")
    if units is not None and recorded is not None and units != recorded:
        raise InputError(f"{source}: file records units {recorded!r} but {units!r} was asked for")
    units = check_units(units or recorded or "lj")
    positions = atoms.get_positions()
    if not np.all(np.isfinite(positions)):
        bad = int(np.sum(~np.all(np.isfinite(positions), axis=1)))
        raise InputError(f"{source}: {bad} of {len(atoms)} atoms have NaN or infinite coordinates")
    substrate, liquid = selection.masks(atoms, source, chosen)
    skip = {"numbers", "positions", _SUBSTRATE_ARRAY, _LIQUID_ARRAY}
    arrays = {k: v for k, v in atoms.arrays.items() if k not in skip}
    info = {k: v for k, v in atoms.info.items() if k != "units"}
    info.setdefault("source", source)
    frame = Frame(
        positions=positions,
        types=atoms.numbers,
        cell=atoms.cell.array,
        pbc=atoms.pbc,
        substrate=substrate,
        liquid=liquid,
        units=units,
        info=info,
        arrays=arrays,
    )
    if wrap and np.any(frame.pbc) and abs(np.linalg.det(frame.cell)) > 1e-12:
        outside = int(frame.outside_cell().sum())
        if outside:
            log.debug("%s: wrapped %d atoms back into the periodic cell", source, outside)
            frame = frame.wrapped()
    return frame


def to_ase(frame: Frame):
    """Convert a :class:`Frame` to ``ase.Atoms``; masks become per-atom arrays, units go to info."""
    from ase import Atoms

    atoms = Atoms(numbers=frame.types, positions=frame.positions, cell=frame.cell, pbc=frame.pbc)
    atoms.arrays[_SUBSTRATE_ARRAY] = frame.substrate.copy()
    atoms.arrays[_LIQUID_ARRAY] = frame.liquid.copy()
    for key, value in frame.arrays.items():
        atoms.arrays[key] = np.array(value)
    # only plain values: formats such as extxyz cannot store nested dictionaries
    plain = (str, int, float, bool, np.integer, np.floating, np.ndarray)
    atoms.info.update(
        {k: v for k, v in frame.info.items() if k != "source" and isinstance(v, plain)}
    )
    atoms.info["units"] = frame.units
    return atoms


def check_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: not readable (permission denied)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    return path


def guess_format(path: Path, format: str | None) -> str | None:
    if format is not None:
        from ase.io.formats import ioformats

        if format not in ioformats or not ioformats[format].can_read:
            raise InputError(f"unknown or write-only format {format!r} (see 'ase info --formats')")
        return format
    from ase.io.formats import filetype, ioformats

    hint = "pass the format (e.g. extxyz, lammps-data, lammps-dump-text)"
    try:
        fmt = filetype(str(path), guess=True)
    except Exception as err:  # ASE raises several types for unknown content
        raise InputError(f"{path}: cannot tell the file format ({err}); {hint}") from None
    if fmt not in ioformats or not ioformats[fmt].can_read:
        raise InputError(f"{path}: not a structure file nucleate can read; {hint}")
    return fmt


def _read_kwargs(format: str | None, atom_style: str | None) -> dict:
    if format in _LAMMPS_FORMATS:
        kwargs = {"units": "metal"}  # metal: ASE leaves lengths untouched
        if format == "lammps-data" and atom_style:
            kwargs["atom_style"] = atom_style
        return kwargs
    return {}


@dataclass
class ReadOptions:
    """How a command reads frames from a file: the options every command that reads a trajectory
    shares (``predict``, ``featurize``, ``inspect``).

    Args:
        format: ASE format, or mda / mda:<MDAnalysis format>; guessed from the name if unset.
        topology: topology of an MD trajectory (.gro, .tpr, .pdb, .psf, LAMMPS data), read with
            it through MDAnalysis.
        index: frames to read, ASE syntax (':', '-1', '::10').
        units: unit system of the file (default: recorded in the file, else lj).
        substrate_types: substrate species (type numbers or symbols), e.g. 1, Pt or [1, 3].
        substrate_array: a per-atom array of the file, non-zero meaning substrate.
        substrate_below: a height cut: atoms with z below it are substrate.
        liquid_types: the liquid sites analysed, e.g. O for water (several: a list).
        substrate_select: MDAnalysis selection of the substrate, e.g. 'resname SUB' (MD formats).
        liquid_select: MDAnalysis selection of the liquid sites, e.g. 'name OW' (MD formats).
        atom_style: LAMMPS data atom style.
        side: the side of the slab whose liquid is analysed: a slab with liquid on both sides
            needs top or bottom, or both (its two faces read as two samples of one surface); a
            surface facing -z is bottom (auto finds the side that has liquid).
    """

    format: str | None = None
    topology: str | None = None
    index: str = ":"
    units: Literal["lj", "real", "metal"] | None = None
    substrate_types: list[int | str] | int | str | None = None
    substrate_array: str | None = None
    substrate_below: float | None = None
    liquid_types: list[int | str] | int | str | None = None
    substrate_select: str | None = None
    liquid_select: str | None = None
    atom_style: str | None = None
    side: Literal["auto", "top", "bottom", "both"] = "auto"

    def selection(self) -> Selection:
        """The :class:`Selection` these options give (checked: one way to find the substrate)."""

        def listed(values):  # (one type as given, or several)
            if values is None:
                return None
            return tuple(values) if isinstance(values, (list, tuple)) else (values,)

        return Selection(
            substrate_types=listed(self.substrate_types),
            substrate_array=self.substrate_array,
            substrate_below=self.substrate_below,
            liquid_types=listed(self.liquid_types),
            substrate_select=self.substrate_select,
            liquid_select=self.liquid_select,
        )

    def read_kwargs(self) -> dict:
        """Keyword arguments of :func:`iter_frames` / :func:`read_frames`."""
        index = str(self.index)
        return {"index": int(index) if index.lstrip("-").isdigit() else index,
                "format": self.format, "selection": self.selection(), "units": self.units,
                "atom_style": self.atom_style, "topology": self.topology, "side": self.side}  # fmt: skip


def iter_frames(
    path: str | os.PathLike,
    index: str | int | slice = ":",
    format: str | None = None,
    selection: Selection | None = None,
    units: str | None = None,
    atom_style: str | None = None,
    wrap: bool = True,
    topology: str | os.PathLike | None = None,
    side: str | None = "auto",
) -> Iterator[Frame]:
    """Yield the frames of a file one at a time (lazily: long trajectories never sit in memory).

    MD formats (xtc, trr, dcd, H5MD, NetCDF, gro, tpr, pdb, psf; any file with a ``topology``;
    ``format="mda"`` or ``"mda:<MDAnalysis format>"``) are read through MDAnalysis (see
    :mod:`nucleate.data.mda`), everything else through ASE.

    Args:
        path: any file ASE or MDAnalysis reads; gzip/bz2 compression is recognised by extension.
        index: which frames, in ASE syntax (``":"`` all, ``-1`` the last, ``"::10"`` every tenth).
        format: ASE format name; guessed from the name and content when omitted.
        selection: how to find substrate and liquid atoms.
        units: the file's unit system (see :data:`nucleate.frame.UNITS`).
        atom_style: LAMMPS atom style of a data file, when its ``Atoms`` section does not say.
        wrap: wrap atoms outside the cell back in.
        topology: the topology of an MD trajectory (names, residues, types), read with it by
            MDAnalysis.
        side: which side of the slab the liquid analysed is on (see
            :func:`nucleate.structure.orient.orient`): ``auto``, ``top`` or ``bottom``, or
            ``both`` (each frame yields its two faces, for a slab with the same surface on both
            sides); every interface comes out with its surface facing +z and z not periodic.
            ``auto`` reads a sample's file of a nucleate data set as the data set does
            (:data:`nucleate.data.dataset.SAMPLE_SIDE`: its film was built above the slab).
            ``None``: the frames as stored, not turned (to compare them atom by atom).

    Raises:
        InputError: missing, unreadable, truncated or malformed files; bad selections.
    """
    from nucleate.data import mda

    path = check_path(path)
    topology = None if topology is None else str(check_path(topology))
    side = reading_side(path, side)
    if mda.handles(path, topology, format):
        selection = selection or Selection()
        chosen_as = _as_chosen(selection)
        for atoms, chosen, source in mda.iter_timesteps(
            path, index, topology, format,
            selection.substrate_select, selection.liquid_select, units, atom_style,
            selection.substrate_types, selection.liquid_types,
        ):  # fmt: skip
            yield from _oriented(
                from_ase(atoms, chosen_as, wrap=wrap, source=source, chosen=chosen), side, source
            )
        return
    if selection is not None and selection.uses_strings:
        raise InputError(
            f"{path}: {_NEEDS_MDA}; for this file use --substrate_types, --substrate_array or "
            "--substrate_below"
        )
    fast, text = None, None
    if format in (None, "extxyz") and extxyz.named(path) and atom_style is None:
        text = _text(path)
        try:
            fast = extxyz.read(text, index) if text is not None else None
        except extxyz.Unsupported:
            fast = None  # ASE reads it (and names what is wrong with a broken file)
    count = 0
    for atoms in fast if fast is not None else _ase_atoms(path, text, index, format, atom_style):
        source = f"{path}" if count == 0 else f"{path} frame {count}"
        yield from _oriented(
            from_ase(atoms, selection, units, wrap=wrap, source=source), side, source
        )
        count += 1
    if count == 0:
        raise InputError(f"{path}: no frames (index {index!r})")


def _ase_atoms(path: Path, text: str | None, index, format: str | None, atom_style: str | None):
    """The file's frames read by ASE one at a time (``text``: its contents, already read), each
    failure an InputError naming the frame."""
    from ase.io import iread

    fmt = guess_format(path, format)
    source = io.StringIO(text) if text is not None and fmt == "extxyz" else _source(path, fmt)
    frames = iread(source, index=index, format=fmt, **_read_kwargs(fmt, atom_style))
    count = 0
    while True:
        try:
            with warnings.catch_warnings():  # ASE warns about info it cannot parse; not ours
                warnings.simplefilter("ignore", UserWarning)
                atoms = next(frames)
        except StopIteration:
            return
        except InputError:
            raise
        except Exception as err:
            what = "file" if count == 0 else f"frame {count} (after {count} good frames)"
            detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise InputError(
                f"{path}: cannot read {what} as {fmt}; truncated or malformed? ({detail})"
            ) from None
        yield atoms
        count += 1


#: compressed extxyz files up to this size are decompressed in one go (ASE's line-by-line reading
#: through gzip costs as much again as parsing); larger ones are streamed
IN_MEMORY_BYTES = 32 * 2**20


def _source(path: Path, fmt: str):
    """What ASE reads: a small compressed extxyz file decompressed in memory, else the path."""
    if fmt != "extxyz" or path.suffix not in extxyz.COMPRESSED:
        return str(path)
    text = _text(path)
    return str(path) if text is None else io.StringIO(text)


def _text(path: Path) -> str | None:
    """The file's text, decompressed, when it is at most :data:`IN_MEMORY_BYTES` on disk."""
    import bz2
    import gzip
    import lzma

    if path.stat().st_size > IN_MEMORY_BYTES:
        return None
    opener = {".gz": gzip, ".bz2": bz2, ".xz": lzma}.get(path.suffix)
    raw = path.read_bytes()
    if opener is not None:
        try:
            raw = opener.decompress(raw)
        except (OSError, EOFError, ValueError, lzma.LZMAError) as err:
            raise InputError(f"{path}: cannot decompress ({err}); truncated or damaged?") from None
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None  # not text: ASE says what it is


def _oriented(frame: Frame, side: str | None, source: str) -> Iterator[Frame]:
    """The interface turned to the geometry the analysis reads (see nucleate.structure.orient);
    ``side="both"``: both faces of the slab, one frame each (two samples of the same surface)."""
    from nucleate.structure.orient import orient

    if side is None:
        yield frame
        return
    try:
        if side == "both":
            yield orient(frame, "top")
            yield orient(frame, "bottom")
        else:
            yield orient(frame, side)
    except InputError as err:
        raise InputError(f"{source}: {err}") from None


def _as_chosen(selection: Selection) -> Selection:
    """A selection for a file read through MDAnalysis, whose types are the topology's strings:
    the reader matches them (see :func:`nucleate.data.mda.types_mask`) and hands the masks over
    as if a selection string had chosen them."""
    from dataclasses import replace

    if selection.substrate_types is not None:
        label = f"types {list(selection.substrate_types)}"
        selection = replace(selection, substrate_types=None, substrate_select=label)
    if selection.liquid_types is not None:
        label = f"types {list(selection.liquid_types)}"
        selection = replace(selection, liquid_types=None, liquid_select=label)
    return selection


def read_frames(path: str | os.PathLike, index: str | int | slice = ":", **kwargs) -> list[Frame]:
    """All selected frames of a file as a list (see :func:`iter_frames` for the arguments)."""
    return list(iter_frames(path, index=index, **kwargs))


def read_frame(path: str | os.PathLike, index: int = -1, **kwargs) -> Frame:
    """One frame of a file, by default the last (see :func:`iter_frames` for the arguments)."""
    frames = read_frames(path, index=index, **kwargs)
    return frames[0]


def write_frames(
    path: str | os.PathLike, frames: Frame | Sequence[Frame], format: str | None = None
) -> Path:
    """Write frames to any format ASE writes, atomically (a temporary file renamed into place).

    extxyz keeps everything (masks, units, extra arrays). A LAMMPS data file keeps positions, cell
    and types (species are numbered 1, 2, ... in order of ascending ``types``, so frames whose types
    already are 1..k keep them); the masks follow from the types on reading.
    """
    from ase.io import write

    path = Path(path)
    frames = [frames] if isinstance(frames, Frame) else list(frames)
    if not frames:
        raise InputError("no frames to write")
    images = [to_ase(f) for f in frames]
    fmt = format
    if fmt is None:
        from ase.io.formats import filetype

        fmt = "extxyz" if path.suffix in (".xyz", ".extxyz") else filetype(str(path), read=False)
    kwargs: dict = {}
    if fmt == "lammps-data":
        if len(images) != 1:
            raise InputError("a LAMMPS data file holds one frame")
        from ase.data import chemical_symbols

        kwargs = {
            "specorder": [chemical_symbols[z] for z in np.unique(frames[0].types)],
            "masses": True,
            "units": "metal",
            "atom_style": "atomic",
        }
        images = images[0]
    tmp = path.with_name(f".tmp{os.getpid()}-{path.name}")  # keeps the extension (.gz)
    try:
        write(str(tmp), images, format=fmt, **kwargs)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
