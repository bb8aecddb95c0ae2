"""Kob–Andersen propensity benchmark, linear baseline: ridge regression on radially resolved
bond-order descriptors, leave-one-configuration-out over the 10 configurations in
../shared/data/ka3d-t044-botan (external data; not needed by the package or its tests).

    .venv/bin/python benchmarks/ka_linear_baseline.py [DATA_DIR]

Prints the Pearson r on type-A particles per held-out configuration, their mean, the pooled r and
the labels' split-half noise ceiling.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from results_io import write_results
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nucleate.data.propensity import noise_ceiling, read_isoconfig
from nucleate.structure.order import RadialBondOrder

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ka3d-t044-botan" / "train"


def main(data: Path) -> None:
    files = sorted(data.glob("isoconfig_*.npz"))
    if not files:
        sys.exit(f"no isoconfig_*.npz files in {data}")
    rb = RadialBondOrder(
        shells=tuple(np.round(np.arange(0.7, 3.01, 0.1), 2)), width=0.1, ls=(2, 4, 6, 8),
        coarse_grain=(1.5, 2.5, 3.5), species=(1, 2),
    )  # fmt: skip
    X, Y, ceilings = [], [], []
    for f in files:
        s = read_isoconfig(f)
        a = s.frame.types == 1
        X.append(rb(s.frame)[a])
        Y.append(s.propensity[a])
        ceilings.append(noise_ceiling(s.displacements, a).max_r)
    rs, preds = [], []
    for k in range(len(files)):
        train = [i for i in range(len(files)) if i != k]
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
        model.fit(np.concatenate([X[i] for i in train]), np.concatenate([Y[i] for i in train]))
        preds.append(model.predict(X[k]))
        rs.append(np.corrcoef(preds[-1], Y[k])[0, 1])
    pooled = np.corrcoef(np.concatenate(preds), np.concatenate(Y))[0, 1]
    print(f"{len(files)} configurations, {X[0].shape[1]} descriptors per type-A particle")
    print("r per held-out configuration:", " ".join(f"{r:.3f}" for r in rs))
    print(f"mean r {np.mean(rs):.3f} +- {np.std(rs) / np.sqrt(len(rs)):.3f}, pooled r {pooled:.3f}")
    print(f"noise ceiling (sqrt of split-half reliability): {np.mean(ceilings):.3f}")
    se = float(np.std(rs) / np.sqrt(len(rs)))
    numbers = {"configurations": len(files), "descriptors": int(X[0].shape[1]),
               "r_per_configuration": [float(r) for r in rs], "r_mean": float(np.mean(rs)),
               "r_se": se, "r_min": float(np.min(rs)), "r_pooled": float(pooled),
               "ceiling": float(np.mean(ceilings))}  # fmt: skip
    table = ("| model | r per configuration (mean ± s.e.) | range | pooled r | noise ceiling |\n"
             "| --- | --- | --- | --- | --- |\n"
             f"| ridge on radial bond order | {np.mean(rs):.3f} ± {se:.3f} | {np.min(rs):.3f}–"
             f"{np.max(rs):.3f} | {pooled:.3f} | {np.mean(ceilings):.3f} |")  # fmt: skip
    write_results("ka_linear_baseline", numbers, table)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
