"""Propensity labels and their noise ceiling on synthetic ensembles with known answers."""

import numpy as np
import pytest

from nucleate.data.propensity import noise_ceiling, propensity, read_isoconfig
from nucleate.errors import InputError


def test_propensity_is_the_mean_displacement():
    d = np.zeros((4, 2, 3))
    d[:, 0, 0] = [1.0, 2.0, 3.0, 2.0]
    d[:, 1, 2] = -1.0
    np.testing.assert_allclose(propensity(d), [2.0, 1.0])
    # squared over the MSD: particle 0 moves more than average
    sq = propensity(d, squared=True)
    assert sq[0] > 1 > sq[1]


def test_noise_ceiling_matches_a_known_signal_to_noise():
    # each particle has a true mobility; each replica adds independent noise of equal variance
    rng = np.random.default_rng(0)
    n, reps = 4000, 32
    true = rng.normal(size=n)
    noise = 4.0
    d = np.zeros((reps, n, 3))
    d[:, :, 0] = 10.0 + true[None, :] + noise * rng.normal(size=(reps, n))
    ceiling = noise_ceiling(d, splits=10)
    # reliability of the mean of 32 replicas: var(true) / (var(true) + noise^2 / 32)
    expected = 1.0 / (1.0 + noise**2 / reps)
    assert ceiling.reliability == pytest.approx(expected, abs=0.02)
    # and the mean over all replicas correlates with the truth at about sqrt(reliability)
    r_true = np.corrcoef(propensity(d), true)[0, 1]
    assert ceiling.max_r == pytest.approx(r_true, abs=0.02)


def test_reader_checks_its_input(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_isoconfig(tmp_path / "none.npz")
    np.savez(tmp_path / "bad.npz", types=np.zeros(3))
    with pytest.raises(InputError, match="not an isoconfigurational"):
        read_isoconfig(tmp_path / "bad.npz")
    n = 10
    rng = np.random.default_rng(1)
    x0 = rng.uniform(0, 2, (n, 3))
    np.savez(tmp_path / "ok.npz", types=np.array([0] * 8 + [1] * 2, dtype=np.int8),
             initial_positions=x0, positions=x0[None] + rng.normal(0, 0.1, (4, n, 3)))  # fmt: skip
    s = read_isoconfig(tmp_path / "ok.npz")
    assert s.frame.types.tolist() == [1] * 8 + [2] * 2
    assert s.frame.cell[0, 0] == pytest.approx((n / 1.2) ** (1 / 3))
    assert s.displacements.shape == (4, n, 3) and s.propensity.shape == (n,)


def test_fs_and_chi4_of_gaussian_displacements():
    from nucleate.data.propensity import chi4, self_intermediate_scattering

    rng = np.random.default_rng(0)
    sig = np.array([0.1, 0.3, 0.6])  # per-component width at three times
    d = rng.normal(size=(400, 3, 300, 3)) * sig[None, :, None, None]
    q = 7.0
    fs = self_intermediate_scattering(d, q)
    np.testing.assert_allclose(fs, np.exp(-(q**2) * sig**2 / 2), atol=0.01)
    # independent particles: chi4 = variance of the single-particle overlap, known from F_s
    var1 = np.sinc(q * np.linalg.norm(d, axis=-1) / np.pi).var(axis=(0, 2))
    np.testing.assert_allclose(chi4(d, q), var1, rtol=0.25)  # 400 replicas: ~7 % error
    # frozen particles do not move: F_s = 1, chi4 = 0
    frozen = np.zeros((4, 2, 10, 3))
    assert np.all(self_intermediate_scattering(frozen, q) == 1.0) and np.all(chi4(frozen, q) == 0)
