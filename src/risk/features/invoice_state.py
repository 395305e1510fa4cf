"""The state of an open invoice at a date: age, lateness, what is still open, dunning so far.

These features describe an invoice *as it stands at the as-of date t* (an invoice issued weeks
ago, overdue, partly paid, reminded): they feed the payment-timing model (``risk.timing``),
trained on (invoice, snapshot) rows. Like every feature they use only facts dated strictly
before t: payments, credit notes and reminders dated on or after t are unknown at t. On the
invoice's issue date (age 0) they are 0 / 1 (nothing happened yet).

A dated dispute is a reminder whose outcome is ``dispute`` (see ``invoice.invoice_disputed``,
the one place to change when a dated ``disputes`` table exists); the ledger's ``disputed``
column is undated and never used here.
"""

from __future__ import annotations

import numpy as np

from risk.features.config import FeatureConfig
from risk.features.context import LedgerTimeline, Queries, positions_in
from risk.features.spec import FeatureSpec
from risk.features.timeline import NEVER, EventIndex, to_days

FAMILY = "invoice_state"
BASE = ("invoices.issued_on", "invoices.due_on", "invoices.amount")
REMINDER = ("reminders.invoice_id", "reminders.sent_on")


def _spec(
    name: str, direction: int, texts: tuple[str, str, str, str], needs: tuple[str, ...] = ()
) -> FeatureSpec:
    return FeatureSpec(
        name, FAMILY, texts[0], texts[1], direction, "numeric", BASE + needs, texts[2], texts[3],
        level="snapshot",
    )  # fmt: skip


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The invoice-state features (the same for every ``config``)."""
    del config
    return (
        _spec("days_since_issue", 0, (
            "Days from the invoice date to the as-of date.",
            "Jours entre la date de facture et la date d'observation.",
            "invoice issued {value:.0f} days ago",
            "facture émise il y a {value:.0f} jours",
        )),
        _spec("days_past_due", 0, (
            "Days past the due date at the as-of date (negative: days before it).",
            "Jours de retard à la date d'observation (négatif : jours avant l'échéance).",
            "{value:.0f} days past due",
            "{value:.0f} jours de retard",
        )),
        _spec("open_share", 0, (
            "Share of the invoice amount still open after the payments and credit notes "
            "dated before the as-of date.",
            "Part du montant de la facture encore due après les paiements et avoirs datés "
            "d'avant la date d'observation.",
            "{value:.0%} of the invoice still open",
            "{value:.0%} de la facture encore dû",
        )),
        _spec("n_reminders_sent", 1, (
            "Reminders sent for this invoice before the as-of date.",
            "Relances envoyées pour cette facture avant la date d'observation.",
            "{value:.0f} reminder(s) sent for this invoice",
            "{value:.0f} relance(s) envoyée(s) pour cette facture",
        ), REMINDER),
        _spec("last_reminder_step", 1, (
            "Step of the last reminder sent before the as-of date (0: none).",
            "Étape de la dernière relance envoyée avant la date d'observation (0 : aucune).",
            "last reminder at step {value:.0f}",
            "dernière relance à l'étape {value:.0f}",
        ), (*REMINDER, "reminders.step")),
        _spec("days_since_last_reminder", 0, (
            "Days since the last reminder of this invoice (missing: none sent).",
            "Jours depuis la dernière relance de cette facture (vide : aucune).",
            "last reminder {value:.0f} days ago",
            "dernière relance il y a {value:.0f} jours",
        ), REMINDER),
        _spec("promise_to_pay_pending", -1, (
            "1 if a promise to pay was made before the as-of date for a date not yet passed.",
            "1 si une promesse de paiement a été faite avant la date d'observation pour une "
            "date pas encore passée.",
            "promise to pay pending",
            "promesse de paiement en cours",
        ), (*REMINDER, "reminders.outcome", "reminders.promised_on")),
        _spec("n_promises_broken", 1, (
            "Promises to pay whose promised date passed before the as-of date, the invoice "
            "still open.",
            "Promesses de paiement dont la date promise est passée avant la date d'observation, "
            "la facture restant due.",
            "{value:.0f} broken promise(s) to pay",
            "{value:.0f} promesse(s) de paiement non tenue(s)",
        ), (*REMINDER, "reminders.outcome", "reminders.promised_on")),
    )  # fmt: skip


def _credited_before(
    timeline: LedgerTimeline, positions: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """Credit notes of each invoice dated before the query day (absolute amounts)."""
    notes = timeline.ledger.credit_notes
    if notes is None or "invoice_id" not in notes.columns:
        return np.zeros(len(positions))
    rows = positions_in(timeline.ledger.invoices["invoice_id"], notes["invoice_id"])
    linked = rows >= 0
    pos = timeline.positions_of_rows[rows[linked]]
    amount = np.abs(notes["amount"].to_numpy(dtype=np.float64)[linked])
    index = EventIndex(
        pos, to_days(notes["issued_on"])[linked], {"amount": amount}, tiebreak=amount
    )
    start = index.start(positions)
    return index.prefix("amount", index.before(positions, days), start)


def _paid_before(timeline: LedgerTimeline, positions: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Payments of each invoice dated before the query day (0 without a payments table)."""
    payments = timeline.payments
    if payments is None:
        return np.zeros(len(positions))
    start = payments.start(positions)
    return payments.prefix("amount", payments.before(positions, days), start)


