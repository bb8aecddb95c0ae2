"""A committee of descriptor models over split seeds: each member a finished ``tn_splits.py`` run
(one ``nucleate select`` run per seed, all on the same data, so a seed is the same split for
every member), their test predictions combined as ``nucleate predict`` combines several
descriptor models (``nucleate.predict.core.committee``: the mean; σ² = the members' mean σ² +
the variance of their predictions), and scored beside each member alone.

    .venv/bin/python benchmarks/tn_committee.py --members runs/bench/tn_splits_union_substrate
        runs/bench/tn_splits_union_liquid_bo --data runs/data/lj-union --seeds 1 2 3 4 5
        [--goal 0.2] [--name tn_committee_union]

A member may also be one run of one seed: a select run's folder or a shipped model (its
predictions.csv and model.json), used for the seed it was split with (the shipped pair:
``--members runs/select/lj-union-substrate models/lj-mix-v1/descriptors-liquid-bo --seeds 0``).

The members' weights are equal and fixed before any test substrate is seen (no choice on the
test part). Writes ``benchmarks/results/NAME.{json,md}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from functools import cache
from pathlib import Path

import numpy as np
from results_io import write_results

from nucleate.predict.core import committee

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from tn_models import _labels  # noqa: E402


@cache  # (read once per run: each seed's scoring and its LOFO ask again)
def run_info(run: Path) -> dict | None:
    """What the committee needs of one member's run: its chosen regressor, the σ of one without
    its own (the validation RMSE, as `nucleate predict` reads it), the test labels' noise, the
    split seed, the descriptor kinds and featurizer settings; from a select run's metrics.json or
    a shipped model's model.json. ``None`` where neither is."""
    if (run / "metrics.json").exists():
        m = json.loads((run / "metrics.json").read_text())
        c = m["config"]
        return {"chosen": m["chosen"], "fallback": m["val_rmse"][m["chosen"]],
                "noise": m["test"].get("label_noise_rms"), "seed": c["seed"],
                "kinds": c["kinds"], "settings": c["featurizer_settings"]}  # fmt: skip
    if (run / "model.json").exists():
        from nucleate.featurize.descriptors import descriptor_table

        m = json.loads((run / "model.json").read_text())
        kind = {d.name: d.kind for d in descriptor_table(2, precursors=True)}
        return {"chosen": m["regressor"], "fallback": m["val_rmse"],
                "noise": m["test"].get("label_noise_rms"), "seed": m["seed"],
                "kinds": sorted({kind.get(c, "liquid") for c in m["columns"]}),
                "settings": m["featurizer_settings"]}  # fmt: skip
    return None


def run_dir(member: Path, seed: int) -> Path | None:
    """A member's run of one split seed: tn_splits.py's ``seedN`` folder, or the member itself (a
    select run or a shipped model with its predictions.csv) when it is of that seed."""
    if run_info(member / f"seed{seed}") is not None:
        return member / f"seed{seed}"
    info = run_info(member)
    if info is not None and info["seed"] == seed and (member / "predictions.csv").exists():
        return member
    return None


def _read(run: Path) -> dict[str, dict]:
    with open(run / "predictions.csv", newline="") as fh:
        return {r["id"]: r for r in csv.DictReader(fh)}


def score_seed(runs: list[Path]) -> dict:
    """The members' and the committee's RMSE and ±2σ coverage on the uncensored test substrates
    of one seed (the members must share the split)."""
    preds = [_read(r) for r in runs]
    ids = [i for i, r in preds[0].items() if r["split"] == "test" and r["censored"] == "False"]
    for p, run in zip(preds[1:], runs[1:], strict=True):
        if any(p[i]["split"] != "test" for i in ids) or len(p) != len(preds[0]):
            raise SystemExit(f"{run}: not the same split as {runs[0]}")
    y = np.array([float(preds[0][i]["tn"]) for i in ids])
    mean = np.array([[float(p[i]["predicted"]) for i in ids] for p in preds])
    # a regressor without its own σ: its validation RMSE, as `nucleate predict` reads it
    std = []
    for p, run in zip(preds, runs, strict=True):
        fallback = run_info(run)["fallback"]
        std.append([float(p[i]["predicted_std"] or fallback) for i in ids])
    std = np.array(std)
    tn, sd = committee(mean, std)

    def scores(p, s):
        return {"rmse": float(np.sqrt(np.mean((p - y) ** 2))),
                "coverage_2sigma": float(np.mean(np.abs(p - y) <= 2 * s)),
                "mean_std": float(s.mean())}  # fmt: skip

    return {"n_test": len(ids), "label_noise_rms": run_info(runs[0])["noise"],
            "members": [scores(p, s) for p, s in zip(mean, std, strict=True)],
            "committee": scores(tn, sd),
            "error_correlation": float(np.corrcoef(mean - y)[0, 1]) if len(runs) == 2 else None}  # fmt: skip


