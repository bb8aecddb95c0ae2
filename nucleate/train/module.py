"""The Lightning module for T_n regression: builds its model from a name and a dict of arguments
(never a built module in the hyperparameters), keeps the target scaler as buffers, trains with the
censored loss, and reports RMSE in the target's units."""

from __future__ import annotations

import lightning as L
import torch

from nucleate.models.losses import censored_mse
from nucleate.models.registry import build_model
from nucleate.models.tn_network import TnOutputs


class TnRegressor(TnOutputs, L.LightningModule):
    """Args: model name and arguments (see :mod:`nucleate.models.registry`), input kind
    (``image`` or ``graph``), target mean and standard deviation (from the training split),
    learning rate, weight decay, whether to augment images (in-plane rotations by 90° and mirror
    images), ``meta``: anything a checkpoint must carry (featurizer settings, data hash,
    version, the run's config), and ``polymorph_weight``: with > 0, outputs 2–5 of the network
    are a second head for the polymorph fractions (fcc, hcp, bcc, other) of the grown crystal,
    trained with a soft-label cross-entropy of this weight beside the T_n loss. Its outputs
    (``forward``, ``embed``, ``polymorph``) are those of :class:`nucleate.models.tn_network.TnOutputs`:
    prediction loads the same weights without Lightning."""

    def __init__(
        self,
        model: str,
        model_args: dict,
        kind: str = "image",
        target_mean: float = 0.0,
        target_std: float = 1.0,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        augment: bool = True,
        meta: dict | None = None,
        polymorph_weight: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.build_network(model, model_args, target_mean, target_std)

    def inputs(self, batch):
        """The model inputs of a batch (images, or the graph batch itself)."""
        return self._unpack(batch)[0]

    def _unpack(self, batch):
        poly = has = None
        if self.hparams.kind == "image":
            x, y, censored, bound, *rest = batch
            if rest:
                poly, has = rest
        else:
            x, y, censored, bound = batch, batch.y, batch.censored, batch.bound
            poly, has = getattr(batch, "poly", None), getattr(batch, "has_poly", None)
        return x, y.reshape(-1), censored.reshape(-1), bound.reshape(-1), poly, has

    def _augment(self, x: torch.Tensor) -> torch.Tensor:
        if self.hparams.kind != "image" or not self.hparams.augment:
            return x
        k = int(torch.randint(4, (1,)))
        x = torch.rot90(x, k, dims=(2, 3))
        return torch.flip(x, dims=(3,)) if bool(torch.randint(2, (1,))) else x

    def _loss(self, batch, train: bool):
        x, y, censored, bound, poly, has = self._unpack(batch)
        if train:
            x = self._augment(x)
        out = self.net(x)
        z = out[:, 0]
        scale = (y - self.y_mean) / self.y_std, (bound - self.y_mean) / self.y_std
        loss = censored_mse(z, scale[0], censored, scale[1])
        w = float(self.hparams.get("polymorph_weight") or 0.0)
        if w > 0 and poly is not None and bool(has.any()):
            has = has.reshape(-1).bool()
            logp = torch.log_softmax(out[has, 1:5], dim=1)  # soft-label cross-entropy
            loss = loss + w * torch.mean(-(poly.reshape(-1, 4)[has] * logp).sum(dim=1))
        pred = z.detach() * self.y_std + self.y_mean
        return loss, pred, y, censored

    def training_step(self, batch, batch_idx):
        loss, *_ = self._loss(batch, train=True)
        self.log("train_loss", loss, prog_bar=True, batch_size=self._bs(batch))
        return loss

    def validation_step(self, batch, batch_idx):
        self._eval_step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._eval_step(batch, "test")

    def _eval_step(self, batch, stage: str):
        loss, pred, y, censored = self._loss(batch, train=False)
        ok = ~censored.bool()
        bs = self._bs(batch)
        self.log(f"{stage}_loss", loss, prog_bar=stage == "val", batch_size=bs, sync_dist=True)
        if ok.any():
            mse = torch.mean((pred[ok] - y[ok]) ** 2)
            self.log(
                f"{stage}_rmse", torch.sqrt(mse), prog_bar=stage == "val", batch_size=int(ok.sum())
            )

    def predict_step(self, batch, batch_idx):
        x, *_ = self._unpack(batch)
        return self(x)

    def predict_polymorph(self, batch) -> torch.Tensor:
        x, *_ = self._unpack(batch)
        return self.polymorph(x)

    def _bs(self, batch) -> int:
        return int(batch[0].shape[0]) if self.hparams.kind == "image" else int(batch.num_graphs)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=10)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}


