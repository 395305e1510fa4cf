"""E-invoicing lifecycle statuses as dated facts (the ``invoice_statuses`` table).

A status is known at ``t`` when it is dated strictly before ``t``, like every fact. Two levels:

* **customer** (every model, the invoice model included): how often the customer disputed,
  suspended or refused invoices on its platform in the history window, and how many days it
  took on average to approve the invoices it approved in that window;
* **snapshot** (the open-invoice rows of the payment-timing model): whether the invoice is
  blocked at ``t`` (its latest decisive status is disputed, suspended or refused; a later
  approval, completion, payment transmitted or cashed status unblocks it; statuses of the same
  day are ordered by :data:`SAME_DAY_RANK`), how many days its approval took, and whether the
  buyer's platform said the payment was transmitted (cash imminent). The dunning decisions read
  the same latest decisive status (:func:`latest_status_at`).

Without the table the features are left out (``missing_features``); a ledger with the table
but no status for an invoice gives 0 / missing, the value of "nothing said yet".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries, positions_in
from risk.features.spec import FeatureSpec
from risk.features.spec_helpers import window_words
from risk.features.timeline import EventIndex, to_days
from risk.ledger import Ledger

FAMILY = "invoice_status"
NEEDS = ("invoice_statuses.invoice_id", "invoice_statuses.status", "invoice_statuses.status_on")
BLOCKING = ("disputed", "suspended", "refused")
UNBLOCKING = ("approved", "partially_approved", "completed", "payment_transmitted", "cashed")
APPROVALS = ("approved", "partially_approved")
#: order of decisive statuses set on the same day (the last one counts): an approval, then a
#: dispute, then the payment transmitted, then cashed.
SAME_DAY_RANK = {"approved": 0, "partially_approved": 0, "completed": 0,
                 "disputed": 1, "suspended": 1, "refused": 1,
                 "payment_transmitted": 2, "cashed": 3}  # fmt: skip


def _spec(name: str, direction: int, texts: tuple[str, str, str, str], level: str) -> FeatureSpec:
    return FeatureSpec(
        name, FAMILY, texts[0], texts[1], direction, "numeric", NEEDS, texts[2], texts[3],
        level=level,  # type: ignore[arg-type]
    )  # fmt: skip


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The e-invoicing status features for ``config`` (customer, then snapshot level)."""
    w = window_label(config.history_window_days)
    we, wf = window_words(config.history_window_days)
    return (
        _spec(f"n_status_disputes_{w}", 1, (
            f"Invoices the customer disputed, suspended or refused on its e-invoicing platform "
            f"in the last {we}.",
            f"Factures contestées, suspendues ou refusées par le client sur sa plateforme de "
            f"facturation électronique sur les {wf}.",
            "{value:.0f} invoice(s) disputed on the e-invoicing platform",
            "{value:.0f} facture(s) contestée(s) sur la plateforme de facturation",
        ), "customer"),
        _spec(f"approval_days_mean_{w}", 1, (
            f"Mean days from invoice date to approval (status 205) of the invoices the customer "
            f"approved in the last {we} (missing: none).",
            f"Délai moyen en jours entre la date de facture et l'approbation (statut 205) des "
            f"factures approuvées par le client sur les {wf} (vide : aucune).",
            "invoices approved after {value:.0f} days on average",
            "factures approuvées en {value:.0f} jours en moyenne",
        ), "customer"),
        _spec("status_disputed", 1, (
            "1 if the invoice is disputed, suspended or refused on the e-invoicing platform at "
            "the as-of date (no later approval or payment status).",
            "1 si la facture est en litige, suspendue ou refusée sur la plateforme à la date "
            "d'observation (sans approbation ni paiement depuis).",
            "invoice disputed on the e-invoicing platform",
            "facture en litige sur la plateforme de facturation",
        ), "snapshot"),
        _spec("days_to_approval", 1, (
            "Days from the invoice date to its approval (status 205) when approved before the "
            "as-of date (missing: not approved yet).",
            "Jours entre la date de facture et son approbation (statut 205) si elle est "
            "approuvée avant la date d'observation (vide : pas encore).",
            "invoice approved {value:.0f} days after its date",
            "facture approuvée {value:.0f} jours après sa date",
        ), "snapshot"),
        _spec("payment_transmitted", -1, (
            "1 if the buyer's platform reported the payment transmitted (status 211) before the "
            "as-of date: cash imminent.",
            "1 si la plateforme de l'acheteur a signalé le paiement transmis (statut 211) avant "
            "la date d'observation : encaissement imminent.",
            "payment transmitted by the buyer",
            "paiement transmis par l'acheteur",
        ), "snapshot"),
    )  # fmt: skip


