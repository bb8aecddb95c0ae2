"""Propensity labels for substrates of a T_n data set: isoconfigurational ensembles at T_eq.

For each chosen sample of a source data set (e.g. lj-fcc-v1), the substrate is rebuilt and the
source's own equilibrium protocol is run with the sample's own seeds
(:func:`~nucleate.data.campaign.equilibrate_interface`, so the first configuration is the state the
stored frames come from); then ``n_configs`` configurations, ``config_every`` apart at T_eq, each
give ``n_replicas`` NVE runs with fresh Maxwell–Boltzmann velocities. Stored per sample, in a
separate data set linked to the source by sample id:

- ``configs.extxyz.gz``: the configurations (whole film and substrate), with per-atom arrays
  ``propensity`` (mean |Δr| over the replicas at t*), ``propensity_t`` (the same at every time of
  ``times``) and ``height`` (above the substrate surface);
- ``ensemble.npz``: |Δr| of every replica at t* (float16, for noise ceilings), F_s(q*, t) and χ4(t)
  of the liquid and of the contact layer, per configuration;
- ``sample.json``: parameters, the source's T_n labels, q*, the χ4 peak time, the split-half noise
  ceilings (all liquid and contact layer) and the mean propensity per layer.

Run by the one campaign runner, :func:`nucleate.data.runner.run_campaign`: resumable and atomic;
a rerun with other label settings is refused.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from nucleate import __version__
from nucleate.data import dataset
from nucleate.data.executor import ExecutorConfig
from nucleate.data.runner import stored_settings
from nucleate.errors import InputError
from nucleate.structure import libraries

MANIFEST_COLUMNS = (
    "id", "family", "facet", "mismatch", "eps_sl", "tn", "tn_censored", "n_configs", "n_replicas",
    "t_star", "q_star", "chi4_peak", "ceiling", "ceiling_contact", "prop_contact", "prop_second",
    "prop_film", "files", "sha256",
)  # fmt: skip
#: settings that may change between runs of one propensity data set
FREE_SETTINGS = ("name", "out", "samples", "workers")


@dataclass
class PropensityCampaign:
    """Propensity labels for (some) samples of ``source``.

    Args:
        name: data set name.
        source: the T_n data set whose substrates and equilibrium protocol are used.
        out: the new data set directory.
        samples: source sample ids (empty: all of them).
        n_configs: configurations per sample.
        config_every: time at T_eq between configurations (Langevin; time units of the source).
        n_replicas: isoconfigurational replicas per configuration (≥ 24 for usable labels).
        times: times at which displacements are taken (increasing; t_star must be one of them).
        t_star: the label time (calibrate it at the peak of χ4, see the data card).
        q_star: wavenumber of F_s; ``None`` measures the first peak of the liquid's S(q).
        contact_height: atoms below this height above the substrate form the contact layer.
        seed: base seed of the replicas' velocities.
        workers: parallel simulations (0: one per core).
    """

    name: str = "lj-fcc-v1-propensity"
    source: str = "data/lj-fcc-v1"
    out: str = "data/lj-fcc-v1-propensity"
    samples: list[str] = field(default_factory=list)
    n_configs: int = 4
    config_every: float = 5.0
    n_replicas: int = 24
    times: list[float] = field(default_factory=lambda: [0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0])
    t_star: float = 1.5
    q_star: float | None = None
    contact_height: float = 1.2
    seed: int = 7
    workers: int = 0

    #: what one task makes, in progress bars and messages
    unit: ClassVar[str] = "substrate"

    @property
    def executor_config(self) -> ExecutorConfig:
        return ExecutorConfig(workers=self.workers)

    @property
    def worker(self):
        """The function that runs one task in a worker process (:func:`run_propensity_task`)."""
        return run_propensity_task

    def check_compatible(self, root: Path) -> None:
        """Refuse to resume a data set made with other label settings (its samples would mix
        protocols): only ``samples``, ``workers`` and ``name`` may change."""
        stored = (stored_settings(root) or {}).get("propensity", {})
        new = self.settings()["propensity"]
        changed = [k for k in new if k not in FREE_SETTINGS and k in stored and stored[k] != new[k]]
        if changed:
            raise InputError(
                f"{root} was made with other {', '.join(changed)} settings "
                f"({root / 'campaign.yaml'}); use a new "
                "`out` directory, or change only samples, workers or name"
            )

    def prepare(self, root: Path, tasks: list[dict], pending: list[dict], progress: bool):
        """Nothing to reuse or top up: the pending tasks as they are."""
        return pending, 0, {}

    def settings(self) -> dict:
        """The campaign as plain data, under ``propensity``: ``campaign.yaml`` of its data set."""
        return {"propensity": dataset.to_plain(asdict(self))}

    def write_manifest(self, root) -> int:
        return write_manifest(root)

    def validate(self) -> None:
        from nucleate.data.dataset import read_manifest

        if not (Path(self.source) / "campaign.yaml").exists():
            raise InputError(f"{self.source}: not a nucleate data set (no campaign.yaml)")
        ids = {r["id"] for r in read_manifest(self.source)}
        missing = [s for s in self.samples if s not in ids]
        if missing:
            raise InputError(f"samples not in {self.source}: {', '.join(missing[:5])}")
        if self.n_replicas < 4 or self.n_configs < 1:
            raise InputError("need n_configs >= 1 and n_replicas >= 4 (24 or more for labels)")
        t = list(self.times)
        if not t or any(b <= a for a, b in zip([0.0, *t], t, strict=False)):
            raise InputError(f"times must be positive and increasing, not {t}")
        if not any(abs(x - self.t_star) < 1e-9 for x in t):
            raise InputError(f"t_star {self.t_star} must be one of times {t}")

    def tasks(self) -> list[dict]:
        import yaml

        from nucleate.data.dataset import read_manifest

        source = yaml.safe_load((Path(self.source) / "campaign.yaml").read_text())
        rows = read_manifest(self.source)
        keep = set(self.samples) or {r["id"] for r in rows}
        settings = dataset.to_plain(asdict(self))
        return [
            {"id": r["id"], "row": r, "source": source, "settings": settings}
            for r in rows
            if r["id"] in keep
        ]


def contact_height_of(campaign: dict | None) -> float:
    """The contact layer's height in a propensity data set's campaign (its ``campaign.yaml`` as a
    dict, as models carry it): the height its contact-layer labels and ceiling were made with."""
    settings = (campaign or {}).get("propensity") or {}
    height = settings.get("contact_height")
    return float(PropensityCampaign.contact_height if height is None else height)


def liquid_structure_peak(frame, k_min: float = 2.0, k_max: float = 12.0) -> float:
    """Wavenumber of the first peak of the liquid's static structure factor (Debye formula over
    the liquid atoms, minimum-image distances), in inverse length units."""
    freud = libraries.freud()

    liq = frame.liquid
    cell = np.asarray(frame.cell)
    box = freud.box.Box(cell[0, 0], cell[1, 1], cell[2, 2], cell[1, 0] / cell[1, 1])
    pos = box.wrap(frame.positions[liq] - np.diag(cell) / 2)
    sf = freud.diffraction.StaticStructureFactorDebye(num_k_values=250, k_max=k_max, k_min=k_min)
    sf.compute((box, pos))
    return float(sf.k_values[int(np.argmax(sf.S_k))])


def run_propensity_task(task: dict, root: str) -> dict:
    """Simulate one sample's isoconfigurational ensembles and write its sample directory."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    c, s, row, sid = task["source"], task["settings"], task["row"], task["id"]
    start = time.time()
    if not row.get("facet") or row["facet"] == "user":
        raise InputError(f"{sid}: only generated fcc substrates can be rebuilt")
    times = [float(t) for t in s["times"]]
    k_star = int(np.argmin(np.abs(np.array(times) - s["t_star"])))
    configs, ensemble, top = _simulate_configs(c, s, row, sid, times, k_star)
    labels = _sample_labels(configs, ensemble["chi4"], s["contact_height"], times, k_star)
    staging = dataset.staging_dir(root, sid)
    _write_ensemble(staging, configs, ensemble, times, k_star)
    record = {
        "id": sid,
        "source_id": sid,
        "family": row.get("family", ""),
        "parameters": {
            "facet": row["facet"],
            "mismatch": float(row["mismatch"]),
            "eps_sl": float(row["eps_sl"]),
        },
        "source_labels": {
            "tn": float(row["tn"]) if row.get("tn") else None,
            "tn_censored": row.get("tn_censored") == "True",
        },
        "labels": labels,
        "n_configs": s["n_configs"],
        "n_replicas": s["n_replicas"],
        "units": c["potential"]["units"],
        "t_eq": c["equilibrium"]["t_eq"],
        "substrate_top": top,
        "wall_seconds": round(time.time() - start, 1),
        "nucleate_version": __version__,
    }
    dataset.commit_sample(root, staging, record)
    return record