def _reminder_values(
    timeline: LedgerTimeline, positions: np.ndarray, days: np.ndarray
) -> dict[str, np.ndarray]:
    rem = timeline.reminders
    if rem is None:
        return {}
    source = timeline.ledger.reminders
    known = rem["pos"].to_numpy() >= 0
    pos, sent = rem["pos"].to_numpy()[known], rem["sent"].to_numpy()[known]
    values: dict[str, np.ndarray] = {}
    step = None
    if source is not None and "step" in source.columns:
        step = source["step"].to_numpy(dtype=np.float64, na_value=0.0)[known]
        values["step"] = step
    index = EventIndex(pos, sent, values, tiebreak=step)
    start = index.start(positions)
    hi = index.before(positions, days)
    out = {
        "n_reminders_sent": (hi - start).astype(np.float64),
        "days_since_last_reminder": days - index.last_day(hi, start),
    }
    if step is not None:
        last = np.nan_to_num(index.window_max("step", start, hi), nan=0.0)
        out["last_reminder_step"] = last
    if source is not None and {"outcome", "promised_on"} <= set(source.columns):
        promised = to_days(source["promised_on"])[known]
        is_promise = (rem["outcome"].to_numpy()[known] == "promise_to_pay") & (promised < NEVER)
        chosen = (pos[is_promise], sent[is_promise], promised[is_promise])
        out.update(_promise_values(*chosen, positions, days))
    return out


def _promise_values(
    pos: np.ndarray, sent: np.ndarray, promised: np.ndarray, positions: np.ndarray, days: np.ndarray
) -> dict[str, np.ndarray]:
    """Pending and broken promises to pay at each query day."""
    made = EventIndex(pos, sent, {"promised": promised.astype(np.float64)})
    start = made.start(positions)
    latest = made.window_max("promised", start, made.before(positions, days))
    # a promise is broken at t once its date passed (promised < t), made before t of course
    broken = EventIndex(pos, np.maximum(sent, promised))
    n_broken = broken.before(positions, days) - broken.start(positions)
    return {
        "promise_to_pay_pending": (np.nan_to_num(latest, nan=-np.inf) >= days).astype(np.float64),
        "n_promises_broken": n_broken.astype(np.float64),
    }


def compute(timeline: LedgerTimeline, positions: np.ndarray, queries: Queries) -> dict[str, object]:
    """Invoice-state features of the invoices at ``positions`` as of the query days.

    Args:
        timeline: the prepared ledger.
        positions: invoice position (in ``timeline.invoices``) of each query.
        queries: (customer of the invoice, as-of day) pairs, aligned with ``positions``.

    Returns:
        Feature name -> float64 values aligned with ``queries``.
    """
    inv = timeline.invoices
    days = np.asarray(queries.days, dtype=np.int64)
    amount = inv["amount"].to_numpy()[positions]
    paid = _paid_before(timeline, positions, days)
    credited = _credited_before(timeline, positions, days)
    out: dict[str, object] = {
        "days_since_issue": (days - inv["issued"].to_numpy()[positions]).astype(np.float64),
        "days_past_due": (days - inv["due"].to_numpy()[positions]).astype(np.float64),
        "open_share": np.clip((amount - paid - credited) / amount, 0.0, 1.0),
    }
    out.update(_reminder_values(timeline, positions, days))
    return out
