"""Named scalar descriptors of an interface, each of the liquid or of the substrate (the descriptor
route, after Fitzner, Pedevilla & Michaelides 2020).

:class:`InterfaceDescriptors` maps frames of one interface (and, for the substrate–liquid
interaction, the pair parameters) to a dict of floats; :data:`DESCRIPTORS` documents every name with
its unit and kind. Units: ``L`` is the frame's length unit (σ or Å), ``E`` its energy unit.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from nucleate.errors import InputError
from nucleate.featurize.base import FEATURIZERS, Context, Featurizer
from nucleate.featurize.surface import (
    SECOND_TYPE,
    PairLJ,
    atom_strengths,
    lateral_pairs,
    scan_energies,
    substrate_descriptors,
)
from nucleate.frame import Frame
from nucleate.structure.crystallinity import Crystallinity
from nucleate.structure.layers import LayerDetector, LayerProfile, liquid_heights, unmoved
from nucleate.structure.libraries import neighbor_list
from nucleate.structure.order import RadialBondOrder, freud_system, steinhardt


@dataclass(frozen=True)
class Descriptor:
    name: str
    unit: str
    kind: str  # "liquid" or "substrate"
    doc: str


def _d(name, unit, kind, doc):
    return Descriptor(name, unit, kind, doc)


_LAYER_DOCS = [
    ("rho_areal_{k}", "L^-2", "atoms of layer {k} per area, frame mean"),
    (
        "rho_rel_{k}",
        "1",
        "layer {k} density against the bulk liquid: areal density / (bulk density x layer width)",
    ),
    ("height_{k}", "L", "height of the density peak of layer {k} above the substrate surface"),
    ("width_{k}", "L", "standard deviation of the heights of layer {k} atoms"),
    ("peak_rel_{k}", "1", "peak density of layer {k} over the bulk density (layering amplitude)"),
    (
        "psi6_{k}",
        "1",
        "mean |psi_6| in-plane hexatic order of layer {k} (6 nearest in-layer neighbours)",
    ),
    (
        "psi4_{k}",
        "1",
        "mean |psi_4| in-plane square order of layer {k} (4 nearest in-layer neighbours)",
    ),
    (
        "q6bar_{k}",
        "1",
        "mean Lechner-Dellago q6-bar of layer {k} atoms (12 nearest liquid neighbours)",
    ),
    ("q4bar_{k}", "1", "mean Lechner-Dellago q4-bar of layer {k} atoms"),
    ("crystal_{k}", "1", "fraction of layer {k} atoms crystal-like by the ten Wolde criterion"),
    (
        "registry_{k}",
        "1",
        "lateral order of layer {k} at the substrate's reciprocal vectors: mean |S(G)|/N over the first shell",
    ),
    ("psi6_{k}_std", "1", "standard deviation over frames of psi6_{k}"),
    ("q6bar_{k}_std", "1", "standard deviation over frames of q6bar_{k}"),
    ("rho_areal_{k}_std", "L^-2", "standard deviation over frames of rho_areal_{k}"),
]
_LIQUID = [
    _d("rho_bulk", "L^-3", "liquid", "number density of the middle of the film"),
    _d("spacing_12", "L", "liquid", "distance between the density peaks of layers 1 and 2"),
    _d("onset_1", "L", "liquid", "height where the liquid density first rises above the substrate"),
    _d(
        "g2d_peak_1",
        "1",
        "liquid",
        "height of the first peak of the in-plane pair correlation of layer 1",
    ),
    _d(
        "g2d_r_1",
        "L",
        "liquid",
        "position of the first peak of the in-plane pair correlation of layer 1",
    ),
    _d(
        "sk_max_1",
        "1",
        "liquid",
        "lateral crystal order of layer 1 whatever the substrate: the largest in-plane structure "
        "factor amplitude |sum_j exp(iG.r_j)|/N over the cell's wavevectors near the first "
        "peak (0.7 to 1.4 x 2 pi/d), frame mean",
    ),
    _d(
        "sk_static_1",
        "1",
        "liquid",
        "lateral order of layer 1 that persists over the frames (atoms held at sites): the "
        "largest amplitude of the frame-averaged density wave, |sum over frames and atoms of "
        "exp(iG.r)| / atoms summed, at the same wavevectors",
    ),
]
_SUBSTRATE = [
    _d("sub_nn", "L", "substrate", "nearest-neighbour distance in the substrate's top layer"),
    _d("sub_density", "L^-2", "substrate", "atoms of the top substrate layer per area"),
    _d("sub_layer_spacing", "L", "substrate", "spacing between the top two substrate layers"),
    _d(
        "sub_coordination",
        "1",
        "substrate",
        "in-plane nearest neighbours of a top-layer atom: the facet (6 for fcc(111), 4 for (100), 2 for (110))",
    ),
    _d("sub_roughness", "L", "substrate", "standard deviation of the substrate surface height"),
    _d(
        "mismatch",
        "1",
        "substrate",
        "nearest-neighbour distance of the top layer over that of the crystal, minus 1 (needs a0)",
    ),
    _d("eps_sl", "E", "substrate", "substrate-liquid interaction strength"),
    _d("e_ads_min", "E", "substrate", "adsorption energy of one liquid atom at the best site"),
    _d(
        "e_ads_mean",
        "E",
        "substrate",
        "adsorption energy averaged over the surface (minimum over height at each point)",
    ),
    _d(
        "corrugation",
        "E",
        "substrate",
        "max - min of the adsorption-energy landscape over the surface",
    ),
    _d("h_ads", "L", "substrate", "height of the adsorption minimum at the best site"),
    _d(
        "h_ads_range",
        "L",
        "substrate",
        "max - min over the surface of the height of the adsorption minimum",
    ),
    _d(
        "eps_density",
        "E L^-2",
        "substrate",
        "eps_sl x surface atom density (mean-field attraction)",
    ),
    # defined for any slab from its atoms and the pair potential (nucleate.featurize.surface)
    _d("exposed_density", "L^-2", "substrate",
       "substrate atoms a liquid atom can touch (under the local surface), per area"),
    _d("match_111", "1", "substrate",
       "local structure factor of the exposed atoms at the crystal's (111) net, best orientation"),
    _d("match_100", "1", "substrate", "as match_111, against the crystal's (100) net"),
    _d("match_110", "1", "substrate", "as match_111, against the crystal's (110) net"),
    _d("lattice_match", "1", "substrate",
       "best of match_111, match_100, match_110: 1 for a facet of the crystal itself"),
    _d("site_density", "L^-2", "substrate",
       "deep adsorption sites (minima of the fine landscape below its mean) per area"),
    _d("site_depth", "E", "substrate", "mean adsorption energy of the deep sites"),
    _d("landscape_std", "E", "substrate", "spread of the fine adsorption-energy landscape"),
]  # fmt: skip

#: descriptors that are a grid's parameters rather than computed from a slab (a user's slab has
#: none; models meant for any substrate leave them out: SelectConfig.exclude)
GRID_PARAMETERS = ("mismatch", "eps_sl", "eps_density")


_PRECURSOR = [
    _d("pre_frac_1", "1", "liquid",
       "fraction of layer 1 atoms pre-ordered: q-bar6 between the liquid's and the crystals' "
       "ranges at the temperature (see nucleate.featurize.precursors)"),
    _d("crys_like_1", "1", "liquid", "fraction of layer 1 atoms crystal-like by q-bar6"),
    _d("pre_q6_1", "1", "liquid", "mean q-bar6 of the pre-ordered atoms of layer 1"),
    _d("lean_fcc_1", "1", "liquid", "fraction of ordered layer 1 atoms nearest the fcc reference"),
    _d("lean_hcp_1", "1", "liquid", "fraction of ordered layer 1 atoms nearest the hcp reference"),
    _d("lean_bcc_1", "1", "liquid", "fraction of ordered layer 1 atoms nearest the bcc reference"),
]  # fmt: skip


def descriptor_table(n_layers: int = 2, precursors: bool = False) -> list[Descriptor]:
    """Every descriptor name with unit, kind and meaning (with ``precursors``, the pre-ordered
    liquid descriptors of the contact layer too)."""
    out = list(_LIQUID)
    for k in range(1, n_layers + 1):
        out += [_d(n.format(k=k), u, "liquid", doc.format(k=k)) for n, u, doc in _LAYER_DOCS]
    return out + (list(_PRECURSOR) if precursors else []) + list(_SUBSTRATE)


DESCRIPTORS = descriptor_table(2)  # the default set; precursor_temperature adds _PRECURSOR


def bond_order_descriptors(order: RadialBondOrder, n_layers: int) -> list[Descriptor]:
    """The layer means of the radial bond order (``bo{k}_<column>``, liquid): each of
    ``order``'s per-atom columns averaged over the atoms of layer k and the frames."""
    return [
        _d(f"bo{k}_{n}", "", "liquid", f"mean over layer {k} atoms of the radial bond order {n}")
        for k in range(1, n_layers + 1)
        for n in order.feature_names()
    ]


