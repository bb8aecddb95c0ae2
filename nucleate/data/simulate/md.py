"""Liquid-on-substrate simulations in LAMMPS: the interface set-up and the protocols.

Each protocol is a plain function over a running LAMMPS instance (see
:func:`nucleate.data.simulate.start_lammps`). The interaction model comes from :class:`Potential`, so
the same protocols run an LJ liquid (the default), mW water (``pair_style sw``) or an EAM metal:
only the pair style, its coefficients and the masses change. Type 1 is the substrate, type 2 the
liquid, type 3 (when a slab has one) a second substrate component. The substrate is held rigid
from the very first command (its forces are zeroed during energy minimisation and it is never
integrated): a substrate left free during minimisation is scrambled before the MD starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nucleate.data.labels import RampTrace, crossing_temperature
from nucleate.errors import InputError
from nucleate.frame import Frame
from nucleate.structure.crystallinity import Crystallinity, polymorph_fractions


@dataclass(frozen=True)
class Potential:
    """Interactions, in LAMMPS syntax. ``pair_coeffs`` may use ``{eps_sl}`` and ``{sigma_sl}``,
    filled from each substrate's parameters.

    The default is the lj-fcc model: LJ liquid (ε = σ = 1), cut at 2.5σ and shifted; no
    substrate–substrate interaction (the substrate is rigid); substrate–liquid LJ with ε_sl, σ_sl.
    """

    units: str = "lj"
    pair_style: str = "lj/cut 2.5"
    pair_coeffs: tuple[str, ...] = ("1 1 0.0 1.0", "1 2 {eps_sl} {sigma_sl}", "2 2 1.0 1.0")
    pair_modify: str = "shift yes"
    masses: tuple[float, float] = (1.0, 1.0)
    timestep: float = 0.005
    neighbor: str = "0.3 bin"
    #: pair coefficients of a second substrate component (type 3; two-component surfaces), with
    #: ``{eps_sl2}``; used only when the slab has one
    second_coeffs: tuple[str, ...] = ("1 3 0.0 1.0", "2 3 {eps_sl2} {sigma_sl}", "3 3 0.0 1.0")

    def check(self, lmp) -> None:
        """Raise :class:`InputError` if this LAMMPS build lacks the pair style."""
        style = self.pair_style.split()[0]
        if not lmp.has_style("pair", style):
            raise InputError(f"this LAMMPS build has no pair style {style!r}")
        if self.units not in ("lj", "real", "metal"):
            raise InputError(f"unknown LAMMPS units {self.units!r}")
        if not self.timestep > 0:
            raise InputError("timestep must be positive")

    def coeff_commands(
        self, eps_sl: float, sigma_sl: float = 1.0, eps_sl2: float | None = None
    ) -> list[str]:
        """``pair_coeff`` commands; with ``eps_sl2`` also those of the second component."""
        coeffs = list(self.pair_coeffs)
        if eps_sl2 is not None:
            coeffs += self.second_coeffs
        values = {"eps_sl": eps_sl, "sigma_sl": sigma_sl, "eps_sl2": eps_sl2}
        return ["pair_coeff " + c.format(**values) for c in coeffs]


def build_interface(
    slab, n_liquid: int, density: float = 0.75, gap: float = 1.0, seed: int = 0
) -> tuple[object, float]:
    """Place a liquid film of ``n_liquid`` atoms on a substrate slab.

    Liquid atoms start on a simple cubic lattice at ``density`` (no overlaps), from ``gap`` above
    the top substrate atom; the cell gets vacuum above the film (three film heights).

    Returns:
        ``(atoms, wall)``: ``ase.Atoms`` with type 1 = substrate (3 = its second component, where
        the slab has atomic number 3), 2 = liquid, pbc (T, T, F); and the
        height of the reflecting wall (the top of the cell).
    """
    from ase import Atoms

    if n_liquid < 1:
        raise InputError(f"the liquid needs atoms, not {n_liquid}")
    cell = slab.cell.array
    area = float(np.linalg.norm(np.cross(cell[0], cell[1])))
    spacing = density ** (-1 / 3)
    top = float(slab.positions[:, 2].max())
    lateral = np.linalg.norm(cell[:2, :2], axis=1)
    na, nb = (np.maximum(1, np.floor(lateral / spacing))).astype(int)
    per_layer = na * nb
    n_layers = int(np.ceil(n_liquid / per_layer))
    ua, ub, uz = np.meshgrid(
        (np.arange(na) + 0.5) / na, (np.arange(nb) + 0.5) / nb, np.arange(n_layers), indexing="ij"
    )
    sites = ua.reshape(-1, 1) * cell[0] + ub.reshape(-1, 1) * cell[1]
    sites[:, 2] = top + gap + uz.reshape(-1) * spacing
    order = np.lexsort((np.random.default_rng(seed).random(len(sites)), sites[:, 2]))
    liquid = sites[order[:n_liquid]]
    film = n_liquid / (area * density)
    height = top + gap + max(film, n_layers * spacing) * 3.0 + 2.0
    atoms = Atoms(
        numbers=[*np.where(slab.numbers == 3, 3, 1), *([2] * n_liquid)],
        positions=np.concatenate([slab.positions, liquid]),
        cell=[cell[0], cell[1], [0.0, 0.0, height]],
        pbc=(True, True, False),
    )
    atoms.info["substrate_top"] = top
    return atoms, height


def load_interface(
    lmp, atoms, potential: Potential, eps_sl: float, sigma_sl: float = 1.0,
    eps_sl2: float | None = None,
) -> None:  # fmt: skip
    """Create the LAMMPS system from an interface (see :func:`build_interface`) and hold the
    substrate. Defines groups ``substrate`` and ``liquid`` and the compute ``tliq``. Atoms of type 3
    are a second substrate component, interacting with the liquid with ``eps_sl2``."""
    second = bool(np.any(np.asarray(atoms.numbers) == 3))
    if second and eps_sl2 is None:
        raise InputError("the slab has a second component (type 3): give its eps_sl2")
    if not second:
        eps_sl2 = None
    cell = atoms.cell.array
    if abs(cell[0, 1]) > 1e-9 or abs(cell[0, 2]) > 1e-9 or abs(cell[1, 2]) > 1e-9:
        raise InputError("the cell's first vector must lie along x and the second in the xy plane")
    zlo = min(-1.0, float(atoms.positions[:, 2].min()) - 1.0)
    potential.check(lmp)
    lmp.commands_string(
        f"""
        units {potential.units}
        atom_style atomic
        atom_modify map array sort 0 0
        boundary p p f
        region box prism 0 {cell[0, 0]:.10g} 0 {cell[1, 1]:.10g} {zlo:.10g} {cell[2, 2]:.10g} {cell[1, 0]:.10g} 0 0
        create_box {3 if second else 2} box
        """
    )
    n = len(atoms)
    lmp.create_atoms(
        n, list(range(1, n + 1)), [int(t) for t in atoms.numbers], atoms.positions.ravel().tolist()
    )
    if lmp.get_natoms() != n:
        raise InputError(f"LAMMPS kept {lmp.get_natoms()} of {n} atoms: some lie outside the box")
    commands = [
        f"mass 1 {potential.masses[0]}",
        f"mass 2 {potential.masses[1]}",
        *([f"mass 3 {potential.masses[0]}"] if second else []),
        f"pair_style {potential.pair_style}",
        *potential.coeff_commands(eps_sl, sigma_sl, eps_sl2),
    ]
    if potential.pair_modify:
        commands.append(f"pair_modify {potential.pair_modify}")
    commands += [
        f"neighbor {potential.neighbor}",
        "neigh_modify every 1 delay 0 check yes exclude type 1 1",
        *(["neigh_modify exclude type 1 3", "neigh_modify exclude type 3 3"] if second else []),
        f"group substrate type {'1 3' if second else '1'}",
        "group liquid type 2",
        # hold the substrate from the first command on: the minimiser moves every free atom
        "fix hold substrate setforce 0.0 0.0 0.0",
        "velocity substrate set 0.0 0.0 0.0",
        # walls at both ends of z: a liquid atom that finds its way through a rough or holed slab
        # (fcc111-disordered at large sigma) stays in the box instead of being lost
        "fix wall liquid wall/reflect zlo EDGE zhi EDGE",
        f"timestep {potential.timestep}",
        "compute tliq liquid temp",
        "thermo_modify temp tliq lost ignore",
        "thermo 1000",
    ]
    lmp.commands_string("\n".join(commands))


def minimise(lmp) -> None:
    """Remove overlaps by energy minimisation of the liquid (the substrate stays held)."""
    lmp.command("minimize 1.0e-4 1.0e-6 2000 20000")


def snapshot(lmp, units: str, info: dict | None = None) -> Frame:
    """The current configuration as a :class:`Frame` (atoms in id order; substrate = type 1)."""
    n = lmp.get_natoms()
    ids = np.array(lmp.numpy.extract_atom("id")[:n])
    order = np.argsort(ids)
    x = np.array(lmp.numpy.extract_atom("x")[:n])[order]
    types = np.array(lmp.numpy.extract_atom("type")[:n])[order]
    lo, hi, xy, _yz, _xz, _periodic, _changed = lmp.extract_box()
    cell = np.array([[hi[0] - lo[0], 0, 0], [xy, hi[1] - lo[1], 0], [0, 0, hi[2] - lo[2]]])
    x = x - np.array([lo[0], lo[1], 0.0])
    return Frame(
        positions=x,
        types=types,
        cell=cell,
        pbc=(True, True, False),
        substrate=types != 2,
        units=units,
        info={"step": int(lmp.extract_global("ntimestep")), **(info or {})},
    )


def thermalise(lmp, temperature: float, steps: int, seed: int, damp: float = 1.0) -> None:
    """Fresh Maxwell–Boltzmann velocities at ``temperature`` and a Langevin run of ``steps``."""
    lmp.commands_string(
        f"""
        velocity liquid create {temperature:.10g} {seed} dist gaussian mom yes rot no
        fix lang liquid langevin {temperature:.10g} {temperature:.10g} {damp:.10g} {seed} zero yes
        fix nve liquid nve
        run {steps}
        unfix lang
        unfix nve
        """
    )


def equilibrium(
    lmp,
    units: str,
    t_melt: float,
    t_eq: float,
    melt_steps: int,
    eq_steps: int,
    n_frames: int,
    every: int,
    seed: int,
    damp: float = 1.0,
) -> list[Frame]:
    """Minimise, melt at ``t_melt``, equilibrate at ``t_eq`` and sample ``n_frames`` frames every
    ``every`` steps (Langevin thermostat on the liquid; NVE integration)."""
    minimise(lmp)
    thermalise(lmp, t_melt, melt_steps, seed, damp)
    thermalise(lmp, t_eq, eq_steps, seed + 1, damp)
    frames = []
    lmp.commands_string(
        f"""
        fix lang liquid langevin {t_eq:.10g} {t_eq:.10g} {damp:.10g} {seed + 2} zero yes
        fix nve liquid nve
        """
    )
    for k in range(n_frames):
        lmp.command(f"run {every}")
        frames.append(snapshot(lmp, units, {"temperature": t_eq, "frame": k}))
    lmp.commands_string("unfix lang\nunfix nve")
    return frames


@dataclass
class RampResult:
    """One cooling ramp: T_n (None when censored), the polymorph make-up of the grown crystal and
    the trace of checks."""

    tn: float | None
    censored: bool
    polymorph: dict[str, float]
    trace: RampTrace = field(default_factory=RampTrace)
    seed: int = 0
    steps: int = 0
    final: Frame | None = None
    crystal: np.ndarray | None = None  # (n_atoms,) bool: the grown cluster in ``final``


def cooling_ramp(
    lmp,
    *,
    units: str,
    t_start: float,
    t_floor: float,
    rate: float,
    seed: int,
    substrate_top: float,
    contact_height: float,
    threshold: float = 0.1,
    check_every: int = 500,
    stop_factor: float = 2.0,
    stop_below: float = 0.03,
    crystallinity: Crystallinity | None = None,
    damp: float = 1.0,
    timestep: float = 0.005,
    progress: Callable[[float], None] | None = None,
) -> RampResult:
    """Cool the liquid linearly from ``t_start`` to ``t_floor`` at ``rate`` (temperature per time
    unit) and find the nucleation temperature.

    Every ``check_every`` steps the liquid's crystal-like atoms and clusters are found by the ten
    Wolde criterion. The crystal that counts is the cluster with most atoms *beyond the contact
    layers* (higher than ``contact_height`` above the substrate surface at ``substrate_top``), so
    contact layers that are ordered already at ``t_start`` do not count as nucleation. T_n is the
    thermostat temperature at which that count first reaches ``threshold`` × the liquid atoms
    beyond the contact layers (linear interpolation between checks). The run stops when the count
    reaches ``stop_factor`` × that threshold or the temperature has fallen ``stop_below`` under T_n;
    a ramp that reaches the floor without crossing is censored (``tn`` is None).
    """
    if not t_floor < t_start:
        raise InputError(f"the ramp floor {t_floor} must lie below its start {t_start}")
    crystallinity = crystallinity or Crystallinity()
    total = round((t_start - t_floor) / rate / timestep)
    total = max(check_every, total - total % check_every)
    lmp.commands_string(
        f"""
        velocity liquid create {t_start:.10g} {seed} dist gaussian mom yes rot no
        fix lang liquid langevin {t_start:.10g} {t_floor:.10g} {damp:.10g} {seed} zero yes
        fix nve liquid nve
        """
    )
    lmp.command("reset_timestep 0")
    trace = RampTrace()
    n_liquid_beyond = None
    tn = None
    best_cluster = None
    frame = None
    step = 0
    while step < total:
        pre = "yes" if step == 0 else "no"  # the first chunk sets up the new fixes
        lmp.command(f"run {check_every} start 0 stop {total} pre {pre} post no")
        step += check_every
        t_now = t_start + (t_floor - t_start) * step / total
        frame = snapshot(lmp, units)
        liq = frame.liquid
        pos = frame.positions[liq]
        height = pos[:, 2] - substrate_top
        beyond = height > contact_height
        if n_liquid_beyond is None:
            n_liquid_beyond = max(int(beyond.sum()), 1)
        solid, cluster = crystallinity(pos, frame.cell, frame.pbc)
        counts = np.bincount(cluster[beyond & (cluster >= 0)], minlength=1)
        n_beyond = int(counts.max())
        trace.append(t_now, lmp.get_thermo("temp"), int(solid.sum()), n_beyond)
        if progress is not None:
            progress(t_now)
        need = threshold * n_liquid_beyond
        if tn is None and n_beyond >= need:
            tn = crossing_temperature(trace.temperature, trace.n_cluster_beyond, need)
        if tn is not None:
            best_cluster = (cluster == int(np.argmax(counts))) & (cluster >= 0)
            if n_beyond >= stop_factor * need or t_now <= tn - stop_below:
                break
    lmp.commands_string("unfix lang\nunfix nve")
    polymorph = {}
    if tn is not None and frame is not None and best_cluster is not None:
        liq = frame.liquid
        polymorph = polymorph_fractions(frame.positions[liq], frame.cell, frame.pbc, best_cluster)
    crystal = None
    if best_cluster is not None and frame is not None:
        crystal = np.zeros(frame.n_atoms, dtype=bool)
        crystal[np.flatnonzero(frame.liquid)[best_cluster]] = True
    return RampResult(tn, tn is None, polymorph, trace, seed, step, frame, crystal)


def isoconfigurational(
    lmp, temperature: float, steps: list[int], n_replicas: int, seed: int
) -> np.ndarray:
    """An isoconfigurational ensemble from the current configuration: ``n_replicas`` NVE runs of
    the liquid (the substrate stays held), each from the same positions with fresh
    Maxwell–Boltzmann velocities at ``temperature``. Returns the unwrapped displacements,
    shape (replicas, len(steps), atoms, 3), at the cumulative step counts ``steps`` (increasing),
    atoms in id order; the configuration is restored afterwards."""
    steps = [int(s) for s in steps]
    if not steps or any(b <= a for a, b in zip([0, *steps], steps, strict=False)):
        raise InputError(f"steps must be positive and increasing, not {steps}")
    if n_replicas < 1:
        raise InputError(f"n_replicas must be positive, not {n_replicas}")
    n = lmp.get_natoms()
    x0 = np.array(lmp.numpy.extract_atom("x")[:n]).copy()
    v0 = np.array(lmp.numpy.extract_atom("v")[:n]).copy()
    order = np.argsort(np.array(lmp.numpy.extract_atom("id")[:n]))
    lmp.commands_string("compute nucleate_xu all property/atom xu yu zu\nfix nve liquid nve")
    out = np.empty((n_replicas, len(steps), n, 3))
    try:
        for r in range(n_replicas):
            lmp.numpy.extract_atom("x")[:n] = x0
            lmp.commands_string(
                f"set atom * image 0 0 0\n"
                f"velocity liquid create {temperature:.10g} {seed + r} dist gaussian mom yes rot no"
            )
            done = 0
            for k, s in enumerate(steps):
                lmp.command(f"run {s - done}")
                done = s
                xu = np.array(lmp.numpy.extract_compute("nucleate_xu", 1, 2)[:n])
                out[r, k] = (xu - x0)[order]
    finally:
        lmp.commands_string("unfix nve\nuncompute nucleate_xu\nset atom * image 0 0 0")
        lmp.numpy.extract_atom("x")[:n] = x0
        lmp.numpy.extract_atom("v")[:n] = v0
    return out
