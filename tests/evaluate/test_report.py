"""Evaluation of predictions, plots and the Markdown report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from risk.evaluate.plots import (
    plot_calibration,
    plot_importance,
    plot_lift,
    plot_precision_recall,
    plot_roc,
    plot_shap_summary,
)
from risk.evaluate.report import Evaluation, evaluate_predictions, summary_lines, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Series]:
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 0.5, size=600)
    y = rng.binomial(1, p)
    amounts = rng.uniform(100, 5000, size=600)
    sector = pd.Series(rng.choice(["F", "G", "C"], size=600, p=[0.5, 0.4, 0.1]))
    return y, p, amounts, sector


@pytest.fixture(scope="module")
def evaluations(sample: tuple) -> list[Evaluation]:
    y, p, amounts, sector = sample
    return [
        evaluate_predictions(
            "LightGBM (calibrated)", y, p, amounts=amounts, slices={"sector": sector}
        ),
        evaluate_predictions("logistic baseline", y, 0.5 * p, amounts=amounts),
    ]


def _is_png(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG_MAGIC


def test_evaluate_predictions_fills_every_part(evaluations: list[Evaluation]) -> None:
    lightgbm = evaluations[0]
    assert set(lightgbm.metrics) >= {"auc", "gini", "ks", "brier", "ece", "n"}
    assert lightgbm.metrics["n"] == 600
    assert 0 < lightgbm.capture["amount_captured"] <= 1
    assert len(lightgbm.calibration) == 10
    assert lightgbm.grades["grade"].tolist() == ["A", "B", "C", "D", "E"]
    assert list(lightgbm.slices) == ["sector"]
    assert evaluations[1].slices == {}


def test_halved_probabilities_are_flagged_underestimated(evaluations: list[Evaluation]) -> None:
    assert not evaluations[0].grades["underestimated"].any()
    assert evaluations[1].grades["underestimated"].any()


def test_write_report_sections_and_numbers(
    evaluations: list[Evaluation], sample: tuple, tmp_path: Path
) -> None:
    y, p, _, _ = sample
    roc = plot_roc(y, {"LightGBM": p}, tmp_path / "out" / "plots" / "roc.png")
    path = write_report(
        evaluations,
        tmp_path / "out",
        title="Invoice model evaluation",
        context={"training window": "2022-01-01 to 2023-12-31", "calibration": "isotonic"},
        plots={"ROC": roc},
        oracle_auc=0.80,
    )
    text = path.read_text(encoding="utf-8")
    assert path == tmp_path / "out" / "report.md"
    assert text.startswith("# Invoice model evaluation\n")
    for section in (
        "## Context",
        "## Metrics",
        "## Capture of the riskiest 10.0%",
        "## Calibration by decile",
        "## Grades and the Jeffreys test",
        "## Slices",
        "### LightGBM (calibrated) by sector",
        "## Plots",
    ):
        assert section in text
    assert "| metric | LightGBM (calibrated) | logistic baseline |" in text
    assert "| training window | 2022-01-01 to 2023-12-31 |" in text
    auc = evaluations[0].metrics["auc"]
    assert f"| AUC | {auc:.4f} |" in text
    assert f"| gap to oracle AUC | {0.80 - auc:.4f} |" in text
    assert "| rows | 600 | 600 |" in text
    assert "![ROC](plots/roc.png)" in text
    assert "| yes |" in text  # the baseline's underestimated grades


def test_write_report_without_oracle_or_plots(
    evaluations: list[Evaluation], tmp_path: Path
) -> None:
    text = write_report(evaluations[1:], tmp_path, title="t", context={}).read_text()
    assert "oracle" not in text
    assert "## Plots" not in text
    assert "## Slices" not in text


def test_write_report_rejects_duplicate_or_missing_evaluations(
    evaluations: list[Evaluation], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unique"):
        write_report([evaluations[0], evaluations[0]], tmp_path, title="t", context={})
    with pytest.raises(ValueError, match="at least one"):
        write_report([], tmp_path, title="t", context={})


def test_summary_lines(evaluations: list[Evaluation]) -> None:
    lines = summary_lines(evaluations, oracle_auc=0.8)
    assert lines[0] == "oracle AUC: 0.8000"
    assert lines[1].startswith(f"LightGBM (calibrated): AUC {evaluations[0].metrics['auc']:.4f}")
    assert "gap to oracle" in lines[1]
    assert lines[1].endswith("underestimated grades: none")
    assert len(summary_lines(evaluations)) == 2


def test_customer_rows_are_named_snapshots_not_invoices(
    evaluations: list[Evaluation], tmp_path: Path
) -> None:
    """A customer model's rows are customer snapshots: its capture never speaks of invoices."""
    text = write_report(
        evaluations, tmp_path, title="t", context={}, rows_name="customer snapshots"
    ).read_text()
    assert "late customer snapshots captured" in text and "late invoices" not in text
    lines = summary_lines(evaluations, rows_name="customer snapshots")
    assert all("of late customer snapshots" in line for line in lines)
    assert "of late invoices" in summary_lines(evaluations)[0]


