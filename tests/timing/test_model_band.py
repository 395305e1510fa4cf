"""The forecast band calibrated on the model's own book at training, stored with the model and
used by its forecasts (risk.timing.train.calibrate_model_band, risk.timing.forecast.model_band)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from risk import registry
from risk.model.bundle import BUNDLE_FILE, RiskModel
from risk.timing.backtest import backtest_frame, calibrate_band
from risk.timing.forecast import (
    BAND,
    BAND_KEY,
    BandConfig,
    cash_forecast,
    forecast_cash_in,
    model_band,
)
from risk.timing.score import score_open_invoices
from risk.timing.train import (
    BAND_MIN_WEEKS,
    BAND_WEEKS,
    TimingResult,
    band_dates,
    calibrate_model_band,
)

AS_OF = pd.Timestamp("2025-10-01")


def backtests(model: RiskModel, ledger, windows) -> list[pd.DataFrame]:  # type: ignore[no-untyped-def]
    """The back-tests of the band at ``band_dates``, made here from the public pieces."""
    return [
        backtest_frame(ledger, score_open_invoices(model, ledger, d), windows.valid_end, BAND_WEEKS)
        for d in band_dates(windows)
    ]


def copy_with_band(model: RiskModel, tmp_path: Path, stored: dict | None) -> RiskModel:  # type: ignore[type-arg]
    """The model saved and loaded again with ``metadata[BAND_KEY]`` replaced (None: removed,
    as in a model saved before the band was stored)."""
    model.save(tmp_path)
    bundle = json.loads((tmp_path / BUNDLE_FILE).read_text())
    bundle["metadata"].pop(BAND_KEY, None)
    if stored is not None:
        bundle["metadata"][BAND_KEY] = stored
    (tmp_path / BUNDLE_FILE).write_text(json.dumps(bundle))
    return RiskModel.load(tmp_path)


@pytest.fixture(scope="module")
def model(trained_timing: TimingResult, timing_store: registry.Store) -> RiskModel:
    return registry.load_model(timing_store, "timing", version=trained_timing.version)


def test_band_dates_are_out_of_time_inside_the_validation_window(
    trained_timing: TimingResult,
) -> None:
    windows = trained_timing.windows
    dates = band_dates(windows)
    assert len(dates) >= 2 and dates == sorted(dates)
    assert dates[0] >= windows.train_end
    # every back-test's 13 weeks end by valid_end, before the first assessment date
    assert dates[-1] + pd.Timedelta(days=7 * BAND_WEEKS) == windows.valid_end
    assert windows.valid_end <= windows.eval_dates[0]


def test_stored_band_is_the_one_calibrate_band_gives_on_those_weeks(
    trained_timing: TimingResult, timing_store: registry.Store, model: RiskModel, small_portfolio
) -> None:
    windows = trained_timing.windows
    frames = backtests(model, small_portfolio.ledger, windows)
    expected = calibrate_band(frames)
    stored = model.metadata[BAND_KEY]
    assert stored["source"] == "calibrated"
    assert (
        BandConfig(
            stored["customer_dependence"], stored["common_shock"], stored["cumulative_shock"]
        )
        == expected
    )
    assert stored["dates"] == [str(d.date()) for d in band_dates(windows)]
    assert stored["weeks"] == sum(int((f["expected"] > 0).sum()) for f in frames)
    band, words = model_band(model)
    assert band == expected
    assert f"calibrated on this book at {len(frames)} past dates {stored['dates'][0]}" in words
    # logged with the run as MLflow params
    mlflow.set_tracking_uri(timing_store.tracking_uri)
    runs = mlflow.search_runs(search_all_experiments=True)
    params = runs[runs["params.band_source"].notna()].iloc[0]
    assert params["params.band_source"] == "calibrated"
    assert float(params["params.band_common_shock"]) == pytest.approx(expected.common_shock)


@pytest.mark.parametrize("valid_days", [100, 60])
def test_too_short_a_history_keeps_the_default_band_and_says_why(
    trained_timing: TimingResult, model: RiskModel, small_portfolio, valid_days: int
) -> None:
    # a validation window of 100 days holds one back-test date (13 weeks), of 60 days none
    windows = dataclasses.replace(
        trained_timing.windows,
        train_end=trained_timing.windows.valid_end - pd.Timedelta(days=valid_days),
    )
    frames = backtests(model, small_portfolio.ledger, windows)
    weeks = sum(int((f["expected"] > 0).sum()) for f in frames)
    assert len(frames) == (1 if valid_days == 100 else 0) and weeks < BAND_MIN_WEEKS
    stored = calibrate_model_band(model, small_portfolio.ledger, windows)
    assert stored["source"] == "default" and stored["weeks"] == weeks
    assert str(stored["reason"]).startswith(f"band: default, {weeks} weeks")
    band, words = model_band(dataclasses.replace(model, metadata={BAND_KEY: stored}))
    assert band == BAND
    assert words.startswith("default") and f"band: default, {weeks} weeks" in words


def test_a_model_saved_without_a_band_loads_and_forecasts_with_the_default(
    model: RiskModel, small_portfolio, tmp_path: Path
) -> None:
    old = copy_with_band(model, tmp_path, None)
    assert BAND_KEY not in old.metadata
    band, words = model_band(old)
    assert band == BAND and "stores no band" in words
    found = forecast_cash_in(old, small_portfolio.ledger, AS_OF)
    scored = score_open_invoices(old, small_portfolio.ledger, AS_OF)
    rows = cash_forecast(scored, 13, band=BAND)
    pd.testing.assert_frame_equal(found.rows.drop(columns="group"), rows)
    assert found.band == BAND and found.band_source == words


def test_the_forecast_uses_the_band_stored_with_the_model(
    model: RiskModel, small_portfolio, tmp_path: Path
) -> None:
    wide = BandConfig(customer_dependence=1.0, common_shock=0.3, cumulative_shock=0.3)
    stored = {
        "source": "calibrated",
        **dataclasses.asdict(wide),
        "dates": ["2025-01-01"],
        "weeks": 40,
    }
    own = copy_with_band(model, tmp_path, stored)
    found = forecast_cash_in(own, small_portfolio.ledger, AS_OF)
    scored = score_open_invoices(own, small_portfolio.ledger, AS_OF)
    pd.testing.assert_frame_equal(
        found.rows.drop(columns="group"), cash_forecast(scored, 13, band=wide)
    )
    default = cash_forecast(scored, 13, band=BAND)
    assert (found.rows["high"].to_numpy() > default["high"].to_numpy()).all()
    assert found.band == wide and "calibrated on this book" in found.band_source
