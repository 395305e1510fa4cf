"""Score the invoices open at a date with the payment-timing model: the one scoring step shared
by ``Scorer.score_invoices``, the evaluation at past dates and the cash-in forecast."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.explain import Reason, reasons_text, top_reasons
from risk.features import FeatureConfig
from risk.ledger import Ledger
from risk.lookup import positions_in
from risk.model.bundle import RiskModel
from risk.timing.hazard import PAIR_FEATURES, expand, outcomes
from risk.timing.outcomes import frozen_at_snapshot, with_known_losses
from risk.timing.predict import (
    RANK_LATE_AFTER_DAYS,
    UNPAID_WEEKS,
    WEEK,
    expected_days,
    timing_columns,
)
from risk.timing.snapshots import open_invoice_queries, snapshot_features


@dataclass(frozen=True)
class OpenInvoiceScores:
    """Open invoices at ``as_of`` with their features, weekly continuation and columns.

    Attributes:
        as_of: the scoring date.
        frame: snapshot features (one row per open invoice).
        q: continuation probabilities, shape (rows, weeks).
        lost: P(lost | leaves in week k), same shape (None: no lost outcome).
        scores: ``invoice_id, customer_id, due_on, open_amount, days_past_due`` and the
            columns of ``risk.timing.predict.timing_columns`` plus ``expected_days``.
    """

    as_of: pd.Timestamp
    frame: pd.DataFrame
    q: np.ndarray
    scores: pd.DataFrame
    lost: np.ndarray | None = None


def feature_config(model: RiskModel) -> FeatureConfig:
    """The feature parameters the model was trained with."""
    return FeatureConfig(
        late_after_days=int(model.metadata.get("late_after_days", 30)),
        horizon_days=int(model.metadata.get("horizon_days", 180)),
    )


def known_outcomes(model: RiskModel, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The model's ``(q, lost)`` of each snapshot row, with the invoices already frozen by a
    proceeding published since their issue date lost for certain (``risk.timing.outcomes``):
    the hazard learns them from few, lightly weighted rows and gave a liquidated customer's
    invoice, 552 days past due, 97 % chance of being paid within 13 weeks."""
    q, lost = outcomes(model, frame)
    return with_known_losses(q, lost, frozen_at_snapshot(frame))


def score_open_invoices(
    model: RiskModel,
    ledger: Ledger,
    as_of: pd.Timestamp,
    invoice_ids: list[str] | None = None,
) -> OpenInvoiceScores:
    """Every invoice open at ``as_of`` (or those of ``invoice_ids`` that are) scored.

    The open amount is the invoice amount times its open share at ``as_of`` (payments and
    credit notes dated before ``as_of``: the features' clock).
    """
    as_of = pd.Timestamp(as_of)
    queries = open_invoice_queries(ledger, as_of)
    if invoice_ids is not None:
        queries = queries[queries["invoice_id"].isin(invoice_ids)].reset_index(drop=True)
    frame = snapshot_features(ledger, queries, feature_config(model)).reset_index(drop=True)
    q, lost = known_outcomes(model, frame)
    return _open_scores(model, ledger, as_of, frame, q, lost)


def _open_scores(
    model: RiskModel,
    ledger: Ledger,
    as_of: pd.Timestamp,
    frame: pd.DataFrame,
    q: np.ndarray,
    lost: np.ndarray | None,
) -> OpenInvoiceScores:
    """The ``OpenInvoiceScores`` of snapshot rows at ``as_of`` already scored (``q, lost``)."""
    due = ledger.invoices.set_index("invoice_id")["due_on"]
    open_amount = (frame["invoice_amount"] * frame["open_share"]).to_numpy(dtype="float64")
    dpd = frame["days_past_due"].to_numpy(dtype="float64")
    late_after = int(model.metadata.get("late_after_days", 30))
    columns = timing_columns(q, as_of, dpd, open_amount, late_after, lost)
    scores = pd.DataFrame(
        {
            "invoice_id": frame["invoice_id"].astype("str"),
            "customer_id": frame["customer_id"].astype("str"),
            "due_on": frame["invoice_id"].map(due).to_numpy(),
            "open_amount": open_amount,
            "days_past_due": dpd.astype("int64"),
        }
    )
    scores = pd.concat([scores, columns], axis=1)
    scores["expected_days"] = expected_days(q) if len(q) else np.zeros(0)
    return OpenInvoiceScores(as_of, frame, q, scores, lost)


