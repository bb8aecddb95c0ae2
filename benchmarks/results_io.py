"""Where benchmarks put what they measured: ``benchmarks/results/NAME.json`` (the numbers) and
``NAME.md`` (their table, which the docs include), each stamped with the date, the command and the
machine it ran on (cores and load: timings on a busy machine are not comparable)."""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    """The machine a benchmark ran on: platform, cores, the 1-minute load when it finished."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cores": os.cpu_count(), "load_1min": load}  # fmt: skip


def write_results(name: str, numbers: dict, table: str, folder: Path = RESULTS) -> Path:
    """Write NAME.json and NAME.md atomically; returns the .md path."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = {"date": date.today().isoformat(), "command": shlex.join(["python", *sys.argv]),
             "machine": machine()}  # fmt: skip
    m = stamp["machine"]
    header = (f"Measured {stamp['date']} with `{stamp['command']}` on {m['cores']} cores "
              f"(load {m['load_1min']:.1f} at the end).")  # fmt: skip
    for suffix, text in ((".json", json.dumps({**stamp, **numbers}, indent=1) + "\n"),
                         (".md", header + "\n\n" + table.strip() + "\n")):  # fmt: skip
        tmp = folder / f".{name}{suffix}.tmp"
        tmp.write_text(text)
        tmp.replace(folder / f"{name}{suffix}")
    return folder / f"{name}.md"
