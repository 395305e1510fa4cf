"""Evaluation that matches use: every invoice open at past scoring dates, by days-past-due bucket.

At each scoring date ``d`` every open invoice is scored as of ``d`` and compared with what
happened next, as known at the data cut-off: late (paid more than L days after due, or still
unpaid L days after it; unknown outcomes left out), very late (L = 60), unpaid 13 weeks after
``d``, payment date. Metrics: AUC, Brier, mean predicted vs realised per bucket (not yet due,
1-30, 31-60, 61-90, > 90 days past due), the capture of the very-late amount in the top 10 % of
open amount, and the concordance of the predicted payment dates (Harrell's C, censored at the
cut-off). The issue-date model, scored on the same rows, is the comparison.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("not yet due", -np.inf, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("> 90", 91, np.inf),
)
TOP_SHARE = 0.10
CONCORDANCE_SAMPLE = 2000


def dpd_bucket(days_past_due: np.ndarray) -> np.ndarray:
    """Bucket label of each days-past-due value."""
    dpd = np.asarray(days_past_due, dtype="float64")
    out = np.full(len(dpd), "", dtype=object)
    for label, lo, hi in BUCKETS:
        out[(dpd >= lo) & (dpd <= hi)] = label
    return out


def realised_outcomes(
    rows: pd.DataFrame, cutoff: pd.Timestamp, late_after_days: int
) -> pd.DataFrame:
    """What happened to each scored row, as known at ``cutoff`` (first day not in the data).

    Args:
        rows: ``as_of``, ``due_on``, ``paid_on`` (NaT while unpaid).

    Returns:
        ``late`` / ``very_late`` / ``unpaid_13w`` as float (NaN when not known yet),
        ``paid_days`` (days from ``as_of`` to payment, or to ``cutoff`` when censored) and
        ``paid_known``.
    """
    paid = rows["paid_on"].where(rows["paid_on"] < cutoff)
    known_paid = paid.notna().to_numpy()
    days_late = (paid - rows["due_on"]).dt.days.to_numpy(dtype="float64", na_value=np.nan)

    def late_after(days: int) -> np.ndarray:
        matured = (cutoff > rows["due_on"] + pd.Timedelta(days=days)).to_numpy()
        value = np.where(known_paid, days_late > days, True).astype("float64")
        return np.where(known_paid | matured, value, np.nan)

    horizon = rows["as_of"] + pd.Timedelta(days=91)
    unpaid = np.where(known_paid, (paid >= horizon).to_numpy(), True).astype("float64")
    unpaid_known = known_paid | (cutoff >= horizon).to_numpy()
    end = paid.fillna(cutoff)
    return pd.DataFrame(
        {
            "late": late_after(late_after_days),
            "very_late": late_after(60),
            "unpaid_13w": np.where(unpaid_known, unpaid, np.nan),
            "paid_days": (end - rows["as_of"]).dt.days.to_numpy(dtype="float64"),
            "paid_known": known_paid,
        },
        index=rows.index,
    )


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def binary_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, Brier, mean predicted and realised rate on the rows whose outcome is known."""
    known = ~np.isnan(y)
    y, p = y[known], p[known]
    if len(y) == 0:
        return {
            "n": 0.0,
            "auc": np.nan,
            "brier": np.nan,
            "mean_predicted": np.nan,
            "realised": np.nan,
        }
    return {
        "n": float(len(y)),
        "auc": _auc(y, p),
        "brier": float(np.mean((p - y) ** 2)),
        "mean_predicted": float(np.mean(p)),
        "realised": float(np.mean(y)),
    }


def capture_top_amount(score: np.ndarray, amount: np.ndarray, target: np.ndarray) -> float:
    """Share of the target amount (open amount of rows with ``target`` 1) held by the
    highest-scored rows making up the first ``TOP_SHARE`` of the open amount."""
    known = ~np.isnan(target)
    score, amount, target = score[known], amount[known], target[known]
    total = float((amount * target).sum())
    if total <= 0:
        return float("nan")
    order = np.argsort(-score, kind="stable")
    cumulative = np.cumsum(amount[order])
    chosen = order[cumulative <= TOP_SHARE * amount.sum()]
    return float((amount[chosen] * target[chosen]).sum() / total)


def concordance(predicted_days: np.ndarray, observed_days: np.ndarray, event: np.ndarray,
                seed: int = 0) -> float:  # fmt: skip
    """Harrell's C of predicted payment delays: among comparable pairs (the earlier observed
    one was paid), the share where the earlier payer was predicted to pay earlier (ties 1/2)."""
    n = len(predicted_days)
    if n > CONCORDANCE_SAMPLE:
        keep = np.random.default_rng(seed).choice(n, CONCORDANCE_SAMPLE, replace=False)
        predicted_days, observed_days, event = (
            predicted_days[keep],
            observed_days[keep],
            event[keep],
        )
    t_i, t_j = observed_days[:, None], observed_days[None, :]
    comparable = (t_i < t_j) & event[:, None]
    p_i, p_j = predicted_days[:, None], predicted_days[None, :]
    agree = np.where(p_i < p_j, 1.0, np.where(p_i == p_j, 0.5, 0.0))
    pairs = comparable.sum()
    return float((agree * comparable).sum() / pairs) if pairs else float("nan")


