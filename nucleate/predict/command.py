"""What ``nucleate predict`` does (:class:`PredictConfig`, :func:`run_predict`): T_n of
trajectories or of substrates simulated with the training protocol (ranked, with warnings), or
per-atom propensity, written into a staging folder that is moved into place at the end."""

from __future__ import annotations

import csv
import json
import os
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from nucleate.data.dataset import SAMPLE_SIDE, sample_record
from nucleate.data.io import ReadOptions, read_frames
from nucleate.data.propensity_campaign import contact_height_of
from nucleate.errors import InputError
from nucleate.predict.core import load_checkpoints, predict_frames, screen
from nucleate.predict.per_atom import (
    load_propensity_checkpoints,
    model_geometry,
    plot_per_atom,
    predict_per_atom,
    write_per_atom,
)
from nucleate.predict.rates import (
    at_rates,
    head_descriptors,
    load_rate_head,
    print_rates,
    write_rates,
)
from nucleate.registry import Registry
from nucleate.report.predictions import plot_predictions, plot_rate_curves


@dataclass
class PredictConfig(ReadOptions):
    """Options of nucleate predict.

    The frame-reading options are those of :class:`~nucleate.data.io.ReadOptions`.

    Args:
        model: a checkpoint or run directory, or several, e.g. models/lj-mix-v1/gnn or
            [models/lj-fcc-v1/cnn, my_run].
        trajectory: frames of an interface, predicted instead of simulating a substrate: the CNN
            reads one density image averaged over all frames, the GNN predicts each frame's graph
            and reports the mean over the frames, the descriptor model averages its descriptors
            over them. Several, e.g. [a/frames.extxyz, b/frames.extxyz]: each predicted in turn
            in this one process and ranked, as a screen of substrates one has simulated.
        substrate: a slab file or generated slab <family>:<value>, or several, e.g.
            bcc110:-0.02 or [my_slab.extxyz, fcc111:+0.015, fcc111-vacancies:0.2]: simulated
            first (every one with every eps_sl); the families are listed at the end of
            ``nucleate predict --help``.
        eps_sl: substrate-liquid ε for substrate, e.g. 1.2 or [0.5, 1.0, 1.5]; with
            trajectories, their substrates' (one value for all, or one per trajectory;
            propensity models that read a film's inherent state need it).
        eps_sl2: substrate-liquid ε of the second component of two-component families
            (fcc111-stripes, fcc111-alloy, fcc100-checker; lj-mix-v1 used 0.3), for a
            generated substrate or a trajectory whose substrate has a second component (type 3).
        workers: simulations at once (0: all cores).
        threads: torch threads for the models (None: torch's default, one per core; give one
            per free core: on a busy machine one thread is faster).
        equilibrium: override the training protocol's equilibrium run for substrate, e.g.
            {melt_time: 5, eq_time: 6, n_frames: 4, frame_every: 1.5} (cheaper, validate it
            first).
        out: output directory.
        overwrite: replace an existing non-empty out (refused otherwise).
        plot: write prediction.png (per_atom.png for propensity).
        task: tn (the nucleation temperature) or propensity (per-atom propensity of a
            trajectory with propensity checkpoints, e.g. [models/lj-fcc-v1/propensity]: writes
            per_atom.extxyz and per_atom.png).
        per_atom: the old spelling of task propensity (kept for one release).
        rate: cooling rates to give T_n at besides the models' own protocol rate, e.g. 0.005
            or [0.005, 0.0005] (ε/k_B per τ for LJ): T_n moved from that rate by the rate model,
            ranked per rate; writes rates.csv and prediction_rates.png.
        rate_model: the rate model (a rate_head.json or its folder).
    """

    model: str | list[str] | None = None
    trajectory: str | list[str] | None = None
    substrate: str | list[str] | None = None
    eps_sl: float | list[float] | None = None
    eps_sl2: float | None = None
    workers: int = 0
    threads: int | None = None
    equilibrium: dict | None = None
    out: str = "prediction"
    overwrite: bool = False
    plot: bool = True
    task: Literal["tn", "propensity"] = "tn"
    per_atom: bool = False
    rate: float | list[float] | None = None
    rate_model: str = "models/lj-fcc-v1-rates/rate-head"

    def __post_init__(self) -> None:
        if self.per_atom:
            self.task = "propensity"
        # one value where a list is taken (--model models/lj-mix-v1/gnn, --eps_sl 1.0): a list
        # of one (a trajectory stays as given: one file, or a list of them)
        for name in ("model", "substrate", "eps_sl", "rate"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, (list, tuple)):
                setattr(self, name, [value])

    @property
    def trajectories(self) -> list[str]:
        """The trajectories given (none, one or several) as a list."""
        if self.trajectory is None:
            return []
        return [self.trajectory] if isinstance(self.trajectory, str) else list(self.trajectory)

    def validate(self) -> None:
        """Raise :class:`InputError` on the first inconsistent option, before any work."""
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise InputError(f"threads must be a whole number ≥ 1, not {self.threads!r}")
        if self.model is None:
            raise InputError("give --model CHECKPOINT (a file or run directory, or a list [a, b])")
        for r in self.rate or []:
            if not r > 0:
                raise InputError(f"a cooling rate must be positive, not {r}")
        if self.task == "propensity":
            if self.rate:
                raise InputError("--rate applies to T_n, not to per-atom propensity")
            if self.trajectory is None:
                raise InputError("propensity is predicted from frames: give --trajectory FILE")
            if len(self.trajectories) != 1:
                raise InputError("propensity is predicted for one trajectory at a time")
            if self.eps_sl and len(self.eps_sl) > 1:
                raise InputError("a trajectory has one substrate-liquid strength: give one "
                                 "--eps_sl")  # fmt: skip
            return
        if (self.trajectory is None) == (self.substrate is None):
            raise InputError(
                "give either --trajectory FILE or --substrate SLAB (a file or fcc111:+0.02, or a list)"
            )
        if self.trajectory is not None:
            n = len(self.trajectories)
            if n == 0:
                raise InputError("--trajectory names no file")
            if len(set(self.trajectories)) < n:
                raise InputError("a trajectory is named twice in --trajectory")
            if self.eps_sl and len(self.eps_sl) not in (1, n):
                raise InputError(
                    f"{len(self.eps_sl)} values of --eps_sl for {n} "
                    f"{'trajectory' if n == 1 else 'trajectories'}: give one for all or one per "
                    "trajectory"
                )
        if self.substrate is not None and not self.eps_sl:
            raise InputError("--substrate needs --eps_sl (the substrate-liquid interaction)")
        if self.workers < 0:
            raise InputError(f"workers must not be negative, not {self.workers}")


