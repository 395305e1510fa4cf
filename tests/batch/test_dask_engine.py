"""The Dask engine on a loopback LocalCluster scores exactly as pandas; the local cluster is
shaped for the machine and reused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from risk.batch import BatchConfig, run_batch
from risk.cluster import DaskEngineError, dask_client, local_cluster, local_shape

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
            pd.read_parquet(tmp_path / "dask" / "latest" / f"{name}.parquet"),
            pd.read_parquet(tmp_path / "pandas" / "latest" / f"{name}.parquet"),
        )
    explained = pd.read_parquet(tmp_path / "dask" / "latest" / "invoice_scores.parquet")
    assert (explained["reasons_en"].str.len() > 0).any()


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    with (
        pytest.raises(DaskEngineError, match="does not answer"),
        dask_client("tcp://127.0.0.1:9", timeout="1s"),
    ):
        pass


def test_the_local_cluster_fits_the_machine_and_is_reused() -> None:
    assert local_shape("auto", cores=2) == local_shape("threads", cores=2)
    assert local_shape("auto", cores=2).threads_per_worker == 2
    assert not local_shape("auto", cores=2).processes
    many = local_shape("auto", cores=16)
    assert many.processes and many.workers == 16 and many.threads_per_worker == 1
    assert local_shape("processes", cores=2).workers == 2  # lightgbm.dask needs processes
    with dask_client(local="threads") as first:
        address = first.scheduler.address
    with dask_client(local="threads") as second:
        assert second.scheduler.address == address  # started once, reused
    assert local_cluster(local_shape("threads")).scheduler_address == address
