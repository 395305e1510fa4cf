"""The batch summary's monitoring section: drift of the customer model since its training.

The model carries the binned distribution of its score and of each input over its training
window (``metadata["reference_profile"]``, written by ``risk train``), so a batch run measures
the population stability index without rebuilding the training frame: the score of every
customer scored, and the inputs of a deterministic sample of them (``SAMPLE_CUSTOMERS``)
rebuilt as of the run's date. Thresholds are those of ``risk.monitor.drift`` (``PSI_WARN``
0.10, ``PSI_ALERT`` 0.25); ``risk monitor`` adds the back-test, the grade migration and an
MLflow run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from risk.ledger import Ledger, subset_ledger
from risk.monitor.drift import PSI_ALERT, PSI_WARN, profile_psi

if TYPE_CHECKING:
    from risk.scoring import Scorer

SAMPLE_CUSTOMERS = 2_000
TOP_FEATURES = 10


def monitoring_section(
    ledger: Ledger, as_of: pd.Timestamp, scorer: Scorer, probabilities: pd.Series | np.ndarray
) -> dict[str, object]:
    """JSON-able drift figures of ``model`` as of ``as_of`` against its training window.

    Args:
        ledger: the ledger scored.
        as_of: the run's date.
        scorer: the models that scored it (its customer late-payment model is monitored, its
            feature path rebuilds the sample's inputs).
        probabilities: its probability for every customer scored.

    Returns:
        ``score_psi``, ``top_features`` (the largest input PSIs with their status), ``alerts``
        (messages past ``PSI_ALERT``) and the thresholds; only ``status`` when the model was
        registered without a reference profile.
    """
    model = scorer.customer_model
    profile = model.metadata.get("reference_profile")
    version = model.metadata.get("model_version", "?")
    if not profile:
        return {"status": f"customer model v{version} has no reference profile: retrain it"}
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
        if r.psi > PSI_ALERT
    ]
    if score_psi > PSI_ALERT:
        alerts.insert(0, f"score: population stability index {score_psi:.3f} > {PSI_ALERT}")
    return {
        "model": f"customer v{version}",
        "reference": "training window (rows before "
        f"{model.metadata.get('windows', {}).get('valid_end', '?')})",
        "customers_profiled": len(frame),
        "score_psi": round(score_psi, 4),
        "top_features": [
            {"variable": r.variable, "psi": round(float(r.psi), 4), "status": r.status}
            for r in table.head(TOP_FEATURES).itertuples()
        ],
        "alerts": alerts,
        "thresholds": {"watch": PSI_WARN, "alert": PSI_ALERT},
    }
