"""Several cooling rates in one data set: which ramps a sample lacks, their seeds and check
intervals, labels per rate and their manifest columns."""

import pytest

from nucleate.data import dataset
from nucleate.data.campaign import (
    check_interval,
    missing_ramps,
    protocol_differences,
    ramp_labels,
    ramp_rates,
    ramp_seed,
    sample_labels,
    task_seed,
)

RAMP = {"rate": 0.0015, "rates": [0.005, 0.0015, 0.0005], "seeds": 3, "t_floor": 0.35,
        "check_every": 500}  # fmt: skip


def _ramp(tn, rate=None):
    out = {"tn": tn, "censored": tn is None, "polymorph": None}
    if tn is not None:
        out["polymorph"] = {"fcc": 1.0, "hcp": 0.0, "bcc": 0.0, "other": 0.0}
    if rate is not None:
        out["rate"] = rate
    return out


def test_rates_put_the_primary_first_and_default_to_it():
    assert ramp_rates(RAMP) == [0.0015, 0.005, 0.0005]
    assert ramp_rates({**RAMP, "rates": []}) == [0.0015]


def test_a_one_rate_sample_lacks_only_the_other_rates():
    # three old ramps without a recorded rate ran at the primary rate
    old = [_ramp(0.5), _ramp(0.51), _ramp(0.52)]
    assert missing_ramps(old, RAMP) == [(0.005, 0), (0.005, 1), (0.005, 2), (0.0005, 0),
                                        (0.0005, 1), (0.0005, 2)]  # fmt: skip
    assert missing_ramps([*old, _ramp(0.45, 0.005)], {**RAMP, "rates": [0.0015, 0.005]}) == [
        (0.005, 1),
        (0.005, 2),
    ]
    assert missing_ramps(old, {**RAMP, "rates": []}) == []


def test_primary_seeds_are_those_of_a_one_rate_campaign_and_others_differ():
    assert ramp_seed(1, "s", 0.0015, 2, 0.0015) == task_seed(1, "s", 12)
    seeds = {ramp_seed(1, "s", r, k, 0.0015) for r in RAMP["rates"] for k in range(3)}
    assert len(seeds) == 9


def test_check_interval_keeps_the_temperature_step():
    for rate in RAMP["rates"]:
        steps = check_interval(RAMP, rate)
        assert steps * rate == pytest.approx(500 * 0.0015, rel=0.01)


def test_labels_per_rate_and_their_manifest_columns(tmp_path):
    ramps = [_ramp(0.55), _ramp(0.57), _ramp(0.50, 0.005), _ramp(None, 0.005), _ramp(None, 0.005),
             _ramp(0.60, 0.0005)]  # fmt: skip
    fields = sample_labels(ramps, RAMP)
    assert fields["labels"] == ramp_labels(ramps[:2], 0.35)
    by_rate = fields["labels_by_rate"]
    assert by_rate["0.0015"]["tn"] == pytest.approx(0.56)
    assert by_rate["0.005"]["tn_censored"] is True and by_rate["0.005"]["n_ramps"] == 3
    assert by_rate["0.0005"]["tn"] == 0.60 and by_rate["0.0005"]["tn_std"] is None
    assert "labels_by_rate" not in sample_labels(ramps[:2], {**RAMP, "rates": []})
    (tmp_path / "samples" / "s").mkdir(parents=True)
    dataset.write_record(tmp_path / "samples" / "s", {"id": "s", "parameters": {}, **fields})
    dataset.write_manifest(tmp_path)
    (row,) = dataset.read_manifest(tmp_path)
    assert row["tn"] == row["tn_r0.0015"] == "0.56"
    assert row["tn_censored_r0.005"] == "True" and row["tn_r0.005"] == ""
    assert row["n_ramps_r0.0005"] == "1"


def test_rates_and_seeds_are_free_the_rest_of_the_ramp_is_protocol():
    base = {"a0": 1.6, "ramp": {**RAMP, "rates": []}, "equilibrium": {"t_eq": 0.68}}
    assert protocol_differences(base, {**base, "ramp": {**RAMP, "seeds": 5}}) == []
    assert protocol_differences(base, {**base, "ramp": {**RAMP, "rate": 0.005}}) == ["ramp"]
    assert protocol_differences(base, {**base, "equilibrium": {"t_eq": 0.7}}) == ["equilibrium"]
