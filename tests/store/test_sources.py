"""Folder and SQL ledger sources: atomic reload on change, events persisted and reread."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from risk.io import load_ledger, write_table
from risk.store import FolderSource, LedgerState, SqlSource, open_source


def payment(pid: str, invoice: str = "I3") -> dict[str, pd.DataFrame]:
    return {
        "payments": pd.DataFrame(
            {
                "payment_id": [pid],
                "invoice_id": [invoice],
                "paid_on": ["2024-06-01"],
                "amount": ["50"],
            },
            dtype="str",
        )
    }


def test_folder_change_publishes_a_new_version_and_old_readers_keep_theirs(write_ledger) -> None:
    directory = write_ledger()
    state = LedgerState(FolderSource(directory))
    assert state.refresh() and not state.refresh()
    before = state.snapshot
    assert before is not None and before.counts["invoices"] == 4
    ledger = load_ledger(directory)
    write_table(ledger.invoices.head(2), directory / "invoices.csv")
    assert state.refresh()
    after = state.snapshot
    assert after is not None and after.version != before.version
    assert after.counts["invoices"] == 2
    assert len(before.ledger.invoices) == 4  # an in-flight request still sees its version


def test_folder_events_are_written_and_read_back(write_ledger) -> None:
    directory = write_ledger()
    state = LedgerState(FolderSource(directory))
    state.refresh()
    check, snapshot = state.append(payment("P1"))
    assert check.kept == {"payments": 1} and snapshot.counts["payments"] == 1
    assert not state.refresh()  # our own write is not a foreign change
    reread = LedgerState(FolderSource(directory))
    reread.refresh()
    assert reread.snapshot is not None and reread.snapshot.version == snapshot.version
    assert list(reread.snapshot.ledger.payments["payment_id"]) == ["P1"]


def _sql_round_trip(url: str, write_ledger) -> None:  # type: ignore[no-untyped-def]
    source = SqlSource(url, prefix=f"t{uuid.uuid4().hex[:8]}_")
    try:
        source.import_ledger(load_ledger(write_ledger()))
        state = LedgerState(source)
        assert state.refresh()
        first = state.snapshot
        assert first is not None and first.counts["customers"] == 3
        check, second = state.append(payment("P1"))
        assert check.kept == {"payments": 1} and second.version != first.version
        other = LedgerState(source)  # another process reading the same database
        other.refresh()
        assert other.snapshot is not None and other.snapshot.version == second.version
        assert list(other.snapshot.ledger.payments["payment_id"]) == ["P1"]
        pd.testing.assert_frame_equal(
            other.snapshot.ledger.invoices.reset_index(drop=True),
            second.ledger.invoices.reset_index(drop=True),
            check_dtype=False,
        )
        # a change made by someone else is picked up by the first state
        LedgerState(source).refresh()
        other.append(payment("P2"))
        assert state.refresh() and state.snapshot.counts["payments"] == 2  # type: ignore[union-attr]
    finally:
        source.drop()


def test_sqlite_source(tmp_path, write_ledger) -> None:  # type: ignore[no-untyped-def]
    _sql_round_trip(f"sqlite:///{tmp_path}/ledger.db", write_ledger)


def test_postgresql_source(postgres_url: str, write_ledger) -> None:  # type: ignore[no-untyped-def]
    _sql_round_trip(postgres_url, write_ledger)


def test_open_source_picks_by_spec(tmp_path, write_ledger) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(open_source(write_ledger()), FolderSource)
    assert isinstance(open_source(f"sqlite:///{tmp_path}/x.db"), SqlSource)


def test_missing_folder_is_an_error_not_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    state = LedgerState(FolderSource(tmp_path / "nowhere"))
    assert not state.refresh()
    assert "no ledger" in state.error and state.snapshot is None
    with pytest.raises(Exception, match="no ledger"):
        state.append(payment("P1"))
