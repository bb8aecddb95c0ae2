"""Reference phases simulated with LAMMPS: bulk liquid, fcc, hcp and bcc of the LJ model at a
temperature, and their averaged bond order (the scale of the pre-ordered liquid descriptors,
:mod:`nucleate.featurize.precursors`)."""

from __future__ import annotations

import numpy as np

from nucleate.data.simulate import start_lammps
from nucleate.structure.order import steinhardt

PHASES = ("liquid", "fcc", "hcp", "bcc")


def reference_lattice(name: str, a0: float):
    """A bulk crystal (``fcc``, ``hcp``, ``bcc``) of the liquid's own density, as ASE Atoms: fcc of
    lattice constant ``a0``, hcp of the same nearest-neighbour distance, bcc of the fcc density."""
    from ase.build import bulk

    d = a0 / np.sqrt(2.0)
    if name == "hcp":
        return bulk("Ar", "hcp", a=d, c=d * np.sqrt(8 / 3), orthorhombic=True).repeat((6, 4, 4))
    if name == "bcc":  # same number density as fcc
        return bulk("Ar", "bcc", a=a0 / 2 ** (1 / 3), cubic=True).repeat(7)
    return bulk("Ar", "fcc", a=a0, cubic=True).repeat(6)


def reference_clouds(
    temperature: float,
    a0: float = 1.617,
    steps: int = 2000,
    n_frames: int = 5,
    every: int = 100,
    seed: int = 1,
    pair: str = "lj/cut 2.5",
    melt_temperature: float = 1.5,
) -> dict[str, np.ndarray]:
    """(q̄4, q̄6) of every atom of bulk liquid, fcc, hcp and bcc at ``temperature`` (LJ units, one
    species), ``n_frames`` frames each after ``steps``: the crystals with Langevin NVT at the fcc
    density of lattice constant ``a0``, the liquid (melted at ``melt_temperature`` first) at zero
    pressure. Crystals above
    their melting point are superheated: keep ``steps`` short. Returns name -> (m, 2)."""
    out = {}
    for name in PHASES:
        atoms = reference_lattice("fcc" if name == "liquid" else name, a0)
        n = len(atoms)
        cell = atoms.cell.array
        lmp = start_lammps()
        try:
            lmp.commands_string(
                "units lj\natom_style atomic\natom_modify map array\n"
                f"region b prism 0 {cell[0, 0]} 0 {cell[1, 1]} 0 {cell[2, 2]} 0 0 0\n"
                "create_box 1 b"
            )
            lmp.create_atoms(n, list(range(1, n + 1)), [1] * n, atoms.positions.ravel().tolist())
            lmp.commands_string(
                f"mass 1 1\npair_style {pair}\npair_coeff 1 1 1 1\npair_modify shift yes\n"
                "neighbor 0.3 bin\nfix nve all nve\n"
            )
            if name == "liquid":
                lmp.commands_string(
                    f"velocity all create {melt_temperature} {seed}\n"
                    f"fix l all langevin {melt_temperature} {melt_temperature} 0.5 {seed}\n"
                    f"run {steps}\nunfix l"
                )
            if name == "liquid":  # at zero pressure, as the film's liquid
                lmp.commands_string(
                    f"unfix nve\nvelocity all create {temperature} {seed + 1}\n"
                    f"fix l all npt temp {temperature} {temperature} 0.5 iso 0 0 5\nrun {steps}"
                )
            else:
                lmp.commands_string(
                    f"velocity all create {temperature} {seed + 1}\n"
                    f"fix l all langevin {temperature} {temperature} 0.5 {seed + 1}\nrun {steps}"
                )
            qs = []
            for _ in range(n_frames):
                lmp.command(f"run {every}")
                x = np.array(lmp.numpy.extract_atom("x")[:n])
                lo, hi, *_ = lmp.extract_box()
                box = np.diag(np.array(hi) - np.array(lo))
                x = x - np.array(lo)
                qs.append(steinhardt(x, box, True, (4, 6), average=True, num_neighbors=12))
        finally:
            lmp.close()
        out[name] = np.concatenate(qs)
    return out
