"""Disputes, credit limits and the paperless switch are read at the as-of date, never later."""

from __future__ import annotations

import numpy as np
import pandas as pd
from compare import assert_features_equal
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ledger_strategies import SPAN_DAYS, cutoff, day, ledgers

from risk.features import FeatureConfig, customer_features_as_of, invoice_features_as_of
from risk.features.dated import credit_limit_at, dispute_open_at, paperless_codes
from risk.ledger import Ledger, subset_ledger


def d(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def _ledger(**tables: pd.DataFrame) -> Ledger:
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "credit_limit": [0.0, 5000.0]}).astype(
        {"customer_id": "str"}
    )
    invoices = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2"],
            "customer_id": ["C1", "C2"],
            "issued_on": [d("2024-01-01"), d("2024-01-15")],
            "due_on": [d("2024-01-31"), d("2024-02-14")],
            "amount": [100.0, 200.0],
            "paid_on": [pd.NaT, d("2024-06-30")],  # the cut-off: I2 paid on 30 June
            "disputed": [True, False],
        }
    ).astype({"invoice_id": "str", "customer_id": "str"})
    return Ledger(customers=customers, invoices=invoices, **tables)


def test_a_dispute_is_open_from_the_day_after_it_was_raised_until_resolved() -> None:
    disputes = pd.DataFrame(
        {
            "invoice_id": ["I1"],
            "opened_on": [d("2024-03-01")],
            "resolved_on": [d("2024-04-01")],
        }
    ).astype({"invoice_id": "str"})
    ledger = _ledger(disputes=disputes)
    ids = pd.Series(["I1"] * 4, dtype="str")
    dates = pd.Series([d("2024-03-01"), d("2024-03-02"), d("2024-04-01"), d("2024-04-02")])
    # known strictly after the day it is raised; resolved on 1 April: closed from 2 April
    assert dispute_open_at(ledger, ids, dates).tolist() == [False, True, True, False]


def test_reminders_answered_dispute_serve_when_there_is_no_disputes_table() -> None:
    reminders = pd.DataFrame(
        {
            "invoice_id": ["I2"],
            "sent_on": [d("2024-03-10")],
            "step": [1],
            "channel": ["email"],
            "outcome": ["dispute"],
        }
    ).astype({"invoice_id": "str"})
    ledger = _ledger(reminders=reminders)
    ids = pd.Series(["I2"] * 3, dtype="str")
    dates = pd.Series([d("2024-03-10"), d("2024-03-11"), d("2024-07-01")])
    # open from the day after the reminder until the invoice is paid (30 June)
    assert dispute_open_at(ledger, ids, dates).tolist() == [False, True, False]


def test_an_undated_flag_counts_only_from_the_cutoff() -> None:
    ledger = _ledger()
    assert ledger.cutoff == d("2024-06-30")
    ids = pd.Series(["I1", "I1"], dtype="str")
    assert dispute_open_at(ledger, ids, pd.Series([d("2024-06-29"), d("2024-06-30")])).tolist() == [
        False,
        True,
    ]


def test_credit_limit_history_and_the_undated_limit_from_the_cutoff() -> None:
    history = pd.DataFrame(
        {
            "customer_id": ["C1", "C1"],
            "credit_limit": [3000.0, 0.0],
            "valid_from": [d("2024-01-01"), d("2024-05-01")],  # cut to 0 before liquidation
        }
    ).astype({"customer_id": "str"})
    ledger = _ledger(credit_limits=history)
    ids = pd.Series(["C1", "C1", "C1", "C2", "C2"], dtype="str")
    dates = pd.Series(
        [d("2023-12-31"), d("2024-04-30"), d("2024-05-01"), d("2024-06-29"), d("2024-06-30")]
    )
    got = credit_limit_at(ledger, ids, dates)
    # C2 has no history: its undated 5,000 is the export's value, known from the cut-off only
    np.testing.assert_array_equal(got, [np.nan, 3000.0, 0.0, np.nan, 5000.0])


