"""Point-in-time guarantees, as properties.

A fact is known at ``t`` iff it is dated strictly before ``t``. Hence: adding, removing or
changing records dated on or after ``t`` leaves every feature at ``t`` unchanged; the order of
the rows never matters; an invoice paid on or after ``t`` is open at ``t``, with its age at ``t``.
"""

from __future__ import annotations

import pandas as pd
import pytest
from compare import assert_features_equal
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ledger_strategies import (
    SPAN_DAYS,
    cutoff,
    day,
    invoice_rows,
    invoices_frame,
    ledgers,
    legal_frame,
    legal_rows,
    payment_rows,
    payments_frame,
    reminder_rows,
    reminders_frame,
    shuffle,
    truncate,
)

from risk.features import (
    FeatureConfig,
    build_invoice_frame,
    customer_features_as_of,
    invoice_features_as_of,
)
from risk.ledger import Ledger

CONFIG = FeatureConfig()
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
HORIZON = 300


@st.composite
def with_new_future(draw: st.DrawFn, ledger: Ledger, t_offset: int) -> Ledger:
    """``truncate(ledger, t)`` plus new records dated on or after ``t`` (same tables)."""
    t = day(t_offset)
    past = truncate(ledger, t)
    n_customers = len(ledger.customers)
    old = past.invoices.copy()
    open_at_t = old["paid_on"].isna().to_numpy()
    delays = [draw(st.one_of(st.none(), st.integers(0, 200))) for _ in range(open_at_t.sum())]
    old.loc[open_at_t, "paid_on"] = [
        pd.NaT if d is None else t + pd.Timedelta(days=d) for d in delays
    ]
    new = invoices_frame(draw(invoice_rows(n_customers, "F", t_offset, t_offset + HORIZON)))
    invoices = pd.concat([old, new], ignore_index=True)
    tables: dict[str, pd.DataFrame | None] = {"invoices": invoices}
    if past.payments is not None:
        repaid = old[open_at_t & old["paid_on"].notna().to_numpy()]
        future_pay = draw(payment_rows(new)) + [
            {"invoice_id": r["invoice_id"], "paid_on": r["paid_on"], "amount": r["amount"]}
            for r in repaid.to_dict("records")
        ]
        future = payments_frame(future_pay)
        future["payment_id"] = "F" + future["payment_id"]
        tables["payments"] = pd.concat([past.payments, future], ignore_index=True)
    if past.legal_events is not None:
        rows = draw(legal_rows(n_customers, t_offset, t_offset + HORIZON))
        tables["legal_events"] = pd.concat(
            [past.legal_events, legal_frame(rows)], ignore_index=True
        )
    if past.reminders is not None:
        rows = draw(reminder_rows(invoices, t_offset, t_offset + HORIZON))
        tables["reminders"] = pd.concat([past.reminders, reminders_frame(rows)], ignore_index=True)
    return past.with_tables(**tables)


def _features_at(
    ledger: Ledger, t: pd.Timestamp, invoice_ids: list[str]
) -> tuple[pd.DataFrame, ...]:
    ids = sorted(ledger.customers["customer_id"])
    customers = pd.DataFrame({"customer_id": ids, "as_of": t})
    invoices = pd.DataFrame({"invoice_id": invoice_ids, "as_of": t})
    frame = build_invoice_frame(ledger, CONFIG).set_index("invoice_id").loc[invoice_ids]
    return (
        customer_features_as_of(ledger, customers, CONFIG),
        invoice_features_as_of(ledger, invoices, CONFIG),
        frame.reset_index(),
    )


@SETTINGS
@given(data=st.data(), ledger=ledgers(), t_offset=st.integers(0, SPAN_DAYS + 30))
def test_records_dated_on_or_after_t_do_not_change_features_at_t(
    data: st.DataObject, ledger: Ledger, t_offset: int
) -> None:
    t = day(t_offset)
    # from the cut-off on, the export's undated snapshot (credit limit, dispute flag) is known
    # by definition, and adding later records moves the cut-off: the property holds before it
    assume(t < cutoff(ledger))
    changed = data.draw(with_new_future(ledger, t_offset))
    known = ledger.invoices.loc[ledger.invoices["issued_on"] < t, "invoice_id"].tolist()
    before = _features_at(ledger, t, known)
    after = _features_at(changed, t, known)
    for got, want in zip(after, before, strict=True):
        assert_features_equal(
            got, want.drop(columns=["customer_id", "issued_on", "as_of"], errors="ignore")
        )


