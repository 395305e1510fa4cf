"""The batch's cash-in forecast (``forecast.csv``) is summed from its chunks' forecast parts and
equals ``forecast_cash_in`` on the whole ledger (to float rounding), band included: for several
chunk sizes (one chunk among them), after a run that crashed part-way and resumed from its
completed chunks, on an incremental run (carried customers not rescored), and when a reused
chunk stored no parts (the whole-ledger path)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.batch import BatchConfig, run_batch
from risk.batch.chunks import FORECAST_PARTS_FILE
from risk.io import write_ledger
from risk.model.bundle import RiskModel
from risk.store import validate_source
from risk.timing.forecast import forecast_cash_in

VALUES = ["expected", "low", "high"]


class CrashError(Exception):
    """Stands for the process dying after some chunks were written."""


def whole_ledger_forecast(model: RiskModel, ledger_dir: Path) -> pd.DataFrame:
    ledger = validate_source(ledger_dir).ledger
    return forecast_cash_in(model, ledger, ledger.cutoff, 13).rows


def assert_forecast_equal(dest: Path, expected: pd.DataFrame) -> None:
    frame = pd.read_csv(dest / "latest" / "forecast.csv", parse_dates=["as_of", "week_start"])
    assert list(frame["week"]) == list(expected["week"]) == list(range(1, 14))
    assert list(frame["week_start"]) == list(expected["week_start"])
    assert expected["expected"].sum() > 0 and (expected["high"] > expected["expected"]).all()
    for name in VALUES:
        np.testing.assert_allclose(frame[name], expected[name], rtol=1e-6, atol=1e-6, err_msg=name)


@pytest.fixture
def timed_scorer(batch_scorer, timing_model: RiskModel):  # type: ignore[no-untyped-def]
    return replace(batch_scorer, timing_model=timing_model)


@pytest.mark.parametrize("chunk_customers", [10**6, 60, 7])
def test_forecast_from_chunks_equals_the_whole_ledger_forecast(  # type: ignore[no-untyped-def]
    timed_scorer, ledger_dir: Path, timing_model: RiskModel, tmp_path: Path, chunk_customers: int
) -> None:
    summary = run_batch(
        ledger_dir, tmp_path, timed_scorer, BatchConfig(chunk_customers=chunk_customers)
    )
    assert summary.chunks["total"] == (
        1 if chunk_customers == 10**6 else -(-200 // chunk_customers)
    )
    assert summary.seconds["forecast_parts"] > 0  # the chunks computed the parts
    assert_forecast_equal(tmp_path, whole_ledger_forecast(timing_model, ledger_dir))


def crash_after(chunks: int):  # type: ignore[no-untyped-def]
    def progress(done: int, total: int) -> None:
        if done >= chunks:
            raise CrashError(f"{done} of {total} chunks written")

    return progress


def test_resumed_run_forecasts_from_reused_chunks(  # type: ignore[no-untyped-def]
    timed_scorer, ledger_dir: Path, timing_model: RiskModel, tmp_path: Path
) -> None:
    config = BatchConfig(chunk_customers=20)
    with pytest.raises(CrashError):
        run_batch(ledger_dir, tmp_path, timed_scorer, config, progress=crash_after(4))
    chunks = sorted((tmp_path / ".chunks").glob("*/chunk-*"))
    assert len(chunks) == 4 and all((c / FORECAST_PARTS_FILE).is_file() for c in chunks)
    assert not (tmp_path / "latest").exists()
    summary = run_batch(ledger_dir, tmp_path, timed_scorer, config)
    assert (
        summary.chunks["resumed"] == 4 and summary.chunks["computed"] == summary.chunks["total"] - 4
    )
    assert_forecast_equal(tmp_path, whole_ledger_forecast(timing_model, ledger_dir))


def test_reused_chunk_without_parts_falls_back_to_the_whole_ledger(  # type: ignore[no-untyped-def]
    timed_scorer, ledger_dir: Path, timing_model: RiskModel, tmp_path: Path
) -> None:
    config = BatchConfig(chunk_customers=50)
    with pytest.raises(CrashError):
        run_batch(ledger_dir, tmp_path, timed_scorer, config, progress=crash_after(2))
    for chunk in (tmp_path / ".chunks").glob("*/chunk-*"):  # as an earlier version wrote them
        (chunk / FORECAST_PARTS_FILE).unlink()
    summary = run_batch(ledger_dir, tmp_path, timed_scorer, config)
    assert summary.chunks["resumed"] == 2
    assert_forecast_equal(tmp_path, whole_ledger_forecast(timing_model, ledger_dir))


def test_incremental_run_forecasts_every_open_invoice(  # type: ignore[no-untyped-def]
    timed_scorer, batch_portfolio, timing_model: RiskModel, tmp_path: Path
) -> None:
    folder = tmp_path / "ledger"
    write_ledger(batch_portfolio.ledger, folder, "parquet")
    config = BatchConfig(chunk_customers=50, since_last_run=True)
    run_batch(folder, tmp_path / "inc", timed_scorer, config)
    first = pd.read_csv(tmp_path / "inc" / "latest" / "forecast.csv")
    scored = pd.read_parquet(tmp_path / "inc" / "latest" / "invoice_scores.parquet")
    paid_soon = scored["open_amount"] * (1.0 - scored["p_unpaid_13w"])
    changed = scored.loc[paid_soon.idxmax(), "invoice_id"]  # open, likely paid within 13 weeks
    invoices = pd.read_parquet(folder / "invoices.parquet")
    invoices.loc[invoices["invoice_id"] == changed, "amount"] *= 3  # a late ledger correction
    invoices.to_parquet(folder / "invoices.parquet", index=False)
    again = run_batch(folder, tmp_path / "inc", timed_scorer, config)
    assert 1 <= again.scored["customers_recomputed"] <= 5
    assert again.scored["customers_carried_over"] >= 195
    assert_forecast_equal(tmp_path / "inc", whole_ledger_forecast(timing_model, folder))
    # the rescored customer's parts are the corrected ones: the book expects more cash
    second = pd.read_csv(tmp_path / "inc" / "latest" / "forecast.csv")
    assert second["expected"].sum() > first["expected"].sum()


def test_dask_engine_brings_the_parts_back_from_the_workers(  # type: ignore[no-untyped-def]
    timed_scorer, ledger_dir: Path, timing_model: RiskModel, tmp_path: Path
) -> None:
    config = BatchConfig(chunk_customers=60, engine="dask")
    summary = run_batch(ledger_dir, tmp_path, timed_scorer, config)
    assert summary.chunks["computed"] == 4 and summary.seconds["forecast_parts"] > 0
    assert_forecast_equal(tmp_path, whole_ledger_forecast(timing_model, ledger_dir))
