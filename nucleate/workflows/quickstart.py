"""``nucleate quickstart``: the whole tool in one command on the bundled data set.

Trains the CNN, the GNN and the descriptor model briefly (small ensembles, few epochs), labels a
substrate none of them has seen directly (the training data's equilibrium MD and cooling ramps),
predicts it with every route from that run's equilibrium frames and writes one HTML report with
the comparison, the metrics and the plots. A second process runs the ramps, computes the
descriptors and trains the GNN while this one trains the CNN and selects the descriptors.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from nucleate.data.dataset import SAMPLE_SIDE
from nucleate.errors import InputError

_CNN = {"max_epochs": 50, "patience": 15, "ensemble": 3, "featurizer_settings":
        {"layers": [1, 2], "size": 64}, "model_args": {"widths": [16, 32, 64], "dropout": 0.1}}  # fmt: skip
_SELECT = {"featurizer_settings": {"stride": 5}, "cv_folds": 5}
_GNN = {"max_epochs": 32, "patience": 8, "ensemble": 3, "batch_size": 16,
        "model_args": {"hidden": 32, "layers": 3, "cutoff": 1.5}}  # fmt: skip


@dataclass
class QuickstartConfig:
    """``substrate``: a generated slab (``<family>:<value>``, see ``nucleate predict``) or a
    slab file, with ``eps_sl``; ``ramp_seeds``: cooling ramps of the direct check;
    ``cnn`` / ``gnn``: overrides of ``configs``/train/{cnn,gnn}.yaml; ``select``: overrides of
    ``select_config``."""

    data: str = "data/lj-fcc-v1"
    out: str = "runs/quickstart"
    substrate: str = "fcc100:+0.015"
    eps_sl: float = 1.15
    ramp_seeds: int = 3
    cnn: dict = field(default_factory=lambda: dict(_CNN))
    gnn: dict = field(default_factory=lambda: dict(_GNN))
    select: dict = field(default_factory=lambda: dict(_SELECT))
    select_config: str = "configs/select/lj-fcc-v1.yaml"
    configs: str = "configs"


def _train_config(path: Path, data: str, out: Path, overrides: dict):
    import yaml

    from nucleate.train.config import TrainConfig

    if not path.exists():
        raise InputError(f"{path}: no such config (run the quickstart from the repository root)")
    values = {**(yaml.safe_load(path.read_text()) or {}), **overrides}
    names = {f.name for f in fields(TrainConfig)}
    unknown = set(values) - names
    if unknown:
        raise InputError(f"unknown training options {sorted(unknown)} in the quickstart config")
    return replace(TrainConfig(**values), data=data, out=str(out), loggers=["csv", "tensorboard"])


def _direct_ramps(task: dict, root: str) -> dict:
    """The substrate labelled as the data set labels its own (in a worker process)."""
    from nucleate.data.campaign import run_task

    return run_task(task, root)


def run_quickstart(cfg: QuickstartConfig) -> dict:
    """Label the substrate directly in the background, train and select the three routes,
    predict the substrate with each, compare and report; returns the comparison.

    Two lanes of work, one per half of the cores: this process trains the CNN and then selects
    the descriptors; a worker runs the direct cooling ramps, computes the descriptors for the
    selection and trains the GNN. Every route predicts from the equilibrium frames of the direct
    run (the MD that ``nucleate predict`` would run first, made once)."""
    import multiprocessing as mp

    import yaml

    from nucleate.data.executor import die_with_parent
    from nucleate.report.dashboard import write_dashboard

    t0 = time.perf_counter()
    cfg, campaign, slab, sid = _checked(cfg)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(asdict(cfg), sort_keys=False))
    timings: dict[str, float] = {}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 2
    here, there = max(1, cores - cores // 2), max(1, cores // 2)  # torch / BLAS threads per lane
    direct_root = out / "direct"
    shutil.rmtree(direct_root, ignore_errors=True)  # a rerun labels the substrate afresh
    pool = mp.get_context("spawn").Pool(1, initializer=die_with_parent)
    print(f"[quickstart] labelling {sid} directly with {cfg.ramp_seeds} cooling ramps, then "
          "computing the descriptors and training the GNN ensemble (in the background)",
          flush=True)  # fmt: skip
    direct = pool.apply_async(_direct_ramps, (_direct_task(cfg, campaign, sid), str(direct_root)))
    select = _select_settings(cfg)
    features = pool.apply_async(_select_features, (select,))  # after the ramps, then the GNN
    gnn = pool.apply_async(_train_route, (cfg, "gnn", there, False))
    try:
        runs = {}
        runs["cnn"], timings[_STEP["cnn"]] = _train_route(cfg, "cnn", here, True)
        features.get()  # the descriptors are in the cache
        runs["descriptors"], timings[_STEP["descriptors"]] = _select_route(select, here)
        print("[quickstart] waiting for the direct cooling ramps", flush=True)
        record = direct.get()
        timings["direct ramps (in the background)"] = float(record["wall_seconds"])
        print("[quickstart] waiting for the GNN ensemble", flush=True)
        runs["gnn"], timings[_STEP["gnn"]] = gnn.get()
        predictions = _predict_routes(cfg, sid, slab, direct_root, timings)
    except BaseException:
        pool.terminate()  # on an error, the ramps and the GNN stop too
        raise
    else:
        # the worker ends as a process should (its exit handlers end MPI and joblib's workers;
        # a terminated one left MPICH's shared memory and a semaphore behind)
        pool.close()
    finally:
        pool.join()
    result = _compare(record, predictions, runs)
    result.update(substrate=sid, timings=timings, total_seconds=time.perf_counter() - t0)
    (out / "quickstart.json").write_text(json.dumps(result, indent=1, default=float) + "\n")
    _plot_comparison(result, out / "comparison.png")
    report = write_dashboard(
        [out / "cnn", out / "gnn", out / "select"], out / "report.html",
        sections=_section(result, out), title=f"nucleate quickstart on {Path(cfg.data).name}",
    )  # fmt: skip
    _print_summary(result, sid, report)
    return result


def _checked(cfg: QuickstartConfig):
    """``(cfg, campaign, slab, sid)`` with the bundled paths resolved; refuses a missing data
    set and a substrate that is in the training data."""
    from nucleate.data.dataset import campaign_config, read_manifest
    from nucleate.predict.core import substrate_from
    from nucleate.resources import resolve, where_looked

    found = {}
    for name in ("data", "configs", "select_config"):  # bundled: found from any directory
        found[name] = resolve(getattr(cfg, name))
        if not found[name].exists():
            raise InputError(
                f"{getattr(cfg, name)}: not found ({where_looked(getattr(cfg, name))})"
            )
    cfg = replace(cfg, **{k: str(v) for k, v in found.items()})
    data = Path(cfg.data)
    if not (data / "manifest.csv").exists():
        raise InputError(f"{data}: not a data set (no manifest.csv)")
    campaign = campaign_config(data)
    slab, name = substrate_from(cfg.substrate, campaign)  # checks the substrate early
    sid = f"{name}_e{cfg.eps_sl:.2f}"
    if sid in {r["id"] for r in read_manifest(data)}:
        raise InputError(
            f"{sid} is in the training data; choose a substrate the models have not seen"
        )
    return cfg, campaign, slab, sid


def _direct_task(cfg: QuickstartConfig, campaign: dict, sid: str) -> dict:
    """The campaign task that labels the substrate with the data set's own protocol."""
    from nucleate.data.families import parse_spec

    task = {"id": sid, "eps_sl": float(cfg.eps_sl),
            "campaign": {**campaign, "ramp": {**campaign["ramp"], "seeds": cfg.ramp_seeds}}}  # fmt: skip
    spec = None if Path(cfg.substrate).exists() else parse_spec(cfg.substrate)
    if spec is not None:
        task.update(kind="family", family=spec[0].name, value=spec[1])
    else:
        task.update(kind="file", path=str(Path(cfg.substrate).resolve()))
    return task


