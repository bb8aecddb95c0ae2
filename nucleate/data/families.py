"""Substrate families: registered slab builders, each with one main parameter.

A family turns ``(value, a0, n_layers, min_lateral, seed)`` into an ``ase.Atoms`` slab that is
periodic in x and y with an orthogonal cell, its surface facing +z and its lowest atom at z = 0
(the conventions of :func:`nucleate.data.substrates.fcc_slab`). Atomic number 1 is the substrate;
two-component families mark their second component with atomic number 3, which interacts with the
liquid with its own strength ``eps_sl2``. Lengths follow the liquid's crystal: ``a0`` is its fcc
lattice constant and ``d0 = a0 / sqrt(2)`` its nearest-neighbour distance; a lattice ``mismatch``
``m`` scales the substrate's nearest-neighbour distance to ``d0 (1 + m)`` (for fcc this is
``a_s = a0 (1 + m)``, as in lj-fcc-v1).

A substrate is named ``<family>:<value>`` (``bcc110:+0.02``, ``fcc111-vacancies:0.2``) on the
command line and ``<family>_<tag><value>`` in sample ids (``bcc110_m+02.0``); random families
(vacancies, adatoms, alloys, disorder) draw from a seed that depends on that name only, so training
and prediction build the same slab.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nucleate.errors import InputError
from nucleate.registry import Registry

if TYPE_CHECKING:  # ASE is imported when a slab is built (the CLI lists families without it)
    from ase import Atoms


def _ase_builder(name: str):
    from ase import build

    return getattr(build, name)


#: atomic number of the second substrate component (LAMMPS type 3)
SECOND = 3


@dataclass(frozen=True)
class Family:
    """A registered substrate family.

    Attributes:
        name: registered name (``bcc110``).
        param: its main parameter (``mismatch``, ``fraction``, ``width``, ``angle``, ``sigma``).
        tag: the parameter's letter in sample ids.
        lo, hi: the parameter's allowed range (inclusive).
        build: ``(value, a0, n_layers, min_lateral, seed) -> ase.Atoms``.
        random: whether the slab depends on the seed.
        two_component: whether it has a second component (atomic number 3, strength ``eps_sl2``).
        integer: whether the parameter is a whole number (widths).
        doc: one line for help texts and cards.
    """

    name: str
    param: str
    tag: str
    lo: float
    hi: float
    build: Callable[..., Atoms]
    random: bool = False
    two_component: bool = False
    integer: bool = False
    doc: str = ""

    def check(self, value: float) -> float:
        value = float(value)
        if not self.lo <= value <= self.hi or not math.isfinite(value):
            hint = " (a fraction: 0.03 is 3 %)" if self.param == "mismatch" else ""
            raise InputError(
                f"{self.name}: {self.param} {value:g} is outside [{self.lo:g}, {self.hi:g}]{hint}"
            )
        if self.integer and value != round(value):
            raise InputError(f"{self.name}: {self.param} must be a whole number, not {value:g}")
        return value

    def slab_id(self, value: float) -> str:
        """The slab's part of a sample id: ``fcc111_m+01.5``, ``fcc111-vacancies_f0.20``."""
        value = self.check(value)
        if self.param == "mismatch":
            text = f"{value * 100:+05.1f}"
        elif self.integer:
            text = f"{round(value)}"
        elif self.param == "angle":
            text = f"{value:.1f}"
        else:
            text = f"{value:.2f}"
        return f"{self.name}_{self.tag}{text}"

    def __call__(
        self, value: float, a0: float, n_layers: int = 3, min_lateral: float = 10.0, seed: int = 0
    ) -> Atoms:
        if not a0 > 0:
            raise InputError(f"lattice constant must be positive, not {a0}")
        if n_layers < 1:
            raise InputError(f"a slab needs at least one layer, not {n_layers}")
        value = self.check(value)
        slab = self.build(value, float(a0), int(n_layers), float(min_lateral), int(seed))
        slab.info.update({"family": self.name, self.param: value})
        return slab


FAMILIES: Registry[Family] = Registry("substrate family")


def family(name: str, param: str, tag: str, lo: float, hi: float, **kw):
    """Decorator registering a builder function as a :class:`Family`."""

    def add(build):
        FAMILIES.add(name, Family(name, param, tag, lo, hi, build, doc=(build.__doc__ or "")
                                  .strip().splitlines()[0], **kw))  # fmt: skip
        return build

    return add


