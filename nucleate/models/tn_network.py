"""A trained T_n network without its training machinery: the network, the target scaler and the
checkpoint's hyperparameters, loaded from a checkpoint file with torch alone (importing
Lightning costs seconds that a prediction does not need). :class:`TnOutputs` is shared with the
Lightning module that trains it (:class:`nucleate.train.module.TnRegressor`), so both give the
same numbers from the same weights."""

from __future__ import annotations

import os

import torch

from nucleate.errors import InputError
from nucleate.models.registry import build_model


class HParams(dict):
    """A checkpoint's hyperparameters, readable as attributes (``hparams.meta``) as in Lightning."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class TnOutputs:
    """T_n, the representation before the head and the polymorph head of a network ``self.net``
    trained on targets scaled by the buffers ``y_mean`` and ``y_std``."""

    def build_network(
        self, model: str, model_args: dict, target_mean: float, target_std: float
    ) -> None:
        """The registered network ``model`` and the target scaler's buffers."""
        self.net = build_model(model, **model_args)
        self.register_buffer("y_mean", torch.tensor(float(target_mean)))
        self.register_buffer("y_std", torch.tensor(float(target_std)))

    def forward(self, x) -> torch.Tensor:
        """Predicted T_n in the target's units, shape (batch,)."""
        return self.net(x)[:, 0] * self.y_std + self.y_mean

    def embed(self, x) -> torch.Tensor:
        """(batch, width): the network's representation of its inputs before its head (the
        space in which :class:`nucleate.models.novelty.Novelty` measures how new an input is)."""
        return self.net.embed(x)

    def outputs(self, x) -> tuple[torch.Tensor, torch.Tensor]:
        """``(forward(x), embed(x))`` from one pass: every registered network's output is its
        ``readout`` of its ``embed``."""
        z = self.net.embed(x)
        return self.net.readout(z)[:, 0] * self.y_std + self.y_mean, z

    def polymorph(self, x) -> torch.Tensor:
        """Predicted polymorph fractions (fcc, hcp, bcc, other) of the grown crystal, shape
        (batch, 4) (the second head of a multi-task model, ``polymorph_weight`` > 0)."""
        if not self.hparams.get("polymorph_weight"):
            raise ValueError("this model was trained without a polymorph head")
        return torch.softmax(self.net(x)[:, 1:5], dim=1)


class TnNetwork(TnOutputs, torch.nn.Module):
    """The network of a T_n checkpoint, for prediction (arguments: the checkpoint's
    hyperparameters; the training ones are kept in ``hparams`` and otherwise unused)."""

    def __init__(
        self,
        model: str,
        model_args: dict,
        kind: str = "image",
        target_mean: float = 0.0,
        target_std: float = 1.0,
        meta: dict | None = None,
        polymorph_weight: float = 0.0,
        **training,
    ) -> None:
        super().__init__()
        self.hparams = HParams(
            model=model, model_args=model_args, kind=kind, target_mean=target_mean,
            target_std=target_std, meta=meta or {}, polymorph_weight=polymorph_weight, **training,
        )  # fmt: skip
        self.build_network(model, model_args, target_mean, target_std)


def load_tn_network(path: str | os.PathLike) -> TnNetwork:
    """The network of a T_n checkpoint file (Lightning's or one exported by nucleate), in
    evaluation mode on the CPU; a file that is not one is an :class:`InputError`."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        net = TnNetwork(**ckpt["hyper_parameters"])
        net.load_state_dict(ckpt["state_dict"])
    except InputError:
        raise
    except Exception as err:  # torch raises many kinds on a file that is not a checkpoint
        raise InputError(f"{path}: not a nucleate checkpoint ({type(err).__name__})") from None
    return net.eval()
