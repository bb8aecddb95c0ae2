"""Campaigns: many liquid-on-substrate simulations from one config, in parallel and resumable.

One task is one substrate: an equilibrium run at T_eq (frames of the interfacial region kept) and
several cooling ramps from it (seeds), giving T_n, its spread, censoring and the polymorph. Each task
is one single-core LAMMPS process; tasks run over a local process pool, or a Dask cluster when the
config says so. A finished task is a complete sample directory (see :mod:`nucleate.data.dataset`);
running the campaign again skips finished samples, so a killed campaign resumes where it stopped.
A :class:`Campaign` is run by the one campaign runner, :func:`nucleate.data.runner.run_campaign`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from nucleate import __version__
from nucleate.data import dataset
from nucleate.data.executor import ExecutorConfig
from nucleate.data.families import FAMILIES, build_named
from nucleate.data.runner import stored_settings
from nucleate.data.simulate.md import Potential
from nucleate.data.substrates import FACETS
from nucleate.errors import InputError
from nucleate.structure.libraries import neighbor_list


@dataclass
class FamilyGrid:
    """One substrate family over values of its parameter × strengths.

    Attributes:
        family: a registered family (see :mod:`nucleate.data.families`), e.g. ``bcc110``.
        values: values of its parameter (mismatch, fraction, coverage, width, sigma, angle).
        eps_sl: substrate–liquid strengths; empty = the grid's ``eps_sl``.
        eps_sl2: strength of the second component of two-component families.
    """

    family: str = "fcc111"
    values: list[float] = field(default_factory=list)
    eps_sl: list[float] = field(default_factory=list)
    eps_sl2: float | None = None


@dataclass
class SubstrateGrid:
    """Substrates: fcc facets × mismatch × ε_sl (a_s = a0 (1 + mismatch)), registered families ×
    their parameter × ε_sl, plus slab files.

    Attributes:
        facets: any of "111", "100", "110".
        mismatch: lattice mismatches (fractions, e.g. -0.04).
        eps_sl: substrate–liquid interaction strengths.
        families: other substrate families, each over its own values (see :class:`FamilyGrid`).
        files: user-supplied slabs (any ASE format); each is one sample at each ``eps_sl``.
        n_layers: frozen substrate layers.
        min_lateral: smallest lateral box length.
        sigma_sl: substrate–liquid σ.
    """

    facets: list[str | int] = field(default_factory=lambda: list(FACETS))
    mismatch: list[float] = field(default_factory=lambda: [-0.04, 0.0, 0.04])
    eps_sl: list[float] = field(default_factory=lambda: [0.5, 1.0])
    families: list[FamilyGrid] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    n_layers: int = 3
    min_lateral: float = 10.0
    sigma_sl: float = 1.0


@dataclass
class InterfaceConfig:
    """The liquid film: atoms, starting density, gap to the substrate."""

    n_liquid: int = 1500
    density: float = 0.75
    gap: float = 1.0


@dataclass
class EquilibriumConfig:
    """Melt at ``t_melt``, equilibrate at ``t_eq``, then keep ``n_frames`` frames ``frame_every``
    time units apart. Times in the potential's time unit (τ for LJ)."""

    t_melt: float = 1.2
    t_eq: float = 0.70
    melt_time: float = 20.0
    eq_time: float = 50.0
    n_frames: int = 10
    frame_every: float = 5.0
    damp: float = 1.0


@dataclass
class RampConfig:
    """Cooling ramps from T_eq to ``t_floor`` at ``rate`` (temperature per time unit), ``seeds``
    per substrate. T_n: the crystal beyond the contact layers reaches ``threshold`` of the liquid
    there (see :func:`nucleate.data.simulate.md.cooling_ramp`).

    ``rates``: every rate to label at, ``seeds`` ramps each (empty: ``rate`` alone). ``rate`` stays
    the primary one: a sample's ``labels`` are those at ``rate`` and ``labels_by_rate`` holds every
    rate. ``check_every`` is the interval at ``rate``; at another rate it is scaled so that the
    temperature falls by the same amount between checks."""

    t_floor: float = 0.35
    rate: float = 0.0015
    seeds: int = 2
    rates: list[float] = field(default_factory=list)
    threshold: float = 0.1
    check_every: int = 500
    stop_factor: float = 2.0
    stop_below: float = 0.03
    restart_time: float = 10.0
    r_cut: float = 1.5
    q_threshold: float = 0.7
    solid_threshold: int = 7


