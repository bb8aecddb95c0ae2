"""Where simulations run: a local pool of single-core processes (each ended when the parent dies)
or a Dask cluster; one bad task returns its error instead of stopping the others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nucleate.errors import InputError, NucleateError


@dataclass
class ExecutorConfig:
    """Where tasks run: ``process`` (a local pool of ``workers`` processes; 0 = all cores) or
    ``dask`` (a Dask cluster at ``address``, or a LocalCluster of ``workers`` when unset)."""

    kind: Literal["process", "dask"] = "process"
    workers: int = 0
    address: str | None = None


def execute(tasks: list[dict], root: str, executor, workers: int, fn):
    """Run ``fn(task, root)`` for every task on the executor (``executor.kind``: a local process
    pool of ``workers``, or Dask); yields each result as it finishes."""
    if not tasks:
        return
    if executor.kind == "dask":
        try:
            from dask.distributed import Client, LocalCluster, as_completed
        except ImportError:
            raise InputError(
                "executor kind 'dask' needs: pip install 'nucleate[cluster]'"
            ) from None
        cluster = None
        if executor.address:
            client = Client(executor.address)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)
            client = Client(cluster)
        try:
            futures = [client.submit(fn, t, root, pure=False) for t in tasks]
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    with ProcessPoolExecutor(
        workers, mp_context=mp.get_context("spawn"), initializer=die_with_parent
    ) as pool:
        futures = [pool.submit(fn, t, root) for t in tasks]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BrokenProcessPool:
            raise NucleateError(
                "a simulation worker died (killed, or out of memory); finished samples are kept: "
                "run the same command again to resume"
            ) from None


def safe_call(fn, task: dict, root: str) -> dict:
    """``fn(task, root)``, with a failure returned as ``{"id", "error"}`` so that one
    bad substrate does not stop the others (it leaves no sample, so the next run tries it
    again)."""
    try:
        return fn(task, root)
    except Exception as err:  # any failure of one simulation, LAMMPS errors included
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return {"id": task["id"], "error": f"{type(err).__name__}: {message}"}


def die_with_parent() -> None:
    """Worker initializer: on Linux, end this worker when the campaign process dies (so a killed
    campaign leaves no simulations running on)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def run_pending(
    pending: list[dict],
    root: str,
    executor,
    workers: int,
    fn,
    on_done,
    total: int,
    desc: str,
    unit: str = "task",
    progress: bool = True,
) -> list[str]:
    """The loop every campaign runs (T_n and propensity alike): ``fn(task, root)`` for each
    pending task on the executor, a failure of one kept as a line instead of stopping the others,
    ``on_done()`` after each success (the manifest is rewritten, so a kill loses nothing), a
    progress bar over ``total`` tasks of which ``total - len(pending)`` are already done.
    Returns the failures, ``"<id> (<error>)"``."""
    from functools import partial

    from tqdm.auto import tqdm

    failed: list[str] = []
    bar = tqdm(total=total, initial=total - len(pending), desc=desc, unit=unit,
               disable=not progress, smoothing=0.1)  # fmt: skip
    try:
        for record in execute(pending, root, executor, workers, partial(safe_call, fn)):
            if "error" in record:
                failed.append(f"{record['id']} ({record['error']})")
                bar.write(f"{record['id']} failed: {record['error']}")
            else:
                on_done()
            bar.update(1)
    finally:
        bar.close()
    return failed
