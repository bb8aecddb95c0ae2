"""Calibration of a model system in bulk: the crystal's lattice constant, the melting temperature by
two-phase coexistence, and homogeneous crystallisation under a cooling ramp.

Each measurement is a plain function running one serial LAMMPS process; :func:`calibrate` runs them
over a process pool and returns a JSON-ready dict that the data card shows. Only the pair model of a
single species (the liquid's, type 2 of :class:`~nucleate.data.simulate.md.Potential`) is used.
"""

from __future__ import annotations

import os
from dataclasses import asdict

import numpy as np

from nucleate.data.simulate import start_lammps
from nucleate.data.simulate.md import Potential
from nucleate.structure.crystallinity import Crystallinity


def _bulk(lmp, potential: Potential, a: float, cells: tuple[int, int, int]) -> None:
    liquid = [c for c in potential.pair_coeffs if c.split()[:2] == ["2", "2"]]
    coeff = "1 1 " + " ".join(liquid[0].split()[2:]) if liquid else "1 1 1.0 1.0"
    lmp.commands_string(
        f"""
        units {potential.units}
        atom_style atomic
        lattice fcc {4.0 / a**3:.10g}
        region box block 0 {cells[0]} 0 {cells[1]} 0 {cells[2]}
        create_box 1 box
        create_atoms 1 box
        mass 1 {potential.masses[1]}
        pair_style {potential.pair_style}
        pair_coeff {coeff}
        timestep {potential.timestep}
        thermo 1000
        """
    )
    if potential.pair_modify:
        lmp.command(f"pair_modify {potential.pair_modify}")


def _solid_fraction(lmp, crystallinity: Crystallinity) -> tuple[float, int]:
    n = lmp.get_natoms()
    x = np.array(lmp.numpy.extract_atom("x")[:n])
    lo, hi, *_ = lmp.extract_box()
    solid, cluster = crystallinity(x - np.array(lo), np.diag(np.array(hi) - np.array(lo)), True)
    largest = int(np.bincount(cluster[cluster >= 0]).max()) if solid.any() else 0
    return float(solid.mean()), largest


def lattice_constant(
    potential: Potential, temperature: float, seed: int = 1, cells: int = 8, steps: int = 10000
) -> float:
    """Cubic lattice constant of the fcc crystal at ``temperature`` and zero pressure (NPT):
    ``cells``³ unit cells, the mean over the last 60 % of ``steps``."""
    lmp = start_lammps()
    try:
        _bulk(lmp, potential, 1.55, (cells, cells, cells))
        t = max(temperature, 1e-4)
        settle = int(0.4 * steps)
        lmp.commands_string(
            f"""
            velocity all create {t:.10g} {seed} dist gaussian
            fix npt all npt temp {t:.10g} {t:.10g} 0.5 iso 0.0 0.0 5.0
            run {settle}
            variable a equal lx/{cells}
            fix av all ave/time 10 10 100 v_a ave running
            run {steps - settle}
            """
        )
        return float(lmp.extract_fix("av", 0, 0))
    finally:
        lmp.close()


def coexistence(
    potential: Potential, temperature: float, a: float, checks: int = 16, every: int = 2000
) -> list[float]:
    """Crystal fraction along an NPT (P = 0, z only) run of a half-crystal, half-liquid box at
    ``temperature``: it rises below the melting temperature and falls above it."""
    crystallinity = Crystallinity()
    lmp = start_lammps()
    try:
        _bulk(lmp, potential, a, (7, 7, 21))
        lmp.commands_string(
            f"""
            region top block INF INF INF INF 10.5 INF
            group top region top
            group bottom subtract all top
            velocity top create 1.5 11 dist gaussian
            fix hold bottom setforce 0 0 0
            fix l top langevin 1.5 1.5 0.5 7
            fix n top nve
            run 4000
            unfix l
            unfix n
            unfix hold
            velocity all create {temperature:.10g} 3 dist gaussian
            fix npt all npt temp {temperature:.10g} {temperature:.10g} 0.5 z 0.0 0.0 5.0
            """
        )
        trace = []
        for _ in range(checks):
            lmp.command(f"run {every}")
            trace.append(_solid_fraction(lmp, crystallinity)[0])
        return trace
    finally:
        lmp.close()


