"""One featurizer contract and one registry kind for featurizers, models, regressors and loggers:
every registered featurizer builds from its settings, gives them back so that they rebuild the
same featurizer, and returns plain arrays; registries take aliases and refuse unknown names."""

from __future__ import annotations

import numpy as np
import pytest

from nucleate.data.io import Selection, from_ase
from nucleate.errors import InputError
from nucleate.featurize.base import Context, Featurizer
from nucleate.featurize.pipeline import FEATURIZERS, build
from nucleate.models.regressors import REGRESSORS, make_regressor

#: settings other than the defaults, one set per featurizer, to see they survive the round trip
CHANGED = {
    "density_image": {"layers": [1, 2], "size": 16, "window": "origin", "sigma": 0.3},
    "graph": {"cutoff": 1.3, "layers": [1], "substrate": False},
    "descriptors": {"n_layers": 1, "a0": 1.55, "pair": {"eps": 1.2}, "grid": 6},
    "layers": {"n_layers": 1, "reference": "flat", "bin_width": 0.03},
    "local_order": {"shells": [1.0, 1.5], "ls": [4, 6], "coarse_grain": None},
}


def test_every_featurizer_has_a_changed_settings_case():
    assert set(CHANGED) == set(FEATURIZERS.names())


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_settings_round_trip(name):
    f = build(name, CHANGED[name])
    assert isinstance(f, Featurizer) and f.name == name
    settings = f.settings()
    for key, value in CHANGED[name].items():
        if isinstance(value, dict):  # a nested settings object comes back as its dict
            assert settings[key].items() >= value.items()
        elif value is not None:
            assert settings[key] == value, key
    again = build(name, settings)
    assert again.settings() == settings
    assert settings != build(name).settings()  # the changed settings took effect


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_features_are_named_arrays_and_rebuilt_featurizers_agree(name, film):
    atoms, _, _ = film(n_liquid=6, noise=0.05)
    frames = [from_ase(atoms, Selection(substrate_types=(1,)))]
    settings = {k: v for k, v in CHANGED[name].items() if k != "substrate"}
    f = build(name, settings)
    out = f.features(frames, Context())
    assert out and all(isinstance(v, np.ndarray) for v in out.values())
    again = build(name, f.settings()).features(frames, Context())
    assert out.keys() == again.keys()
    for key in out:
        if out[key].dtype.kind in "fc":
            np.testing.assert_allclose(out[key], again[key], equal_nan=True)
        else:
            np.testing.assert_array_equal(out[key], again[key])


def test_aliases_and_unknown_names():
    assert build("image").name == "density_image"
    assert FEATURIZERS.canonical("descriptor") == "descriptors"
    with pytest.raises(InputError, match="unknown featurizer 'imgae'; use one of"):
        build("imgae")
    with pytest.raises(InputError, match="bad settings for featurizer 'graph'"):
        build("graph", {"cutof": 1.5})
    with pytest.raises(InputError, match="bad settings for LayerDetector"):
        build("density_image", {"detector": {"layers": 2}})
    assert REGRESSORS.canonical("gaussian_process") == "gp"
    with pytest.raises(InputError, match="unknown regressor 'svm'"):
        make_regressor("svm")


def test_a_featurizer_setting_without_a_config_form_is_refused():
    f = build("graph", {"local_order": None})
    f.local_order = lambda *a: np.zeros((1, 0))  # a function has no settings to write
    with pytest.raises(TypeError, match="has no config form"):
        f.settings()


def test_model_and_logger_registries(tmp_path):
    pytest.importorskip("lightning")
    from nucleate.models.cnn import IcePicVGG
    from nucleate.models.registry import MODELS, build_model
    from nucleate.train.loggers import LOGGERS, make_loggers

    assert MODELS.get("vgg") is IcePicVGG
    with pytest.raises(InputError, match="unknown model 'resnet'"):
        build_model("resnet")
    (logger,) = make_loggers(["csv"], tmp_path)
    assert type(logger).__name__ == "CSVLogger"
    assert set(LOGGERS.names()) == {"csv", "tensorboard", "wandb"}
    with pytest.raises(InputError, match="unknown logger 'mlflow'"):
        make_loggers(["mlflow"], tmp_path)


def test_lightning_tips_are_dropped_and_its_other_lines_kept(tmp_path, caplog):
    """A Trainer built with nucleate's loggers prints no advertisement; Lightning's other
    information lines (which accelerator it uses) still come through."""
    lightning = pytest.importorskip("lightning")
    import logging

    from nucleate.train.loggers import LIGHTNING_INFO, make_loggers

    loggers = make_loggers(["csv"], tmp_path)
    make_loggers(["csv"], tmp_path)  # the filter is installed once
    assert len(logging.getLogger(LIGHTNING_INFO).filters) == 1
    with caplog.at_level(logging.INFO, logger=LIGHTNING_INFO):
        lightning.Trainer(logger=loggers, accelerator="cpu", enable_progress_bar=False)
    lines = [r.getMessage() for r in caplog.records if r.name == LIGHTNING_INFO]
    assert any("GPU available" in line for line in lines)
    assert not any("Tip" in line for line in lines)
