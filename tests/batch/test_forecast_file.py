"""The batch run writes the 13-week cash-in forecast (``forecast.csv``) when a payment-timing
model is served, listed with its hash in ``summary.json``; without one it writes none."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from risk.batch import BatchConfig, run_batch
from risk.batch.publish import verify
from risk.model.bundle import RiskModel
from risk.timing.forecast import BAND, Z_80
from risk.timing.score import score_open_invoices


def test_run_writes_the_forecast_listed_in_the_summary(  # type: ignore[no-untyped-def]
    batch_scorer, batch_portfolio, ledger_dir: Path, timing_model: RiskModel, tmp_path: Path
) -> None:
    scorer = replace(batch_scorer, timing_model=timing_model)
    summary = run_batch(ledger_dir, tmp_path / "out", scorer, BatchConfig(chunk_customers=50))
    latest = tmp_path / "out" / "latest"
    path = latest / "forecast.csv"
    frame = pd.read_csv(path, parse_dates=["as_of", "week_start"])
    ledger = batch_portfolio.ledger
    assert list(frame.columns) == ["as_of", "week", "week_start", "expected", "low", "high"]
    assert list(frame["week"]) == list(range(1, 14)) and (frame["as_of"] == ledger.cutoff).all()
    assert list(frame["week_start"]) == [
        ledger.cutoff + pd.Timedelta(days=7 * k) for k in range(13)
    ]
    # expected cash of week k, from its definition: open amount x P(paid in week k), summed;
    # P(paid in week k) = P(leaves the open state in week k) x P(paid, not lost | leaves then)
    # (an invoice already frozen by a proceeding leaves as lost: no cash)
    scored = score_open_invoices(timing_model, ledger, ledger.cutoff)
    amount = scored.scores["open_amount"].to_numpy()
    from risk.timing.predict import survival_at

    for k in (1, 4, 13):
        leaves = survival_at(scored.q, 7.0 * (k - 1)) - survival_at(scored.q, 7.0 * k)
        p = leaves * (1.0 - scored.lost[:, k - 1])
        expected = float((amount * p).sum())
        # the default band (risk.timing.forecast.BAND): invoices independent plus a shock
        # common to the book, a share of the week's expected cash
        assert BAND.customer_dependence == 0.0
        sd = float(((amount**2) * p * (1 - p)).sum() + (BAND.common_shock * expected) ** 2) ** 0.5
        row = frame.iloc[k - 1]
        assert row["expected"] == pytest.approx(expected, rel=1e-9)
        assert row["high"] == pytest.approx(expected + Z_80 * sd, rel=1e-9)
        assert row["low"] == pytest.approx(max(expected - Z_80 * sd, 0.0), rel=1e-9, abs=1e-9)
    assert frame["expected"].sum() <= amount.sum()
    written = json.loads((latest / "summary.json").read_text())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert written["files"]["forecast.csv"] == digest
    assert "forecast.csv" in summary.outputs and verify(latest.resolve()) == []


def test_without_a_timing_model_no_forecast_file(  # type: ignore[no-untyped-def]
    batch_scorer, ledger_dir: Path, tmp_path: Path
) -> None:
    assert batch_scorer.timing_model is None
    run_batch(ledger_dir, tmp_path / "out", batch_scorer, BatchConfig(chunk_customers=10**6))
    latest = tmp_path / "out" / "latest"
    assert not (latest / "forecast.csv").exists()
    assert "forecast.csv" not in json.loads((latest / "summary.json").read_text())["files"]
