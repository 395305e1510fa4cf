"""The Dask engine: the same per-chunk function mapped on ``dask.distributed``.

The scorer is scattered once to every worker (``broadcast=True``), so each worker process
unpickles the models once, whatever the number of chunks. Each chunk's sub-ledger is scattered
to the cluster and scored by :func:`risk.batch.chunks.score_chunk`; at most ``2 x worker
threads`` chunks are in flight, which bounds the driver's memory. Without a scheduler address,
the process's local cluster is used (threads on a small machine, started once and reused:
:func:`risk.cluster.local_shape`). Results come back to the driver, which
writes the chunk files (workers need no access to the output folder).

The cluster connection is :func:`risk.cluster.dask_client`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

import pandas as pd
from distributed import as_completed

from risk.batch.chunks import ChunkDone, score_chunk
from risk.batch.partition import Chunk
from risk.cluster import DaskEngineError, dask_client, thread_count
from risk.scoring import Scorer

logger = logging.getLogger(__name__)


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
    with dask_client(scheduler, local="auto") as client:
        window = 2 * thread_count(client)
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
