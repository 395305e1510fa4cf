"""Connect to a Dask cluster: a given scheduler address, or a loopback LocalCluster.

Shared by the batch engine (``risk score --engine dask``) and distributed training
(``risk train --engine dask``). Workers must run the same ``risk`` package version as the
driver (same image / environment).

A local cluster is started once per process and reused by every later stage or run of the
same process (closed at exit). Its shape is chosen for the machine (:func:`local_shape`):
on up to :data:`THREADS_UP_TO_CORES` cores, one worker with a thread per core (starts in
about a second: no worker interpreters to launch, no data to serialise); on more cores, one
single-threaded worker process per core. ``lightgbm.dask`` needs worker processes, so
training asks for ``local="processes"``.
"""

from __future__ import annotations

import atexit
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from distributed import Client, LocalCluster

from risk.errors import RiskError

logger = logging.getLogger(__name__)

LOCAL_WORKERS = 2
THREADS_UP_TO_CORES = 4
LocalKind = Literal["auto", "threads", "processes"]


class DaskEngineError(RiskError):
    """The Dask scheduler cannot be reached or a task failed on a worker."""


@dataclass(frozen=True)
class LocalShape:
    """Workers, threads per worker and whether workers are processes."""

    workers: int
    threads_per_worker: int
    processes: bool


def local_shape(kind: LocalKind = "auto", cores: int | None = None) -> LocalShape:
    """The local cluster for this machine.

    Args:
        kind: ``threads``, ``processes`` (:data:`LOCAL_WORKERS` single-threaded processes, at
            least), or ``auto`` (threads on up to :data:`THREADS_UP_TO_CORES` cores).
        cores: usable cores (default: this process's CPU affinity).
    """
    cores = cores or len(os.sched_getaffinity(0))
    if kind == "threads" or (kind == "auto" and cores <= THREADS_UP_TO_CORES):
        return LocalShape(1, cores, False)
    return LocalShape(max(cores, LOCAL_WORKERS) if kind == "auto" else LOCAL_WORKERS, 1, True)


_LOCAL: dict[LocalShape, LocalCluster] = {}


def local_cluster(shape: LocalShape) -> LocalCluster:
    """The process's local cluster of ``shape``, started on first use and then reused."""
    cluster = _LOCAL.get(shape)
    if cluster is not None and cluster.status.name == "running":
        return cluster
    started = time.perf_counter()
    network = {"host": "127.0.0.1"} if shape.processes else {}  # threads talk in-process
    cluster = LocalCluster(
        n_workers=shape.workers,
        threads_per_worker=shape.threads_per_worker,
        processes=shape.processes,
        dashboard_address=None,
        **network,
    )
    _LOCAL[shape] = cluster
    logger.info("local Dask cluster %s started in %.1f s", shape, time.perf_counter() - started)
    return cluster


@atexit.register
def close_local_clusters() -> None:
    """Close the local clusters started by this process."""
    while _LOCAL:
        _LOCAL.popitem()[1].close()


@contextmanager
def dask_client(
    scheduler: str | None = None, timeout: str = "20s", local: LocalKind = "processes"
) -> Iterator[Client]:
    """A client on ``scheduler``, or on this process's local cluster of kind ``local``.

    Args:
        scheduler: address such as ``tcp://10.0.0.5:8786``; ``None`` uses a local cluster.
        timeout: how long to wait for the scheduler to answer.
        local: shape of the local cluster (see :func:`local_shape`).

    Raises:
        DaskEngineError: the scheduler does not answer.
    """
    if scheduler:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise DaskEngineError(f"Dask scheduler {scheduler!r} does not answer: {exc}") from exc
        with client:
            yield client
        return
    with Client(local_cluster(local_shape(local))) as client:
        yield client


def worker_count(client: Client) -> int:
    """Number of workers the scheduler knows (at least 1)."""
    return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))


def thread_count(client: Client) -> int:
    """Number of worker threads the scheduler knows (at least 1)."""
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers))