def lofo_seed(runs: list[Path]) -> dict[str, dict] | None:
    """Leaving each family out in turn (each member's chosen regressor refitted on the other
    families with the descriptors its run chose on its training part, from its
    ``lofo_predictions.csv``): per family the members' and the committee's RMSE and ±2σ
    coverage. ``None`` where a member ran without them."""
    if not all((r / "lofo_predictions.csv").exists() for r in runs):
        return None
    mean, std, y, fam = [], [], None, None
    for run in runs:
        info = run_info(run)
        with open(run / "lofo_predictions.csv", newline="") as fh:
            rows = sorted((r for r in csv.DictReader(fh) if r["regressor"] == info["chosen"]),
                          key=lambda r: r["id"])  # fmt: skip
        ids = [r["id"] for r in rows]
        if y is None:
            first, y = ids, np.array([float(r["tn"]) for r in rows])
            fam = np.array([r["family"] for r in rows])
        elif ids != first:
            raise SystemExit(f"{run}: not the same leave-one-family-out substrates")
        fallback = info["fallback"]
        mean.append([float(r["predicted"]) for r in rows])
        std.append([float(r["predicted_std"] or fallback) for r in rows])
    mean, std = np.array(mean), np.array(std)
    tn, sd = committee(mean, std)
    out = {}
    for f in sorted(set(fam)):
        k = fam == f

        def scores(p, s, k=k):
            return {"rmse": float(np.sqrt(np.mean((p[k] - y[k]) ** 2))),
                    "coverage_2sigma": float(np.mean(np.abs(p[k] - y[k]) <= 2 * s[k]))}  # fmt: skip

        out[f] = {"n": int(k.sum()), "members": [scores(p, s) for p, s in zip(mean, std, strict=True)],
                  "committee": scores(tn, sd)}  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--members", nargs="+", required=True, help="tn_splits.py output folders")
    ap.add_argument("--data", default="runs/data/lj-union")
    ap.add_argument("--seeds", type=int, nargs="+", required=True)
    ap.add_argument("--goal", type=float, default=0.2, help="the goal line, × std(T_n)")
    ap.add_argument("--name", default="tn_committee_union")
    args = ap.parse_args()
    members = [(ROOT / m).resolve() for m in args.members]
    # the config file each member ran (tn_splits.py records it), else the member itself
    files = [json.loads((m / "results.json").read_text())["config"]
             if (m / "results.json").exists() else str(Path(a))
             for m, a in zip(members, args.members, strict=True)]  # fmt: skip
    labels = _labels(ROOT / args.data)
    goal = args.goal * labels["std"]
    runs = []
    for seed in args.seeds:
        dirs = [run_dir(m, seed) for m in members]
        missing = [str(m) for m, d in zip(members, dirs, strict=True) if d is None]
        if missing:
            raise SystemExit(f"no finished run of seed {seed} in {', '.join(missing)}")
        runs.append({"seed": seed, **score_seed(dirs)})
    configs = [run_info(run_dir(m, args.seeds[0])) for m in members]
    names = [Path(m).name for m in args.members]
    lines = [
        f"Members (each a `nucleate select` run per split seed on `{args.data}`, "
        f"{labels['n']} substrates; std(T_n) = {labels['std']:.4f}, goal {args.goal} × std = "
        f"{goal:.4f}):",
        "",
        *[
            f"- `{n}`: `{path}`, kinds {c['kinds']}, featurizer settings "
            f"`{json.dumps(c['settings'])}`"
            for n, path, c in zip(names, files, configs, strict=True)
        ],
        "",
        "| split seed | uncensored test substrates | label noise (rms) | "
        + " | ".join(f"{n} RMSE (±2σ cover)" for n in names)
        + " | committee RMSE (±2σ cover) | members' error correlation |",
        "|---|---|---|" + "---|" * (len(names) + 2),
    ]
    for r in runs:
        cells = [f"{m['rmse']:.4f} ({m['coverage_2sigma']:.2f})" for m in r["members"]]
        c = r["committee"]
        corr = "–" if r["error_correlation"] is None else f"{r['error_correlation']:.2f}"
        lines.append(f"| {r['seed']} | {r['n_test']} | {r['label_noise_rms']:.4f} | "
                     + " | ".join(cells) + f" | {c['rmse']:.4f} ({c['coverage_2sigma']:.2f}) | "
                     f"{corr} |")  # fmt: skip
    mean = {n: float(np.mean([r["members"][k]["rmse"] for r in runs]))
            for k, n in enumerate(names)}  # fmt: skip
    com = np.array([r["committee"]["rmse"] for r in runs])
    cover = float(np.mean([r["committee"]["coverage_2sigma"] for r in runs]))
    best = min(mean, key=mean.get)
    noise = float(np.sqrt(np.mean([r["label_noise_rms"] ** 2 for r in runs])))
    lines += [
        "",
        f"Mean test RMSE over {len(runs)} seed{'s' if len(runs) > 1 else ''}: committee {com.mean():.4f} ± "
        + (f"{com.std(ddof=1) / np.sqrt(len(com)):.4f}" if len(com) > 1 else "–")
        + " (standard error), "
        f"±2σ coverage {cover:.2f}; best member alone ({best}) {mean[best]:.4f}; the committee "
        f"is better on {sum(r['committee']['rmse'] < min(m['rmse'] for m in r['members']) for r in runs)} "
        f"of {len(runs)} seeds. Goal {goal:.4f}: "
        + ("met" if com.mean() <= goal else f"missed by {com.mean() - goal:.4f}")
        + f" (the test labels' own noise, rms over seeds, {noise:.4f}: it leaves a model "
        f"{np.sqrt(max(goal**2 - noise**2, 0.0)):.4f} of its own error, the committee has "
        f"{np.sqrt(max(com.mean() ** 2 - noise**2, 0.0)):.4f}).",
    ]
    lofo = next(((r["seed"], lo) for r in runs
                 if (lo := lofo_seed([m / f"seed{r['seed']}" for m in members]))), None)  # fmt: skip
    if lofo:
        seed, per = lofo
        lines += [
            "",
            f"Leaving each family out in turn (the refits of seed {seed}'s runs, each member's "
            "chosen regressor fitted on the other families): RMSE (±2σ cover) of the family.",
            "",
            "| family | n | " + " | ".join(names) + " | committee |",
            "|---|---|" + "---|" * (len(names) + 1),
        ]
        for f, v in per.items():
            cells = [f"{m['rmse']:.4f} ({m['coverage_2sigma']:.2f})"
                     for m in (*v["members"], v["committee"])]  # fmt: skip
            lines.append(f"| {f} | {v['n']} | " + " | ".join(cells) + " |")
        avg = [np.mean([v["members"][k]["rmse"] for v in per.values()]) for k in range(len(names))]
        avg.append(np.mean([v["committee"]["rmse"] for v in per.values()]))
        lines.append("| mean over families | | " + " | ".join(f"{a:.4f}" for a in avg) + " |")
    text = "\n".join(lines) + "\n"
    numbers = {"members": args.members, "data": args.data, "labels": labels, "goal": goal,
               "runs": runs, "mean_rmse": {"committee": float(com.mean()), **mean},
               "committee_coverage_2sigma": cover,
               "lofo": None if not lofo else {"seed": lofo[0], "families": lofo[1]}}  # fmt: skip
    write_results(args.name, numbers, text)
    print(text)


if __name__ == "__main__":
    main()