@dataclass
class StoreConfig:
    """What each sample keeps: substrate atoms within 0.9 (``substrate_layers`` − 1/2) substrate
    nearest-neighbour distances of the surface (the top two layers of (111) and (100) at the
    default, three of (110)), liquid up to ``keep_height`` above the surface (length unit),
    positions rounded to ``decimals``."""

    keep_height: float = 4.0
    substrate_layers: int = 2
    decimals: int = 4


@dataclass
class Campaign:
    """A data-generation campaign (one YAML file).

    ``reuse``: data sets made with the same protocol; a substrate finished there is copied in
    instead of simulated again (ramps at rates it lacks are then added to it).
    """

    name: str = "lj-fcc"
    out: str = "data/lj-fcc"
    a0: float = 1.6
    seed: int = 0
    potential: Potential = field(default_factory=Potential)
    substrates: SubstrateGrid = field(default_factory=SubstrateGrid)
    interface: InterfaceConfig = field(default_factory=InterfaceConfig)
    equilibrium: EquilibriumConfig = field(default_factory=EquilibriumConfig)
    ramp: RampConfig = field(default_factory=RampConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)
    reuse: list[str] = field(default_factory=list)

    #: what one task makes, in progress bars and messages
    unit: ClassVar[str] = "substrate"

    @property
    def executor_config(self) -> ExecutorConfig:
        return self.executor

    @property
    def worker(self):
        """The function that runs one task in a worker process (:func:`run_task`)."""
        return run_task

    def check_compatible(self, root: Path) -> None:
        check_compatible(self, root)

    def prepare(self, root: Path, tasks: list[dict], pending: list[dict], progress: bool):
        """Before the run: finished samples of ``reuse`` data sets copied in, top-ups of finished
        samples that lack ramps, labels of finished samples recomputed by the current rule.
        Returns the tasks to run, how many of them are top-ups and the counts of each step."""
        reused = reuse_samples(self, root, pending)
        if reused and progress:
            print(f"{root}: {len(reused)} finished samples copied from {', '.join(self.reuse)}")
        pending = [t for t in pending if t["id"] not in set(reused)]
        topped = top_up_tasks(root, tasks)
        relabelled = relabel(root, asdict(self.ramp))
        if relabelled and progress:
            print(
                f"{root}: labels of {len(relabelled)} finished samples recomputed by the current "
                f"rule: {', '.join(relabelled[:5])}{' ...' if len(relabelled) > 5 else ''}"
            )
        counts = {"topped_up": len(topped), "relabelled": len(relabelled), "reused": len(reused)}
        return pending + topped, len(topped), counts

    def settings(self) -> dict:
        """The campaign as plain data: ``campaign.yaml`` of its data set."""
        return dataset.to_plain(asdict(self))

    def write_manifest(self, root) -> int:
        return dataset.write_manifest(root)

    def validate(self) -> None:
        """Raise :class:`InputError` on the first bad value, before any simulation starts."""
        s, i, e, r = self.substrates, self.interface, self.equilibrium, self.ramp
        for facet in s.facets:
            if str(facet) not in FACETS:
                raise InputError(f"unknown facet '{facet}'; use one of {', '.join(FACETS)}")
        positive = {
            "a0": self.a0,
            "interface.n_liquid": i.n_liquid,
            "interface.density": i.density,
            "substrates.n_layers": s.n_layers,
            "substrates.min_lateral": s.min_lateral,
            "equilibrium.t_eq": e.t_eq,
            "equilibrium.t_melt": e.t_melt,
            "equilibrium.n_frames": e.n_frames,
            "equilibrium.frame_every": e.frame_every,
            "ramp.rate": r.rate,
            "ramp.seeds": r.seeds,
            "ramp.check_every": r.check_every,
            "ramp.threshold": r.threshold,
        }
        for name, value in positive.items():
            if not value > 0:
                raise InputError(f"{name} must be positive, not {value}")
        for name, value in {"equilibrium.melt_time": e.melt_time, "equilibrium.eq_time": e.eq_time,
                            "ramp.t_floor": r.t_floor}.items():  # fmt: skip
            if value < 0:
                raise InputError(f"{name} must not be negative, not {value}")
        for m in s.mismatch:
            if not -0.5 < m < 0.5:
                raise InputError(f"mismatch {m} is outside (-0.5, 0.5): give fractions, not %")
        for eps in [*s.eps_sl, *(e for g in s.families for e in g.eps_sl)]:
            if eps < 0:
                raise InputError(f"eps_sl must not be negative, not {eps}")
        for g in s.families:
            fam = FAMILIES.get(g.family)
            if not g.values:
                raise InputError(f"substrate family {g.family}: give its values ({fam.param})")
            for v in g.values:
                fam.check(v)
            if fam.two_component and (g.eps_sl2 is None or g.eps_sl2 < 0):
                raise InputError(f"{g.family} has two components: give eps_sl2 (not negative)")
            if not fam.two_component and g.eps_sl2 is not None:
                raise InputError(f"{g.family} has one component: eps_sl2 does not apply")
        for rate in r.rates:
            if not rate > 0:
                raise InputError(f"ramp.rates must be positive, not {rate}")
        if r.rates and r.rate not in r.rates:
            raise InputError(f"ramp.rates {r.rates} must include the primary ramp.rate {r.rate}")
        if len(set(r.rates)) != len(r.rates):
            raise InputError(f"ramp.rates {r.rates} repeats a rate")
        for src in self.reuse:
            if not (Path(src) / "campaign.yaml").exists():
                raise InputError(f"reuse: {src} has no campaign.yaml; is it a nucleate data set?")
        if r.t_floor >= e.t_eq:
            raise InputError(f"the ramp floor {r.t_floor} must lie below T_eq {e.t_eq}")
        if self.executor.workers < 0:
            raise InputError("executor.workers must be 0 (all cores) or positive")
        if not (s.facets and s.mismatch and s.eps_sl) and not s.files and not s.families:
            raise InputError("the campaign has no substrates")
        for f in s.files:
            if not Path(f).exists():
                raise InputError(f"substrate file {f}: no such file")
        from nucleate.data.simulate import start_lammps

        lmp = start_lammps()
        try:
            self.potential.check(lmp)
        finally:
            lmp.close()

    def tasks(self) -> list[dict]:
        """One task per substrate, each a plain dict a worker process can take."""
        s = self.substrates
        out = []
        config = asdict(self)
        for facet in s.facets:
            for m in s.mismatch:
                for eps in s.eps_sl:
                    sid = f"fcc{facet}_m{m * 100:+05.1f}_e{eps:.2f}"
                    out.append(
                        {"id": sid, "kind": "family", "family": f"fcc{facet}", "value": float(m),
                         "eps_sl": float(eps), "campaign": config}
                    )  # fmt: skip
        for g in s.families:
            fam = FAMILIES.get(g.family)
            for v in g.values:
                for eps in g.eps_sl or s.eps_sl:
                    out.append(
                        {"id": f"{fam.slab_id(v)}_e{eps:.2f}", "kind": "family", "family": fam.name,
                         "value": float(v), "eps_sl": float(eps), "eps_sl2": g.eps_sl2,
                         "campaign": config}
                    )  # fmt: skip
        for f in s.files:
            for eps in s.eps_sl:
                stem = Path(f).name.split(".")[0]
                out.append(
                    {"id": f"file-{stem}_e{eps:.2f}", "kind": "file", "path": str(Path(f).resolve()),
                     "eps_sl": float(eps), "campaign": config}
                )  # fmt: skip
        ids = [t["id"] for t in out]
        if len(ids) != len(set(ids)):
            raise InputError("two substrates have the same id (repeated grid values or file names)")
        return out


