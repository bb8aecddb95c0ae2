"""The featurizer contract and its registry.

Every featurizer is a class registered in :data:`FEATURIZERS` under its public name, built from a
settings dict (:meth:`Featurizer.from_settings`, the form configs give) and able to return the
settings it was built with (:meth:`Featurizer.settings`, so a featurizer round-trips to config).
The pipeline calls one method on all of them::

    featurizer.features(frames, context) -> dict[str, np.ndarray]

with :class:`Context` carrying what a sample knows beyond its frames (its substrate parameters and,
where the frames keep only the top of a generated substrate, the whole slab). How a data set's
results are stored is the featurizer's :meth:`Featurizer.write`. A featurizer's own ``__call__``
keeps returning its natural object (an image, an :class:`~nucleate.featurize.graphs.AtomGraph`, a
layer profile) for use from Python; ``features`` is the flat form the cache and the models read.

The registry is complete once :mod:`nucleate.featurize.pipeline` is imported (it imports every
featurizer module).
"""

from __future__ import annotations

import dataclasses
import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from nucleate.errors import InputError
from nucleate.frame import Frame
from nucleate.registry import Registry


@dataclass(frozen=True)
class Context:
    """What a featurizer may use besides the frames of one input.

    Attributes:
        params: the sample's substrate parameters (``eps_sl``, ``eps_sl2``, ``a_s``, ...); empty
            for a trajectory file.
        substrate: the whole substrate as a Frame when the frames keep only its top layers (a
            generated slab); None otherwise.
    """

    params: Mapping[str, Any] = field(default_factory=dict)
    substrate: Frame | None = None


def plain(value: Any) -> Any:
    """A setting as YAML/JSON writes it: tuples as lists, settings objects as dicts."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in dataclasses.asdict(value).items()}
    if hasattr(value, "settings") and callable(value.settings):
        return value.settings()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "__dict__") and not inspect.isroutine(value) and not inspect.isclass(value):
        return settings_of(value)  # a settings object (a layer detector): its constructor arguments
    raise TypeError(f"a setting of type {type(value).__name__} has no config form")


def settings_of(obj: Any) -> dict[str, Any]:
    """The constructor arguments of ``obj`` read back from its attributes of the same names, in
    plain form (:func:`plain`); a parameter without such an attribute is left out."""
    out = {}
    for name, p in inspect.signature(type(obj)).parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or not hasattr(obj, name):
            continue
        out[name] = plain(getattr(obj, name))
    return out


class Featurizer(ABC):
    """Base of every registered featurizer (see the module docstring for the contract).

    Class attributes a featurizer sets:
        name: its public name (the registry key).
        nested: settings that are themselves objects, by parameter name -> the class their dict
            builds (``detector: {n_layers: 1}`` -> ``LayerDetector(n_layers=1)``).
        dataset_settings: settings a data set's campaign supplies when a config leaves them out
            (the descriptors' ``a0``).
    """

    name: ClassVar[str] = ""
    nested: ClassVar[dict[str, type]] = {}
    dataset_settings: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None = None) -> Featurizer:
        """Build from a config's settings dict; a bad or unknown setting is an
        :class:`InputError` naming the featurizer."""
        kwargs = dict(settings or {})
        for key, kind in cls.nested.items():
            if isinstance(kwargs.get(key), Mapping):
                kwargs[key] = _build_nested(kind, kwargs[key])
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as err:
            raise InputError(f"bad settings for featurizer {cls.name!r}: {err}") from None

    def settings(self) -> dict[str, Any]:
        """The settings that rebuild this featurizer (``from_settings(f.settings())``)."""
        return settings_of(self)

    @abstractmethod
    def features(self, frames: Sequence[Frame], context: Context) -> dict[str, np.ndarray]:
        """The featurizer's arrays for the frames of one input (every featurizer defines it)."""

    @classmethod
    def write(cls, out: Path, results: Mapping[str, Mapping[str, np.ndarray]]) -> None:
        """Store the arrays of several inputs (by id) under the folder ``out``: one
        ``<id>.npz`` per input unless a featurizer stores a table."""
        for i, arrays in results.items():
            np.savez_compressed(out / f"{i}.npz", **arrays)


def _build_nested(kind: type, settings: Mapping[str, Any]):
    build = getattr(kind, "from_settings", None)
    try:
        return build(settings) if build else kind(**settings)
    except TypeError as err:
        raise InputError(f"bad settings for {kind.__name__}: {err}") from None


#: public featurizer names -> featurizer classes
FEATURIZERS: Registry[type[Featurizer]] = Registry("featurizer")
