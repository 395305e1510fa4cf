"""``risk monitor``: drift of the champion since its training window, as of a date.

For one level's registered model (default: the champion) and a ledger:

* PSI of every model input and of the calibrated score: the training window (rows before the
  model's validation end) against the population at ``as_of`` (customers as of that date; for
  the invoice model, invoices issued in the 90 days before it);
* back-test: realised against predicted late rate by month and grade on the matured rows after
  the model's validation end (never seen in training), with the Jeffreys test;
* grade migration against the previous run's grades (``grades.csv`` in the output folder);
* alerts past ``PSI_ALERT`` and underestimated back-test cells; report, plot and an MLflow run.
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
    lines = [f"# {title}", ""]
    lines += [
        "## Population stability", "",
        f"PSI of the score: {result['score_psi']:.4f}. Thresholds: stable below {PSI_WARN}, "
        f"watch up to {PSI_ALERT}, alert above.", "",
        *markdown_table(result["psi"].round(4)), "",
        "![PSI](psi.png)", "",
        "## Back-test by month and grade (rows after the validation window)", "",
        *markdown_table(result["backtest"].round(4)), "",
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


def _plot_psi(psi: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = psi.head(20).iloc[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(top) + 1.5))
    ax.barh(top["variable"], top["psi"], color="tab:blue")
    for x, style in ((PSI_WARN, ":"), (PSI_ALERT, "--")):
        ax.axvline(x, color="tab:red", linestyle=style)
    ax.set_xlabel("population stability index")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


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
    after = ((data.as_of >= valid_end) & (data.matured_on <= data.cutoff)).to_numpy()
    backtest = backtest_by_month_and_grade(
        data.as_of[after].dt.strftime("%Y-%m"),
        data.y[after],
        model.predict_proba(data.frame[after]),
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
    _plot_psi(psi, out / "psi.png")
    measured = {
        "psi": psi,
        "score_psi": score_psi,
        "backtest": backtest,
        "migration": migration,
        "alerts": found,
    }
    title = f"Monitoring of {registry.MODEL_NAMES[level]} v{model.metadata.get('model_version', '?')} as of {pd.Timestamp(as_of).date()}"
    report = _report(measured, out, title)
    with registry.training_run(store, level, f"monitor-{pd.Timestamp(as_of).date()}") as run:
        mlflow.set_tag("kind", "monitor")
        mlflow.log_metrics({"score_psi": score_psi, "n_alerts": float(len(found))})
        mlflow.log_metrics({f"psi_{r.variable}": float(r.psi) for r in psi.itertuples()})
        mlflow.log_artifacts(str(out), artifact_path="monitor")
    return MonitorResult(psi, score_psi, backtest, migration, found, report, run.info.run_id)
