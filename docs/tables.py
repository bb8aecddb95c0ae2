"""Tables for the documentation and the README, read from the files that hold the numbers: the
shipped models' metrics (models/*/), the data sets' manifests (data/*/manifest.csv) and the
benchmarks' results (benchmarks/results/NAME.md, written by benchmarks/NAME.py).

A page asks for a table with a directive on a line of its own (``<!-- table: models -->``,
``<!-- table: models lj-mix-v1 -->``, ``<!-- table: data lj-fcc-v1 -->``,
``<!-- table: benchmark tn_families -->``, ``<!-- table: propensity -->``, ``<!-- table: headline -->``) or a file's text with
``<!-- include: CHANGELOG.md -->``; :func:`expand` replaces them. Files read outside the docs (the
README, the model cards: :data:`GENERATED`) carry their tables as blocks, the directive line, the
table, then ``<!-- end table -->``; ``python docs/tables.py`` rewrites every block, and a test
checks that they are current.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r"^<!-- (table|include): *(.+?) *-->$")
END = "<!-- end table -->"

#: the shipped T_n models (directory, route, the command that trains and ships it)
TN_MODELS = [
    ("models/lj-fcc-v1/cnn", "CNN on density images (ensemble)", "nucleate train -c configs/train/cnn.yaml"),
    ("models/lj-fcc-v1/gnn", "GNN on interface graphs (ensemble)", "nucleate train -c configs/train/gnn.yaml"),
    ("models/lj-fcc-v1/descriptors", "descriptor route (correlation clusters, GP)",
     "nucleate select -c configs/select/lj-fcc-v1.yaml --ship models/lj-fcc-v1/descriptors"),
    ("models/lj-fcc-v1/descriptors-liquid-bo1",
     "descriptor route, liquid descriptors + layer bond order of every frame (GP)",
     "nucleate select -c configs/select/lj-fcc-v1-liquid-bo1-gp.yaml --ship "
     "models/lj-fcc-v1/descriptors-liquid-bo1"),
    ("models/lj-fcc-v1/descriptors-substrate", "descriptor route, substrate descriptors only",
     "nucleate select -c configs/select/lj-fcc-v1-substrate.yaml --ship "
     "models/lj-fcc-v1/descriptors-substrate"),
]  # fmt: skip
#: the shipped T_n models trained on the union of lj-fcc-v1 and lj-mix-v1 (``models lj-mix-v1``)
UNION_MODELS = [
    ("models/lj-mix-v1/gnn", "GNN on interface graphs (ensemble)",
     ".venv/bin/python benchmarks/tn_families.py --routes gnn --no_trained_lofo (its run gnn, "
     "exported by nucleate.train.run.export_run)"),
    ("models/lj-mix-v1/descriptors-liquid", "descriptor route, liquid descriptors only",
     ".venv/bin/python benchmarks/tn_families.py --routes select_liquid (its run select_liquid, "
     "shipped by nucleate.train.select.ship_model)"),
    ("models/lj-mix-v1/descriptors-liquid-bo",
     "descriptor route, liquid descriptors + layer bond order",
     ".venv/bin/python benchmarks/tn_families.py --routes select_liquid_bo (its run "
     "select_liquid_bo, shipped by nucleate.train.select.ship_model)"),
    ("models/lj-mix-v1/descriptors-substrate", "descriptor route, substrate descriptors only",
     "nucleate select -c configs/select/lj-union-substrate.yaml (its run, shipped by "
     "nucleate.train.select.ship_model)"),
]  # fmt: skip
#: the shipped propensity models (directory, system, the command that trains and ships it)
PROPENSITY_MODELS = [
    ("models/lj-fcc-v1/propensity", "LJ liquid films on fcc substrates (lj-fcc-v1-propensity)",
     "nucleate train -c configs/train/propensity_lj.yaml"),
    ("models/ka3d-t044/propensity", "Kob–Andersen bulk, T = 0.44",
     "nucleate train -c configs/train/propensity_ka.yaml"),
]  # fmt: skip
#: files outside the docs whose tables are blocks rewritten by ``python docs/tables.py``
GENERATED = ["README.md", "models/lj-fcc-v1/README.md", "models/ka3d-t044/README.md",
             "models/lj-mix-v1/README.md"]  # fmt: skip
#: benchmark name -> the command that writes benchmarks/results/NAME.md
BENCHMARKS = {
    "tn_families": ".venv/bin/python benchmarks/tn_families.py",
    "tn_models": ".venv/bin/python benchmarks/tn_models.py",
    "tn_splits": ".venv/bin/python benchmarks/tn_splits.py",
    "tn_splits_liquid": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-fcc-v1-liquid.yaml --name tn_splits_liquid",
    "tn_splits_liquid_bo": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-fcc-v1-liquid-bo.yaml --name tn_splits_liquid_bo",
    "tn_splits_liquid_bo_fresh": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-fcc-v1-liquid-bo.yaml --seeds 35 36 37 38 39 --out "
    "runs/bench/tn_splits_liquid_bo_fresh --name tn_splits_liquid_bo_fresh",
    "tn_splits_liquid_bo1": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-fcc-v1-liquid-bo1.yaml --seeds 30 31 32 33 34 35 36 37 38 39 --out "
    "runs/bench/tn_splits_liquid_bo1 --name tn_splits_liquid_bo1",
    "tn_splits_union_liquid_bo": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-union-liquid-bo.yaml --data runs/data/lj-union --seeds 1 2 3 4 5 --out "
    "runs/bench/tn_splits_union_liquid_bo --name tn_splits_union_liquid_bo",
    "tn_committee_union": ".venv/bin/python benchmarks/tn_committee.py --members "
    "runs/bench/tn_splits_union_substrate runs/bench/tn_splits_union_liquid_bo --data "
    "runs/data/lj-union --seeds 1 2 3 4 5",
    "tn_splits_liquid_bo1_union": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-union-liquid-bo1-grid.yaml --data runs/data/lj-union --seeds 40 41 42 43 "
    "44 --out runs/bench/tn_splits_liquid_bo1_union --name tn_splits_liquid_bo1_union",
    "tn_splits_substrate_40": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-fcc-v1-substrate.yaml --seeds 40 41 42 43 44 --out "
    "runs/bench/tn_splits_substrate_40 --name tn_splits_substrate_40 --no_lofo",
    "tn_splits_40": ".venv/bin/python benchmarks/tn_splits.py --config configs/select/lj-fcc-v1.yaml "
    "--seeds 40 41 42 43 44 --out runs/bench/tn_splits_40 --name tn_splits_40 --no_lofo",
    "tn_committee_grid": ".venv/bin/python benchmarks/tn_committee.py --members "
    "runs/bench/tn_splits_substrate_40 runs/bench/tn_splits_liquid_bo1_gp --data data/lj-fcc-v1 "
    "--seeds 40 41 42 43 44 --goal 0.25 --name tn_committee_grid",
    "tn_committee_shipped_grid": ".venv/bin/python benchmarks/tn_committee.py --members "
    "models/lj-fcc-v1/descriptors-substrate models/lj-fcc-v1/descriptors-liquid-bo1 --data "
    "data/lj-fcc-v1 --seeds 0 --goal 0.25 --name tn_committee_shipped_grid",
    "tn_splits_union_bo": ".venv/bin/python benchmarks/tn_splits.py --config "
    "configs/select/lj-union-bo.yaml --data runs/data/lj-union --seeds 1 2 3 4 5 --out "
    "runs/bench/tn_splits_union_bo --name tn_splits_union_bo --no_lofo",
    "tn_committee_shipped": ".venv/bin/python benchmarks/tn_committee.py --members "
    "models/lj-mix-v1/descriptors-substrate models/lj-mix-v1/descriptors-liquid-bo --data "
    "runs/data/lj-union --seeds 0 --name tn_committee_shipped",
    "bench_layers": ".venv/bin/python benchmarks/bench_layers.py",
    "bench_featurizers": "OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_featurizers.py",
    "predict_cost": ".venv/bin/python benchmarks/predict_cost.py",
    "bench_quickstart": ".venv/bin/python benchmarks/bench_quickstart.py",
    "fast_protocol": ".venv/bin/python benchmarks/fast_protocol.py",
    "polymorph": ".venv/bin/python benchmarks/polymorph.py",
    "precursors_lj": ".venv/bin/python benchmarks/precursors_lj.py",
    "propensity_tn": ".venv/bin/python benchmarks/propensity_tn.py",
    "film_propensity": ".venv/bin/python benchmarks/film_propensity.py --reuse",
    "ka_linear_baseline": ".venv/bin/python benchmarks/ka_linear_baseline.py",
    "ka_models": ".venv/bin/python benchmarks/ka_models.py",
    "gnn_frames": ".venv/bin/python benchmarks/gnn_frames.py",
    "calibrate_shipped": ".venv/bin/python benchmarks/calibrate_shipped.py",
    "shipped_on_families": ".venv/bin/python benchmarks/shipped_on_families.py",
    "graph_models": ".venv/bin/python benchmarks/graph_models.py",
    "gnn_step": ".venv/bin/python benchmarks/gnn_step.py",
    "gnn_precision": ".venv/bin/python benchmarks/gnn_precision.py --max_epochs 60",
    "tn_rates": ".venv/bin/python benchmarks/tn_rates.py --ship models/lj-fcc-v1-rates/rate-head",
    "tn_rates_bo": ".venv/bin/python benchmarks/tn_rates.py --reference "
    "models/lj-mix-v1/descriptors-liquid-bo --out runs/bench/rates-bo --name tn_rates_bo",
    "tn_rates_bo1": ".venv/bin/python benchmarks/tn_rates.py --reference "
    "runs/select/lj-union-liquid-bo1 --out runs/bench/rates-bo1 --name tn_rates_bo1",
}


def fmt(x, digits: int = 4) -> str:
    """A number for a table: ``digits`` decimals, an en dash for a missing one."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:.{digits}f}"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _tn_metrics(path: str) -> dict | None:
    """Test metrics and leave-one-family-out RMSEs of a shipped T_n model, whatever its kind."""
    d = ROOT / path
    if (d / "metrics.json").exists():
        m = json.loads((d / "metrics.json").read_text())
    elif (d / "model.json").exists():
        m = json.loads((d / "model.json").read_text())
    else:
        return None
    split = [m.get(k, {}).get("n") for k in ("train", "val", "test")]
    return {
        "test": m.get("test", {}),
        "lofo": m.get("leave_one_family_out", {}),
        "split": "/".join(str(n) for n in split) if all(split) else "–",
    }


