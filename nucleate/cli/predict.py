"""``nucleate predict``: T_n of new substrates or trajectories, per-atom propensity
(``--task propensity``); the work is in :mod:`nucleate.predict.command`."""

from __future__ import annotations

from nucleate.cli.common import section
from nucleate.data.families import FAMILIES
from nucleate.predict.command import PredictConfig, run_predict


def add_arguments(p) -> None:
    p.add_class_arguments(PredictConfig)
    p.add_argument("--per-atom", dest="per_atom", type=bool, default=False, help="= --per_atom")
    p.epilog = "substrate families (--substrate <family>:<value>): " + ", ".join(FAMILIES)


def run(cfg) -> dict:
    """T_n of new substrates (simulated with the training data's protocol) or of a trajectory."""
    return run_predict(section(PredictConfig, cfg))
