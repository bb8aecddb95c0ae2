"""Pictures of featurizer results: density profiles, feature outputs, precursor maps."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt

from nucleate.featurize.precursors import (
    CLASSES,
    PrecursorClassifier,
    cached_reference_clouds,
    contact_layer_order,
)


def plot_profile(profile, path: str | os.PathLike, title: str | None = None) -> None:
    """Save the density profile with the layer bounds shaded (PNG, PDF or SVG by extension)."""

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


def _draw_map(ax, q, pc, clouds, temperature: float, title: str) -> dict:
    colours = {"liquid": "0.6", "fcc": "C0", "hcp": "C2", "bcc": "C1"}
    for name, cloud in clouds.items():
        ax.scatter(*cloud[::4].T, s=3, alpha=0.15, c=colours[name])
        ax.scatter([], [], s=20, c=colours[name], label=f"{name} at T = {temperature:g}")
    cls = pc.classify(q)
    for k, (name, marker) in enumerate(zip(CLASSES, ("x", "o", "s"), strict=True)):
        sel = cls == k
        ax.scatter(*q[sel].T, s=14, marker=marker, c="k" if k == 0 else ("C3" if k == 1 else "C4"),
                   label=f"contact layer: {name} ({sel.mean():.0%})")  # fmt: skip
    ax.axhline(pc.q6_preordered, c="C3", ls=":", lw=1)
    ax.axhline(pc.q6_crystal, c="C4", ls=":", lw=1)
    d = pc.descriptors(q)
    ax.set(xlabel="q̄4", ylabel="q̄6", xlim=(0, 0.25), ylim=(0, 0.6), title=title)
    ax.text(0.01, 0.01, "ordered atoms lean to fcc / hcp / bcc: "
            f"{d['lean_fcc']:.2f} / {d['lean_hcp']:.2f} / {d['lean_bcc']:.2f}",
            transform=ax.transAxes, fontsize=8)  # fmt: skip
    ax.legend(fontsize=7, loc="upper left")
    return d


def plot_precursor_map(frames, temperature: float, path, title: str = "", a0: float = 1.617):
    """The contact layer's atoms in the q̄4–q̄6 plane over the liquid, fcc, hcp and bcc reference
    clouds at ``temperature``, coloured by class (liquid / pre-ordered / crystal-like), with the
    thresholds and the layer's precursor descriptors (returned)."""
    return plot_precursor_maps([frames], [title], temperature, path, a0)[0]


def plot_precursor_maps(frame_sets, titles, temperature: float, path, a0: float = 1.617):
    """:func:`plot_precursor_map` of several interfaces side by side (e.g. a strong and a weak
    nucleator); returns their descriptors."""
    clouds = cached_reference_clouds(temperature, a0)
    pc = PrecursorClassifier.from_references(clouds)
    n = len(frame_sets)
    fig, axes = plt.subplots(1, n, figsize=(6.2 * n, 5), constrained_layout=True, squeeze=False)
    out = []
    for ax, frames, title in zip(axes[0], frame_sets, titles, strict=True):
        q = contact_layer_order(frames)
        out.append(_draw_map(ax, q, pc, clouds, temperature, title or "contact layer"))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return out
