"""Several cooling rates in one data set: which ramps a sample lacks, their seeds and check
intervals, labels per rate and their manifest columns."""

import numpy as np
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


# --- the rate head, on synthetic substrates that follow the form classical nucleation theory
# gives for a ramp: dT_n / dlog10 r = -K (T_m - T_n(r0))


T_M, K, RATES, R0 = 0.62, 0.12, (0.005, 0.0015, 0.0005), 0.0015


def _cnt_rows(n=20, noise=0.003, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for k, t0 in enumerate(rng.uniform(0.40, 0.60, n)):
        for rate in RATES:
            x = np.log10(rate / R0)
            tn = t0 - K * (T_M - t0) * x + (0 if rate == R0 else rng.normal(0, noise))
            rows.append({"id": f"s{k}", "family": "f", "rate": rate, "tn": tn, "tn_ref": t0,
                         "censored": False})  # fmt: skip
    return rows


def test_rate_head_learns_the_cnt_slope_and_is_exact_at_the_reference():
    from nucleate.train.rates import fit_head, predict_rows, score

    rows = _cnt_rows()
    head = fit_head(rows, R0)
    assert head.degree == 2 and head.rates == sorted(RATES)
    # slope at r0 for a weak (0.42) and a strong (0.58) nucleator: -K (T_m - T_n)
    assert head.slope([0.42, 0.58]) == pytest.approx([-K * 0.20, -K * 0.04], abs=0.006)
    pred, std = predict_rows(head, rows)
    assert score(rows, pred, std)["rmse"] < 0.005
    at_ref = np.array([r["rate"] == R0 for r in rows])
    assert np.allclose(pred[at_ref], [r["tn_ref"] for r in np.array(rows)[at_ref]])
    # the reference's own σ is carried: a ± 0.02 reference widens every interval
    _, wide = head.predict(np.full(3, 0.5), np.full(3, 0.02), np.array(RATES))
    assert np.all(wide >= 0.02 * 0.8) and wide[1] == pytest.approx(0.02)


def test_rate_head_round_trip_and_refusal_of_rates_far_outside(tmp_path):
    from nucleate.errors import InputError
    from nucleate.models.rate_head import RateHead
    from nucleate.train.rates import fit_head

    head = fit_head(_cnt_rows(), R0)
    again = RateHead.load(head.save(tmp_path / "rate_head.json"))
    t = np.array([0.45, 0.55])
    assert np.allclose(again.predict(t, None, 0.0005)[0], head.predict(t, None, 0.0005)[0])
    assert again.check_rates([0.0015, 0.01]) == [False, True]  # 0.3 decades beyond: marked
    with pytest.raises(InputError, match="decades beyond"):
        again.check_rates([0.1])
    with pytest.raises(InputError, match="must be positive"):
        again.check_rates([0.0])
    with pytest.raises(InputError, match="no rate model at"):
        RateHead.load(tmp_path / "nothing")


def test_held_out_substrates_and_rates_beat_ignoring_the_rate():
    from nucleate.train.rates import held_out_rate, leave_one_substrate_out, score

    rows = _cnt_rows()
    ignore = np.array([r["tn_ref"] for r in rows])
    moved = np.array([r["rate"] != R0 for r in rows])
    base = score([r for r, m in zip(rows, moved, strict=True) if m], ignore[moved])["rmse"]
    pred, std = leave_one_substrate_out(rows, R0)
    loso = score([r for r, m in zip(rows, moved, strict=True) if m], pred[moved], std[moved])
    # at the noise of the synthetic labels (0.003), a third of ignoring the rate
    assert loso["rmse"] < min(1.3 * 0.003, 0.4 * base) and loso["coverage_2sigma"] >= 0.8
    test, pred, std = held_out_rate(rows, R0, 0.0005)  # extrapolated from 0.005 alone
    assert score(test, pred, std)["rmse"] < 0.5 * base


def test_cnt_check_finds_the_zero_slope_at_the_melting_point():
    from nucleate.data.rates import cnt_check, rank_change

    rows = _cnt_rows(noise=0.001)
    check = cnt_check(rows, R0, T_M)
    assert check["negative_slope_fraction"] == 1.0 and check["monotonic_fraction"] == 1.0
    assert check["zero_slope_at"] == pytest.approx(T_M, abs=0.03)
    assert check["pearson_slope_tn_ref"] > 0.9
    change = rank_change(rows, np.array([r["tn"] for r in rows]))
    assert change["spearman_fast_slow"] > 0.9
    assert change["shift_reliability"] is None  # the synthetic rows carry no ramp spread


def test_the_shift_reliability_is_the_share_of_its_variance_beyond_ramp_noise():
    from nucleate.data.rates import rank_change

    shifts = [0.10, 0.14, 0.06, 0.12]  # T_n(slow) - T_n(fast), variance 0.0011 (ddof 1)
    rows = []
    for k, d in enumerate(shifts):
        for rate, tn in ((0.005, 0.50), (0.0005, 0.50 + d)):
            rows.append({"id": f"s{k}", "rate": rate, "tn": tn, "tn_std": 0.01, "n_ramps": 4,
                         "censored": False, "tn_ref": 0.52})  # fmt: skip
    change = rank_change(rows, np.array([r["tn"] for r in rows]))
    noise = 2 * 0.01**2 / 4  # each rate's mean: (0.01 / sqrt 4)^2
    assert change["shift_variance"] == pytest.approx(np.var(shifts, ddof=1))
    assert change["shift_noise_variance"] == pytest.approx(noise)
    assert change["shift_reliability"] == pytest.approx(1 - noise / np.var(shifts, ddof=1))


def test_data_card_shows_the_rates_their_noise_and_the_cnt_check(tmp_path):
    from dataclasses import asdict

    import yaml

    from nucleate.data.campaign import Campaign
    from nucleate.report.data_card import write_card

    campaign = asdict(Campaign(name="rates", out=str(tmp_path)))
    campaign["ramp"].update(rate=R0, rates=list(RATES), seeds=2)
    (tmp_path / "campaign.yaml").write_text(yaml.safe_dump(campaign))
    for k, t0 in enumerate([0.42, 0.47, 0.53, 0.58]):
        ramps = []
        for rate in RATES:
            tn = t0 - K * (T_M - t0) * np.log10(rate / R0)
            for d in (-0.005, 0.005):
                ramps.append({**_ramp(tn + d, rate), "steps": 1000})
        if k == 0:  # the weakest substrate does not crystallise above the floor when fast
            ramps = [r if r["rate"] != 0.005 else {**_ramp(None, 0.005), "steps": 1000}
                     for r in ramps]  # fmt: skip
        sid = f"s{k}"
        (tmp_path / "samples" / sid).mkdir(parents=True)
        record = {"id": sid, "family": "f", "parameters": {"eps_sl": 1.0}, "ramps": ramps,
                  **sample_labels(ramps, campaign["ramp"])}  # fmt: skip
        dataset.write_record(tmp_path / "samples" / sid, record)
    dataset.write_manifest(tmp_path)
    text = write_card(tmp_path, campaign).read_text()
    assert "## Cooling rates" in text and (tmp_path / "figures" / "tn_rates.png").exists()
    assert "| 0.005 | 3 | 1 |" in text and "| 0.0005 | 4 | 0 |" in text
    # spread 0.00707 of two ramps 0.01 apart; noise 0.005
    assert "| 0.0015 | 4 | 0 | 0.500 | 0.007 | 0.0050 | 1000 |" in text
    assert "T_n falls monotonically with the rate on 100% of them" in text


def _template_rows(n=24, noise=0.002, seed=1):
    """Substrates whose slope depends on T_n(r0) and on a template descriptor z independent of
    it (a larger critical nucleus on some templates): pairs of equal T_n(r0) swap rank."""
    rng = np.random.default_rng(seed)
    rows, values = [], {}
    pairs = zip(rng.uniform(0.40, 0.60, n), rng.normal(0, 1, n), strict=True)
    for k, (t0, z) in enumerate(pairs):
        values[f"s{k}"] = [z, rng.normal()]  # the second descriptor carries nothing
        for rate in RATES:
            x = np.log10(rate / R0)
            tn = t0 - (K * (T_M - t0) + 0.02 * z) * x + (0 if rate == R0 else rng.normal(0, noise))
            rows.append({"id": f"s{k}", "family": "f", "rate": rate, "tn": tn, "tn_ref": t0,
                         "censored": False})  # fmt: skip
    return rows, {"names": ["z", "noise"], "values": values, "settings": {"a0": 1.6}}


def test_a_rate_head_with_descriptors_follows_rank_changes_the_plain_one_cannot(tmp_path):
    from nucleate.data.rates import rank_change
    from nucleate.errors import InputError
    from nucleate.models.rate_head import RateHead
    from nucleate.train.rates import fit_head, predict_rows

    rows, desc = _template_rows()
    test_rows, test_desc = _template_rows(seed=2)
    plain = fit_head(rows, R0)
    head = fit_head(rows, R0, descriptors=desc)
    assert head.descriptors == ["z", "noise"] and head.featurizer_settings == {"a0": 1.6}
    p_plain, _ = predict_rows(plain, test_rows)
    p_desc, _ = predict_rows(head, test_rows, descriptors=test_desc)
    tn = np.array([r["tn"] for r in test_rows])
    assert np.sqrt(np.mean((p_desc - tn) ** 2)) < 0.5 * np.sqrt(np.mean((p_plain - tn) ** 2))
    assert rank_change(test_rows, p_desc)["spearman_rank_change"] > 0.8
    # a slope from T_n(r0) alone keeps the order of substrates (no rank change, nan) or misses it
    plain_rc = rank_change(test_rows, p_plain)["spearman_rank_change"]
    assert np.isnan(plain_rc) or plain_rc < 0.5
    # the slope of a typical interface (descriptors at their mean) is the CNT one
    mid = np.array(head.descriptor_mean)
    assert head.slope([0.42, 0.58], mid) == pytest.approx([-K * 0.20, -K * 0.04], abs=0.01)
    again = RateHead.load(head.save(tmp_path / "rate_head.json"))
    values = np.array([test_desc["values"][r["id"]] for r in test_rows])
    rate = np.array([r["rate"] for r in test_rows])
    t0 = np.array([r["tn_ref"] for r in test_rows])
    assert np.allclose(again.predict(t0, None, rate, values)[0], p_desc)
    with pytest.raises(InputError, match="reads liquid descriptors"):
        again.predict(t0, None, rate)
