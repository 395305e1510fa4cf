"""The Dask engine on a loopback LocalCluster (two worker processes) scores exactly as pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from risk.batch import BatchConfig, run_batch
from risk.cluster import DaskEngineError, dask_client

TABLES = ("customer_scores", "invoice_scores", "worklist")


def test_dask_engine_equals_the_pandas_engine(
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    config = BatchConfig(chunk_customers=40, explain="all", top=20)
    run_batch(ledger_dir, tmp_path / "pandas", batch_scorer, config)
    summary = run_batch(
        ledger_dir,
        tmp_path / "dask",
        batch_scorer,
        BatchConfig(**{**config.__dict__, "engine": "dask"}),
    )
    assert summary.chunks["computed"] == summary.chunks["total"] > 1
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "dask" / f"{name}.parquet"),
            pd.read_parquet(tmp_path / "pandas" / f"{name}.parquet"),
        )
    explained = pd.read_parquet(tmp_path / "dask" / "invoice_scores.parquet")
    assert (explained["reasons_en"].str.len() > 0).any()


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    with (
        pytest.raises(DaskEngineError, match="does not answer"),
        dask_client("tcp://127.0.0.1:9", timeout="1s"),
    ):
        pass