def bulk_ramp(
    potential: Potential,
    t_start: float,
    t_floor: float,
    rate: float,
    a: float,
    seed: int,
    threshold: float = 0.1,
    check_every: int = 500,
    cells: int = 10,
) -> float | None:
    """Homogeneous crystallisation of the bulk liquid (4 ``cells``³ atoms, NPT at P = 0) under the same
    linear ramp as the interface runs: the temperature where the largest crystalline cluster
    reaches ``threshold`` of the atoms; None if it never does."""
    from nucleate.data.labels import crossing_temperature

    crystallinity = Crystallinity()
    n_atoms = 4 * cells**3
    lmp = start_lammps()
    try:
        _bulk(lmp, potential, a * 1.05, (cells, cells, cells))
        total = round((t_start - t_floor) / rate / potential.timestep)
        total -= total % check_every
        lmp.commands_string(
            f"""
            velocity all create 1.5 {seed} dist gaussian
            fix npt all npt temp 1.5 {t_start:.10g} 0.5 iso 0.0 0.0 5.0
            run 4000
            unfix npt
            reset_timestep 0
            fix npt all npt temp {t_start:.10g} {t_floor:.10g} 0.5 iso 0.0 0.0 5.0
            """
        )
        temps, largest = [], []
        for step in range(check_every, total + 1, check_every):
            lmp.command(f"run {check_every} start 0 stop {total}")
            temps.append(t_start + (t_floor - t_start) * step / total)
            largest.append(_solid_fraction(lmp, crystallinity)[1])
            if largest[-1] >= 2 * threshold * n_atoms:
                break
        return crossing_temperature(temps, largest, threshold * n_atoms)
    finally:
        lmp.close()


def melting_temperature(temps: list[float], traces: list[list[float]]) -> float:
    """T_m where the crystal fraction's mean growth rate (a linear fit over each trace) changes
    sign, by linear interpolation between the bracketing temperatures."""
    order = np.argsort(temps)
    t = np.asarray(temps, dtype=float)[order]
    rates = np.array([np.polyfit(np.arange(len(tr)), tr, 1)[0] for tr in np.asarray(traces)[order]])
    for k in range(len(t) - 1):
        if rates[k] > 0 >= rates[k + 1]:
            return float(t[k] + (t[k + 1] - t[k]) * rates[k] / (rates[k] - rates[k + 1]))
    raise ValueError("the temperatures do not bracket the melting point")


def bulk_ramps(
    potential: Potential,
    t_start: float,
    t_floor: float,
    rates: list[float],
    a: float,
    seeds: int = 2,
    rate_ref: float | None = None,
    check_every: int = 500,
    workers: int = 0,
) -> dict:
    """Homogeneous crystallisation of the bulk liquid under ramps at each of ``rates``
    (``seeds`` each, see :func:`bulk_ramp`), the reference line of T_n against cooling rate; the
    check interval is ``check_every`` at ``rate_ref`` and scaled with the rate (as in campaigns).
    Returns {"t_start", "t_floor", "t_x": {rate: [T_x or None per seed]}}."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    rate_ref = rate_ref or rates[0]
    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        jobs = {
            (rate, k): pool.submit(
                bulk_ramp,
                potential,
                t_start,
                t_floor,
                rate,
                a,
                100 + k + 1000 * i,
                0.1,
                max(1, round(check_every * rate_ref / rate)),
            )
            for i, rate in enumerate(rates)
            for k in range(seeds)
        }
        t_x = {f"{rate:g}": [jobs[(rate, k)].result() for k in range(seeds)] for rate in rates}
    return {"t_start": t_start, "t_floor": t_floor, "cells": 10, "t_x": t_x}


def calibrate(
    potential: Potential,
    coexistence_temperatures: tuple[float, ...] = (0.58, 0.60, 0.62, 0.64, 0.66),
    lattice_temperatures: tuple[float, ...] = (0.0, 0.45, 0.55, 0.62),
    ramp: tuple[float, float, float] = (0.68, 0.30, 0.0015),
    ramp_seeds: int = 2,
    workers: int = 0,
) -> dict:
    """Run the bulk calibration over a process pool; returns lattice constants a(T), coexistence
    traces, T_m, a_0 = a(T_m) and the homogeneous crystallisation temperature of the ramp."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    workers = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        lat = {t: pool.submit(lattice_constant, potential, t) for t in lattice_temperatures}
        a_lat = {t: f.result() for t, f in lat.items()}
        a_mid = float(np.interp(0.62, list(a_lat), list(a_lat.values())))
        coex = {t: pool.submit(coexistence, potential, t, a_mid) for t in coexistence_temperatures}
        ramps = [
            pool.submit(bulk_ramp, potential, *ramp, a_mid, 100 + k) for k in range(ramp_seeds)
        ]
        traces = {t: f.result() for t, f in coex.items()}
        t_hom = [f.result() for f in ramps]
    tm = melting_temperature(list(traces), list(traces.values()))
    temps = sorted(a_lat)
    a0 = float(np.interp(tm, temps, [a_lat[t] for t in temps]))
    return {
        "potential": asdict(potential),
        "lattice_constant": {f"{t:g}": a for t, a in a_lat.items()},
        "coexistence": {f"{t:g}": tr for t, tr in traces.items()},
        "coexistence_every_steps": 2000,
        "t_m": tm,
        "a0": a0,
        "bulk_ramp": {"t_start": ramp[0], "t_floor": ramp[1], "rate": ramp[2], "t_x": t_hom},
    }
