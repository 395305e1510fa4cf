"""Each family on the tiny hand-built ledger of ``handbuilt.py``, values checked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from handbuilt import T, d, tiny_ledger

from risk.features import build_invoice_frame, customer_features_as_of


@pytest.fixture(scope="module")
def at_t() -> pd.DataFrame:
    queries = pd.DataFrame({"customer_id": ["C1", "C2"], "as_of": [T, T]})
    return customer_features_as_of(tiny_ledger(), queries).set_index("customer_id")


def test_payment_behaviour(at_t: pd.DataFrame) -> None:
    c1 = at_t.loc["C1"]
    # settled in the 12 months before T: A (10 days late), B (70), C (-6); H is older.
    assert c1["n_invoices_settled_12m"] == 3
    assert c1["n_invoices_settled_total"] == 4
    assert c1["days_late_mean_12m"] == pytest.approx(74 / 3)
    assert c1["days_late_max_12m"] == 70
    assert c1["share_paid_late_12m"] == pytest.approx(2 / 3)
    assert c1["share_paid_late_30d_12m"] == pytest.approx(1 / 3)
    assert c1["n_invoices_paid_late_60d_12m"] == 1
    assert c1["share_paid_before_due_12m"] == pytest.approx(1 / 3)
    assert c1["days_to_pay_mean_12m"] == pytest.approx((40 + 100 + 24) / 3)
    # last 3 months: B (70); the 9 months before: A (10), C (-6) -> mean 2.
    assert c1["days_late_trend_3m_vs_12m"] == pytest.approx(68)
    # ages at T: A 142, B 51, C 98 days -> weights (366 - age) / 365.
    weighted = (224 * 10 + 315 * 70 + 268 * -6) / (224 + 315 + 268)
    assert c1["days_late_recency_weighted_12m"] == pytest.approx(weighted)
    assert c1["days_since_last_late_payment"] == 51  # B paid on 2024-05-11
    assert c1["partial_payment_rate_12m"] == pytest.approx(1 / 3)  # B in two payments
    assert c1["dispute_rate_12m"] == pytest.approx(1 / 3)  # C disputed
    assert c1["reminders_per_invoice_12m"] == pytest.approx(2 / 3)  # B: 2; A's came after payment


def test_exposure(at_t: pd.DataFrame) -> None:
    c1 = at_t.loc["C1"]
    # open at T: D (3000 - 1000 paid on 06-01, 61 days past due), F (600, 17), E (400, due on T)
    assert c1["open_amount_not_due"] == 400
    assert c1["open_amount_1_30"] == 600
    assert c1["open_amount_31_60"] == 0
    assert c1["open_amount_61_90"] == 2000
    assert c1["open_amount_91_plus"] == 0
    assert c1["open_amount_total"] == 3000
    assert c1["n_open_invoices"] == 3
    assert c1["open_invoice_amount_max"] == 2000
    assert c1["open_days_past_due_max"] == 61
    # C1's limit (10,000) is undated: known from the ledger's cut-off only, not at T
    assert np.isnan(c1["credit_limit_utilisation"])
    # sales of the 90 days before T: F (600) + E (400); D was issued 91 days before T.
    assert c1["dso_days_3m"] == pytest.approx(3000 / 1000 * 90)


def test_customer_and_cold_start(at_t: pd.DataFrame) -> None:
    c1, c2 = at_t.loc["C1"], at_t.loc["C2"]
    assert c1["company_age_years"] == pytest.approx((T - d("2020-01-01")).days / 365.25)
    assert (c1["legal_form"], c1["naf_section"], c1["naf_division"]) == ("SAS", "G", "47")
    assert (c1["is_sole_trader"], c1["is_public_buyer"], c1["employees_count"]) == (0, 0, 10)
    assert c2["is_sole_trader"] == 1 and pd.isna(c2["naf_section"])
    assert c2["end_of_month_terms"] == 1 and c2["agreed_terms_days"] == 45
    assert c1["n_invoices_issued_total"] == 7  # G is issued on T
    assert c1["relationship_age_days"] == (T - d("2023-01-10")).days
    assert c1["has_history"] == 1
    assert c2["has_history"] == 0 and c2["n_invoices_issued_total"] == 0
    assert c2["n_open_invoices"] == 0 and math.isnan(c2["days_late_mean_12m"])
    assert c2["n_invoices_settled_12m"] == 0


def test_legal(at_t: pd.DataFrame) -> None:
    c1 = at_t.loc["C1"]
    # receivership 03-01 then plan adopted 05-01; the liquidation of T is not known at T.
    assert c1["in_collective_proceeding"] == 0
    assert c1["had_collective_proceeding"] == 1
    assert c1["days_since_collective_proceeding"] == (T - d("2024-03-01")).days
    assert c1["last_legal_event_kind"] == "plan_adopted"
    assert c1["days_since_last_legal_event"] == 61
    assert c1["n_privileges_12m"] == 1
    assert c1["n_director_changes_12m"] == 0  # 2023-05-01 is more than 12 months before T
    next_day = pd.DataFrame({"customer_id": ["C1"], "as_of": [T + pd.Timedelta(days=1)]})
    later = customer_features_as_of(tiny_ledger(), next_day).iloc[0]
    assert later["in_collective_proceeding"] == 1
    assert later["last_legal_event_kind"] == "liquidation"


def test_invoice_family_as_of_issue_date() -> None:
    frame = build_invoice_frame(tiny_ledger()).set_index("invoice_id")
    f = frame.loc["F"]  # issued 2024-05-15
    assert f["invoice_amount"] == 600
    # invoices issued in the 12 months before: A 1000, B 2000, C 500, D 3000 (H is older)
    assert f["invoice_amount_to_mean_12m"] == pytest.approx(600 / 1625)
    assert f["invoice_terms_days"] == 30
    assert f["issue_month"] == 5
    assert f["invoice_channel"] == "paper"
    assert f["invoice_disputed"] == 0
    assert frame.loc["H", "n_invoices_issued_total"] == 0
    assert pd.isna(frame.loc["H", "invoice_amount_to_mean_12m"])
    assert list(frame.index) == ["H", "A", "B", "C", "D", "F", "E", "G"]  # ledger order


def test_invoice_disputed_needs_a_dispute_reminder_before_the_date() -> None:
    from risk.features import invoice_features_as_of

    queries = pd.DataFrame({"invoice_id": ["D", "D"], "as_of": [d("2024-05-10"), d("2024-05-11")]})
    frame = invoice_features_as_of(tiny_ledger(), queries)
    assert frame["invoice_disputed"].tolist() == [0.0, 1.0]


def test_inputs_are_not_modified() -> None:
    ledger = tiny_ledger()
    copies = {name: frame.copy() for name, frame in ledger.tables().items()}
    build_invoice_frame(ledger)
    for name, frame in ledger.tables().items():
        pd.testing.assert_frame_equal(frame, copies[name])


def test_legal_without_events_of_the_queried_customers() -> None:
    """Queries whose customers have no legal event skip the event indexes (an inline ledger of
    one customer): the same columns, dtypes and no-event values as the indexed path gives."""
    from risk.features import legal
    from risk.features.config import FeatureConfig
    from risk.features.context import LedgerTimeline, Queries

    config = FeatureConfig()
    timeline = LedgerTimeline(tiny_ledger(), config)
    none = Queries(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
    shortcut, indexed = legal._no_queries(config), legal._compute_all(timeline, none)
    assert list(shortcut) == list(indexed)
    for name, values in indexed.items():
        pd.testing.assert_series_equal(pd.Series(shortcut[name]), pd.Series(values), obj=name)
    # a customer without any event, alone and beside one with events: the same row
    alone = customer_features_as_of(
        tiny_ledger(), pd.DataFrame({"customer_id": ["C2"], "as_of": [T]})
    )
    both = customer_features_as_of(
        tiny_ledger(), pd.DataFrame({"customer_id": ["C1", "C2"], "as_of": [T, T]})
    )
    columns = [name for name in both if name in indexed]
    pd.testing.assert_frame_equal(
        alone[columns].reset_index(drop=True), both[columns].iloc[[1]].reset_index(drop=True)
    )
