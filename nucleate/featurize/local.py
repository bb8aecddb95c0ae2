"""The structure analyses that are also featurizers: the layer profile of an interface and the
per-atom radial bond order. The analysis lives in :mod:`nucleate.structure` (labels use it too);
these classes add the featurizer contract (:mod:`nucleate.featurize.base`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nucleate.featurize.base import FEATURIZERS, Context, Featurizer
from nucleate.frame import Frame
from nucleate.structure.layers import LayerDetector
from nucleate.structure.order import RadialBondOrder


@FEATURIZERS.register("layers")
class Layers(Featurizer, LayerDetector):
    """:class:`~nucleate.structure.layers.LayerDetector` as a featurizer: the density profile
    along z (``heights``, ``density``) and the layers' ``[lower, peak, upper]`` bounds."""

    name = "layers"

    def features(self, frames: Sequence[Frame], context: Context) -> dict[str, np.ndarray]:
        profile = self(frames)
        bounds = np.array([[la.lower, la.peak, la.upper] for la in profile.layers])
        return {"heights": profile.heights, "density": profile.density, "layers": bounds}


@FEATURIZERS.register("local_order")
class LocalOrder(Featurizer, RadialBondOrder):
    """:class:`~nucleate.structure.order.RadialBondOrder` as a featurizer: the per-atom
    descriptors of every frame (``frame0``, ``frame1``, ...)."""

    name = "local_order"

    def features(self, frames: Sequence[Frame], context: Context) -> dict[str, np.ndarray]:
        return {
            f"frame{k}": self(f.positions, f.cell, f.pbc, f.types) for k, f in enumerate(frames)
        }
