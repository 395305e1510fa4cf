"""Compaction of a folder's event batches: the folded folder reads back the ledger the batches
gave, at the same version; a crash after any step leaves a folder that reads the same ledger
and that the next compaction finishes; batch numbers keep increasing afterwards."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.io import EVENTS_DIRNAME, event_batches, load_ledger, write_ledger
from risk.ledger import Ledger
from risk.store import FolderSource, LedgerState
from risk.store import compact as compaction
from risk.synth import SampleConfig, generate_portfolio
from tests.store.test_event_path import _assert_same_tables, batches


class CrashError(Exception):
    """Plays the process dying after a step."""


@pytest.fixture(scope="module")
def generated() -> Ledger:
    return generate_portfolio(SampleConfig(customers=25, years=2, seed=3)).ledger


def _fill(folder: Path, generated: Ledger, data: st.DataObject, fmt: str, n: int) -> LedgerState:
    write_ledger(generated, folder, fmt=fmt)
    state = LedgerState(FolderSource(folder, compact_in_background=False))
    assert state.refresh()
    for number in range(n):
        batch = data.draw(batches(state.snapshot.ledger, number), label=f"batch {number}")  # type: ignore[union-attr]
        state.append(batch)
    return state


def _fixed_batch(ledger: Ledger, number: int) -> dict[str, pd.DataFrame]:
    """A new customer with an invoice, an invoice settled in place (replaced by key), a
    reminder and a payment: every kind of row a batch stores."""
    row = ledger.invoices.iloc[number]
    day = ledger.cutoff.date().isoformat()
    invoices = pd.DataFrame(
        [
            {
                "invoice_id": f"F{number}",
                "customer_id": f"NF{number}",
                "issued_on": day,
                "due_on": day,
                "amount": "250.5",
                "paid_on": "",
                "amount_paid": "",
            },
            {
                "invoice_id": row["invoice_id"],
                "customer_id": row["customer_id"],
                "issued_on": row["issued_on"].date().isoformat(),
                "due_on": row["due_on"].date().isoformat(),
                "amount": repr(float(row["amount"])),
                "paid_on": max(row["issued_on"], ledger.cutoff).date().isoformat(),
                "amount_paid": repr(float(row["amount"])),
            },
        ],
        dtype="str",
    )
    return {
        "customers": pd.DataFrame(
            {"customer_id": [f"NF{number}"], "name": ["New"], "credit_limit": ["1000"]},
            dtype="str",
        ),
        "invoices": invoices,
        "reminders": pd.DataFrame(
            {
                "invoice_id": [row["invoice_id"]],
                "sent_on": [day],
                "step": ["1"],
                "channel": ["email"],
                "outcome": ["none"],
            },
            dtype="str",
        ),
        "payments": pd.DataFrame(
            {
                "payment_id": [f"PF{number}"],
                "invoice_id": [row["invoice_id"]],
                "paid_on": [day],
                "amount": ["10"],
            },
            dtype="str",
        ),
    }


def _reads(folder: Path) -> tuple[Ledger, str]:
    return FolderSource(folder).read()


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), fmt=st.sampled_from(["parquet", "csv"]))
def test_a_compacted_folder_reads_back_the_ledger_of_its_batches_at_the_same_version(
    generated: Ledger, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, fmt: str
) -> None:
    folder = tmp_path_factory.mktemp("ledger")
    state = _fill(folder, generated, data, fmt, data.draw(st.integers(2, 5), label="batches"))
    memory, version = state.snapshot.ledger, state.snapshot.version  # type: ignore[union-attr]
    stored = len(event_batches(folder))
    assert FolderSource(folder).compact() == stored
    assert event_batches(folder, folded=True) == []
    ledger, after = _reads(folder)
    assert after == version  # the service's state does not reload a folded folder
    _assert_same_tables(ledger, memory)
    assert not state.refresh()
    # the next batch is numbered after the folded ones and chains onto the same version
    check, snapshot = state.append(data.draw(batches(memory, 99), label="after"))
    if any(check.kept.values()):
        assert [int(p.name) for p in event_batches(folder)] == [stored + 1]
        assert snapshot.version != version
    ledger, again = _reads(folder)
    assert again == snapshot.version
    _assert_same_tables(ledger, snapshot.ledger)


def _steps(folder: Path) -> list[str]:
    """The steps a compaction of ``folder`` goes through (on a copy)."""
    import shutil

    copy = folder.parent / f"{folder.name}-steps"
    shutil.copytree(folder, copy)
    seen: list[str] = []
    compaction.compact(copy, step=seen.append)
    shutil.rmtree(copy)
    return seen


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_crash_after_any_step_leaves_the_same_ledger_and_the_next_compaction_finishes(
    generated: Ledger, tmp_path: Path, fmt: str
) -> None:
    import shutil

    origin = tmp_path / "origin"
    write_ledger(generated, origin, fmt=fmt)
    state = LedgerState(FolderSource(origin, compact_in_background=False))
    assert state.refresh()
    for number in range(4):
        check, _ = state.append(_fixed_batch(state.snapshot.ledger, number))  # type: ignore[union-attr]
        assert not len(check.issues), check.issues
    origin = tmp_path / "origin"
    memory, version = _reads(origin)
    stored = len(event_batches(origin))
    assert stored == 4
    steps = _steps(origin)
    assert (
        steps[0] == "staged"
        and "committed" in steps
        and "recorded" in steps
        and "released" in steps
    )
    assert any(s.startswith("moved") for s in steps)
    assert any(s.startswith("deleted batch") for s in steps)
    for at in steps:
        folder = tmp_path / f"crash-{steps.index(at)}"
        shutil.copytree(origin, folder)

        def crash(step: str, at: str = at) -> None:
            if step == at:
                raise CrashError(step)

        with pytest.raises(CrashError):
            compaction.compact(folder, step=crash)
        # a reader of the crashed folder sees the whole ledger, at the same version
        ledger, after = _reads(folder)
        assert after == version, at
        _assert_same_tables(ledger, memory)
        # the next compaction finishes (or rolls forward) the interrupted one
        compaction.compact(folder)
        assert event_batches(folder, folded=True) == [], at
        assert not list((folder / EVENTS_DIRNAME).glob("*compact-*")), at
        ledger, after = _reads(folder)
        assert after == version, at
        _assert_same_tables(ledger, memory)
        assert load_ledger(folder).invoices.shape == memory.invoices.shape
        # and a new batch is numbered after every batch ever stored
        state = LedgerState(FolderSource(folder, compact_in_background=False))
        assert state.refresh()
        invoice = memory.invoices["invoice_id"].iloc[0]
        reminder = pd.DataFrame(
            {
                "invoice_id": [invoice],
                "sent_on": ["2024-01-02"],
                "step": ["1"],
                "channel": ["email"],
            },
            dtype="str",
        )
        state.append({"reminders": reminder})
        assert [int(p.name) for p in event_batches(folder)] == [stored + 1], at


def test_the_service_compacts_past_the_threshold_without_changing_the_version(
    generated: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compaction, "COMPACT_BATCHES", 3)
    write_ledger(generated, tmp_path, fmt="parquet")
    source = FolderSource(tmp_path)
    state = LedgerState(source)
    assert state.refresh()
    invoices = generated.invoices["invoice_id"].tolist()
    for i in range(5):
        reminder = pd.DataFrame(
            {
                "invoice_id": [invoices[i]],
                "sent_on": ["2024-01-02"],
                "step": ["1"],
                "channel": ["email"],
            },
            dtype="str",
        )
        state.append({"reminders": reminder})
        source.settle()
    assert len(event_batches(tmp_path)) <= 3  # folded past 3 batches, in the background
    assert not state.refresh()  # same version: no reload
    ledger, version = _reads(tmp_path)
    assert version == state.snapshot.version  # type: ignore[union-attr]
    _assert_same_tables(ledger, state.snapshot.ledger)  # type: ignore[union-attr]
    assert len(ledger.reminders) == len(generated.reminders) + 5  # type: ignore[arg-type]


def test_risk_compact_folds_the_batches(generated: Ledger, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from risk.cli import app

    write_ledger(generated, tmp_path, fmt="csv")
    state = LedgerState(FolderSource(tmp_path, compact_in_background=False))
    assert state.refresh()
    for number in range(2):
        state.append(_fixed_batch(state.snapshot.ledger, number))  # type: ignore[union-attr]
    result = CliRunner().invoke(app, ["compact", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "2 event batches folded" in result.output
    assert event_batches(tmp_path, folded=True) == []
    ledger, version = _reads(tmp_path)
    assert version == state.snapshot.version  # type: ignore[union-attr]
    _assert_same_tables(ledger, state.snapshot.ledger)  # type: ignore[union-attr]
