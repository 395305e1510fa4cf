"""The letter (or internal note) of a customer's next action, from the dunning templates of
``risk.decisions.messages``, for its most urgent invoice."""

from __future__ import annotations

from typing import Any

import pandas as pd

from risk.decisions.dunning import Action, InvoiceState
from risk.decisions.messages import render_message
from risk.decisions.penalties import late_payment_amounts
from risk.decisions.rates import RateTable
from risk.web.state import Snapshot


def _date(value: Any) -> Any:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def next_action_letter(
    snap: Snapshot, customer_id: str, lang: str, rates: RateTable
) -> tuple[str, str]:
    """(invoice id, text) of the letter of the customer's most urgent action.

    Raises:
        KeyError: the customer has no open invoice in the worklist.
    """
    row: Any = snap.customers.loc[customer_id]
    invoice_id = str(row["action_invoices"][0])
    item: Any = snap.invoices.set_index("invoice_id").loc[invoice_id]
    in_proceeding = item["action"] == "declare_claim"
    action = Action(
        code=str(item["action"]),
        label_en=str(item["action_en"]),
        label_fr=str(item["action_fr"]),
        due_date=_date(item["action_date"]),
        channel=str(item["channel"]),
        owner=str(item["owner"]),
        step=int(row["step"]) if row["action"] == item["action"] else 0,
        reason=str(item["action_reason"]),
        deadline=_date(item["deadline"]),
    )
    due_on = pd.Timestamp(item["due_on"]).date()
    invoice = InvoiceState(
        invoice_id=invoice_id,
        customer_id=customer_id,
        due_on=due_on,
        open_amount=float(item["open_amount"]),
        grade=str(item["grade"]),
        disputed=bool(item["disputed"]),
        in_proceeding=bool(in_proceeding),
        key_account=bool(item["key_account"]),
        top_reasons=tuple(p for p in str(item["customer_reasons_en"] or "").split("; ") if p),
    )
    amounts = late_payment_amounts(  # the same rules as the worklist's penalties
        invoice.open_amount,
        due_on,
        snap.as_of.date(),
        rates,
        proceeding_opened_on=_date(item.get("proceeding_published_on")),
        public_buyer=bool(item.get("public_buyer", False)),
    )
    return invoice_id, render_message(action, invoice, amounts, lang)
