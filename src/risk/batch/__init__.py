"""Batch rescoring of a whole portfolio: chunked, atomic, resumable, on pandas or Dask."""

from risk.batch.run import BatchConfig, BatchSummary, run_batch

__all__ = ["BatchConfig", "BatchSummary", "run_batch"]
