"""The neighbour and order-parameter libraries, imported without the extras they load eagerly.

vesin imports torch (and cupy) whenever they are installed, to accept their tensors; freud imports
matplotlib's pyplot, for its ``plot`` methods. nucleate hands both numpy arrays only and never
plots through freud, yet a descriptor prediction paid about 1 s for torch and 0.2 s for pyplot
(``python -X importtime``), most of ``nucleate predict``'s time. Here they are imported once with
those extras looking absent, unless the process has loaded them already (then importing them again
costs nothing). The libraries themselves treat the extras as optional: vesin falls back to numpy,
freud's ``plot`` methods say that matplotlib is missing.

Every use of vesin and freud in nucleate goes through :func:`vesin` and :func:`freud`. A program
that also hands vesin torch tensors, or plots with freud, should import them itself before
nucleate first needs them (they are then imported as usual).
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from types import ModuleType

_LOCK = threading.Lock()


def import_without(name: str, optional: tuple[str, ...]) -> ModuleType:
    """``import name`` while the top-level modules ``optional`` look uninstalled (an ``import`` of
    them raises ImportError, ``find_spec`` finds nothing), unless they are loaded already. They are
    importable again afterwards. The hiding holds only during this import; one thread at a time
    imports through here (another thread importing an ``optional`` module at that moment would
    see it absent)."""
    if name in sys.modules:
        return sys.modules[name]
    with _LOCK:
        if name in sys.modules:
            return sys.modules[name]
        hidden = [m for m in optional if m not in sys.modules]
        for m in hidden:
            sys.modules[m] = None  # the import system's "not installed"
        try:
            return importlib.import_module(name)
        finally:
            for m in hidden:
                if sys.modules.get(m, ...) is None:
                    del sys.modules[m]


def vesin() -> ModuleType:
    """The ``vesin`` module, imported without torch and cupy when they are not loaded yet."""
    return import_without("vesin", ("torch", "cupy"))


def freud() -> ModuleType:
    """The ``freud`` module, imported without matplotlib when it is not loaded yet. (freud logs
    which FFT it found, at INFO, when it is imported: not a line for nucleate's users.)"""
    if "freud" not in sys.modules:  # (called per frame: the logger is set once, before import)
        logging.getLogger("freud.msd").setLevel(logging.WARNING)
    return import_without("freud", ("matplotlib",))


def neighbor_list(cutoff: float):
    """A full vesin ``NeighborList`` (both directions of every pair) with this cutoff."""
    return vesin().NeighborList(cutoff=cutoff, full_list=True)