def task_seed(base: int, sample_id: str, k: int) -> int:
    digest = hashlib.sha256(f"{base}:{sample_id}:{k}".encode()).hexdigest()
    return int(digest[:7], 16) % 900_000_000 + 1


def campaign_potential(c: dict) -> Potential:
    """The potential of a campaign dict (as saved in campaign.yaml and in checkpoints)."""
    return Potential(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in c["potential"].items()}
    )


def equilibrate_interface(
    lmp, slab, eps_sl: float, c: dict, sample_id: str, eps_sl2: float | None = None
):
    """The campaign's equilibrium protocol for one sample, shared by data generation and
    prediction: the liquid film on ``slab``, loaded into ``lmp``, minimised, melted and sampled at
    T_eq, with the seeds of ``sample_id``. Returns (frames, substrate top, layer profile); ``lmp``
    stays open at the equilibrated configuration. ``eps_sl2``: the strength of a second substrate
    component (atomic number 3 in ``slab``)."""
    from nucleate.data.simulate.md import build_interface, equilibrium, load_interface
    from nucleate.structure.layers import LayerDetector

    pot = campaign_potential(c)
    inter, eq = c["interface"], c["equilibrium"]
    atoms, _ = build_interface(
        slab, inter["n_liquid"], inter["density"], inter["gap"], task_seed(c["seed"], sample_id, 0)
    )
    load_interface(lmp, atoms, pot, eps_sl, c["substrates"]["sigma_sl"], eps_sl2)

    def steps(time_units: float) -> int:
        return time_steps(time_units, pot.timestep)

    frames = equilibrium(
        lmp, pot.units, eq["t_melt"], eq["t_eq"], steps(eq["melt_time"]), steps(eq["eq_time"]),
        eq["n_frames"], steps(eq["frame_every"]), task_seed(c["seed"], sample_id, 1), eq["damp"],
    )  # fmt: skip
    return frames, float(atoms.info["substrate_top"]), LayerDetector(n_layers=2)(frames)


