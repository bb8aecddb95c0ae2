"""Bulk calibration functions on small, short runs (the real calibration is in the data card)."""

import numpy as np
import pytest

from nucleate.data.calibrate import bulk_ramp, lattice_constant, melting_temperature
from nucleate.data.simulate.md import Potential


def test_lattice_constant_of_the_lj_crystal():
    a = lattice_constant(Potential(), 0.3, cells=4, steps=2000)
    # T = 0: 1.5496 sigma (2.5 sigma shifted); thermal expansion makes it larger at T = 0.3
    assert 1.56 < a < 1.60


def test_bulk_ramp_runs_and_returns_a_temperature_or_censors():
    tx = bulk_ramp(Potential(), 0.9, 0.85, 0.05, 1.6, seed=3, cells=4, check_every=100)
    assert tx is None  # a hot liquid never crystallises
    tx = bulk_ramp(Potential(), 0.45, 0.30, 0.05, 1.6, seed=3, cells=4, check_every=100)
    assert tx is None or 0.30 <= tx <= 0.45


def test_melting_temperature_from_growth_rates():
    temps = [0.58, 0.60, 0.62, 0.64]
    steps = np.arange(10)
    traces = [0.5 + r * steps for r in (0.03, 0.01, -0.01, -0.03)]
    assert melting_temperature(temps, traces) == pytest.approx(0.61)
    with pytest.raises(ValueError):
        melting_temperature(temps[:2], traces[:2])
