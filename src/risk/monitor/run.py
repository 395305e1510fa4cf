"""``risk monitor``: drift of the champion since its training window, as of a date.

For one level's registered model (default: the champion) and a ledger:

* PSI of every model input and of the calibrated score: the training window (rows before the
  model's validation end) against the population at ``as_of`` (customers as of that date; for
  the invoice model, invoices issued in the 90 days before it);
* back-test: realised against predicted late rate by month and grade on the rows after the
  model's validation end (never seen in training) whose label had matured by ``as_of`` (what was
  known at that date: a run at a past date reads no later outcome), with the Jeffreys test;
* grade migration against the previous run's grades (``grades.csv`` in the output folder);
* alerts past ``PSI_ALERT`` (calendar inputs excepted: ``risk.monitor.drift.SEASONAL``) and
  underestimated back-test cells; report, plots (PSI, back-test) and an MLflow run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk import registry
from risk.evaluate.markdown import markdown_table
from risk.features import FeatureConfig
from risk.features.frames import build_customer_frame, build_invoice_frame
from risk.grades import GradeScale
from risk.ledger import Ledger
from risk.model.dataset import Level, training_data
from risk.monitor.drift import (
    PSI_ALERT,
    PSI_WARN,
    DriftAlert,
    alerts,
    backtest_by_month_and_grade,
    feature_psi,
    grade_migration,
    population_stability_index,
)
from risk.monitor.plots import plot_backtest, plot_psi

logger = logging.getLogger(__name__)

RECENT_DAYS = 90
GRADES_FILE = "grades.csv"


@dataclass(frozen=True)
class MonitorResult:
    """What a monitoring run measured."""

    psi: pd.DataFrame
    score_psi: float
    backtest: pd.DataFrame
    migration: pd.DataFrame | None
    alerts: list[DriftAlert]
    report: Path
    run_id: str


def _current_frame(
    ledger: Ledger, level: Level, config: FeatureConfig, as_of: pd.Timestamp
) -> pd.DataFrame:
    if level == "customer":
        return build_customer_frame(ledger, pd.DatetimeIndex([as_of]), config)
    frame = build_invoice_frame(ledger, config)
    issued = frame["issued_on"]
    return frame[(issued < as_of) & (issued >= as_of - pd.Timedelta(days=RECENT_DAYS))]


def _grades(frame: pd.DataFrame, p: np.ndarray, scale: GradeScale) -> pd.Series:
    """Grade per customer (the mean probability of its rows)."""
    mean = pd.Series(p, index=frame.index).groupby(frame["customer_id"].to_numpy()).mean()
    return pd.Series(scale.grade(mean.to_numpy()), index=mean.index.astype(str), name="grade")


def _report(result: dict, out: Path, title: str) -> Path:
    backtest = result["backtest"]
    lines = [f"# {title}", ""]
    lines += [
        "## Population stability", "",
        f"PSI of the score: {result['score_psi']:.4f}. Thresholds: stable below {PSI_WARN}, "
        f"watch up to {PSI_ALERT}, alert above; the calendar inputs (month of issue, month due) "
        "are `seasonal`: a recent window holds a few of the twelve months, their PSI is large by "
        "construction and never alerted.", "",
        *markdown_table(result["psi"].round(4)), "",
        "![PSI](psi.png)", "",
        "## Back-test by month and grade (rows after the validation window)", "",
        f"Rows whose label had matured by {result['known_by']}; a cell is underestimated when "
        "the Jeffreys p-value of its realised late rate against the mean predicted is below 0.05.",
        "",
        *(markdown_table(backtest.round(4)) if len(backtest) else ["no matured row yet"]), "",
        "![Back-test](backtest.png)", "",
        "## Grade migration since the last run", "",
    ]  # fmt: skip
    migration = result["migration"]
    lines += (
        markdown_table(migration.round(3).reset_index())
        if migration is not None
        else ["first run: no previous grades"]
    )
    lines += ["", "## Alerts", ""]
    lines += [f"- {a.message}" for a in result["alerts"]] or ["none"]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def monitor(
    ledger: Ledger,
    level: Level,
    as_of: pd.Timestamp,
    store: registry.Store,
    out: Path,
    version: str | None = None,
) -> MonitorResult:
    """Measure drift of a registered model as of ``as_of`` (see the module docstring)."""
    import mlflow

    model = registry.load_model(store, level, version=version)
    config = FeatureConfig(
        late_after_days=int(model.metadata.get("late_after_days", 30)),
        horizon_days=int(model.metadata.get("horizon_days", 180)),
        late_share_threshold=float(model.metadata.get("late_share_threshold", 0.25)),
    )
    valid_end = pd.Timestamp(model.metadata["windows"]["valid_end"])
    data = training_data(ledger, level, config)
    reference = data.frame[(data.as_of < valid_end).to_numpy()]
    current = _current_frame(ledger, level, config, pd.Timestamp(as_of))
    ref_inputs, cur_inputs = model.prepare(reference), model.prepare(current)
    psi = feature_psi(ref_inputs, cur_inputs, model.features)
    p_ref, p_cur = model.predict_proba(reference), model.predict_proba(current)
    score_psi = population_stability_index(p_ref, p_cur)
    known_by = min(pd.Timestamp(as_of), data.cutoff)
    after = ((data.as_of >= valid_end) & (data.matured_on <= known_by)).to_numpy()
    backtest = backtest_by_month_and_grade(
        data.as_of[after].dt.strftime("%Y-%m"),
        data.y[after],
        model.predict_proba(data.frame[after]) if after.any() else np.empty(0),
    )
    out.mkdir(parents=True, exist_ok=True)
    scale = GradeScale()
    grades = _grades(current, p_cur, scale)
    previous_path = out / GRADES_FILE
    migration = None
    if previous_path.exists():
        previous = pd.read_csv(previous_path, dtype={"customer_id": "str"}).set_index("customer_id")
        migration = grade_migration(previous["grade"], grades, scale)
    grades.rename_axis("customer_id").to_frame().to_csv(previous_path)
    found = alerts(psi, backtest)
    if score_psi > PSI_ALERT:
        found.insert(
            0,
            DriftAlert(
                "psi:score", score_psi, PSI_ALERT, f"score PSI {score_psi:.3f} > {PSI_ALERT}"
            ),
        )
    plot_psi(psi, out / "psi.png")
    plot_backtest(backtest, out / "backtest.png")
    measured = {
        "psi": psi,
        "score_psi": score_psi,
        "backtest": backtest,
        "migration": migration,
        "alerts": found,
        "known_by": known_by.date(),
    }
    title = f"Monitoring of {registry.MODEL_NAMES[level]} v{model.metadata.get('model_version', '?')} as of {pd.Timestamp(as_of).date()}"
    report = _report(measured, out, title)
    with registry.training_run(store, level, f"monitor-{pd.Timestamp(as_of).date()}") as run:
        mlflow.set_tag("kind", "monitor")
        mlflow.log_metrics({"score_psi": score_psi, "n_alerts": float(len(found))})
        mlflow.log_metrics({f"psi_{r.variable}": float(r.psi) for r in psi.itertuples()})
        mlflow.log_artifacts(str(out), artifact_path="monitor")
    return MonitorResult(psi, score_psi, backtest, migration, found, report, run.info.run_id)
