"""Evaluation of late-payment models: metrics, calibration, grades, plots and the report."""

from __future__ import annotations

from risk.evaluate.calibration import calibration_table, grade_table, jeffreys_p_value
from risk.evaluate.metrics import (
    capture_top,
    classification_metrics,
    expected_calibration_error,
    slice_metrics,
)
from risk.evaluate.plots import (
    plot_calibration,
    plot_importance,
    plot_lift,
    plot_precision_recall,
    plot_roc,
    plot_shap_summary,
)
from risk.evaluate.report import Evaluation, evaluate_predictions, summary_lines, write_report

__all__ = [
    "Evaluation",
    "calibration_table",
    "capture_top",
    "classification_metrics",
    "evaluate_predictions",
    "expected_calibration_error",
    "grade_table",
    "jeffreys_p_value",
    "plot_calibration",
    "plot_importance",
    "plot_lift",
    "plot_precision_recall",
    "plot_roc",
    "plot_shap_summary",
    "slice_metrics",
    "summary_lines",
    "write_report",
]
