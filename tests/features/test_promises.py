"""Broken promises to pay as a customer feature: counted by hand, point in time."""

from __future__ import annotations

import pandas as pd
import pytest

from risk.features import customer_features_as_of
from risk.features.registry import get_spec
from risk.io import load_ledger

INVOICES = """\
invoice_id,customer_id,issued_on,due_on,amount,paid_on,amount_paid,disputed,channel
I1,C1,2024-01-10,2024-02-09,1000.00,2024-03-20,1000.00,false,electronic
I2,C1,2024-02-10,2024-03-11,800.00,2024-03-30,800.00,false,paper
I3,C2,2024-03-01,2024-04-30,500.00,,0.00,false,electronic
"""
# I1: promised 2024-03-01, paid 2024-03-20 -> broken (known from 2024-03-02)
# I2: promised 2024-03-30, paid that day -> kept
# I3: promised 2024-05-10, never paid -> broken (known from 2024-05-11); a promise sent on
#     2024-06-01 (for 2024-06-15) is unknown before 2024-06-01
REMINDERS = """\
invoice_id,sent_on,step,channel,outcome,promised_on
I1,2024-02-20,1,email,promise_to_pay,2024-03-01
I2,2024-03-15,1,email,promise_to_pay,2024-03-30
I3,2024-05-05,1,phone,promise_to_pay,2024-05-10
I3,2024-06-01,2,email,promise_to_pay,2024-06-15
"""


def _counts(ledger, day: str) -> pd.Series:
    queries = pd.DataFrame({"customer_id": ["C1", "C2"], "as_of": pd.Timestamp(day)})
    frame = customer_features_as_of(ledger, queries).set_index("customer_id")
    return frame["n_broken_promises_12m"]


@pytest.mark.parametrize(
    ("day", "c1", "c2"),
    [
        ("2024-03-01", 0, 0),  # promised day not over yet
        ("2024-03-02", 1, 0),  # I1's promise broken
        ("2024-04-15", 1, 0),  # I2's promise was kept
        ("2024-05-11", 1, 1),  # I3's first promise broken
        ("2024-06-16", 1, 2),  # I3's second promise broken too
        ("2025-03-05", 0, 2),  # I1's promise is older than 12 months
    ],
)
def test_broken_promises_counted_by_hand(write_ledger, day: str, c1: int, c2: int) -> None:
    ledger = load_ledger(write_ledger(invoices=INVOICES, reminders=REMINDERS))
    counts = _counts(ledger, day)
    assert (counts["C1"], counts["C2"]) == (c1, c2)


def test_later_facts_never_change_the_count(write_ledger) -> None:
    base = load_ledger(write_ledger("a", invoices=INVOICES, reminders=REMINDERS))
    later = REMINDERS + "I3,2024-05-20,3,letter,promise_to_pay,2024-05-25\n"
    # I3 paid after the date, on 2024-05-22 (unknown at 2024-05-20)
    invoices = INVOICES.replace(
        "I3,C2,2024-03-01,2024-04-30,500.00,,0.00",
        "I3,C2,2024-03-01,2024-04-30,500.00,2024-05-22,500.00",
    )
    extra = load_ledger(write_ledger("b", invoices=invoices, reminders=later))
    for day in ("2024-03-02", "2024-05-11", "2024-05-20"):
        pd.testing.assert_series_equal(_counts(base, day), _counts(extra, day))


def test_registered_with_its_sentence() -> None:
    spec = get_spec("n_broken_promises_12m")
    assert spec.direction == 1
    assert spec.reason(2, "fr") == "2 promesse(s) de paiement non tenue(s) sur les 12 derniers mois"
