"""``nucleate generate``: labelled data with LAMMPS (campaigns, propensity labels, verify, card, join)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from nucleate.cli.common import section
from nucleate.data import dataset
from nucleate.errors import InputError, NucleateError
from nucleate.report.data_card import write_card


def add_arguments(p) -> None:
    from nucleate.data.campaign import Campaign

    p.add_class_arguments(Campaign)
    p.add_argument("--dry_run", type=bool, default=False, help="validate and list the tasks only")
    p.add_argument("--verify", type=bool, default=False, help="only verify the data set on disk")
    p.add_argument(
        "--calibrate", type=bool, default=False,
        help="first measure a_0, T_m and bulk crystallisation of the liquid (for the data card)",
    )  # fmt: skip
    p.add_argument(
        "--bulk_rates", type=bool, default=False,
        help="only ramp the bulk liquid at every ramp.rates (bulk_rates.json: the reference line)",
    )  # fmt: skip
    p.add_argument("--card", type=bool, default=False, help="only rewrite the data card")
    p.add_argument(
        "--join", type=list[str] | None, default=None,
        help="only join data sets made with the same protocol into one training set at --out "
        "(links, nothing copied), e.g. --join '[data/lj-fcc-v1, data/lj-mix-v1]' --out "
        "runs/data/lj-union",
    )  # fmt: skip
    from nucleate.data.propensity_campaign import PropensityCampaign

    p.add_argument(
        "--propensity", type=PropensityCampaign | None, default=None,
        help="isoconfigurational propensity labels for samples of an existing data set "
        "(configs/data/lj-fcc-v1-propensity.yaml); the other campaign settings are then unused",
    )  # fmt: skip


def _campaign(cfg):
    """The campaign the options describe: a propensity campaign when they have a
    ``propensity`` section, else a T_n campaign."""
    if cfg.get("propensity") is not None:
        from nucleate.data.propensity_campaign import PropensityCampaign

        return section(PropensityCampaign, cfg.propensity)
    from nucleate.data.campaign import Campaign

    return Campaign(**{f.name: cfg[f.name] for f in fields(Campaign)})


def run(cfg) -> dict:
    """Run (or resume) a data-generation campaign of either task, with the one runner
    (:func:`nucleate.data.runner.run_campaign`); or verify, card, join, calibrate."""
    from nucleate.data.runner import run_campaign

    campaign = _campaign(cfg)
    tn_only = {"join": cfg.get("join"), "calibrate": cfg.calibrate, "bulk_rates": cfg.bulk_rates}
    if cfg.get("propensity") is not None and any(tn_only.values()):
        used = ", ".join(f"--{k}" for k, v in tn_only.items() if v)
        raise InputError(f"{used}: for T_n campaigns only, not with a propensity section")
    if cfg.get("join"):
        from nucleate.data.campaign import join_datasets

        n = join_datasets(cfg.join, campaign.out)
        print(f"{campaign.out}: {n} samples of {', '.join(cfg.join)}")
        return {"complete": n}
    if cfg.verify:
        return _verify(campaign.out)
    if cfg.card:
        path = write_card(campaign.out, campaign.settings())
        print(f"data card written to {path}")
        return {"card": str(path)}
    campaign.validate()
    if cfg.bulk_rates:
        from nucleate.data.campaign import run_bulk_rates

        bulk = run_bulk_rates(campaign)
        print(f"bulk crystallisation by rate: {bulk['t_x']} -> {campaign.out}/bulk_rates.json")
        return bulk
    if cfg.calibrate:
        from nucleate.data.campaign import run_calibration

        cal = run_calibration(campaign)
        print(f"calibration: T_m = {cal['t_m']:.3f}, a_0 = {cal['a0']:.4f}, bulk T_x = "
              f"{cal['bulk_ramp']['t_x']} -> {campaign.out}/calibration.json")  # fmt: skip
    if cfg.dry_run:
        tasks = campaign.tasks()
        print(f"{campaign.name}: {len(tasks)} {campaign.unit}s -> {campaign.out}")
        for t in tasks:
            print(f"  {t['id']}")
        return {"total": len(tasks)}
    try:
        result = run_campaign(campaign)
    finally:  # the card of what is done, also when some tasks failed
        if Path(campaign.out, dataset.MANIFEST).exists() and dataset.read_manifest(campaign.out):
            write_card(campaign.out, campaign.settings())
    print(
        f"{campaign.name}: {result['complete']} of {result['total']} {campaign.unit}s complete "
        f"in {campaign.out} ({result['ran']} run now)"
        + (
            f", {result['topped_up']} of them adding ramps to finished samples"
            if result.get("topped_up")
            else ""
        )
        + f"; manifest: {campaign.out}/manifest.csv"
    )
    return result


def _verify(out) -> dict:
    """Check a data set on disk: list its problems, and fail (exit 2) when there are any."""
    problems = dataset.verify_dataset(out)
    for problem in problems:
        print(problem)
    n = len(dataset.read_manifest(out))
    if problems:
        raise NucleateError(
            f"{out}: {n} samples, {len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''} (listed above)"
        )
    print(f"{out}: {n} samples, no problems")
    return {"complete": n, "problems": problems}
