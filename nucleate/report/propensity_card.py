"""The data card of a propensity data set: how it was made, t* and q*, the labels' noise ceilings,
and how propensity changes with the distance from the substrate and with the substrate's T_n."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nucleate.data import dataset


def propensity_profiles(root: str | Path, bin_width: float = 0.25, max_height: float = 12.0):
    """Mean propensity of liquid atoms against height above the substrate, per sample:
    (bin centres, {sample id: (bins,) mean propensity, nan where empty})."""
    from nucleate.data.io import read_frames

    edges = np.arange(0.0, max_height + bin_width, bin_width)
    out = {}
    for rec in dataset.iter_records(root):
        frames = read_frames(Path(root) / dataset.SAMPLES / rec["id"] / "configs.extxyz.gz")
        h = np.concatenate([f.arrays["height"][f.liquid] for f in frames])
        p = np.concatenate([f.arrays["propensity"][f.liquid] for f in frames])
        k = np.digitize(h, edges) - 1
        ok = (k >= 0) & (k < len(edges) - 1)
        s = np.bincount(k[ok], p[ok], minlength=len(edges) - 1)
        n = np.bincount(k[ok], minlength=len(edges) - 1)
        out[rec["id"]] = np.where(n >= 5, s / np.maximum(n, 1), np.nan)
    return 0.5 * (edges[1:] + edges[:-1]), out


def _propensity_figure(root: Path, recs: list[dict], cfg: dict, centres, prof):
    """``propensity.png``: F_s and χ4 against time, the propensity profiles coloured by T_n, the
    contact layer against T_n. Returns the times, the per-sample χ4, the Spearman of the contact
    layer against T_n and its (T_n, propensity, facet) rows."""
    import matplotlib.pyplot as plt
    from scipy.stats import spearmanr

    facets = sorted({r["parameters"]["facet"] for r in recs})
    colours = {f: f"C{k}" for k, f in enumerate(facets)}
    # F_s and chi4 averaged over samples and configurations
    fs, x4, fs_c, x4_c = [], [], [], []
    times = None
    for r in recs:
        with np.load(root / dataset.SAMPLES / r["id"] / "ensemble.npz") as z:
            times = z["times"]
            fs.append(z["fs"].mean(0))
            x4.append(z["chi4"].mean(0))
            fs_c.append(z["fs_contact"].mean(0))
            x4_c.append(z["chi4_contact"].mean(0))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
    ax = axes[0]
    ax.plot(times, np.mean(fs, 0), "o-", label="F_s(q*, t), film liquid")
    ax.plot(times, np.mean(fs_c, 0), "s--", label="F_s, contact layer")
    ax2 = ax.twinx()
    ax2.plot(times, np.mean(x4, 0), "o-", c="C3", label="χ4(t), film liquid")
    ax2.set_ylabel("χ4", color="C3")
    ax.axvline(cfg["t_star"], c="0.5", ls=":")
    ax.set(xscale="log", xlabel="t (τ)", ylabel="F_s", title=f"t* = {cfg['t_star']} (dotted)")
    ax.legend(fontsize=8, loc="lower left")
    ax = axes[1]
    tns = {r["id"]: r["source_labels"]["tn"] for r in recs}
    finite = [t for t in tns.values() if t is not None]
    norm = plt.Normalize(min(finite), max(finite))
    for r in recs:
        t = tns[r["id"]]
        c = plt.cm.viridis(norm(t)) if t is not None else "0.7"
        ax.plot(centres, prof[r["id"]], c=c, lw=1, alpha=0.8)
    sm = plt.cm.ScalarMappable(norm=norm, cmap="viridis")
    fig.colorbar(sm, ax=ax, label="substrate T_n (grey: censored)")
    ax.set(xlabel="height above substrate (σ)", ylabel="mean propensity ⟨|Δr(t*)|⟩",
           title="propensity against distance from the substrate")  # fmt: skip
    ax = axes[2]
    rows = [(r["source_labels"]["tn"], r["labels"]["prop_contact"], r["parameters"]["facet"])
            for r in recs if r["source_labels"]["tn"] is not None]  # fmt: skip
    for f in facets:
        sel = [(t, p) for t, p, ff in rows if ff == f]
        if sel:
            ax.scatter(*zip(*sel, strict=True), c=colours[f], label=f"fcc({f})")
    rho = spearmanr([t for t, _, _ in rows], [p for _, p, _ in rows]).statistic
    ax.set(xlabel="substrate T_n (lj-fcc-v1)", ylabel="contact-layer mean propensity",
           title=f"contact layer against T_n (Spearman {rho:.2f})")  # fmt: skip
    ax.legend(fontsize=8)
    fig.savefig(root / "propensity.png", dpi=100)
    plt.close(fig)
    return times, x4, rho, rows


def propensity_card(root: str | Path, campaign: dict) -> Path:
    """Write ``README.md`` and ``propensity.png`` of a film propensity data set at ``root`` (its
    settings ``campaign``, as in its ``campaign.yaml``): the protocol, the noise ceilings and what
    propensity does near a substrate. Written by :func:`nucleate.report.data_card.write_card`."""
    root = Path(root)
    recs = list(dataset.iter_records(root))
    if not recs:
        raise ValueError(f"{root}: no samples yet")
    cfg = campaign["propensity"]
    centres, prof = propensity_profiles(root)
    times, x4, rho, rows = _propensity_figure(root, recs, cfg, centres, prof)
    ceil = np.array([r["labels"]["ceiling"] for r in recs])
    ceil_c = np.array([r["labels"]["ceiling_contact"] for r in recs])
    peaks = np.array([r["labels"]["chi4_peak"] for r in recs])
    q = np.array([r["labels"]["q_star"] for r in recs])
    pc = np.array([r["labels"]["prop_contact"] for r in recs])
    pf = np.array([r["labels"]["prop_film"] for r in recs])
    hours = sum(r["wall_seconds"] for r in recs) / 3600
    mid = (centres > 4) & (centres < 8)
    pooled_peak = float(times[int(np.argmax(np.mean(x4, 0)))])
    slower, faster = 0, []
    for r in recs:
        v = prof[r["id"]]
        if r["labels"]["prop_contact"] < np.nanmean(v[mid]):
            slower += 1
        else:
            faster.append(f"{r['id']} (ε_sl = {r['parameters']['eps_sl']:g})")
    exceptions = ", ".join(faster) or "none"
    bulk = np.nanmean([np.nanmean(v[mid]) for v in prof.values()])
    text = f"""# {cfg["name"]}: per-atom dynamical propensity of LJ films on fcc substrates