def reason_week(days_past_due: np.ndarray, weeks: int) -> np.ndarray:
    """The week whose payment the reasons explain: the week the invoice would pass 60 days
    past due (the ranking event), or the 13th week once it is past it."""
    dpd = np.asarray(days_past_due, dtype="float64")
    week = np.floor((RANK_LATE_AFTER_DAYS + 1 - dpd) / WEEK)
    return np.clip(np.where(dpd > RANK_LATE_AFTER_DAYS, UNPAID_WEEKS - 1, week), 0, weeks - 1)


def timing_reasons(model: RiskModel, frame: pd.DataFrame, top: int) -> list[list[Reason]]:
    """Reason codes of each open invoice, computed on its snapshot row (so "19 days past due",
    "2 reminders sent" can be reasons) at the week of ``reason_week``; the pair features
    (weeks ahead) are technical and left out. Positive contributions push towards unpaid."""
    if frame.empty:
        return []
    weeks = int(model.metadata.get("weeks", 26))
    week = reason_week(frame["days_past_due"].to_numpy(), weeks).astype(np.int64)
    inputs = expand(model, frame, np.arange(len(frame)), week)
    found = top_reasons(model, inputs, top=top + len(PAIR_FEATURES))
    kept = [[r for r in row if r.feature not in PAIR_FEATURES] for row in found]
    ups = [[r for r in row if r.direction == "up"][:top] for row in kept]
    downs = [[r for r in row if r.direction == "down"][:top] for row in kept]
    return [u + d for u, d in zip(ups, downs, strict=True)]


def invoice_scores(
    model: RiskModel,
    ledger: Ledger,
    items: pd.DataFrame,
    as_of: pd.Timestamp,
    explain: bool,
    top: int = 3,
) -> pd.DataFrame:
    """``items`` (open invoices with ``invoice_id, open_amount``) with the timing columns and
    reasons: the body of ``Scorer.score_invoices``."""
    return invoice_and_book_scores(model, ledger, items, as_of, explain, top, book=False)[0]


def invoice_and_book_scores(
    model: RiskModel,
    ledger: Ledger,
    items: pd.DataFrame,
    as_of: pd.Timestamp,
    explain: bool,
    top: int = 3,
    book: bool = True,
) -> tuple[pd.DataFrame, OpenInvoiceScores | None]:
    """``invoice_scores`` and, with ``book``, every invoice open at ``as_of`` in ``ledger`` as
    ``score_open_invoices`` scores it (the cash-in forecast's input), from one scoring.

    With ``book`` the snapshot features and the weekly continuation are computed once for the
    invoices open at ``as_of`` (issued on or before it: a superset of ``items``, which are open
    invoices issued before it) and the items' rows are taken from them: a row's features and
    outcomes depend on that row alone, so both results are those of two separate scorings
    (tested). The batch's chunks score their open invoices once instead of twice.

    Raises:
        ValueError: with ``book``, an item is not open at ``as_of``.
    """
    as_of = pd.Timestamp(as_of)
    ids = items["invoice_id"].to_numpy()
    queries = (
        open_invoice_queries(ledger, as_of)
        if book
        else pd.DataFrame({"invoice_id": ids, "as_of": as_of})
    )
    frame = snapshot_features(ledger, queries, feature_config(model)).reset_index(drop=True)
    q, lost = known_outcomes(model, frame)
    opened = None
    if book:
        opened = _open_scores(model, ledger, as_of, frame, q, lost)
        rows = positions_in(ids, opened.scores["invoice_id"])  # Arrow's hash table
        if (rows < 0).any():
            raise ValueError(f"invoice(s) not open at {as_of.date()}: {list(ids[rows < 0][:10])}")
        frame = frame.take(rows).reset_index(drop=True)
        q, lost = q[rows], None if lost is None else lost[rows]
    dpd = frame["days_past_due"].to_numpy(dtype="float64")
    late_after = int(model.metadata.get("late_after_days", 30))
    open_amount = items["open_amount"].to_numpy(dtype="float64")
    columns = timing_columns(q, as_of, dpd, open_amount, late_after, lost)
    reasons = timing_reasons(model, frame, top) if explain else [[] for _ in range(len(frame))]
    scores = pd.concat([items.reset_index(drop=True), columns], axis=1).assign(
        as_of=as_of,
        reasons_en=[reasons_text(r, "en") for r in reasons],
        reasons_fr=[reasons_text(r, "fr") for r in reasons],
        reasons=pd.Series(reasons, dtype="object"),
    )
    return scores, opened
