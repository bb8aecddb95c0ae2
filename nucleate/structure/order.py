"""Local bond order with freud: Steinhardt q_l, Lechner–Dellago averaged q̄_l, and the freud view
of a periodic (or slab) cell.

Positions and cells are plain arrays in any length unit; cutoffs are in the same unit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from nucleate.structure import libraries
from nucleate.structure.libraries import neighbor_list


def freud_system(positions: np.ndarray, cell: np.ndarray, pbc) -> tuple:
    """``(box, points)`` for freud: the cell as a periodic freud Box and the positions shifted into
    freud's centred box convention. Along axes that are not periodic the box is twice the cell, so
    that atoms never meet their images; every atom must lie inside the cell along those axes.

    Args:
        positions: (n, 3) Cartesian positions.
        cell: (3, 3) cell vectors as rows; the first must lie along x and the second in the xy
            plane (LAMMPS convention).
        pbc: (3,) periodicity.
    """
    freud = libraries.freud()
    cell = np.asarray(cell, dtype=float)
    periodic = np.broadcast_to(np.asarray(pbc, dtype=bool), 3)
    origin = cell.sum(axis=0) / 2.0
    points = np.asarray(positions, dtype=np.float64) - origin
    frac = np.linalg.solve(cell.T, points.T).T
    frac[:, periodic] = (frac[:, periodic] + 0.5) % 1.0 - 0.5
    points = frac @ cell
    # freud queries need a periodic box: along an open axis the cell is doubled, so that the
    # periodic images lie a whole cell away and never meet
    padded = cell.copy()
    padded[~periodic] *= 2.0
    box = freud.box.Box.from_matrix(padded.T)
    return box, np.ascontiguousarray(points, dtype=np.float32)


def steinhardt(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc,
    ls: tuple[int, ...] = (4, 6),
    average: bool = True,
    num_neighbors: int | None = 12,
    r_max: float | None = None,
    system: tuple | None = None,
) -> np.ndarray:
    """(n, len(ls)) Steinhardt order q_l per atom, averaged over neighbours (Lechner–Dellago q̄_l)
    when ``average``. Neighbours: the ``num_neighbors`` nearest, or all within ``r_max``.
    ``system``: the ``(box, points)`` of :func:`freud_system` for these positions, when the caller
    has made it already."""
    freud = libraries.freud()
    box, points = system if system is not None else freud_system(positions, cell, pbc)
    query = {"num_neighbors": num_neighbors} if r_max is None else {"r_max": r_max}
    if r_max is None and num_neighbors is None:
        raise ValueError("give num_neighbors or r_max")
    # one freud object for every l: the neighbour query and the averaging are done once
    st = freud.order.Steinhardt(list(ls), average=average)
    st.compute((box, points), neighbors={**query, "exclude_ii": True})
    return np.asarray(st.particle_order, dtype=float).reshape(len(points), len(ls))


@lru_cache(maxsize=8)
def reference_order(
    ls: tuple[int, ...] = (4, 6),
    num_neighbors: int = 12,
    average: bool = True,
    noise: tuple[float, ...] = (0.0,),
) -> dict[str, np.ndarray]:
    """Mean q_l of fcc, hcp and bcc crystals with the same neighbour rule, computed here.

    Args:
        noise: Gaussian displacement per coordinate, in units of the nearest-neighbour distance;
            one reference point per value (thermal disorder moves crystals through the q̄4–q̄6 plane).

    Returns:
        name -> (len(noise), len(ls)) array.
    """
    from ase.build import bulk

    rng = np.random.default_rng(12345)
    d_nn = 1.0 / np.sqrt(2.0)  # fcc and hcp below; bcc is scaled to the same density
    crystals = {
        "fcc": bulk("Ar", "fcc", a=1.0, cubic=True).repeat(5),
        "hcp": bulk("Ar", "hcp", a=d_nn, c=d_nn * np.sqrt(8 / 3)).repeat((7, 7, 5)),
        "bcc": bulk("Ar", "bcc", a=(2.0 / 4.0) ** (1 / 3), cubic=True).repeat(6),
    }
    refs = {}
    for name, atoms in crystals.items():
        points = []
        for sigma in noise:
            pos = atoms.positions + rng.normal(0.0, sigma * d_nn, atoms.positions.shape)
            q = steinhardt(pos, atoms.cell.array, True, ls, average, num_neighbors=num_neighbors)
            points.append(q.mean(axis=0))
        refs[name] = np.array(points)
    return refs


def neighbour_means(i, j, dist, values: np.ndarray, radii, n: int) -> list[np.ndarray]:
    """``values`` (n, ...) averaged over each atom and its neighbours within each radius, from a
    full neighbour list ``(i, j, dist)``: one array per radius (coarse graining)."""
    from scipy import sparse

    means = []
    for radius in radii:
        near = dist < radius
        adj = sparse.csr_matrix(
            (np.ones(near.sum()), (i[near], j[near])), shape=(n, n)
        ) + sparse.identity(n, format="csr")
        counts = np.asarray(adj.sum(axis=1)).ravel()
        scaled = np.asarray(adj @ values)
        means.append(scaled / (counts[:, None] if scaled.ndim == 2 else counts))
    return means


class RadialBondOrder:
    """Radially resolved bond-order descriptors per atom (after Boattini et al. 2021).

    For each shell k (centre ``r_k``, Gaussian width ``width``) and each atom i:

    - radial density ``G_k(i) = sum_j w_k(r_ij)`` with ``w_k(r) = exp(-(r - r_k)^2 / 2 width^2)``;
    - bond order ``q_l^k(i) = sqrt(4 pi / (2l + 1) sum_m |q_lm^k(i)|^2)`` with
      ``q_lm^k(i) = sum_j w_k(r_ij) Y_lm(r_ij) / sum_j w_k(r_ij)``;

    and, with ``coarse_grain`` (one radius or several), the same averaged over each atom and its
    neighbours within each distance (which carries most of the information in Boattini's analysis). Distances are in the
    frame's length unit; defaults suit LJ-like liquids in σ.

    ``__call__(positions, cell, pbc, types=None) -> (n, n_features)`` float64; with
    ``species`` given, the radial densities are resolved by the neighbour's type. Names of the
    columns: :meth:`feature_names`.
    """

    def __init__(
        self,
        shells: tuple[float, ...] = tuple(np.round(np.arange(0.9, 2.51, 0.1), 3)),
        width: float = 0.1,
        ls: tuple[int, ...] = (2, 4, 6, 8),
        coarse_grain: float | tuple[float, ...] | None = 1.5,
        species: tuple[int, ...] | None = None,
    ) -> None:
        if not shells or width <= 0:
            raise ValueError("give at least one shell and a positive width")
        self.shells = tuple(float(r) for r in shells)
        self.width = float(width)
        self.ls = tuple(int(l) for l in ls)
        if coarse_grain is None:
            self.coarse_grain: tuple[float, ...] = ()
        elif isinstance(coarse_grain, int | float):
            self.coarse_grain = (float(coarse_grain),)
        else:
            self.coarse_grain = tuple(float(c) for c in coarse_grain)
        self.species = None if species is None else tuple(int(s) for s in species)

    def feature_names(self) -> list[str]:
        names = []
        kinds = [f"G{s}" for s in self.species] if self.species else ["G"]
        for r in self.shells:
            names += [f"{g}(r={r:g})" for g in kinds]
            names += [f"q{l}(r={r:g})" for l in self.ls]
        base = list(names)
        for radius in self.coarse_grain:
            prefix = "cg_" if len(self.coarse_grain) == 1 else f"cg{radius:g}_"
            names += [f"{prefix}{n}" for n in base]
        return names

    def __call__(
        self, positions, cell: np.ndarray | None = None, pbc=None, types=None
    ) -> np.ndarray:
        """Descriptors of every atom: ``(positions, cell, pbc[, types])`` arrays or one Frame."""
        if hasattr(positions, "positions"):  # a Frame
            frame = positions
            positions, cell, pbc, types = frame.positions, frame.cell, frame.pbc, frame.types
        positions = np.asarray(positions, dtype=float)
        n = len(positions)
        cutoff = max(self.shells) + 3.0 * self.width
        if self.coarse_grain:
            cutoff = max(cutoff, *self.coarse_grain)
        i, j, vec, dist = neighbor_list(cutoff).compute(
            points=positions, box=np.asarray(cell, dtype=float),
            periodic=list(np.broadcast_to(pbc, 3)), quantities="ijDd",
        )  # fmt: skip
        if self.species and types is None:
            raise ValueError("species-resolved densities need the atom types")
        by_atom = np.argsort(i, kind="stable")
        i, j, vec, dist = i[by_atom], j[by_atom], vec[by_atom], dist[by_atom]
        dens, q = self._shell_sums(i, j, vec, dist, n, types)
        blocks = []
        for k in range(len(self.shells)):
            blocks += [d[:, k : k + 1] for d in dens]
            blocks += [ql[:, k : k + 1] for ql in q]
        features = np.hstack(blocks)
        averaged = neighbour_means(i, j, dist, features, self.coarse_grain, n)
        return np.hstack([features, *averaged])

    def _shell_sums(self, i, j, vec, dist, n: int, types) -> tuple[list, list]:
        """Radial densities (one (n, K) array per species, or the total) and q_l per shell (one
        (n, K) array per l) from a full neighbour list sorted by ``i``.

        Atoms are taken in blocks: each block's pairs are laid out as (atom, neighbour slot) so
        that every shell's q_lm is one batched product ``w^T Y`` and the working set stays the
        same size whatever the frame's size (linear time and memory). The harmonics are
        sphericart's real ones: for each l they are a unitary transform of the complex Y_lm, so
        ``sum_m |q_lm|^2`` is the same.
        """
        import sphericart

        r = np.asarray(self.shells)
        columns = {l: np.arange(l * l, (l + 1) * (l + 1)) for l in self.ls}
        harmonics = sphericart.SphericalHarmonics(max(self.ls, default=0))
        counts = np.bincount(i, minlength=n)
        starts = np.concatenate([[0], np.cumsum(counts)])
        kinds = self.species or (None,)
        dens = [np.zeros((n, len(r))) for _ in kinds]
        q = [np.zeros((n, len(r))) for _ in self.ls]
        width = max(1, int(counts.max(initial=1)))
        block = max(1, int(2e6 // (width * (len(r) + len(self.ls) * 9))))
        for a0 in range(0, n, block):
            a1 = min(n, a0 + block)
            pairs = slice(starts[a0], starts[a1])
            if starts[a1] == starts[a0]:
                continue
            rows = i[pairs] - a0
            slots = np.arange(starts[a0], starts[a1]) - starts[i[pairs]]
            padded = np.zeros((a1 - a0, int(counts[a0:a1].max()), len(r)))
            padded[rows, slots] = np.exp(
                -0.5 * ((dist[pairs, None] - r[None, :]) / self.width) ** 2
            )
            norm = padded.sum(axis=1)  # (b, K)
            for d, kind in zip(dens, kinds, strict=True):
                if kind is None:
                    d[a0:a1] = norm
                else:
                    mask = np.zeros(padded.shape[:2])
                    mask[rows, slots] = np.asarray(types)[j[pairs]] == kind
                    d[a0:a1] = np.einsum("bn,bnk->bk", mask, padded)
            y = harmonics.compute(np.ascontiguousarray(vec[pairs]))
            has = norm > 1e-12
            safe = np.where(has, norm, 1.0)
            for ql, l in zip(q, self.ls, strict=True):
                ylm = np.zeros(padded.shape[:2] + (len(columns[l]),))
                ylm[rows, slots] = y[:, columns[l]]
                power = np.sum(np.matmul(padded.transpose(0, 2, 1), ylm) ** 2, axis=2)
                ql[a0:a1] = np.sqrt(4.0 * np.pi / (2 * l + 1) * power) / safe * has
        return dens, q


def shifted_lj(r, eps, sigma, cutoff):
    """Lennard-Jones pair energy cut at ``cutoff`` (a distance) and shifted to zero there
    (``pair_modify shift yes``); arguments broadcast (one value per pair or one for all)."""
    x = sigma / np.maximum(r, 1e-12)
    xc = sigma / cutoff
    return np.where(r < cutoff, 4.0 * eps * ((x**12 - x**6) - (xc**12 - xc**6)), 0.0)


class PairEnergy:
    """Per-atom Lennard-Jones potential energy, ``e_i = 1/2 sum_j V(r_ij)`` with the pair
    potential cut at ``cutoff`` σ_ab and shifted to zero there, and its averages over each atom
    and its neighbours within each ``coarse_grain`` radius (coarse-grained energy is a strong
    single predictor of glassy propensity).

    Args:
        pairs: ``{"a-b": [epsilon, sigma]}`` by atom type, e.g. the Kob–Andersen mixture
            ``{"1-1": [1.0, 1.0], "1-2": [1.5, 0.8], "2-2": [0.5, 0.88]}``.
        cutoff: cutoff in units of each pair's σ.
        coarse_grain: averaging radii (length).

    ``__call__(positions, cell, pbc, types) -> (n, 1 + len(coarse_grain))`` float64 (energy units).
    """

    def __init__(
        self, pairs: dict, cutoff: float = 2.5, coarse_grain: tuple[float, ...] = (1.5, 2.5, 3.5)
    ) -> None:
        self.pairs = {}
        for key, (eps, sig) in pairs.items():
            a, b = (int(t) for t in str(key).split("-"))
            self.pairs[(a, b)] = self.pairs[(b, a)] = (float(eps), float(sig))
        self.cutoff = float(cutoff)
        self.coarse_grain = tuple(float(c) for c in coarse_grain)

    def feature_names(self) -> list[str]:
        return ["e_pair", *(f"cg{r:g}_e_pair" for r in self.coarse_grain)]

    def __call__(self, positions, cell=None, pbc=None, types=None) -> np.ndarray:
        if hasattr(positions, "positions"):
            frame = positions
            positions, cell, pbc, types = frame.positions, frame.cell, frame.pbc, frame.types
        positions = np.asarray(positions, dtype=float)
        types = np.asarray(types)
        n = len(positions)
        sig_max = max(s for _, s in self.pairs.values())
        reach = max(self.cutoff * sig_max, *self.coarse_grain) if self.coarse_grain else (
            self.cutoff * sig_max)  # fmt: skip
        i, j, dist = neighbor_list(reach).compute(
            points=positions, box=np.asarray(cell, dtype=float),
            periodic=list(np.broadcast_to(pbc, 3)), quantities="ijd",
        )  # fmt: skip
        eps = np.zeros(len(i))
        sig = np.ones(len(i))
        for (a, b), (e, s) in self.pairs.items():
            sel = (types[i] == a) & (types[j] == b)
            eps[sel], sig[sel] = e, s
        v = shifted_lj(dist, eps, sig, self.cutoff * sig)
        e = np.bincount(i, 0.5 * v, minlength=n)
        return np.stack([e, *neighbour_means(i, j, dist, e, self.coarse_grain, n)], axis=1)


def displacement_descriptors(
    start: np.ndarray,
    end: np.ndarray,
    cell: np.ndarray,
    pbc,
    coarse_grain: tuple[float, ...] = (),
    split_normal: bool = False,
) -> np.ndarray:
    """Per-atom displacement from ``start`` to ``end`` (minimum image along the periodic axes of
    an orthorhombic ``cell``): its length, with ``split_normal`` also its parts in the xy plane
    and along z (a film's wall breaks the symmetry), then the length averaged over each atom and
    its neighbours in ``start`` within each ``coarse_grain`` radius.

    The displacement to a configuration's inherent or cage state measures how freely an atom
    rattles in its cage, a strong single predictor of its dynamical propensity.
    ``-> (n, 1 [+ 2] + len(coarse_grain))`` float64 (length)."""
    start = np.asarray(start, dtype=float)
    cell = np.asarray(cell, dtype=float)
    pbc = np.broadcast_to(np.asarray(pbc, dtype=bool), 3)
    if start.shape != np.shape(end):
        raise ValueError(f"start and end differ in shape: {start.shape} and {np.shape(end)}")
    d = np.asarray(end, dtype=float) - start
    side = np.diag(cell)
    for ax in np.flatnonzero(pbc):
        d[:, ax] -= side[ax] * np.round(d[:, ax] / side[ax])
    length = np.linalg.norm(d, axis=1)
    cols = [length]
    if split_normal:
        cols += [np.linalg.norm(d[:, :2], axis=1), np.abs(d[:, 2])]
    if coarse_grain:
        n = len(start)
        i, j, dist = neighbor_list(max(coarse_grain)).compute(
            points=start, box=cell, periodic=list(pbc), quantities="ijd"
        )
        cols += neighbour_means(i, j, dist, length, coarse_grain, n)
    return np.stack(cols, axis=1)


def film_pair_energy(
    positions: np.ndarray,
    cell: np.ndarray,
    pbc,
    substrate: np.ndarray,
    eps_sl: float,
    sigma_sl: float = 1.0,
    eps_ll: float = 1.0,
    sigma_ll: float = 1.0,
    cutoff: float = 2.5,
    coarse_grain: tuple[float, ...] = (),
) -> np.ndarray:
    """Each liquid atom's Lennard-Jones energy in a film on a rigid substrate, split by partner:
    with the liquid (half of each pair), with the substrate (whole pairs: the substrate does not
    move), their sum; then these averaged over each atom and its liquid neighbours within each
    ``coarse_grain`` radius. Pairs cut at ``cutoff`` (a distance) and shifted to zero there, as
    ``pair_modify shift yes``. Substrate rows are zero.

    How strongly the substrate holds a contact-layer atom, and how deep it sits among its
    neighbours, set how freely it moves. ``-> (n, 3 (1 + len(coarse_grain)))`` float64 (energy)."""
    positions = np.asarray(positions, dtype=float)
    substrate = np.asarray(substrate, dtype=bool)
    if substrate.shape != (len(positions),):
        raise ValueError("give one substrate flag per atom")
    n = len(positions)
    reach = max(cutoff, *coarse_grain) if coarse_grain else cutoff
    i, j, dist = neighbor_list(reach).compute(
        points=positions, box=np.asarray(cell, dtype=float),
        periodic=list(np.broadcast_to(pbc, 3)), quantities="ijd",
    )  # fmt: skip

    liquid_i = ~substrate[i]
    ll = liquid_i & ~substrate[j]
    sl = liquid_i & substrate[j]
    e_ll = np.bincount(i[ll], 0.5 * shifted_lj(dist[ll], eps_ll, sigma_ll, cutoff), minlength=n)
    e_sl = np.bincount(i[sl], shifted_lj(dist[sl], eps_sl, sigma_sl, cutoff), minlength=n)
    e = np.stack([e_ll, e_sl, e_ll + e_sl], axis=1)
    return np.hstack([e, *neighbour_means(i[ll], j[ll], dist[ll], e, coarse_grain, n)])
