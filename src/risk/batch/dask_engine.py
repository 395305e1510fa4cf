"""The Dask engine: the same per-chunk function mapped on ``dask.distributed``.

The scorer is scattered once to every worker (``broadcast=True``), so each worker process
unpickles the models once, whatever the number of chunks. Each chunk's sub-ledger is scattered
to the cluster and scored by :func:`risk.batch.chunks.score_chunk`; at most ``2 x workers``
chunks are in flight, which bounds the driver's memory. Results come back to the driver, which
writes the chunk files (workers need no access to the output folder).

Workers must run the same ``risk`` package version as the driver (same image / environment).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pandas as pd
from distributed import Client, LocalCluster, as_completed

from risk.batch.chunks import ChunkDone, score_chunk
from risk.batch.partition import Chunk
from risk.errors import RiskError
from risk.scoring import Scorer

logger = logging.getLogger(__name__)

LOCAL_WORKERS = 2


class DaskEngineError(RiskError):
    """The Dask scheduler cannot be reached or a chunk failed on a worker."""


@contextmanager
def dask_client(scheduler: str | None = None, timeout: str = "20s") -> Iterator[Client]:
    """A client on ``scheduler``, or on a fresh loopback ``LocalCluster`` (2 worker processes).

    Args:
        scheduler: address such as ``tcp://10.0.0.5:8786``; ``None`` starts a local cluster.
        timeout: how long to wait for the scheduler to answer.

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
    with (
        LocalCluster(
            n_workers=LOCAL_WORKERS,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_dask(
    chunks: Iterable[Chunk],
    scorer: Scorer,
    as_of: pd.Timestamp,
    explain: bool,
    done: ChunkDone,
    scheduler: str | None = None,
) -> None:
    """Score the chunks on a Dask cluster; ``done`` runs on the driver as each one completes.

    Raises:
        DaskEngineError: the scheduler does not answer, or a chunk failed on a worker.
    """
    with dask_client(scheduler) as client:
        workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        window = 2 * workers
        model = client.scatter(scorer, broadcast=True)
        pending = as_completed()
        submitted: dict[str, Chunk] = {}
        run_id = uuid.uuid4().hex[:8]

        def collect_one() -> None:
            future = next(pending)
            chunk = submitted.pop(future.key)
            try:
                scores = future.result()
            except Exception as exc:  # a worker-side failure, re-raised with its chunk
                raise DaskEngineError(f"chunk {chunk.number} failed on a worker: {exc}") from exc
            done(chunk, scores)

        for chunk in chunks:
            data = client.scatter(chunk.ledger)
            future = client.submit(
                score_chunk, model, data, as_of, explain, key=f"score-chunk-{run_id}-{chunk.number}"
            )
            submitted[future.key] = chunk
            pending.add(future)
            while len(submitted) >= window:
                collect_one()
        while submitted:
            collect_one()
