"""The ``nucleate`` command: thin subcommands over importable functions.

Every subcommand parses its options with jsonargparse, so each also reads them from a YAML file
(``--config FILE``) and can print its full configuration (``--print_config``). Errors from bad input
come out as one line, ``nucleate: error: ...``, with exit status 2; nothing prints a traceback
unless ``NUCLEATE_DEBUG=1`` is set.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from nucleate import __version__
from nucleate.data.families import FAMILIES
from nucleate.errors import NucleateError

log = logging.getLogger("nucleate")

#: every subcommand, in the order of the pipeline, with its one-line help
SUBCOMMANDS: dict[str, str] = {
    "generate": "make labelled data with LAMMPS (equilibrium frames, cooling ramps, propensity)",
    "featurize": "turn interfaces into density images, atomic graphs and descriptors",
    "train": "train a CNN or GNN model from a YAML config",
    "select": "select descriptors by correlation clustering and fit descriptor models",
    "predict": "predict the nucleation temperature of a new substrate or trajectory",
    "report": "build an HTML dashboard comparing training runs",
    "quickstart": "train, predict and report on the bundled lj-fcc data set in one go",
    "inspect": "read a trajectory, find the substrate surface and the interfacial liquid layers",
}


def build_parser():
    from jsonargparse import ActionConfigFile, ArgumentParser

    parser = ArgumentParser(
        prog="nucleate",
        description="Predict how well a substrate makes a liquid crystallise, from the structure "
        "and dynamics of the liquid in contact with it.",
        env_prefix="NUCLEATE",
        default_env=False,
    )
    parser.add_argument("--version", action="version", version=f"nucleate {__version__}")
    subcommands = parser.add_subcommands(dest="command", required=True)
    for name, text in SUBCOMMANDS.items():
        sub = ArgumentParser(description=text)
        sub.add_argument("-c", "--config", action=ActionConfigFile, help="options from YAML")
        adder, _ = COMMANDS.get(name, (None, None))
        if adder is not None:
            adder(sub)
        subcommands.add_subcommand(name, sub, help=text)
    return parser


def _add_predict_arguments(p) -> None:
    p.add_argument(
        "--model",
        type=list[str],
        help="checkpoints or run directories, e.g. [models/lj-fcc-v1/cnn]",
    )
    p.add_argument(
        "--trajectory", type=str | None, default=None,
        help="frames of an interface, predicted instead of simulating a substrate: the CNN reads "
        "one density image averaged over all frames, the GNN predicts each frame's graph and "
        "reports the mean over the frames, the descriptor model averages its descriptors over them",
    )  # fmt: skip
    p.add_argument(
        "--substrate", type=list[str] | None, default=None,
        help="slab files and/or generated slabs <family>:<value>, e.g. [my_slab.extxyz, "
        "fcc111:+0.015, bcc110:-0.02, fcc111-vacancies:0.2]: simulated first (every one with "
        "every --eps_sl); families: " + ", ".join(FAMILIES),
    )  # fmt: skip
    p.add_argument(
        "--eps_sl2", type=float | None, default=None,
        help="substrate-liquid ε of the second component of two-component families "
        "(fcc111-stripes, fcc111-alloy, fcc100-checker; lj-mix-v1 used 0.3)",
    )  # fmt: skip
    p.add_argument(
        "--eps_sl", type=list[float] | None, default=None,
        help="substrate-liquid ε for --substrate, e.g. [1.2] or [0.5, 1.0, 1.5]",
    )  # fmt: skip
    p.add_argument("--workers", type=int, default=0, help="simulations at once (0: all cores)")
    p.add_argument(
        "--equilibrium", type=dict | None, default=None,
        help="override the training protocol's equilibrium run for --substrate, e.g. {melt_time: "
        "5, eq_time: 6, n_frames: 4, frame_every: 1.5} (cheaper, validate it first)",
    )  # fmt: skip
    p.add_argument("--out", type=str, default="prediction", help="output directory")
    p.add_argument(
        "--overwrite", type=bool, default=False,
        help="replace an existing non-empty --out (refused otherwise)",
    )  # fmt: skip
    p.add_argument("--plot", type=bool, default=True, help="write prediction.png")
    p.add_argument(
        "--per_atom", "--per-atom", type=bool, default=False,
        help="per-atom propensity of --trajectory with propensity checkpoints (e.g. --model "
        "[models/lj-fcc-v1/propensity]): writes per_atom.extxyz and per_atom.png",
    )  # fmt: skip
    _add_selection_arguments(p)


def _add_report_arguments(p) -> None:
    p.add_argument(
        "runs", type=list[str], help="run directories, e.g. [runs/train/cnn, runs/train/gnn]"
    )
    p.add_argument("--out", type=str, default="report.html")


def _add_config_class(cls_path: str):
    """An argument adder for a config dataclass given as 'module:Class' (imported when used)."""

    def add(p) -> None:
        from importlib import import_module

        module, name = cls_path.split(":")
        p.add_class_arguments(getattr(import_module(module), name))

    return add


def run_report(cfg) -> Path:
    from nucleate.train.report import write_dashboard

    path = write_dashboard(cfg.runs, cfg.out)
    print(f"dashboard written to {path}")
    return path


def _add_inspect_arguments(p) -> None:
    from typing import Literal

    p.add_argument("path", type=str, help="trajectory or structure file (any ASE format)")
    _add_selection_arguments(p)
    p.add_argument("--n_layers", type=int, default=2)
    p.add_argument("--reference", type=Literal["auto", "flat", "local"], default="auto")
    p.add_argument("--plot", type=str | None, default=None, help="write the density profile here")
    p.add_argument("--json", type=str | None, default=None, help="write the summary as JSON here")


def _add_generate_arguments(p) -> None:
    from nucleate.data.campaign import Campaign

    p.add_class_arguments(Campaign)
    p.add_argument("--dry_run", type=bool, default=False, help="validate and list the tasks only")
    p.add_argument("--verify", type=bool, default=False, help="only verify the data set on disk")
    p.add_argument(
        "--calibrate", type=bool, default=False,
        help="first measure a_0, T_m and bulk crystallisation of the liquid (for the data card)",
    )  # fmt: skip
    p.add_argument("--card", type=bool, default=False, help="only rewrite the data card")
    p.add_argument(
        "--join", type=list[str] | None, default=None,
        help="only join data sets made with the same protocol into one training set at --out "
        "(links, nothing copied), e.g. --join '[data/lj-fcc-v1, data/lj-mix-v1]' --out "
        "runs/data/lj-union",
    )  # fmt: skip
    from nucleate.data.propensity_campaign import PropensityCampaign

    p.add_argument(
        "--propensity", type=PropensityCampaign | None, default=None,
        help="isoconfigurational propensity labels for samples of an existing data set "
        "(configs/data/lj-fcc-v1-propensity.yaml); the other campaign settings are then unused",
    )  # fmt: skip


def run_generate(cfg) -> dict:
    """Run (or resume) a data-generation campaign; see :mod:`nucleate.data.campaign`."""
    from dataclasses import fields

    from nucleate.data import dataset
    from nucleate.data.campaign import Campaign, run_campaign

    if cfg.get("propensity") is not None:
        return _run_propensity(cfg)
    campaign = Campaign(**{f.name: cfg[f.name] for f in fields(Campaign)})
    if cfg.get("join"):
        from nucleate.data.campaign import join_datasets

        n = join_datasets(cfg.join, campaign.out)
        print(f"{campaign.out}: {n} samples of {', '.join(cfg.join)}")
        return {"complete": n}
    if cfg.verify:
        problems = dataset.verify_dataset(campaign.out)
        for problem in problems:
            print(problem)
        n = len(dataset.read_manifest(campaign.out))
        if problems:
            raise NucleateError(
                f"{campaign.out}: {n} samples, {len(problems)} problem"
                f"{'s' if len(problems) > 1 else ''} (listed above)"
            )
        print(f"{campaign.out}: {n} samples, no problems")
        return {"complete": n, "problems": problems}
    if cfg.card:
        from dataclasses import asdict

        from nucleate.data.card import write_card

        path = write_card(campaign.out, dataset.to_plain(asdict(campaign)))
        print(f"data card written to {path}")
        return {"card": str(path)}
    campaign.validate()
    if cfg.calibrate:
        from nucleate.data.campaign import run_calibration

        cal = run_calibration(campaign)
        print(f"calibration: T_m = {cal['t_m']:.3f}, a_0 = {cal['a0']:.4f}, bulk T_x = "
              f"{cal['bulk_ramp']['t_x']} -> {campaign.out}/calibration.json")  # fmt: skip
    if cfg.dry_run:
        tasks = campaign.tasks()
        print(f"{campaign.name}: {len(tasks)} substrates -> {campaign.out}")
        for t in tasks:
            print(f"  {t['id']}")
        return {"total": len(tasks)}
    result = run_campaign(campaign)
    print(
        f"{campaign.name}: {result['complete']} of {result['total']} substrates complete in "
        f"{campaign.out} ({result['ran']} run now)"
        + (
            f", {result['topped_up']} of them adding ramps to finished samples"
            if result["topped_up"]
            else ""
        )
        + f"; manifest: {campaign.out}/manifest.csv"
    )
    return result


def _section(cls, given):
    """The dataclass ``cls`` of a parsed config section (a dataclass or a Namespace)."""
    from dataclasses import asdict, fields, is_dataclass

    values = asdict(given) if is_dataclass(given) else dict(vars(given))
    return cls(**{f.name: values[f.name] for f in fields(cls)})


def _run_propensity(cfg) -> dict:
    from nucleate.data import dataset
    from nucleate.data.propensity_campaign import PropensityCampaign, run_propensity_campaign

    campaign = _section(PropensityCampaign, cfg.propensity)
    if cfg.verify:
        problems = dataset.verify_dataset(campaign.out)
        print(f"{campaign.out}: {len(problems)} problems", *problems, sep="\n")
        return {"problems": problems}
    if cfg.card:
        from nucleate.data.propensity_card import write_propensity_card

        path = write_propensity_card(campaign.out)
        print(f"data card written to {path}")
        return {"card": str(path)}
    campaign.validate()
    if cfg.dry_run:
        tasks = campaign.tasks()
        print(f"{campaign.name}: {len(tasks)} substrates -> {campaign.out}")
        return {"total": len(tasks)}
    result = run_propensity_campaign(campaign)
    print(
        f"{campaign.name}: {result['complete']} of {result['total']} samples complete in "
        f"{campaign.out} ({result['ran']} run now); manifest: {campaign.out}/manifest.csv"
    )
    return result


def _add_selection_arguments(p) -> None:
    from typing import Literal

    p.add_argument(
        "--format", type=str | None, default=None,
        help="ASE format, or mda / mda:<MDAnalysis format>; guessed from the name if unset",
    )  # fmt: skip
    p.add_argument(
        "--topology", type=str | None, default=None,
        help="topology of an MD trajectory (.gro, .tpr, .pdb, .psf, LAMMPS data), read with it "
        "through MDAnalysis",
    )  # fmt: skip
    p.add_argument("--index", type=str, default=":", help="frames to read, ASE syntax (':', '-1')")
    p.add_argument(
        "--units", type=Literal["lj", "real", "metal"] | None, default=None,
        help="unit system of the file (default: recorded in the file, else lj)",
    )  # fmt: skip
    p.add_argument(
        "--substrate_types", type=list[int | str] | None, default=None,
        help="substrate species (type numbers or symbols), e.g. [1] or [Pt]",
    )  # fmt: skip
    p.add_argument("--substrate_array", type=str | None, default=None)
    p.add_argument("--substrate_below", type=float | None, default=None, help="height cut")
    p.add_argument("--liquid_types", type=list[int | str] | None, default=None, help="e.g. [O]")
    p.add_argument(
        "--substrate_select", type=str | None, default=None,
        help="MDAnalysis selection of the substrate, e.g. 'resname SUB' (MD formats)",
    )  # fmt: skip
    p.add_argument(
        "--liquid_select", type=str | None, default=None,
        help="MDAnalysis selection of the liquid sites, e.g. 'name OW' (MD formats)",
    )  # fmt: skip
    p.add_argument("--atom_style", type=str | None, default=None, help="LAMMPS data atom style")
    p.add_argument(
        "--side", type=Literal["auto", "top", "bottom"], default="auto",
        help="the side of the slab whose liquid is analysed: a slab with liquid on both sides "
        "needs top or bottom; a surface facing -z is bottom (auto finds the side that has liquid)",
    )  # fmt: skip


def _read_kwargs(cfg) -> dict:
    from nucleate.data.io import Selection

    def _types(values):
        return None if values is None else tuple(values)

    selection = Selection(
        substrate_types=_types(cfg.substrate_types),
        substrate_array=cfg.substrate_array,
        substrate_below=cfg.substrate_below,
        liquid_types=_types(cfg.liquid_types),
        substrate_select=cfg.substrate_select,
        liquid_select=cfg.liquid_select,
    )
    index = int(cfg.index) if cfg.index.lstrip("-").isdigit() else cfg.index
    return {"index": index, "format": cfg.format, "selection": selection, "units": cfg.units,
            "atom_style": cfg.atom_style, "topology": cfg.topology, "side": cfg.side}  # fmt: skip


def _add_featurize_arguments(p) -> None:
    from typing import Literal

    from nucleate.featurize.pipeline import FEATURIZERS

    p.add_argument("--featurizer", type=Literal[FEATURIZERS], default="descriptors")  # type: ignore[valid-type]
    p.add_argument("--data", type=str | None, default=None, help="a data set directory")
    p.add_argument("--trajectory", type=str | None, default=None, help="a trajectory file")
    p.add_argument("--settings", type=dict, default={}, help="featurizer settings, e.g. {size: 32}")
    p.add_argument(
        "--out", type=str | None, default=None,
        help="output directory (default: under the cache folder for --data, never inside the "
        "data set; <file>.<featurizer> here for --trajectory)",
    )  # fmt: skip
    p.add_argument("--force", type=bool, default=False, help="recompute instead of using the cache")
    p.add_argument("--cache_dir", type=str | None, default=None)
    p.add_argument("--plot", type=str | None, default=None, help="density_image/layers: a PNG")
    p.add_argument(
        "--precursor_map", type=str | None, default=None,
        help="--trajectory: a PNG of the contact layer in the q̄4-q̄6 plane against liquid / fcc / "
        "hcp / bcc references simulated at --temperature",
    )  # fmt: skip
    p.add_argument("--temperature", type=float | None, default=None, help="for --precursor_map")
    _add_selection_arguments(p)


def run_featurize(cfg) -> Path:
    """Featurize a data set (``--data``) or a trajectory file (``--trajectory``)."""
    from nucleate.featurize.pipeline import featurize_dataset, featurize_file

    if (cfg.data is None) == (cfg.trajectory is None):
        raise NucleateError("give either --data DIR or --trajectory FILE")
    settings = dict(cfg.settings or {})
    if cfg.data is not None:
        out = featurize_dataset(
            cfg.data, cfg.featurizer, settings, cfg.out, cfg.force, cfg.cache_dir
        )
    else:
        out = featurize_file(
            cfg.trajectory, cfg.featurizer, settings, cfg.out, cfg.force, cfg.cache_dir,
            **_read_kwargs(cfg),
        )  # fmt: skip
    print(f"{cfg.featurizer} features written to {out}")
    if cfg.plot:
        from nucleate.featurize.plots import plot_feature_output

        plot_feature_output(out, cfg.featurizer, cfg.plot)
        print(f"picture written to {cfg.plot}")
    if cfg.precursor_map:
        from nucleate.data.io import read_frames
        from nucleate.featurize.precursors import plot_precursor_map

        temperature = cfg.temperature or settings.get("precursor_temperature")
        if cfg.trajectory is None or temperature is None:
            raise NucleateError(
                "--precursor_map needs --trajectory and --temperature (T of the frames)"
            )
        d = plot_precursor_map(read_frames(cfg.trajectory, **_read_kwargs(cfg)), temperature,
                               cfg.precursor_map, str(Path(cfg.trajectory)))  # fmt: skip
        print(f"precursor map written to {cfg.precursor_map}: " + ", ".join(
            f"{k} {v:.2f}" for k, v in d.items()))  # fmt: skip
    return out


def run_predict(cfg) -> dict:
    """T_n of new substrates (simulated with the training data's protocol) or of a trajectory."""
    if (cfg.trajectory is None) == (cfg.substrate is None):
        raise NucleateError(
            "give either --trajectory FILE or --substrate [FILE or fcc111:+0.02, ...]"
        )
    if cfg.model is None:
        raise NucleateError("give --model [checkpoint or run directory, ...]")
    final = Path(cfg.out)
    if final.exists() and (not final.is_dir() or any(final.iterdir())) and not cfg.overwrite:
        raise NucleateError(
            f"{final} exists and is not empty: choose another --out or pass --overwrite true"
        )
    # everything is written into a staging folder moved into place at the end: a failure
    # leaves nothing half-written, and no earlier run's files beside the new ones
    out = final.parent / f".{final.name}.tmp{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    try:
        result = _predict_into(cfg, out, final)
        if final.exists():
            shutil.rmtree(final) if final.is_dir() else final.unlink()
        os.replace(out, final)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return result


def _predict_into(cfg, out: Path, final: Path) -> dict:
    """The work of :func:`run_predict`, writing into ``out`` (to be moved to ``final``)."""
    import csv
    from dataclasses import asdict

    from nucleate.data.io import read_frames
    from nucleate.predict.core import load_checkpoints, predict_frames, screen
    from nucleate.predict.plots import plot_predictions

    if cfg.per_atom:
        return _run_per_atom(cfg, out, final)
    models = load_checkpoints(cfg.model)
    if cfg.trajectory is not None:
        frames = read_frames(cfg.trajectory, **_read_kwargs(cfg))
        if cfg.eps_sl and len(cfg.eps_sl) > 1:
            raise NucleateError("a trajectory has one substrate-liquid strength: give one --eps_sl")
        eps = cfg.eps_sl[0] if cfg.eps_sl else None
        p = predict_frames(models, frames, cfg.trajectory, eps_sl=eps)
        results = [{"id": Path(cfg.trajectory).name.split(".")[0], **asdict(p)}]

        def frames_of(r):
            return frames
    else:
        if not cfg.eps_sl:
            raise NucleateError("--substrate needs --eps_sl (the substrate-liquid interaction)")
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
            return read_frames(r["frames"])

    plot = out / "prediction.png"
    if cfg.plot:
        plot_predictions(results, models, frames_of, plot)
    for r in results:  # the kept frames' paths as they will be
        if "frames" in r:
            r["frames"] = str(final / Path(r["frames"]).relative_to(out))
    (out / "prediction.json").write_text(json.dumps(results, indent=1) + "\n")
    keys = [k for k in results[0] if k != "members"]
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
    print(f"({n} model(s), units {results[0]['units']}); written to {final}/prediction.json, "
          f"predictions.csv{', prediction.png' if cfg.plot else ''}")  # fmt: skip
    return {"results": results}


def _run_per_atom(cfg, out: Path, final: Path) -> dict:
    import numpy as np

    from nucleate.data.io import read_frames
    from nucleate.predict.per_atom import (
        load_propensity_checkpoints,
        model_geometry,
        plot_per_atom,
        predict_per_atom,
        write_per_atom,
    )

    if cfg.trajectory is None:
        raise NucleateError("--per_atom reads frames: give --trajectory FILE")
    models = load_propensity_checkpoints(cfg.model)
    kwargs = _read_kwargs(cfg)
    if model_geometry(models[0].hparams.meta) == "bulk":
        # a bulk model reads every atom as liquid; substrate options are refused by Selection
        from dataclasses import replace

        kwargs["selection"] = replace(kwargs["selection"], bulk=True)
    try:
        frames = read_frames(cfg.trajectory, **kwargs)
    except NucleateError as err:
        if "no substrate given" in str(err):
            raise NucleateError(
                f"{err} (the model was trained on liquid films on a substrate)"
            ) from None
        raise
    results = predict_per_atom(models, frames)
    path = write_per_atom(frames, results, out / "per_atom.extxyz")
    summary = []
    for k, (mean, _) in enumerate(results):
        summary.append({"frame": k, "mean": float(np.nanmean(mean)),
                        "atoms": int(np.isfinite(mean).sum())})  # fmt: skip
    if cfg.plot:
        plot_per_atom(frames[-1], results[-1][0], out / "per_atom.png",
                      f"{Path(cfg.trajectory).name}: predicted propensity, last frame")  # fmt: skip
    (out / "per_atom.json").write_text(json.dumps(summary, indent=1) + "\n")
    path = final / path.name
    print(f"per-atom propensity of {len(frames)} frame(s) ({len(models)} model(s)) written to "
          f"{path}{' and ' + str(final / 'per_atom.png') if cfg.plot else ''}")  # fmt: skip
    return {"per_atom": summary, "file": str(path)}


def _add_train_arguments(p) -> None:
    from nucleate.train.propensity import PropensityTrainConfig
    from nucleate.train.run import TrainConfig

    p.add_class_arguments(TrainConfig)
    p.add_argument(
        "--propensity", type=PropensityTrainConfig | None, default=None,
        help="train a per-atom propensity model instead (configs/train/propensity_*.yaml)",
    )  # fmt: skip


def run_train(cfg) -> dict:
    """Train a T_n model (see :mod:`nucleate.train.run`) or, with a ``propensity`` section, a
    per-atom propensity model (see :mod:`nucleate.train.propensity`)."""
    from dataclasses import fields

    from nucleate.train.run import TrainConfig, run_training

    if cfg.get("propensity") is not None:
        from nucleate.train.propensity import PropensityTrainConfig, run_propensity_training

        pc = _section(PropensityTrainConfig, cfg.propensity)
        m = run_propensity_training(pc)
        g, r = m["gnn"], m["ridge"]
        print(f"propensity, cross-validated Pearson r per configuration: GNN {g['r_mean']:.3f} "
              f"(pooled {g['r_pooled']:.3f}), ridge {r['r_mean']:.3f} (pooled "
              f"{r['r_pooled']:.3f}); noise ceiling {m['ceiling']:.3f}; run directory {pc.out}")  # fmt: skip
        return m
    config = TrainConfig(**{f.name: cfg[f.name] for f in fields(TrainConfig)})
    m = run_training(config)
    t = m.get("test", {})
    print(f"{config.model}: test RMSE {t.get('rmse', float('nan')):.4f} (predict-the-mean "
          f"{t.get('rmse_mean_baseline', float('nan')):.4f}); run directory {config.out}")  # fmt: skip
    return m


def run_select(cfg) -> dict:
    """Descriptor selection and descriptor models; see :mod:`nucleate.train.select`."""
    from dataclasses import fields

    from nucleate.train.select import SelectConfig, run_selection

    config = SelectConfig(**{f.name: cfg[f.name] for f in fields(SelectConfig)})
    m = run_selection(config)
    top = ", ".join(f"{r['name']} ({r['kind']})" for r in m["ranking"][:4])
    print(f"top descriptors: {top}")
    print(f"chosen {m['chosen']} with {len(m['chosen_features'])} descriptors; test RMSE "
          f"{m['test'].get('rmse', float('nan')):.4f} (predict-the-mean "
          f"{m['test'].get('rmse_mean_baseline', float('nan')):.4f})")  # fmt: skip
    c = m.get("censoring", {}).get("test")
    if c:
        print(f"below the floor ({m['censoring']['floor']}): test Brier score {c['brier']:.3f} "
              f"(base rate {c['brier_base_rate']:.3f}), {c['n_censored']} of {c['n']} censored")  # fmt: skip
    print(f"report: {config.out}/report.html")
    return m


def run_quickstart(cfg) -> dict:
    """Train, predict and report on the bundled data set; see :mod:`nucleate.predict.quickstart`."""
    from dataclasses import fields

    from nucleate.predict.quickstart import QuickstartConfig
    from nucleate.predict.quickstart import run_quickstart as run

    return run(QuickstartConfig(**{f.name: cfg[f.name] for f in fields(QuickstartConfig)}))


def run_inspect(cfg) -> dict:
    """Read frames, detect layers, print and optionally save the result; returns the summary."""
    from nucleate.data.io import iter_frames
    from nucleate.structure.layers import LayerDetector

    frames = iter_frames(cfg.path, **_read_kwargs(cfg))
    profile = LayerDetector(n_layers=cfg.n_layers, reference=cfg.reference)(_progress(frames))
    summary = {"path": str(cfg.path), **profile.summary()}
    print(format_profile(profile, cfg.path))
    if cfg.json:
        Path(cfg.json).write_text(json.dumps(summary, indent=2) + "\n")
        print(f"summary written to {cfg.json}")
    if cfg.plot:
        from nucleate.featurize.plots import plot_profile

        plot_profile(profile, cfg.plot, title=str(cfg.path))
        print(f"profile plot written to {cfg.plot}")
    return summary


def _progress(frames):
    from tqdm.auto import tqdm

    return tqdm(frames, desc="frames", unit="frame", disable=None, leave=False)


def format_profile(profile, path) -> str:
    """A short human-readable table of the layers found."""
    u = {"lj": "σ", "real": "Å", "metal": "Å"}[profile.units]
    lines = [
        f"{path}: {profile.n_frames} frame(s), units {profile.units}",
        f"  substrate surface at z = {profile.substrate_top:.4g} {u} (roughness "
        f"{profile.roughness:.3g} {u}; heights measured from the {profile.reference} surface)",
        f"  liquid: bulk density {profile.bulk_density:.4g} {u}^-3, nearest neighbour "
        f"{profile.d_liquid:.4g} {u}",
        "  layer   lower    peak   upper  atoms/area  upper from",
    ]
    for k, layer in enumerate(profile.layers, start=1):
        lines.append(
            f"  {k:5d} {layer.lower:7.3f} {layer.peak:7.3f} {layer.upper:7.3f} "
            f"{layer.atoms_per_area:11.4f}  {layer.upper_from}"
        )
    return "\n".join(lines)


#: subcommand -> (argument adder, runner)
COMMANDS = {
    "generate": (_add_generate_arguments, run_generate),
    "featurize": (_add_featurize_arguments, run_featurize),
    "train": (_add_train_arguments, run_train),
    "select": (_add_config_class("nucleate.train.select:SelectConfig"), run_select),
    "predict": (_add_predict_arguments, run_predict),
    "report": (_add_report_arguments, run_report),
    "inspect": (_add_inspect_arguments, run_inspect),
    "quickstart": (
        _add_config_class("nucleate.predict.quickstart:QuickstartConfig"),
        run_quickstart,
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 success, 2 error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        parser = build_parser()
        cfg = parser.instantiate(parser.parse_args(argv))  # builds the dataclasses of configs
        _, runner = COMMANDS[cfg.command]
        runner(cfg[cfg.command])
        return 0
    except NucleateError as err:
        if os.environ.get("NUCLEATE_DEBUG"):
            raise
        print(f"nucleate: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
