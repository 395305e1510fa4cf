"""The default event's past-due trigger with the materiality threshold of EU banks.

Rule (CRR art. 178(1)(b); Commission Delegated Regulation (EU) 2018/171 art. 2, non-retail
exposures; EBA/GL/2016/07 paras 16-18): the customer is in default when its amount past due
exceeds BOTH EUR 500 AND 1 % of everything it owes (due or not) for more than 90 consecutive
days. Every expected value below is computed by hand from that rule, in the test.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.decisions.credit import CreditPolicy
from risk.errors import ConfigError
from risk.labels import default_labels
from risk.ledger import Ledger
from risk.materiality import DefaultDefinition, material_past_due_spells

T = pd.Timestamp("2024-01-01")  # snapshot date; the window is [T, T + 365)
CUTOFF = pd.Timestamp("2025-06-01")
EU = DefaultDefinition(past_due_days=90, absolute=500.0, relative=0.01)


def day(offset: int) -> pd.Timestamp:
    return T + pd.Timedelta(days=offset)


def invoice(amount: float, due: int, paid: int | None, issued: int | None = None) -> dict:
    return {
        "customer_id": "C1",
        "issued_on": day(due - 30 if issued is None else issued),
        "due_on": day(due),
        "paid_on": day(paid) if paid is not None else pd.NaT,
        "amount": amount,
        "amount_paid": amount if paid is not None else 0.0,
    }


def book(invoices: list[dict], notes: list[dict] | None = None) -> Ledger:
    inv = pd.DataFrame(invoices)
    inv["invoice_id"] = [f"I{k}" for k in range(len(inv))]
    for column in ("issued_on", "due_on", "paid_on"):
        inv[column] = pd.to_datetime(inv[column])
    credit = None
    if notes:
        credit = pd.DataFrame(notes)
        credit["issued_on"] = pd.to_datetime(credit["issued_on"])
    return Ledger(
        customers=pd.DataFrame({"customer_id": ["C1"]}), invoices=inv, credit_notes=credit
    )


def label(ledger: Ledger, definition: DefaultDefinition = EU) -> int:
    queries = pd.DataFrame({"customer_id": ["C1"], "as_of": [T]})
    found = default_labels(ledger, queries, CUTOFF, materiality=definition)
    return int(found["label_default_past_due"].iloc[0])


def default_day(ledger: Ledger) -> int | None:
    """First day (offset from T) of the first default spell, or None."""
    spells = material_past_due_spells(ledger, CUTOFF, EU)
    return None if spells.empty else int((spells["start"].min() - T).days)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(400.0, 0), (500.0, 0), (500.01, 1), (600.0, 1)],  # 500 is not "exceeded"
)
def test_absolute_threshold(amount: float, expected: int) -> None:
    # unpaid, due day 10: past due from day 11, alone so 100 % of the exposure
    assert label(book([invoice(amount, 10, None)])) == expected


def test_more_than_90_consecutive_days_boundaries() -> None:
    # past due from due + 1; the 91st material day is due + 1 + 90 = due + 91
    assert default_day(book([invoice(600.0, 10, None)])) == 10 + 1 + 90
    assert label(book([invoice(600.0, 273, None)])) == 1  # due + 91 = 364, last day of window
    assert label(book([invoice(600.0, 274, None)])) == 0  # due + 91 = 365 = T + 365
    # paid on due + 90: material on days due+1 .. due+90 = 90 days, not more than 90
    assert label(book([invoice(600.0, 10, 100)])) == 0
    assert label(book([invoice(600.0, 10, 101)])) == 1


def test_relative_threshold_counts_from_the_day_the_large_invoice_is_paid() -> None:
    small = invoice(600.0, 10, None)  # past due from day 11
    large = invoice(100_000.0, 200, 150, issued=-10)  # open days -10 .. 150 (settled day 151)
    # until day 150: 600 <= 1 % x (600 + 100,000) = 1,006 -> not material;
    # from day 151 the exposure is 600 and 600 > 6: the count starts on day 151
    assert default_day(book([small, large])) == 151 + 90
    assert label(book([small, large])) == 1
    later = invoice(100_000.0, 400, 300, issued=-10)  # paid day 300: count from 301, 391 > 364
    assert label(book([small, later])) == 0
    assert label(book([small, later]), DefaultDefinition(90, 500.0, 0.0)) == 1  # no relative


def test_two_immaterial_invoices_are_material_together() -> None:
    a = invoice(300.0, 0, 60)  # past due days 1 .. 60
    b = invoice(300.0, 20, None)  # past due from day 21
    # 600 > 500 on days 21 .. 60 only: 40 days
    assert label(book([a, b])) == 0
    a_later = invoice(300.0, 0, 200)  # 600 on days 21 .. 200: 180 days, default on 21 + 90
    assert default_day(book([a_later, b])) == 21 + 90


def test_a_customer_always_a_little_late_is_not_in_default() -> None:
    # 1,000 past due on days 1 .. 80 (first invoice), then the second one on days 81 .. 160:
    # material on 160 consecutive days, but no obligation is more than 90 days past due
    # (CRR art. 178(1)(b): "more than 90 days past due on any material credit obligation")
    invoices = [invoice(1000.0, 0, 80), invoice(1000.0, 80, 160)]
    assert default_day(book(invoices)) is None
    assert label(book(invoices)) == 0


def test_the_count_restarts_when_a_threshold_is_no_longer_exceeded() -> None:
    small = invoice(600.0, 0, None)  # past due from day 1, more than 90 days from day 91
    assert default_day(book([small])) == 91
    # a 100,000 invoice open on days 30 .. 40 (issued day 30, paid day 40, not yet due):
    # 600 <= 1 % x 100,600 on those days, so the count restarts on day 41: 41 + 90 = 131
    large = invoice(100_000.0, 60, 40, issued=30)
    assert default_day(book([small, large])) == 131


def test_credit_notes_and_received_amounts_are_netted() -> None:
    credited = invoice(1000.0, 10, None)
    note = {"credit_note_id": "N1", "customer_id": "C1", "invoice_id": "I0",
            "issued_on": day(0), "amount": 600.0}  # fmt: skip
    assert label(book([credited], [note])) == 0  # 1,000 - 600 = 400 <= 500
    part_paid = {**invoice(1000.0, 10, None), "amount_paid": 450.0}
    assert label(book([part_paid])) == 1  # 550 > 500
    part_paid["amount_paid"] = 550.0
    assert label(book([part_paid])) == 0  # 450


def test_the_policy_file_carries_the_thresholds() -> None:
    policy = CreditPolicy.load()
    # the packaged policy adds the EBA treatments (tests/model/test_default_eba.py)
    assert policy.default_definition() == DefaultDefinition(
        90, 500.0, 0.01, public_past_due_days=180, disputes_suspend=True, probation_days=90
    )
    with pytest.raises(ConfigError, match=r"default_materiality_relative < 1, got 90, 500.0, 1.5"):
        CreditPolicy.from_yaml("default_materiality_relative: 1.5")
    custom = CreditPolicy.from_yaml("default_materiality_absolute: 100\ndefault_past_due_days: 180")
    assert custom.default_definition() == DefaultDefinition(
        180, 100.0, 0.01, public_past_due_days=180, disputes_suspend=True, probation_days=90
    )


def brute_force(invoices: list[dict], definition: DefaultDefinition) -> int:
    """Walk every day to the window's end with the rule as written: the past-due amount above
    both thresholds on the last 91 days, and an invoice more than 90 days past due today."""
    run = 0
    for offset in range(-400, 365):
        today = day(offset)
        owed = due = 0.0
        for inv in invoices:
            settled = (
                inv["paid_on"] if pd.notna(inv["paid_on"]) and inv["paid_on"] < CUTOFF else None
            )
            open_today = inv["issued_on"] <= today and (settled is None or today <= settled)
            if open_today:
                net = inv["amount"] - (0.0 if settled is not None else inv["amount_paid"])
                owed += net
                if today > inv["due_on"]:
                    due += net
        material = due > definition.absolute + 1e-9 and due > definition.relative * owed + 1e-9
        run = run + 1 if material else 0
        overdue = any(
            (today - inv["due_on"]).days > definition.past_due_days
            and (pd.isna(inv["paid_on"]) or inv["paid_on"] >= CUTOFF or inv["paid_on"] >= today)
            for inv in invoices
        )
        if offset >= 0 and run > definition.past_due_days and overdue:
            return 1
    return 0


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([100.0, 300.0, 450.0, 700.0, 5_000.0, 80_000.0]),
            st.integers(-300, 330),
            st.one_of(st.none(), st.integers(-20, 250)),
        ),
        min_size=1,
        max_size=5,
    ),
    absolute=st.sampled_from([0.0, 500.0, 1000.0]),
    relative=st.sampled_from([0.0, 0.01, 0.2]),
)
def test_label_matches_a_day_by_day_reading(
    rows: list[tuple[float, int, int | None]], absolute: float, relative: float
) -> None:
    invoices = [invoice(a, due, None if k is None else due + k) for a, due, k in rows]
    definition = DefaultDefinition(90, absolute, relative)
    assert label(book(invoices), definition) == brute_force(invoices, definition)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([100.0, 450.0, 700.0, 5_000.0]),
            st.integers(-300, 330),
            st.one_of(st.none(), st.integers(-20, 250)),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_higher_thresholds_never_add_a_default(rows: list[tuple[float, int, int | None]]) -> None:
    invoices = [invoice(a, due, None if k is None else due + k) for a, due, k in rows]
    assert label(book(invoices), EU) <= label(book(invoices), DefaultDefinition(90, 0.0, 0.0))
    assert label(book(invoices), DefaultDefinition(90, 1000.0, 0.05)) <= label(book(invoices), EU)
