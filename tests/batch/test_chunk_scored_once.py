"""A chunk scores its open invoices once: the cash-in forecast parts are made from the weekly
probabilities of the invoice scoring (``Scorer.score_invoices_and_book``) and equal, bit for
bit, the parts of a separate scoring (``risk.timing.forecast.book_parts``); the invoice scores
and the book are those of ``score_invoices`` and ``score_open_invoices`` called apart, at the
ledger's cut-off and at a date on which invoices are issued (open in the book, not yet in the
invoice scores)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from risk.batch.chunks import FORECAST_WEEKS, score_chunk
from risk.ledger import Ledger, subset_ledger
from risk.model.bundle import RiskModel
from risk.scoring import Scorer
from risk.synth import Portfolio
from risk.timing import score as timing_score
from risk.timing.forecast import PART_FIELDS, book_parts
from risk.timing.score import score_open_invoices


@pytest.fixture
def timed_scorer(batch_scorer: Scorer, timing_model: RiskModel) -> Scorer:
    return replace(batch_scorer, timing_model=timing_model)


def issue_day(ledger: Ledger) -> pd.Timestamp:
    """A date on which several invoices are issued, late enough for a history."""
    issued = ledger.invoices["issued_on"]
    late = issued[issued > issued.quantile(0.8)]
    return pd.Timestamp(late.value_counts().idxmax())


def dates(portfolio: Portfolio) -> list[pd.Timestamp]:
    ledger = portfolio.ledger
    return [pd.Timestamp(ledger.cutoff), issue_day(ledger)]


def chunk_ledger(portfolio: Portfolio) -> Ledger:
    """A chunk's sub-ledger: a third of the customers."""
    return subset_ledger(portfolio.ledger, list(portfolio.ledger.customers["customer_id"][::3]))


@pytest.mark.parametrize("whole", [True, False], ids=["whole ledger", "one chunk"])
@pytest.mark.parametrize("at", [0, 1], ids=["cut-off", "issue day"])
def test_forecast_parts_from_the_one_scoring_equal_a_separate_scoring(
    timed_scorer: Scorer, batch_portfolio: Portfolio, whole: bool, at: int
) -> None:
    ledger = batch_portfolio.ledger if whole else chunk_ledger(batch_portfolio)
    as_of = dates(batch_portfolio)[at]
    assert timed_scorer.timing_model is not None
    chunk = score_chunk(timed_scorer, ledger, as_of, explain=False)
    separate = book_parts(timed_scorer.timing_model, ledger, as_of, FORECAST_WEEKS)
    assert chunk.forecast is not None and chunk.forecast.groups == separate.groups == ["all"]
    assert separate.expected.sum() > 0
    for name in PART_FIELDS:
        np.testing.assert_array_equal(getattr(chunk.forecast, name), getattr(separate, name))


@pytest.mark.parametrize("explain", [False, True])
@pytest.mark.parametrize("at", [0, 1], ids=["cut-off", "issue day"])
def test_one_scoring_gives_the_invoice_scores_and_the_book_of_two(
    timed_scorer: Scorer, batch_portfolio: Portfolio, explain: bool, at: int
) -> None:
    ledger = chunk_ledger(batch_portfolio)
    as_of = dates(batch_portfolio)[at]
    assert timed_scorer.timing_model is not None
    scores, book = timed_scorer.score_invoices_and_book(ledger, as_of, explain=explain)
    alone = timed_scorer.score_invoices(ledger, as_of, explain=explain)
    pd.testing.assert_frame_equal(scores, alone, check_exact=True)
    separate = score_open_invoices(timed_scorer.timing_model, ledger, as_of)
    assert book is not None
    pd.testing.assert_frame_equal(book.scores, separate.scores, check_exact=True)
    np.testing.assert_array_equal(book.q, separate.q)
    assert (book.lost is None) == (separate.lost is None)
    if book.lost is not None:
        np.testing.assert_array_equal(book.lost, separate.lost)
    # the book holds every invoice scored, and at an issue day more: those issued that day
    assert set(scores["invoice_id"]) <= set(book.scores["invoice_id"])
    issued_today = ledger.invoices.loc[ledger.invoices["issued_on"] == as_of, "invoice_id"]
    assert set(book.scores["invoice_id"]) - set(scores["invoice_id"]) == set(issued_today)
    assert at == 0 or len(issued_today) > 0


def test_a_chunk_computes_the_open_invoice_features_once(
    timed_scorer: Scorer, batch_portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = timing_score.snapshot_features

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(timing_score, "snapshot_features", counted)
    ledger = chunk_ledger(batch_portfolio)
    chunk = score_chunk(timed_scorer, ledger, ledger.cutoff, explain=False)
    assert chunk.forecast is not None and len(chunk.invoices) > 0
    assert len(calls) == 1 and calls[0] >= len(chunk.invoices)


def test_without_a_timing_model_there_is_no_book(
    batch_scorer: Scorer, batch_portfolio: Portfolio
) -> None:
    ledger = chunk_ledger(batch_portfolio)
    scores, book = batch_scorer.score_invoices_and_book(ledger, ledger.cutoff, explain=False)
    assert book is None
    alone = batch_scorer.score_invoices(ledger, ledger.cutoff, explain=False)
    pd.testing.assert_frame_equal(scores, alone, check_exact=True)
