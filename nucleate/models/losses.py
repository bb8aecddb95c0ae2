"""Losses for T_n with censored samples: a censored substrate only tells that T_n lies below the
ramp's floor, so it is penalised only when the prediction rises above that bound."""

from __future__ import annotations

import torch


def censored_mse(
    pred: torch.Tensor, target: torch.Tensor, censored: torch.Tensor, bound: torch.Tensor
) -> torch.Tensor:
    """Mean over samples of (pred − target)² for uncensored ones and relu(pred − bound)² for
    censored ones (one-sided: any prediction at or below the bound is right)."""
    pred, target, bound = pred.reshape(-1), target.reshape(-1), bound.reshape(-1)
    censored = censored.reshape(-1).bool()
    exact = (pred - target) ** 2
    upper = torch.relu(pred - bound) ** 2
    return torch.where(censored, upper, exact).mean()
