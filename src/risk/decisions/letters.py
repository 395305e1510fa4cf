"""Letters a credit manager can send, and customer statements, as printable HTML.

One letter per customer and action: the creditor's details (``risk.decisions.creditor``), the
debtor's name and address when the customers table has them, the place and date, the invoices
concerned with their net open amount, days late, interest and indemnity, and the wording of the
action (private-law reminder, letter with penalties, formal notice; the public buyers' own
letters citing the Code de la commande publique; a proof of claim to the mandataire judiciaire;
a post-opening claim). Internal actions (phone calls, disputes, agency, court) get no letter.
Templates: ``templates/html/letter_<lang>.html.j2`` and ``statement_<lang>.html.j2`` (Jinja2,
autoescaped, ``StrictUndefined``).
"""

from __future__ import annotations

import logging
import math
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from risk.decisions.creditor import Creditor
from risk.decisions.messages import format_amount, format_date
from risk.decisions.statements import Statement

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates" / "html"
#: action code -> letter kind (actions not listed are internal: no letter).
LETTER_KINDS = {
    "courtesy_reminder": "courtesy",
    "email_reminder": "reminder",
    "second_email": "reminder",
    "letter_with_penalties": "penalties",
    "formal_notice": "formal_notice",
    "public_reminder": "public_reminder",
    "public_accountant_reminder": "public_accountant",
    "administrative_claim": "administrative_claim",
    "post_opening_claim": "post_opening",
    "declare_claim": "proof_of_claim",
}
_CUSTOMER_FIELDS = ("name", "address", "postcode", "city", "country", "email", "contact", "siren")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def customer_details(ledger_customers: pd.DataFrame, customer_id: str) -> dict[str, str]:
    """The debtor's name and address fields (empty strings when the ledger lacks them)."""
    row = ledger_customers.set_index("customer_id").loc[customer_id]
    return {"customer_id": customer_id} | {
        f: _text(row[f]) if f in row.index else "" for f in _CUSTOMER_FIELDS
    }


def _money(value: float, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "non calculé" if lang == "fr" else "not computed"
    return format_amount(float(value), lang)


def letter_context(
    rows: pd.DataFrame, debtor: dict[str, str], creditor: Creditor, as_of: date, lang: str
) -> dict[str, Any]:
    """What a letter template receives: parties, place and date, invoices and totals."""
    lines, total_interest = [], 0.0
    for row in rows.itertuples(index=False):
        interest = row.interest
        total_interest += 0.0 if pd.isna(interest) else float(interest)
        claimed = getattr(row, "amount_to_chase", row.open_amount)  # a disputed part is not
        owed = claimed + (0.0 if pd.isna(interest) else interest) + row.indemnity
        lines.append(
            {
                "invoice_id": row.invoice_id,
                "due_on": format_date(pd.Timestamp(row.due_on).date(), lang),
                "days_late": max(int(row.days_past_due), 0),
                "open_amount": _money(claimed, lang),
                "interest": _money(interest, lang),
                "indemnity": _money(row.indemnity, lang),
                "total": _money(owed, lang),
            }
        )
    total_open = float(rows.get("amount_to_chase", rows["open_amount"]).sum())
    total_indemnity = float(rows["indemnity"].sum())
    code = rows["action"].iloc[0]
    deadline = rows["deadline"].dropna()
    return {
        "lang": lang,
        "kind": LETTER_KINDS[code],
        "creditor": creditor,
        "signatory_title": creditor.signatory_title_fr
        if lang == "fr"
        else creditor.signatory_title_en,
        "debtor": debtor,
        "place": creditor.place or creditor.city,
        "date": format_date(as_of, lang),
        "lines": lines,
        "any_interest_missing": bool(rows["interest"].isna().any()),
        "total_open": _money(total_open, lang),
        "total_interest": _money(total_interest, lang),
        "total_indemnity": _money(total_indemnity, lang),
        "total_due": _money(total_open + total_interest + total_indemnity, lang),
        "french_law": creditor.french_law_applies(debtor.get("country") or None),
        "deadline": format_date(pd.Timestamp(deadline.iloc[0]).date(), lang)
        if len(deadline)
        else "",
    }


def render_letter(context: dict[str, Any]) -> str:
    """The HTML letter of a context from ``letter_context``."""
    template = _environment().get_template(f"letter_{context['lang']}.html.j2")
    return template.render(**context)


def write_letters(
    decided: pd.DataFrame,
    customers: pd.DataFrame,
    creditor: Creditor,
    as_of: date,
    out: Path,
    lang: str = "fr",
) -> list[Path]:
    """One HTML letter per customer and letter action of ``decided`` rows, into ``out``.

    Args:
        decided: worklist rows (``decide_rows``), every open invoice of the customers wanted.
        customers: the ledger's customers table (names and addresses).
        creditor: the sender.
        as_of: the letters' date.
        out: folder to write into (created).
        lang: ``fr`` or ``en``.

    Returns:
        The files written, in worklist order.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    sendable = decided[decided["action"].isin(LETTER_KINDS)]
    due = pd.to_datetime(sendable["action_date"]) <= pd.Timestamp(as_of)
    sendable = sendable[due].sort_values("rank", kind="stable")
    for (customer_id, code), rows in sendable.groupby(["customer_id", "action"], sort=False):
        debtor = customer_details(customers, str(customer_id))
        html = render_letter(letter_context(rows, debtor, creditor, as_of, lang))
        path = out / f"{customer_id}_{code}_{lang}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    logger.info("%d letters written to %s", len(written), out)
    return written


def render_statement(
    statement: Statement, debtor: dict[str, str], creditor: Creditor, lang: str
) -> str:
    """The customer statement as printable HTML."""

    def day(value: Any) -> str:
        return "" if pd.isna(value) else format_date(pd.Timestamp(value).date(), lang)

    entries = [
        {
            "date": day(e.date),
            "kind": e.kind,
            "reference": e.reference,
            "invoice_id": _text(e.invoice_id),
            "due_on": day(e.due_on),
            "debit": format_amount(e.debit, lang) if e.debit else "",
            "credit": format_amount(e.credit, lang) if e.credit else "",
            "balance": format_amount(e.balance, lang),
        }
        for e in statement.entries.itertuples(index=False)
    ]
    items = [
        {
            "invoice_id": i.invoice_id,
            "due_on": day(i.due_on),
            "days_past_due": max(int(i.days_past_due), 0),
            "open_amount": format_amount(i.open_amount, lang),
        }
        for i in statement.open_items.itertuples(index=False)
    ]
    template = _environment().get_template(f"statement_{lang}.html.j2")
    return template.render(
        creditor=creditor,
        debtor=debtor,
        date=format_date(statement.as_of.date(), lang),
        entries=entries,
        items=items,
        balance=format_amount(statement.balance, lang),
        open_total=format_amount(statement.open_total, lang),
        unallocated=format_amount(statement.unallocated_credits, lang),
        has_unallocated=statement.unallocated_credits != 0,
        difference=format_amount(statement.difference, lang),
        reconciles=statement.reconciles,
    )