def _events(timeline: LedgerTimeline) -> dict[str, np.ndarray] | None:
    """Statuses of known invoices: invoice position, customer code, day, status, issue day."""
    if not all(timeline.has(needed) for needed in NEEDS):
        return None
    table = timeline.ledger.invoice_statuses
    assert table is not None
    rows = positions_in(timeline.ledger.invoices["invoice_id"], table["invoice_id"])
    known = rows >= 0
    pos = timeline.positions_of_rows[rows[known]]
    return {
        "pos": pos,
        "code": timeline.invoices["code"].to_numpy()[pos],
        "day": to_days(table["status_on"])[known],
        "status": table["status"].to_numpy(dtype=object)[known],
        "issued": timeline.invoices["issued"].to_numpy()[pos],
    }


def compute_customer(timeline: LedgerTimeline, queries: Queries) -> dict[str, object]:
    """Customer-level status features of (customer, as-of day) queries (empty without table)."""
    events = _events(timeline)
    if events is None:
        return {}
    w = timeline.config.history_window_days
    label = window_label(w)
    blocking = np.isin(events["status"], BLOCKING)
    disputes = EventIndex(events["code"][blocking], events["day"][blocking])
    n_disputes = disputes.before(queries.codes, queries.days) - disputes.before(
        queries.codes, queries.days - w
    )
    approved = np.isin(events["status"], APPROVALS)
    lag = (events["day"] - events["issued"])[approved]
    approvals = EventIndex(events["code"][approved], events["day"][approved], {"lag": lag},
                           tiebreak=lag)  # fmt: skip
    start = approvals.start(queries.codes)
    hi = approvals.before(queries.codes, queries.days)
    lo = approvals.before(queries.codes, queries.days - w)
    total = approvals.window_sum("lag", lo, hi, start)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(hi > lo, total / np.maximum(hi - lo, 1), np.nan)
    return {
        f"n_status_disputes_{label}": n_disputes.astype(np.float64),
        f"approval_days_mean_{label}": mean,
    }


def compute_snapshot(
    timeline: LedgerTimeline, positions: np.ndarray, queries: Queries
) -> dict[str, object]:
    """Snapshot-level status features of the invoices at ``positions`` as of the query days."""
    events = _events(timeline)
    if events is None:
        return {}
    days = np.asarray(queries.days, dtype=np.int64)
    positions = np.asarray(positions, dtype=np.int64)
    status, pos, day = events["status"], events["pos"], events["day"]
    decisive = np.isin(status, BLOCKING + UNBLOCKING)
    blocks = np.isin(status, BLOCKING)[decisive].astype(np.int64)
    rank = np.array([SAME_DAY_RANK[v] for v in status[decisive]], dtype=np.int64)
    state = EventIndex(pos[decisive], day[decisive], {"blocks": blocks}, tiebreak=rank)
    hi = state.before(positions, days)
    last = state.values["blocks"][np.maximum(hi - 1, 0)] if len(state) else np.zeros(len(hi))
    disputed = np.where(hi > state.start(positions), last, 0).astype(np.float64)
    approved = np.isin(status, APPROVALS)
    approvals = EventIndex(pos[approved], day[approved])
    start = approvals.start(positions)
    first = approvals.first_day(approvals.before(positions, days), start)
    issued = timeline.invoices["issued"].to_numpy()[positions]
    sent = status == "payment_transmitted"
    transmitted = EventIndex(pos[sent], day[sent])
    n_sent = transmitted.before(positions, days) - transmitted.start(positions)
    return {
        "status_disputed": disputed,
        "days_to_approval": first - issued,
        "payment_transmitted": (n_sent > 0).astype(np.float64),
    }


def latest_status_at(ledger: Ledger, invoice_ids: pd.Series, as_of: pd.Timestamp) -> pd.DataFrame:
    """The latest decisive e-invoicing status of each invoice dated before ``as_of``.

    Returns:
        ``status`` (missing when none) and ``status_on``, indexed like ``invoice_ids``.
    """
    out = pd.DataFrame(
        {"status": pd.Series(pd.NA, index=invoice_ids.index, dtype="str"), "status_on": pd.NaT}
    )
    table = ledger.invoice_statuses
    if table is None or table.empty:
        return out
    known = table[(table["status_on"] < pd.Timestamp(as_of)).to_numpy()]
    known = known[known["status"].isin(list(SAME_DAY_RANK)).to_numpy()]
    ordered = known.assign(rank=known["status"].map(SAME_DAY_RANK)).sort_values(
        ["invoice_id", "status_on", "rank"], kind="stable"
    )
    last = ordered.groupby("invoice_id", sort=False).tail(1).set_index("invoice_id")
    if last.empty:  # nothing known yet (pandas maps through an empty Series as float64)
        return out
    out["status"] = invoice_ids.map(last["status"]).astype("str")
    out["status_on"] = pd.to_datetime(invoice_ids.map(last["status_on"]))
    return out
