"""Public model names -> classes (renamed models keep their old names as aliases)."""

from __future__ import annotations

from nucleate.errors import InputError
from nucleate.models.cnn import IcePicVGG, PeriodicCNN
from nucleate.models.gnn import InterfaceGNN
from nucleate.models.linear import NodeLinear
from nucleate.models.painn import InterfacePaiNN
from nucleate.registry import Registry

#: T_n network names -> classes
MODELS: Registry = Registry("model")
MODELS.add("cnn", PeriodicCNN)
MODELS.add("icepic_vgg", IcePicVGG, aliases=("vgg",))
MODELS.add("gnn", InterfaceGNN, aliases=("schnet",))
MODELS.add("painn", InterfacePaiNN)
MODELS.add("node_linear", NodeLinear)  # per-atom only: the propensity ridge as a network

#: the models that read atomic graphs (the others read density images)
GRAPH_MODELS = ("gnn", "painn")

MODEL_NAMES = MODELS.names()


def model_class(name: str):
    """The class of a registered model (or an alias of one)."""
    return MODELS.get(name)


def build_model(name: str, **kwargs):
    """An instance of a registered model; a bad argument is an :class:`InputError`."""
    cls = MODELS.get(name)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise InputError(f"bad arguments for model {name!r}: {err}") from None
