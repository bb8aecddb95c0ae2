"""Kob–Andersen propensity benchmark, linear baseline: ridge regression on radially resolved
bond-order descriptors, leave-one-configuration-out over the 10 configurations in
../shared/data/ka3d-t044-botan (external data; not needed by the package or its tests), read
from the configuration as given (*initial*), from its inherent state (*inherent*: the energy
minimum it reaches with the KA potential, :func:`nucleate.data.simulate.states.inherent_state`),
from its cage state (positions averaged over short runs with fresh velocities,
:func:`nucleate.data.simulate.states.cage_state`), and from them together (with the
inherent-state pair energy and each particle's displacement to its minimum and cage centre).

    .venv/bin/python benchmarks/ka_linear_baseline.py [--data DATA_DIR]

Prints the Pearson r on type-A particles per held-out configuration, their mean, the pooled r, the
labels' split-half noise ceiling and the cost of each input per configuration.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from results_io import write_results
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nucleate.data.propensity import noise_ceiling, read_isoconfig
from nucleate.data.simulate.states import PairModel, cage_state, inherent_state
from nucleate.structure.order import RadialBondOrder

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ka3d-t044-botan" / "train"
PUBLISHED = (
    "BOTAN 0.755, GlassMLP 0.768, CAGE 0.779, SE(3)-equivariant GNN 0.815 (400 configurations)"
)
INPUTS = {"initial": "configuration as given", "inherent": "inherent state",
          "cage": "cage state", "both": "initial + inherent, + inherent-state energy, displacement",
          "all": "initial + inherent + cage, + energy and displacements"}  # fmt: skip
#: the cage runs: NVE at the configurations' temperature, shorter than the cage's lifetime
CAGE = {"temperature": 0.44, "run_time": 1.0, "replicas": 4}


def loco(X: list[np.ndarray], Y: list[np.ndarray]) -> tuple[list[float], float]:
    """Leave one configuration out: r per held-out configuration and pooled."""
    rs, preds = [], []
    for k in range(len(X)):
        train = [i for i in range(len(X)) if i != k]
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
        model.fit(np.concatenate([X[i] for i in train]), np.concatenate([Y[i] for i in train]))
        preds.append(model.predict(X[k]))
        rs.append(float(np.corrcoef(preds[-1], Y[k])[0, 1]))
    return rs, float(np.corrcoef(np.concatenate(preds), np.concatenate(Y))[0, 1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT)
    args = ap.parse_args()
    files = sorted(args.data.glob("isoconfig_*.npz"))
    if not files:
        raise SystemExit(f"no isoconfig_*.npz files in {args.data}")
    rb = RadialBondOrder(
        shells=tuple(np.round(np.arange(0.7, 3.01, 0.1), 2)), width=0.1, ls=(2, 4, 6, 8),
        coarse_grain=(1.5, 2.5, 3.5), species=(1, 2),
    )  # fmt: skip
    X = {k: [] for k in INPUTS}
    Y, ceilings = [], []
    cost = {"descriptors": [], "minimisation": [], "cage": []}
    for f in files:
        s = read_isoconfig(f)
        a = s.frame.types == 1
        t = time.time()
        d0 = rb(s.frame)[a]
        cost["descriptors"].append(time.time() - t)
        state = inherent_state(s.frame, PairModel())
        cost["minimisation"].append(state.seconds)
        d1 = rb(state.frame)[a]
        shift = np.linalg.norm(state.frame.positions - s.frame.positions, axis=1)[a]
        cage, seconds = cage_state(s.frame, PairModel(), **CAGE)
        cost["cage"].append(seconds)
        d2 = rb(cage)[a]
        to_cage = np.linalg.norm(cage.positions - s.frame.positions, axis=1)[a]
        X["initial"].append(d0)
        X["inherent"].append(d1)
        X["cage"].append(d2)
        X["both"].append(np.column_stack([d0, d1, state.energy[a], shift]))
        X["all"].append(np.column_stack([d0, d1, d2, state.energy[a], shift, to_cage]))
        Y.append(s.propensity[a])
        ceilings.append(noise_ceiling(s.displacements, a).max_r)
        print(f"{f.name}: minimised in {state.seconds:.1f} s ({state.iterations} iterations), "
              f"energy {state.energy_before:.3f} -> {state.energy_after:.3f}", flush=True)  # fmt: skip
    ceiling = float(np.mean(ceilings))
    numbers = {"configurations": len(files), "ceiling": ceiling, "published": PUBLISHED,
               "cage": CAGE,
               "seconds_per_configuration": {k: float(np.mean(v)) for k, v in cost.items()},
               "inputs": {}}  # fmt: skip
    rows = []
    for key, name in INPUTS.items():
        rs, pooled = loco(X[key], Y)
        se = float(np.std(rs) / np.sqrt(len(rs)))
        numbers["inputs"][key] = {"name": name, "descriptors": int(X[key][0].shape[1]),
                                  "r_per_configuration": rs, "r_mean": float(np.mean(rs)),
                                  "r_se": se, "r_min": float(np.min(rs)),
                                  "r_max": float(np.max(rs)), "r_pooled": pooled}  # fmt: skip
        rows.append(f"| ridge, {name} | {X[key][0].shape[1]} | {np.mean(rs):.3f} ± {se:.3f} | "
                    f"{np.min(rs):.3f}–{np.max(rs):.3f} | {pooled:.3f} | {ceiling:.3f} |")  # fmt: skip
        print(f"{name}: r {np.mean(rs):.3f} +- {se:.3f} (pooled {pooled:.3f})")
    c = numbers["seconds_per_configuration"]
    table = "\n".join([
        "| model | descriptors | r per configuration (mean ± s.e.) | range | pooled r | noise "
        "ceiling |", "| --- | --- | --- | --- | --- | --- |", *rows, "",
        f"Leave one of {len(files)} configurations out, type-A particles, radially resolved bond "
        f"order (q2–q8 per shell, coarse-grained). Cost per configuration of 4096 particles: "
        f"descriptors {c['descriptors']:.1f} s, inherent state {c['minimisation']:.1f} s "
        f"(LAMMPS, conjugate gradients to a largest force of 1e-8, one core), cage state "
        f"{c['cage']:.1f} s ({CAGE['replicas']} NVE runs of {CAGE['run_time']:g} τ at T = "
        f"{CAGE['temperature']:g}). Published: "
        f"{PUBLISHED}.",
    ])  # fmt: skip
    write_results("ka_linear_baseline", numbers, table)
    print(table)


if __name__ == "__main__":
    main()
