"""A tiny hand-built ledger whose feature values can be checked by hand (test_feature_families)."""

from __future__ import annotations

import pandas as pd

from risk.ledger import Ledger

T = pd.Timestamp("2024-07-01")  # the as-of date of most checks


def d(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def tiny_ledger() -> Ledger:
    """C1 (SAS, retail, limit 10,000) with 8 invoices; C2 (sole trader) with none."""
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2"], "naf_code": ["47.11F", None], "legal_form": ["SAS", "EI"],
        "created_on": [d("2020-01-01"), pd.NaT], "employees": pd.array([10, None], "Int64"),
        "payment_terms_days": [30, 45], "end_of_month_terms": [False, True],
        "credit_limit": [10_000.0, None],
    }).astype({"customer_id": "str", "naf_code": "str", "legal_form": "str"})  # fmt: skip
    rows = [  # id, issued, due, amount, paid, disputed
        ("H", "2023-01-10", "2023-02-09", 800.0, "2023-06-01", False),  # 112 late, > 12m ago
        ("A", "2024-01-01", "2024-01-31", 1000.0, "2024-02-10", False),  # 10 days late
        ("B", "2024-02-01", "2024-03-02", 2000.0, "2024-05-11", False),  # 70 days late
        ("C", "2024-03-01", "2024-03-31", 500.0, "2024-03-25", True),  # 6 days early
        ("D", "2024-04-01", "2024-05-01", 3000.0, None, False),  # open, 61 days past due at T
        ("F", "2024-05-15", "2024-06-14", 600.0, None, False),  # open, 17 days past due at T
        ("E", "2024-06-01", "2024-07-01", 400.0, "2024-07-05", False),  # paid after T: open
        ("G", "2024-07-01", "2024-07-31", 999.0, None, False),  # issued on T: not known at T
    ]
    invoices = pd.DataFrame(
        [{"invoice_id": r[0], "customer_id": "C1", "issued_on": d(r[1]), "due_on": d(r[2]),
          "amount": r[3], "paid_on": d(r[4]) if r[4] else pd.NaT, "amount_paid": 0.0,
          "disputed": r[5], "channel": "paper"} for r in rows]
    ).astype({"invoice_id": "str", "customer_id": "str", "channel": "str"})  # fmt: skip
    payments = pd.DataFrame(
        [("P1", "H", "2023-06-01", 800.0), ("P2", "A", "2024-02-10", 1000.0),
         ("P3", "B", "2024-04-01", 500.0), ("P4", "B", "2024-05-11", 1500.0),
         ("P5", "C", "2024-03-25", 500.0), ("P6", "D", "2024-06-01", 1000.0),
         ("P7", "E", "2024-07-05", 400.0)],
        columns=["payment_id", "invoice_id", "paid_on", "amount"],
    ).astype({"payment_id": "str", "invoice_id": "str", "paid_on": "datetime64[ns]"})  # fmt: skip
    legal = pd.DataFrame(
        [("C1", "2023-05-01", "director_change"), ("C1", "2023-12-01", "tax_privilege"),
         ("C1", "2024-03-01", "receivership"), ("C1", "2024-05-01", "plan_adopted"),
         ("C1", "2024-07-01", "liquidation")],
        columns=["customer_id", "published_on", "kind"],
    ).astype({"customer_id": "str", "published_on": "datetime64[ns]", "kind": "str"})  # fmt: skip
    reminders = pd.DataFrame(
        [("A", "2024-02-15", 1, "none"), ("B", "2024-03-10", 1, "none"),
         ("B", "2024-04-10", 2, "promise_to_pay"), ("D", "2024-05-10", 1, "dispute")],
        columns=["invoice_id", "sent_on", "step", "outcome"],
    ).astype({"invoice_id": "str", "sent_on": "datetime64[ns]", "outcome": "str"})  # fmt: skip
    reminders["channel"] = "email"
    return Ledger(customers, invoices, payments=payments, legal_events=legal, reminders=reminders)
