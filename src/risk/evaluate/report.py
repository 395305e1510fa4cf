"""Evaluation of predictions and the Markdown report that compares models.

Example:
    >>> import numpy as np
    >>> y, p = np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.7, 0.9])
    >>> evaluation = evaluate_predictions("model", y, p)
    >>> evaluation.metrics["auc"], evaluation.metrics["ks"]
    (1.0, 1.0)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from risk.evaluate.calibration import calibration_table, grade_table
from risk.evaluate.markdown import format_cell, markdown_table, percent
from risk.evaluate.metrics import capture_top, classification_metrics, slice_metrics
from risk.grades import GradeScale

logger = logging.getLogger(__name__)

DEFAULT_SCALE = GradeScale()
METRIC_LABELS = {
    "auc": "AUC",
    "gini": "Gini (2 AUC - 1)",
    "pr_auc": "PR-AUC (average precision)",
    "ks": "KS (max TPR - FPR)",
    "brier": "Brier score",
    "log_loss": "log loss",
    "ece": "ECE (10 equal-frequency bins)",
    "base_rate": "late rate (base rate)",
    "n": "rows",
}
CALIBRATION_HEADERS = {
    "p_mean": "mean predicted",
    "observed_rate": "observed rate",
    "p_min": "lowest p",
    "p_max": "highest p",
}
SLICE_HEADERS = {"late_rate": "late rate", "p_mean": "mean predicted", "auc": "AUC"}


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Everything measured on one model's predictions (compared by identity: it holds frames).

    Attributes:
        name: label of the model in the report, e.g. "LightGBM (calibrated)".
        metrics: output of ``classification_metrics``.
        capture: output of ``capture_top``.
        calibration: output of ``calibration_table``.
        grades: output of ``grade_table``.
        slices: output of ``slice_metrics`` by slice name (sector, legal form, ...).
    """

    name: str
    metrics: dict[str, float]
    capture: dict[str, float]
    calibration: pd.DataFrame
    grades: pd.DataFrame
    slices: dict[str, pd.DataFrame] = field(default_factory=dict)


def evaluate_predictions(
    name: str,
    y: np.ndarray,
    p: np.ndarray,
    *,
    amounts: np.ndarray | None = None,
    slices: dict[str, pd.Series] | None = None,
    scale: GradeScale = DEFAULT_SCALE,
    share: float = 0.10,
    min_rows: int = 50,
) -> Evaluation:
    """Compute every metric and table of one model's predictions.

    Args:
        name: label of the model in the report.
        y: observed labels (1 = late).
        p: predicted probabilities of being late.
        amounts: invoice amounts for the amount-weighted capture, or None.
        slices: group of every row by slice name, matched by position.
        scale: grade scale of the grade table.
        share: share of the riskiest rows of the capture.
        min_rows: smallest group of a slice reported on its own.

    Returns:
        The ``Evaluation``.

    Raises:
        ValueError: on invalid inputs (lengths, labels, probabilities, amounts, share).
    """
    evaluation = Evaluation(
        name=name,
        metrics=classification_metrics(y, p),
        capture=capture_top(y, p, amounts, share=share),
        calibration=calibration_table(y, p),
        grades=grade_table(y, p, scale),
        slices={k: slice_metrics(y, p, g, min_rows=min_rows) for k, g in (slices or {}).items()},
    )
    logger.info("evaluated %s: AUC %.4f", name, evaluation.metrics["auc"])
    return evaluation


def _metrics_section(
    evaluations: list[Evaluation], oracle_auc: float | None, fair_oracle_auc: float | None = None
) -> list[str]:
    rows = {
        label: [format_cell(int(e.metrics[k]) if k == "n" else e.metrics[k]) for e in evaluations]
        for k, label in METRIC_LABELS.items()
    }
    lines = ["## Metrics", ""]
    if fair_oracle_auc is not None:
        rows["fair ceiling AUC (knowable at issue)"] = [format_cell(fair_oracle_auc)] * len(
            evaluations
        )
        rows["gap to fair ceiling"] = [
            format_cell(fair_oracle_auc - e.metrics["auc"]) for e in evaluations
        ]
        lines += [
            f"The fair ceiling ({fair_oracle_auc:.4f}) is the AUC of the generator's late "
            "probabilities computed from what is knowable when the invoice is issued "
            "(`p_late_at_issue`): the room any model can still close.",
            "",
        ]
    if oracle_auc is not None:
        rows["oracle AUC"] = [format_cell(oracle_auc)] * len(evaluations)
        gaps = [oracle_auc - e.metrics["auc"] for e in evaluations]
        rows["gap to oracle AUC"] = [format_cell(gap) for gap in gaps]
        lines += [
            f"The oracle AUC ({oracle_auc:.4f}) is the AUC of the full-truth late probabilities "
            "of synthetic data; it uses facts dated after issue (the invoice's dispute, the "
            "customer's drift until the due month, a later proceeding), so no model can reach it"
            + (": the fair ceiling above is the one to compare with." if fair_oracle_auc else "."),
            "",
        ]
    frame = pd.DataFrame(rows, index=[e.name for e in evaluations]).T
    return [*lines, *markdown_table(frame.rename_axis("metric").reset_index()), ""]


