"""The one campaign runner, for every labelling task (T_n ramps, propensity ensembles).

A campaign is any object of the :class:`LabelCampaign` shape; :func:`run_campaign` runs every
unfinished task of it on its executor, resumable and atomic: a finished task is a sealed sample
directory (:mod:`nucleate.data.dataset`), the manifest is rewritten after each, a half-written
sample is removed on the next run, and a data set made with other settings is refused. What
differs between tasks (the simulation of one sample, the manifest's columns, what may be reused
or topped up) is the campaign's own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Protocol

import yaml

from nucleate.data import dataset
from nucleate.data.executor import ExecutorConfig, run_pending
from nucleate.errors import NucleateError


class LabelCampaign(Protocol):
    """What :func:`run_campaign` needs of a campaign.

    ``worker`` is the function ``(task, root) -> record`` that runs one task in a worker process
    (a module-level function, so that it pickles); ``unit`` names one task in progress bars and
    messages; ``settings()`` is what ``campaign.yaml`` stores (and the data card reads);
    ``prepare`` may add tasks (top-ups of finished samples: ``extra`` of them) and
    counts of its own to the result.
    """

    name: str
    out: str
    unit: str

    @property
    def executor_config(self) -> ExecutorConfig: ...

    @property
    def worker(self) -> Callable[[dict, str], dict]: ...

    def validate(self) -> None: ...

    def tasks(self) -> list[dict]: ...

    def check_compatible(self, root: Path) -> None: ...

    def prepare(
        self, root: Path, tasks: list[dict], pending: list[dict], progress: bool
    ) -> tuple[list[dict], int, dict]: ...

    def settings(self) -> dict: ...

    def write_manifest(self, root: str | os.PathLike) -> int: ...


def pending_tasks(root: Path, tasks: list[dict]) -> list[dict]:
    """The tasks of ``root`` still to run: half-written samples are removed, complete-looking but
    corrupt ones (a file's sha256 differs) too; a fixed pseudo-random order, so that a campaign
    stopped part-way covers its whole grid evenly."""
    (root / dataset.SAMPLES).mkdir(parents=True, exist_ok=True)
    dataset.clean_staging(root)
    done = {r["id"] for r in dataset.iter_records(root, verify=True)}
    for path in (root / dataset.SAMPLES).iterdir():
        if path.name not in done and not path.name.startswith(dataset.TMP_PREFIX):
            shutil.rmtree(path)
    return sorted(
        (t for t in tasks if t["id"] not in done),
        key=lambda t: hashlib.sha256(t["id"].encode()).hexdigest(),
    )


def stored_settings(root: Path) -> dict | None:
    """The settings a data set was made with (its ``campaign.yaml``) when it already holds
    finished samples, which a resumed campaign must match; ``None`` for a new or empty one."""
    if not (root / "campaign.yaml").exists() or not any(dataset.iter_records(root)):
        return None
    return dataset.campaign_config(root)


def run_campaign(campaign: LabelCampaign, progress: bool = True) -> dict:
    """Run every unfinished task of a campaign (of any task); returns the counts ``total``,
    ``complete``, ``ran`` and the campaign's own (``prepare``). Safe to kill and run again."""
    campaign.validate()
    root = Path(campaign.out)
    tasks = campaign.tasks()
    campaign.check_compatible(root)
    pending = pending_tasks(root, tasks)  # also cleans the data set before anything is added
    pending, extra, counts = campaign.prepare(root, tasks, pending, progress)
    campaign.write_manifest(root)
    dataset.atomic_write_text(
        root / "campaign.yaml", yaml.safe_dump(campaign.settings(), sort_keys=False)
    )
    executor = campaign.executor_config
    failed = run_pending(
        pending,
        str(root),
        executor,
        executor.workers or os.cpu_count() or 1,
        campaign.worker,
        on_done=partial(campaign.write_manifest, root),
        total=len(tasks) + extra,  # e.g. a top-up of a finished sample counts as one more task
        desc=campaign.name,
        unit=campaign.unit,
        progress=progress,
    )
    n = campaign.write_manifest(root)
    if failed:
        raise NucleateError(
            f"{len(failed)} of {len(pending)} {campaign.unit}s failed, the others are kept: "
            + "; ".join(failed[:3])
            + (" ..." if len(failed) > 3 else "")
        )
    return {"total": len(tasks), "complete": n, "ran": len(pending), **counts}
