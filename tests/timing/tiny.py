"""A tiny hand-built ledger whose snapshot rows a reader can check by hand."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from risk.ledger import Ledger
from risk.timing.score import OpenInvoiceScores
from risk.validation import validate_tables

TABLES = {
    "customers": """customer_id,naf_code,payment_terms_days
C1,47.11F,30
C2,43.21A,45
""",
    "invoices": """invoice_id,customer_id,issued_on,due_on,amount,paid_on,amount_paid,disputed,channel
I1,C1,2024-01-01,2024-01-31,1000.00,2024-03-10,1000.00,true,paper
I2,C1,2024-01-15,2024-02-14,500.00,2024-01-29,500.00,false,electronic
I3,C2,2024-02-01,2024-03-17,800.00,,0.00,false,electronic
""",
    "payments": """payment_id,invoice_id,paid_on,amount
P1,I1,2024-01-20,400.00
P2,I1,2024-03-10,500.00
P3,I2,2024-01-29,500.00
""",
    "credit_notes": """credit_note_id,customer_id,invoice_id,issued_on,amount
N1,C1,I1,2024-02-05,100.00
""",
    "reminders": """invoice_id,sent_on,step,channel,outcome,promised_on
I1,2024-02-05,1,email,promise_to_pay,2024-02-15
I1,2024-02-20,2,letter,dispute,
""",
}


def tiny_ledger() -> Ledger:
    """The validated tiny ledger (every row valid)."""
    raw = {name: pd.read_csv(io.StringIO(text), dtype=str) for name, text in TABLES.items()}
    result = validate_tables(raw)
    assert result.n_quarantined == 0, result
    return result.ledger


BOOK_DATE = pd.Timestamp("2024-02-12")


def open_book(
    q: np.ndarray,
    amounts: list[float],
    customers: list[str],
    sections: list[str] | None = None,
    as_of: pd.Timestamp = BOOK_DATE,
) -> OpenInvoiceScores:
    """Open invoices I1, I2 ... due on ``as_of`` with their weekly payment hazards ``q`` (one row
    per invoice), for the cash-in forecast's by-hand tests; sector G unless ``sections``."""
    n = len(amounts)
    scores = pd.DataFrame(
        {
            "invoice_id": [f"I{k + 1}" for k in range(n)],
            "customer_id": customers,
            "due_on": [as_of] * n,
            "open_amount": amounts,
            "days_past_due": [0] * n,
        }
    )
    frame = pd.DataFrame({"naf_section": pd.Categorical(sections or ["G"] * n)})
    return OpenInvoiceScores(as_of, frame, q, scores)
