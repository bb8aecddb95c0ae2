"""MD formats through MDAnalysis: GROMACS (xtc, trr, gro, tpr), DCD, H5MD, NetCDF, PDB, PSF and
LAMMPS data files with their trajectories, each with a topology where the format needs one.

A timestep becomes an ``ase.Atoms`` and then a :class:`~nucleate.frame.Frame` through the same
checks as every other file (:func:`nucleate.data.io.from_ase`). Substrate and liquid can be chosen
by MDAnalysis selection strings (``"resname SUB"``, ``"name OW"``), evaluated on every frame (so
geometric selections such as ``"prop z < 10"`` follow the atoms), besides types, arrays and height
cuts. Atoms chosen by neither (hydrogens and virtual sites of water, when the liquid is
``"name OW"``) are carried along and not analysed. MDAnalysis works in Å and ps: frames are
recorded in ``metal`` units (Å, ps) unless ``units`` says otherwise; lengths are never converted
(a LAMMPS file in reduced units read with ``units="lj"`` stays in σ).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from nucleate.errors import InputError

#: file extensions read through MDAnalysis (trajectories and topologies)
TRAJECTORIES = (".xtc", ".trr", ".dcd", ".h5md", ".nc", ".ncdf", ".netcdf")
TOPOLOGIES = (".gro", ".tpr", ".pdb", ".psf", ".top", ".prmtop", ".parm7")
#: LAMMPS atom styles as MDAnalysis's column lists
LAMMPS_STYLES = {"atomic": "id type x y z", "charge": "id type q x y z",
                 "full": "id resid type q x y z", "molecular": "id resid type x y z"}  # fmt: skip
#: the length and time units of MDAnalysis
UNITS = "metal"


def handles(path: str | os.PathLike, topology: str | None, format: str | None) -> bool:
    """Whether a file is read through MDAnalysis: a topology is given, the format is ``mda``
    (or ``mda:<MDAnalysis format>``), or the extension is one of :data:`TRAJECTORIES` /
    :data:`TOPOLOGIES`."""
    if format is not None:
        return format == "mda" or format.startswith("mda:")
    return topology is not None or Path(path).suffix.lower() in TRAJECTORIES + TOPOLOGIES


def parse_index(index: str | int | slice) -> slice | int:
    """ASE-style frame index (``":"``, ``-1``, ``"::10"``, ``"2:8"``) as a slice or an int."""
    if isinstance(index, (int, slice)):
        return index
    text = str(index).strip()
    if ":" not in text:
        try:
            return int(text)
        except ValueError:
            raise InputError(f"frame index {index!r}: give an int or a slice like '::10'") from None
    parts = text.split(":")
    if len(parts) > 3:
        raise InputError(f"frame index {index!r}: a slice has at most three parts")
    try:
        return slice(*(int(p) if p.strip() else None for p in parts))
    except ValueError:
        raise InputError(f"frame index {index!r}: slice parts must be ints") from None


def universe(
    path: str | os.PathLike, topology: str | None = None, format: str | None = None,
    atom_style: str | None = None,
):  # fmt: skip
    """The MDAnalysis Universe of a trajectory (with its topology) or of a single structure file.

    Raises:
        InputError: MDAnalysis missing, or the files unreadable (one line, with the cause).
    """
    logging.getLogger("MDAnalysis").setLevel(logging.ERROR)  # import notes, guessed attributes
    try:
        import MDAnalysis as mda
    except ImportError:  # pragma: no cover - a dependency
        raise InputError("reading MD formats needs MDAnalysis: pip install MDAnalysis") from None
    if topology is None and Path(path).suffix.lower() in TRAJECTORIES:
        raise InputError(
            f"{path}: a {Path(path).suffix} trajectory holds coordinates only; give its topology "
            "(--topology FILE: .gro, .tpr, .pdb, .psf or a LAMMPS data file)"
        )
    kwargs = {}
    if format is not None and format.startswith("mda:"):
        kwargs["format"] = format[4:].upper()
    if topology is not None and Path(topology).suffix.lower() in (".data", ".lmp"):
        # a LAMMPS data file as topology: its Atoms section's columns (atomic style by default)
        kwargs["atom_style"] = LAMMPS_STYLES.get(atom_style or "atomic", atom_style)
    args = [str(topology), str(path)] if topology is not None else [str(path)]
    try:
        with warnings.catch_warnings():  # missing masses, guessed elements: not our concern
            warnings.simplefilter("ignore")
            return mda.Universe(*args, **kwargs)
    except Exception as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        what = f"{path} with topology {topology}" if topology else f"{path}"
        hint = "" if topology else " (a trajectory needs its topology: --topology FILE)"
        raise InputError(f"{what}: MDAnalysis cannot read it{hint} ({detail})") from None


def type_numbers(atoms) -> np.ndarray:
    """(n,) integer species of an AtomGroup: LAMMPS-style numeric types as they are, else the
    elements' atomic numbers (given or guessed from names), else the types numbered 1, 2, ... in
    sorted order: the species a Frame carries (``substrate_types`` / ``liquid_types`` match the
    topology's own strings instead, see :func:`types_mask`)."""
    from ase.data import atomic_numbers

    try:
        types = np.asarray(atoms.types).astype(str)
    except Exception:  # a topology without types: the names stand for them
        types = np.asarray(atoms.names).astype(str)
    if all(t.strip().isdigit() for t in types):
        return types.astype(int)
    try:
        elements = np.asarray(atoms.elements).astype(str)
    except Exception:  # no elements attribute in this topology
        elements = None
    if elements is not None:
        numbers = [atomic_numbers.get(e.strip().capitalize(), 0) for e in elements]
        if all(numbers):
            return np.asarray(numbers, dtype=int)
    names = {t: i + 1 for i, t in enumerate(sorted(set(types)))}
    return np.array([names[t] for t in types], dtype=int)


def types_mask(atoms, types) -> np.ndarray:
    """(n,) atoms whose type or name is one of ``types`` (``[1]``, ``["OW"]``, ``["PT"]``)."""
    wanted = [str(t) for t in types]
    mask = np.zeros(len(atoms), dtype=bool)
    for attr in ("types", "names"):
        try:
            mask |= np.isin(np.asarray(getattr(atoms, attr)).astype(str), wanted)
        except Exception:  # the topology lacks this attribute
            continue
    return mask


def _mask(u, selection: str, what: str, source: str) -> np.ndarray:
    try:
        group = u.select_atoms(selection)
    except Exception as err:
        raise InputError(f"{source}: bad {what} selection {selection!r} ({err})") from None
    mask = np.zeros(len(u.atoms), dtype=bool)
    mask[group.indices] = True
    return mask


def iter_timesteps(
    path: str | os.PathLike,
    index: str | int | slice = ":",
    topology: str | None = None,
    format: str | None = None,
    substrate_select: str | None = None,
    liquid_select: str | None = None,
    units: str | None = None,
    atom_style: str | None = None,
    substrate_types=None,
    liquid_types=None,
) -> Iterator[tuple]:
    """Yield ``(atoms, chosen, source)`` per frame of an MD file, lazily: the frame as an
    ``ase.Atoms`` (species from :func:`type_numbers`, the periodic box, ``info["units"]``), the
    (substrate, liquid) masks the selection strings pick (None where not given), and the frame's
    name for messages. :func:`nucleate.data.io.iter_frames` turns them into Frames.

    Args:
        path: the trajectory (or a single structure file such as .gro or .pdb).
        index: which frames, ASE syntax.
        topology: the topology file (names, residues, types) when ``path`` holds coordinates only.
        format: ``mda`` or ``mda:<MDAnalysis format>`` (e.g. ``mda:LAMMPSDUMP``); None: by extension.
        substrate_select: MDAnalysis selection of the substrate atoms, evaluated on every frame.
        liquid_select: MDAnalysis selection of the liquid sites (``"name OW"`` for water).
        units: the unit system recorded (default ``metal``: Å and ps, MDAnalysis's own).
        atom_style: LAMMPS atom style of a data-file topology (default ``atomic``).
        substrate_types: types or atom names of the substrate (matched against the topology's
            own strings, e.g. ``PT``, or LAMMPS's numbers), instead of ``substrate_select``.
        liquid_types: the same for the liquid sites (``OW``), instead of ``liquid_select``.
    """
    from ase import Atoms
    from MDAnalysis.lib.mdamath import triclinic_vectors

    u = universe(path, topology, format, atom_style)
    numbers = type_numbers(u.atoms)
    index = parse_index(index)
    try:
        frames = [u.trajectory[index]] if isinstance(index, int) else u.trajectory[index]
    except IndexError:
        raise InputError(f"{path}: no frame {index} (the file has {len(u.trajectory)})") from None
    # types and names do not move: their masks are fixed; selection strings follow every frame
    fixed = [None if t is None else types_mask(u.atoms, t) for t in (substrate_types, liquid_types)]
    strings = ((substrate_select, "substrate"), (liquid_select, "liquid"))
    count = 0
    for ts in frames:
        source = f"{path}" if count == 0 else f"{path} frame {ts.frame}"
        if ts.dimensions is None or not np.all(np.asarray(ts.dimensions[:3]) > 0):
            raise InputError(f"{source}: no periodic box in the file (a slab needs one)")
        atoms = Atoms(
            numbers=numbers, positions=np.asarray(u.atoms.positions, dtype=float),
            cell=triclinic_vectors(ts.dimensions), pbc=(True, True, True),
        )  # fmt: skip
        atoms.info["units"] = units or UNITS
        with warnings.catch_warnings():  # a reader without a time step says so on every frame
            warnings.simplefilter("ignore")
            atoms.info["time"] = float(ts.time)
        chosen = tuple(
            mask if mask is not None else None if text is None else _mask(u, text, what, source)
            for mask, (text, what) in zip(fixed, strings, strict=True)
        )
        yield atoms, chosen, source
        count += 1
    if count == 0:
        raise InputError(f"{path}: no frames (index {index!r})")