def adsorption_landscape(
    substrate_xyz: np.ndarray,
    lateral: np.ndarray,
    pair: PairLJ,
    top: float,
    grid: int = 12,
    strengths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimum over height of the energy of one liquid atom above the substrate, on a grid x grid
    lateral mesh over the cell; returns ``(energy (grid, grid), height above top (grid, grid))``.
    ``strengths``: per-atom ε (a two-component surface); default ``pair.eps`` for every atom."""
    substrate_xyz = np.asarray(substrate_xyz, dtype=float)
    heights = np.linspace(0.3 * pair.sigma, 2.0 * pair.sigma, 171)
    u = (np.arange(grid) + 0.5) / grid
    fu, fv = np.meshgrid(u, u, indexing="ij")
    # the mesh moves with the substrate (anchored at its first top atom): shifting the whole
    # interface leaves the landscape as it was
    anchor = substrate_xyz[np.argmax(substrate_xyz[:, 2] > substrate_xyz[:, 2].max() - 1e-6), :2]
    probes_xy = anchor + fu.reshape(-1, 1) * lateral[0] + fv.reshape(-1, 1) * lateral[1]
    pairs = lateral_pairs(probes_xy, substrate_xyz[:, :2], lateral, pair.cutoff)
    weight = np.full(len(pairs.atom), float(pair.eps)) if strengths is None else (
        np.asarray(strengths, dtype=float)[pairs.atom])  # fmt: skip
    # (probes, heights), inf at heights that cannot be a probe's lowest
    energy = scan_energies(pairs.probe, len(probes_xy), pairs.r_xy2,
                           substrate_xyz[pairs.atom, 2] - top, weight,
                           PairLJ(1.0, pair.sigma, pair.cutoff), heights)  # fmt: skip
    best = np.argmin(energy, axis=1)
    e_min = energy[np.arange(len(best)), best].reshape(grid, grid)
    return e_min, heights[best].reshape(grid, grid)


def _in_plane(xy: np.ndarray, lateral: np.ndarray, cutoff: float):
    """In-plane neighbour pairs of the points ``xy`` (periodic in the plane) within ``cutoff``:
    (i, vec (pairs, 2), dist), each point's pairs one run, nearest first."""
    pts = np.column_stack([xy, np.zeros(len(xy))])
    box = np.array([[*lateral[0], 0.0], [*lateral[1], 0.0], [0.0, 0.0, 1.0]])
    i, vec, dist = neighbor_list(cutoff).compute(
        points=pts, box=box, periodic=[True, True, False], quantities="iDd"
    )
    order = np.lexsort((dist, i))
    # (np.take: a fancy index with a slice, vec[order, :2], is several times slower)
    return i[order], np.take(vec, order, axis=0)[:, :2], dist[order]


def _psi(pairs, n: int, folds: tuple[int, ...], cutoff: float) -> list[np.ndarray]:
    """|psi_n| per point for each n of ``folds``, from its n nearest in-plane neighbours within
    ``cutoff``, from the :func:`_in_plane` pairs of ``n`` points (at least that cutoff); the
    bond angles computed once for all."""
    if n < min(folds) + 1:
        return [np.zeros(n) for _ in folds]
    i, vec, dist = pairs
    within = dist < cutoff
    i, vec = i[within], vec[within]
    rank = np.arange(len(i)) - np.searchsorted(i, i)
    near = rank < max(folds)
    i, rank = i[near], rank[near]
    angle = np.arctan2(vec[near, 1], vec[near, 0])
    out = []
    for n_fold in folds:
        if n < n_fold + 1:
            out.append(np.zeros(n))
            continue
        keep = rank < n_fold
        phase = np.exp(1j * n_fold * angle[keep])
        total = np.bincount(i[keep], weights=phase.real, minlength=n) + 1j * np.bincount(
            i[keep], weights=phase.imag, minlength=n
        )
        count = np.bincount(i[keep], minlength=n)
        out.append(np.abs(total) / np.maximum(count, 1))
    return out


def _g2d_peak(pairs, n: int, lateral: np.ndarray, r_max: float) -> tuple[float, float]:
    """First peak (height, position) of the in-plane pair correlation g(r) of ``n`` points, from
    their :func:`_in_plane` pairs (within at least ``r_max``)."""
    if n < 3:
        return float("nan"), float("nan")
    dist = pairs[2]
    area = abs(np.linalg.det(lateral))
    edges = np.linspace(0, r_max, 61)
    # np.histogram's counts (bins [e_k, e_k+1)), without its generic checks (per layer and frame)
    counts = np.bincount(np.searchsorted(edges, dist[dist < r_max], side="right") - 1,
                         minlength=len(edges) - 1)  # fmt: skip
    shell = np.pi * (edges[1:] ** 2 - edges[:-1] ** 2)
    g = counts / (n * shell * n / area)
    k = int(np.argmax(g))
    return float(g[k]), float(0.5 * (edges[k] + edges[k + 1]))


def _reciprocal_shell(sub_xy: np.ndarray, lateral: np.ndarray, n_min: int = 12) -> np.ndarray:
    """The substrate top layer's strongest reciprocal vectors (its first Bragg shell): of the
    cell's reciprocal vectors (h, k up to where |G| passes 1.5 × 4π / (√3 a), a the layer's mean
    spacing, beyond the first shell of any 2-D net that dense; at least ±``n_min``), those with
    a structure factor above 0.5, the shortest (within 1 %), in (h, k) order. The structure
    factors of all of them by one non-uniform FFT (:func:`density_waves`): a large cell (its
    first shell at high h, k, thousands of shorter vectors) costs little more than a small
    one."""
    recip = 2 * np.pi * np.linalg.inv(lateral).T  # rows b1, b2 with a_i . b_j = 2 pi delta
    spacing = np.sqrt(abs(np.linalg.det(lateral)) / max(len(sub_xy), 1))
    k_max = 1.5 * 4 * np.pi / (np.sqrt(3) * spacing)
    n_max = max(n_min, int(np.ceil(k_max * np.linalg.norm(lateral, axis=1).max() / (2 * np.pi))))
    h, k = np.meshgrid(np.arange(-n_max, n_max + 1), np.arange(-n_max, n_max + 1), indexing="ij")
    hk = np.column_stack([h.ravel(), k.ravel()])
    g = hk[:, :1] * recip[0] + hk[:, 1:] * recip[1]
    norms = np.linalg.norm(g, axis=1)
    nonzero = norms > 1e-9
    hk, g, norms = hk[nonzero], g[nonzero], norms[nonzero]
    if len(sub_xy) == 0:
        return g[:0]
    strong = np.flatnonzero(np.abs(density_waves(sub_xy, lateral, hk)) / len(sub_xy) > 0.5)
    if not len(strong):
        return g[:0]
    return g[strong[norms[strong] < norms[strong].min() * 1.01]]


def _cell_wavevectors(lateral: np.ndarray, k_lo: float, k_hi: float) -> np.ndarray:
    """Integer (h, k) of the periodic cell's in-plane wavevectors G = h b1 + k b2 with
    k_lo <= |G| <= k_hi, one of each +-G pair (their amplitudes are equal)."""
    recip = 2 * np.pi * np.linalg.inv(lateral).T  # rows b1, b2 with a_i . b_j = 2 pi delta
    n = int(np.ceil(k_hi * np.linalg.norm(lateral, axis=1).max() / (2 * np.pi))) + 1
    h, k = np.meshgrid(np.arange(0, n + 1), np.arange(-n, n + 1), indexing="ij")
    hk = np.column_stack([h.ravel(), k.ravel()])
    hk = hk[(hk[:, 0] > 0) | ((hk[:, 0] == 0) & (hk[:, 1] > 0))]
    norm = np.linalg.norm(hk @ recip, axis=1)
    return hk[(norm >= k_lo) & (norm <= k_hi)]


def density_waves(xy: np.ndarray, lateral: np.ndarray, hk: np.ndarray) -> np.ndarray:
    """sum_j exp(i G.r_j) at the wavevectors ``hk`` (from fractional coordinates, so that the
    same (h, k) is the same wave in frames whose cell differs slightly).

    By a type-1 non-uniform FFT (finufft, relative precision 1e-13) over the box of every
    (h, k) up to the largest asked for: the number of wavevectors in a shell grows with the
    cell's area, so the direct sum over atoms x wavevectors would grow as the area squared."""
    import finufft

    if len(hk) == 0 or len(xy) == 0:
        return np.zeros(len(hk), dtype=complex)
    frac = xy @ np.linalg.inv(lateral)
    angle = 2.0 * np.pi * (frac - np.floor(frac))  # exp(2 pi i h f) is periodic in f
    n = int(np.abs(hk).max())
    x, y = (np.ascontiguousarray(a) for a in angle.T)
    modes = finufft.nufft2d1(x, y, np.ones(len(xy), dtype=complex), (2 * n + 1, 2 * n + 1),
                             eps=1e-13, isign=1, nthreads=1)  # fmt: skip
    return modes[hk[:, 0] + n, hk[:, 1] + n]


def _mean(values) -> float:
    """Mean of per-frame values; NaN without a warning when there are none (a layer that
    the weakest substrates do not have)."""
    return float(np.mean(values)) if len(values) else float("nan")


def _std(values) -> float:
    return float(np.std(values)) if len(values) else float("nan")


@FEATURIZERS.register("descriptors", aliases=("descriptor",))
class InterfaceDescriptors(Featurizer):
    """Configured callable: frames of one interface -> {descriptor name: value}.

    Args:
        n_layers: layers described (1 or 2).
        a0: the bulk crystal's lattice constant (for ``mismatch``); NaN when unknown.
        pair: substrate–liquid pair for the adsorption landscape (None: those are NaN).
        grid: lateral probe mesh of the adsorption landscape.
        detector: layer detector.
        stride: per-frame order (ψ, q̄l, crystal fraction, g(r), areal densities) from every
            ``stride``-th frame only; the layer profile always uses every frame.
        precursor_temperature: add the pre-ordered liquid descriptors of the contact layer,
            against liquid / fcc / hcp / bcc references simulated at this temperature (LJ
            units; T_eq of the data set). q̄ of the contact layer is taken over all atoms, the
            substrate's included.
        bond_order: add the layer means of these radial bond-order descriptors
            (:class:`~nucleate.structure.order.RadialBondOrder`, after Boattini et al.; a dict
            of its settings in a config, ``{}`` for its defaults): ``bo1_...``, ``bo2_...``.
        bond_order_stride: the bond order from every ``bond_order_stride``-th of the frames the
            per-frame order uses (it is the costliest part).

    As a featurizer (``features``): ``names`` and ``values`` arrays, with the context's full
    substrate and the sample's ``eps_sl`` / ``eps_sl2``; a data set's campaign supplies ``a0``.
    """

    name = "descriptors"
    nested: ClassVar[dict[str, type]] = {
        "pair": PairLJ,
        "detector": LayerDetector,
        "bond_order": RadialBondOrder,
    }
    dataset_settings = ("a0",)

    def __init__(
        self,
        n_layers: int = 2,
        a0: float | None = None,
        pair: PairLJ | None = None,
        grid: int = 12,
        detector: LayerDetector | None = None,
        stride: int = 1,
        precursor_temperature: float | None = None,
        bond_order: RadialBondOrder | None = None,
        bond_order_stride: int = 4,
    ) -> None:
        self.precursor_temperature = precursor_temperature
        if int(bond_order_stride) < 1:
            raise InputError(
                f"bond_order_stride must be a positive integer, not {bond_order_stride}"
            )
        self.bond_order = bond_order
        self.bond_order_stride = int(bond_order_stride)
        if int(stride) < 1:
            raise InputError(f"stride must be a positive integer, not {stride}")
        self.stride = int(stride)
        self.n_layers = n_layers
        self.a0 = a0
        self.pair = pair
        self.grid = grid
        self.detector = detector or LayerDetector(n_layers=n_layers)
        self.crystallinity = Crystallinity()
        self.eps_sl2: float | None = None  # set per interface by __call__

    def names(self) -> list[str]:
        table = descriptor_table(self.n_layers, self.precursor_temperature is not None)
        if self.bond_order is not None:
            table += bond_order_descriptors(self.bond_order, self.n_layers)
        return [d.name for d in table]

    def features(self, frames: Sequence[Frame], context: Context) -> dict[str, np.ndarray]:
        values = self(
            frames,
            substrate=context.substrate,
            eps_sl=context.params.get("eps_sl"),
            eps_sl2=context.params.get("eps_sl2"),
        )
        return {"names": np.array(list(values)), "values": np.array(list(values.values()))}

    @classmethod
    def write(cls, out, results) -> None:
        """``descriptors.csv``: an ``id`` column and one column per descriptor."""
        ids = list(results)
        names = [str(n) for n in results[ids[0]]["names"]]
        tmp = out / ".descriptors.csv.tmp"
        with open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["id", *names])
            for i in ids:
                writer.writerow([i, *[f"{v:.8g}" for v in results[i]["values"]]])
        os.replace(tmp, out / "descriptors.csv")

    def __call__(
        self,
        frames: Frame | Iterable[Frame],
        substrate: Frame | None = None,
        eps_sl: float | None = None,
        eps_sl2: float | None = None,
    ) -> dict[str, float]:
        """Descriptors of the interface. ``substrate``: a frame holding the full substrate (deep
        enough for the pair cutoff) when the frames keep only its top layers; ``eps_sl``: this
        interface's substrate–liquid strength (replaces the configured pair's); ``eps_sl2``: that
        of a second substrate component (type 3), where the substrate has one."""
        if eps_sl is not None:
            base = self.pair or PairLJ(eps_sl)
            inner = InterfaceDescriptors(
                self.n_layers, self.a0, PairLJ(eps_sl, base.sigma, base.cutoff), self.grid,
                self.detector, self.stride, self.precursor_temperature, self.bond_order,
                self.bond_order_stride,
            )  # fmt: skip
            inner.eps_sl2 = eps_sl2
            return inner(frames, substrate)
        frames = [frames] if isinstance(frames, Frame) else list(frames)
        if not frames:
            raise InputError("no frames given")
        profile, surfaces = self.detector.with_surfaces(frames)
        out: dict[str, float] = {"rho_bulk": profile.bulk_density}
        sampled = frames[:: self.stride]
        per_layer = self._layers_values(sampled, profile, surfaces[:: self.stride])
        for k, values in enumerate(per_layer, start=1):
            layer = profile.layers[k - 1]
            width = layer.upper - layer.lower
            out[f"rho_areal_{k}"] = _mean(values["rho_areal"])
            out[f"rho_areal_{k}_std"] = _std(values["rho_areal"])
            out[f"rho_rel_{k}"] = out[f"rho_areal_{k}"] / (profile.bulk_density * width)
            out[f"height_{k}"] = layer.peak if np.isfinite(layer.peak) else _mean(values["h"])
            out[f"width_{k}"] = _std(values["h"])
            out[f"peak_rel_{k}"] = (
                layer.peak_density / profile.bulk_density
                if np.isfinite(layer.peak_density)
                else 1.0
            )
            for name in ("psi6", "psi4", "q6bar", "q4bar", "crystal", "registry"):
                out[f"{name}_{k}"] = _mean(values[name])
            out[f"psi6_{k}_std"] = _std(values["psi6"])
            out[f"q6bar_{k}_std"] = _std(values["q6bar"])
        out["spacing_12"] = (
            out["height_2"] - out["height_1"] if self.n_layers >= 2 else float("nan")
        )
        out["onset_1"] = profile.layers[0].lower
        g_peak, g_r = zip(*(v for v in per_layer[0]["g2d"]), strict=True)
        out["g2d_peak_1"] = _mean(g_peak)
        out["g2d_r_1"] = _mean(g_r)
        waves, n = np.array(per_layer[0]["waves"]), np.array(per_layer[0]["n"])
        if waves.size and n.sum():  # (a frame without contact-layer atoms counts as 0)
            out["sk_max_1"] = float(np.mean(np.abs(waves).max(axis=1) / np.maximum(n, 1)))
            out["sk_static_1"] = float(np.abs(waves.sum(axis=0)).max() / n.sum())
        else:
            out["sk_max_1"] = out["sk_static_1"] = 0.0
        if self.bond_order is not None:
            names = self.bond_order.feature_names()
            for k, values in enumerate(per_layer, start=1):
                total, count = np.sum(values["bo_sum"], axis=0), np.sum(values["bo_n"])
                mean = total / count if count else np.full(len(names), np.nan)
                out.update({f"bo{k}_{n}": v for n, v in zip(names, mean, strict=True)})
        out.update(self._substrate(substrate or frames[0], profile))
        if self.precursor_temperature is not None:
            out.update(self._precursors(sampled, profile))
        return {name: float(out[name]) for name in self.names()}

    def _precursors(self, frames, profile: LayerProfile) -> dict[str, float]:
        from nucleate.featurize.precursors import classifier_at, contact_layer_order

        a0 = self.a0 if self.a0 and np.isfinite(self.a0) else 1.617
        pc = classifier_at(float(self.precursor_temperature), float(a0))
        d = pc.descriptors(contact_layer_order(frames, profile))
        return {"pre_frac_1": d["frac_preordered"], "crys_like_1": d["frac_crystal_like"],
                "pre_q6_1": d["q6_preordered"], "lean_fcc_1": d["lean_fcc"],
                "lean_hcp_1": d["lean_hcp"], "lean_bcc_1": d["lean_bcc"]}  # fmt: skip

    def _layers_values(self, frames, profile: LayerProfile, surfaces) -> list[dict[str, list]]:
        """Per layer 1..n_layers, the per-frame values of its atoms; what belongs to a frame (its
        surface, heights, bond order, solid-like atoms, the substrate's reciprocal shell) is
        computed once per frame for every layer."""
        # waves, n: layer 1's density waves and its number of atoms
        names = ("rho_areal", "psi6", "psi4", "q6bar", "q4bar", "crystal", "registry", "g2d", "h",
                 "waves", "n", "bo_sum", "bo_n")  # fmt: skip
        per = [{n: [] for n in names} for _ in range(self.n_layers)]
        d = profile.d_liquid
        # the first peak of a dense layer's structure factor: 2 pi/d (square) to 4 pi/(sqrt3 d)
        hk = _cell_wavevectors(frames[0].cell[:2, :2], 0.7 * 2 * np.pi / d, 1.4 * 2 * np.pi / d)
        scale = 1.5 / 1.09 * d  # the ten Wolde cutoff scaled to this liquid's spacing
        cr = Crystallinity(
            scale, self.crystallinity.q_threshold, self.crystallinity.solid_threshold
        )
        last = None  # the top layer and cell that ``g`` belongs to
        for n_frame, (frame, surface) in enumerate(zip(frames, surfaces, strict=True)):
            lateral = frame.cell[:2, :2]
            h = liquid_heights(frame, profile.reference, surface)
            liq = frame.positions[frame.liquid]
            order = None
            if self.bond_order is not None and n_frame % self.bond_order_stride == 0:
                order = self.bond_order(frame.positions, frame.cell, frame.pbc, frame.types)
                order = order[frame.liquid]
            system = freud_system(liq, frame.cell, frame.pbc)  # one freud view for both
            q_all = steinhardt(liq, frame.cell, frame.pbc, system=system)
            solid = cr.solid_like(liq, frame.cell, frame.pbc, system=system)
            top_sub = frame.positions[frame.substrate]
            top_sub = top_sub[top_sub[:, 2] > top_sub[:, 2].max() - 0.25 * profile.d_substrate]
            if not unmoved(top_sub, lateral, last):
                g = _reciprocal_shell(top_sub[:, :2], lateral)  # a frozen substrate: made once
                last = (top_sub, lateral)
            for layer, vals in zip(profile.layers[: self.n_layers], per, strict=True):
                sel = (h >= layer.lower) & (h < layer.upper)
                xy = liq[sel, :2]
                vals["h"].extend(h[sel].tolist())
                vals["rho_areal"].append(sel.sum() / frame.lateral_area)
                # one neighbour list per layer for psi6, psi4 (within 2 d) and g(r) (2.5 d)
                pairs = _in_plane(xy, lateral, 2.5 * d) if len(xy) >= 3 else None
                n_xy = len(xy)
                psi6, psi4 = _psi(pairs, n_xy, (6, 4), 2.0 * d)
                vals["psi6"].append(float(np.mean(psi6)) if n_xy else 0.0)
                vals["psi4"].append(float(np.mean(psi4)) if n_xy else 0.0)
                q = q_all[sel]
                vals["q4bar"].append(float(q[:, 0].mean()) if len(q) else 0.0)
                vals["q6bar"].append(float(q[:, 1].mean()) if len(q) else 0.0)
                vals["crystal"].append(float(solid[sel].mean()) if sel.any() else 0.0)
                if len(g) and len(xy):
                    s = np.abs(np.exp(1j * xy @ g.T).sum(axis=0)) / len(xy)
                    vals["registry"].append(float(s.mean()))
                else:
                    vals["registry"].append(0.0)
                vals["g2d"].append(_g2d_peak(pairs, n_xy, lateral, 2.5 * d))
                if order is not None:
                    vals["bo_sum"].append(order[sel].sum(axis=0))
                    vals["bo_n"].append(int(sel.sum()))
                if layer is profile.layers[0]:
                    vals["waves"].append(density_waves(xy, lateral, hk))
                    vals["n"].append(len(xy))
        return per

    def _substrate(self, frame: Frame, profile: LayerProfile) -> dict[str, float]:
        from nucleate.structure.layers import nearest_neighbour_distance

        sub = frame.positions[frame.substrate]
        z = sub[:, 2]
        top = z.max()
        d_sub = profile.d_substrate
        top_layer = sub[z > top - 0.25 * d_sub]
        planes = np.unique(np.round(z, 2))
        spacing = float(planes[-1] - planes[-2]) if len(planes) > 1 else float("nan")
        lateral = frame.cell[:2, :2]
        nn_top = (
            nearest_neighbour_distance(_periodic_copies(top_layer, lateral))
            if len(top_layer) > 1 else float("nan")
        )  # fmt: skip
        out = {
            "sub_coordination": _in_plane_coordination(top_layer, lateral, nn_top),
            "sub_nn": nn_top,
            "sub_density": len(top_layer) / frame.lateral_area,
            "sub_layer_spacing": spacing,
            "sub_roughness": profile.roughness,
            "mismatch": nn_top / (self.a0 / np.sqrt(2)) - 1.0 if self.a0 else float("nan"),
            "eps_sl": self.pair.eps if self.pair else float("nan"),
        }
        types = frame.types[frame.substrate]
        strengths = None
        if self.pair is not None and np.any(types == SECOND_TYPE):
            strengths = atom_strengths(types, self.pair.eps, self.eps_sl2)
        d0 = self.a0 / np.sqrt(2) if self.a0 else None
        out.update(substrate_descriptors(sub, types, lateral, d0, self.pair, self.eps_sl2))
        if self.pair is not None:
            e, h = adsorption_landscape(sub, lateral, self.pair, top, self.grid, strengths)
            best = np.unravel_index(np.argmin(e), e.shape)
            out.update(
                e_ads_min=float(e.min()),
                e_ads_mean=float(e.mean()),
                corrugation=float(e.max() - e.min()),
                h_ads=float(h[best]),
                h_ads_range=float(h.max() - h.min()),
            )
        else:
            out.update(
                {
                    k: float("nan")
                    for k in ("e_ads_min", "e_ads_mean", "corrugation", "h_ads", "h_ads_range")
                }
            )
        out["eps_density"] = out["eps_sl"] * out["sub_density"]
        return out


def _periodic_copies(points: np.ndarray, lateral: np.ndarray) -> np.ndarray:
    """Points with their 8 lateral periodic neighbours (so nearest neighbours across the edge
    count)."""
    shifts = [i * lateral[0] + j * lateral[1] for i in (-1, 0, 1) for j in (-1, 0, 1)]
    return np.concatenate([points + np.array([*s, 0.0]) for s in shifts])


def _in_plane_coordination(top: np.ndarray, lateral: np.ndarray, nn: float) -> float:
    """Mean number of top-layer neighbours within 1.1 nearest-neighbour distances."""
    if len(top) < 2 or not np.isfinite(nn):
        return float("nan")
    pts = np.column_stack([top[:, :2], np.zeros(len(top))])
    box = np.array([[*lateral[0], 0.0], [*lateral[1], 0.0], [0.0, 0.0, 1.0]])
    (i,) = neighbor_list(1.1 * nn).compute(
        points=pts, box=box, periodic=[True, True, False], quantities="i"
    )
    return float(len(i) / len(top))
