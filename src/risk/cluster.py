"""Connect to a Dask cluster: a given scheduler address, or a fresh loopback LocalCluster.

Shared by the batch engine (``risk score --engine dask``) and distributed training
(``risk train --engine dask``). Workers must run the same ``risk`` package version as the
driver (same image / environment).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from risk.errors import RiskError

LOCAL_WORKERS = 2


class DaskEngineError(RiskError):
    """The Dask scheduler cannot be reached or a task failed on a worker."""


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


def worker_count(client: Client) -> int:
    """Number of workers the scheduler knows (at least 1)."""
    return max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