def family_slab(name: str, value: float, c: dict, eps_sl2: float | None = None):
    """The slab of a family substrate as campaign ``c`` builds it, its family name and the
    sample parameters it records (fcc facets keep lj-fcc-v1's: facet, mismatch, a_s)."""
    fam = FAMILIES.get(name)
    sub = c["substrates"]
    slab, _ = build_named(fam, value, c["a0"], sub["n_layers"], sub["min_lateral"], c["seed"])
    if name in ("fcc111", "fcc100", "fcc110"):
        params = {"facet": slab.info["facet"], "mismatch": float(value), "a_s": slab.info["a_s"]}
    else:
        params = {"param": fam.param, "value": float(value), fam.param: float(value)}
        if "a_s" in slab.info:
            params["a_s"] = slab.info["a_s"]
        if fam.two_component:
            params["eps_sl2"] = eps_sl2
    return slab, fam.name, params


def time_steps(time_units: float, dt: float) -> int:
    """A duration in the campaign's time units as a number of steps (at least one)."""
    return max(1, round(time_units / dt))


def ramp_rates(ramp: dict) -> list[float]:
    """Every cooling rate of a campaign's ``ramp`` settings, the primary ``rate`` first."""
    rates = [float(r) for r in ramp.get("rates") or []]
    return [float(ramp["rate"]), *(r for r in rates if r != float(ramp["rate"]))]


def rate_key(rate: float) -> str:
    """A rate as the key of ``labels_by_rate`` and the suffix of manifest columns."""
    return f"{float(rate):g}"


def rate_of(ramp_record: dict, primary: float) -> float:
    """The rate a stored ramp ran at (ramps made before rates were recorded ran at the data
    set's primary rate)."""
    return float(ramp_record.get("rate", primary))


def missing_ramps(ramps: list[dict], ramp: dict) -> list[tuple[float, int]]:
    """The (rate, index) of each ramp a sample with ``ramps`` still needs: ``seeds`` per rate."""
    out = []
    for rate in ramp_rates(ramp):
        have = sum(rate_of(r, ramp["rate"]) == rate for r in ramps)
        out += [(rate, k) for k in range(have, ramp["seeds"])]
    return out


def ramp_seed(base: int, sample_id: str, rate: float, k: int, primary: float) -> int:
    """The seed of ramp ``k`` at ``rate``: the primary rate's are those of a one-rate campaign."""
    key = sample_id if rate == primary else f"{sample_id}@{rate_key(rate)}"
    return task_seed(base, key, 10 + k)


def check_interval(ramp: dict, rate: float) -> int:
    """Steps between crystal checks at ``rate``: ``check_every`` at the primary rate, scaled so the
    temperature falls by the same amount between two checks at every rate."""
    return max(1, round(ramp["check_every"] * float(ramp["rate"]) / rate))


def sample_labels(ramps: list[dict], ramp: dict) -> dict:
    """A sample's label fields: ``labels`` from the ramps at the primary rate and, for a campaign
    of several rates, ``labels_by_rate`` (see :func:`ramp_labels`)."""
    primary = float(ramp["rate"])
    out = {"labels": ramp_labels([r for r in ramps if rate_of(r, primary) == primary],
                                 ramp["t_floor"])}  # fmt: skip
    rates = sorted({rate_of(r, primary) for r in ramps} | {primary})  # rates with ramps
    if len(ramp_rates(ramp)) > 1 or len(rates) > 1:
        out["labels_by_rate"] = {
            rate_key(rate): ramp_labels(
                [r for r in ramps if rate_of(r, primary) == rate], ramp["t_floor"]
            )
            for rate in rates
        }
    return out


