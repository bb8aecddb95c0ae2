"""Pictures of training runs: parity and learning curves, polymorph fractions, propensity parity."""

from __future__ import annotations

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np


def polymorph_picture(path: Path, true, pred, part, has, families) -> None:
    """Observed against predicted fcc / hcp / bcc fractions of the grown crystal, and per family."""

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), layout="constrained")
    for j, name in enumerate(("fcc", "hcp", "bcc")):
        ax = axes[j]
        for p, marker in (("train", "."), ("test", "o")):
            sel = (part == p) & has
            ax.scatter(true[sel, j], pred[sel, j], marker=marker, s=18, alpha=0.7, label=p)
        ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        ax.set(xlabel=f"observed {name} fraction", ylabel="predicted", xlim=(0, 1), ylim=(0, 1))
        ax.legend(fontsize=7)
    ax = axes[3]
    fams = sorted(set(families))
    x = np.arange(len(fams))
    for j, name in enumerate(("fcc", "hcp", "bcc")):
        obs = [true[(families == f) & has, j].mean() for f in fams]
        prd = [pred[(families == f) & has, j].mean() for f in fams]
        ax.bar(x + 0.27 * (j - 1), obs, 0.25, color=f"C{j}", alpha=0.5, label=f"{name} observed")
        ax.scatter(x + 0.27 * (j - 1), prd, color=f"C{j}", marker="D", s=25)
    ax.set_xticks(x, fams)
    ax.set(ylabel="mean fraction (bars observed, ◆ predicted)", title="per facet")
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parity_pictures(out: Path, y, pred, part, censored) -> None:
    """``parity.png`` (predicted against ramp T_n by part) and, from the CSV log,
    ``learning_curves.png``."""

    fig, ax = plt.subplots(figsize=(4.4, 4.2), layout="constrained")
    for p, marker in (("train", "."), ("val", "s"), ("test", "o")):
        sel = (part == p) & ~censored
        ax.scatter(y[sel], pred[sel], marker=marker, label=p)
    lo, hi = np.nanmin(y), np.nanmax(y)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("T_n from cooling ramps")
    ax.set_ylabel("predicted T_n")
    ax.legend()
    fig.savefig(out / "parity.png", dpi=130)
    plt.close(fig)
    log = out / "logs" / "metrics.csv"
    if log.exists():
        with open(log) as fh:
            rows = list(csv.DictReader(fh))
        fig, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
        for key in ("train_loss", "val_loss"):
            pts = [(int(r["epoch"]), float(r[key])) for r in rows if r.get(key)]
            if pts:
                ax.plot(*zip(*pts, strict=True), label=key)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.legend()
        fig.savefig(out / "learning_curves.png", dpi=130)
        plt.close(fig)


def propensity_parity(targets, pred_gnn, pred_ridge, metrics: dict, path: Path) -> None:
    """Hexbin parity of per-atom propensity for the graph model and ridge, per-configuration
    targets and predictions as lists of arrays."""
    t = np.concatenate(targets)
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), constrained_layout=True)
    for ax, preds, name in ((axes[0], pred_gnn, "gnn"), (axes[1], pred_ridge, "ridge")):
        p = np.concatenate(preds)
        ok = np.isfinite(t) & np.isfinite(p)
        ax.hexbin(t[ok], p[ok], gridsize=60, bins="log", cmap="viridis", mincnt=1)
        m = metrics[name]
        ax.set(xlabel="true propensity", ylabel="predicted",
               title=f"{name.upper()}: r per config {m['r_mean']:.3f}, pooled {m['r_pooled']:.3f}")  # fmt: skip
    fig.suptitle(f"{metrics['n_configs']} configurations, held out by group; noise ceiling "
                 f"{metrics['ceiling']:.3f}")  # fmt: skip
    fig.savefig(path, dpi=110)
    plt.close(fig)
