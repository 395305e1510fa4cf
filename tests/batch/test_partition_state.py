"""Partitioning and run state on a hand-built ledger a reader can check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.batch.partition import (
    chunk_of_customers,
    chunk_of_rows,
    iter_chunks,
    n_chunks_for,
    plan_chunks,
    restrict_to_customers,
    row_owners,
)
from risk.batch.state import (
    IncrementalRunError,
    RunSettings,
    changed_customers,
    check_incremental,
    chunk_hashes,
    customer_hashes,
)
from risk.ledger import Ledger

D = pd.Timestamp


def tiny_ledger() -> Ledger:
    """Six customers; C1 and C2 form group G1; one invoice each, a payment and a reminder."""
    ids = [f"C{i}" for i in range(1, 7)]
    customers = pd.DataFrame(
        {"customer_id": ids, "group_id": ["G1", "G1", None, None, None, None]}
    ).astype({"customer_id": "str"})
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"I{i}" for i in range(1, 7)],
            "customer_id": ids,
            "issued_on": [D("2025-01-10")] * 6,
            "amount": [100.0, 200.0, 300.0, 400.0, 500.0, 600.0],
        }
    )
    payments = pd.DataFrame(
        {"payment_id": ["P1", "P3"], "invoice_id": ["I1", "I3"], "amount": [100.0, 300.0]}
    )
    reminders = pd.DataFrame({"invoice_id": ["I4"], "sent_on": [D("2025-03-01")], "step": [1]})
    events = pd.DataFrame({"customer_id": ["C5"], "published_on": [D("2025-02-01")]})
    return Ledger(customers, invoices, payments=payments, reminders=reminders, legal_events=events)


def test_chunks_cover_every_row_once_and_keep_groups_together() -> None:
    ledger = tiny_ledger()
    chunks = list(iter_chunks(ledger, 3))
    ids = [c for chunk in chunks for c in chunk.customer_ids]
    assert sorted(ids) == sorted(ledger.customers["customer_id"])
    assert sum(len(c.ledger.invoices) for c in chunks) == 6
    assert sum(len(c.ledger.payments) for c in chunks) == 2
    for chunk in chunks:
        invoice_ids = set(chunk.ledger.invoices["invoice_id"])
        assert set(chunk.ledger.payments["invoice_id"]) <= invoice_ids
        assert set(chunk.ledger.reminders["invoice_id"]) <= invoice_ids
        assert set(chunk.ledger.invoices["customer_id"]) == set(chunk.customer_ids)
    chunk_of = chunk_of_customers(ledger.customers, 3)
    assert chunk_of["C1"] == chunk_of["C2"]


def test_chunking_is_stable_and_independent_of_row_order() -> None:
    ledger = tiny_ledger()
    shuffled = ledger.customers.sample(frac=1.0, random_state=3)
    assert plan_chunks(ledger.customers, 4) == plan_chunks(shuffled, 4)
    assert n_chunks_for(10_001, 5_000) == 3 and n_chunks_for(0, 5_000) == 1
    with pytest.raises(ValueError, match="chunk_customers"):
        n_chunks_for(10, 0)


def test_restrict_keeps_only_the_customers_rows() -> None:
    sub = restrict_to_customers(tiny_ledger(), {"C1", "C4"})
    assert list(sub.invoices["invoice_id"]) == ["I1", "I4"]
    assert list(sub.payments["payment_id"]) == ["P1"] and list(sub.reminders["invoice_id"]) == [
        "I4"
    ]
    assert sub.legal_events.empty


def test_a_changed_invoice_changes_only_its_customer_and_group() -> None:
    ledger = tiny_ledger()
    before = customer_hashes(ledger)
    invoices = ledger.invoices.copy()
    invoices.loc[invoices["invoice_id"] == "I2", "amount"] = 250.0
    payments = ledger.payments.copy()
    payments.loc[payments["invoice_id"] == "I3", "amount"] = 299.0
    after = customer_hashes(ledger.with_tables(invoices=invoices, payments=payments))
    differs = set(before.loc[before["content_hash"] != after["content_hash"], "customer_id"])
    assert differs == {"C2", "C3"}
    # C2 is in group G1 with C1: the whole unit is rescored
    assert changed_customers(after, before) == {"C1", "C2", "C3"}
    assert changed_customers(before, before) == set()


def test_incremental_refuses_another_as_of_date() -> None:
    settings = RunSettings("2025-12-31", "m v1", "worklist", 5000, 50)
    previous = {"settings": {**settings.__dict__, "as_of": "2025-11-30"}}
    with pytest.raises(IncrementalRunError, match=r"same as-of date.*2025-11-30"):
        check_incremental(previous, settings)
    assert check_incremental({"settings": dict(settings.__dict__)}, settings)
    assert not check_incremental({"settings": {**settings.__dict__, "explain": "all"}}, settings)


def test_a_chunk_digest_changes_with_its_own_customers_only() -> None:
    ledger = tiny_ledger()
    plan = plan_chunks(ledger.customers, 3)
    before = chunk_hashes(customer_hashes(ledger), plan)
    assert set(before) == set(plan) and len(set(before.values())) == len(plan)
    invoices = ledger.invoices.copy()
    invoices.loc[invoices["invoice_id"] == "I4", "amount"] = 401.0
    after = chunk_hashes(customer_hashes(ledger.with_tables(invoices=invoices)), plan)
    owner = next(n for n, ids in plan.items() if "C4" in ids)
    assert {n for n in plan if before[n] != after[n]} == {owner}
    # the digest is that of the chunk's sorted "customer=hash" lines, whatever the plan order
    reordered = {n: tuple(reversed(ids)) for n, ids in reversed(list(plan.items()))}
    assert chunk_hashes(customer_hashes(ledger), reordered) == before


def sized_ledger(invoices_per_customer: list[int], groups: list[int | None]) -> Ledger:
    """Customers with the given invoice counts, each invoice paid once; ``groups``: group
    number of each customer (None: no group)."""
    ids = [f"C{i}" for i in range(len(invoices_per_customer))]
    customers = pd.DataFrame(
        {"customer_id": ids, "group_id": [None if g is None else f"G{g}" for g in groups]}
    ).astype({"customer_id": "str"})
    owner = np.repeat(ids, invoices_per_customer)
    invoice_ids = [f"I{i}" for i in range(len(owner))]
    invoices = pd.DataFrame(
        {
            "invoice_id": invoice_ids,
            "customer_id": owner,
            "issued_on": D("2025-01-10"),
            "amount": 10.0,
        }
    ).astype({"invoice_id": "str", "customer_id": "str"})
    payments = pd.DataFrame(
        {"payment_id": [f"P{i}" for i in range(len(owner))], "invoice_id": invoice_ids}
    ).assign(amount=10.0)
    return Ledger(customers, invoices, payments=payments)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 3))),
        min_size=1,
        max_size=25,
    ),
    st.integers(1, 120),
)
def test_row_sized_chunks_keep_units_whole_and_cut_at_the_row_target(customers, target) -> None:
    ledger = sized_ledger([n for n, _ in customers], [g for _, g in customers])
    owners = row_owners(ledger)
    chunk_of = chunk_of_rows(ledger.customers, owners, target)
    # rows of each customer: its own row, its invoices and their payments
    rows = pd.Series([1 + 2 * n for n, _ in customers], index=chunk_of.index)
    units = ledger.customers["group_id"].fillna(ledger.customers["customer_id"]).to_numpy()
    unit_chunks = pd.Series(chunk_of.to_numpy()).groupby(units).nunique()
    assert (unit_chunks == 1).all()  # a group (or a customer) is never split
    numbers = sorted(set(chunk_of))
    assert numbers == list(range(len(numbers)))  # numbered without gaps
    unit_rows = rows.groupby(units).sum()
    per_chunk = rows.groupby(chunk_of.to_numpy()).sum()
    largest_unit = (
        pd.Series(unit_rows.to_numpy())
        .groupby(
            pd.Series(chunk_of.to_numpy()).groupby(units).first().loc[unit_rows.index].to_numpy()
        )
        .max()
    )
    assert (per_chunk <= target + largest_unit - 1).all()  # cut at the target
    assert len(numbers) <= -(-int(rows.sum()) // target)  # no more chunks than rows / target
    chunks = list(iter_chunks(ledger, len(numbers), owners=owners, chunk_of=chunk_of))
    assert sum(len(c.ledger.invoices) for c in chunks) == len(ledger.invoices)
    assert sum(len(c.ledger.payments) for c in chunks) == len(ledger.payments)


def test_one_huge_customer_gets_a_chunk_of_its_own_and_the_rest_stay_balanced() -> None:
    """The skew customer-sized chunks suffer from: one customer with 2,000 invoices."""
    ledger = sized_ledger([2_000] + [5] * 200, [None] * 201)
    chunk_of = chunk_of_rows(ledger.customers, row_owners(ledger), 400)
    rows = pd.Series([1 + 2 * 2_000] + [11] * 200, index=chunk_of.index)
    per_chunk = rows.groupby(chunk_of.to_numpy()).sum()
    huge = chunk_of["C0"]
    assert per_chunk[huge] <= 4_001 + 399  # the huge customer, and at most a target's rest
    others = per_chunk.drop(huge)
    assert others.max() <= 400 + 10 and len(others) >= (200 * 11) // 400
    assert rows.sum() == per_chunk.sum()


def test_chunk_rows_must_be_positive() -> None:
    ledger = tiny_ledger()
    with pytest.raises(ValueError, match="chunk_rows must be at least 1"):
        chunk_of_rows(ledger.customers, row_owners(ledger), 0)
