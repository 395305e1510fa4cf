"""Ledger events checked against the current ledger with the contracts' own rules."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.io import load_ledger
from risk.store import check_events
from risk.validation import validate_tables


def frame(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns, dtype="str")


@pytest.fixture
def ledger(write_ledger):  # type: ignore[no-untyped-def]
    return load_ledger(write_ledger())


def test_new_invoice_is_kept_and_a_bad_one_quarantined_with_the_contract_message(ledger) -> None:
    batch = {
        "invoices": frame(
            invoice_id=["I5", "I6"],
            customer_id=["C1", "C1"],
            issued_on=["2024-06-01", "2024-06-01"],
            due_on=["2024-07-01", "2024-05-01"],
            amount=["100", "100"],
        )
    }
    check = check_events(ledger, batch)
    assert check.sent == {"invoices": 2} and check.kept == {"invoices": 1}
    assert check.quarantined == {"invoices": 1}
    (issue,) = check.issues.itertuples()
    # the same rule text as validating a folder holding the bad row
    alone = validate_tables({"customers": ledger_text(ledger), "invoices": batch["invoices"][1:]})
    assert (issue.table, issue.row, issue.column) == ("invoices", 2, "due_on")
    assert issue.rule == alone.issues.iloc[0]["rule"]
    assert set(check.ledger.invoices["invoice_id"]) == {"I1", "I2", "I3", "I4", "I5"}
    assert check.customers == {"C1"}


def ledger_text(ledger) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    from risk.store.snapshot import as_text

    return as_text(ledger.customers)


def test_unknown_customer_and_duplicate_payment_are_refused(ledger) -> None:
    first = check_events(
        ledger,
        {
            "payments": frame(
                payment_id=["P1"], invoice_id=["I3"], paid_on=["2024-06-01"], amount=["50"]
            )
        },
    )
    assert first.kept == {"payments": 1}
    again = check_events(
        first.ledger,
        {
            "payments": frame(
                payment_id=["P1"], invoice_id=["I3"], paid_on=["2024-06-02"], amount=["5"]
            ),
            "legal_events": frame(
                customer_id=["NOPE"], published_on=["2024-06-01"], kind=["liquidation"]
            ),
        },
    )
    assert again.kept == {"payments": 0, "legal_events": 0}
    assert set(again.issues["table"]) == {"payments", "legal_events"}
    assert (
        "already in the ledger"
        in again.issues.loc[again.issues["table"] == "payments", "rule"].iloc[0]
    )
    assert len(again.ledger.payments) == 1


def test_invoice_sent_again_updates_its_settlement(ledger) -> None:
    batch = {
        "invoices": frame(
            invoice_id=["I4"],
            customer_id=["C3"],
            issued_on=["2024-05-02"],
            due_on=["2024-07-01"],
            amount=["3000"],
            paid_on=["2024-07-15"],
            amount_paid=["3000"],
        )
    }
    check = check_events(ledger, batch)
    assert check.upserted == {"invoices": ["I4"]}
    row = check.ledger.invoices.set_index("invoice_id").loc["I4"]
    assert row["paid_on"] == pd.Timestamp("2024-07-15") and row["amount_paid"] == 3000
    assert len(check.ledger.invoices) == len(ledger.invoices)


def test_payment_touches_the_customer_of_its_invoice(ledger) -> None:
    check = check_events(
        ledger,
        {
            "payments": frame(
                payment_id=["P9"], invoice_id=["I4"], paid_on=["2024-06-01"], amount=["10"]
            )
        },
    )
    assert check.customers == {"C3"}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["C1", "C2", "C9", ""]),
            st.sampled_from(["2024-06-01", "2024-13-01", ""]),
            st.sampled_from(["2024-07-01", "2024-05-01"]),
            st.sampled_from(["10", "-5", "abc", "0"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_counts_reconcile_and_only_kept_rows_enter(ledger, rows) -> None:  # type: ignore[no-untyped-def]
    # ``ledger`` is never modified: check_events returns a new one
    batch = {
        "invoices": frame(
            invoice_id=[f"N{i}" for i in range(len(rows))],
            customer_id=[r[0] for r in rows],
            issued_on=[r[1] for r in rows],
            due_on=[r[2] for r in rows],
            amount=[r[3] for r in rows],
        )
    }
    check = check_events(ledger, batch)
    assert check.sent["invoices"] == check.kept["invoices"] + check.quarantined["invoices"]
    bad_rows = set(check.issues["row"])
    assert len(bad_rows) == check.quarantined["invoices"]
    kept_ids = set(check.accepted["invoices"]["invoice_id"])
    in_ledger = set(check.ledger.invoices["invoice_id"]) | set(
        check.ledger.credit_notes["credit_note_id"] if check.ledger.credit_notes is not None else []
    )
    assert kept_ids <= in_ledger
    assert not ({f"N{r - 1}" for r in bad_rows} & in_ledger)


def test_rows_naming_customers_and_invoices_of_the_ledger_are_checked_against_them(ledger) -> None:
    """Only the rows a batch names are taken from the ledger for the foreign-key checks: a
    legal event of a known customer and a credit note on a known invoice of another customer
    are kept, a legal event of an unknown customer is refused with the contract's rule."""
    check = check_events(
        ledger,
        {
            "legal_events": frame(
                customer_id=["C2", "C9"],
                published_on=["2024-06-01", "2024-06-01"],
                kind=["payment_order", "payment_order"],
            ),
            "credit_notes": frame(
                credit_note_id=["CN9"],
                customer_id=["C3"],
                invoice_id=["I4"],
                issued_on=["2024-06-01"],
                amount=["5"],
            ),
        },
    )
    assert check.kept == {"legal_events": 1, "credit_notes": 1}
    (issue,) = check.issues.itertuples()
    assert (issue.table, issue.row, issue.column) == ("legal_events", 2, "customer_id")
    assert "customers.customer_id" in issue.rule
    assert check.customers == {"C2", "C3"}
    assert len(check.ledger.customers) == len(ledger.customers)  # none lost, none added