def run_task(task: dict, root: str) -> dict:
    """Simulate one substrate and write its sample directory; returns the sample record.

    A task with ``"top_up"`` (the sample's existing record, see :func:`top_up_tasks`) adds the
    missing ramps to a finished sample: the equilibrium run is repeated with the sample's seeds
    (checked against the stored frames), the ramps it lacks (:func:`missing_ramps`: up to ``seeds``
    at every rate) run with the seeds they would have had, and the sample is replaced by one with
    all ramps and new labels (its equilibrium frames are kept as they were).

    Runs in a worker process: one serial LAMMPS instance, threads limited to one.
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from nucleate.data.io import read_frames
    from nucleate.data.simulate import start_lammps

    c = task["campaign"]
    sid, old = task["id"], task.get("top_up")
    start = time.time()
    slab, family, params = _task_slab(task, c)
    ramps = list(old["ramps"]) if old else []
    crystals = []
    if old and "crystals.extxyz.gz" in old.get("files", {}):
        crystals = read_frames(dataset.sample_dir(root, sid) / "crystals.extxyz.gz", side=None)
    reproduced = None
    lmp = start_lammps()
    try:
        frames, top, profile = equilibrate_interface(lmp, slab, task["eps_sl"], c, sid,
                                                     task.get("eps_sl2"))  # fmt: skip
        kept = [interfacial_region(f, top, profile, c["store"]) for f in frames]
        if old:
            # as stored: liquid seeped into a holed slab stays, as in the frames just re-made
            stored = read_frames(dataset.sample_dir(root, sid) / "frames.extxyz.gz", side=None)
            reproduced = _max_deviation(kept, stored)
        new, grown = _run_ramps(lmp, c, sid, missing_ramps(ramps, c["ramp"]), top,
                                profile.layers[-1].upper)  # fmt: skip
        ramps += new
        crystals += grown
    finally:
        lmp.close()
    record = {
        "id": sid,
        "family": family,
        "parameters": params,
        **sample_labels(ramps, c["ramp"]),
        "ramps": ramps,
        "layers": profile.summary(),
        "units": campaign_potential(c).units,
        "t_eq": c["equilibrium"]["t_eq"],
        "substrate_top": top,
        "wall_seconds": round(time.time() - start, 1),
        "nucleate_version": __version__,
        "lammps_version": _lammps_version(),
    }
    _commit_task(root, record, kept, crystals, old, reproduced)
    return record


def _task_slab(task: dict, c: dict):
    """``(slab, family, parameters)`` of a task: a registered family's slab or a user file."""
    from nucleate.data.substrates import load_substrate

    sub, inter = c["substrates"], c["interface"]
    if task["kind"] == "family":
        slab, family, params = family_slab(task["family"], task["value"], c, task.get("eps_sl2"))
    else:
        slab = load_substrate(task["path"])
        params = {"facet": "user", "file": task["path"]}
        family = "user"
    params.update(eps_sl=task["eps_sl"], sigma_sl=sub["sigma_sl"], n_liquid=inter["n_liquid"])
    return slab, family, params


def _run_ramps(lmp, c: dict, sid: str, plan, top: float, contact: float):
    """The planned cooling ramps ``(rate, k)`` from the equilibrated interface in ``lmp``: each
    from the equilibrium configuration, re-thermalised with its own seed. Returns the ramp
    records and the grown crystals with the liquid around them."""
    from nucleate.data.simulate.md import cooling_ramp, thermalise
    from nucleate.structure.crystallinity import Crystallinity

    pot, eq, rp, store = campaign_potential(c), c["equilibrium"], c["ramp"], c["store"]
    dt = pot.timestep
    n = lmp.get_natoms()
    x_eq = np.array(lmp.numpy.extract_atom("x")[:n]).copy()
    crystallinity = Crystallinity(rp["r_cut"], rp["q_threshold"], rp["solid_threshold"])
    ramps, crystals = [], []
    for i, (rate, k) in enumerate(plan):
        seed = ramp_seed(c["seed"], sid, rate, k, rp["rate"])
        if i > 0:  # back to the equilibrium configuration, decorrelated at T_eq
            lmp.numpy.extract_atom("x")[:n] = x_eq
        thermalise(lmp, eq["t_eq"], time_steps(rp["restart_time"], dt), seed + 1, eq["damp"])
        result = cooling_ramp(
            lmp, units=pot.units, t_start=eq["t_eq"], t_floor=rp["t_floor"], rate=rate,
            seed=seed, substrate_top=top, contact_height=contact, threshold=rp["threshold"],
            check_every=check_interval(rp, rate), stop_factor=rp["stop_factor"],
            stop_below=rp["stop_below"], crystallinity=crystallinity, damp=eq["damp"],
            timestep=dt,
        )  # fmt: skip
        if result.crystal is not None:
            crystals.append(_crystal_region(result.final, result.crystal, store))
        ramps.append(
            {"seed": seed, "rate": rate, "tn": result.tn, "censored": result.censored,
             "polymorph": result.polymorph, "steps": result.steps,
             "trace": asdict(result.trace)}
        )  # fmt: skip
    return ramps, crystals