def models_table(only: str = "") -> str:
    """Test metrics of every shipped T_n model on its data set's shared substrate split: the
    lj-fcc-v1 models, or with ``only="lj-mix-v1"`` those trained on the union."""
    groups = {"": TN_MODELS, "lj-fcc-v1": TN_MODELS, "lj-mix-v1": UNION_MODELS}
    if only not in groups:
        raise ValueError(f"unknown model group {only!r}; known: lj-fcc-v1, lj-mix-v1")
    rows = []
    for path, route, command in groups[only]:
        m = _tn_metrics(path)
        if m is None:
            continue
        t = m["test"]
        lofo = ", ".join(f"{k} {fmt(v.get('rmse'))}" for k, v in sorted(m["lofo"].items())) or "–"
        rows.append([
            f"{route} (`{path}`)", m["split"], fmt(t.get("rmse")),
            fmt(t.get("rmse_mean_baseline")), fmt(t.get("label_noise_rms")), fmt(t.get("r2"), 2),
            fmt(t.get("spearman"), 2), *_coverages(t, gp="descriptors" in path), lofo,
            f"`{command}`",
        ])  # fmt: skip
    header = ["model", "substrates train/val/test", "test RMSE", "mean baseline", "label noise", "R²", "Spearman",
              "±2σ cover (spread)", "±2σ cover (calibrated or GP σ)", "leave one facet out (RMSE)",
              "trained by"]  # fmt: skip
    return table(header, rows)


