"""The batch's worklist stage after its profiling pass (issue 17) gives the very frame the
former stage gave (``worklist_reference.py``, the former code kept verbatim), with and without
a payment-timing model; and the shortcuts it takes are exact on their own."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from worklist_reference import reference_global_worklist

from risk.batch import merge
from risk.batch.chunks import score_chunk
from risk.decisions.creditor import Creditor
from risk.decisions.worklist import decide_rows, decide_top, per_country
from risk.model.bundle import RiskModel
from risk.scoring import Scorer
from risk.synth import Portfolio


def _candidates(scorer: Scorer, portfolio: Portfolio) -> pd.DataFrame:
    ledger = portfolio.ledger
    scores = score_chunk(scorer, ledger, ledger.cutoff, explain=False)
    customers, invoices = merge.sort_scores(scores.customers, scores.invoices)
    return merge.worklist_candidates(customers, invoices, None)


@pytest.mark.parametrize("with_timing", [True, False], ids=["timing model", "issue-date model"])
@pytest.mark.parametrize("top", [25, None], ids=["top 25", "every open invoice"])
def test_worklist_stage_equals_the_former_stage(  # type: ignore[no-untyped-def]
    batch_scorer: Scorer,
    timing_model: RiskModel,
    batch_portfolio: Portfolio,
    with_timing: bool,
    top,
) -> None:
    scorer = replace(batch_scorer, timing_model=timing_model if with_timing else None)
    ledger = batch_portfolio.ledger
    candidates = _candidates(scorer, batch_portfolio)
    assert len(candidates) > 100 and candidates["customer_id"].nunique() > 20
    found = merge.build_global_worklist(scorer, ledger, ledger.cutoff, candidates, top=top)
    expected = reference_global_worklist(scorer, ledger, ledger.cutoff, candidates, top)
    pd.testing.assert_frame_equal(found, expected)
    assert len(found) == (top or len(candidates))
    assert (found["invoice_reasons_en"] != "").any() and (found["customer_reasons_en"] != "").any()


def test_per_country_is_the_rule_row_by_row() -> None:
    creditor = Creditor(name="Acme", debtor_countries=("FR", "MC"))
    countries = pd.Series(["FR", "BE", None, "FR", np.nan, "MC", "BE", "DE"], dtype=object)
    for rule in (creditor.french_law_applies, creditor.scope_note):
        assert per_country(countries, rule) == [rule(c) for c in countries]
    notes = per_country(countries, creditor.scope_note)
    assert "debtor BE;" in notes[1] and notes[0] == ""


@pytest.mark.parametrize("top", [1, 10, 60])
@pytest.mark.parametrize("first", [1, 7, 40])
def test_deciding_the_top_rows_equals_deciding_every_row(  # type: ignore[no-untyped-def]
    batch_scorer: Scorer, batch_portfolio: Portfolio, top: int, first: int
) -> None:
    ledger = batch_portfolio.ledger
    candidates = _candidates(batch_scorer, batch_portfolio)
    config = merge.default_decision_config()
    every = decide_rows(ledger, ledger.cutoff, candidates, config)
    found = decide_top(ledger, ledger.cutoff, candidates, config, top, first=first)
    pd.testing.assert_frame_equal(found, every.head(top))
