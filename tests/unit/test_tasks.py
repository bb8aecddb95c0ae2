"""The propensity task is a peer of the T_n task in each layer: one campaign runner, one card
writer, one training entry point, one prediction entry point, each taking the task; every task has
all four."""

from __future__ import annotations

import inspect

import pytest

from nucleate import cli
from nucleate.data import dataset
from nucleate.data.campaign import Campaign
from nucleate.data.propensity_campaign import PropensityCampaign
from nucleate.data.runner import LabelCampaign
from nucleate.predict.command import PREDICTIONS
from nucleate.report.data_card import CARDS
from nucleate.train.config import TrainConfig
from nucleate.train.propensity import PropensityTrainConfig
from nucleate.train.tasks import TASKS, task_of

CAMPAIGNS = {"tn": Campaign, "propensity": PropensityCampaign}


def test_every_task_has_a_campaign_a_card_and_a_training():
    assert set(CAMPAIGNS) == set(CARDS.names()) == set(TASKS.names()) == set(dataset.TASKS)
    assert set(PREDICTIONS.names()) == set(dataset.TASKS)


@pytest.mark.parametrize("task", sorted(CAMPAIGNS))
def test_each_campaign_has_what_the_runner_needs(task):
    """Every member of the runner's protocol is on the campaign; its settings name its task."""
    cls = CAMPAIGNS[task]
    members = [n for n, _ in inspect.getmembers(LabelCampaign) if not n.startswith("_")]
    members += list(LabelCampaign.__annotations__)
    assert {"worker", "prepare", "settings", "check_compatible"} <= set(members)
    missing = [n for n in members if not hasattr(cls(), n)]
    assert not missing, missing
    assert dataset.task_of(cls().settings()) == task
    assert callable(cls().worker) and cls().worker.__module__ == cls.__module__


def test_training_goes_by_the_config_task():
    assert task_of(TrainConfig()).train.__name__ == "train_tn"
    assert task_of(PropensityTrainConfig()).train.__name__ == "train_propensity"

    class Impostor:  # says it is a propensity config, is not one
        task = "propensity"

    with pytest.raises(TypeError, match="PropensityTrainConfig"):
        task_of(Impostor())


def test_generate_refuses_t_n_only_options_with_a_propensity_section(capsys, tmp_path):
    code = cli.main(["generate", "--propensity.out", str(tmp_path / "p"), "--bulk_rates", "true"])
    assert code == 2
    assert "--bulk_rates: for T_n campaigns only" in capsys.readouterr().err