def _coverages(test: dict, gp: bool) -> list[str]:
    """±2σ coverage of an ensemble's spread and of its calibrated σ; a GP has its own σ only."""
    if gp:
        return ["–", fmt(test.get("coverage_2sigma"), 2)]
    return [fmt(test.get("coverage_2sigma"), 2), fmt(test.get("coverage_2sigma_calibrated"), 2)]


def propensity_table(only: str = "") -> str:
    """Cross-validated Pearson r of the shipped propensity models (or of the one at ``only``)
    against the labels' ceiling."""
    rows = []
    for path, system, command in PROPENSITY_MODELS:
        if only and path != only:
            continue
        f = ROOT / path / "metrics.json"
        if not f.exists():
            continue
        m = json.loads(f.read_text())
        g, r = m.get("gnn", {}), m.get("ridge", {})
        cost = m.get("state_seconds_per_config", 0.0)
        rows.append([
            f"{system} (`{path}`)", str(m.get("n_groups", "–")), structure_read(ROOT / path, m),
            f"{fmt(g.get('r_mean'), 3)} ± {fmt(g.get('r_sem'), 3)}",
            fmt(g.get("r_contact_per_config"), 3),
            f"{fmt(r.get('r_mean'), 3)} ± {fmt(r.get('r_sem'), 3)}",
            f"{fmt(min(r.get('r_per_config', [float('nan')])), 3)}", fmt(m.get("ceiling"), 3),
            m.get("final", {}).get("model", "gnn").replace("gnn", "network"),
            f"{cost:.1f} s" if cost else "–", f"`{command}`",
        ])  # fmt: skip
    header = ["model", "held-out groups", "structure read", "network r per configuration",
              "network r, contact layer (films)", "ridge r", "lowest ridge r", "noise ceiling",
              "shipped", "state per configuration", "trained by"]  # fmt: skip
    return table(header, rows)


