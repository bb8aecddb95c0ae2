"""``nucleate report``: an HTML dashboard comparing runs."""

from __future__ import annotations

from pathlib import Path


def add_arguments(p) -> None:
    p.add_argument(
        "runs", type=list[str], help="run directories, e.g. [runs/train/cnn, runs/train/gnn]"
    )
    p.add_argument("--out", type=str, default="report.html")


def run(cfg) -> Path:
    from nucleate.report.dashboard import write_dashboard

    path = write_dashboard(cfg.runs, cfg.out)
    print(f"dashboard written to {path}")
    return path