def _commit_task(root: str, record: dict, kept, crystals, old: dict | None, reproduced) -> None:
    """Stage the sample's files and commit it; a top-up keeps the sample's frames and layers and
    replaces it, with the top-up's cost and reproduction check in ``top_ups``."""
    from nucleate.data.io import write_frames

    sid = record["id"]
    staging = dataset.staging_dir(root, sid)
    if old:  # the frames stay the file the sample was made with
        shutil.copyfile(
            dataset.sample_dir(root, sid) / "frames.extxyz.gz", staging / "frames.extxyz.gz"
        )
    else:
        write_frames(staging / "frames.extxyz.gz", kept)
    if crystals:  # the grown crystals with the liquid around them, to revisit their polymorph
        write_frames(staging / "crystals.extxyz.gz", crystals)
    if not old:
        dataset.commit_sample(root, staging, record)
        return
    spent = record["wall_seconds"]
    record["layers"] = old["layers"]
    if "reused_from" in old:
        record["reused_from"] = old["reused_from"]
    record["wall_seconds"] = round(old["wall_seconds"] + spent, 1)
    record["top_ups"] = [*old.get("top_ups", []), {
        "ramps_before": len(old["ramps"]), "ramps_after": len(record["ramps"]),
        "wall_seconds": spent, "equilibrium_max_deviation": reproduced,
        "nucleate_version": __version__, "lammps_version": record["lammps_version"],
    }]  # fmt: skip
    dataset.replace_sample(root, staging, record)


def ramp_labels(ramps: list[dict], t_floor: float) -> dict:
    """A substrate's labels from its ramps. T_n is the mean over the ramps when none is
    censored; when some are, the median over all of them, a censored ramp counting as below
    the floor (the mean of the uncensored ones alone would be biased upwards). The substrate is
    censored (T_n only known to lie below ``t_floor``) when that median lies below the floor:
    when at least half of its ramps are. ``tn_std`` is the standard deviation of the
    uncensored ramps."""
    tns = [r["tn"] for r in ramps if not r["censored"]]
    n_cens = sum(r["censored"] for r in ramps)
    censored = n_cens * 2 >= len(ramps)
    poly = {}
    if tns:
        keys = ("fcc", "hcp", "bcc", "other")
        poly = {
            k: float(np.mean([r["polymorph"][k] for r in ramps if r["polymorph"]])) for k in keys
        }
    if censored or not tns:
        tn = None
    elif n_cens:
        tn = float(np.median(tns + [-np.inf] * n_cens))
    else:
        tn = float(np.mean(tns))
    return {
        "tn": tn,
        "tn_std": float(np.std(tns, ddof=1)) if len(tns) > 1 and not censored else None,
        "tn_censored": bool(censored),
        "tn_upper_bound": t_floor if censored else None,
        "n_ramps": len(ramps),
        "n_censored": int(n_cens),
        "polymorph": poly,
    }


def relabel(root: Path, ramp: dict) -> list[str]:
    """Recompute the labels of finished samples from their stored ramps with
    :func:`sample_labels` (``ramp``: the campaign's ramp settings) and rewrite those that differ
    (``sample.json`` only, atomically: the frames and their hashes are untouched); returns their
    ids. Keeps a data set true to the current label rule."""
    changed = []
    for record in dataset.iter_records(root):
        fields = sample_labels(record["ramps"], ramp)
        if any(dataset.to_plain(v) != dataset.to_plain(record.get(k)) for k, v in fields.items()):
            record.update(fields)
            dataset.write_record(dataset.sample_dir(root, record["id"]), record)
            changed.append(record["id"])
    return changed


def _max_deviation(frames, stored) -> float | None:
    """Largest per-atom position difference between re-made and stored frames (``None`` when
    the frames differ in number or atoms: the re-made equilibrium is then only statistically
    the same one)."""
    if len(frames) != len(stored) or any(
        a.positions.shape != b.positions.shape for a, b in zip(frames, stored, strict=True)
    ):
        return None
    dev = 0.0
    for a, b in zip(frames, stored, strict=True):
        frac = (a.positions - b.positions) @ np.linalg.inv(a.cell)
        frac[:, a.pbc] -= np.round(frac[:, a.pbc])  # the stored frames are wrapped into the cell
        dev = max(dev, float(np.abs(frac @ a.cell).max(initial=0.0)))
    return dev


def _lammps_version() -> int:
    from nucleate.data.simulate import import_lammps

    return int(getattr(import_lammps(), "__version__", 0))


