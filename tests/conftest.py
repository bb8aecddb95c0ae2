"""Synthetic systems with known answers, built in code."""

from __future__ import annotations

import os

import numpy as np
import pytest

A0_LJ = 1.5496  # fcc lattice constant near the LJ triple point (sigma), for test geometry only


def layered_film(
    a: float = A0_LJ,
    size: tuple[int, int] = (6, 6),
    n_substrate: int = 3,
    n_liquid: int = 8,
    noise: float = 0.0,
    seed: int = 0,
    vacuum: float = 5.0,
    orthogonal: bool = False,
    step: bool = False,
):
    """An fcc(111) crystal: the lowest ``n_substrate`` planes are substrate (type 1), the planes
    above are "liquid" (type 2), optionally shaken by Gaussian noise. Plane spacing a/sqrt(3).

    With ``step`` the plane just above the substrate is substrate too where the fractional x < 1/2,
    making a monatomic step; the liquid follows the local surface.
    Returns (atoms, plane spacing, z of the substrate's top plane on the lower terrace).
    """
    from ase.build import fcc111

    atoms = fcc111(
        "Ar", size=(*size, n_substrate + n_liquid), a=a, vacuum=vacuum, orthogonal=orthogonal
    )
    atoms.pbc = (True, True, False)
    atoms.info.clear()  # ASE's adsorbate_info is no part of a frame
    z = atoms.positions[:, 2]
    planes = np.unique(np.round(z, 6))
    plane = np.searchsorted(planes, np.round(z, 6))
    substrate = plane < n_substrate
    if step:
        frac = atoms.cell.scaled_positions(atoms.positions)[:, 0] % 1.0
        substrate |= (plane == n_substrate) & (frac < 0.5)
    numbers = np.where(substrate, 1, 2)
    atoms.numbers = numbers
    rng = np.random.default_rng(seed)
    if noise:
        atoms.positions[~substrate] += rng.normal(0.0, noise, (int((~substrate).sum()), 3))
    return atoms, a / np.sqrt(3.0), float(planes[n_substrate - 1])


@pytest.fixture
def film():
    return layered_film


def shaken(atoms, noise: float, n: int, seed: int = 0):
    """``n`` copies of ``atoms`` with the liquid (type 2) shaken by Gaussian noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        b = atoms.copy()
        liq = b.numbers == 2
        b.positions[liq] += rng.normal(0.0, noise, (int(liq.sum()), 3))
        out.append(b)
    return out


def same_site(a, b, cell, atol=1e-8):
    """Positions equal up to lattice translations along x and y (LAMMPS wraps atoms)."""
    frac = np.linalg.solve(np.asarray(cell).T, (np.asarray(a) - np.asarray(b)).T).T
    frac[:, :2] -= np.round(frac[:, :2])
    np.testing.assert_allclose(frac @ np.asarray(cell), 0.0, atol=atol)


def synthetic_dataset(root, film, n: int, censor_every: int = 0):
    """A data set of ``n`` shaken fcc(111) films whose T_n falls with the disorder of the liquid
    (so the contact layer's order predicts it); every ``censor_every``-th one censored."""
    from nucleate.data import dataset
    from nucleate.data.io import Selection, from_ase, write_frames

    atoms, _, _ = film(size=(5, 5), n_liquid=5)
    rng = np.random.default_rng(0)
    for k in range(n):
        noise = 0.04 + 0.01 * k
        frames = [
            from_ase(a, Selection(substrate_types=(1,))) for a in shaken(atoms, noise, 1, seed=k)
        ]
        staging = dataset.staging_dir(root, f"s{k:02d}")
        write_frames(staging / "frames.extxyz.gz", frames)
        censored = bool(censor_every) and k % censor_every == censor_every - 1
        tn = None if censored else 0.6 - noise + 0.002 * rng.normal()
        dataset.commit_sample(
            root, staging,
            {"id": f"s{k:02d}", "family": ("fcc111", "fcc100")[k % 2],
             "parameters": {"facet": ("111", "100")[k % 2], "eps_sl": 1.0},
             "labels": {"tn": tn, "tn_censored": censored,
                        # the grown crystal: fcc-rich on (111) films, hcp-rich on the others
                        "polymorph": {} if censored else (
                            {"fcc": 0.8, "hcp": 0.15, "bcc": 0.0, "other": 0.05} if k % 2 == 0
                            else {"fcc": 0.2, "hcp": 0.7, "bcc": 0.05, "other": 0.05})}},
        )  # fmt: skip
    dataset.write_manifest(root)
    (root / "campaign.yaml").write_text("a0: 1.5496\nramp: {t_floor: 0.35}\n")
    return root


os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("MPLBACKEND", "Agg")
