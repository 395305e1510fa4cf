"""The cash-in forecast's parts add over books of disjoint customers: the parts of sub-ledgers
that split the customers, summed (``add_book_parts``), give the whole ledger's forecast rows
(``forecast_cash_in``), band included, whatever the band's settings. The batch relies on it to
forecast from its chunks (``risk.batch.run.chunked_forecast``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk import registry
from risk.ledger import subset_ledger
from risk.timing.forecast import (
    BAND,
    INDEPENDENT,
    PART_FIELDS,
    BandConfig,
    BandParts,
    add_book_parts,
    band_rows,
    book_parts,
    cash_forecast,
    forecast_cash_in,
    model_band,
)
from risk.timing.score import score_open_invoices

COLUMNS = ["week", "week_start", "expected", "low", "high", "cumulative"]
COLUMNS += ["cumulative_low", "cumulative_high"]


def split_parts(model, ledger, as_of, pieces: int, weeks: int = 13) -> list[BandParts]:  # type: ignore[no-untyped-def]
    ids = sorted(ledger.customers["customer_id"].astype("str"))
    groups = [ids[i::pieces] for i in range(pieces)]  # disjoint, every customer once
    return [book_parts(model, subset_ledger(ledger, g), as_of, weeks) for g in groups]


@pytest.mark.parametrize("pieces", [1, 3, 7])
def test_parts_of_disjoint_customers_add_to_the_whole_forecast(  # type: ignore[no-untyped-def]
    small_portfolio, timing_store, trained_timing, pieces: int
) -> None:
    ledger = small_portfolio.ledger
    model = registry.load_model(timing_store, "timing")
    as_of = ledger.cutoff
    whole = forecast_cash_in(model, ledger, as_of, 13).rows.drop(columns="group")
    summed = add_book_parts(split_parts(model, ledger, as_of, pieces), 13)
    # the model's own band (calibrated on this book at training), as ``forecast_cash_in``
    band, _ = model_band(model)
    assert band != BAND
    rows = band_rows(summed, as_of, band, with_group=False)
    assert whole["expected"].sum() > 0
    for name in ["week", "week_start"]:
        assert list(rows[name]) == list(whole[name])
    for name in ["expected", "low", "high", "cumulative", "cumulative_low", "cumulative_high"]:
        np.testing.assert_allclose(rows[name], whole[name], rtol=1e-6, atol=1e-6, err_msg=name)


def test_customer_dependence_parts_add_too(  # type: ignore[no-untyped-def]
    small_portfolio, timing_store, trained_timing
) -> None:
    """The shared-draw variance (a customer's invoices early or late together) is a sum over
    customers, so it adds as well: checked with bands that use it."""
    ledger = small_portfolio.ledger
    model = registry.load_model(timing_store, "timing")
    as_of = ledger.cutoff - pd.Timedelta(days=90)
    summed = add_book_parts(split_parts(model, ledger, as_of, 4, weeks=8), 8)
    scored = score_open_invoices(model, ledger, as_of)
    for band in (BandConfig(1.0, 0.05, 0.02), BandConfig(0.4, 0.0, 0.0), INDEPENDENT):
        whole = cash_forecast(scored, 8, band=band)
        rows = band_rows(summed, as_of, band, with_group=False)
        assert list(rows.columns) == list(whole.columns) == COLUMNS
        for name in COLUMNS[2:]:
            np.testing.assert_allclose(rows[name], whole[name], rtol=1e-6, atol=1e-6)
    assert (summed.shared > 0).any()


def test_adding_no_parts_is_a_book_with_nothing_open() -> None:
    empty = add_book_parts([], 5)
    assert empty.groups == ["all"]
    for name in PART_FIELDS:
        assert getattr(empty, name).shape == (1, 5) and not getattr(empty, name).any()
    with pytest.raises(ValueError, match="one group 'all' of 5 weeks"):
        add_book_parts([add_book_parts([], 4)], 5)
