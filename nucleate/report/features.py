"""Pictures of featurizer results (matplotlib, headless)."""

from __future__ import annotations

import os


def plot_profile(profile, path: str | os.PathLike, title: str | None = None) -> None:
    """Save the density profile with the layer bounds shaded (PNG, PDF or SVG by extension)."""
    import matplotlib.pyplot as plt

    u = {"lj": "σ", "real": "Å", "metal": "Å"}[profile.units]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    ax.plot(profile.heights, profile.density, color="0.75", lw=0.8, label="histogram")
    ax.plot(profile.heights, profile.smoothed, color="C0", lw=1.5, label="smoothed")
    ax.axhline(profile.bulk_density, color="k", ls=":", lw=1, label="bulk")
    for k, layer in enumerate(profile.layers, start=1):
        ax.axvspan(layer.lower, layer.upper, color=f"C{k}", alpha=0.2, label=f"layer {k}")
    ax.axvline(0.0, color="C3", lw=1, label="substrate surface")
    ax.set_xlabel(f"height above substrate ({u})")
    ax.set_ylabel(f"liquid number density ({u}$^{{-3}}$)")
    top = profile.layers[-1].upper
    ax.set_xlim(min(profile.heights[0], -0.5 * profile.d_liquid), top + 4 * profile.d_liquid)
    ax.legend(fontsize=8, ncols=2)
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_feature_output(out: str | os.PathLike, featurizer: str, path: str | os.PathLike) -> None:
    """A picture of a featurize output: the density images (first 8, each channel), or the
    density profiles of the ``layers`` featurizer."""
    from pathlib import Path

    import matplotlib.pyplot as plt
    import numpy as np

    out = Path(out)
    if featurizer == "density_image":
        with np.load(out / "images.npz") as data:
            ids, images = list(data["ids"])[:8], data["images"][:8]
        n, c = images.shape[:2]
        fig, axes = plt.subplots(
            c, n, figsize=(2.2 * n, 2.3 * c), squeeze=False, layout="constrained"
        )
        for j in range(n):
            for ch in range(c):
                ax = axes[ch, j]
                ax.imshow(images[j, ch], origin="lower", cmap="magma")
                ax.set_xticks([])
                ax.set_yticks([])
                if ch == 0:
                    ax.set_title(str(ids[j]), fontsize=7)
                if j == 0:
                    ax.set_ylabel(f"layer {ch + 1}")
    elif featurizer == "layers":
        fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
        for f in sorted(out.glob("*.npz"))[:8]:
            with np.load(f) as data:
                ax.plot(data["heights"], data["density"], lw=0.8, label=f.stem)
        ax.set_xlabel("height above substrate")
        ax.set_ylabel("liquid number density")
        ax.legend(fontsize=6)
    else:
        from nucleate.errors import InputError

        raise InputError(f"no picture for featurizer {featurizer!r}")
    fig.savefig(path, dpi=130)
    plt.close(fig)