@SETTINGS
@given(ledger=ledgers(), t_offset=st.integers(0, SPAN_DAYS + 30), seed=st.integers(0, 2**16))
def test_row_order_never_matters(ledger: Ledger, t_offset: int, seed: int) -> None:
    t = day(t_offset)
    ids = ledger.invoices["invoice_id"].tolist()
    for got, want in zip(
        _features_at(shuffle(ledger, seed), t, ids), _features_at(ledger, t, ids), strict=True
    ):
        assert_features_equal(got, want, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(ledger=ledgers(), t_offset=st.integers(0, SPAN_DAYS + 30))
def test_invoice_paid_on_or_after_t_is_open_at_t_with_its_age(
    ledger: Ledger, t_offset: int
) -> None:
    t = day(t_offset)
    inv = ledger.invoices
    open_at_t = inv[(inv["issued_on"] < t) & ~(inv["paid_on"] < t)]
    queries = pd.DataFrame({"customer_id": ledger.customers["customer_id"], "as_of": t})
    frame = customer_features_as_of(ledger, queries, CONFIG).set_index("customer_id")
    expected_count = open_at_t.groupby("customer_id").size()
    expected_age = (t - open_at_t["due_on"]).dt.days.groupby(open_at_t["customer_id"]).max()
    for customer_id, row in frame.iterrows():
        assert row["n_open_invoices"] == expected_count.get(customer_id, 0)
        if customer_id in expected_age.index:
            assert row["open_days_past_due_max"] == expected_age[customer_id]


def test_same_day_payment_is_not_known_at_issue_date() -> None:
    customers = pd.DataFrame({"customer_id": ["C0"]}).astype("str")
    invoices = invoices_frame([
        {"invoice_id": "A", "customer_id": "C0", "issued_on": day(0), "due_on": day(30),
         "amount": 100.0, "paid_on": day(40), "disputed": False, "channel": "paper"},
        {"invoice_id": "B", "customer_id": "C0", "issued_on": day(40), "due_on": day(70),
         "amount": 100.0, "paid_on": None, "disputed": False, "channel": "paper"},
    ])  # fmt: skip
    frame = build_invoice_frame(Ledger(customers, invoices), CONFIG).set_index("invoice_id")
    # A was paid on B's issue date: not known yet, so A is still open and 10 days past due.
    assert frame.loc["B", "n_invoices_settled_12m"] == 0
    assert frame.loc["B", "n_open_invoices"] == 1
    assert frame.loc["B", "open_amount_1_30"] == 100.0
    assert frame.loc["B", "has_history"] == 0


def test_threads_give_the_same_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    from risk.features import frames
    from risk.synth import SampleConfig, generate_portfolio

    ledger = generate_portfolio(SampleConfig(customers=30, years=2, seed=4)).ledger
    single = build_invoice_frame(ledger, FeatureConfig(n_threads=1))
    monkeypatch.setattr(frames, "PARALLEL_MIN_QUERIES", 0)
    pd.testing.assert_frame_equal(build_invoice_frame(ledger, FeatureConfig(n_threads=2)), single)


def test_ledger_cut_at_t_keeps_the_dispute_flag_of_an_open_invoice_unknown_at_t() -> None:
    # The export's undated dispute flag is known from its cut-off on. Cutting the ledger at t
    # (nothing dated on or after t, so its cut-off falls before t) must not make the flag of an
    # invoice still open at t known at t: the original ledger, whose cut-off is after t, does not
    # know it at t either. (The falsifying example of the property test above.)
    customers = pd.DataFrame({"customer_id": ["C0"]}).astype("str")
    invoices = invoices_frame([
        {"invoice_id": "A", "customer_id": "C0", "issued_on": day(0), "due_on": day(30),
         "amount": 100.0, "paid_on": day(20), "disputed": False, "channel": "paper"},
        {"invoice_id": "B", "customer_id": "C0", "issued_on": day(10), "due_on": day(40),
         "amount": 250.5, "paid_on": day(200), "disputed": True, "channel": "paper"},
    ])  # fmt: skip
    ledger = Ledger(customers, invoices)
    t = day(60)
    cut = truncate(ledger, t)
    assert not cut.invoices.set_index("invoice_id").loc["B", "disputed"]
    for got, want in zip(_features_at(cut, t, ["A", "B"]), _features_at(ledger, t, ["A", "B"]),
                         strict=True):  # fmt: skip
        assert_features_equal(
            got, want.drop(columns=["customer_id", "issued_on", "as_of"], errors="ignore")
        )
    frame = build_invoice_frame(ledger, CONFIG).set_index("invoice_id")
    assert frame.loc["B", "invoice_disputed"] == 0  # issued at day 10, long before the cut-off
