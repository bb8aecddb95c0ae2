"""Pictures of featurizer results (matplotlib, headless)."""

from __future__ import annotations

import os


def plot_profile(profile, path: str | os.PathLike, title: str | None = None) -> None:
    """Save the density profile with the layer bounds shaded (PNG, PDF or SVG by extension)."""
    import matplotlib

    matplotlib.use("Agg")
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