def _select_route(select: dict, threads: int) -> tuple[dict, float]:
    """The descriptor selection with ``threads`` BLAS threads: its metrics and wall seconds."""
    from threadpoolctl import threadpool_limits

    from nucleate.train.select import SelectConfig, run_selection

    print("[quickstart] selecting descriptors", flush=True)
    start = time.perf_counter()
    with threadpool_limits(threads):
        metrics = run_selection(SelectConfig(**select))
    return metrics, time.perf_counter() - start


def _select_features(select: dict) -> None:
    """The selection's descriptors of every sample, into the feature cache (in the worker)."""
    from nucleate.train.select import SelectConfig, load_table

    load_table(SelectConfig(**select), progress=False)


def _select_settings(cfg: QuickstartConfig) -> dict:
    import yaml

    sc = {**yaml.safe_load(Path(cfg.select_config).read_text()), **cfg.select}
    sc.update(data=cfg.data, out=str(Path(cfg.out) / "select"))
    return sc


#: each route's step in the timings
_STEP = {"cnn": "train cnn", "descriptors": "descriptor selection",
         "gnn": "train gnn (in the background, after the ramps and the descriptors)"}  # fmt: skip


def _train_route(cfg: QuickstartConfig, route: str, threads: int, progress: bool):
    """The CNN or GNN ensemble, briefly, on ``threads`` torch threads (in this process or the
    worker): its metrics and wall seconds."""
    from nucleate.train.tasks import run_training

    where = "" if progress else " (in the background)"
    print(f"[quickstart] training the {route.upper()} ensemble briefly{where}", flush=True)
    overrides = {**getattr(cfg, route), "threads": threads, "progress": progress}
    tc = _train_config(Path(cfg.configs) / "train" / f"{route}.yaml", cfg.data,
                       Path(cfg.out) / route, overrides)  # fmt: skip
    start = time.perf_counter()
    metrics = run_training(tc)
    if not progress:
        print(f"[quickstart] the GNN ensemble is trained ({time.perf_counter() - start:.0f} s)",
              flush=True)  # fmt: skip
    return metrics, time.perf_counter() - start


