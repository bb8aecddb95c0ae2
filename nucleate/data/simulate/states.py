"""Structural states of a configuration, made with its own potential in LAMMPS: the
*inherent state*, the local energy minimum the configuration reaches by steepest descent (the
structure with its vibrations removed). Structure read from the inherent state predicts the
dynamical propensity of glass formers better than the instantaneous one (Schrøder et al. 2000;
Boattini et al., PRL 127, 088007, 2021; Jung et al. 2023).

Results are cached by content (positions, types, box, potential, tolerances) under the cache folder
(``NUCLEATE_CACHE``, default ``~/.cache/nucleate``), so a configuration is minimised once.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from nucleate.data.simulate.engine import start_lammps
from nucleate.errors import InputError
from nucleate.frame import Frame


@dataclass(frozen=True)
class PairModel:
    """A bulk Lennard-Jones mixture by atom type: ``pairs`` maps "a-b" to (ε, σ); each pair is cut
    at ``cutoff`` × its σ and shifted to zero there. The default is the Kob–Andersen 80:20
    mixture (Kob & Andersen 1995)."""

    pairs: dict = field(
        default_factory=lambda: {"1-1": (1.0, 1.0), "1-2": (1.5, 0.8), "2-2": (0.5, 0.88)}
    )
    cutoff: float = 2.5
    masses: tuple[float, ...] = (1.0, 1.0)
    units: str = "lj"

    def commands(self) -> list[str]:
        types = len(self.masses)
        rc = self.cutoff * max(s for _, s in self.pairs.values())
        out = [f"mass {t + 1} {m}" for t, m in enumerate(self.masses)]
        out.append(f"pair_style lj/cut {rc:.10g}")
        for key, (eps, sig) in self.pairs.items():
            a, b = sorted(int(v) for v in key.split("-"))
            if not 1 <= a <= b <= types:
                raise InputError(f"pair {key!r}: types must lie in 1..{types}")
            out.append(f"pair_coeff {a} {b} {eps:.10g} {sig:.10g} {self.cutoff * sig:.10g}")
        out.append("pair_modify shift yes")
        return out


@dataclass
class MinimisedState:
    """The inherent state of a configuration: ``frame`` (positions continued from the input's, so
    ``frame.positions - input.positions`` is each particle's displacement), the per-particle
    pair energy there, the energy per particle before and after, and the wall time it took."""

    frame: Frame
    energy: np.ndarray
    energy_before: float
    energy_after: float
    iterations: int
    seconds: float


def _key(frame: Frame, *settings) -> str:
    h = hashlib.sha256()
    for a in (frame.positions, frame.types, frame.cell):
        h.update(np.ascontiguousarray(a, dtype=float).tobytes())
    h.update(json.dumps(list(settings), sort_keys=True, default=list).encode())
    return h.hexdigest()[:24]


def _cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    root = Path(cache_dir or os.environ.get("NUCLEATE_CACHE", Path.home() / ".cache" / "nucleate"))
    return root / "states"


def _check(frame: Frame, model: PairModel) -> None:
    if not all(frame.pbc):
        raise InputError("these states are made for periodic bulk configurations")
    cell = np.asarray(frame.cell, dtype=float)
    if np.abs(cell - np.diag(np.diag(cell))).max() > 1e-9:
        raise InputError("these states need an orthorhombic box")
    types = np.asarray(frame.types, dtype=int)
    if types.min() < 1 or types.max() > len(model.masses):
        raise InputError(f"atom types must lie in 1..{len(model.masses)} for this pair model")


def _bulk(frame: Frame, model: PairModel):
    """A LAMMPS instance holding the periodic configuration with the pair model (ids in order)."""
    side = np.diag(np.asarray(frame.cell, dtype=float))
    x0 = np.asarray(frame.positions, dtype=float)
    n = len(x0)
    lmp = start_lammps()
    lmp.commands_string(
        f"""
        units {model.units}
        atom_style atomic
        atom_modify map array sort 0 0
        boundary p p p
        region box block 0 {side[0]:.12g} 0 {side[1]:.12g} 0 {side[2]:.12g}
        create_box {len(model.masses)} box
        """
    )
    types = np.asarray(frame.types, dtype=int).tolist()
    lmp.create_atoms(n, list(range(1, n + 1)), types, np.mod(x0, side).ravel().tolist())
    settings = [*model.commands(), "neighbor 0.3 bin", "neigh_modify every 1 delay 0 check yes"]
    lmp.commands_string("\n".join(settings))
    return lmp


def inherent_state(
    frame: Frame,
    model: PairModel | None = None,
    ftol: float = 1e-8,
    max_iter: int = 100_000,
    cache_dir: str | os.PathLike | None = None,
) -> MinimisedState:
    """Minimise a periodic bulk configuration (orthorhombic box) with ``model`` by conjugate
    gradients until the largest force component falls below ``ftol`` (or ``max_iter``
    iterations); cached by content."""
    model = model or PairModel()
    _check(frame, model)
    path = _cache_dir(cache_dir) / f"inherent-{_key(frame, asdict(model), ftol, max_iter)}.npz"
    return _minimised(frame, path, lambda: _bulk(frame, model), 3, ftol, max_iter)


def _minimised(frame: Frame, path: Path, open_lammps, periodic: int, ftol: float,
               max_iter: int) -> MinimisedState:  # fmt: skip
    """The minimum of the system ``open_lammps()`` loads (ids in the frame's order; held atoms
    held by its fixes), read from ``path`` or made and stored there. Positions continue from the
    frame's (possibly unwrapped) ones across the first ``periodic`` cell vectors."""
    if path.exists():
        with np.load(path) as z:
            return MinimisedState(frame.replace(positions=z["positions"]), z["energy"],
                                  float(z["before"]), float(z["after"]), int(z["iterations"]),
                                  float(z["seconds"]))  # fmt: skip
    start = time.time()
    x0 = np.asarray(frame.positions, dtype=float)
    n = len(x0)
    lmp = open_lammps()
    try:
        lmp.commands_string(
            "compute pe all pe/atom\nthermo_style custom step pe fnorm\nmin_style cg"
        )
        lmp.command("run 0")
        before = float(lmp.get_thermo("pe"))
        lmp.command(f"minimize 0.0 {ftol:.3g} {max_iter} {10 * max_iter}")
        iterations = int(lmp.extract_global("ntimestep"))
        lmp.command("run 0")  # the per-atom energies of the minimum
        after = float(lmp.get_thermo("pe"))
        if lmp.get_natoms() != n:
            raise InputError(f"LAMMPS lost {n - lmp.get_natoms()} atoms in the minimisation")
        ids = np.array(lmp.numpy.extract_atom("id")[:n])
        order = np.argsort(ids)
        x = np.array(lmp.numpy.extract_atom("x")[:n])[order]
        energy = np.array(lmp.numpy.extract_compute("pe", 1, 1)[:n])[order]
    finally:
        lmp.close()
    state = MinimisedState(frame.replace(positions=x0 + _continued(x - x0, frame.cell, periodic)),
                           energy, before, after, iterations, time.time() - start)  # fmt: skip
    _store(path, positions=state.frame.positions, energy=energy, before=before, after=after,
           iterations=iterations, seconds=state.seconds)  # fmt: skip
    return state


def cage_state(
    frame: Frame,
    model: PairModel | None = None,
    temperature: float = 0.44,
    run_time: float = 1.0,
    replicas: int = 4,
    timestep: float = 0.005,
    seed: int = 1,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[Frame, float]:
    """Each particle's position averaged over ``replicas`` runs of ``run_time`` from the
    configuration with fresh Maxwell–Boltzmann velocities at ``temperature`` (NVE, as in the
    isoconfigurational ensemble; unwrapped positions averaged over each run, then over the
    replicas): the frame (positions continued from the input's) and the wall time it took.
    Cached by content."""
    model = model or PairModel()
    _check(frame, model)
    key = _key(frame, asdict(model), temperature, run_time, replicas, timestep, seed)
    path = _cache_dir(cache_dir) / f"cage-{key}.npz"
    return _caged(frame, path, lambda: _bulk(frame, model), "all", 3, temperature, run_time,
                  replicas, timestep, seed)  # fmt: skip


def _caged(
    frame: Frame, path: Path, open_lammps, group: str, periodic: int, temperature: float,
    run_time: float, replicas: int, timestep: float, seed: int,
) -> tuple[Frame, float]:  # fmt: skip
    """The cage state of the system ``open_lammps()`` loads (NVE on ``group``, the rest held by
    its fixes), read from ``path`` or made and stored there; positions continue from the
    frame's across the first ``periodic`` cell vectors."""
    if path.exists():
        with np.load(path) as z:
            return frame.replace(positions=z["positions"]), float(z["seconds"])
    start = time.time()
    x0 = np.asarray(frame.positions, dtype=float)
    n = len(x0)
    steps = max(1, round(run_time / timestep))
    shift = np.zeros_like(x0)
    for k in range(replicas):
        lmp = open_lammps()
        try:
            lmp.commands_string(
                f"""
                timestep {timestep:.10g}
                velocity {group} create {temperature:.10g} {seed + k} dist gaussian mom yes
                fix nve {group} nve
                compute xu all property/atom xu yu zu
                fix cage all ave/atom 1 {steps} {steps} c_xu[1] c_xu[2] c_xu[3]
                run {steps}
                """
            )
            if lmp.get_natoms() != n:
                raise InputError(f"LAMMPS lost {n - lmp.get_natoms()} atoms in the cage runs")
            ids = np.array(lmp.numpy.extract_atom("id")[:n])
            mean = np.array(lmp.numpy.extract_fix("cage", 1, 2)[:n])[np.argsort(ids)]
        finally:
            lmp.close()
        # each run starts from the input wrapped into the box
        shift += _continued(mean - x0, frame.cell, periodic)
    out = frame.replace(positions=x0 + shift / replicas)
    seconds = time.time() - start
    _store(path, positions=out.positions, seconds=seconds)
    return out, seconds


def _continued(d: np.ndarray, cell, periodic: int) -> np.ndarray:
    """Displacements ``d`` with whole cell vectors removed along the first ``periodic`` ones."""
    cell = np.asarray(cell, dtype=float)
    frac = d @ np.linalg.inv(cell)
    frac[:, :periodic] -= np.round(frac[:, :periodic])
    return frac @ cell


def _store(path: Path, **arrays) -> None:
    """Write a state's arrays to the cache atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _film(frame: Frame, potential, eps_sl: float, sigma_sl: float):
    """A LAMMPS instance holding the film with its substrate held (the campaigns' set-up)."""
    from nucleate.data.io import to_ase
    from nucleate.data.simulate.md import load_interface

    lmp = start_lammps()
    try:
        load_interface(lmp, to_ase(frame), potential, eps_sl, sigma_sl)
    except BaseException:
        lmp.close()
        raise
    return lmp


def film_inherent_state(
    frame: Frame,
    potential,
    eps_sl: float,
    sigma_sl: float = 1.0,
    ftol: float = 1e-8,
    max_iter: int = 100_000,
    cache_dir: str | os.PathLike | None = None,
) -> MinimisedState:
    """The inherent state of a liquid film on its substrate: the liquid minimised by conjugate
    gradients with the substrate held, under ``potential`` (a campaign's
    :class:`~nucleate.data.simulate.md.Potential`) with the substrate's ``eps_sl`` and
    ``sigma_sl``; cached by content. Types as the campaigns write them: 1 substrate, 2 liquid
    (two-component substrates are refused: one ``eps_sl``)."""
    _check_film(frame, eps_sl)
    key = _key(frame, asdict(potential), eps_sl, sigma_sl, ftol, max_iter)
    path = _cache_dir(cache_dir) / f"film-inherent-{key}.npz"
    return _minimised(frame, path, lambda: _film(frame, potential, eps_sl, sigma_sl), 2, ftol,
                      max_iter)  # fmt: skip


def film_cage_state(
    frame: Frame,
    potential,
    eps_sl: float,
    sigma_sl: float = 1.0,
    temperature: float = 0.68,
    run_time: float = 1.0,
    replicas: int = 4,
    timestep: float = 0.005,
    seed: int = 1,
    cache_dir: str | os.PathLike | None = None,
) -> tuple[Frame, float]:
    """The cage state of a liquid film on its held substrate (see :func:`cage_state`): each
    liquid atom's position averaged over ``replicas`` NVE runs of ``run_time`` with fresh
    velocities at ``temperature``, under the campaign's ``potential`` with the substrate's
    ``eps_sl``; the film keeps its volume, unlike its inherent state. Cached by content."""
    _check_film(frame, eps_sl)
    key = _key(frame, asdict(potential), eps_sl, sigma_sl, temperature, run_time, replicas,
               timestep, seed)  # fmt: skip
    path = _cache_dir(cache_dir) / f"film-cage-{key}.npz"
    return _caged(frame, path, lambda: _film(frame, potential, eps_sl, sigma_sl), "liquid", 2,
                  temperature, run_time, replicas, timestep, seed)  # fmt: skip


def _check_film(frame: Frame, eps_sl: float) -> None:
    types = np.asarray(frame.types, dtype=int)
    sub = np.asarray(frame.substrate, dtype=bool)
    if not sub.any():
        raise InputError("a film's state needs its substrate atoms marked")
    if set(types[sub].tolist()) != {1} or set(types[~sub].tolist()) != {2}:
        raise InputError("a film's state needs type 1 for the substrate and type 2 for the "
                         "liquid (one-component substrates)")  # fmt: skip
    if not eps_sl > 0:
        raise InputError(f"eps_sl must be positive, not {eps_sl}")