def test_paperless_from_the_day_after_the_switch() -> None:
    ledger = _ledger()
    customers = ledger.customers.assign(paperless_since=[d("2024-03-01"), pd.NaT])
    got = paperless_codes(
        ledger.with_tables(customers=customers),
        np.array([0, 0, 1, -1]),
        np.array([19783, 19784, 19784, 19784]),  # 2024-03-01, 2024-03-02
    )
    np.testing.assert_array_equal(got, [0.0, 1.0, 0.0, np.nan])


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(
    ledger=ledgers(),
    t_offset=st.integers(0, SPAN_DAYS),
    limits=st.lists(st.one_of(st.none(), st.floats(0, 1e6)), min_size=3, max_size=3),
    flags=st.lists(st.booleans(), min_size=15, max_size=15),
)
def test_undated_attributes_changed_at_the_end_never_change_earlier_features(
    ledger: Ledger, t_offset: int, limits: list[float | None], flags: list[bool]
) -> None:
    """The export's credit limits and dispute flags may be anything: features before the
    cut-off do not move (the generator cuts a liquidated customer's limit to 0 at the end)."""
    t = day(t_offset)
    assume(t < cutoff(ledger))
    n = len(ledger.customers)
    customers = ledger.customers.assign(
        credit_limit=[np.nan if v is None else v for v in limits[:n]]
    )
    settled = ledger.invoices["paid_on"].notna() & (ledger.invoices["paid_on"] < t)
    invoices = ledger.invoices.assign(
        # the flag of an invoice settled before t is part of its known history (dispute rate)
        disputed=np.where(settled, ledger.invoices["disputed"], flags[: len(ledger.invoices)])
    )
    changed = ledger.with_tables(customers=customers, invoices=invoices)
    config = FeatureConfig()
    queries = pd.DataFrame({"customer_id": ledger.customers["customer_id"], "as_of": t})
    open_ids = ledger.invoices.loc[ledger.invoices["issued_on"] < t, "invoice_id"]
    invoice_queries = pd.DataFrame({"invoice_id": open_ids, "as_of": t})
    assert_features_equal(
        customer_features_as_of(changed, queries, config),
        customer_features_as_of(ledger, queries, config),
    )
    assert_features_equal(
        invoice_features_as_of(changed, invoice_queries, config),
        invoice_features_as_of(ledger, invoice_queries, config),
    )


def test_a_customer_cut_alone_knows_its_undated_limit_from_the_parent_cutoff() -> None:
    """A customer without any dated row (no invoice): cut from the ledger alone it has no
    cut-off of its own; it carries its parent's, so its undated limit is known at and after
    the ledger's cut-off, as in the whole ledger, and not before (dated.py's rule)."""
    ledger = _ledger()
    customers = pd.concat(
        [ledger.customers, pd.DataFrame({"customer_id": ["C3"], "credit_limit": [750.0]})],
        ignore_index=True,
    ).astype({"customer_id": "str"})
    whole = ledger.with_tables(customers=customers)
    alone = subset_ledger(whole, ["C3"])
    assert alone.invoices.empty and alone.known_cutoff == whole.cutoff
    ids = pd.Series(["C3"] * 3, dtype="str")
    dates = pd.Series([whole.cutoff - pd.Timedelta(days=1), whole.cutoff, d("2025-01-01")])
    expected = credit_limit_at(whole, ids, dates)
    np.testing.assert_array_equal(credit_limit_at(alone, ids, dates), expected)
    assert np.isnan(expected[0]) and expected[1] == expected[2] == 750.0
    assert "known_cutoff" not in alone.tables()


def test_a_known_cutoff_earlier_than_the_rows_does_not_move_the_cutoff_back() -> None:
    ledger = _ledger()
    assert ledger.with_cutoff(d("2024-01-01")).cutoff == ledger.cutoff == d("2024-06-30")
    assert ledger.with_cutoff(d("2024-09-01")).cutoff == d("2024-09-01")