def interfacial_region(frame, top: float, profile, store: dict):
    """The interfacial region of a frame: the top substrate layers and the liquid below
    ``keep_height`` above the surface; positions rounded."""
    z = frame.positions[:, 2]
    spacing = profile.d_substrate
    sub_keep = frame.substrate & (z >= top - (store["substrate_layers"] - 0.5) * spacing * 0.9)
    liq_keep = frame.liquid & (z - top <= store["keep_height"])
    keep = sub_keep | liq_keep
    return frame.replace(
        positions=np.round(frame.positions[keep], store["decimals"]),
        types=frame.types[keep],
        substrate=frame.substrate[keep],
        liquid=frame.liquid[keep],
        arrays={},
    )


def _crystal_region(frame, crystal: np.ndarray, store: dict, margin: float = 2.5):
    """The grown crystal of a ramp's last frame and the liquid within ``margin`` of it (enough to
    recompute averaged bond order of its atoms); per-atom array ``crystal`` marks the cluster."""
    liquid = np.flatnonzero(frame.liquid)
    i, j = neighbor_list(margin).compute(
        points=frame.positions[liquid], box=frame.cell, periodic=list(frame.pbc), quantities="ij"
    )
    member = crystal[liquid]
    near = member.copy()
    near[j[member[i]]] = True
    keep = liquid[near]
    return frame.replace(
        positions=np.round(frame.positions[keep], store["decimals"]),
        types=frame.types[keep],
        substrate=frame.substrate[keep],
        liquid=frame.liquid[keep],
        arrays={"crystal": crystal[keep]},
    )


def top_up_tasks(root: Path, tasks: list[dict]) -> list[dict]:
    """Tasks that add ramps to finished samples that have fewer than the campaign's
    ``ramp.seeds`` at one of its rates (run :func:`pending_tasks` first: it removes corrupt
    samples)."""
    done = {r["id"]: r for r in dataset.iter_records(root)}
    out = []
    for t in tasks:
        record = done.get(t["id"])
        if record is not None and missing_ramps(record["ramps"], t["campaign"]["ramp"]):
            out.append({**t, "top_up": record})
    return out


#: campaign settings a data set's samples must share (more ramps or substrates may be added)
_FIXED = ("a0", "seed", "potential", "interface", "equilibrium", "store")
#: ramp settings that may differ between data sets of one protocol (how many ramps, which rates)
_RAMP_FREE = ("seeds", "rates")


def settings_differ(old, new) -> bool:
    """Whether two saved settings differ; a setting only one of them has (added to nucleate
    since the other was saved, at its default) does not count."""
    if isinstance(old, dict) and isinstance(new, dict):
        return any(k in new and settings_differ(v, new[k]) for k, v in old.items())
    return old != new


def protocol_differences(old: dict, new: dict) -> list[str]:
    """The protocol sections in which two saved campaign settings differ: every setting but the
    substrates, the executor and the ramps' ``seeds`` and ``rates`` (a ramp setting added to
    nucleate since one was saved counts as its default)."""
    changed = [k for k in _FIXED if k in old and k in new and settings_differ(old[k], new[k])]
    ramp_old = {k: v for k, v in old.get("ramp", {}).items() if k not in _RAMP_FREE}
    ramp_new = {k: v for k, v in new.get("ramp", {}).items() if k not in _RAMP_FREE}
    if ramp_old and ramp_new and settings_differ(ramp_old, ramp_new):
        changed.append("ramp")
    return changed


def check_compatible(campaign: Campaign, root: Path) -> None:
    """Refuse to resume a data set made with other settings: its samples would mix protocols.
    The substrate grid, the executor and ``ramp.seeds`` / ``ramp.rates`` may change; nothing
    else."""
    stored = stored_settings(root)
    if stored is None:
        return
    changed = protocol_differences(stored, campaign.settings())
    if changed:
        raise InputError(
            f"{root} was made with other {', '.join(changed)} settings "
            f"({root / 'campaign.yaml'}); samples made with different protocols cannot share a "
            "data set: use a new `out` directory, or "
            "change only the substrate grid, the executor, ramp.seeds or ramp.rates"
        )


def reuse_samples(campaign: Campaign, root: Path, pending: list[dict]) -> list[str]:
    """Copy into ``root`` the samples of ``campaign.reuse`` data sets for ``pending`` tasks (those
    this campaign has not finished, see :func:`pending_tasks`): same id, same parameters, same
    protocol (refused otherwise). Copies are staged and sealed like new samples; returns their
    ids."""
    import yaml

    done: set[str] = set()
    new = dataset.to_plain(asdict(campaign))
    copied = []
    for src in campaign.reuse:
        stored = yaml.safe_load((Path(src) / "campaign.yaml").read_text()) or {}
        changed = protocol_differences(stored, new)
        if changed:
            raise InputError(
                f"reuse: {src} was made with other {', '.join(changed)} settings than "
                f"{campaign.name}; its samples cannot be reused"
            )
        theirs = {r["id"]: r for r in dataset.iter_records(src, verify=True)}
        for t in pending:
            record = theirs.get(t["id"])
            if record is None or t["id"] in done:
                continue
            if record["parameters"].get("eps_sl") != t["eps_sl"]:
                raise InputError(f"reuse: {src}/{t['id']} has another eps_sl than the task")
            staging = dataset.staging_dir(root, t["id"])
            for name in record.get("files", {}):
                shutil.copyfile(dataset.sample_dir(src, t["id"]) / name, staging / name)
            record = {k: v for k, v in record.items() if k != "files"}
            record["reused_from"] = str(src)
            dataset.commit_sample(root, staging, record)
            done.add(t["id"])
            copied.append(t["id"])
    return copied


