"""Simulations with LAMMPS: the engine wrapper here, protocols beside it."""

from nucleate.data.simulate.engine import LammpsUnavailable, import_lammps, start_lammps

__all__ = ["LammpsUnavailable", "import_lammps", "start_lammps"]