def finish(slab: Atoms, spacing: float | None = None) -> Atoms:
    """A built slab in nucleate's conventions: pbc (T, T, F), lowest atom at z = 0, cell z = slab
    thickness + one layer spacing (``spacing``, or the smallest gap between layers)."""
    slab.pbc = (True, True, False)
    z = slab.positions[:, 2]
    slab.positions[:, 2] -= z.min()
    if spacing is None:
        gaps = np.diff(np.unique(np.round(z, 6)))
        gaps = gaps[gaps > 0.05]
        spacing = float(gaps.min()) if len(gaps) else 1.0
    cell = slab.cell.array.copy()
    cell[2] = [0.0, 0.0, float(np.ptp(slab.positions[:, 2])) + spacing]
    slab.set_cell(cell)
    slab.info.clear()
    return slab


def _counts(lengths: tuple[float, float], min_lateral: float, multiple: tuple[int, int]):
    """Unit cells along x and y for a box at least ``min_lateral`` long, in given multiples."""
    return tuple(
        max(1, math.ceil(min_lateral / (length * k) - 1e-9)) * k
        for length, k in zip(lengths, multiple, strict=True)
    )


def _ase_slab(builder, a: float, n_layers: int, min_lateral: float, multiple=(1, 1), **kw):
    unit = builder("X", size=(1, multiple[1], 1), a=a, orthogonal=True, **kw)
    lx, ly = unit.cell.lengths()[:2]
    nx, ny = _counts((lx, ly / multiple[1]), min_lateral, multiple)
    slab = builder("X", size=(nx, ny, n_layers), a=a, orthogonal=True, vacuum=None, **kw)
    slab.numbers[:] = 1
    return slab


def _top_layer(slab: Atoms) -> np.ndarray:
    """Mask of the top atomic layer (ASE tags layers from 1 at the top)."""
    return slab.get_tags() == 1


