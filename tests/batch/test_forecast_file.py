"""The batch run writes the 13-week cash-in forecast (``forecast.csv``) when a payment-timing
model is served, listed with its hash in ``summary.json``; without one it writes none."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.batch import BatchConfig, run_batch
from risk.batch.publish import verify
from risk.model.bundle import RiskModel
from risk.timing.forecast import Z_80, model_band
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

    # the model's own band, calibrated on its book at training (BAND when it could not be)
    band, _ = model_band(timing_model)
    customers = scored.scores["customer_id"].astype("str").to_numpy()
    weekly = np.stack(
        [
            (survival_at(scored.q, 7.0 * (k - 1)) - survival_at(scored.q, 7.0 * k))
            * (1.0 - scored.lost[:, k - 1])
            for k in range(1, 14)
        ],
        axis=1,
    )
    starts = np.cumsum(weekly, axis=1) - weekly
    for k in (1, 4, 13):
        p = weekly[:, k - 1]
        expected = float((amount * p).sum())
        # independent invoices: each one's cash is a Bernoulli(p) times its amount
        independent = float(((amount**2) * p * (1 - p)).sum())
        # a customer's invoices sharing one delay draw U ~ U(0, 1): invoice i is paid in week k
        # when U falls in [start_i, start_i + p_i), so E[X_i X_j] is the overlap of two intervals
        shared = 0.0
        for c in np.unique(customers):
            at = customers == c
            lo, hi, a = starts[at, k - 1], starts[at, k - 1] + p[at], amount[at]
            overlap = np.clip(np.minimum.outer(hi, hi) - np.maximum.outer(lo, lo), 0.0, None)
            mean = float((a * p[at]).sum())
            shared += float(a @ overlap @ a) - mean**2
        w = band.customer_dependence
        variance = (1 - w) * independent + w * shared + (band.common_shock * expected) ** 2
        sd = variance**0.5
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
