"""Labels from simulations: the nucleation temperature of a cooling ramp (with censoring). The
crystal analysis it rests on lives in :mod:`nucleate.structure.crystallinity`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class RampTrace:
    """What a cooling ramp saw: per check, the thermostat temperature, the liquid's kinetic
    temperature, crystal-like atoms in all and the largest cluster's atoms beyond the contact layers.
    """

    temperature: list[float] = field(default_factory=list)
    kinetic_temperature: list[float] = field(default_factory=list)
    n_solid: list[int] = field(default_factory=list)
    n_cluster_beyond: list[int] = field(default_factory=list)

    def append(self, t: float, tk: float, n_solid: int, n_beyond: int) -> None:
        self.temperature.append(float(t))
        self.kinetic_temperature.append(float(tk))
        self.n_solid.append(int(n_solid))
        self.n_cluster_beyond.append(int(n_beyond))


def crossing_temperature(temps: Sequence[float], values: Sequence[float], threshold: float):
    """The temperature where ``values`` (along a cooling ramp) first reach ``threshold``, linearly
    interpolated between checks; ``None`` if they never do (a censored ramp)."""
    temps = np.asarray(temps, dtype=float)
    values = np.asarray(values, dtype=float)
    above = np.flatnonzero(values >= threshold)
    if len(above) == 0:
        return None
    k = int(above[0])
    if k == 0:
        return float(temps[0])
    v0, v1 = values[k - 1], values[k]
    w = (threshold - v0) / (v1 - v0) if v1 != v0 else 1.0
    return float(temps[k - 1] + w * (temps[k] - temps[k - 1]))