def _fcc(facet: str):
    def build(m: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
        multiple = (1, 2) if facet == "111" else (1, 1)
        a = a0 * (1.0 + m)
        builder = _ase_builder(f"fcc{facet}")
        slab = finish(_ase_slab(builder, a, n_layers, min_lateral, multiple))
        slab.info.update({"facet": facet, "a_s": a})
        return slab

    build.__doc__ = f"fcc({facet}), a_s = a0 (1 + mismatch)"
    return build


for _facet in ("111", "100", "110"):
    family(f"fcc{_facet}", "mismatch", "m", -0.2, 0.2)(_fcc(_facet))


@family("bcc100", "mismatch", "m", -0.2, 0.2)
def _bcc100(m: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """bcc(100), nearest-neighbour distance d0 (1 + mismatch): open square net"""
    a = 2.0 * a0 / math.sqrt(2.0) * (1.0 + m) / math.sqrt(3.0)
    slab = finish(_ase_slab(_ase_builder("bcc100"), a, n_layers, min_lateral))
    slab.info["a_s"] = a
    return slab


@family("bcc110", "mismatch", "m", -0.2, 0.2)
def _bcc110(m: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """bcc(110), nearest-neighbour distance d0 (1 + mismatch): a distorted close-packed net"""
    a = 2.0 * a0 / math.sqrt(2.0) * (1.0 + m) / math.sqrt(3.0)
    slab = finish(_ase_slab(_ase_builder("bcc110"), a, n_layers, min_lateral, (1, 2)))
    slab.info["a_s"] = a
    return slab


@family("hcp0001", "mismatch", "m", -0.2, 0.2)
def _hcp0001(m: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """hcp(0001), ideal c/a, nearest-neighbour distance d0 (1 + mismatch): ABAB stacking"""
    a = a0 / math.sqrt(2.0) * (1.0 + m)
    slab = finish(
        _ase_slab(_ase_builder("hcp0001"), a, n_layers, min_lateral, (1, 2), c=a * math.sqrt(8 / 3))
    )
    slab.info["a_s"] = a
    return slab


def _matched_fcc111(a0: float, n_layers: int, min_lateral: float, rows: int = 2) -> Atoms:
    """A matched fcc(111) slab with a multiple of ``rows`` close-packed rows along y."""
    return _ase_slab(_ase_builder("fcc111"), a0, n_layers, min_lateral, (1, math.lcm(2, rows)))


@family("fcc111-vacancies", "fraction", "f", 0.0, 0.9, random=True)
def _vacancies(f: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(111) with a random fraction of its top-layer atoms removed"""
    slab = _matched_fcc111(a0, n_layers, min_lateral)
    top = np.flatnonzero(_top_layer(slab))
    rng = np.random.default_rng(seed)
    gone = rng.choice(top, size=round(f * len(top)), replace=False)
    spacing = a0 / math.sqrt(3.0)
    del slab[gone]
    return finish(slab, spacing)


@family("fcc111-adatoms", "coverage", "c", 0.0, 0.9, random=True)
def _adatoms(c: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(111) with adatoms on a random fraction of its fcc hollow sites"""
    slab = _matched_fcc111(a0, n_layers + 1, min_lateral)
    top = np.flatnonzero(_top_layer(slab))
    rng = np.random.default_rng(seed)
    kept = rng.choice(top, size=round(c * len(top)), replace=False)
    del slab[np.setdiff1d(top, kept)]
    return finish(slab, a0 / math.sqrt(3.0))


def _rows(slab: Atoms, a0: float) -> np.ndarray:
    """Index of each atom's close-packed row along y in an orthogonal fcc(111) slab."""
    row = a0 / math.sqrt(2.0) * math.sqrt(3.0) / 2.0
    return np.floor(slab.positions[:, 1] / row + 1e-6).astype(int)


@family("fcc111-steps", "width", "w", 1, 12, integer=True)
def _steps(w: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(111) with monatomic steps: an extra layer in stripes of w rows, w rows apart"""
    w = round(w)
    slab = _matched_fcc111(a0, n_layers + 1, min_lateral, rows=2 * w)
    top = _top_layer(slab)
    gone = top & ((_rows(slab, a0) // w) % 2 == 1)
    del slab[np.flatnonzero(gone)]
    return finish(slab, a0 / math.sqrt(3.0))


@family("fcc111-stripes", "width", "w", 1, 12, integer=True, two_component=True)
def _stripes(w: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(111) in stripes of w rows of two components (eps_sl, eps_sl2)"""
    w = round(w)
    slab = _matched_fcc111(a0, n_layers, min_lateral, rows=2 * w)
    slab.numbers[(_rows(slab, a0) // w) % 2 == 1] = SECOND
    return finish(slab)


@family("fcc111-alloy", "fraction", "f", 0.0, 1.0, random=True, two_component=True)
def _alloy(f: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(111), a random fraction of its atoms the second component (eps_sl2)"""
    slab = _matched_fcc111(a0, n_layers, min_lateral)
    rng = np.random.default_rng(seed)
    second = rng.choice(len(slab), size=round(f * len(slab)), replace=False)
    slab.numbers[second] = SECOND
    return finish(slab)


@family("fcc100-checker", "width", "w", 1, 6, integer=True, two_component=True)
def _checker(w: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(100) in a checkerboard of w x w surface cells of two components"""
    w = round(w)
    slab = _ase_slab(_ase_builder("fcc100"), a0, n_layers, min_lateral, (2 * w, 2 * w))
    cell = a0 / math.sqrt(2.0)
    ix = np.floor(slab.positions[:, 0] / cell + 1e-6).astype(int) // w
    iy = np.floor(slab.positions[:, 1] / cell + 1e-6).astype(int) // w
    slab.numbers[(ix + iy) % 2 == 1] = SECOND
    return finish(slab)


@family("fcc111-disordered", "sigma", "s", 0.0, 0.5, random=True)
def _disordered(s: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(111), every atom displaced at random (Gaussian, s x d0 per axis)"""
    slab = _matched_fcc111(a0, n_layers, min_lateral)
    rng = np.random.default_rng(seed)
    slab.positions += rng.normal(0.0, s * a0 / math.sqrt(2.0), slab.positions.shape)
    slab.wrap(pbc=(True, True, False))
    return finish(slab, a0 / math.sqrt(3.0))


#: coincidence-site twists of a hexagonal layer: angle (degrees) -> (m, n); the layer rotated by
#: the angle maps the lattice vector (m, n) onto (n, m), which both layers share
def _twist_angle(m: int, n: int) -> float:
    """The rotation (radians) that maps the hexagonal lattice vector (m, n) onto (n, m)."""
    return math.atan2(math.sqrt(3) / 2 * m, n + m / 2) - math.atan2(math.sqrt(3) / 2 * n, m + n / 2)


TWISTS = {round(math.degrees(_twist_angle(m, n)), 1): (m, n) for m, n in ((2, 1), (3, 1), (3, 2))}


def _hex_layer(d: float, angle: float, box: tuple[float, float], z: float, shift=(0.0, 0.0)):
    """All sites of a hexagonal net (spacing ``d``, rotated by ``angle`` radians, shifted by
    ``shift`` in its own basis) inside a periodic box it is commensurate with."""
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    basis = np.array([[d, 0.0], [d / 2, d * math.sqrt(3) / 2]]) @ rot.T
    n = math.ceil(2 * max(box) / d) + 2
    ij = np.stack(np.meshgrid(np.arange(-n, n), np.arange(-n, n)), -1).reshape(-1, 2)
    xy = (ij + np.asarray(shift)) @ basis
    frac = xy / np.asarray(box)
    frac -= np.floor(frac)
    key = np.round(frac * 1e6).astype(np.int64) % 1_000_000
    _, first = np.unique(key, axis=0, return_index=True)
    xy = frac[np.sort(first)] * np.asarray(box)
    return np.column_stack([xy, np.full(len(xy), z)])


@family("fcc111-twist", "angle", "t", 0.0, 60.0)
def _twist(theta: float, a0: float, n_layers: int, min_lateral: float, seed: int) -> Atoms:
    """matched fcc(111) whose top layer is rotated by a coincidence angle against those below"""
    key = min(TWISTS, key=lambda t: abs(t - theta))
    if abs(key - theta) > 0.05:
        raise InputError(
            f"fcc111-twist: the angle must be a coincidence angle, one of "
            f"{', '.join(f'{t:g}' for t in sorted(TWISTS))} (not {theta:g})"
        )
    m, n = TWISTS[key]
    exact = _twist_angle(m, n)
    d = a0 / math.sqrt(2.0)
    common = np.array([n + m / 2, math.sqrt(3) / 2 * m]) * d  # (n, m): in both lattices
    length = float(np.linalg.norm(common))
    box = (
        max(1, math.ceil(min_lateral / length - 1e-9)) * length,
        max(1, math.ceil(min_lateral / (length * math.sqrt(3)) - 1e-9)) * length * math.sqrt(3),
    )
    base = -math.atan2(common[1], common[0])  # the shared vector along x
    dz = a0 / math.sqrt(3.0)
    layers = [
        _hex_layer(d, base, box, k * dz, shift=((k % 3) / 3, (k % 3) / 3))
        for k in range(n_layers - 1)
    ]
    top = n_layers - 1
    shift = ((top % 3) / 3, (top % 3) / 3)
    layers.append(_hex_layer(d, base + exact, box, top * dz, shift=shift))
    positions = np.concatenate(layers)
    from ase import Atoms

    slab = Atoms(numbers=[1] * len(positions), positions=positions, cell=[box[0], box[1], 0])
    return finish(slab, dz)


#: ``<family>:<value>`` on the command line
SPEC = re.compile(r"^([a-z0-9][a-z0-9-]*):([+-]?(?:\d+\.?\d*|\.\d+))$")


def parse_spec(text: str) -> tuple[Family, float] | None:
    """``(family, value)`` of a ``<family>:<value>`` name, or ``None`` when ``text`` does not
    look like one (a file name); an unknown family or a bad value raises :class:`InputError`."""
    m = SPEC.match(text.strip())
    if m is None:
        return None
    fam = FAMILIES.get(m[1])
    return fam, fam.check(float(m[2]))


def build_named(
    fam: Family, value: float, a0: float, n_layers: int, min_lateral: float, base_seed: int
) -> tuple[Atoms, str]:
    """The slab of ``fam`` at ``value`` and its id part, with the seed every campaign and
    prediction uses for that id."""
    import hashlib

    sid = fam.slab_id(value)
    digest = hashlib.sha256(f"{base_seed}:{sid}:slab".encode()).hexdigest()
    return fam(value, a0, n_layers, min_lateral, int(digest[:7], 16)), sid
