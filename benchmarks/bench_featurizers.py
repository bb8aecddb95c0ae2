"""Time per frame of each featurizer on a 2000-atom and a 10 000-atom interface.

A shaken fcc(111) film (liquid-like disorder, 0.1 sigma) on a 3-layer substrate; 5 frames; each
featurizer timed over the frames after a warm-up call, best of 3. Run on an idle machine:

    .venv/bin/python benchmarks/bench_featurizers.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from conftest import layered_film, shaken
from results_io import write_results

from nucleate.data.io import Selection, from_ase
from nucleate.featurize.descriptors import InterfaceDescriptors, PairLJ
from nucleate.featurize.graphs import GraphFeaturizer
from nucleate.featurize.images import DensityImage
from nucleate.structure.layers import LayerDetector
from nucleate.structure.order import RadialBondOrder

SIZES = {"2000": (10, 10, 17), "10000": (22, 22, 18)}  # lateral repeats, liquid planes


def frames_for(size):
    nx, ny, nl = size
    atoms, _, _ = layered_film(size=(nx, ny), n_liquid=nl)
    return [from_ase(a, Selection(substrate_types=(1,))) for a in shaken(atoms, 0.1, 5)]


def best_time(fn, repeats=3) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    rb = RadialBondOrder()
    featurizers = {
        "layers": lambda fr: LayerDetector()(fr),
        "density_image": lambda fr: DensityImage(layers=(1, 2))(fr),
        "graph": lambda fr: [GraphFeaturizer()(f) for f in fr],
        "descriptors": lambda fr: InterfaceDescriptors(pair=PairLJ(1.0))(fr),
        "local_order": lambda fr: [rb(f.positions, f.cell, f.pbc) for f in fr],
    }
    results = {}
    atoms = {}
    for label, size in SIZES.items():
        frames = frames_for(size)
        atoms[label] = frames[0].n_atoms
        for name, fn in featurizers.items():
            results[(name, label)] = best_time(lambda fn=fn, frames=frames: fn(frames)) / len(
                frames
            )
    labels = list(SIZES)
    print(f"{'featurizer':<15}" + "".join(f"{atoms[lb]:>12d} atoms" for lb in labels) + "   ratio")
    ratio_atoms = atoms[labels[1]] / atoms[labels[0]]
    for name in featurizers:
        t = [results[(name, lb)] for lb in labels]
        print(f"{name:<15}" + "".join(f"{1e3 * x:>15.1f} ms" for x in t) + f"   {t[1] / t[0]:5.1f}")
    print(f"(atom ratio {ratio_atoms:.1f}: a time ratio near it means linear cost)")
    rows = [f"| {name} | " + " | ".join(f"{1e3 * results[(name, lb)]:.1f} ms" for lb in labels)
            + f" | {results[(name, labels[1])] / results[(name, labels[0])]:.1f} |"
            for name in featurizers]  # fmt: skip
    table = "\n".join([
        "| featurizer | " + " | ".join(f"{atoms[lb]} atoms" for lb in labels) + " | time ratio |",
        "|---|" + "---|" * (len(labels) + 1), *rows, "",
        f"Per frame, best of 3; atom ratio {ratio_atoms:.1f} (a time ratio near it: linear cost).",
    ])  # fmt: skip
    numbers = {
        "atoms": atoms,
        "seconds_per_frame": {f"{n}@{lb}": t for (n, lb), t in results.items()},
    }
    write_results("bench_featurizers", numbers, table)
    _ = np


if __name__ == "__main__":
    main()
