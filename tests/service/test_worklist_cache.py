"""/worklist is served from a cache of the current ledger version: the same rows as a fresh
``build_worklist`` on that ledger, and new rows once an event batch changes the ledger."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest
from service.service import RiskService
from tests.service.conftest import Trained

from risk import registry
from risk.decisions.worklist import DecisionConfig, WorklistFilters, build_worklist
from risk.scoring import Scorer
from risk.serving import schemas
from risk.serving.app import worklist_rows
from risk.serving.cache import ScoreCache, update_cache
from risk.serving.worklists import WorklistCache, from_cache
from risk.store import LedgerState, open_source


@pytest.fixture(scope="module")
def scorer(trained: Trained) -> Scorer:
    return Scorer.from_registry(registry.Store.resolve(trained.tracking_uri))


def fresh(scorer: Scorer, service: RiskService, as_of: pd.Timestamp, top: int | None) -> list:
    """The rows a fresh build gives on the service's current ledger (no cache involved)."""
    ledger = service.ledgers.snapshot.ledger  # type: ignore[union-attr]
    return worklist_rows(build_worklist(scorer, ledger, as_of, WorklistFilters(top=top)))


def test_rows_from_the_cached_scores_are_those_of_a_fresh_build(
    trained: Trained, scorer: Scorer
) -> None:
    state = LedgerState(
        open_source(trained.ledger_dir),
        prepare=lambda snap, changed, previous: update_cache(
            scorer,
            snap,
            changed,
            previous,  # type: ignore[arg-type]
        ),
    )
    assert state.refresh()
    snapshot, cache = state.view
    assert isinstance(cache, ScoreCache) and snapshot is not None
    ledger, as_of = snapshot.ledger, cache.as_of
    grades = sorted(set(cache.customers["grade"]))[-2:]
    sections = ["G", "F", "C"]
    for filters in (
        WorklistFilters(),
        WorklistFilters(top=None),
        WorklistFilters(top=5, grades=tuple(grades)),
        WorklistFilters(top=10, sectors=tuple(sections), min_amount=1000.0),
        WorklistFilters(top=3, per_customer=True),
    ):
        cached = worklist_rows(from_cache(ledger, as_of, cache, filters, DecisionConfig()))
        built = worklist_rows(build_worklist(scorer, ledger, as_of, filters))
        assert cached == built, filters
        assert cached, filters  # the portfolio has open invoices at its cut-off


def test_the_service_answers_from_its_cache_and_an_event_changes_the_answer(
    trained: Trained,
    scorer: Scorer,
    service_environ: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "ledger"  # events are written to the ledger: a copy of the shared one
    shutil.copytree(trained.ledger_dir, folder)
    monkeypatch.setenv("RISK_LEDGER", str(folder))
    service = RiskService()
    assert service.__is_ready__()
    service.ledgers.settle(timeout_s=600)

    first = service.worklist(schemas.WorklistRequest())
    again = service.worklist(schemas.WorklistRequest())
    assert isinstance(first, schemas.Worklist) and isinstance(again, schemas.Worklist)
    as_of = pd.Timestamp(first.as_of)
    assert len(service.worklists) == 1  # one build, kept for the second call
    assert again.rows == first.rows == fresh(scorer, service, as_of, None)
    assert first.ledger_version == again.ledger_version != first.request_id
    top = service.worklist(schemas.WorklistRequest(top=5))
    assert top.rows == fresh(scorer, service, as_of, 5)  # type: ignore[union-attr]
    assert len(service.worklists) == 2

    customer = str(first.rows[0]["customer_id"])
    issued = (as_of - pd.Timedelta(days=90)).date().isoformat()
    due = (as_of - pd.Timedelta(days=60)).date().isoformat()
    event = schemas.LedgerEvents.model_validate(
        {
            "invoices": [
                {
                    "invoice_id": "EVT-WORKLIST",
                    "customer_id": customer,
                    "issued_on": issued,
                    "due_on": due,
                    "amount": 250000.0,
                }
            ]
        }
    )
    result = service.ledger_events(event)
    assert isinstance(result, schemas.LedgerEventsResult) and result.kept == {"invoices": 1}

    # right after the event (its customer's open invoices may still be rescored in the
    # background: built from the ledger) and once they are (built from the cached scores):
    # the new ledger's worklist, as a fresh build gives it
    after = service.worklist(schemas.WorklistRequest())
    service.ledgers.settle(timeout_s=600)
    service.worklists = WorklistCache()
    settled = service.worklist(schemas.WorklistRequest())
    for answer in (after, settled):
        assert isinstance(answer, schemas.Worklist)
        assert answer.ledger_version == result.ledger_version != first.ledger_version
        assert answer.rows != first.rows
        assert "EVT-WORKLIST" in {row["invoice_id"] for row in answer.rows}
        assert answer.rows == fresh(scorer, service, pd.Timestamp(answer.as_of), None)


def test_one_build_per_version_date_and_filters() -> None:
    cache = WorklistCache(size=2)
    builds: list[str] = []
    release = threading.Event()
    day = pd.Timestamp("2026-01-15")

    def build(label: str) -> list[dict]:
        builds.append(label)
        release.wait(5)
        return [{"built": label}]

    answers: list[list[dict]] = []
    callers = [
        threading.Thread(
            target=lambda: answers.append(
                cache.rows("v1", day, WorklistFilters(), lambda: build("a"))
            )
        )
        for _ in range(4)
    ]
    for caller in callers:
        caller.start()
    release.set()
    for caller in callers:
        caller.join()
    assert builds == ["a"] and answers == [[{"built": "a"}]] * 4  # concurrent calls wait for one

    assert cache.rows("v1", day, WorklistFilters(top=5), lambda: build("b")) == [{"built": "b"}]
    assert cache.rows("v1", day, WorklistFilters(), lambda: build("x")) == [{"built": "a"}]
    cache.rows("v1", day + pd.Timedelta(days=1), WorklistFilters(), lambda: build("c"))
    assert len(cache) == 2  # least recently used (top=5) dropped
    assert cache.rows("v2", day, WorklistFilters(), lambda: build("d")) == [{"built": "d"}]
    assert len(cache) == 1  # a new version keeps nothing of the old one

    def failing() -> list[dict]:
        raise RuntimeError("scoring failed")

    with pytest.raises(RuntimeError):
        cache.rows("v2", day, WorklistFilters(top=1), failing)
    assert cache.rows("v2", day, WorklistFilters(top=1), lambda: build("e")) == [{"built": "e"}]


def test_rows_kept_are_bounded() -> None:
    cache = WorklistCache(size=10, max_rows=5)
    day = pd.Timestamp("2026-01-15")
    rows = [{"n": i} for i in range(3)]
    cache.rows("v1", day, WorklistFilters(top=1), lambda: rows)
    cache.rows("v1", day, WorklistFilters(top=2), lambda: rows)  # 6 rows: the older dropped
    assert len(cache) == 1
    big = [{"n": i} for i in range(9)]
    assert cache.rows("v1", day, WorklistFilters(top=3), lambda: big) == big  # kept alone
    assert len(cache) == 1
    assert cache.rows("v1", day, WorklistFilters(top=3), lambda: []) == big