def _predict_routes(cfg: QuickstartConfig, sid: str, slab, direct_root: Path,
                    timings: dict) -> dict:  # fmt: skip
    """Every route predicts from the equilibrium frames of the direct run."""
    from nucleate.data.dataset import sample_dir
    from nucleate.data.io import read_frames
    from nucleate.predict.core import load_checkpoints, predict_frames, slab_frame
    from nucleate.report.predictions import plot_predictions

    out = Path(cfg.out)
    path = sample_dir(direct_root, sid) / "frames.extxyz.gz"
    print(f"[quickstart] predicting {sid} from the equilibrium frames of its direct run",
          flush=True)  # fmt: skip
    frames = read_frames(path, side=SAMPLE_SIDE)
    predictions = {}
    for route, run in (("cnn", "cnn"), ("gnn", "gnn"), ("descriptors", "select")):
        s = time.perf_counter()
        models = load_checkpoints([out / run])
        p = predict_frames(models, frames, str(path), cfg.eps_sl, slab_frame(slab, frames[0]))
        seconds = time.perf_counter() - s
        timings[f"predict ({route})"] = seconds
        predictions[route] = {"id": sid, **asdict(p), "frames": str(path),
                              "wall_seconds": seconds}  # fmt: skip
        if route == "cnn":
            (out / "predict").mkdir(exist_ok=True)
            plot_predictions([predictions[route]], models, lambda r: frames,
                             out / "predict" / "prediction.png")  # fmt: skip
    return predictions


def _print_summary(result: dict, sid: str, report) -> None:
    d = result["direct"]
    print(f"\n{sid}: direct ramps T_n = {d['tn']:.4f} ± {d['sem']:.4f} (seed spread "
          f"{d['std']:.4f}, {d['n']} ramps, {d['n_censored']} censored)")  # fmt: skip
    for route, p in result["predicted"].items():
        verdict = "within" if p["within"] else "OUTSIDE"
        print(f"  {route.upper()}: predicted {p['tn']:.4f} ± {p['uncertainty']:.4f} -> {verdict} "
              "the combined uncertainty")  # fmt: skip
    print(f"done in {result['total_seconds'] / 60:.1f} min; report: {report}")
    print("next: nucleate predict --model models/lj-fcc-v1/cnn --substrate fcc111:+0.02 "
          "--eps_sl '[0.8, 1.6]'   (the shipped ensemble), or nucleate train -c "
          "configs/train/cnn.yaml for the full model")  # fmt: skip


