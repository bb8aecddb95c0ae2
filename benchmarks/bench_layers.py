"""Time layer detection on a 5120-atom fcc(111) film (768 substrate atoms), 20 shaken frames.

Run: .venv/bin/python benchmarks/bench_layers.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import layered_film, shaken
from results_io import write_results

from nucleate.data.io import Selection, from_ase
from nucleate.structure.layers import LayerDetector


def main() -> None:
    atoms, _, _ = layered_film(size=(16, 16), n_liquid=17)
    frames = [from_ase(a, Selection(substrate_types=(1,))) for a in shaken(atoms, 0.1, 20)]
    detector = LayerDetector()
    detector(frames[:1])  # warm-up: imports and first neighbour-list build
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        detector(frames)
        best = min(best, time.perf_counter() - start)
    per_frame = 1e3 * best / len(frames)
    print(f"{len(atoms)} atoms x {len(frames)} frames: {per_frame:.2f} ms per frame")
    table = ("| system | frames | layer detection per frame (best of 5) |\n|---|---|---|\n"
             f"| fcc(111) film, {len(atoms)} atoms | {len(frames)} | {per_frame:.2f} ms |")  # fmt: skip
    write_results("bench_layers", {"atoms": len(atoms), "frames": len(frames),
                                   "ms_per_frame": per_frame}, table)  # fmt: skip


if __name__ == "__main__":
    main()
