"""Pictures of predictions: the contact layer's density image of each predicted interface (with the
CNN's saliency map when the model reads images) and, for a screen, the ranking with its spreads."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def saliency(models, image: np.ndarray) -> np.ndarray:
    """|dT_n / d pixel| summed over channels, averaged over the ensemble's members."""
    import torch

    maps = []
    for m in models:
        x = torch.as_tensor(image[None], dtype=torch.float32).requires_grad_(True)
        m(x).sum().backward()
        maps.append(x.grad.abs().sum(dim=1)[0].numpy())
    return np.mean(maps, axis=0)


def plot_predictions(results: list[dict], models, frames_of, path: str | Path, n: int = 4) -> Path:
    """``results``: dicts with id, tn, tn_std (ranked); ``frames_of(result)`` gives its frames.
    Shows the first ``n`` interfaces (and the last, when more are ranked) and the ranking."""
    from matplotlib.figure import Figure  # not pyplot: its import is most of a picture's cost

    from nucleate.featurize.pipeline import build

    meta = models[0].hparams.meta
    reads_images = meta["features"] == "density_image"
    featurizer = build("density_image", meta["featurizer_settings"] if reads_images else {})
    shown = results[:n] if len(results) <= n else [*results[: n - 1], results[-1]]
    rows = 2 if reads_images else 1
    ranking = len(results) > 1
    cols = len(shown) + ranking
    fig = Figure(figsize=(2.6 * cols + 1.4 * ranking, 2.7 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, cols, width_ratios=[1.0] * len(shown) + [1.6] * ranking)
    for c, r in enumerate(shown):
        image = featurizer(frames_of(r))
        ax = fig.add_subplot(grid[0, c])
        ax.imshow(image[0], origin="lower", cmap="magma")
        ax.set_title(f"{r['id']}\nT_n = {r['tn']:.3f} ± {r['tn_std']:.3f}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        if c == 0:
            ax.set_ylabel("contact-layer density")
        if reads_images:
            from scipy.ndimage import gaussian_filter

            ax = fig.add_subplot(grid[1, c])
            ax.imshow(gaussian_filter(saliency(models, image), 1.0), origin="lower", cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel("saliency |dT_n/dx|")
    if ranking:
        ax = fig.add_subplot(grid[:, -1])
        k = np.arange(len(results))[::-1]
        ax.errorbar([r["tn"] for r in results], k, xerr=[r["tn_std"] for r in results], fmt="o",
                    ms=3, capsize=2)  # fmt: skip
        ax.set_yticks(k, [r["id"] for r in results], fontsize=6)
        ax.set_xlabel("predicted T_n (ensemble mean ± spread)")
        ax.set_title("ranking", fontsize=8)
    fig.savefig(path, dpi=120)
    return Path(path)


def plot_rate_curves(results: list[dict], path: str | Path, rate_ref: float) -> Path:
    """T_n ± 2σ against cooling rate for each predicted substrate (``by_rate`` of each result,
    with its T_n at the models' own rate ``rate_ref``)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for r in results:
        points = sorted([(rate_ref, r["tn"], r["tn_std"])]
                        + [(e["rate"], e["tn"], e["tn_std"]) for e in r["by_rate"]])  # fmt: skip
        x, y, s = (np.array(v) for v in zip(*points, strict=True))
        (line,) = ax.plot(x, y, "o-", ms=3, lw=1.2, label=r["id"])
        ax.fill_between(x, y - 2 * s, y + 2 * s, color=line.get_color(), alpha=0.12, lw=0)
    ax.set_xscale("log")
    rates = sorted({rate_ref, *(e["rate"] for e in results[0]["by_rate"])})
    ax.set_xticks(rates, [f"{x:g}" for x in rates])
    ax.minorticks_off()
    ax.set_xlabel("cooling rate")
    ax.set_ylabel("predicted T_n (± 2σ)")
    if len(results) <= 12:
        ax.legend(fontsize=7, frameon=False)
    fig.savefig(path, dpi=120)
    return Path(path)