def _simulate_configs(c: dict, s: dict, row: dict, sid: str, times: list, k_star: int):
    """The equilibrated interface, then ``n_configs`` configurations each with its
    isoconfigurational replicas: (configurations with their per-atom propensity, the ensemble's
    arrays (absolute displacements at t*, F_s and chi_4 of the film and the contact layer),
    the substrate's top)."""
    from nucleate.data.campaign import equilibrate_interface, task_seed, time_steps
    from nucleate.data.propensity import chi4, noise_ceiling, self_intermediate_scattering
    from nucleate.data.simulate import start_lammps
    from nucleate.data.simulate.md import isoconfigurational, snapshot, thermalise
    from nucleate.data.substrates import fcc_slab

    sub = c["substrates"]
    mismatch, eps = float(row["mismatch"]), float(row["eps_sl"])
    slab = fcc_slab(row["facet"], c["a0"] * (1.0 + mismatch), sub["n_layers"], sub["min_lateral"])
    dt = float(c["potential"]["timestep"])
    t_eq, damp = c["equilibrium"]["t_eq"], c["equilibrium"]["damp"]
    steps = [time_steps(t, dt) for t in times]
    configs = []
    ensemble = {k: [] for k in ("abs_displacement", "fs", "chi4", "fs_contact", "chi4_contact")}
    lmp = start_lammps()
    try:
        _, top, _ = equilibrate_interface(lmp, slab, eps, c, sid)
        for k in range(s["n_configs"]):
            if k > 0:
                thermalise(lmp, t_eq, time_steps(s["config_every"], dt),
                           task_seed(s["seed"], sid, 100 + k), damp)  # fmt: skip
            frame = snapshot(lmp, c["potential"]["units"], {"temperature": t_eq, "config": k})
            q = s["q_star"] or liquid_structure_peak(frame)
            seed = task_seed(s["seed"], sid, k)
            d = isoconfigurational(lmp, t_eq, steps, s["n_replicas"], seed)  # (R, T, n, 3)
            height = frame.positions[:, 2] - top
            liq = frame.liquid
            contact = liq & (height < s["contact_height"])
            mag = np.linalg.norm(d, axis=3)  # (R, T, n)
            prop_t = mag.mean(axis=0).T  # (n, T)
            # the noise ceiling from this configuration's replicas at t*
            ceil = noise_ceiling(d[:, k_star], liq)
            ceil_c = noise_ceiling(d[:, k_star], contact) if contact.sum() > 2 else None
            arrays = {"propensity": prop_t[:, k_star], "propensity_t": prop_t, "height": height}
            info = {**frame.info, "q_star": q, "t_star": times[k_star], "ceiling": ceil.max_r,
                    "ceiling_contact": ceil_c.max_r if ceil_c else float("nan")}  # fmt: skip
            configs.append(frame.replace(arrays=arrays, info=info))
            ensemble["abs_displacement"].append(mag[:, k_star].astype(np.float16))
            fs = self_intermediate_scattering(d, q, liq)
            x4 = chi4(d, q, liq)
            ensemble["fs"].append(fs)
            ensemble["chi4"].append(x4)
            ensemble["fs_contact"].append(
                self_intermediate_scattering(d, q, contact) if contact.any() else fs * 0
            )
            ensemble["chi4_contact"].append(chi4(d, q, contact) if contact.any() else x4 * 0)
    finally:
        lmp.close()
    return configs, ensemble, top


