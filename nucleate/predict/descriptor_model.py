"""The descriptor route's fitted regressor as a model `nucleate predict` can use.

`nucleate select` writes ``model.pkl`` (the fitted scikit-learn pipeline of the chosen regressor)
and ``model.json`` beside it (the descriptor columns it reads, the featurizer settings, the data
set's campaign for simulating new substrates, versions, test metrics). A Gaussian-process model
gives its predictive standard deviation as the uncertainty; other regressors give none (0).
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

MODEL_PKL = "model.pkl"
MODEL_JSON = "model.json"


def save_descriptor_model(out: str | Path, model, meta: dict) -> Path:
    """Write ``model.pkl`` and ``model.json`` into ``out`` (atomically each); returns the pkl."""
    import sklearn

    from nucleate.data.dataset import atomic_write_text

    out = Path(out)
    meta = {**meta, "kind": "descriptors", "features": "descriptors",
            "nucleate_version": __version__, "sklearn_version": sklearn.__version__}  # fmt: skip
    tmp = out / f".{MODEL_PKL}.tmp"
    tmp.write_bytes(pickle.dumps(model))
    tmp.replace(out / MODEL_PKL)
    atomic_write_text(out / MODEL_JSON, json.dumps(meta, indent=1, default=str) + "\n")
    return out / MODEL_PKL


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
        try:
            self.model = pickle.loads(path.read_bytes())
        except Exception as err:  # unpickling raises many kinds
            raise InputError(f"{path}: not a descriptor model ({type(err).__name__})") from None
        self.hparams = SimpleNamespace(meta=meta)
        self.path = path

    def predict(self, values: dict[str, float]) -> tuple[float, float]:
        """T_n and its standard deviation (0 when the regressor has none) from descriptors."""
        from nucleate.train.select import predictive_std

        cols = self.hparams.meta["columns"]
        missing = [c for c in cols if c not in values]
        if missing:
            raise InputError(f"descriptors missing for the model: {', '.join(missing)}")
        x = np.array([[float(values[c]) for c in cols]])
        if not np.all(np.isfinite(x)):
            bad = [c for c, v in zip(cols, x[0], strict=True) if not np.isfinite(v)]
            raise InputError(f"descriptors not defined for this input: {', '.join(bad)}")
        std = predictive_std(self.model, x)
        return float(self.model.predict(x)[0]), float(std[0]) if std is not None else 0.0
