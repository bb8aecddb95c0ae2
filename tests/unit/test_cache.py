"""The feature cache: keys that change with what changes a featurizer's output, and only then."""

import numpy as np

from nucleate.featurize import cache
from nucleate.featurize.cache import cache_key, cached


def test_keys_follow_name_settings_input_and_revision(monkeypatch):
    key = cache_key("descriptors", {"a0": 1.6}, "abc")
    assert key == cache_key("descriptors", {"a0": 1.6}, "abc")
    assert key != cache_key("descriptors", {"a0": 1.7}, "abc")
    assert key != cache_key("descriptors", {"a0": 1.6}, "abd")
    assert key != cache_key("graph", {"a0": 1.6}, "abc")
    image = cache_key("density_image", {}, "abc")
    # one featurizer's revision raised: its keys change, another's stay
    monkeypatch.setitem(cache.FEATURIZER_REVISION, "descriptors", cache.revision("descriptors") + 1)
    assert cache_key("descriptors", {"a0": 1.6}, "abc") != key
    assert cache_key("density_image", {}, "abc") == image


def test_cached_computes_once_then_reads_back(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"values": np.arange(3.0)}

    path = tmp_path / "k.npz"
    first, hit = cached(path, compute, force=False)
    assert not hit and path.exists() and not list(tmp_path.glob(".tmp*"))
    again, hit = cached(path, compute, force=False)
    assert hit and len(calls) == 1
    np.testing.assert_array_equal(again["values"], first["values"])
    _, hit = cached(path, compute, force=True)
    assert not hit and len(calls) == 2
