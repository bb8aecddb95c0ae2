"""``nucleate report``: an HTML dashboard comparing runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nucleate.cli.common import section
from nucleate.report.dashboard import write_dashboard


@dataclass
class ReportConfig:
    """Options of nucleate report.

    Args:
        runs: run directories, e.g. [runs/train/cnn, runs/train/gnn].
        out: the HTML file written.
    """

    runs: list[str] = field(default_factory=list)
    out: str = "report.html"


def add_arguments(p) -> None:
    p.add_argument(
        "runs", type=list[str], help="run directories, e.g. [runs/train/cnn, runs/train/gnn]"
    )
    p.add_class_arguments(ReportConfig, skip={"runs"})


def run(cfg) -> Path:
    cfg = section(ReportConfig, cfg)
    path = write_dashboard(cfg.runs, cfg.out)
    print(f"dashboard written to {path}")
    return path