def _capture_section(evaluations: list[Evaluation], rows_name: str = "invoices") -> list[str]:
    share = evaluations[0].capture["share"]
    rows = [
        {
            "model": e.name,
            "rows worked": int(e.capture["n_top"]),
            f"late {rows_name} captured": percent(e.capture["late_captured"]),
            "late amounts captured": percent(e.capture["amount_captured"]),
            "lift": e.capture["lift"],
        }
        for e in evaluations
    ]
    intro = (
        f"Share of the late {rows_name}, and of their amounts, found in the riskiest "
        f"{percent(share)} of the rows (highest predicted probability first)."
    )
    table = markdown_table(pd.DataFrame(rows))
    return [f"## Capture of the riskiest {percent(share)}", "", intro, "", *table, ""]


def _calibration_section(evaluations: list[Evaluation]) -> list[str]:
    lines = [
        "## Calibration by decile",
        "",
        "Mean predicted probability against observed late rate by decile of p.",
        "",
    ]
    for e in evaluations:
        table = e.calibration.rename(columns=CALIBRATION_HEADERS)
        lines += [f"### {e.name}", "", *markdown_table(table), ""]
    return lines


def _grade_frame(grades: pd.DataFrame) -> pd.DataFrame:
    ranges = [
        f"{'[' if low == 0 else '('}{low:.4f}, {high:.4f}]"
        for low, high in zip(grades["p_low"], grades["p_high"], strict=True)
    ]
    return pd.DataFrame(
        {
            "grade": grades["grade"],
            "probability range": ranges,
            "n": grades["n"],
            "late": grades["defaults"],
            "mean predicted": grades["p_mean"],
            "observed rate": grades["observed_rate"],
            "Jeffreys p-value": grades["jeffreys_p_value"],
            "underestimated": grades["underestimated"],
        }
    )


def _grade_section(evaluations: list[Evaluation]) -> list[str]:
    lines = [
        "## Grades and the Jeffreys test",
        "",
        "Per grade, the Jeffreys test (as in the ECB's validation of PD models) takes the "
        "posterior Beta(late + 0.5, n - late + 0.5) of the grade's true late rate and reports its "
        "CDF at the mean predicted probability. A p-value below 0.05 flags a grade whose observed "
        "late rate is significantly above the prediction (risk underestimated).",
        "",
    ]
    for e in evaluations:
        lines += [f"### {e.name}", "", *markdown_table(_grade_frame(e.grades)), ""]
    return lines


def _slice_section(evaluations: list[Evaluation]) -> list[str]:
    if not any(e.slices for e in evaluations):
        return []
    lines = ["## Slices", "", "AUC is n/a for a group with a single class.", ""]
    for e in evaluations:
        for slice_name, table in e.slices.items():
            table = table.rename(columns=SLICE_HEADERS)
            lines += [f"### {e.name} by {slice_name}", "", *markdown_table(table), ""]
    return lines


def _plot_section(plots: dict[str, Path], out_dir: Path) -> list[str]:
    if not plots:
        return []
    lines = ["## Plots", ""]
    for name, path in plots.items():
        if not Path(path).exists():
            logger.warning("plot %s not found at %s, linked anyway", name, path)
        relative = Path(os.path.relpath(Path(path).resolve(), out_dir.resolve())).as_posix()
        lines += [f"### {name}", "", f"![{name}]({relative})", ""]
    return lines


