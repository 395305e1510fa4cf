"""Credit limits a committee would accept: LGD by segment, insurer cap, rounding to the
customer's invoices, comparison with exposure and current limit; every figure by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.decisions.credit import CreditPolicy, nice_step, typical_invoice
from risk.decisions.credit_limits import LIMIT_COLUMNS, suggest_limits
from risk.ledger import Ledger

POLICY = CreditPolicy(
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
        "customer_id": cid, "pd": 0.2, "grade": "E", "monthly_sales": 30_000.0,
        "terms_days": 30, "end_of_month": False, "has_history": True, "proceeding": None,
        "current_limit": 5000.0, "exposure": 1000.0, "group_id": None,
        "typical_invoice": 2000.0, "public_buyer": False, "insured_limit": np.nan,
    }  # fmt: skip
    row.update(overrides)
    return row


def limits(*rows: dict[str, object], policy: CreditPolicy = POLICY) -> pd.DataFrame:
    out = suggest_limits(pd.DataFrame(rows), policy)
    assert list(out.columns) == list(LIMIT_COLUMNS)
    return out.set_index("customer_id")


def test_public_buyers_lose_less_so_their_cap_is_higher() -> None:
    out = limits(customer("PRIVATE"), customer("PUBLIC", public_buyer=True))
    # base: 30,000 x (30 + 30) / 30 x 0.3 (grade E) = 18,000
    # private cap: 1,000 / (0.2 x 0.5) = 10,000; public cap: 1,000 / (0.2 x 0.1) = 50,000
    assert out.loc["PRIVATE", "suggested_limit"] == 10_000.0
    assert out.loc["PUBLIC", "suggested_limit"] == 18_000.0
    assert out["loss_given_default"].tolist() == [0.5, 0.1]
    assert "default PD 20.00% x LGD 50%, private" in out.loc["PRIVATE", "rules"]


def test_credit_insurer_limit_caps_and_lowers_the_lgd() -> None:
    out = limits(customer("INSURED", insured_limit=8000.0), customer("BIG", insured_limit=40_000.0))
    # guaranteed LGD 0.25: cap 1,000 / (0.2 x 0.25) = 20,000; base 18,000
    # INSURED: min(18,000, 8,000) = 8,000; BIG: 18,000 (the insurer allows more)
    assert out.loc["INSURED", "suggested_limit"] == 8000.0
    assert "credit insurer's limit 8,000" in out.loc["INSURED", "rules"]
    assert out.loc["BIG", "suggested_limit"] == 18_000.0
    assert out.loc["INSURED", "insured_limit"] == 8000.0


def test_uninsured_allowance_is_added_to_the_insurer_limit() -> None:
    policy = CreditPolicy(**{**POLICY.__dict__, "uninsured_allowance": 1500.0})
    out = limits(customer("INSURED", insured_limit=8000.0, typical_invoice=200.0), policy=policy)
    assert out.loc["INSURED", "suggested_limit"] == 9500.0


def test_small_invoices_round_to_small_steps_not_to_zero() -> None:
    out = limits(customer("SMALL", pd=0.01, grade="C", monthly_sales=235.0, typical_invoice=60.0))
    # 235 x 60 / 30 x 1.0 = 470; step = largest 1/2/5 x 10^k <= 0.5 x 60 = 30 -> 20; 470 -> 460
    assert out.loc["SMALL", "rounding_step"] == 20.0
    assert out.loc["SMALL", "suggested_limit"] == 460.0
    assert "multiple of 20 (typical invoice 60)" in out.loc["SMALL", "rules"]


def test_rounding_step_bounds_and_no_invoice() -> None:
    out = limits(
        customer("HUGE", pd=0.001, grade="A", monthly_sales=100_000.0, typical_invoice=50_000.0),
        customer("NONE", has_history=False, typical_invoice=np.nan),
    )
    assert out.loc["HUGE", "rounding_step"] == 1000.0  # 25,000 -> capped at rounding_max
    assert out.loc["NONE", "rounding_step"] == 1000.0
    # starter 2,000 under the cap 1,000 / (0.2 x 0.5) = 10,000
    assert out.loc["NONE", "suggested_limit"] == 2000.0


@pytest.mark.parametrize(
    ("value", "step"), [(30.0, 20.0), (100.0, 100.0), (99.0, 50.0), (7.0, 5.0), (1000.0, 1000.0)]
)
def test_nice_step(value: float, step: float) -> None:
    assert nice_step(value) == step


@pytest.mark.parametrize(
    ("current", "decision", "change"),
    [
        (5000.0, "raise", 5000.0),
        (10_050.0, "keep", -50.0),
        (12_000.0, "lower", -2000.0),
        (np.nan, "set", np.nan),
    ],
)
def test_decision_against_the_current_limit(current: float, decision: str, change: float) -> None:
    out = limits(customer("C1", current_limit=current))  # suggestion 10,000, step 1,000
    assert out.loc["C1", "decision"] == decision
    assert out.loc["C1", "change_vs_current"] == pytest.approx(change, nan_ok=True)


def test_a_suggestion_below_exposure_says_reduce_and_by_how_much() -> None:
    out = limits(customer("C1", exposure=13_500.0, current_limit=20_000.0))
    assert out.loc["C1", "suggested_limit"] == 10_000.0
    assert out.loc["C1", "decision"] == "reduce" and out.loc["C1", "reduce_by"] == 3500.0
    assert "above the suggested limit by 3,500" in out.loc["C1", "rules"]


def test_group_cap_uses_each_members_lgd() -> None:
    out = limits(
        customer("G-PUB", public_buyer=True, group_id="G"),
        customer("G-PRIV", group_id="G"),
    )
    # alone: public 18,000 (EL 0.2 x 0.1 x 18,000 = 360), private 10,000 (EL 1,000)
    # group EL 1,360 <= 1,500: no scaling
    assert out["suggested_limit"].tolist() == [18_000.0, 10_000.0]
    out = limits(
        customer("G1", group_id="G", typical_invoice=200.0),
        customer("G2", group_id="G", typical_invoice=200.0),
    )
    # EL 1,000 + 1,000 = 2,000 > 1,500: x 0.75 -> 7,500 each (step 100)
    assert out["suggested_limit"].tolist() == [7500.0, 7500.0]


def test_typical_invoice_is_the_median_over_the_window_before_as_of() -> None:
    invoices = pd.DataFrame({
        "invoice_id": ["a", "b", "c", "d", "e"], "customer_id": ["C1", "C1", "C1", "C1", "C2"],
        "issued_on": pd.to_datetime(["2023-01-10", "2024-03-01", "2024-04-01", "2024-07-01", "2023-05-01"]),
        "amount": [10_000.0, 50.0, 70.0, 9999.0, 300.0],
    })  # fmt: skip
    ledger = Ledger(customers=pd.DataFrame({"customer_id": ["C1", "C2"]}), invoices=invoices)
    typical = typical_invoice(ledger, pd.Timestamp("2024-06-01"), 365)
    # C1: median(50, 70) = 60 (the 2023 invoice is outside the window, July 2024 after as-of);
    # C2: no invoice in the window, median of all earlier ones = 300
    assert typical.to_dict() == {"C1": 60.0, "C2": 300.0}


def test_expected_loss_budget_grows_with_the_sales_to_the_customer() -> None:
    policy = CreditPolicy(**{**POLICY.__dict__, "expected_loss_share_of_sales": 0.02})
    out = limits(customer("BIG", monthly_sales=100_000.0, pd=0.5, grade="E"), policy=policy)
    # budget max(1,000, 0.02 x 1,200,000) = 24,000; cap 24,000 / (0.5 x 0.5) = 96,000;
    # base 100,000 x 2 x 0.3 = 60,000 -> 60,000 (the cap does not bind)
    assert out.loc["BIG", "suggested_limit"] == 60_000.0
    out = limits(customer("BIG", monthly_sales=100_000.0, pd=0.9, grade="E"), policy=policy)
    # cap 24,000 / (0.9 x 0.5) = 53,333 -> rounded down to 53,000 (step 1,000)
    assert out.loc["BIG", "suggested_limit"] == 53_000.0
    assert "expected-loss budget 24,000" in out.loc["BIG", "rules"]
