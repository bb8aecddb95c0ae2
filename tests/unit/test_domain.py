"""The training domain: measured on the stored frames, kept in the feature cache."""

import numpy as np
import pytest
from conftest import synthetic_dataset

from nucleate.data.dataset import SAMPLE_SIDE, iter_records
from nucleate.data.io import read_frames
from nucleate.models.domain import training_domain
from nucleate.structure.layers import LayerDetector


def test_training_domain_is_measured_on_the_frames_once_then_read_from_the_cache(
    tmp_path, film, monkeypatch
):
    import nucleate.models.domain as domain

    root = synthetic_dataset(tmp_path / "ds", film, 4)
    records = list(iter_records(root))
    profiles = [LayerDetector(n_layers=1)(read_frames(root / "samples" / r["id"] /
                "frames.extxyz.gz", side=SAMPLE_SIDE)) for r in records]  # fmt: skip
    cold = training_domain(records, root, tmp_path / "cache")
    d = [p.d_liquid for p in profiles]
    assert cold["d_liquid"] == pytest.approx([min(d), max(d)], rel=1e-12)
    area = [p.layers[0].atoms_per_area for p in profiles]
    assert cold["atoms_per_area_1"] == pytest.approx([min(area), max(area)], rel=1e-12)
    assert len(list((tmp_path / "cache" / "features").glob("*.npz"))) == len(records)

    def no_reading(*args, **kwargs):
        raise AssertionError("the frames were read again")

    monkeypatch.setattr(domain, "read_frames", no_reading)
    warm = training_domain(records, root, tmp_path / "cache")
    assert warm == cold
    assert np.isfinite(warm["d_substrate"]).all()