def join_datasets(roots: list[str | os.PathLike], out: str | os.PathLike) -> int:
    """One training set from data sets made with the same protocol (lj-fcc-v1 and lj-mix-v1): a
    directory ``out`` whose ``samples/<id>`` link to the sets' own samples, with a manifest of
    them all and the shared ``campaign.yaml``; returns the sample count. Refuses sets whose
    protocols differ (every setting but the substrates, the executor and ``ramp.seeds``) or
    whose sample ids clash. Nothing is copied: rebuild it after the sets grow."""
    import yaml

    if len(roots) < 2:
        raise InputError("give at least two data sets to join")
    configs = []
    for root in roots:
        path = Path(root) / "campaign.yaml"
        if not path.exists():
            raise InputError(f"{root}: no campaign.yaml; is this a nucleate data set?")
        configs.append(yaml.safe_load(path.read_text()) or {})
    first = configs[0]
    for root, c in zip(roots[1:], configs[1:], strict=True):
        changed = protocol_differences(first, c)
        if changed:
            raise InputError(
                f"{root} was made with other {', '.join(changed)} settings than {roots[0]}"
            )
    out = Path(out)
    if (out / dataset.SAMPLES).exists():
        shutil.rmtree(out / dataset.SAMPLES)
    (out / dataset.SAMPLES).mkdir(parents=True)
    seen: dict[str, str] = {}
    for root in roots:
        for record in dataset.iter_records(root):
            sid = record["id"]
            if sid in seen:
                raise InputError(f"sample {sid} is in both {seen[sid]} and {root}")
            seen[sid] = str(root)
            target = (Path(root) / dataset.SAMPLES / sid).resolve()
            os.symlink(os.path.relpath(target, out / dataset.SAMPLES), out / dataset.SAMPLES / sid)
    joined = {**first, "name": "+".join(str(c.get("name", r)) for c, r in zip(configs, roots,
              strict=True)), "out": str(out), "joined": [str(r) for r in roots]}  # fmt: skip
    dataset.atomic_write_text(out / "campaign.yaml", yaml.safe_dump(joined, sort_keys=False))
    return dataset.write_manifest(out)


def run_calibration(campaign: Campaign) -> dict:
    """Bulk calibration of the campaign's liquid (see :mod:`nucleate.data.calibrate`), written to
    ``calibration.json`` in the data set."""
    import json

    from nucleate.data.calibrate import calibrate

    eq, rp = campaign.equilibrium, campaign.ramp
    result = calibrate(
        campaign.potential,
        ramp=(eq.t_eq, rp.t_floor, rp.rate),
        workers=campaign.executor.workers,
    )
    root = Path(campaign.out)
    root.mkdir(parents=True, exist_ok=True)
    dataset.atomic_write_text(
        root / "calibration.json", json.dumps(dataset.to_plain(result), indent=1) + "\n"
    )
    return result


def run_bulk_rates(campaign: Campaign, seeds: int = 2) -> dict:
    """The bulk liquid's homogeneous crystallisation at every rate of the campaign
    (:func:`nucleate.data.calibrate.bulk_ramps`), written to ``bulk_rates.json`` in the data set:
    the reference line of its T_n against rate."""
    import json

    from nucleate.data.calibrate import bulk_ramps

    eq, rp = campaign.equilibrium, campaign.ramp
    start = time.time()
    result = bulk_ramps(
        campaign.potential, eq.t_eq, rp.t_floor, ramp_rates(asdict(rp)), campaign.a0, seeds,
        rp.rate, rp.check_every, campaign.executor.workers,
    )  # fmt: skip
    result["wall_seconds"] = round(time.time() - start, 1)
    root = Path(campaign.out)
    root.mkdir(parents=True, exist_ok=True)
    dataset.atomic_write_text(
        root / "bulk_rates.json", json.dumps(dataset.to_plain(result), indent=1) + "\n"
    )
    return result
