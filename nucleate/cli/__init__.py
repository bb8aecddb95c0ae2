"""The ``nucleate`` command: thin subcommands over importable functions.

Every subcommand parses its options with jsonargparse, so each also reads them from a YAML file
(``--config FILE``) and can print its full configuration (``--print_config``). Errors from bad input
come out as one line, ``nucleate: error: ...``, with exit status 2; nothing prints a traceback
unless ``NUCLEATE_DEBUG=1`` is set.

One module per subcommand (``nucleate.cli.<name>``: ``add_arguments(parser)`` and ``run(cfg)``);
the options that read frames are shared (:mod:`nucleate.cli.common`).
"""

from __future__ import annotations

import atexit
import gc
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from nucleate import __version__
from nucleate.errors import NucleateError

log = logging.getLogger("nucleate")

#: every subcommand, in the order of the pipeline, with its one-line help
SUBCOMMANDS: dict[str, str] = {
    "generate": "make labelled data with LAMMPS (equilibrium frames, cooling ramps, propensity)",
    "featurize": "turn interfaces into density images, atomic graphs and descriptors",
    "train": "train a CNN or GNN model from a YAML config",
    "select": "select descriptors by correlation clustering and fit descriptor models",
    "predict": "predict the nucleation temperature of a new substrate or trajectory",
    "report": "build an HTML dashboard comparing training runs",
    "quickstart": "train, predict and report on the bundled lj-fcc data set in one go",
    "inspect": "read a trajectory, find the substrate surface and the interfacial liquid layers",
}


#: subcommand -> its module (``add_arguments``, ``run``), imported when the subcommand runs: the
#: modules of all subcommands together import half the scientific stack, twice what one prediction
#: needs
COMMANDS = {name: f"nucleate.cli.{name}" for name in SUBCOMMANDS}


def command(name: str):
    """The module of a subcommand."""
    return importlib.import_module(COMMANDS[name])


def build_parser(only: str | None = None):
    """The ``nucleate`` parser; with ``only``, the parser of that one subcommand alone (building
    every subcommand's options costs more than a short prediction)."""
    from jsonargparse import ActionConfigFile, ArgumentParser

    parser = ArgumentParser(
        prog="nucleate",
        description="Predict how well a substrate makes a liquid crystallise, from the structure "
        "and dynamics of the liquid in contact with it.",
        env_prefix="NUCLEATE",
        default_env=False,
    )
    parser.add_argument("--version", action="version", version=f"nucleate {__version__}")
    subcommands = parser.add_subcommands(dest="command", required=True)
    for name, text in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        sub = ArgumentParser(description=text)
        sub.add_argument("-c", "--config", action=ActionConfigFile, help="options from YAML")
        command(name).add_arguments(sub)
        subcommands.add_subcommand(name, sub, help=text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 2 error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
        cfg = parser.instantiate(parser.parse_args(argv))  # builds the dataclasses of configs
        command(cfg.command).run(cfg[cfg.command])
        return 0
    except NucleateError as err:
        if os.environ.get("NUCLEATE_DEBUG"):
            raise
        print(f"nucleate: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line, and how to go on where that is possible
        if os.environ.get("NUCLEATE_DEBUG"):
            raise
        hint = RESUME_HINTS.get(argv[0]) if argv else None
        print("nucleate: interrupted" + (f"; {hint}" if hint else ""), file=sys.stderr)
        return 130


#: what an interrupted command keeps, and how to go on from it
RESUME_HINTS = {
    "generate": "run the same command again to go on (finished samples are kept)",
    "train": "run the same command with --resume true to go on (finished fits are kept)",
}


def run(argv: Sequence[str] | None = None) -> int:
    """The ``nucleate`` program: :func:`main`; then the garbage it left is collected (its
    finalizers run as they would at exit) and every live object is moved out of the collector's
    reach (``gc.freeze``), so that the interpreter's exit does not walk them again and again while
    it tears the modules down (after a prediction, with torch imported, a noticeable share of the
    whole run). Only for a process that ends next; code calling :func:`main` in a long-lived
    process keeps its collector as it was. For the short commands of :data:`BRIEF` the full
    collections are put off until then.

    Frozen objects are not freed at exit (the operating system takes the memory back), which
    extensions built with nanobind (freud) report as leaks on stderr after the interpreter has
    finished; :func:`_quiet_teardown`, registered first so that it runs after every other exit
    handler, closes stderr for that last stretch."""
    atexit.register(_quiet_teardown)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in BRIEF:
        gc.set_threshold(*gc.get_threshold()[:2], FULL_PASSES_PUT_OFF)
    code = main(argv)
    gc.collect()
    gc.freeze()
    return code


#: commands that end soon after their imports, or whose longer work (featurizing a data set, the
#: MD of a substrate to predict) makes no long-lived reference cycles: the collector's full
#: passes, each walking every object the imports made (torch's, matplotlib's), are put off
#: until the end of the command; the young generations are still collected as always.
#: Training, selection and simulation campaigns run for hours and keep the collector as it is.
BRIEF = ("predict", "inspect", "featurize", "report")
#: the third threshold of ``gc.set_threshold`` for them: never reached in a command's life
FULL_PASSES_PUT_OFF = 10**9


def _quiet_teardown() -> None:
    """After a frozen exit (and unless ``NUCLEATE_DEBUG`` is set): stderr to /dev/null for the
    interpreter's teardown, after every exit handler registered after it has had its say."""
    if not gc.get_freeze_count() or os.environ.get("NUCLEATE_DEBUG"):
        return
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


if __name__ == "__main__":
    sys.exit(run())
