"""The data card: ``README.md`` of a data set, with the calibration, the label statistics and the
pictures (T_n map per facet, calibration curves), made from what is on disk; :func:`write_card`
writes the card of a data set of either task (a propensity set's is
:func:`nucleate.report.propensity_card.propensity_card`)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from nucleate import __version__
from nucleate.data import dataset
from nucleate.data.rates import by_substrate, cnt_check, rank_change, rate_rows
from nucleate.registry import Registry
from nucleate.report.propensity_card import propensity_card
from nucleate.resources import resolve


def label_statistics(rows: list[dict]) -> dict:
    """T_n span, seed-to-seed spread, censoring and per-family means over manifest rows (the fcc
    facets are three families)."""
    tn = np.array([dataset.as_float(r["tn"]) for r in rows])
    std = np.array([dataset.as_float(r["tn_std"]) for r in rows])
    censored = np.array([r["tn_censored"] == "True" for r in rows])
    ok = np.isfinite(tn)
    stats = {
        "n_samples": len(rows),
        "n_censored": int(censored.sum()),
        "censored_fraction": float(censored.mean()) if len(rows) else float("nan"),
        "tn_min": float(tn[ok].min()) if ok.any() else None,
        "tn_max": float(tn[ok].max()) if ok.any() else None,
        "tn_span": float(tn[ok].max() - tn[ok].min()) if ok.any() else None,
        "tn_std_median": float(np.nanmedian(std)) if np.isfinite(std).any() else None,
        "tn_std_rms": float(np.sqrt(np.nanmean(std**2))) if np.isfinite(std).any() else None,
        "per_family": {},
    }
    # the noise of a substrate's label: spread of its uncensored ramps / sqrt(their number)
    noise = dataset.label_noise(rows)
    n_ramps = np.array([dataset.as_float(r.get("n_ramps", "")) for r in rows])
    stats["label_noise_rms"] = (
        float(np.sqrt(np.nanmean(noise**2))) if np.isfinite(noise).any() else None
    )
    counts = np.unique(n_ramps[np.isfinite(n_ramps)], return_counts=True)
    stats["ramps"] = {int(k): int(c) for k, c in zip(*counts, strict=True)}
    for family in sorted({r["family"] for r in rows}):
        sel = np.array([r["family"] == family for r in rows])
        vals = tn[sel & ok]
        stats["per_family"][family] = {
            "n": int(sel.sum()),
            "censored": int((sel & censored).sum()),
            "tn_mean": float(vals.mean()) if len(vals) else None,
            "tn_max": float(vals.max()) if len(vals) else None,
        }
    return stats


def tn_map_figure(rows: list[dict], path: str | os.PathLike, t_floor: float | None = None) -> bool:
    """T_n over mismatch × ε_sl, one panel per facet; censored substrates grey. Returns False
    (and draws nothing) when no generated fcc substrate is among the rows."""
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r["facet"] in ("111", "100", "110")]
    facets = [f for f in ("111", "100", "110") if any(r["facet"] == f for r in rows)]
    if not facets:
        return False
    mism = sorted({dataset.as_float(r["mismatch"]) for r in rows})
    eps = sorted({dataset.as_float(r["eps_sl"]) for r in rows})
    tn_all = [dataset.as_float(r["tn"]) for r in rows]
    finite = [t for t in tn_all if np.isfinite(t)]
    vmin = min(finite) if finite else 0.0
    vmax = max(finite) if finite else 1.0
    fig, axes = plt.subplots(
        1, len(facets), figsize=(4.2 * len(facets) + 1, 3.8), squeeze=False, layout="constrained"
    )
    image = None
    for ax, facet in zip(axes[0], facets, strict=True):
        grid = np.full((len(eps), len(mism)), np.nan)
        cens = np.zeros_like(grid, dtype=bool)
        for r in rows:
            if r["facet"] != facet:
                continue
            i, j = (
                eps.index(dataset.as_float(r["eps_sl"])),
                mism.index(dataset.as_float(r["mismatch"])),
            )
            grid[i, j] = dataset.as_float(r["tn"])
            cens[i, j] = r["tn_censored"] == "True"
        image = ax.imshow(grid, origin="lower", cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto")
        for i, j in zip(*np.nonzero(cens), strict=True):
            ax.add_patch(
                plt.Rectangle(
                    (j - 0.5, i - 0.5), 1, 1, fill=True, color="0.85", hatch="xx", ec="0.5"
                )
            )
        for i in range(len(eps)):
            for j in range(len(mism)):
                if np.isfinite(grid[i, j]):
                    color = "w" if grid[i, j] < (vmin + vmax) / 2 else "k"
                    ax.text(
                        j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=6, color=color
                    )
        ax.set_xticks(range(len(mism)), [f"{100 * m:+g}" for m in mism])
        ax.set_yticks(range(len(eps)), [f"{e:g}" for e in eps])
        ax.set_xlabel("lattice mismatch (%)")
        ax.set_ylabel("ε_sl (ε)")
        ax.set_title(f"fcc({facet})")
    if image is not None:
        cb = fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9)
        floor = f"; grey: censored (T_n < {t_floor:g})" if t_floor is not None else ""
        cb.set_label(f"T_n (ε/k_B){floor}")
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return True


def family_figure(rows: list[dict], path: str | os.PathLike, t_floor: float | None = None) -> bool:
    """T_n against each family's parameter (one line per ε_sl; censored substrates as open
    markers at the floor) and the polymorph grown per family. Returns False (and draws nothing)
    when no family beyond the fcc facets' grid is among the rows."""
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r.get("param") and r.get("family") not in ("fcc111", "fcc100",
                                                                            "fcc110")]  # fmt: skip
    families = sorted({r["family"] for r in rows})
    if not families:
        return False
    ncol = min(4, len(families))
    nrow = -(-len(families) // ncol) + 1
    fig = plt.figure(figsize=(3.3 * ncol, 2.7 * nrow), layout="constrained")
    grid = fig.add_gridspec(nrow, ncol)
    eps_all = sorted({dataset.as_float(r["eps_sl"]) for r in rows})
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(eps_all)))
    floor = t_floor if t_floor is not None else np.nan
    tns = [dataset.as_float(r["tn"]) for r in rows]
    tns = [t for t in tns if np.isfinite(t)] or [0.5]
    limits = (min(min(tns), floor if np.isfinite(floor) else min(tns)) - 0.02, max(tns) + 0.02)
    for k, family in enumerate(families):
        ax = fig.add_subplot(grid[k // ncol, k % ncol])
        sel = [r for r in rows if r["family"] == family]
        for eps, color in zip(eps_all, colors, strict=True):
            pts = sorted((dataset.as_float(r["value"]), dataset.as_float(r["tn"]),
                          r["tn_censored"] == "True") for r in sel
                         if dataset.as_float(r["eps_sl"]) == eps)  # fmt: skip
            if not pts:
                continue
            x, y, c = (np.array(v) for v in zip(*pts, strict=True))
            y = np.where(c, floor, y)
            ax.plot(x, y, "-", color=color, lw=1, label=f"ε_sl {eps:g}")
            ax.plot(x[~c], y[~c], "o", color=color, ms=4)
            ax.plot(x[c], y[c], "o", mfc="none", color=color, ms=4)
        ax.set_title(family, fontsize=9)
        ax.set_xlabel(sel[0]["param"], fontsize=8)
        ax.set_ylabel("T_n (ε/k_B)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(*limits)
    handles = [plt.Line2D([], [], color=c, marker="o", label=f"ε_sl {e:g}")
               for e, c in zip(eps_all, colors, strict=True)]  # fmt: skip
    handles.append(plt.Line2D([], [], color="0.4", marker="o", mfc="none", ls="",
                              label="censored (at the floor)"))  # fmt: skip
    fig.legend(handles=handles, loc="outside upper center", ncol=len(handles), fontsize=7)
    ax = fig.add_subplot(grid[nrow - 1, :])
    keys = ("fcc", "hcp", "bcc", "other")

    def share(family: str, key: str) -> float:
        vals = [dataset.as_float(r[key]) for r in rows if r["family"] == family]
        vals = [v for v in vals if np.isfinite(v)]
        return float(np.mean(vals)) if vals else 0.0

    shares = np.array([[share(f, key) for key in keys] for f in families])
    bottom = np.zeros(len(families))
    for j, key in enumerate(keys):
        vals = shares[:, j]
        ax.bar(range(len(families)), vals, bottom=bottom, label=key)
        bottom += vals
    ax.set_xticks(range(len(families)), families, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("grown crystal", fontsize=8)
    ax.set_title("polymorph of the grown crystal, mean over each family's nucleating substrates",
                 fontsize=9)  # fmt: skip
    ax.legend(fontsize=7, ncol=4)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def calibration_figure(cal: dict, path: str | os.PathLike) -> None:
    """Lattice constant against temperature and the two-phase coexistence traces."""
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    temps = [float(t) for t in cal["lattice_constant"]]
    a1.plot(temps, list(cal["lattice_constant"].values()), "o-")
    a1.axvline(cal["t_m"], color="C3", ls="--", label=f"T_m = {cal['t_m']:.3f}")
    a1.axhline(cal["a0"], color="0.5", ls=":", label=f"a_0 = {cal['a0']:.4f} σ")
    a1.set_xlabel("T (ε/k_B)")
    a1.set_ylabel("fcc lattice constant at P = 0 (σ)")
    a1.legend(fontsize=8)
    every = cal.get("coexistence_every_steps", 2000) * cal["potential"]["timestep"]
    for t, trace in sorted(cal["coexistence"].items(), key=lambda kv: float(kv[0])):
        time = every * (1 + np.arange(len(trace)))
        a2.plot(time, trace, label=f"T = {float(t):.2f}")
    a2.set_xlabel("time (τ)")
    a2.set_ylabel("crystal-like fraction")
    a2.set_title("two-phase coexistence, NPT, P = 0", fontsize=9)
    a2.legend(fontsize=7)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def _family_lines(campaign: dict) -> list[str]:
    """Card lines describing the campaign's substrate families (none for a facet grid)."""
    from nucleate.data.families import FAMILIES

    grids = campaign["substrates"].get("families") or []
    if not grids:
        return []
    lines = ["- Substrate families (`nucleate.data.families`; lengths from the liquid's crystal, "
             "d0 = a_0 / √2):"]  # fmt: skip
    for g in grids:
        fam = FAMILIES.get(g["family"])
        eps = g.get("eps_sl") or campaign["substrates"]["eps_sl"]
        second = f"; second component ε_sl2 = {g['eps_sl2']:g}" if g.get("eps_sl2") else ""
        lines.append(
            f"  - `{fam.name}`: {fam.doc}; {fam.param} {', '.join(f'{v:g}' for v in g['values'])}"
            f" × ε_sl {', '.join(f'{e:g}' for e in eps)}{second}"
        )
    return lines


def rate_figure(rows: list[dict], bulk: dict | None, path: str | os.PathLike, t_floor: float):
    """T_n against cooling rate, one line per substrate coloured by its T_n at the reference
    rate; censored points at the floor (open); the bulk liquid's homogeneous crystallisation."""
    import matplotlib.pyplot as plt

    per = by_substrate(rows)
    ref = {r["id"]: r["tn_ref"] for r in rows}
    known = [v for v in ref.values() if np.isfinite(v)]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    for sid, curve in per.items():
        x = sorted(curve)
        y = [curve[r] for r in x]
        c = cmap((ref[sid] - lo) / (hi - lo or 1.0)) if np.isfinite(ref[sid]) else "0.6"
        ax.plot(x, y, "o-", color=c, ms=3.5, lw=1)
        cens = [r for r in x if not np.isfinite(curve[r])]
        ax.plot(cens, [t_floor] * len(cens), "o", mfc="none", color=c, ms=4)
    if bulk:
        rates = sorted(float(r) for r in bulk["t_x"])
        tx = [np.nanmean([t if t is not None else np.nan for t in bulk["t_x"][f"{r:g}"]])
              if any(t is not None for t in bulk["t_x"][f"{r:g}"]) else np.nan for r in rates]  # fmt: skip
        ax.plot(rates, [t if np.isfinite(t) else t_floor for t in tx], "k--", lw=1.2,
                label="bulk liquid (homogeneous; at the floor: none above it)")  # fmt: skip
        ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.axhline(t_floor, color="0.5", lw=0.6, ls=":")
    ax.set_xscale("log")
    rates = sorted({r["rate"] for r in rows})
    ax.set_xticks(rates, [f"{x:g}" for x in rates])
    ax.minorticks_off()
    ax.set_xlabel("cooling rate (ε/k_B per τ)")
    ax.set_ylabel("T_n (ε/k_B); open: censored, at the floor")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(lo, hi))
    fig.colorbar(sm, ax=ax, label="T_n at the reference rate")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def rate_lines(root: Path, records: list[dict], ramp: dict, fig_dir: Path) -> list[str]:
    """The card's section on a several-rate data set: the picture of T_n against rate, per rate
    the labels and their noise, the ranking between the fastest and slowest rate, the measured
    curves against classical nucleation theory, and what each rate cost."""
    if not any(r.get("labels_by_rate") for r in records):
        return []
    rows, rate_ref = rate_rows(root)
    bulk_path = root / "bulk_rates.json"
    bulk = json.loads(bulk_path.read_text()) if bulk_path.exists() else None
    rate_figure(rows, bulk, fig_dir / "tn_rates.png", ramp["t_floor"])
    rates = sorted({r["rate"] for r in rows})
    steps = {x: [] for x in rates}
    for rec in records:
        for rp in rec["ramps"]:
            steps.setdefault(float(rp.get("rate", rate_ref)), []).append(rp["steps"])
    lines = [
        "## Cooling rates",
        "![T_n against cooling rate](figures/tn_rates.png)",
        "",
        f"Each substrate is ramped at {', '.join(f'{x:g}' for x in rates)} per τ, {ramp['seeds']} "
        f"ramps each (the reference rate {rate_ref:g} is the protocol's own; its labels are the "
        "`tn` columns, the others `tn_r<rate>`). The crystal check runs every "
        f"{ramp['check_every']} steps at {rate_ref:g} and proportionally more or less often at "
        "the other rates, so that the temperature falls by the same amount between checks.",
        "",
        "| rate | substrates with T_n | censored | mean T_n | median spread | label noise rms | "
        "median steps per ramp |",
        "|---|---|---|---|---|---|---|",
    ]
    for x in rates:
        mine = [r for r in rows if r["rate"] == x]
        tn = np.array([r["tn"] for r in mine])
        spread = [r["tn_std"] for r in mine if r["tn_std"] is not None]
        noise = [r["tn_std"] / math.sqrt(r["n_ramps"]) for r in mine if r["tn_std"] is not None]
        lines.append(
            f"| {x:g} | {int(np.isfinite(tn).sum())} | {sum(r['censored'] for r in mine)} | "
            f"{np.nanmean(tn):.3f} | {np.median(spread) if spread else float('nan'):.3f} | "
            f"{math.sqrt(np.mean(np.square(noise))) if noise else float('nan'):.4f} | "
            f"{np.median(steps[x]):.0f} |"
        )
    change = rank_change(rows, np.array([r["tn"] for r in rows]))
    check = cnt_check(rows, rate_ref, _t_m(root))
    lines += [""]
    if change.get("spearman_fast_slow") is not None:
        lines.append(
            f"- Ranking: between {change['fast']:g} and {change['slow']:g}, over the "
            f"{change['n']} substrates with T_n at both, Spearman "
            f"**{change['spearman_fast_slow']:.3f}**; {change['rank_changes']} change rank, by at "
            f"most {change['max_rank_change']}."
        )
    if check.get("slope_mean") is not None:
        lines.append(
            f"- Against classical nucleation theory ({check['n']} substrates with T_n at every "
            f"rate): T_n falls monotonically with the rate on {check['monotonic_fraction']:.0%} of "
            f"them (mean dT_n/dlog10 r = {check['slope_mean']:.3f}); the slope grows with the "
            f"undercooling (Pearson of slope against T_n(r0) {check['pearson_slope_tn_ref']:.2f}), "
            f"its line reaching zero slope at T_n = {check['zero_slope_at']:.3f}"
            + (f" (T_m = {check['t_m']:.3f})" if check.get("t_m") else "")
            + ". CNT for a ramp: steeper for weak nucleators, zero near T_m."
        )
    if bulk:
        tx = {k: [t for t in v if t is not None] for k, v in bulk["t_x"].items()}
        lines.append(
            "- Bulk liquid (4000 atoms, NPT, P = 0; `bulk_rates.json`), homogeneous "
            "crystallisation: "
            + "; ".join(
                f"{k}: {', '.join(f'{t:.3f}' for t in v) or 'none above the floor'}"
                for k, v in sorted(tx.items(), key=lambda kv: -float(kv[0]))
            )
            + f" ({bulk.get('wall_seconds', 0) / 3600:.2f} CPU hours)."
        )
    topped = [t["wall_seconds"] for rec in records for t in rec.get("top_ups", [])
              if t.get("ramps_after", 0) - t.get("ramps_before", 0) > 1]  # fmt: skip
    if topped:
        lines.append(
            f"- Cost of the added rates: {sum(topped) / 3600:.2f} CPU hours for "
            f"{len(topped)} substrates (median {np.median(topped):.0f} s each, two at once)."
        )
    return [*lines, ""]


def _t_m(root: Path) -> float | None:
    """T_m from the data set's calibration, or from the campaign it reused samples from."""
    for path in [root / "calibration.json",
                 *(resolve(p) / "calibration.json" for p in
                   (dataset.campaign_config(root).get("reuse") or []))]:  # fmt: skip
        if path.exists():
            return json.loads(path.read_text()).get("t_m")
    return None


def _fmt(value, spec=".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _protocol_lines(
    campaign: dict, records: list[dict], n_samples: int, has_families: bool
) -> list[str]:
    """Title, contents, and the model and protocol of the campaign."""
    ramp, eq = campaign["ramp"], campaign["equilibrium"]
    lammps_versions = sorted({str(r.get("lammps_version", "")) for r in records})
    lines = [
        f"# {campaign['name']}",
        "",
        f"Lennard-Jones liquid films on rigid {'substrates of many families' if has_families else 'fcc substrates'}"
        ", with nucleation temperatures from "
        "cooling ramps and equilibrium frames of the interfacial region. Made by nucleate "
        f"{__version__} with LAMMPS (version {', '.join(lammps_versions) or 'n/a'}).",
        "",
        "## Contents",
        f"- {n_samples} substrates (`manifest.csv`, one row each: parameters, labels, files, "
        "sha256); `samples/<id>/sample.json` holds each ramp's trace, the layer analysis and the "
        "polymorph make-up; `samples/<id>/frames.extxyz.gz` the equilibrium frames at T_eq: the "
        "substrate atoms within "
        f"{0.9 * (campaign['store']['substrate_layers'] - 0.5):.2g} nearest-neighbour distances of the "
        "surface (two layers of (111) and (100), three of the closely stacked (110)), the liquid up to "
        f"{campaign['store']['keep_height']:g} σ above the surface (per-atom `substrate` and "
        "`liquid` masks, `units=lj`).",
        "- `campaign.yaml`: the exact configuration; regenerate or extend with "
        "`nucleate generate -c campaign.yaml` (resumable).",
        "- Load: `nucleate.data.io.read_frames(path)`; labels from `manifest.csv`.",
        "",
        "## Model and protocol",
        f"- Liquid: LJ, ε = σ = m = 1, `{campaign['potential']['pair_style']}` with "
        f"`pair_modify {campaign['potential']['pair_modify']}`, {campaign['interface']['n_liquid']} "
        "atoms as a film with a free surface and a reflecting wall far above; periodic in x, y.",
        (
            f"- Substrate: {campaign['substrates']['n_layers']} rigid fcc layers exposing (111), "
            "(100) or (110), a_s = a_0 (1 + mismatch), lateral box"
            if campaign["substrates"].get("facets") and campaign["substrates"].get("mismatch")
            else f"- Substrate: {campaign['substrates']['n_layers']} rigid layers (plus a partial one for "
            "adatoms and steps), lateral box"
        )
        + f" at least "
        f"{campaign['substrates']['min_lateral']:g} σ and commensurate; substrate–liquid LJ with "
        "ε_sl and σ_sl = 1; no substrate–substrate interaction. The substrate is held from the first "
        "command on (forces zeroed during minimisation, never integrated).",
        *_family_lines(campaign),
        f"- Equilibrium: minimise, melt at T = {eq['t_melt']:g} for {eq['melt_time']:g} τ, "
        f"equilibrate at T_eq = {eq['t_eq']:g} for {eq['eq_time']:g} τ, keep {eq['n_frames']} frames "
        f"{eq['frame_every']:g} τ apart (Langevin thermostat, damping {eq['damp']:g} τ, dt = "
        f"{campaign['potential']['timestep']:g} τ).",
        f"- Cooling ramps: {ramp['seeds']} per substrate, each from the equilibrated liquid "
        f"re-thermalised for {ramp['restart_time']:g} τ with fresh velocities; linear from T_eq to "
        f"{ramp['t_floor']:g} at {ramp['rate']:g} per τ. Every {ramp['check_every']} steps the "
        f"crystal-like atoms by the ten Wolde criterion (q6 bonds within {ramp['r_cut']:g} σ, "
        f"normalised q6·q6 > {ramp['q_threshold']:g}, at least {ramp['solid_threshold']} bonds) "
        "and their clusters.",
        "- **T_n**: the temperature at which the crystalline cluster with most atoms *beyond the "
        "contact layers* (above the upper bound of the second liquid layer, found from the "
        f"equilibrium frames) reaches {ramp['threshold']:g} of the liquid atoms there. Contact "
        "layers that are already ordered at T_eq therefore do not count as nucleation. A ramp "
        "that reaches the floor first is censored. A substrate's `tn` is the mean over its "
        "ramps when none is censored, else their median with the censored ones counted as "
        "below the floor (the mean of the uncensored ones would be biased upwards); it is "
        "censored (`tn` empty, `tn_upper_bound` = floor) when that median lies below the floor, "
        "i.e. when at least half of its ramps are. `tn_std` is the standard deviation of the "
        "uncensored ramps.",
        "- Polymorph: fractions fcc / hcp / bcc / other of the grown cluster's interior atoms, by "
        "the nearest of the q̄4–q̄6 reference curves of thermally disordered fcc, hcp and bcc.",
        "",
    ]
    return lines


def _calibration_lines(cal: dict, eq: dict) -> list[str]:
    """The bulk calibration: T_m, a_0, T_eq and homogeneous crystallisation on the same ramp."""
    bulk_tx = [t for t in cal["bulk_ramp"]["t_x"] if t is not None]
    return [
        "## Calibration (bulk, P = 0)",
        "![calibration](figures/calibration.png)",
        "",
        "| quantity | value | how |",
        "|---|---|---|",
        f"| melting temperature T_m | {cal['t_m']:.3f} | two-phase coexistence, NPT (z), "
        f"{', '.join(cal['coexistence'])}: where the crystal stops growing |",
        f"| a_0 = a(T_m) | {cal['a0']:.4f} σ | fcc crystal, NPT, P = 0 |",
        f"| T_eq | {eq['t_eq']:g} = {eq['t_eq'] / cal['t_m']:.2f} T_m | |",
        f"| homogeneous crystallisation, same ramp | "
        f"{', '.join(f'{t:.3f}' for t in bulk_tx) or 'none above the floor'} | 4000 atoms, NPT, "
        f"{cal['bulk_ramp']['t_start']:g} → {cal['bulk_ramp']['t_floor']:g} at "
        f"{cal['bulk_ramp']['rate']:g}/τ |",
        "",
    ]


def _label_lines(rows: list[dict], has_map: bool, has_families: bool) -> list[str]:
    """T_n span, spread, label noise, censoring, per family and the polymorph make-up."""
    stats = label_statistics(rows)
    poly = (
        np.array([[dataset.as_float(r[k]) for k in ("fcc", "hcp", "bcc", "other")] for r in rows])
        if rows
        else np.zeros((0, 4))
    )
    poly_mean = np.nanmean(poly, axis=0) if len(poly) and np.isfinite(poly).any() else None

    lines = [
        "## Labels",
        "![T_n map](figures/tn_map.png)" if has_map else "",
        "![T_n and polymorph per family](figures/families.png)" if has_families else "",
        "",
        f"- T_n from {_fmt(stats['tn_min'])} to {_fmt(stats['tn_max'])}: span "
        f"**{_fmt(stats['tn_span'])}** ε/k_B.",
        f"- Seed-to-seed spread of one substrate (standard deviation over its ramps): median "
        f"**{_fmt(stats['tn_std_median'])}**, rms {_fmt(stats['tn_std_rms'])}.",
        "- Ramps per substrate: "
        + ", ".join(f"{k} for {c}" for k, c in sorted(stats["ramps"].items(), reverse=True))
        + f". Noise of a substrate's label (spread / √ramps), rms "
        f"**{_fmt(stats['label_noise_rms'], '.4f')}**: the test RMSE a perfect model would still show."
        if stats.get("ramps") and stats.get("label_noise_rms") is not None
        else "",
        f"- Censored: **{stats['n_censored']} of {stats['n_samples']}** "
        f"({100 * stats['censored_fraction']:.0f} %)."
        if rows
        else "",
        "",
        "| family | substrates | censored | mean T_n | max T_n |",
        "|---|---|---|---|---|",
    ]
    for family, s in stats["per_family"].items():
        lines.append(
            f"| {family} | {s['n']} | {s['censored']} | {_fmt(s['tn_mean'])} | {_fmt(s['tn_max'])} |"
        )
    if 0 < len(rows) <= 30:
        lines += ["", "| substrate | T_n | spread | censored |", "|---|---|---|---|"]
        for r in rows:
            lines.append(
                f"| {r['id']} | {r['tn'] or '–'} | {r['tn_std'] or '–'} | {r['tn_censored']} |"
            )
    if poly_mean is not None:
        lines += [
            "",
            f"Mean polymorph make-up of the grown crystals: fcc {poly_mean[0]:.2f}, hcp "
            f"{poly_mean[1]:.2f}, bcc {poly_mean[2]:.2f}, other {poly_mean[3]:.2f}.",
        ]
    return lines


def _cost_lines(campaign: dict, records: list[dict]) -> list[str]:
    """CPU time and the exact configuration."""
    import yaml

    wall = sum(r.get("wall_seconds", 0.0) for r in records)
    return [
        "## Cost",
        f"{wall / 3600:.2f} CPU hours in all ({wall / max(len(records), 1):.0f} s per substrate on "
        "one core of a 2-core machine; two substrates run at once).",
        "",
        "## Configuration",
        "```yaml",
        yaml.safe_dump(campaign, sort_keys=False).rstrip(),
        "```",
        "",
    ]


def tn_card(root: str | os.PathLike, campaign: dict) -> Path:
    """Write ``README.md`` (and its figures) for the T_n data set at ``root`` (its settings
    ``campaign``): what it holds, the protocol, the calibration, the labels, the cost and the
    configuration."""
    root = Path(root)
    rows = dataset.read_manifest(root) if (root / dataset.MANIFEST).exists() else []
    records = list(dataset.iter_records(root))
    fig_dir = root / "figures"
    fig_dir.mkdir(exist_ok=True)
    t_floor = campaign["ramp"]["t_floor"]
    has_map = bool(rows) and tn_map_figure(rows, fig_dir / "tn_map.png", t_floor)
    has_families = bool(rows) and family_figure(rows, fig_dir / "families.png", t_floor)
    cal_path = root / "calibration.json"
    cal = json.loads(cal_path.read_text()) if cal_path.exists() else None
    if cal:
        calibration_figure(cal, fig_dir / "calibration.png")
    lines = [
        *_protocol_lines(campaign, records, len(rows), has_families),
        *(_calibration_lines(cal, campaign["equilibrium"]) if cal else []),
        *_label_lines(rows, has_map, has_families),
        "",
        *rate_lines(root, records, campaign["ramp"], fig_dir),
    ]
    notes = root / "card_notes.md"
    if notes.exists():  # hand-written: what was tried, and why the protocol is as it is
        lines += ["", notes.read_text().rstrip()]
    lines += ["", *_cost_lines(campaign, records)]
    # one blank line between blocks, however many optional lines were left empty
    lines = [x for k, x in enumerate(lines) if x or k == 0 or lines[k - 1]]
    path = root / "README.md"
    dataset.atomic_write_text(path, "\n".join(lines))
    return path


#: task -> the writer of its data card, ``(root, campaign settings) -> path``
CARDS: Registry = Registry("data card")
CARDS.add("tn", tn_card)
CARDS.add("propensity", propensity_card)


def write_card(root: str | os.PathLike, campaign: dict | None = None) -> Path:
    """Write the data card (``README.md`` and its figures) of the data set at ``root``, of either
    task (:data:`nucleate.data.dataset.TASKS`); ``campaign``: its settings, by default its own
    ``campaign.yaml``."""
    campaign = dataset.campaign_config(root) if campaign is None else campaign
    return CARDS.get(dataset.task_of(campaign))(root, campaign)
