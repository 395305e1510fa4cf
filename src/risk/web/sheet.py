"""The customer sheet (fiche client): identity, grade history, reasons, limit, open items,
reminders, legal events, from the pages' snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from risk.scoring import UnknownEntityError
from risk.web.actions import CollectionAction
from risk.web.lookup import ledger_rows, rows_of, rows_of_any
from risk.web.state import Snapshot

IDENTITY = ("siren", "naf_code", "employees", "legal_form", "group_id", "country", "created_on")


@dataclass(frozen=True)
class Sheet:
    customer_id: str
    name: str
    identity: dict[str, Any]
    sector: str
    score: pd.Series  # score_customers row (probability, grade, limits, rules)
    reasons_en: list[str]
    reasons_fr: list[str]
    row: pd.Series | None  # web worklist row (next action), None without open invoices
    items: pd.DataFrame  # the customer's invoice worklist rows, most urgent first
    reminders: pd.DataFrame  # invoice_id, sent_on, step, channel, outcome, promised_on
    actions: list[CollectionAction]
    legal_events: pd.DataFrame
    history: pd.DataFrame | None  # month_end, probability, grade

    @property
    def total_open(self) -> float:
        return float(self.items["open_amount"].sum()) if len(self.items) else 0.0

    @property
    def total_penalties(self) -> float:
        if self.items.empty:
            return 0.0
        return float(
            self.items["interest"].fillna(0).sum() + self.items["indemnity"].fillna(0).sum()
        )


def _split(text: Any) -> list[str]:
    return [part for part in str(text or "").split("; ") if part]


def customer_sheet(snap: Snapshot, customer_id: str, actions: list[CollectionAction]) -> Sheet:
    """The sheet of one customer.

    Raises:
        UnknownEntityError: the id is not in the ledger.
    """
    found = ledger_rows(snap.ledger, "customers", customer_id)
    if found is None:
        found = rows_of(snap.ledger.customers, "customer_id", customer_id)
    if found.empty:
        raise UnknownEntityError(f"unknown customer_id: {customer_id}")
    info = found.iloc[0].drop("customer_id")
    items = rows_of(snap.invoices, "customer_id", customer_id).sort_values(
        ["days_past_due", "invoice_id"], ascending=[False, True]
    )
    row = snap.customers.loc[customer_id] if customer_id in snap.customers.index else None
    assert row is None or isinstance(row, pd.Series)  # unique index: one row
    ledger = snap.ledger
    base = snap.base or ledger  # recorded actions are listed apart, not as reminder rows
    if base.reminders is not None:
        reminders = ledger_rows(base, "reminders", customer_id)  # same invoices as ``ledger``
        if reminders is None:
            mine = rows_of(ledger.invoices, "customer_id", customer_id)["invoice_id"]
            reminders = rows_of_any(base.reminders, "invoice_id", mine)
        reminders = reminders.sort_values("sent_on", ascending=False)
    else:
        reminders = pd.DataFrame(columns=["invoice_id", "sent_on", "step", "channel", "outcome"])
    events = ledger.legal_events
    if events is not None:
        found_events = ledger_rows(ledger, "legal_events", customer_id)
        if found_events is None:
            found_events = rows_of(events, "customer_id", customer_id)
        events = found_events.sort_values("published_on", ascending=False)
    else:
        events = pd.DataFrame(columns=["published_on", "kind", "source"])
    history = None
    if snap.history is not None:
        history = rows_of(snap.history, "customer_id", customer_id).sort_values("month_end")
    score = snap.scores.loc[customer_id]
    assert isinstance(score, pd.Series)
    # the customer's reasons: its worklist row's, else the cached score's (service cache)
    source = row if row is not None else score
    reasons_en = _split(source.get("customer_reasons_en", source.get("reasons_en")))
    reasons_fr = _split(source.get("customer_reasons_fr", source.get("reasons_fr")))
    return Sheet(
        customer_id=customer_id,
        name=str(info.get("name", "") or ""),
        identity={k: info.get(k) for k in IDENTITY if k in info.index},
        sector=str(snap.sections.get(customer_id, "") or ""),
        score=score,
        reasons_en=reasons_en,
        reasons_fr=reasons_fr,
        row=row,
        items=items,
        reminders=reminders,
        actions=actions,
        legal_events=events,
        history=history,
    )
