"""Public model names -> classes (renamed models keep their old names as aliases)."""

from __future__ import annotations

from nucleate.errors import InputError


def _models() -> dict:
    from nucleate.models.cnn import IcePicVGG, PeriodicCNN
    from nucleate.models.gnn import InterfaceGNN

    return {"cnn": PeriodicCNN, "icepic_vgg": IcePicVGG, "gnn": InterfaceGNN}


MODEL_NAMES = ("cnn", "icepic_vgg", "gnn")


def model_class(name: str):
    """The class of a registered model."""
    models = _models()
    if name not in models:
        raise InputError(f"unknown model {name!r}; use one of {', '.join(models)}")
    return models[name]


def build_model(name: str, **kwargs):
    models = _models()
    if name not in models:
        raise InputError(f"unknown model {name!r}; use one of {', '.join(models)}")
    try:
        return models[name](**kwargs)
    except TypeError as err:
        raise InputError(f"bad arguments for model {name!r}: {err}") from None