class PropensityRegressor(L.LightningModule):
    """Per-atom propensity: a graph network with a node-level head, trained on the targeted nodes
    (``node_mask``) with a mean-squared error on standardised targets. The node descriptors'
    scaler (``x_mean``, ``x_std``) and the target scaler live in the model as buffers. Logs
    ``val_loss`` and ``val_r`` (Pearson r per graph, averaged).

    ``contact_weight`` > 0 (films) adds, with this weight, the mean-squared error of the contact
    layer's atoms (targeted nodes with ``height < contact_height``) measured from their own
    graph's contact-layer mean: the differences *within* the layer next to the substrate, which
    the plain error leaves to the much larger differences between layers.

    ``times_weight`` > 0 with ``times_mean`` / ``times_std`` (one per label time): outputs 2... of
    the network's node head are the propensity at every label time (``node_times``, standardised
    per time), trained with this weight beside the propensity at t* (output 1, the prediction)."""

    def __init__(
        self,
        model: str,
        model_args: dict,
        x_mean: list[float] | None = None,
        x_std: list[float] | None = None,
        target_mean: float = 0.0,
        target_std: float = 1.0,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        meta: dict | None = None,
        contact_weight: float = 0.0,
        contact_height: float = 1.2,
        times_weight: float = 0.0,
        times_mean: list[float] | None = None,
        times_std: list[float] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = build_model(model, **model_args)
        f = int(model_args.get("extra_features", 0))
        self.register_buffer("x_mean", torch.tensor(x_mean or [0.0] * f, dtype=torch.float32))
        self.register_buffer("x_std", torch.tensor(x_std or [1.0] * f, dtype=torch.float32))
        self.register_buffer("y_mean", torch.tensor(float(target_mean)))
        self.register_buffer("y_std", torch.tensor(float(target_std)))
        # rebuilt from the hyperparameters: not in the state dict (checkpoints without them load)
        for name, v in (("t_mean", times_mean), ("t_std", times_std)):
            self.register_buffer(name, torch.tensor(v or [], dtype=torch.float32), persistent=False)

    def _scaled(self, data):
        data = data.clone()
        if data.x is not None and data.x.shape[1] > 0:
            data.x = (data.x - self.x_mean) / self.x_std
        return data

    def forward(self, data) -> torch.Tensor:
        """(nodes,) predicted propensity in the labels' units."""
        return self.net.forward_nodes(self._scaled(data))[:, 0] * self.y_std + self.y_mean

    def _loss(self, data):
        out = self.net.forward_nodes(self._scaled(data))
        z = out[:, 0]
        m = data.node_mask
        target = (data.node_y - self.y_mean) / self.y_std
        loss = torch.mean((z[m] - target[m]) ** 2)
        if self.hparams.contact_weight > 0:
            loss = loss + self.hparams.contact_weight * self._within_contact(z, target, data)
        if self.hparams.times_weight > 0:
            times = (data.node_times - self.t_mean) / self.t_std
            loss = loss + self.hparams.times_weight * torch.mean((out[m, 1:] - times[m]) ** 2)
        return loss, z

    def _within_contact(self, z, target, data) -> torch.Tensor:
        """Mean-squared error of the contact layer's targeted atoms, each graph's layer measured
        from its own mean (0 when no graph has a contact layer)."""
        sel = data.node_mask & (data.height < self.hparams.contact_height)
        if not bool(sel.any()):
            return z.new_zeros(())
        batch = getattr(data, "batch", None)
        g = batch[sel] if batch is not None else torch.zeros_like(z[sel], dtype=torch.long)
        n_graphs = int(g.max()) + 1
        count = z.new_zeros(n_graphs).index_add_(0, g, torch.ones_like(z[sel]))

        def centred(v):
            return v - (v.new_zeros(n_graphs).index_add_(0, g, v) / count)[g]

        return torch.mean((centred(z[sel]) - centred(target[sel])) ** 2)

    def training_step(self, batch, batch_idx):
        loss, _ = self._loss(batch)
        self.log("train_loss", loss, batch_size=int(batch.num_graphs))
        return loss

    def validation_step(self, batch, batch_idx):
        loss, z = self._loss(batch)
        m = batch.node_mask
        r = torch.corrcoef(torch.stack([z[m], batch.node_y[m]]))[0, 1]
        bs = int(batch.num_graphs)
        self.log("val_loss", loss, prog_bar=True, batch_size=bs, sync_dist=True)
        self.log("val_r", r, prog_bar=True, batch_size=bs, sync_dist=True)

    def configure_optimizers(self):
        opt = torch.optim.AdamW(
            self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay
        )
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=8)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}
