"""GNN training step: the filters evaluated on every edge against once per distinct edge distance
(what InterfaceGNN does), on a batch of real lj-fcc-v1 graphs, one torch thread.

    .venv/bin/python benchmarks/gnn_step.py [--graphs 8] [--repeats 10] [--epochs 2]

Times forward + backward + optimiser step of the interaction layers (median of interleaved
repeats) and checks that both give the same node states; then whole training epochs of the full
network (readout, loss, optimiser) over every lj-fcc-v1 sample as configs/train/gnn.yaml
featurizes them (layers 1-2 and the substrate, batches of 8), the two ways interleaved. Both ways
compute the same function (the node states agree to round-off), so accuracy is equal by
construction: the epoch ratio is the speed-up at equal accuracy.
"""

from __future__ import annotations

import argparse
import glob
import time
import types
from pathlib import Path

import numpy as np
import torch
from results_io import write_results
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader

from nucleate.data.io import read_frames
from nucleate.featurize.graphs import GraphFeaturizer
from nucleate.models.graph_data import to_pyg
from nucleate.models.registry import build_model

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graphs", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=2, help="timed epochs per way (interleaved)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    paths = sorted(glob.glob(str(ROOT / "data/lj-fcc-v1/samples/*/frames.extxyz.gz")))
    graphs = [to_pyg(GraphFeaturizer(cutoff=1.5)(read_frames(p, side="top")[0]))
              for p in paths[: args.graphs]]  # fmt: skip
    batch = Batch.from_data_list(graphs)
    model = build_model("gnn", hidden=64, layers=4, cutoff=1.5)
    opt = torch.optim.Adam(model.parameters())

    def per_edge():
        return interact_per_edge(model, model.initial_states(batch), batch)

    def per_distance():
        return model.interact(model.initial_states(batch), batch)

    with torch.no_grad():
        same = float((per_edge() - per_distance()).abs().max())
    ways = {"per_edge": per_edge, "per_distance": per_distance}
    med = interleaved_medians(ways, args.repeats, lambda f: _step(opt, f().square().mean()))
    epoch = epoch_times(paths, args.epochs)
    numbers = {"graphs": len(graphs), "edges": int(batch.edge_index.shape[1]),
               "distinct_distances": len(torch.unique(batch.edge_dist)),
               "seconds": med, "speedup": med["per_edge"] / med["per_distance"],
               "max_difference": same, "epoch": epoch}  # fmt: skip
    table = (
        "| filters evaluated | step (s) |\n|---|---|\n"
        f"| on every edge | {med['per_edge']:.3f} |\n"
        f"| once per distinct distance (InterfaceGNN) | {med['per_distance']:.3f} |\n\n"
        f"{len(graphs)} lj-fcc-v1 graphs, {numbers['edges']} edges, "
        f"{numbers['distinct_distances']} distinct distances; hidden 64, 4 layers, one thread; "
        f"speed-up {numbers['speedup']:.2f} ×; node states agree to {same:.1e}.\n\n"
        "| whole training epoch, full network | seconds per epoch |\n|---|---|\n"
        f"| filters on every edge | {epoch['seconds']['per_edge']:.2f} |\n"
        f"| once per distinct distance (InterfaceGNN) | {epoch['seconds']['per_distance']:.2f} |"
        f"\n\n{epoch['graphs']} lj-fcc-v1 graphs (layers 1-2 and the substrate, cutoff 1.5) in "
        f"batches of 8, median of {epoch['epochs']} epochs each; speed-up "
        f"{epoch['speedup']:.2f} × (the same function: equal accuracy)."
    )
    write_results("gnn_step", numbers, table)
    print(table)


def interact_per_edge(model, h, data):
    """The interaction layers with the filter evaluated on every edge (the reference)."""
    rbf = model.rbf(data.edge_dist)
    for layer in model.layers:
        h = layer(h, data.edge_index, rbf)
    return h


def _step(opt, loss) -> None:
    opt.zero_grad()
    loss.backward()
    opt.step()


def interleaved_medians(ways: dict, rounds: int, run) -> dict[str, float]:
    """Median seconds of ``run(way)`` for each way, the ways interleaved over ``rounds`` timed
    rounds after one warm-up round."""
    seconds = {k: [] for k in ways}
    for k in range(rounds + 1):
        for name, way in ways.items():
            start = time.perf_counter()
            run(way)
            if k:  # the first round warms up
                seconds[name].append(time.perf_counter() - start)
    return {k: float(np.median(v)) for k, v in seconds.items()}


def epoch_times(paths: list[str], epochs: int) -> dict:
    """Seconds per training epoch of the whole network (readout, loss, Adam) with the filters on
    every edge and once per distinct distance, over every sample of ``paths``."""
    featurizer = GraphFeaturizer(cutoff=1.5, layers=(1, 2))
    graphs = [to_pyg(featurizer(read_frames(p, side="top")[0])) for p in paths]
    rng = np.random.default_rng(0)
    target = torch.as_tensor(rng.normal(size=len(graphs)), dtype=torch.float32)
    for k, g in enumerate(graphs):
        g.y = target[k : k + 1]
    model = build_model("gnn", hidden=64, layers=4, cutoff=1.5)
    ways = {"per_edge": types.MethodType(interact_per_edge, model), "per_distance": model.interact}
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(graphs, batch_size=8, shuffle=True)

    def epoch(interact) -> None:
        model.interact = interact
        for batch in loader:
            _step(opt, (model(batch).squeeze(-1) - batch.y).square().mean())

    med = interleaved_medians(ways, epochs, epoch)
    return {"graphs": len(graphs), "epochs": epochs, "seconds": med,
            "speedup": med["per_edge"] / med["per_distance"]}  # fmt: skip


if __name__ == "__main__":
    main()
