"""The descriptor route's fitted regressor as a model `nucleate predict` can use.

`nucleate select` writes ``model.pkl`` (the fitted scikit-learn pipeline of the chosen regressor)
and ``model.json`` beside it (the descriptor columns it reads, the featurizer settings, the data
set's campaign for simulating new substrates, versions, test metrics). A Gaussian-process model
gives its predictive standard deviation as the uncertainty; other regressors their RMSE on the
validation part (one error bar for every substrate; 0 for models saved without it).
Pickles run code when loaded: load only model files you trust (the shipped ones, your own runs).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from nucleate import __version__
from nucleate.errors import InputError
from nucleate.featurize.descriptors import descriptor_table

MODEL_PKL = "model.pkl"
MODEL_JSON = "model.json"
CENSORING_PKL = "censoring.pkl"


def save_descriptor_model(out: str | Path, model, meta: dict, classifier=None) -> Path:
    """Write ``model.pkl`` and ``model.json`` into ``out`` (atomically each), and the censoring
    classifier as ``censoring.pkl`` when given (``meta["censoring"]`` names its columns and
    floor); returns the pkl."""
    import sklearn

    from nucleate.data.dataset import atomic_write_text

    out = Path(out)
    meta = {**meta, "kind": "descriptors", "features": "descriptors",
            "nucleate_version": __version__, "sklearn_version": sklearn.__version__}  # fmt: skip
    for name, obj in ((MODEL_PKL, model), (CENSORING_PKL, classifier)):
        if obj is None:
            (out / name).unlink(missing_ok=True)
            continue
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(pickle.dumps(obj))
        tmp.replace(out / name)
    atomic_write_text(out / MODEL_JSON, json.dumps(meta, indent=1, default=str) + "\n")
    return out / MODEL_PKL


def final_step(model):
    """The estimator at the end of a pipeline (or the estimator itself)."""
    return model[-1] if hasattr(model, "steps") else model


def predictive_std(model, X: np.ndarray) -> np.ndarray | None:
    """The regressor's own predictive standard deviation (Gaussian process), else ``None``."""
    est = final_step(model)
    if not hasattr(est, "kernel_"):
        return None
    Z = model[:-1].transform(X) if hasattr(model, "steps") else X
    return est.predict(Z, return_std=True)[1]


class DescriptorModel:
    """A fitted descriptor regressor with the metadata a checkpoint carries (``hparams.meta``)."""

    def __init__(self, path: str | Path):
        path = Path(path)
        meta_path = path.with_name(MODEL_JSON)
        if not meta_path.exists():
            raise InputError(f"{path}: no {MODEL_JSON} beside it (made by `nucleate select`)")
        meta = json.loads(meta_path.read_text())
        made = str(meta.get("nucleate_version", "0"))
        if made.split(".")[:2] != __version__.split(".")[:2]:
            raise InputError(f"{path} was made by nucleate {made}; this is {__version__}")
        self.model = _unpickle(path)
        self.classifier = None
        if "censoring" in meta:
            clf = path.with_name(CENSORING_PKL)
            if not clf.exists():
                raise InputError(f"{path}: {MODEL_JSON} names a censoring classifier but "
                                 f"{CENSORING_PKL} is not beside it")  # fmt: skip
            self.classifier = _unpickle(clf)
        self.hparams = SimpleNamespace(meta=meta)
        self.path = path

    def predict(self, values: dict[str, float]) -> tuple[float, float]:
        """T_n and its standard deviation from descriptors: the Gaussian process's own, else the
        regressor's validation RMSE (0 when the model was saved without it)."""
        x = _row(values, self.hparams.meta["columns"])
        tn = float(self.model.predict(x)[0])
        std = predictive_std(self.model, x)
        if std is not None:
            return tn, float(std[0])
        return tn, float(self.hparams.meta.get("val_rmse") or 0.0)

    def p_below_floor(self, values: dict[str, float]) -> float | None:
        """The probability that T_n lies below the training data's floor (the substrate would
        not crystallise above it in the cooling ramps); ``None`` without a classifier."""
        if self.classifier is None:
            return None
        cols = self.hparams.meta["censoring"]["columns"]
        if not all(np.isfinite(float(values.get(c, 0.0))) for c in cols):
            return None  # a descriptor it reads is undefined here (e.g. no second layer)
        return float(self.classifier.predict_proba(_row(values, cols))[0, 1])

    def outside_range(self, values: dict[str, float], margin: float = 0.1) -> list[str]:
        """The model's descriptors that lie outside their range over the substrates it was
        fitted on, widened by ``margin`` × that range on each side: there it extrapolates, and
        a Gaussian process's σ does not grow enough to cover the error. Empty for a model saved
        without ranges."""
        out = []
        for c, (lo, hi) in self.hparams.meta.get("train_range", {}).items():
            v, pad = float(values.get(c, np.nan)), margin * (hi - lo)
            if np.isfinite(v) and not lo - pad <= v <= hi + pad:
                out.append(c)
        return out

    def novelty(self, values: dict[str, float]) -> tuple[float, bool] | None:
        """(novelty, far) of an input in the regressor's own representation (see
        :class:`nucleate.models.novelty.Novelty`); ``None`` for a model saved without it."""
        from nucleate.models.novelty import Novelty, regressor_representation

        ref = self.hparams.meta.get("novelty")
        if ref is None:
            return None
        if not hasattr(self, "_novelty"):
            self._novelty = Novelty.from_dict(ref)
        z = regressor_representation(self.model, _row(values, self.hparams.meta["columns"]))
        return float(self._novelty.score(z)[0]), bool(self._novelty.far(z)[0])

    @property
    def needs_eps_sl(self) -> bool:
        """Whether the model reads a substrate descriptor (the adsorption landscape needs the
        substrate–liquid strength); a liquid-only model reads the frames alone."""
        kinds = {d.name: d.kind for d in descriptor_table(2, precursors=True)}
        meta = self.hparams.meta
        read = [*meta["columns"], *meta.get("censoring", {}).get("columns", [])]
        return any(kinds.get(c, "liquid") == "substrate" for c in read)

    @property
    def floor(self) -> float | None:
        return self.hparams.meta.get("censoring", {}).get("floor")


def _row(values: dict[str, float], cols: list[str]) -> np.ndarray:
    missing = [c for c in cols if c not in values]
    if missing:
        raise InputError(f"descriptors missing for the model: {', '.join(missing)}")
    x = np.array([[float(values[c]) for c in cols]])
    if not np.all(np.isfinite(x)):
        bad = [c for c, v in zip(cols, x[0], strict=True) if not np.isfinite(v)]
        raise InputError(f"descriptors not defined for this input: {', '.join(bad)}")
    return x


def _unpickle(path: Path):
    try:
        return pickle.loads(path.read_bytes())
    except Exception as err:  # unpickling raises many kinds
        raise InputError(f"{path}: not a descriptor model ({type(err).__name__})") from None
