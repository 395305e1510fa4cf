"""Assess a payment-timing model at past scoring dates: metrics by days-past-due bucket against
the issue-date model, the cash-in forecast back-test, and the Markdown report with its plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk.evaluate.markdown import markdown_table
from risk.ledger import Ledger
from risk.model.bundle import RiskModel
from risk.synth.open_truth import (
    fair_open_late_truth,
    has_fair_truth,
    has_open_truth,
    open_late_truth,
)
from risk.timing.backtest import backtest_frame, forecast_errors, plot_backtest
from risk.timing.evaluate import binary_metrics, bucket_table, headline, realised_outcomes
from risk.timing.forecast import model_band
from risk.timing.outcomes import exit_dates
from risk.timing.score import score_open_invoices

ISSUE_COLUMN = "p_issue_model"
TRUTH_COLUMN = "p_truth"
TRUTH_VERY_LATE_COLUMN = "p_truth_60"
VERY_LATE_DAYS = 60
FAIR_COLUMN = "p_fair_ceiling"
#: bucket-table names of the two generator probabilities
FULL_TRUTH_NAME = "full truth (uses facts after the date)"
FAIR_CEILING_NAME = "fair ceiling (knowable at the date)"


@dataclass(frozen=True)
class Assessment:
    """What was measured at the scoring dates.

    Attributes:
        scored: every (scoring date, open invoice) row with predictions and outcomes.
        buckets: metrics of P(late L) by model and days-past-due bucket.
        metrics: headline metrics (pooled over the dates) and forecast errors (mean over dates).
        backtests: the weekly forecast back-test of each date.
    """

    scored: pd.DataFrame
    buckets: pd.DataFrame
    metrics: dict[str, float]
    backtests: dict[pd.Timestamp, pd.DataFrame]


def assess(
    model: RiskModel,
    ledger: Ledger,
    dates: list[pd.Timestamp],
    cutoff: pd.Timestamp,
    issue_model: RiskModel | None = None,
    truth: pd.DataFrame | None = None,
) -> Assessment:
    """Score every open invoice at each date with ``model`` (and ``issue_model`` when given)
    and compare with the outcomes known at ``cutoff``; on a generated ledger whose
    ``invoice_truth`` (``truth``) carries the timing columns, the generator's P(late | open at
    the date) is scored the same way: the full truth (``test_truth_auc``,
    ``test_auc_gap_to_truth``; it uses facts dated after the scoring date) and, when the truth
    carries them (``risk.synth.open_truth.has_fair_truth``), the fair ceiling from what is
    knowable at the date (``test_fair_ceiling_auc``, ``test_auc_gap_to_fair_ceiling``)."""
    late_after = int(model.metadata.get("late_after_days", 30))
    band, _ = model_band(model)
    frames, backtests = [], {}
    paid_on = exit_dates(ledger, cutoff).set_index("invoice_id")["paid_on"]  # lost: never paid
    for date in dates:
        result = score_open_invoices(model, ledger, date)
        rows = result.scores.assign(as_of=pd.Timestamp(date))
        rows["paid_on"] = rows["invoice_id"].map(paid_on)
        rows = pd.concat([rows, realised_outcomes(rows, cutoff, late_after)], axis=1)
        if issue_model is not None:
            rows[ISSUE_COLUMN] = issue_model.predict_proba(result.frame)
        if truth is not None and has_open_truth(truth):
            for column, days in (
                (TRUTH_COLUMN, late_after),
                (TRUTH_VERY_LATE_COLUMN, VERY_LATE_DAYS),
            ):
                rows[column] = open_late_truth(
                    truth, ledger.invoices, rows["invoice_id"], pd.Timestamp(date), days
                )
        if truth is not None and has_fair_truth(truth):
            rows[FAIR_COLUMN] = fair_open_late_truth(
                truth,
                ledger.invoices,
                rows["invoice_id"],
                pd.Timestamp(date),
                late_after,
            )
        frames.append(rows)
        # the band the model's forecasts use: calibrated on its own book before these dates
        backtests[pd.Timestamp(date)] = backtest_frame(ledger, result, cutoff, band=band)
    scored = pd.concat(frames, ignore_index=True)
    models = {"payment-timing": "probability"}
    if issue_model is not None:
        models["issue-date model"] = ISSUE_COLUMN
    metrics = headline(
        scored,
        ISSUE_COLUMN if issue_model is not None else None,
        TRUTH_VERY_LATE_COLUMN if TRUTH_VERY_LATE_COLUMN in scored else None,
    )
    for column, name, prefix in (
        (FAIR_COLUMN, FAIR_CEILING_NAME, "fair_ceiling"),
        (TRUTH_COLUMN, FULL_TRUTH_NAME, "truth"),
    ):
        if column not in scored:
            continue
        models[name] = column
        known = scored[column].notna().to_numpy()
        truth_auc = binary_metrics(
            scored.loc[known, "late"].to_numpy(dtype="float64"),
            scored.loc[known, column].to_numpy(dtype="float64"),
        )["auc"]
        metrics[f"test_{prefix}_auc"] = truth_auc
        metrics[f"test_auc_gap_to_{prefix}"] = truth_auc - metrics["test_auc"]
    errors = pd.DataFrame([forecast_errors(frame) for frame in backtests.values()])
    metrics.update({name: float(errors[name].mean()) for name in errors.columns})
    metrics.update({f"{name}_worst": float(errors[name].max()) for name in errors.columns})
    return Assessment(scored, bucket_table(scored, models, "late"), metrics, backtests)


def _metrics_lines(metrics: dict[str, float]) -> list[str]:
    frame = pd.DataFrame({"metric": list(metrics), "value": list(metrics.values())})
    return markdown_table(frame)


def write_assessment(
    assessment: Assessment, out_dir: Path, title: str, context: dict[str, str]
) -> Path:
    """``report.md`` with the context, headline metrics, bucket table, back-tests and plot."""
    out_dir.mkdir(parents=True, exist_ok=True)
    context_frame = pd.DataFrame({"item": list(context), "value": list(context.values())})
    lines = [f"# {title}", "", "## Context", "", *markdown_table(context_frame), ""]
    lines += ["## Headline (pooled over the scoring dates)", ""]
    lines += [
        "`test_*`: P(paid more than L days after due) of every open invoice; capture: share of "
        "the very-late amount (paid > 60 days late) in the top 10 % of open amount ranked by "
        "expected amount at risk (open amount x P(> 60 days late and unpaid in two weeks); "
        "issue-date model: P x open amount), `_not_yet_60`: among the invoices not yet 60 days "
        "past due; concordance: Harrell's C "
        "of the expected payment dates; forecast errors: |forecast - received| / received over "
        "the first 4 / 13 weeks, mean and worst over the dates; `forecast_band_coverage` "
        "(`_cumulative`): share of the weeks whose received cash (cumulative cash) fell inside "
        "the 80 % band, `forecast_band_width` (`_cumulative`): its mean (high - low) / expected. "
        "On a generated ledger: "
        "`test_fair_ceiling_auc`, the generator's probability from what is knowable at the date "
        "(the ceiling a model can reach), and `test_truth_auc`, its full truth, which uses facts "
        "dated after it (the due month's drift, the dispute, a later proceeding).",
        "",
        *_metrics_lines(assessment.metrics),
        "",
    ]
    lines += [
        "## By days past due at the scoring date",
        "",
        *markdown_table(assessment.buckets),
        "",
    ]
    lines += ["## Cash-in forecast back-test", ""]
    for date, frame in assessment.backtests.items():
        name = f"cash_backtest_{date.date()}.png"
        plot_backtest(frame, out_dir / name, f"cash in after {date.date()}")
        shown = frame[["week", "expected", "low", "high", "due_date_naive",
                       "historical_delay_naive", "received", "cumulative", "cumulative_low",
                       "cumulative_high", "received_cumulative"]].round(0)  # fmt: skip
        lines += [f"### {date.date()}", "", *markdown_table(shown), "", f"![back-test]({name})", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path


def summary(metrics: dict[str, float]) -> list[str]:
    """A few lines for the terminal."""

    def get(name: str) -> float:
        return metrics.get(name, np.nan)

    lines = [
        f"open invoices at the test dates: AUC {get('test_auc'):.3f}, Brier {get('test_brier'):.3f}, "
        f"mean predicted {get('test_mean_predicted'):.3f} vs realised {get('test_realised'):.3f}",
        f"very-late amount captured in the top 10 % of open amount: "
        f"{get('test_capture_very_late_top10'):.1%}; payment-date concordance "
        f"{get('test_concordance_paid_on'):.3f}",
        f"cash-in forecast error 4 / 13 weeks: model {get('forecast_error_model_4w'):.1%} / "
        f"{get('forecast_error_model_13w'):.1%}, due date {get('forecast_error_due_date_4w'):.1%} / "
        f"{get('forecast_error_due_date_13w'):.1%}, historical delay "
        f"{get('forecast_error_historical_delay_4w'):.1%} / "
        f"{get('forecast_error_historical_delay_13w'):.1%}",
        f"80 % band: received inside it in {get('forecast_band_coverage'):.0%} of the weeks "
        f"(cumulative cash: {get('forecast_band_coverage_cumulative'):.0%}), mean width "
        f"{get('forecast_band_width'):.0%} of the expected weekly cash "
        f"({get('forecast_band_width_cumulative'):.0%} cumulative)",
    ]
    if "issue_model_auc" in metrics:
        lines.append(
            f"issue-date model on the same rows: AUC {get('issue_model_auc'):.3f}, Brier "
            f"{get('issue_model_brier'):.3f}, capture {get('issue_model_capture_very_late_top10'):.1%}"
        )
    if "test_fair_ceiling_auc" in metrics:
        lines.append(
            f"generator's fair ceiling (knowable at the date) on the same rows: AUC "
            f"{get('test_fair_ceiling_auc'):.3f} (model {get('test_auc_gap_to_fair_ceiling'):+.3f} "
            "below it: the room left)"
        )
    if "test_truth_auc" in metrics:
        lines.append(
            f"generator's full truth (uses facts after the date) on the same rows: AUC "
            f"{get('test_truth_auc'):.3f} (model {get('test_auc_gap_to_truth'):+.3f} below it; "
            "target within 0.03)"
        )
    return lines
