"""CNNs on density images of the interfacial layers.

:class:`PeriodicCNN`: convolutions with circular padding (a layer image is a view of a periodic
surface) and a global average readout, so a periodic shift of the input by a multiple of the
network's total stride leaves the prediction unchanged. :class:`IcePicVGG`: the VGG-style baseline
of IcePic (Davies et al. 2022; 2 x conv 5x5 + BatchNorm + max-pool per block, 32/64/128 filters,
dense 1024, dropout 0.5), for comparison.
"""

from __future__ import annotations

import torch
from torch import nn


class PeriodicCNN(nn.Module):
    """Args: in_channels (layers), widths per stage, kernel size, dropout, outputs."""

    def __init__(
        self,
        in_channels: int = 1,
        widths: tuple[int, ...] = (32, 64, 128),
        kernel: int = 3,
        dropout: float = 0.1,
        out: int = 1,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for k, w in enumerate(widths):
            for _ in range(2):
                layers += [
                    nn.Conv2d(c, w, kernel, padding=kernel // 2, padding_mode="circular"),
                    nn.BatchNorm2d(w),
                    nn.GELU(),
                ]
                c = w
            if k < len(widths) - 1:
                layers.append(nn.AvgPool2d(2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(c, c), nn.GELU(), nn.Linear(c, out)
        )

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))  # translation-invariant readout

    def readout(self, z: torch.Tensor) -> torch.Tensor:
        """The outputs from the representation ``embed(x)``."""
        return self.head(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.embed(x))


class IcePicVGG(nn.Module):
    """VGG-style baseline after IcePic; ``size`` is the input image side in pixels."""

    def __init__(
        self,
        in_channels: int = 1,
        size: int = 64,
        widths: tuple[int, ...] = (32, 64, 128),
        dense: int = 1024,
        dropout: float = 0.5,
        out: int = 1,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = in_channels
        for w in widths:
            layers += [
                nn.Conv2d(c, w, 5, padding=2), nn.BatchNorm2d(w), nn.ReLU(),
                nn.Conv2d(w, w, 5, padding=2), nn.BatchNorm2d(w), nn.ReLU(),
                nn.MaxPool2d(2),
            ]  # fmt: skip
            c = w
            size //= 2
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(c * size * size, dense), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(dense, out),
        )  # fmt: skip

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, dense): the representation before the output layer."""
        return self.head[:3](self.features(x))

    def readout(self, z: torch.Tensor) -> torch.Tensor:
        """The outputs from the representation ``embed(x)`` (the head after its first three)."""
        return self.head[3:](z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