def write_report(
    evaluations: list[Evaluation],
    out_dir: Path,
    *,
    title: str,
    context: dict[str, str],
    plots: dict[str, Path] | None = None,
    oracle_auc: float | None = None,
    fair_oracle_auc: float | None = None,
    sections: list[str] | None = None,
    rows_name: str = "invoices",
) -> Path:
    """Write ``report.md`` comparing the evaluations side by side.

    Sections: context, metrics (one column per evaluation, oracle AUC and the gap to it when
    given), capture, calibration by decile, grades with the Jeffreys test, slices, plots (linked
    by a path relative to ``out_dir``).

    Args:
        evaluations: the evaluations to compare, in column order.
        out_dir: folder of the report, created if needed.
        title: first heading of the report.
        context: what was evaluated (training window, data fingerprint, calibration method...).
        plots: PNG file by caption.
        oracle_auc: AUC of the true probabilities, when known (synthetic data).
        fair_oracle_auc: AUC of the true probabilities from what is knowable at issue.
        sections: extra Markdown lines placed before the plots (e.g. the scorecard's points).
        rows_name: what a row is, in the capture's words ("invoices", "customer snapshots").

    Returns:
        The path of ``report.md``.

    Raises:
        ValueError: if there is no evaluation or two share a name.
    """
    if not evaluations:
        raise ValueError("write_report needs at least one evaluation")
    names = [e.name for e in evaluations]
    if len(set(names)) != len(names):
        raise ValueError(f"evaluation names must be unique, got {names}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context_frame = pd.DataFrame({"item": list(context), "value": list(context.values())})
    lines = [f"# {title}", "", "## Context", "", *markdown_table(context_frame), ""]
    lines += _metrics_section(evaluations, oracle_auc, fair_oracle_auc)
    lines += _capture_section(evaluations, rows_name)
    lines += _calibration_section(evaluations)
    lines += _grade_section(evaluations)
    lines += _slice_section(evaluations)
    lines += sections or []
    lines += _plot_section(plots or {}, out_dir)
    path = out_dir / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    logger.info("wrote evaluation report %s", path)
    return path


def points_section(
    points: pd.DataFrame,
    pdo: float,
    base_points: float,
    base_odds: float,
    dropped: dict[str, float] | None = None,
) -> list[str]:
    """The scorecard's points table (one row per feature bin) as report lines, with the
    features left out for a wrong-sign coefficient (name: the coefficient they had)."""
    shown = points.assign(
        woe=points["woe"].map(lambda v: f"{v:.3f}"),
        points=points["points"].map(lambda v: f"{v:.1f}"),
    )
    left_out = (
        [
            "Left out for a wrong-sign coefficient (their points would fall as their bins get "
            "safer; the coefficient they had, refitted one at a time): "
            + ", ".join(f"`{name}` ({coef:+.3f})" for name, coef in dropped.items())
            + ".",
            "",
        ]
        if dropped
        else []
    )
    return [
        "## Scorecard points",
        "",
        f"Weight-of-evidence scorecard with monotonic binning: {base_points:g} points at odds "
        f"{base_odds:g}:1 of paying on time, {pdo:g} points to double the odds (PDO); a row's "
        "score is the sum of its bins' points (higher is safer); every feature's points rise "
        "with its weight of evidence. Also in `scorecard.json`.",
        "",
        *left_out,
        *markdown_table(shown),
        "",
    ]


def summary_lines(
    evaluations: list[Evaluation],
    oracle_auc: float | None = None,
    fair_oracle_auc: float | None = None,
    rows_name: str = "invoices",
) -> list[str]:
    """One line per evaluation for the terminal, plus the oracle AUC when given.

    Args:
        evaluations: the evaluations.
        oracle_auc: AUC of the true probabilities, when known.
        fair_oracle_auc: AUC of the true probabilities from what is knowable at issue.
        rows_name: what a row is ("invoices", "customer snapshots").

    Returns:
        Lines such as ``"LightGBM: AUC 0.7812 (gap to oracle 0.0123) | Gini 0.5624 | ..."``.
    """
    lines = [] if oracle_auc is None else [f"oracle AUC: {oracle_auc:.4f}"]
    if fair_oracle_auc is not None:
        lines.append(
            f"fair ceiling AUC (knowable at issue): {fair_oracle_auc:.4f}; the oracle uses "
            "post-issue facts"
        )
    for e in evaluations:
        m, c = e.metrics, e.capture
        gap = "" if oracle_auc is None else f" (gap to oracle {oracle_auc - m['auc']:.4f}"
        if gap and fair_oracle_auc is not None:
            gap += f", to fair ceiling {fair_oracle_auc - m['auc']:.4f}"
        gap += ")" if gap else ""
        flagged = e.grades.loc[e.grades["underestimated"], "grade"].tolist()
        lines.append(
            f"{e.name}: AUC {m['auc']:.4f}{gap} | Gini {m['gini']:.4f} | KS {m['ks']:.4f} | "
            f"Brier {m['brier']:.4f} | ECE {m['ece']:.4f} | top {percent(c['share'])} captures "
            f"{percent(c['late_captured'])} of late {rows_name}, "
            f"{percent(c['amount_captured'])} of late amounts | "
            f"underestimated grades: {', '.join(flagged) or 'none'}"
        )
    return lines
