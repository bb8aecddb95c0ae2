"""A fast path for the extended-XYZ files nucleate writes, giving the same ``ase.Atoms`` as ASE.

Why not ASE alone: importing ``ase.io`` imports scipy.integrate (through ``ase.dft``), 0.3 s of
the ~2.5 s a one-trajectory ``nucleate predict`` takes, and ASE parses atom lines one value at a
time. This module reads the subset nucleate writes (a ``Lattice``, ``Properties`` of species,
positions and plain per-atom arrays, ``pbc``, and info values that are single numbers or words)
with numpy, and raises :class:`Unsupported` for anything else — extra ASE semantics (forces,
energies, velocities, constraints, quoted or boolean info values, JSON) or a malformed file — so
that the caller reads the file with ASE instead (and reports ASE's error for a broken one). A test
checks that both give identical Atoms on the bundled data sets.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

#: compression suffixes the reader opens (as ASE does)
COMPRESSED = (".gz", ".bz2", ".xz")

# per-atom names and info keys that ASE maps to something other than a plain array or value
# (positions, symbols, calculator results, momenta, constraints, charges, magnetic moments)
_ASE_ATOM_NAMES = {
    "pos", "positions", "species", "symbols", "Z", "numbers", "velo", "momenta", "masses",
    "tags", "move_mask", "forces", "energies", "charges", "initial_charges", "magmoms",
    "initial_magmoms", "stresses", "dipole", "born_effective_charges",
}  # fmt: skip
_ASE_INFO_KEYS = {
    "energy", "free_energy", "forces", "stress", "stresses", "virial", "dipole", "charges",
    "magmom", "magmoms", "energies", "dielectric_tensor", "born_effective_charges",
    "polarization", "uid", "comment",
}  # fmt: skip
_BOOLS = {"T": True, "F": False, "True": True, "False": False}
_INFO_BOOL_WORDS = {"T", "F", "true", "false", "True", "False", "TRUE", "FALSE"}
_KEY_VALUE = re.compile(r'\s*([A-Za-z_][\w-]*)=(?:"([^"\\]*)"|([^\s"\'{}\[\]\\=,]+))')
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][\w.+-]*")
_NAME = re.compile(r"[A-Za-z_]\w*")


class Unsupported(Exception):
    """The text is outside the subset read here (or malformed): read it with ASE."""


def named(path: Path) -> bool:
    """Whether the file's name says extended XYZ (``.extxyz``, possibly compressed)."""
    name = path.name
    for suffix in COMPRESSED:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name.endswith(".extxyz")


def read(text: str, index=":") -> list:
    """The frames ``index`` selects (ASE's syntax: ``":"``, ``-1``, ``"::10"``, an int or a
    slice) as ``ase.Atoms``, as ``ase.io.read(..., format="extxyz")`` would give them.

    Raises:
        Unsupported: anything outside the subset (see the module's docstring) or malformed.
    """
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    starts = []
    i = 0
    while i < len(lines):
        try:
            n = int(lines[i])
        except ValueError:
            raise Unsupported(f"line {i + 1}: not an atom count") from None
        if n < 0 or i + 2 + n > len(lines):
            raise Unsupported(f"line {i + 1}: frame cut short")
        starts.append((i, n))
        i += 2 + n
    chosen = _select(len(starts), index)
    return [_frame(lines, *starts[k]) for k in chosen]


def _select(n_frames: int, index) -> list[int]:
    if isinstance(index, str):
        parts = index.split(":")
        try:
            values = [int(p) if p.strip() else None for p in parts]
        except ValueError:
            raise Unsupported(f"index {index!r}") from None
        if len(parts) == 1:
            index = values[0]
        elif len(parts) <= 3:
            index = slice(*values)
        else:
            raise Unsupported(f"index {index!r}")
    frames = range(n_frames)
    if isinstance(index, slice):
        return list(frames[index])
    if isinstance(index, (int, np.integer)) and -n_frames <= int(index) < n_frames:
        return [frames[int(index)]]
    raise Unsupported(f"index {index!r}")