def structure_read(model_dir: Path, metrics: dict) -> str:
    """What a propensity model reads, from its run's config: a state, or the configuration as
    given with each atom's displacement to a state."""
    state = metrics.get("state", "given")
    config = model_dir / "config.yaml"
    cfg = yaml.safe_load(config.read_text()) if config.exists() else {}
    read = state
    if state != "given" and cfg.get("descriptors_from") == "given":
        read = f"the given structure + displacement to its {state} state"
    if cfg.get("film_energy") is not None:
        read += " + pair energies with liquid and substrate"
    return read


def data_table(name: str) -> str:
    """A data set's summary from its manifest: substrates, censored, T_n spread and label noise."""
    sys.path.insert(0, str(ROOT))
    from nucleate.data import dataset
    from nucleate.report.data_card import label_statistics

    root = ROOT / "data" / name
    if not (root / "manifest.csv").exists():
        return f"*Data set `{name}` not found.*"
    rows = dataset.read_manifest(root)
    if rows and "tn_std" not in rows[0]:
        return propensity_data_table(name, rows)
    s = label_statistics(rows)
    tn = [dataset.as_float(r["tn"]) for r in rows]
    tn = [t for t in tn if math.isfinite(t)]
    std = (sum((t - sum(tn) / len(tn)) ** 2 for t in tn) / len(tn)) ** 0.5 if tn else None
    body = [[
        f"`data/{name}`", str(s["n_samples"]), str(len(s["per_family"])), str(s["n_censored"]),
        f"{fmt(s['tn_min'], 3)}–{fmt(s['tn_max'], 3)}", fmt(std), fmt(s["tn_std_median"]),
        fmt(s["label_noise_rms"]),
    ]]  # fmt: skip
    header = ["data set", "substrates", "families", "censored", "T_n range", "std(T_n)",
              "median ramp spread", "label noise (rms)"]  # fmt: skip
    return table(header, body)


def propensity_data_table(name: str, rows: list[dict]) -> str:
    """A propensity data set's summary: substrates, configurations × replicas, label times and
    the labels' noise ceiling (split-half correlation of the replicas)."""

    def mean(key: str) -> str:
        vals = [float(r[key]) for r in rows if r.get(key) not in (None, "")]
        return fmt(sum(vals) / len(vals), 3) if vals else "–"

    configs = sum(int(float(r["n_configs"])) for r in rows)
    replicas = sorted({r["n_replicas"] for r in rows})
    body = [[
        f"`data/{name}`", str(len(rows)), str(configs), "/".join(replicas),
        "/".join(sorted({r["t_star"] for r in rows})), mean("ceiling"), mean("ceiling_contact"),
    ]]  # fmt: skip
    header = ["data set", "substrates", "configurations", "replicas each", "t*",
              "mean noise ceiling", "contact layer"]  # fmt: skip
    return table(header, body)