def _limit_threads(n: int) -> None:
    """``n`` threads for the BLAS already loaded and for torch, which a descriptor model never
    imports (it reads OMP_NUM_THREADS when it is imported; set now if it already was)."""
    import sys

    from threadpoolctl import threadpool_limits

    os.environ["OMP_NUM_THREADS"] = str(n)
    threadpool_limits(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def run_predict(cfg: PredictConfig) -> dict:
    """Check the config, predict into a staging folder beside ``cfg.out`` and move it into place
    (a failure leaves nothing half-written, and no earlier run's files beside the new ones)."""
    cfg.validate()
    if cfg.threads is not None:
        _limit_threads(cfg.threads)
    final = Path(cfg.out)
    if final.exists() and (not final.is_dir() or any(final.iterdir())) and not cfg.overwrite:
        raise InputError(
            f"{final} exists and is not empty: choose another --out or pass --overwrite true"
        )
    out = final.parent / f".{final.name}.tmp{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    try:
        result = PREDICTIONS.get(cfg.task)(cfg, out, final)
        if final.exists():
            shutil.rmtree(final) if final.is_dir() else final.unlink()
        os.replace(out, final)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return result


def recorded_strength(sid: str, name: str, given, recorded):
    """A data set sample's strength ``name``: the one it was simulated with (its record), which a
    value given must equal (its liquid felt that one)."""
    if recorded is None:
        return given
    if given is not None and not np.isclose(float(given), float(recorded), rtol=0, atol=1e-9):
        raise InputError(
            f"{sid} was simulated with {name} {float(recorded):g}; --{name} {float(given):g} "
            "disagrees (leave it out: a data set's sample carries its own)"
        )
    return float(recorded)


def predict_into(cfg: PredictConfig, out: Path, final: Path) -> dict:
    """T_n of the trajectory or the substrates, written into ``out`` (to be moved to ``final``)."""
    reading = cfg.read_kwargs()
    models = load_checkpoints(cfg.model)
    head = load_rate_head(cfg.rate_model, models) if cfg.rate else None
    if head is not None:
        head.check_rates(cfg.rate)  # before any simulation
    if cfg.trajectory is not None:
        from nucleate.featurize.pipeline import sample_substrate  # (featurizers: loaded on use)

        # only a model that reads substrate descriptors reads the slab
        slab_read = any(getattr(m, "needs_eps_sl", False) for m in models)
        paths = cfg.trajectories
        source = dict(zip(trajectory_ids(paths), paths, strict=True))
        given = list(cfg.eps_sl or [None])  # one for all, or one each
        eps = given * len(paths) if len(given) == 1 else given
        kept = {}  # one trajectory's frames stay for the picture; several are read again
        results = []
        for (sid, path), e in _progress(zip(source.items(), eps, strict=True), len(paths)):
            frames = read_frames(path, **reading)
            # a data set's sample keeps only the slab's top layers: its substrate descriptors
            # read the whole slab, rebuilt as in training
            record = sample_record(path) if slab_read else None
            slab, e2 = None, cfg.eps_sl2
            if record is not None:  # its whole slab, and the strengths its liquid felt
                slab = sample_substrate(path, frames[0], record)
                params = record.get("parameters", {})
                e = recorded_strength(sid, "eps_sl", e, params.get("eps_sl"))
                e2 = recorded_strength(sid, "eps_sl2", e2, params.get("eps_sl2"))
            p = predict_frames(models, frames, path, eps_sl=e, substrate=slab, eps_sl2=e2)
            results.append({"id": sid, **asdict(p)})
            if len(paths) == 1:
                kept[sid] = frames
        results.sort(key=lambda r: -r["tn"])

        def frames_of(r):
            return kept.get(r["id"]) or read_frames(source[r["id"]], **reading)
    else:
        workers = cfg.workers or os.cpu_count() or 1
        results = screen(
            cfg.model,
            cfg.substrate,
            cfg.eps_sl,
            out,
            workers,
            equilibrium=cfg.equilibrium,
            eps_sl2=cfg.eps_sl2,
        )

        def frames_of(r):
            return read_frames(r["frames"], side=SAMPLE_SIDE)

    plot = out / "prediction.png"
    if cfg.plot:
        plot_predictions(results, models, frames_of, plot)
    rate_rows = None
    if head is not None:
        rate_rows = at_rates(results, head, cfg.rate, head_descriptors(head, results, frames_of))
    if rate_rows is not None:
        write_rates(rate_rows, out / "rates.csv")
        if cfg.plot:
            plot_rate_curves(results, out / "prediction_rates.png", head.rate_ref)
    for r in results:  # the kept frames' paths as they will be
        if "frames" in r:
            r["frames"] = str(final / Path(r["frames"]).relative_to(out))
    (out / "prediction.json").write_text(json.dumps(results, indent=1) + "\n")
    keys = [k for k in results[0] if k not in ("members", "by_rate")]
    with open(out / "predictions.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, ["rank", *keys], extrasaction="ignore")
        w.writeheader()
        w.writerows({"rank": k + 1, **r} for k, r in enumerate(results))
    width = max(len(r["id"]) for r in results)
    n = len(models)
    likely_below = outside = far = unusual = False
    for k, r in enumerate(results):
        below = ""
        if r.get("p_below_floor") is not None:
            below = f"  P(T_n < {r['floor']:g}) = {r['p_below_floor']:.2f}"
            if r["p_below_floor"] > 0.5:
                below, likely_below = below + " *", True
        if r.get("outside_training_range"):
            below, outside = below + f"  ! outside: {r['outside_training_range']}", True
        if r.get("domain"):
            below, unusual = below + f"  ~ {r['domain']}", True
        if r.get("far_from_training"):
            below, far = below + f"  ? far from training (novelty {r['novelty']:.1f})", True
        print(f"{k + 1:3d}  {r['id']:<{width}}  T_n = {r['tn']:.4f} ± {r['tn_std']:.4f}{below}")
    if likely_below:
        print("* more likely than not below the floor: the liquid probably does not crystallise "
              "above it on the training ramps, and T_n there is the regressor's extrapolation")  # fmt: skip
    if outside:
        print("! these descriptors lie outside their range over the training substrates: the "
              "model extrapolates and its ± understates the error (see the model card's "
              "coverage on held-out families)")  # fmt: skip
    if unusual:
        print("~ the input departs from the training inputs (liquid spacing, contact layer): "
              "check its units, temperature and how the liquid was selected")  # fmt: skip
    if far:
        print("? far from every training substrate in the model's own representation (farther "
              "than any training substrate from its nearest neighbour): a kind of substrate the "
              "model has not seen; treat T_n and its ± as a guess")  # fmt: skip
    if head is not None:
        print_rates(results, cfg.rate, head)
    written = ["predictions.csv", *(["prediction.png"] if cfg.plot else [])]
    if head is not None:
        written += ["rates.csv", *(["prediction_rates.png"] if cfg.plot else [])]
    print(
        f"({n} model(s), units {results[0]['units']}); T_n at the models' rate "
        f"{_protocol_rate(models)}; written to {final}/prediction.json, {', '.join(written)}"
    )
    return {"results": results}


def trajectory_ids(paths: list[str]) -> list[str]:
    """A short name of each trajectory: its file name without extensions, with as many of its
    folders in front as it takes to tell the trajectories apart (``a/frames``, ``b/frames``)."""
    parts = [Path(p).parts for p in paths]
    stems = [p[-1].split(".")[0] for p in parts]
    for depth in range(max(len(p) for p in parts)):
        ids = [
            "/".join([*p[max(0, len(p) - 1 - depth) : -1], s])
            for p, s in zip(parts, stems, strict=True)
        ]
        if len(set(ids)) == len(ids):
            return ids
    return [str(p) for p in paths]


def _progress(items, total: int):
    """A progress bar over several trajectories (none for one)."""
    from tqdm.auto import tqdm

    return tqdm(items, total=total, desc="trajectories", unit="file", disable=total < 2 or None)


def _protocol_rate(models) -> str:
    campaign = models[0].hparams.meta.get("campaign") or {}
    rate = (campaign.get("ramp") or {}).get("rate")
    return "(unknown)" if rate is None else f"{float(rate):g}"


def per_atom_into(cfg: PredictConfig, out: Path, final: Path) -> dict:
    """Per-atom propensity of the trajectory, written into ``out`` (to be moved to ``final``)."""
    models = load_propensity_checkpoints(cfg.model)
    kwargs = cfg.read_kwargs()
    if model_geometry(models[0].hparams.meta) == "bulk":
        # a bulk model reads every atom as liquid; substrate options are refused by Selection
        kwargs["selection"] = replace(kwargs["selection"], bulk=True)
    try:
        frames = read_frames(cfg.trajectories[0], **kwargs)
    except InputError as err:
        if "no substrate given" in str(err):
            raise InputError(
                f"{err} (the model was trained on liquid films on a substrate)"
            ) from None
        raise
    results = predict_per_atom(models, frames, cfg.eps_sl[0] if cfg.eps_sl else None)
    path = write_per_atom(frames, results, out / "per_atom.extxyz")
    summary = []
    for k, (mean, _) in enumerate(results):
        summary.append({"frame": k, "mean": float(np.nanmean(mean)),
                        "atoms": int(np.isfinite(mean).sum())})  # fmt: skip
    if cfg.plot:
        plot_per_atom(frames[-1], results[-1][0], out / "per_atom.png",
                      f"{Path(cfg.trajectories[0]).name}: predicted propensity, last frame",
                      contact_height_of(models[0].hparams.meta.get("campaign")))  # fmt: skip
    (out / "per_atom.json").write_text(json.dumps(summary, indent=1) + "\n")
    path = final / path.name
    print(f"per-atom propensity of {len(frames)} frame(s) ({len(models)} model(s)) written to "
          f"{path}{' and ' + str(final / 'per_atom.png') if cfg.plot else ''}")  # fmt: skip
    return {"per_atom": summary, "file": str(path)}


#: task -> its prediction ``(config, staging folder, final folder) -> result``
PREDICTIONS: Registry = Registry("prediction task")
PREDICTIONS.add("tn", predict_into)
PREDICTIONS.add("propensity", per_atom_into)
