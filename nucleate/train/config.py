"""The config of a T_n training run (:class:`TrainConfig`), light to import: the command line
builds its options from it without loading torch or Lightning."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from nucleate.errors import InputError

#: training precisions (Lightning's names)
PRECISIONS = ("32-true", "bf16-mixed", "16-mixed")


@dataclass
class TrainConfig:
    """One training run (a YAML file under configs/train/). ``ensemble``: members trained with
    different seeds and validation draws (same test part), giving a mean and a spread; ``lofo``:
    also leave each substrate family (facet) out in turn; ``polymorph_weight`` > 0: a second head
    learns the polymorph fractions of the grown crystal (multi-task). ``accelerator`` / ``strategy`` /
    ``devices`` / ``num_nodes`` go to the Lightning Trainer: ``accelerator: gpu`` on a GPU,
    ``strategy: ddp`` with several devices or nodes (every rank trains; rank 0 writes the run)."""

    #: the task this config trains (:mod:`nucleate.train.tasks`)
    task: ClassVar[str] = "tn"

    data: str = "data/lj-fcc-v1"
    out: str = "runs/train/cnn"
    features: str = "density_image"
    featurizer_settings: dict = field(default_factory=dict)
    model: str = "cnn"
    model_args: dict = field(default_factory=dict)
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0
    max_epochs: int = 200
    patience: int = 30
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    augment: bool = True
    loggers: list[str] = field(default_factory=lambda: ["csv", "tensorboard", "wandb"])
    wandb_project: str = "nucleate"
    accelerator: str = "auto"
    strategy: str = "auto"
    devices: int | str = 1
    num_nodes: int = 1
    cache_dir: str | None = None
    ensemble: int = 1
    lofo: bool = False
    polymorph_weight: float = 0.0
    # substrate families held out of all training, validation and model choice, scored at the end
    # ("held_out" in metrics.json and predictions.csv): kinds of substrate the model never saw
    hold_out: list[str] = field(default_factory=list)
    # torch threads on the CPU (None: torch's default, one per core); give one per free core:
    # on a machine where another job holds a core, the default threads slow a step many times
    threads: int | None = None
    # Lightning's precision: "32-true", or mixed precision ("bf16-mixed"; "16-mixed" on a GPU)
    precision: str = "32-true"
    # Lightning's progress bars and model summary (off where a training runs in the background)
    progress: bool = True
    # reuse every model an earlier run into the same ``out`` finished with the same config, seed,
    # split and data (each fit records its key in fit.json): a killed long run (ensembles,
    # leave-one-family-out) goes on where it stopped; a changed fit trains again
    resume: bool = False

    def validate(self) -> None:
        """Raise :class:`InputError` on the first bad value, in one line, before any work."""
        import inspect

        from nucleate.featurize.pipeline import FEATURIZERS, build
        from nucleate.models.registry import MODELS, model_class

        self.features = FEATURIZERS.canonical(self.features)  # aliases become the names
        if self.features not in ("density_image", "graph"):
            raise InputError(f"features must be density_image or graph, not {self.features!r}")
        self.model = MODELS.canonical(self.model)
        if getattr(model_class(self.model), "per_atom_only", False):
            raise InputError(f"{self.model} predicts per atom (propensity), not T_n")
        for name, value, least in (("max_epochs", self.max_epochs, 1), ("batch_size",
                                   self.batch_size, 1), ("ensemble", self.ensemble, 1),
                                   ("patience", self.patience, 0)):  # fmt: skip
            if not isinstance(value, int) or value < least:
                raise InputError(f"{name} must be a whole number ≥ {least}, not {value!r}")
        if self.precision not in PRECISIONS:
            raise InputError(f"precision must be one of {', '.join(PRECISIONS)}, not "
                             f"{self.precision!r}")  # fmt: skip
        if self.precision == "16-mixed" and self.accelerator == "cpu":
            raise InputError("precision 16-mixed needs a GPU; on the CPU use bf16-mixed")
        if not self.lr > 0:
            raise InputError(f"lr must be positive, not {self.lr}")
        if self.weight_decay < 0:
            raise InputError(f"weight_decay must not be negative, not {self.weight_decay}")
        if self.polymorph_weight < 0:
            raise InputError(f"polymorph_weight must not be negative, not {self.polymorph_weight}")
        if self.resume and (str(self.devices) != "1" or self.num_nodes != 1):
            raise InputError("resume works on one device: run the resumed fits without DDP")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise InputError(f"threads must be a whole number ≥ 1, not {self.threads!r}")
        from nucleate.data.dataset import read_manifest

        families = {r["family"] for r in read_manifest(self.data)}
        missing = sorted(set(self.hold_out) - families)
        if missing:
            raise InputError(f"hold_out names families not in {self.data}: {', '.join(missing)}")
        build(self.features, self.featurizer_settings)  # unknown featurizer settings fail here
        accepted = inspect.signature(model_class(self.model)).parameters
        unknown = sorted(set(self.model_args) - set(accepted))
        if unknown:
            raise InputError(
                f"unknown model_args for {self.model}: {', '.join(unknown)}; it takes "
                f"{', '.join(k for k in accepted if k not in ('in_channels', 'species', 'out'))}"
            )
        cut_f, cut_m = self.featurizer_settings.get("cutoff"), self.model_args.get("cutoff")
        if cut_f is not None and cut_m is not None and cut_f != cut_m:
            raise InputError(
                f"the graph's cutoff ({cut_f}) and the model's ({cut_m}) differ: give one value"
            )
