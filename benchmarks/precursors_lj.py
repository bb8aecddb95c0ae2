"""Issue 9 groundwork: precursor descriptors of the contact layer of every lj-fcc-v1 substrate
(q̄4–q̄6 against liquid / fcc / hcp / bcc references simulated at T_eq = 0.68), their Spearman
correlation with T_n, and per facet the crystal the contact layer leans to beside the polymorph
of the crystal grown in the ramps.

    .venv/bin/python benchmarks/precursors_lj.py   (about 1 minute)
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from results_io import write_results
from scipy.stats import spearmanr

from nucleate.data.dataset import SAMPLE_SIDE
from nucleate.data.io import read_frames
from nucleate.featurize.precursors import classifier_at, contact_layer_order

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("frac_preordered", "frac_crystal_like", "q6_preordered", "lean_fcc", "lean_hcp", "lean_bcc")


def _num(value: str) -> float:
    return float(value) if value else float("nan")


def main(data: Path = ROOT / "data" / "lj-fcc-v1") -> None:
    pc = classifier_at(0.68)
    print(
        f"thresholds: pre-ordered q6 >= {pc.q6_preordered:.3f}, crystal-like >= {pc.q6_crystal:.3f}"
    )
    with open(data / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        frames = read_frames(data / "samples" / r["id"] / "frames.extxyz.gz", side=SAMPLE_SIDE)[::5]
        d = pc.descriptors(contact_layer_order(frames))
        d.update(tn=_num(r["tn"]), fcc=_num(r["fcc"]), hcp=_num(r["hcp"]), facet=r["facet"])
        out.append(d)
    ok = [d for d in out if np.isfinite(d["tn"])]
    tn = [d["tn"] for d in ok]
    print(f"{len(out)} substrates, {len(ok)} uncensored")
    numbers: dict = {"data": str(data), "substrates": len(out), "uncensored": len(ok),
                     "q6_preordered": pc.q6_preordered, "q6_crystal": pc.q6_crystal,
                     "spearman_with_tn": {}, "mean": {}, "per_facet": {}}  # fmt: skip
    rows_md = ["| descriptor | Spearman with T_n | mean |", "| --- | --- | --- |"]
    for k in KEYS:
        rho = float(spearmanr([d[k] for d in ok], tn).statistic)
        mean = float(np.mean([d[k] for d in out]))
        numbers["spearman_with_tn"][k], numbers["mean"][k] = rho, mean
        rows_md.append(f"| `{k}` | {rho:+.2f} | {mean:.3f} |")
        print(f"{k:18s} Spearman with T_n {rho:+.2f}   mean {mean:.3f}")
    rho = float(spearmanr([d["lean_fcc"] for d in ok], [d["fcc"] for d in ok]).statistic)
    numbers["lean_fcc_vs_grown_fcc"] = rho
    print(f"lean_fcc against the fcc fraction of the grown crystal: Spearman {rho:+.2f}")
    facets = ["", "| facet | contact layer leans fcc / hcp / bcc | grown fcc / hcp |",
              "| --- | --- | --- |"]  # fmt: skip
    for facet in ("100", "110", "111"):
        sel = [d for d in ok if d["facet"] == facet]
        lean = [float(np.mean([d[k] for d in sel])) for k in KEYS[3:]]
        grown = [float(np.nanmean([d[k] for d in sel])) for k in ("fcc", "hcp")]
        numbers["per_facet"][facet] = {"lean": lean, "grown": grown}
        text = (" / ".join(f"{v:.2f}" for v in lean), " / ".join(f"{v:.2f}" for v in grown))
        facets.append(f"| fcc({facet}) | {text[0]} | {text[1]} |")
        print(
            f"fcc({facet}): contact layer leans fcc / hcp / bcc {text[0]}; grown fcc / hcp {text[1]}"
        )
    note = (f"\n\nlean_fcc against the fcc fraction of the grown crystal: Spearman {rho:+.2f} "
            f"({len(ok)} uncensored of {len(out)} substrates).")  # fmt: skip
    write_results("precursors_lj", numbers, "\n".join(rows_md + facets) + note)


if __name__ == "__main__":
    main()