def test_plots_write_png_files(sample: tuple, tmp_path: Path) -> None:
    y, p, _, _ = sample
    models = {"model": p, "baseline": 0.5 * p}
    paths = [
        plot_roc(y, models, tmp_path / "roc.png"),
        plot_precision_recall(y, models, tmp_path / "pr.png"),
        plot_calibration(y, models, tmp_path / "calibration.png"),
        plot_lift(y, p, tmp_path / "lift.png"),
        plot_importance({"days_late_mean_12m": 3.0, "amount": 1.0}, tmp_path / "importance.png"),
    ]
    assert paths[0] == tmp_path / "roc.png"
    assert all(_is_png(path) for path in paths)


def test_plot_shap_summary(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    values = pd.DataFrame(
        {
            "days_late_mean_12m": rng.normal(size=300),
            "legal_form": rng.choice(["SAS", "SARL"], size=300),
            "disputed": rng.integers(0, 2, size=300).astype(bool),
            "company_age_days": np.where(rng.uniform(size=300) < 0.1, np.nan, 1000.0),
        }
    )
    contributions = rng.normal(size=(300, 4))
    path = plot_shap_summary(contributions, values, tmp_path / "shap" / "summary.png", top=3)
    assert _is_png(path)
    with pytest.raises(ValueError, match="same"):
        plot_shap_summary(contributions[:, :3], values, tmp_path / "bad.png")


def test_plots_reject_single_class(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both"):
        plot_roc(np.zeros(3), {"m": np.array([0.1, 0.2, 0.3])}, tmp_path / "roc.png")
    with pytest.raises(ValueError, match="empty"):
        plot_importance({}, tmp_path / "importance.png")


def test_report_shows_the_fair_ceiling_apart_from_the_full_truth(tmp_path: Path) -> None:
    """Issue 19, finding 1: the gap to the fair ceiling (knowable at issue) is the room left."""
    y = np.array([0, 0, 1, 1, 0, 1, 0, 0, 1, 0])
    p = np.array([0.1, 0.2, 0.7, 0.6, 0.3, 0.4, 0.2, 0.1, 0.8, 0.5])
    evaluation = evaluate_predictions("LightGBM (calibrated)", y, p)
    path = write_report(
        [evaluation], tmp_path, title="t", context={}, oracle_auc=0.9, fair_oracle_auc=0.85
    )
    text = path.read_text()
    auc = evaluation.metrics["auc"]
    assert f"| gap to fair ceiling | {0.85 - auc:.4f} |" in text
    assert f"| gap to oracle AUC | {0.90 - auc:.4f} |" in text
    assert "facts dated after issue" in text
    lines = summary_lines([evaluation], oracle_auc=0.9, fair_oracle_auc=0.85)
    assert lines[0] == "oracle AUC: 0.9000" and lines[1].startswith("fair ceiling AUC")
    assert f"to fair ceiling {0.85 - auc:.4f}" in lines[2]