def benchmark_table(name: str) -> str:
    """benchmarks/results/NAME.md as its benchmark wrote it, or how to make it."""
    f = ROOT / "benchmarks" / "results" / f"{name}.md"
    if f.exists():
        return f.read_text().strip()
    command = BENCHMARKS.get(name, f".venv/bin/python benchmarks/{name}.py")
    return f"*Not measured in this version yet: `{command}` writes `benchmarks/results/{name}.md`.*"


def headline() -> str:
    """The best shipped route per task, with the command that measures it."""
    rows = []
    tn = [(m, route, cmd) for path, route, cmd in TN_MODELS if (m := _tn_metrics(path))]
    tn = [x for x in tn if x[0]["test"].get("rmse") is not None]
    if tn:
        m, route, cmd = min(tn, key=lambda x: x[0]["test"]["rmse"])
        t = m["test"]
        rows.append([
            "T_n of a substrate, lj-fcc-v1 shared test split", route,
            f"RMSE {fmt(t['rmse'])} (mean baseline {fmt(t.get('rmse_mean_baseline'))}, "
            f"label noise {fmt(t.get('label_noise_rms'))})", f"`{cmd}`",
        ])  # fmt: skip
    fam = ROOT / "benchmarks" / "results" / "tn_families.json"
    if fam.exists():
        r = json.loads(fam.read_text())
        liquid = {k: v for k, v in r["routes"].items()
                  if v.get("liquid_only") and v.get("lofo_mean_rmse") is not None}  # fmt: skip
        if liquid:
            best = min(liquid.values(), key=lambda v: v["lofo_mean_rmse"])
            base = r.get("baselines", {}).get("mean", {}).get("lofo_mean_rmse")
            rows.append([
                "T_n of an unseen substrate family, from the liquid only (lj-fcc-v1 + lj-mix-v1, "
                "each family left out in turn)", best["name"],
                f"mean RMSE over families {fmt(best['lofo_mean_rmse'])} (predict the mean "
                f"{fmt(base)}; std(T_n) {fmt(r['std_tn'])})", f"`{BENCHMARKS['tn_families']}`",
            ])  # fmt: skip
    com = ROOT / "benchmarks" / "results" / "tn_committee_union.json"
    if com.exists():
        r = json.loads(com.read_text())
        rmse = r["mean_rmse"]
        members = {k: v for k, v in rmse.items() if k != "committee"}
        best = min(members.values())
        noise = math.sqrt(sum(x["label_noise_rms"] ** 2 for x in r["runs"]) / len(r["runs"]))
        rows.append([
            f"T_n of a substrate of a kind trained on (lj-fcc-v1 + lj-mix-v1, random split by "
            f"substrate, mean over {len(r['runs'])} fresh splits)",
            "committee: liquid descriptors + layer bond order, and substrate descriptors",
            f"RMSE {fmt(rmse['committee'])}, ±2σ cover {fmt(r['committee_coverage_2sigma'], 2)} "
            f"(best member alone {fmt(best)}; label noise {fmt(noise)})",
            f"`{BENCHMARKS['tn_committee_union']}`",
        ])  # fmt: skip
    rates = ROOT / "benchmarks" / "results" / "tn_rates.json"
    if rates.exists():
        r = json.loads(rates.read_text())
        shipped = ROOT / "models" / "lj-fcc-v1-rates" / "rate-head" / "rate_head.json"
        key = json.loads(shipped.read_text())["metrics"].get("route", "head")  # what ships
        head = r["routes"][key]["all_rates"]
        rows.append([
            f"T_n of an unseen substrate at other cooling rates ({', '.join(f'{x:g}' for x in r['rates'])})",
            "liquid descriptors + rate model"
            + (" (slope from T_n and the liquid descriptors)" if key == "head_desc" else ""),
            f"RMSE over all rates {fmt(head.get('rmse'))}, ±2σ cover "
            f"{fmt(head.get('coverage_2sigma'), 2)} (rate ignored "
            f"{fmt(r['routes']['ignore']['all_rates'].get('rmse'))}; std(T_n) {fmt(r['std_tn'])})",
            f"`{BENCHMARKS['tn_rates']}`",
        ])  # fmt: skip
    for path, system, cmd in PROPENSITY_MODELS:
        f = ROOT / path / "metrics.json"
        if f.exists():
            m = json.loads(f.read_text())
            best = m.get("final", {}).get("model", "gnn")  # the route the model ships
            read = structure_read(ROOT / path, m)
            rows.append([
                f"per-atom propensity, {system}",
                ("GNN" if best == "gnn" else "ridge")
                + ("" if read == "given" else f", on {read}" if read.startswith("the given")
                   else f", on the {read} state"),
                f"Pearson r {fmt(m[best]['r_mean'], 3)} (noise ceiling {fmt(m.get('ceiling'), 3)})",
                f"`{cmd}`",
            ])  # fmt: skip
    ka = ROOT / "benchmarks" / "results" / "ka_linear_baseline.json"
    if ka.exists():
        r = json.loads(ka.read_text())
        inputs = r.get("inputs", {})
        ka_model = ROOT / "models" / "ka3d-t044" / "propensity" / "metrics.json"
        shipped = json.loads(ka_model.read_text()) if ka_model.exists() else {}
        if inputs and shipped.get("state", "given") == "given":  # until a model reads the states
            best = max(inputs.values(), key=lambda v: v["r_mean"])
            rows.append([
                "per-atom propensity, Kob–Andersen bulk, T = 0.44, from structural states "
                "(benchmark; not yet a shipped model)", f"ridge, {best['name']}",
                f"Pearson r {fmt(best['r_mean'], 3)} ± {fmt(best['r_se'], 3)} (noise ceiling "
                f"{fmt(r.get('ceiling'), 3)})", f"`{BENCHMARKS['ka_linear_baseline']}`",
            ])  # fmt: skip
    return table(["task", "best route", "result", "measured by"], rows)


