"""Deliver 4 of issue 13: a dispute pauses only its invoice, or only the amount in dispute.

Rule: a ``disputes`` row open at the as-of date (opened before it, not resolved before it)
pauses the dunning of its invoice; with an ``amount`` below the invoice's net open amount only
that amount is paused and the rest is chased (and bears interest) as before. The customer's
other invoices keep their actions. Reason and owner are carried into the worklist.
"""

from __future__ import annotations

import pandas as pd
import pytest

from risk.decisions.disputes import open_disputes
from risk.decisions.penalties import late_payment_amounts
from risk.decisions.worklist import DecisionConfig, add_french_reasons, decide_rows
from risk.ledger import Ledger
from risk.portfolio import open_amounts

AS_OF = pd.Timestamp("2025-12-31")


def _ledger() -> Ledger:
    customers = pd.DataFrame(
        {"customer_id": ["C1"], "name": ["Alpha SAS"], "legal_form": ["SAS"], "country": ["FR"]}
    )
    ids = ["I1", "I2", "I3", "I4", "I5"]
    invoices = pd.DataFrame(
        {
            "invoice_id": ids,
            "customer_id": "C1",
            "issued_on": pd.to_datetime(["2025-09-01"] * 5),
            "due_on": pd.to_datetime(["2025-10-01"] * 5),
            "amount": [1000.0, 1000.0, 500.0, 700.0, 300.0],
            "paid_on": pd.NaT,
            "amount_paid": 0.0,
        }
    )
    disputes = pd.DataFrame(
        {
            "invoice_id": ["I1", "I2", "I4", "I5"],
            "opened_on": pd.to_datetime(["2025-10-20", "2025-11-02", "2025-10-05", "2025-12-31"]),
            "resolved_on": pd.to_datetime([None, None, "2025-11-30", None]),
            "reason": ["price; quantity", "damaged pallet", "price", "late delivery"],
            "owner": ["Marie", None, "Paul", "Paul"],
            "amount": [None, 400.0, None, None],
        }
    )
    return Ledger(customers=customers, invoices=invoices, disputes=disputes)


@pytest.fixture(scope="module")
def decided() -> pd.DataFrame:
    ledger = _ledger()
    items = open_amounts(ledger, AS_OF).assign(
        grade="C",
        probability=0.3,
        model_versions="none",
    )
    items["expected_at_risk"] = 0.3 * items["open_amount"]
    rows = decide_rows(ledger, AS_OF, items, DecisionConfig())
    return add_french_reasons(rows).set_index("invoice_id")


def test_open_disputes_follow_the_one_clock() -> None:
    found = open_disputes(_ledger(), AS_OF)
    # I4 resolved on 2025-11-30 (before the as-of), I5 opened on the as-of day: not open
    assert sorted(found.index) == ["I1", "I2"]
    assert found.loc["I1", "reason"] == "price, quantity"  # "; " is the reasons' separator
    assert pd.isna(found.loc["I1", "amount"]) and found.loc["I2", "amount"] == 400.0


def test_a_whole_dispute_pauses_its_invoice_with_reason_and_owner(decided) -> None:
    row = decided.loc["I1"]
    assert row["action"] == "dispute_resolution" and row["disputed"]
    assert "disputed since 2025-10-20: dunning of this invoice paused" in row["action_reason"]
    assert "dispute reason: price, quantity" in row["action_reason"]
    assert "dispute owner: Marie" in row["action_reason"]
    assert row["disputed_amount"] == 1000.0 and row["amount_to_chase"] == 0.0
    assert "responsable du litige : Marie" in row["action_reason_fr"]


def test_a_partial_dispute_pauses_only_the_amount_in_dispute(decided) -> None:
    row = decided.loc["I2"]
    undisputed = 1000.0 - 400.0
    assert row["action"] != "dispute_resolution" and not row["disputed"]
    assert row["disputed_amount"] == 400.0 and row["amount_to_chase"] == undisputed
    assert (
        "400.00 of 1000.00 disputed since 2025-11-02: dunning of the rest (600.00) continues"
        in row["action_reason"]
    )
    assert "no dispute owner recorded: assign one" in row["action_reason"]
    # interest runs on the amount chased (L441-10), not on the disputed part
    expected = late_payment_amounts(
        undisputed, pd.Timestamp("2025-10-01").date(), AS_OF.date(), DecisionConfig().rates
    )
    assert row["interest"] == pytest.approx(expected.interest)
    assert row["open_amount"] == 1000.0  # the ledger's open amount is unchanged


def test_the_other_invoices_keep_their_actions(decided) -> None:
    for invoice_id in ("I3", "I4", "I5"):  # undisputed, resolved, opened on the as-of day
        row = decided.loc[invoice_id]
        assert row["action"] != "dispute_resolution" and not row["disputed"]
        assert row["disputed_amount"] == 0.0
        assert row["amount_to_chase"] == row["open_amount"]
    # the same dunning step as an undisputed invoice of the same age and grade
    assert decided.loc["I2", "action"] == decided.loc["I3", "action"]


def test_exports_and_customer_view_carry_the_disputed_amounts(decided) -> None:
    from risk.decisions.export import export_frame
    from risk.decisions.ranking import customer_actions

    rows = decided.reset_index()
    french = export_frame(rows, "fr")
    assert {"montant en litige", "montant à relancer"} <= set(french.columns)
    grouped = customer_actions(rows.sort_values("rank"))
    # I1 whole (1,000) + I2 partial (400), by hand
    assert grouped.loc[0, "total_disputed"] == 1000.0 + 400.0
