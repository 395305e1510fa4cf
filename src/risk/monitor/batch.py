"""The batch summary's monitoring section: drift of the customer model since its training.

The model carries the binned distribution of its score and of each input over its training
window (``metadata["reference_profile"]``, written by ``risk train``), so a batch run measures
the population stability index without rebuilding the training frame: the score of every
customer scored, and the inputs of a deterministic sample of them (``SAMPLE_CUSTOMERS``)
rebuilt as of the run's date, and the grade migration of the customers since the previous
published run. Thresholds are those of ``risk.monitor.drift`` (``PSI_WARN`` 0.10,
``PSI_ALERT`` 0.25; the calendar inputs are ``seasonal``, never alerted); ``risk monitor`` adds
the back-test.

When the batch is given a tracking URI, :func:`log_monitoring_run` logs the same figures (PSI of
the score and of every profiled input, the migration shares, the alerts) as an MLflow run of the
customer model's experiment in that store, tagged with the as-of date and the model version.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

from risk.grades import GradeScale
from risk.ledger import Ledger, subset_ledger
from risk.monitor.drift import PSI_ALERT, PSI_WARN, grade_migration, profile_psi

if TYPE_CHECKING:
    from risk.registry import Store
    from risk.scoring import Scorer

SAMPLE_CUSTOMERS = 2_000
TOP_FEATURES = 10
PREVIOUS_SCORES = "customer_scores.parquet"


def previous_grades(previous_run: Path | None) -> pd.Series | None:
    """Grade per customer id of a published run folder (None: no run, or no grades in it)."""
    if previous_run is None or not (previous_run / PREVIOUS_SCORES).is_file():
        return None
    scores = pd.read_parquet(previous_run / PREVIOUS_SCORES, columns=None)
    if not {"customer_id", "grade"} <= set(scores.columns):
        return None
    return scores.set_index(scores["customer_id"].astype(str))["grade"]


def migration_section(
    previous: pd.Series | None, customers: pd.DataFrame, scale: GradeScale
) -> dict[str, object] | None:
    """Share of the customers of each previous grade found in each grade now (rows: previous
    grade, only grades held by someone), the customers graded both times and the share that
    kept its grade; None without a previous run."""
    if previous is None or "grade" not in customers:
        return None
    current = customers.set_index(customers["customer_id"].astype(str))["grade"]
    shares = grade_migration(previous, current, scale)
    both = previous.index.intersection(current.index)
    same = float((previous[both] == current[both]).mean()) if len(both) else float("nan")
    held = shares.dropna(how="all")
    return {
        "customers_in_both_runs": len(both),
        "unchanged_share": round(same, 4) if np.isfinite(same) else None,
        "matrix": {
            str(g): {str(h): round(float(v), 4) for h, v in row.items()}
            for g, row in held.iterrows()
        },
    }


def monitoring_section(
    ledger: Ledger,
    as_of: pd.Timestamp,
    scorer: Scorer,
    customers: pd.DataFrame,
    previous: pd.Series | None = None,
) -> dict[str, object]:
    """JSON-able drift figures of the customer model as of ``as_of`` against its training
    window, and the grade migration since the previous run.

    Args:
        ledger: the ledger scored.
        as_of: the run's date.
        scorer: the models that scored it (its customer late-payment model is monitored, its
            feature path rebuilds the sample's inputs).
        customers: the customer scores of the run (``customer_id``, ``probability``,
            ``grade``).
        previous: grade per customer id of the previous published run (None: first run).

    Returns:
        ``score_psi``, ``feature_psi`` (every profiled input, largest first, with its status),
        ``top_features`` (the largest ones), ``grade_migration`` (None on a first run),
        ``alerts`` (messages past ``PSI_ALERT``) and the thresholds; only ``status`` and the
        migration when the model was registered without a reference profile.
    """
    model = scorer.customer_model
    profile = model.metadata.get("reference_profile")
    version = model.metadata.get("model_version", "?")
    migration = migration_section(previous, customers, scorer.scale)
    if not profile:
        return {
            "status": f"customer model v{version} has no reference profile: retrain it",
            "model_version": str(version),
            "grade_migration": migration,
        }
    probabilities = customers["probability"]
    ids = ledger.customers["customer_id"]
    if len(ids) > SAMPLE_CUSTOMERS:  # every k-th customer: deterministic, spread over the table
        ids = ids.iloc[np.linspace(0, len(ids) - 1, SAMPLE_CUSTOMERS).astype(int)]
    sample = [str(i) for i in ids]
    frame = scorer.customer_features(subset_ledger(ledger, sample), pd.Timestamp(as_of), sample)
    score_psi, table = profile_psi(
        profile, model.prepare(frame), np.asarray(probabilities, dtype=float)
    )
    alerts = [
        f"{r.variable}: population stability index {r.psi:.3f} > {PSI_ALERT}"
        for r in table.itertuples()
        if r.status == "alert"
    ]
    if score_psi > PSI_ALERT:
        alerts.insert(0, f"score: population stability index {score_psi:.3f} > {PSI_ALERT}")
    features = [
        {"variable": r.variable, "psi": round(float(r.psi), 4), "status": r.status}
        for r in table.itertuples()
    ]
    return {
        "model": f"customer v{version}",
        "model_version": str(version),
        "reference": "training window (rows before "
        f"{model.metadata.get('windows', {}).get('valid_end', '?')})",
        "customers_profiled": len(frame),
        "score_psi": round(score_psi, 4),
        "top_features": features[:TOP_FEATURES],
        "feature_psi": features,
        "grade_migration": migration,
        "alerts": alerts,
        "thresholds": {"watch": PSI_WARN, "alert": PSI_ALERT},
    }


def redacted_uri(uri: str) -> str:
    """``uri`` without its password, for logs and summaries.

    >>> redacted_uri("postgresql://risk:secret@db:5432/mlflow")
    'postgresql://risk:***@db:5432/mlflow'
    """
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def monitoring_metrics(section: dict[str, Any]) -> dict[str, float]:
    """The MLflow metrics of a :func:`monitoring_section`: ``score_psi``, ``psi_<input>``,
    ``n_alerts``, ``migration_unchanged_share`` and ``migration_<from>_to_<to>``."""
    metrics: dict[str, float] = {"n_alerts": float(len(section.get("alerts", [])))}
    if "score_psi" in section:
        metrics["score_psi"] = float(section["score_psi"])
    for row in section.get("feature_psi", []):
        metrics[f"psi_{row['variable']}"] = float(row["psi"])
    migration = section.get("grade_migration")
    if migration:
        if migration["unchanged_share"] is not None:
            metrics["migration_unchanged_share"] = float(migration["unchanged_share"])
        for before, row in migration["matrix"].items():
            for after, share in row.items():
                if np.isfinite(share):
                    metrics[f"migration_{before}_to_{after}"] = float(share)
    return metrics


def log_monitoring_run(
    store: Store, section: dict[str, Any], as_of: pd.Timestamp, batch_run_id: str
) -> str:
    """Log a batch run's monitoring as an MLflow run of the customer model's experiment in
    ``store`` (its tracking URI, never MLflow's default) and return the run id.

    Tags: ``kind=batch-monitor``, ``as_of`` (ISO date), ``model_version`` (the customer model
    monitored), ``batch_run_id``; metrics: :func:`monitoring_metrics`; artifact:
    ``monitoring/monitoring.json`` (the section as written in ``summary.json``).
    """
    from mlflow.entities import Metric, RunTag
    from mlflow.utils.time import get_current_time_millis

    from risk import registry

    client = store.client()
    day = pd.Timestamp(as_of).date().isoformat()
    tags = {
        "kind": "batch-monitor",
        "as_of": day,
        "model_version": str(section.get("model_version", "?")),
        "batch_run_id": batch_run_id,
        "mlflow.runName": f"batch-monitor-{day}",
    }
    run = client.create_run(registry.experiment_id(store, "customer"), tags=tags)
    run_id = run.info.run_id
    try:
        now = get_current_time_millis()
        metrics = [Metric(k, v, now, 0) for k, v in monitoring_metrics(section).items()]
        for start in range(0, len(metrics), 1000):  # MLflow's batch limit
            client.log_batch(run_id, metrics=metrics[start : start + 1000])
        client.log_batch(
            run_id, tags=[RunTag("alerts", "; ".join(section.get("alerts", []))[:5000])]
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "monitoring.json"
            path.write_text(json.dumps(section, indent=2, default=str), encoding="utf-8")
            client.log_artifact(run_id, str(path), artifact_path="monitoring")
    except Exception:
        client.set_terminated(run_id, status="FAILED")
        raise
    client.set_terminated(run_id)
    return run_id
