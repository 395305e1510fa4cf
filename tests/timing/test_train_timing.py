"""The payment-timing model trained, registered, gated and used by the scoring core."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from tests.timing.conftest import FAST
from typer.testing import CliRunner

from risk import registry
from risk.cli import app
from risk.io import write_ledger
from risk.scoring import Scorer
from risk.timing.predict import RANK_REVIEW_DAYS
from risk.timing.train import TimingResult, _gate

INVOICE_COLUMNS = [
    "invoice_id", "customer_id", "open_amount", "due_on", "days_past_due", "probability",
    "expected_at_risk", "reasons_en", "reasons_fr", "reasons", "model_versions",
    "p_late_30", "p_late_60", "p_unpaid_13w", "expected_paid_on", "median_paid_on",
]  # fmt: skip


def test_registered_as_champion_with_metrics_and_report(
    trained_timing: TimingResult, timing_store
) -> None:
    assert registry.current_champion(timing_store, "timing") == trained_timing.version
    metrics = trained_timing.metrics
    assert 0.7 < metrics["test_auc"] <= 1.0
    assert abs(metrics["test_mean_predicted"] - metrics["test_realised"]) < 0.05
    assert {
        "test_concordance_paid_on",
        "forecast_error_model_13w",
        "forecast_band_coverage",
    } <= set(metrics)
    report = (trained_timing.report or Path()).read_text()
    assert "By days past due" in report and "31-60" in report and ".png" in report
    versions = registry.list_versions(timing_store, "timing")
    assert list(versions["model"]) == ["payment-timing"]


def test_gate_does_not_promote_a_model_that_does_not_beat_the_champion(
    trained_timing: TimingResult, timing_store, small_portfolio
) -> None:
    promoted, reason = _gate(
        timing_store, small_portfolio.ledger, trained_timing.windows, FAST,
        trained_timing.metrics["test_auc"],
    )  # fmt: skip
    assert not promoted and "does not beat champion v1" in reason


def test_scorer_scores_open_invoices_with_the_timing_model(
    trained_timing: TimingResult, timing_store, small_portfolio
) -> None:
    model = registry.load_model(timing_store, "timing")
    scorer = Scorer(customer_model=None, invoice_model=None, timing_model=model)  # type: ignore[arg-type]
    ledger = small_portfolio.ledger
    as_of = pd.Timestamp("2025-10-01")
    scores = scorer.score_invoices(ledger, as_of)
    assert set(INVOICE_COLUMNS) <= set(scores.columns) and len(scores) > 20
    late = scores["days_past_due"] > 30
    assert late.any() and (scores.loc[late, "probability"] == 1.0).all()
    assert (scores["p_late_30"] >= scores["p_late_60"] - 1e-12).all()
    # the worklist's quantity: P(> 60 days late) x open amount until 47 days past due; once
    # very late for certain, at most the open amount and at least x P(unpaid 13 weeks)
    young = scores["days_past_due"] <= 61 - RANK_REVIEW_DAYS
    assert young.any() and np.allclose(
        scores.loc[young, "expected_at_risk"],
        scores.loc[young, "open_amount"] * scores.loc[young, "p_late_60"],
    )
    very_late = scores["days_past_due"] > 60
    assert very_late.any()
    at_risk, amount = (
        scores.loc[very_late, "expected_at_risk"],
        scores.loc[very_late, "open_amount"],
    )
    assert (at_risk <= amount + 1e-9).all()
    assert (at_risk >= amount * scores.loc[very_late, "p_unpaid_13w"] - 1e-9).all()
    assert (scores["expected_paid_on"] >= as_of).all() and (scores["median_paid_on"] >= as_of).all()
    assert scores["model_versions"].iloc[0] == "payment-timing v1"
    features = {r.feature for row in scores["reasons"] for r in row}
    assert "weeks_ahead" not in features and features & {
        "days_past_due",
        "days_since_issue",
        "n_reminders_sent",
    }
    one = scorer.score_invoices(ledger, as_of, invoice_ids=[scores["invoice_id"].iloc[0]])
    assert one["probability"].iloc[0] == scores["probability"].iloc[0]


def test_forecast_command(
    trained_timing: TimingResult, timing_store, small_portfolio, tmp_path: Path
) -> None:
    folder = tmp_path / "ledger"
    write_ledger(small_portfolio.ledger, folder)
    runner = CliRunner()
    base = ["forecast", "--ledger", str(folder), "--tracking-uri", timing_store.tracking_uri]
    out = runner.invoke(app, [*base, "--weeks", "4", "--csv", str(tmp_path / "f.csv")])
    assert out.exit_code == 0, out.output
    assert "cash-in forecast" in out.output
    assert "80 % band: calibrated on this book" in out.output.replace("\n", " ")
    assert len(pd.read_csv(tmp_path / "f.csv")) == 4
    out = runner.invoke(app, [*base, "--by", "sector", "--delay-top", "3", "--delay-days", "30",
                              "--backtest", "2025-08-01", "--report-dir", str(tmp_path / "bt")])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "due_date_4w" in out.output and (tmp_path / "bt" / "report.md").exists()
    bad = runner.invoke(app, [*base, "--sector", "ZZ", "--sector-hazard", "0.5"])
    assert bad.exit_code == 2 and "sector 'ZZ'" in bad.output


def test_evaluate_command_reassesses_the_champion(
    trained_timing: TimingResult, timing_store, small_portfolio, tmp_path: Path
) -> None:
    folder = tmp_path / "ledger"
    write_ledger(small_portfolio.ledger, folder)
    out = CliRunner().invoke(app, ["evaluate", "--level", "timing", "--ledger", str(folder),
                                   "--tracking-uri", timing_store.tracking_uri, "--out", str(tmp_path / "ev")])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert f"AUC {trained_timing.metrics['test_auc']:.3f}" in out.output  # same model, same dates
    assert "payment-timing v1" in (tmp_path / "ev" / "report.md").read_text()


def test_assessment_compares_with_the_issue_date_model_by_bucket(
    trained_timing: TimingResult, timing_store, small_portfolio
) -> None:
    from risk.features import FeatureConfig
    from risk.model.dataset import training_data
    from risk.model.fit import FitConfig, fit_models
    from risk.model.lgbm import LightGBMConfig
    from risk.model.split import derive_windows, split_masks
    from risk.timing.assess import ISSUE_COLUMN, assess

    ledger = small_portfolio.ledger
    data = training_data(ledger, "invoice", FeatureConfig())
    windows = derive_windows(data.as_of, data.matured_on, data.cutoff)
    masks = split_masks(data.as_of, data.matured_on, windows)
    fast = FitConfig(lightgbm=LightGBMConfig(num_boost_round=30, num_threads=1))
    issue = fit_models(data, masks, windows, fast).model
    model = registry.load_model(timing_store, "timing")
    dates = trained_timing.windows.eval_dates[-2:]
    found = assess(model, ledger, dates, trained_timing.windows.cutoff, issue)
    assert set(found.buckets["model"]) == {"payment-timing", "issue-date model"}
    assert {"issue_model_auc", "issue_model_capture_very_late_top10"} <= set(found.metrics)
    overdue = found.scored[found.scored["days_past_due"] > 30]
    # the finding of the issue: the issue-date model gives invoices already late for certain
    # a probability well below 1; the timing model gives them 1, as realised
    assert (overdue["probability"] == 1.0).all() and (overdue["late"] == 1.0).all()
    assert overdue[ISSUE_COLUMN].max() < 1.0