def _sample_labels(configs, x4, contact_height: float, times: list, k_star: int) -> dict:
    """The sample's labels: t*, q*, the chi_4 peak, the noise ceilings, and the mean propensity
    of the contact layer, the second layer and the whole film."""
    labels = {
        "t_star": times[k_star],
        "q_star": float(np.mean([f.info["q_star"] for f in configs])),
        "chi4_peak": times[int(np.argmax(np.mean(x4, axis=0)))],
        "ceiling": float(np.mean([f.info["ceiling"] for f in configs])),
        "ceiling_contact": float(np.nanmean([f.info["ceiling_contact"] for f in configs])),
    }
    layers = {"prop_contact": [], "prop_second": [], "prop_film": []}
    for f in configs:
        h, p, liq = f.arrays["height"], f.arrays["propensity"], f.liquid
        contact = liq & (h < contact_height)
        layers["prop_contact"].append(p[contact].mean() if contact.any() else np.nan)
        second = liq & (h >= contact_height) & (h < 2 * contact_height)
        layers["prop_second"].append(p[second].mean() if second.any() else np.nan)
        layers["prop_film"].append(p[liq].mean())
    labels.update({k: float(np.nanmean(v)) for k, v in layers.items()})
    return labels


def _write_ensemble(staging: Path, configs, ensemble: dict, times: list, k_star: int) -> None:
    """``configs.extxyz.gz`` (the configurations and their propensity) and ``ensemble.npz``."""
    from nucleate.data.io import write_frames

    write_frames(staging / "configs.extxyz.gz", configs)
    tmp = staging / "ensemble.tmp.npz"
    np.savez_compressed(
        tmp, abs_displacement=np.stack(ensemble["abs_displacement"]), times=np.array(times),
        t_star=times[k_star], q_star=np.array([f.info["q_star"] for f in configs]),
        **{k: np.array(ensemble[k]) for k in ("fs", "chi4", "fs_contact", "chi4_contact")},
    )  # fmt: skip
    os.replace(tmp, staging / "ensemble.npz")


def manifest_row(record: dict) -> dict:
    lab, par, src = record["labels"], record["parameters"], record["source_labels"]
    files = record.get("files", {})

    def num(v):
        return "" if v is None else f"{v:.6g}"

    return {
        "id": record["id"], "family": record["family"], "facet": par["facet"],
        "mismatch": par["mismatch"], "eps_sl": par["eps_sl"], "tn": num(src["tn"]),
        "tn_censored": src["tn_censored"], "n_configs": record["n_configs"],
        "n_replicas": record["n_replicas"],
        **{k: num(lab[k]) for k in ("t_star", "q_star", "chi4_peak", "ceiling", "ceiling_contact",
                                    "prop_contact", "prop_second", "prop_film")},
        "files": ";".join(f"{dataset.SAMPLES}/{record['id']}/{n}" for n in sorted(files)),
        "sha256": ";".join(files[n] for n in sorted(files)),
    }  # fmt: skip


def write_manifest(root: str | os.PathLike) -> int:
    return dataset.write_manifest(root, manifest_row, MANIFEST_COLUMNS)