def bucket_table(scored: pd.DataFrame, models: dict[str, str], target: str) -> pd.DataFrame:
    """Per model and days-past-due bucket (and ``all``): metrics of column ``target``."""
    rows = []
    buckets = dpd_bucket(scored["days_past_due"].to_numpy())
    for name, column in models.items():
        for label in ["all", *(b[0] for b in BUCKETS)]:
            chosen = np.ones(len(scored), bool) if label == "all" else buckets == label
            y = scored.loc[chosen, target].to_numpy(dtype="float64")
            p = scored.loc[chosen, column].to_numpy(dtype="float64")
            rows.append({"model": name, "bucket": label, **binary_metrics(y, p)})
    return pd.DataFrame(rows)


def days_past_due_rank(days_past_due: np.ndarray, open_amount: np.ndarray) -> np.ndarray:
    """The ranking without any model, for scale: open amount x (days past due + 1). Every
    invoice before its due date scores below 0, under every invoice due or overdue; among
    these, the old and large first."""
    dpd = np.asarray(days_past_due, dtype="float64")
    return np.asarray(open_amount, dtype="float64") * (dpd + 1.0)


def headline(
    scored: pd.DataFrame, issue_column: str | None, truth_very_late_column: str | None = None
) -> dict[str, float]:
    """The metrics logged to MLflow and gated on (pooled over the scoring dates).

    ``truth_very_late_column``: the generator's P(> 60 days late | open at the date) of each
    row (generated ledgers): the capture that the same ranking rule (P x open amount) reaches
    with the true probabilities, the ceiling against which the model's capture is read.
    """
    late = scored["late"].to_numpy(dtype="float64")
    out = {
        f"test_{k}": v for k, v in binary_metrics(late, scored["probability"].to_numpy()).items()
    }
    amount = scored["open_amount"].to_numpy(dtype="float64")
    very_late = scored["very_late"].to_numpy(dtype="float64")
    # the worklist's own order (``expected_at_risk``, ``risk.timing.predict.at_risk_probability``:
    # open amount x P(> 60 days late and still unpaid in two weeks))
    at_risk = scored["expected_at_risk"].to_numpy(dtype="float64")
    out["test_capture_very_late_top10"] = capture_top_amount(at_risk, amount, very_late)
    out["test_capture_very_late_top10_p_late_60"] = capture_top_amount(
        scored["p_late_60"].to_numpy() * amount, amount, very_late
    )
    # the same among the invoices not yet 60 days past due, whose very-late outcome is still a
    # forecast (an invoice past it is very late for certain: the ledger, not a model, says so)
    ahead = scored["days_past_due"].to_numpy(dtype="float64") <= 60
    out["test_capture_very_late_top10_not_yet_60"] = capture_top_amount(
        at_risk[ahead], amount[ahead], very_late[ahead]
    )
    out["naive_days_past_due_capture_very_late_top10"] = capture_top_amount(
        days_past_due_rank(scored["days_past_due"].to_numpy(), amount), amount, very_late
    )
    if truth_very_late_column is not None:
        p_truth = scored[truth_very_late_column].to_numpy(dtype="float64")
        known = ~np.isnan(p_truth)
        out["truth_capture_very_late_top10"] = capture_top_amount(
            p_truth[known] * amount[known], amount[known], very_late[known]
        )
        out["truth_capture_very_late_top10_not_yet_60"] = capture_top_amount(
            p_truth[known & ahead] * amount[known & ahead],
            amount[known & ahead],
            very_late[known & ahead],
        )
    out["test_concordance_paid_on"] = concordance(
        scored["expected_days"].to_numpy(),
        scored["paid_days"].to_numpy(),
        scored["paid_known"].to_numpy(dtype=bool),
    )
    unpaid = scored["unpaid_13w"].to_numpy(dtype="float64")
    out["test_unpaid_13w_auc"] = binary_metrics(unpaid, scored["p_unpaid_13w"].to_numpy())["auc"]
    if issue_column is not None:
        p_issue = scored[issue_column].to_numpy(dtype="float64")
        issue = binary_metrics(late, p_issue)
        out.update({f"issue_model_{k}": v for k, v in issue.items() if k != "n"})
        out["issue_model_capture_very_late_top10"] = capture_top_amount(
            p_issue * amount, amount, very_late
        )
        out["issue_model_capture_very_late_top10_not_yet_60"] = capture_top_amount(
            p_issue[ahead] * amount[ahead], amount[ahead], very_late[ahead]
        )
    return out
