"""Partitioning and run state on a hand-built ledger a reader can check."""

from __future__ import annotations

import pandas as pd
import pytest

from risk.batch.partition import (
    chunk_of_customers,
    iter_chunks,
    n_chunks_for,
    plan_chunks,
    restrict_to_customers,
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
