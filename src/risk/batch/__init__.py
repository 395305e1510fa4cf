"""Batch rescoring of a whole portfolio: chunked, atomic, resumable, on pandas or Dask.

``BatchConfig``, ``BatchSummary`` and ``run_batch`` are loaded on first use, so that the
command line can import the light modules of this package (publishing, SQL, quarantine)
without the scoring core and its model libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from risk.batch.run import BatchConfig, BatchSummary, run_batch

__all__ = ["BatchConfig", "BatchSummary", "run_batch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from risk.batch import run

        return getattr(run, name)
    raise AttributeError(f"module 'risk.batch' has no attribute {name!r}")
