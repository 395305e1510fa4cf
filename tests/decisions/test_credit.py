"""Credit-limit policy: each rule on hand-built customers whose results can be checked by hand.

Rounding: these customers have a typical invoice of 200, so with ``rounding_share`` 0.5 the
step is 100 (the largest 1, 2 or 5 x 10^k not above 100).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.decisions.credit import CreditPolicy, active_proceedings
from risk.decisions.credit_limits import suggest_limits
from risk.errors import ConfigError
from risk.ledger import Ledger

POLICY = CreditPolicy(
    sales_window_days=365,
    cycle_days=30,
    grade_multipliers={"A": 1.5, "B": 1.2, "C": 1.0, "D": 0.6, "E": 0.3},
    loss_given_default={"private": 0.5, "public": 0.1, "guaranteed": 0.25},
    expected_loss_budget=1000.0,
    expected_loss_share_of_sales=0.0,
    group_expected_loss_budget=1500.0,
    starter_limit=2000.0,
    rounding_share=0.5,
    rounding_min=1.0,
    rounding_max=1000.0,
)


def customer(cid: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "customer_id": cid,
        "pd": 0.02,
        "grade": "A",
        "monthly_sales": 3000.0,
        "terms_days": 30,
        "end_of_month": False,
        "has_history": True,
        "proceeding": None,
        "current_limit": 5000.0,
        "exposure": 1000.0,
        "group_id": None,
        "typical_invoice": 200.0,
    }
    row.update(overrides)
    return row


def limits(*rows: dict[str, object]) -> pd.DataFrame:
    return suggest_limits(pd.DataFrame(rows), POLICY).set_index("customer_id")


def test_expected_purchases_scaled_by_grade() -> None:
    out = limits(customer("C1"), customer("C2", grade="C"))
    # 3000 per month over (30 + 30) days = 6000, x 1.5 for A = 9000; EL cap 1000/(0.02*0.5) = 100000
    assert out.loc["C1", "suggested_limit"] == 9000.0
    assert out.loc["C2", "suggested_limit"] == 6000.0
    assert out.loc["C1", "headroom"] == 8000.0 and out.loc["C1", "overrun"] == 0.0
    assert "grade A multiplier 1.5" in out.loc["C1", "rules"]


def test_end_of_month_terms_add_fifteen_days() -> None:
    out = limits(customer("C1", end_of_month=True, grade="C"))
    assert out.loc["C1", "suggested_limit"] == 7500.0  # 3000 x (30 + 30 + 15) / 30


def test_expected_loss_cap_binds_for_risky_customers() -> None:
    out = limits(customer("C1", pd=0.4, grade="E", monthly_sales=30_000.0, exposure=9000.0))
    # base 60000 x 0.3 = 18000; cap 1000 / (0.4 x 0.5) = 5000
    assert out.loc["C1", "suggested_limit"] == 5000.0
    assert out.loc["C1", "overrun"] == 4000.0 and out.loc["C1", "headroom"] == 0.0
    assert "capped at 5,000 by the expected-loss budget 1,000" in out.loc["C1", "rules"]
    assert out.loc["C1", "decision"] == "reduce" and out.loc["C1", "reduce_by"] == 4000.0
    assert "reduce: exposure 9,000 is above the suggested limit by 4,000" in out.loc["C1", "rules"]
    assert "réduire" in out.loc["C1", "rules_fr"]


def test_starter_limit_for_customers_without_history() -> None:
    out = limits(customer("NEW", has_history=False, monthly_sales=0.0))
    assert out.loc["NEW", "suggested_limit"] == 2000.0
    assert "starter limit" in out.loc["NEW", "rules"]


@pytest.mark.parametrize(
    ("kind", "limit"), [("liquidation", 0.0), ("receivership", 0.0), ("safeguard", 9000.0)]
)
def test_cash_in_advance_under_liquidation_or_receivership(kind: str, limit: float) -> None:
    out = limits(customer("C1", proceeding=kind))
    assert out.loc["C1", "suggested_limit"] == limit
    assert ("cash in advance" in out.loc["C1", "rules"]) == (limit == 0.0)


def test_group_exposure_is_consolidated_and_capped() -> None:
    out = limits(
        customer("G1a", pd=0.1, grade="C", group_id="G1", exposure=500.0),
        customer("G1b", pd=0.1, grade="C", group_id="G1", exposure=700.0),
        customer("SOLO", pd=0.1, grade="C"),
    )
    # alone each gets 6000 (EL 0.1 x 0.5 x 6000 = 300 each); group EL 600 <= 1500: no scaling
    assert out.loc["G1a", "suggested_limit"] == 6000.0
    assert out.loc["G1a", "group_exposure"] == 1200.0 and np.isnan(
        out.loc["SOLO", "group_exposure"]
    )
    big = limits(
        customer("G1a", pd=0.2, grade="C", monthly_sales=10_000.0, group_id="G1"),
        customer("G1b", pd=0.2, grade="C", monthly_sales=10_000.0, group_id="G1"),
    )
    # alone: base 20000, cap 1000/(0.2x0.5) = 10000 -> 10000 each; group EL 2000 > 1500 -> x0.75
    assert big["suggested_limit"].tolist() == [7500.0, 7500.0]
    assert "scaled by 0.75" in big.loc["G1a", "rules"]


def test_active_proceedings_respect_the_date_and_closure() -> None:
    events = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2", "C3"],
            "published_on": pd.to_datetime(
                ["2024-01-10", "2024-06-01", "2024-03-01", "2024-09-01"]
            ),
            "kind": ["receivership", "proceeding_closed", "liquidation", "safeguard"],
        }
    )
    ledger = Ledger(
        customers=pd.DataFrame({"customer_id": ["C1", "C2", "C3"]}),
        invoices=pd.DataFrame(),
        legal_events=events,
    )
    at = active_proceedings(ledger, pd.Timestamp("2024-07-01"))
    assert at.to_dict() == {"C2": "liquidation"}  # C1 closed, C3 not yet published
    assert active_proceedings(ledger, pd.Timestamp("2024-02-01")).to_dict() == {
        "C1": "receivership"
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("loss_given_default: 1.5", "loss_given_default must be in (0, 1]"),
        ("loss_given_default: {private: 0.5}", "needs exactly the segments"),
        ("grade_multipliers: {A: 1, B: 2, C: 1, D: 1, E: 1}", "must not increase from A to E"),
        ("master_scale: {A: 0.1, B: 0.05, C: 0.2, D: 0.3}", "strictly increasing"),
        ("master_scale: {B: 0.01, A: 0.005, C: 0.2, D: 0.3}", "upper PD bound of A, B, C, D"),
        ("rounding_min: 0", "0 < rounding_min <= rounding_max"),
        ("grade_multipliers: {A: 1}", "needs exactly the grades A, B, C, D, E"),
        ("expected_loss_budget: 0", "expected_loss_budget must be > 0"),
        ("cash_in_advance_kinds: [bankruptcy]", "not collective proceedings"),
        ("credit_limit_max: 3", "unknown field(s) credit_limit_max"),
        ("rounding_share: [1", "not valid YAML"),
    ],
)
def test_policy_file_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        CreditPolicy.from_yaml(text, "policy.yaml")
    assert message in str(info.value) and "policy.yaml" in str(info.value)


def test_packaged_default_policy_loads() -> None:
    assert CreditPolicy.load() == CreditPolicy()


def test_worklist_helpers_handle_ledgers_without_reminders_or_proceedings() -> None:
    from risk.decisions.worklist import _proceedings, dunning_history, lookup_dates

    ledger = Ledger(customers=pd.DataFrame({"customer_id": ["C1"]}), invoices=pd.DataFrame())
    history = dunning_history(ledger, pd.Timestamp("2024-01-01"))
    assert history.empty and str(history["promise_to_pay_until"].dtype) == "datetime64[ns]"
    assert lookup_dates(pd.Series(["I1"]), history["promise_to_pay_until"]).tolist() == [None]
    proceedings = _proceedings(ledger, pd.Timestamp("2024-01-01"))
    assert lookup_dates(pd.Series(["C1"]), proceedings["published_on"]).tolist() == [None]
    dates = pd.Series(pd.to_datetime(["2024-03-01"]), index=pd.Index(["C1"], dtype="str"))
    assert [str(d) for d in lookup_dates(pd.Series(["C1", "C2"]), dates)] == ["2024-03-01", "None"]
