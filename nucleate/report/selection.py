"""Report of a descriptor-selection run: clustered correlation heat map with its dendrogram, error
against the number of descriptors, the ranking marked liquid / substrate, and a parity plot."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np


def write_report(
    out: Path, metrics: dict, selector, names, y, pred, part, censored, families
) -> Path:
    import matplotlib.pyplot as plt
    from scipy.cluster.hierarchy import dendrogram

    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    # 1. clustered correlation heat map
    fig = plt.figure(figsize=(11, 9.5))
    ax_d = fig.add_axes((0.08, 0.80, 0.72, 0.15))
    ax_h = fig.add_axes((0.08, 0.10, 0.72, 0.70))
    ax_c = fig.add_axes((0.83, 0.10, 0.02, 0.70))
    if len(names) > 1:
        dn = dendrogram(
            selector.linkage_, ax=ax_d, no_labels=True, color_threshold=selector.threshold
        )
        order = dn["leaves"]
    else:
        order = [0]
    ax_d.set_axis_off()
    corr = selector.correlation_[np.ix_(order, order)]
    im = ax_h.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    kept = set(selector.representatives_.tolist())
    labels = [("● " if i in kept else "") + names[i] for i in order]
    ax_h.set_xticks(range(len(order)), labels, rotation=90, fontsize=6)
    ax_h.set_yticks(range(len(order)), labels, fontsize=6)
    fig.colorbar(im, cax=ax_c, label="Spearman ρ")
    fig.savefig(fig_dir / "correlation.png", dpi=120)
    plt.close(fig)
    # 2. error against the number of descriptors
    fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    for name, curve in metrics["cv_rmse_vs_k"].items():
        ax.plot(range(1, len(curve) + 1), curve, "o-", label=name)
    ax.set_xlabel("descriptors kept (by importance)")
    ax.set_ylabel("cross-validated RMSE of T_n")
    ax.legend()
    fig.savefig(fig_dir / "error_vs_k.png", dpi=130)
    plt.close(fig)
    # 3. ranking
    rank = metrics["ranking"]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(rank) + 1.2), layout="constrained")
    colors = ["C0" if r["kind"] == "liquid" else "C3" for r in rank]
    ax.barh(range(len(rank))[::-1], [r["importance"] for r in rank], color=colors)
    ax.set_yticks(range(len(rank))[::-1], [r["name"] for r in rank], fontsize=7)
    ax.set_xlabel("permutation importance (RMSE increase)")
    ax.set_title("blue: liquid, red: substrate", fontsize=9)
    fig.savefig(fig_dir / "ranking.png", dpi=130)
    plt.close(fig)
    # 4. parity
    fig, ax = plt.subplots(figsize=(4.4, 4.2), layout="constrained")
    refit = metrics.get("fitted_on") == "train+val"  # then validation is in the final fit
    for p, marker in (("train", "."), ("val", "s"), ("test", "o")):
        sel = (part == p) & ~censored
        label = "val (in the final fit)" if p == "val" and refit else p
        ax.scatter(y[sel], pred[sel], marker=marker, s=18 if p != "train" else 10, label=label)
    lo, hi = np.nanmin(y), np.nanmax(y)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("T_n from cooling ramps")
    ax.set_ylabel(f"predicted ({metrics['chosen']})")
    ax.legend(fontsize=8)
    fig.savefig(fig_dir / "parity.png", dpi=130)
    plt.close(fig)
    t = metrics["test"]

    def fmt(v):
        return f"{v:.4f}" if isinstance(v, float) else html.escape(str(v))

    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{html.escape(r['name'])}</td><td>{r['kind']}</td>"
        f"<td>{r['importance']:.4f}</td><td>{r['relevance']:.3f}</td>"
        f"<td>{html.escape(', '.join(r['cluster']))}</td></tr>"
        for i, r in enumerate(rank)
    )
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>descriptor selection</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}td,th{{padding:2px 8px;
font-size:13px;text-align:left}}img{{max-width:100%}}</style></head><body>
<h1>Descriptor selection: {html.escape(str(metrics["config"]["data"]))}</h1>
<p>{metrics["n_samples"]} substrates ({metrics["n_censored"]} censored), split
{metrics["split"]}; {metrics["n_descriptors"]} descriptors in {metrics["n_clusters"]} clusters.
Top four: {metrics["top4_liquid"]} liquid, {metrics["top4_substrate"]} substrate.
Chosen on validation: <b>{metrics["chosen"]}</b> with {len(metrics["chosen_features"])} descriptors,
then fitted on {metrics.get("n_fit", "?")} substrates ({metrics.get("fitted_on", "train")}).</p>
<h2>Test (touched once)</h2><table>{"".join(f"<tr><th>{k}</th><td>{fmt(v)}</td></tr>" for k, v in t.items())}</table>
{_censoring_html(metrics.get("censoring"), fmt)}
<h2>Leave one family out (RMSE)</h2><pre>{html.escape(str(metrics["leave_one_family_out_rmse"]))}</pre>
<p>Fraction of the held-out family within ±2σ (regressors with their own σ):</p>
<pre>{html.escape(str(metrics.get("leave_one_family_out_coverage_2sigma", {})))}</pre>
<h2>Ranking</h2><table><tr><th>#</th><th>descriptor</th><th>kind</th><th>importance</th>
<th>|ρ| with T_n</th><th>its cluster</th></tr>{rows}</table>
<img src="figures/ranking.png"><img src="figures/error_vs_k.png"><img src="figures/parity.png">
<h2>Clustered correlations (● kept)</h2><img src="figures/correlation.png">
</body></html>"""
    path = out / "report.html"
    path.write_text(page)
    return path


def _censoring_html(c: dict | None, fmt) -> str:
    """The censoring classifier's validation and test scores, or nothing without one."""
    if not c:
        return ""
    parts = [p for p in ("val", "test") if p in c]
    keys = list(c[parts[0]]) if parts else []
    head = "".join(f"<th>{p}</th>" for p in parts)
    body = "".join(
        f"<tr><th>{k}</th>" + "".join(f"<td>{fmt(c[p][k])}</td>" for p in parts) + "</tr>"
        for k in keys
    )
    return (
        f"<h2>Below the floor ({c['floor']}): logistic classifier on {len(c['columns'])} "
        f"descriptors</h2><p>Training base rate {c['train_base_rate']:.2f}.</p>"
        f"<table><tr><th></th>{head}</tr>{body}</table>"
    )
