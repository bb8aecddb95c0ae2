"""The ensemble's spread calibration: the members' own validation error, added in quadrature."""

import numpy as np
import pytest

from nucleate.train.metrics import calibrated_spread, coverage, spread_floor


def test_floor_is_the_rms_error_on_each_members_own_validation_substrates():
    y = np.zeros(6)
    preds = np.array([[0.3, 0.1, -0.1, 9.0, 9.0, 9.0],  # member 0 validates on 1, 2
                      [9.0, 9.0, 9.0, 0.2, -0.2, 5.0]])  # member 1 on 3, 4 (5 is censored)  # fmt: skip
    parts = [np.array(["train", "val", "val", "train", "train", "test"]),
             np.array(["train", "train", "train", "val", "val", "val"])]  # fmt: skip
    censored = np.array([False] * 5 + [True])
    cal = spread_floor(y, preds, parts, censored)
    assert cal["n"] == 4  # training errors (9.0) and the censored substrate do not count
    assert cal["floor"] == pytest.approx(np.sqrt((0.01 + 0.01 + 0.04 + 0.04) / 4))


def test_calibrated_spread_and_coverage():
    assert calibrated_spread([0.3, 0.0], 0.4) == pytest.approx([0.5, 0.4])
    y, pred = np.zeros(4), np.array([0.1, 0.3, -0.5, 1.0])
    assert coverage(y, pred, np.full(4, 0.2)) == 0.5  # |z| = 0.5, 1.5, 2.5, 5
    assert coverage(y, pred, calibrated_spread(np.full(4, 0.2), 0.5)) == 1.0


def test_no_validation_substrate_gives_no_floor():
    cal = spread_floor(np.zeros(2), np.zeros((2, 2)), [np.array(["train", "test"])] * 2,
                       np.zeros(2, bool))  # fmt: skip
    assert cal == {**cal, "floor": 0.0, "n": 0}
