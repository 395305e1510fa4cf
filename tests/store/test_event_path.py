"""The event path costs the rows it touches: the ledger after random event batches, cut by its
carried index, equals the same ledger cut by a scan; its carried index and date range equal
ones built from scratch; and the folder or database read back after a restart (tables plus
the stored event batches) is row for row the ledger in memory."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.io import event_batches, write_ledger
from risk.ledger import Ledger, subset_ledger
from risk.ledger_index import attach_index, build_index, index_of
from risk.store import FolderSource, LedgerState, SqlSource
from risk.synth import SampleConfig, generate_portfolio


@pytest.fixture(scope="module")
def generated() -> Ledger:
    return generate_portfolio(SampleConfig(customers=25, years=2, seed=3)).ledger


def _text(values: list[object]) -> list[str]:
    return ["" if v is None else str(v) for v in values]


@st.composite
def batches(
    draw: st.DrawFn, ledger: Ledger, number: int, latest: int = 5
) -> dict[str, pd.DataFrame]:
    """One batch of event rows naming customers and invoices of ``ledger``: new invoices
    (some for a new customer), invoices sent again settled, payments, reminders, legal
    events; dated up to ``latest`` days after the cut-off."""
    customers = ledger.customers["customer_id"].astype("str").tolist()
    invoices = ledger.invoices
    cutoff = ledger.cutoff
    day = st.integers(-40, latest).map(lambda d: (cutoff + pd.Timedelta(days=d)).date().isoformat())
    out: dict[str, pd.DataFrame] = {}
    new_customer = draw(st.booleans())
    if new_customer:
        out["customers"] = pd.DataFrame(
            {"customer_id": [f"N{number}"], "name": ["New"], "credit_limit": ["1000"]}, dtype="str"
        )
        customers = [*customers, f"N{number}"]
    n_new = draw(st.integers(0, 4))
    owners = draw(st.lists(st.sampled_from(customers), min_size=n_new, max_size=n_new))
    rows = [
        {
            "invoice_id": f"E{number}-{i}",
            "customer_id": owner,
            "issued_on": draw(day),
            "due_on": (cutoff + pd.Timedelta(days=30)).date().isoformat(),
            "amount": str(draw(st.sampled_from([120, 75.5, 3000]))),
        }
        for i, owner in enumerate(owners)
    ]
    settled = draw(st.lists(st.integers(0, len(invoices) - 1), max_size=3, unique=True))
    for position in settled:  # sent again with its settlement: replaced in place
        row = invoices.iloc[position]
        rows.append(
            {
                "invoice_id": row["invoice_id"],
                "customer_id": row["customer_id"],
                "issued_on": row["issued_on"].date().isoformat(),
                "due_on": row["due_on"].date().isoformat(),
                "amount": repr(float(row["amount"])),
                "paid_on": max(row["issued_on"], cutoff).date().isoformat(),
                "amount_paid": repr(float(row["amount"])),
            }
        )
    if rows:
        out["invoices"] = pd.DataFrame(rows).fillna("").astype("str")
    named = draw(st.lists(st.integers(0, len(invoices) - 1), max_size=4))
    if named:
        ids = invoices["invoice_id"].take(named).astype("str").tolist()
        out["reminders"] = pd.DataFrame(
            {
                "invoice_id": ids,
                "sent_on": [draw(day) for _ in ids],
                "step": ["1"] * len(ids),
                "channel": ["email"] * len(ids),
                "outcome": ["none"] * len(ids),
            },
            dtype="str",
        )
        out["payments"] = pd.DataFrame(
            {
                "payment_id": [f"PE{number}-{i}" for i in range(len(ids))],
                "invoice_id": ids,
                "paid_on": [draw(day) for _ in ids],
                "amount": ["10"] * len(ids),
            },
            dtype="str",
        )
    if draw(st.booleans()):
        out["legal_events"] = pd.DataFrame(
            {
                "customer_id": [draw(st.sampled_from(customers))],
                "published_on": [draw(day)],
                "kind": ["safeguard"],
            },
            dtype="str",
        )
    return out


def _plain(ledger: Ledger) -> Ledger:
    """The same tables without the carried index and date range."""
    return Ledger(**ledger.tables(), known_cutoff=ledger.known_cutoff)


def _assert_same_tables(mine: Ledger, theirs: Ledger) -> None:
    assert set(mine.tables()) == set(theirs.tables())
    for name, frame in mine.tables().items():
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), theirs.tables()[name].reset_index(drop=True), obj=name
        )


def _check_version(ledger: Ledger, rng: np.random.Generator) -> None:
    carried = index_of(ledger)
    assert carried is not None, "the event ledger carries its index"
    built = build_index(ledger)
    ids = ledger.customers["customer_id"].astype("str").tolist()
    for name in built.groups:
        for customer_id in ids:
            np.testing.assert_array_equal(
                carried.positions(name, [customer_id]), built.positions(name, [customer_id])
            )
    assert ledger.date_range == _plain(ledger).date_range
    wanted = list(rng.choice(ids, size=min(3, len(ids)), replace=False))
    _assert_same_tables(subset_ledger(ledger, wanted), subset_ledger(_plain(ledger), wanted))


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), fmt=st.sampled_from(["parquet", "csv"]))
def test_events_keep_the_index_and_the_folder_reads_back_the_ledger_in_memory(
    generated: Ledger, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, fmt: str
) -> None:
    folder = tmp_path_factory.mktemp("ledger")
    write_ledger(generated, folder, fmt=fmt)
    state = LedgerState(FolderSource(folder))
    assert state.refresh()
    rng = np.random.default_rng(0)
    for number in range(data.draw(st.integers(1, 4), label="batches")):
        current = state.snapshot.ledger  # type: ignore[union-attr]
        batch = data.draw(batches(current, number), label=f"batch {number}")
        check, snapshot = state.append(batch)
        assert not len(check.issues), check.issues
        _check_version(snapshot.ledger, rng)
    memory = state.snapshot.ledger  # type: ignore[union-attr]
    assert len(event_batches(folder)) >= 1 or not any(check.kept.values())
    restarted = LedgerState(FolderSource(folder))
    assert restarted.refresh()
    assert restarted.snapshot.version == state.snapshot.version  # type: ignore[union-attr]
    _assert_same_tables(restarted.snapshot.ledger, memory)  # type: ignore[union-attr]


def test_a_batch_is_stored_beside_the_tables_without_rewriting_them(
    generated: Ledger, tmp_path: Path
) -> None:
    write_ledger(generated, tmp_path, fmt="parquet")
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.parquet")}
    state = LedgerState(FolderSource(tmp_path))
    state.refresh()
    invoice = generated.invoices["invoice_id"].iloc[0]
    reminder = pd.DataFrame(
        {"invoice_id": [invoice], "sent_on": ["2024-01-02"], "step": ["1"], "channel": ["email"]},
        dtype="str",
    )
    check, snapshot = state.append({"reminders": reminder})
    assert check.kept == {"reminders": 1}
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.parquet")} == before
    assert [p.name for p in event_batches(tmp_path)] == ["00000001"]
    assert len(snapshot.ledger.reminders) == len(generated.reminders) + 1  # type: ignore[arg-type]


def test_a_subset_cut_by_the_index_is_the_subset_cut_by_a_scan(generated: Ledger) -> None:
    indexed = _plain(generated)
    attach_index(indexed, build_index(indexed))
    ids = generated.customers["customer_id"].astype("str").tolist()
    for wanted in (ids[:1], ids[3:9], ids[::-4], []):
        _assert_same_tables(
            subset_ledger(indexed, wanted), subset_ledger(_plain(generated), wanted)
        )
    # an id that is not a customer: the scan decides, as before
    _assert_same_tables(
        subset_ledger(indexed, ["nobody", ids[0]]),
        subset_ledger(_plain(generated), ["nobody", ids[0]]),
    )


def _sql_round_trip(url: str, generated: Ledger) -> None:
    source = SqlSource(url, prefix=f"t{uuid.uuid4().hex[:8]}_")
    try:
        source.import_ledger(generated)
        state = LedgerState(source)
        assert state.refresh()
        ledger = state.snapshot.ledger  # type: ignore[union-attr]
        row = ledger.invoices.iloc[2]
        settled = pd.DataFrame(
            {
                "invoice_id": [row["invoice_id"]],
                "customer_id": [row["customer_id"]],
                "issued_on": [row["issued_on"].date().isoformat()],
                "due_on": [row["due_on"].date().isoformat()],
                "amount": [repr(float(row["amount"]))],
                "paid_on": [ledger.cutoff.date().isoformat()],
                "amount_paid": [repr(float(row["amount"]))],
            },
            dtype="str",
        )
        check, snapshot = state.append({"invoices": settled})
        assert check.upserted == {"invoices": [row["invoice_id"]]}
        assert snapshot.ledger.invoices["invoice_id"].iloc[2] == row["invoice_id"]  # in place
        other = LedgerState(source)
        other.refresh()
        _assert_same_tables(other.snapshot.ledger, snapshot.ledger)  # type: ignore[union-attr]
    finally:
        source.drop()


def test_sqlite_reads_back_an_invoice_replaced_in_place(tmp_path: Path, generated: Ledger) -> None:
    _sql_round_trip(f"sqlite:///{tmp_path}/ledger.db", generated)


def test_postgresql_reads_back_an_invoice_replaced_in_place(
    postgres_url: str, generated: Ledger
) -> None:
    _sql_round_trip(postgres_url, generated)


def test_a_recorded_call_leaves_the_tables_it_only_refers_to_as_they_were(
    generated: Ledger,
) -> None:
    """A batch of reminders names invoices and their customer (checked against them, typed as
    the ledger holds them) but adds no row to them: those tables are the ledger's own, the
    reminders gain the batch's rows, and the carried index is the one built from scratch."""
    from risk.store.events import check_events

    ledger = _plain(generated)
    attach_index(ledger, build_index(ledger))
    invoices = ledger.invoices.head(3)
    batch = {
        "reminders": pd.DataFrame(
            {
                "invoice_id": invoices["invoice_id"].astype("str").to_numpy(),
                "sent_on": "2026-01-02",
                "step": "1",
                "channel": "phone",
            },
            dtype="str",
        )
    }
    check = check_events(ledger, batch)
    assert check.kept == {"reminders": 3}, check.issues
    assert check.ledger.invoices is ledger.invoices
    assert check.ledger.customers is ledger.customers
    assert set(check.rows) == {"reminders"}
    assert len(check.ledger.reminders) == len(ledger.reminders) + 3
    carried, fresh = index_of(check.ledger), build_index(check.ledger)
    assert carried is not None
    for name, group in fresh.groups.items():
        ids = check.ledger.customers["customer_id"].astype("str").head(50).tolist()
        np.testing.assert_array_equal(carried.positions(name, ids), group.rows([fresh.codes[c] for c in ids]))  # fmt: skip