def _compare(record: dict, predictions: dict, runs: dict) -> dict:
    """Direct T_n (mean over ramps, standard error) against each route's prediction, whose
    uncertainty is its ensemble spread and its test RMSE in quadrature (the spread alone is too
    narrow for a briefly trained ensemble)."""
    ramps = record["ramps"]
    tns = np.array([r["tn"] for r in ramps if not r["censored"]])
    n_cens = len(ramps) - len(tns)
    if len(tns) == 0:
        raise InputError(f"{record['id']}: no ramp crystallised above the floor (censored)")
    std = float(tns.std(ddof=1)) if len(tns) > 1 else float("nan")
    sem = std / np.sqrt(len(tns)) if len(tns) > 1 else float("nan")
    direct = {"tn": float(tns.mean()), "std": std, "sem": float(sem), "n": len(ramps),
              "n_censored": n_cens, "ramps": [float(t) for t in tns],
              "seconds": record["wall_seconds"]}  # fmt: skip
    predicted = {}
    for route, p in predictions.items():
        rmse = runs[route]["test"]["rmse"]
        u = float(np.hypot(p["tn_std"], rmse))
        combined = float(np.hypot(u, np.nan_to_num(sem)))
        predicted[route] = {"tn": p["tn"], "spread": p["tn_std"], "test_rmse": rmse,
                            "uncertainty": u, "difference": p["tn"] - direct["tn"],
                            "within": bool(abs(p["tn"] - direct["tn"]) <= combined),
                            "seconds": p["wall_seconds"]}  # fmt: skip
    return {"direct": direct, "predicted": predicted}


def _plot_comparison(result: dict, path: Path) -> None:
    import matplotlib.pyplot as plt

    d = result["direct"]
    fig, ax = plt.subplots(figsize=(5.0, 3.0), layout="constrained")
    ax.axvspan(d["tn"] - d["sem"], d["tn"] + d["sem"], color="C0", alpha=0.2,
               label="direct ramps ± s.e.")  # fmt: skip
    ax.plot(d["ramps"], [2] * len(d["ramps"]), "|", color="C0", ms=14, label="single ramps")
    ax.axvline(d["tn"], color="C0")
    for k, (route, p) in enumerate(result["predicted"].items()):
        ax.errorbar(p["tn"], 1 - k, xerr=p["uncertainty"], fmt="o", color=f"C{k + 1}",
                    capsize=3, label=f"{route.upper()} ± (spread ⊕ test RMSE)")  # fmt: skip
    names = [r.upper() for r in result["predicted"]]
    ax.set_yticks([2, *range(1, 1 - len(names), -1)], ["direct", *names])
    ax.set_xlabel("T_n (LJ units)")
    ax.set_title(result["substrate"], fontsize=9)
    ax.legend(fontsize=6, loc="lower right")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _section(result: dict, out: Path) -> str:
    import base64
    import html

    d = result["direct"]
    rows = "".join(
        f"<tr><td>{route.upper()}</td><td>{p['tn']:.4f}</td><td>{p['spread']:.4f}</td>"
        f"<td>{p['test_rmse']:.4f}</td><td>{p['difference']:+.4f}</td>"
        f"<td>{'yes' if p['within'] else 'no'}</td><td>{p['seconds']:.0f} s</td></tr>"
        for route, p in result["predicted"].items()
    )
    pics = ""
    for p in (out / "comparison.png", out / "predict" / "prediction.png"):
        if p.exists():
            pics += f'<img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
    times = "".join(f"<li>{html.escape(k)}: {v:.0f} s</li>" for k, v in result["timings"].items())
    return f"""<h2>A substrate none of the models has seen: {html.escape(result["substrate"])}</h2>
<p>Direct cooling ramps: T_n = {d["tn"]:.4f} ± {d["sem"]:.4f} (standard error; seed spread
{d["std"]:.4f}; {d["n"]} ramps, {d["n_censored"]} censored; {d["seconds"]:.0f} s of MD).</p>
<table><tr><th>route</th><th>predicted T_n</th><th>ensemble spread</th><th>test RMSE</th>
<th>predicted − direct</th><th>within the combined uncertainty</th><th>cost</th></tr>{rows}</table>
<div class="row">{pics}</div><h3>Time</h3><ul>{times}</ul>
<p>Total {result["total_seconds"] / 60:.1f} min.</p>"""