def _header(line: str) -> dict[str, str]:
    """key -> raw value of the comment line; only ``key=value`` and ``key="value"`` pairs."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(line.rstrip()):
        m = _KEY_VALUE.match(line, pos)
        if m is None or m.group(1) in out:
            raise Unsupported(f"comment line at {pos}: {line[pos : pos + 30]!r}")
        quoted, plain = m.group(2), m.group(3)
        out[m.group(1)] = quoted if quoted is not None else plain
        if quoted is not None and m.group(1) not in ("Lattice", "Properties", "pbc"):
            raise Unsupported(f"quoted value of {m.group(1)}")
        pos = m.end()
    return out


def _info_value(key: str, raw: str):
    """The value ASE's ``key_val_str_to_dict`` makes of a single number or word."""
    if key in _ASE_INFO_KEYS:
        raise Unsupported(f"info key {key}")
    try:
        if _INT.fullmatch(raw):
            return np.array([raw], dtype=int)[0]
        if _FLOAT.fullmatch(raw):
            return np.array([raw], dtype=float)[0]
    except (ValueError, OverflowError):  # e.g. an integer beyond int64: ASE makes it a float
        raise Unsupported(f"info value {key}={raw!r}") from None
    if _WORD.fullmatch(raw) and raw not in _INFO_BOOL_WORDS:
        return raw
    raise Unsupported(f"info value {key}={raw!r}")


def _properties(spec: str) -> list[tuple[str, str, int]]:
    fields = spec.split(":")
    if len(fields) % 3 or len(fields) < 6:
        raise Unsupported(f"Properties {spec!r}")
    props = []
    for name, kind, cols in zip(fields[::3], fields[1::3], fields[2::3], strict=True):
        if not cols.isdigit() or int(cols) < 1 or not _NAME.fullmatch(name):
            raise Unsupported(f"property {name}:{kind}:{cols}")
        props.append((name, kind, int(cols)))
    if props[0] != ("species", "S", 1) or props[1] != ("pos", "R", 3):
        raise Unsupported("Properties must start with species:S:1:pos:R:3")
    for name, kind, _ in props[2:]:
        if kind not in ("R", "I", "L") or name in _ASE_ATOM_NAMES:
            raise Unsupported(f"property {name}:{kind}")
    return props


def _frame(lines: list[str], start: int, n: int):
    from ase import Atoms
    from ase.data import atomic_numbers

    header = _header(lines[start + 1])
    if "Lattice" not in header or "Properties" not in header:
        raise Unsupported("no Lattice or Properties")
    try:
        lattice = np.array(header.pop("Lattice").split(), dtype=float)
    except ValueError:
        raise Unsupported("Lattice") from None
    if lattice.shape != (9,):
        raise Unsupported("Lattice")
    cell = lattice.reshape(3, 3)  # extxyz lists the cell vectors one after the other
    props = _properties(header.pop("Properties"))
    pbc = [True, True, True]
    if "pbc" in header:
        words = header.pop("pbc").split()
        if len(words) != 3 or any(w not in _BOOLS for w in words):
            raise Unsupported("pbc")
        pbc = [_BOOLS[w] for w in words]
    info = {key: _info_value(key, raw) for key, raw in header.items()}

    width = sum(cols for _, _, cols in props)
    tokens = " ".join(lines[start + 2 : start + 2 + n]).split()
    if len(tokens) != n * width:
        raise Unsupported(f"line {start + 3}: atom lines do not have {width} values each")
    columns = [tokens[k::width] for k in range(width)]  # a list of strings per column
    try:
        table = {s: atomic_numbers[s.capitalize()] for s in set(columns[0])}
        numbers = np.array([table[s] for s in columns[0]], dtype=int)
        positions = np.array(columns[1:4], dtype=float).T
    except (KeyError, ValueError):
        raise Unsupported("species or positions") from None
    atoms = Atoms(numbers=numbers, positions=positions, cell=cell, pbc=pbc, info=info)
    col = 4
    for name, kind, cols in props[2:]:
        block = columns[col : col + cols]
        col += cols
        try:
            if kind == "L":
                words = set().union(*map(set, block))
                if not words <= _BOOLS.keys():
                    raise ValueError(name)
                values = np.array([[_BOOLS[w] for w in c] for c in block], dtype=bool).T
            else:
                values = np.array(block, dtype=float if kind == "R" else np.intc).T  # ASE: "d", "i"
        except ValueError:
            raise Unsupported(f"values of {name}") from None
        atoms.new_array(name, values[:, 0].copy() if cols == 1 else values)
    return atoms