def render(kind: str, arg: str) -> str:
    """The text a directive stands for."""
    if kind == "include":  # the file's own title gives way to the page's
        lines = (ROOT / arg).read_text().strip().splitlines()
        return "\n".join(lines[1:] if lines and lines[0].startswith("# ") else lines).strip()
    name, _, rest = arg.partition(" ")
    makers = {
        "models": lambda: models_table(rest.strip()),
        "propensity": lambda: propensity_table(rest.strip()),
        "headline": lambda: headline(),
        "data": lambda: data_table(rest.strip()),
        "benchmark": lambda: benchmark_table(rest.strip()),
    }
    if name not in makers:
        raise ValueError(f"unknown table {name!r}; known: {', '.join(makers)}")
    return makers[name]()


def expand(markdown: str) -> str:
    """Replace every directive line of a page by the text it stands for (a block's old table,
    up to its end marker, goes with it)."""
    ends = {start: end for start, end, _, _ in blocks(markdown)}
    lines = markdown.splitlines()
    out, k = [], 0
    while k < len(lines):
        m = DIRECTIVE.match(lines[k].strip())
        if m:
            out.append(render(*m.groups()))
            k = ends.get(k, k) + 1
        else:
            out.append(lines[k])
            k += 1
    return "\n".join(out) + ("\n" if markdown.endswith("\n") else "")


def blocks(text: str) -> list[tuple[int, int, str, str]]:
    """Every block of a file: (directive line, end-marker line, kind, argument); a directive
    followed by another directive before an end marker is a plain directive, not a block."""
    lines = text.splitlines()
    found = []
    for k, line in enumerate(lines):
        m = DIRECTIVE.match(line.strip())
        if not m or m.group(1) != "table":
            continue
        for j in range(k + 1, len(lines)):
            if lines[j].strip() == END:
                found.append((k, j, m.group(1), m.group(2)))
                break
            if DIRECTIVE.match(lines[j].strip()):
                break
    return found


def refreshed(text: str) -> str:
    """The text with every block's table rendered anew from the files."""
    lines = text.splitlines()
    for start, end, kind, arg in reversed(blocks(text)):
        lines[start + 1 : end] = render(kind, arg).splitlines()
    return "\n".join(lines) + "\n"


def update_generated() -> list[str]:
    """Rewrite the blocks of every :data:`GENERATED` file; the files that changed."""
    changed = []
    for name in GENERATED:
        path = ROOT / name
        text = path.read_text()
        new = refreshed(text)
        if new != text:
            path.write_text(new)
            changed.append(name)
    return changed


if __name__ == "__main__":
    changed = update_generated()
    print("tables updated in " + ", ".join(changed) if changed else "every table already current")
