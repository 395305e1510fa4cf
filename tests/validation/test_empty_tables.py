"""Tables without rows (an inline ledger's payments, reminders, statuses) are checked once per
column layout: every validation gives the same typed empty table, never a shared frame."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt

from risk.contracts import TABLES
from risk.validation import validate_tables


def _raw(payments: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "customers": pd.DataFrame({"customer_id": ["C1"]}, dtype="str"),
        "invoices": pd.DataFrame(
            {
                "invoice_id": ["I1"],
                "customer_id": ["C1"],
                "issued_on": ["2024-01-10"],
                "due_on": ["2024-02-09"],
                "amount": ["100.0"],
            },
            dtype="str",
        ),
        "payments": payments,
    }


def test_empty_table_is_the_typed_table_a_row_would_give() -> None:
    columns = [c.name for c in TABLES["payments"].columns]
    empty = pd.DataFrame(columns=columns, dtype="str")
    one = pd.DataFrame([["P1", "I1", "2024-02-01", "100.0"]], columns=columns[:4], dtype="str")
    first = validate_tables(_raw(empty))
    with_row = validate_tables(_raw(one))
    # the same columns and dtypes as the parsed table of one valid row, with no row
    pdt.assert_frame_equal(first.ledger.payments, with_row.ledger.payments.iloc[:0])
    assert first.reports["payments"].read == first.reports["payments"].kept == 0
    assert first.quarantine.get("payments") is None


def test_empty_table_results_are_never_shared() -> None:
    columns = [c.name for c in TABLES["payments"].columns]
    first = validate_tables(_raw(pd.DataFrame(columns=columns, dtype="str")))
    expected = first.ledger.payments.copy()
    first.ledger.payments["extra"] = 1  # a caller changing its ledger
    second = validate_tables(_raw(pd.DataFrame(columns=columns, dtype="str")))
    pdt.assert_frame_equal(second.ledger.payments, expected)