Isoconfigurational ensembles for {len(recs)} substrates of `{cfg["source"]}` (linked by sample id:
the substrate, potential and equilibrium protocol are the source's own, with the sample's own seeds).
Made with `nucleate generate -c configs/data/lj-fcc-v1-propensity.yaml` (resumable;
`--verify true` checks every file's sha256). {hours:.2f} CPU hours on one core.

## Protocol
- {cfg["n_configs"]} configurations per substrate, {cfg["config_every"]} τ apart at T_eq (Langevin);
  from each, {cfg["n_replicas"]} NVE runs of the liquid with fresh Maxwell–Boltzmann velocities (the
  substrate held), displacements at t = {cfg["times"]} τ.
- Label: propensity = mean over the replicas of |r_i(t*) − r_i(0)| at t* = {cfg["t_star"]} τ (Bapst et
  al. convention). t* was chosen at the peak of χ4(t) of the film's liquid in a calibration run
  (fcc111, matched, ε_sl = 1.0, 12 replicas: χ4 peaks at 1.5 τ; mid-film liquid alone at 0.7 τ).
  In this data set χ4 of the liquid, averaged over all substrates, peaks at {pooled_peak:g} τ; per
  substrate the peak has median {np.median(peaks):g} τ (range {peaks.min():g}–{peaks.max():g}).
  Propensity at every stored time is kept (`propensity_t`) for labels at another t*.
- q* = first peak of the liquid's S(q) (Debye formula): {q.mean():.2f} ± {q.std():.2f} σ⁻¹.

## Files per sample
`configs.extxyz.gz` (configurations with per-atom `propensity`, `propensity_t` at every time,
`height`), `ensemble.npz` (|Δr| of every replica at t*, float16; F_s and χ4 of the liquid and of the
contact layer), `sample.json` (parameters, the source's T_n, labels, ceilings).

## Noise ceiling
Split-half reliability of the labels (random halves of the replicas, Spearman–Brown corrected):
the highest Pearson r a perfect predictor can expect is **{ceil.mean():.3f}** over all liquid atoms
(range {ceil.min():.3f}–{ceil.max():.3f}) and **{np.nanmean(ceil_c):.3f}** within the contact layer
(height < {cfg["contact_height"]} σ).

## What propensity does near a substrate
![propensity](propensity.png)

- Mean propensity of the contact layer: {np.nanmean(pc):.3f} (range {np.nanmin(pc):.3f}–{np.nanmax(pc):.3f});
  whole film {pf.mean():.3f}; mid-film (4–8 σ) {bulk:.3f}. On {slower} of {len(recs)} substrates the
  contact layer is slower than the mid-film liquid; where it is not, the liquid at the wall
  moves faster than in the middle: {exceptions}.
- Contact-layer propensity against the substrate's T_n: Spearman {rho:.2f} over the
  {len(rows)} uncensored substrates (right panel): the better the nucleator, the less the liquid
  touching it moves over t*.
- Propensity rises over the first 2–4 σ to the mid-film value (middle panel).
"""
    path = root / "README.md"
    dataset.atomic_write_text(path, text)
    return path
