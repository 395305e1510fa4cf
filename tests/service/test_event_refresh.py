"""An event batch is visible to the next score; only the customers it touched are rescored.

Wired as the service does: a ``LedgerState`` on a ledger folder whose ``prepare`` refreshes the
cached customer scores of the touched customers before the new version is published, and whose
``complete`` scores their open invoices right after, in the background.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.service.conftest import Trained
from tests.store.test_event_path import batches

from risk import registry
from risk.scoring import Scorer
from risk.serving.cache import ScoreCache, fill_invoices, update_cache
from risk.store import LedgerState, open_source


@pytest.fixture(scope="module")
def scorer(trained: Trained) -> Scorer:
    return Scorer.from_registry(registry.Store.resolve(trained.tracking_uri))


def _cache(state: LedgerState) -> ScoreCache:
    cache = state.view[1]
    assert isinstance(cache, ScoreCache)
    return cache


def _service_state(scorer: Scorer, folder: Path) -> LedgerState:
    """The ledger state wired as the service wires it: the scores of the customers an event
    touched refreshed at once, their open invoices completed in the background."""
    return LedgerState(
        open_source(folder),
        prepare=lambda snap, changed, previous: update_cache(
            scorer,
            snap,
            changed,
            previous,  # type: ignore[arg-type]
            invoices_later=True,
        ),
        complete=lambda snap, cache: fill_invoices(scorer, snap, cache),  # type: ignore[arg-type]
    )


def test_events_reach_the_next_score_and_leave_other_customers_alone(
    trained: Trained, scorer: Scorer, tmp_path: Path
) -> None:
    folder = tmp_path / "ledger"
    shutil.copytree(trained.ledger_dir, folder)
    state = _service_state(scorer, folder)
    assert state.refresh()
    before = _cache(state)
    ledger = state.snapshot.ledger  # type: ignore[union-attr]
    customers = ledger.customers
    alone = customers["group_id"].isna() if "group_id" in customers else True
    target = str(customers.loc[alone, "customer_id"].iloc[0])
    old = before.answer(target, "r", {}, before.version)
    assert old is not None
    issued = (before.as_of - pd.Timedelta(days=10)).date().isoformat()
    due = (before.as_of + pd.Timedelta(days=20)).date().isoformat()
    amounts = [1000.0 + i for i in range(50)]
    batch = {
        "invoices": pd.DataFrame(
            {
                "invoice_id": [f"EVT{i:03d}" for i in range(50)],
                "customer_id": target,
                "issued_on": issued,
                "due_on": due,
                "amount": [str(a) for a in amounts],
            },
            dtype="str",
        )
    }

    check, snapshot = state.append(batch)

    assert check.kept == {"invoices": 50}
    after = _cache(state)  # the published view, before the background completion
    assert after.version == snapshot.version != before.version
    assert after.as_of == before.as_of  # the new invoices are before the cut-off date
    new = after.answer(target, "r", {}, after.version)
    assert new is not None
    # the 50 open invoices add their amounts to the customer's exposure (credit-limit input)
    assert new.credit_limit.exposure == pytest.approx(old.credit_limit.exposure + sum(amounts))
    # untouched customers keep their very answers and rows
    others = [c for c in before.answers if c != target]
    assert all(after.answers[c] is before.answers[c] for c in others)
    pd.testing.assert_frame_equal(
        after.customers.drop(index=[target]).sort_index(),
        before.customers.drop(index=[target]).sort_index(),
    )
    assert not after.invoices["customer_id"].eq(target).any()  # stale scores dropped
    assert target in after.pending

    state.settle(timeout_s=600)
    filled = _cache(state)
    assert filled.version == snapshot.version and not filled.pending
    scored = filled.invoices[filled.invoices["customer_id"] == target]
    assert {f"EVT{i:03d}" for i in range(50)} <= set(scored["invoice_id"])
    np.testing.assert_array_less(0.0, scored["probability"].to_numpy())
    kept = before.invoices[before.invoices["customer_id"] != target]
    pd.testing.assert_frame_equal(
        filled.invoices[filled.invoices["customer_id"] != target].sort_index(),
        kept.sort_index(),
    )
    # the same scores as a full build of the new version
    full = update_cache(scorer, snapshot, None, None)
    assert full is not None
    pd.testing.assert_series_equal(
        filled.invoices.loc[scored.index, "probability"],
        full.invoices.loc[scored.index, "probability"],
    )
    assert filled.answers[target].probability == pytest.approx(full.answers[target].probability)


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_cache_refreshed_after_random_event_batches_equals_a_full_build(
    trained: Trained, scorer: Scorer, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """Random batches (new invoices and customers, invoices settled in place, payments,
    reminders, legal events) through the service's wiring: once the background completion is
    over, every customer's and open invoice's cached score is the one a full build of the
    final version gives."""
    folder = tmp_path_factory.mktemp("ledger")
    shutil.copytree(trained.ledger_dir, folder, dirs_exist_ok=True)
    state = _service_state(scorer, folder)
    assert state.refresh()
    for number in range(data.draw(st.integers(1, 2), label="batches")):
        ledger = state.snapshot.ledger  # type: ignore[union-attr]
        check, _ = state.append(data.draw(batches(ledger, number, latest=0), label="batch"))
        assert not len(check.issues), check.issues
        state.settle(timeout_s=900)
    refreshed = _cache(state)
    full = update_cache(scorer, state.snapshot, None, None)  # type: ignore[arg-type]
    assert full is not None and refreshed.version == full.version and not refreshed.pending
    columns = ["probability", "pd_default", "grade", "suggested_limit", "exposure"]
    pd.testing.assert_frame_equal(
        refreshed.customers[columns].sort_index(), full.customers[columns].sort_index()
    )
    assert set(refreshed.invoices.index) == set(full.invoices.index)
    pd.testing.assert_series_equal(
        refreshed.invoices["probability"].sort_index(), full.invoices["probability"].sort_index()
    )
    for customer_id, answer in full.answers.items():
        mine = refreshed.answers[customer_id]
        assert (mine.probability, mine.grade) == (answer.probability, answer.grade)
        assert [r.feature for r in mine.reasons] == [r.feature for r in answer.reasons]
