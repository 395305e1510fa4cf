"""Invariants of the credit-limit rule chain (hypothesis): a better grade never lowers the
limit, more sales never lower it, a liquidation or receivership gives 0, the group cap holds,
and a suggestion below the exposure always says "reduce" and by how much."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.decisions.credit import CreditPolicy
from risk.decisions.credit_limits import group_budget, suggest_limits

POLICY = CreditPolicy()
SCALE = POLICY.grade_scale()

pds = st.floats(0.0001, 0.9)
amounts = st.floats(0.0, 500_000.0)


@st.composite
def customers(draw: st.DrawFn, group: str | None = None) -> dict[str, object]:
    pd_default = draw(pds)
    return {
        "customer_id": f"C{draw(st.integers(0, 10**9))}",
        "pd": pd_default,
        "grade": SCALE.grade(pd_default),
        "monthly_sales": draw(amounts),
        "terms_days": draw(st.sampled_from([0, 30, 45, 60])),
        "end_of_month": draw(st.booleans()),
        "has_history": draw(st.booleans()),
        "proceeding": draw(
            st.sampled_from([None, None, "safeguard", "receivership", "liquidation"])
        ),
        "current_limit": draw(st.one_of(st.just(np.nan), amounts)),
        "exposure": draw(amounts),
        "group_id": group,
        "typical_invoice": draw(st.one_of(st.just(np.nan), st.floats(1.0, 100_000.0))),
        "public_buyer": draw(st.booleans()),
        "insured_limit": draw(st.one_of(st.just(np.nan), amounts)),
    }


def one(row: dict[str, object]) -> pd.Series:
    return suggest_limits(pd.DataFrame([row]), POLICY).iloc[0]


@settings(max_examples=150, deadline=None)
@given(row=customers(), other_pd=pds)
def test_a_better_grade_never_lowers_the_limit(row: dict[str, object], other_pd: float) -> None:
    low, high = sorted([float(row["pd"]), other_pd])  # type: ignore[arg-type]
    better = one({**row, "pd": low, "grade": SCALE.grade(low)})
    worse = one({**row, "pd": high, "grade": SCALE.grade(high)})
    assert better["suggested_limit"] >= worse["suggested_limit"]


@settings(max_examples=150, deadline=None)
@given(row=customers(), more=st.floats(0.0, 500_000.0))
def test_more_sales_never_lower_the_limit(row: dict[str, object], more: float) -> None:
    base = one(row)
    bigger = one({**row, "monthly_sales": float(row["monthly_sales"]) + more})  # type: ignore[arg-type]
    assert bigger["suggested_limit"] >= base["suggested_limit"]


@settings(max_examples=100, deadline=None)
@given(row=customers(), kind=st.sampled_from(["liquidation", "receivership"]))
def test_liquidation_or_receivership_gives_zero(row: dict[str, object], kind: str) -> None:
    out = one({**row, "proceeding": kind})
    assert out["suggested_limit"] == 0.0
    assert "cash in advance" in out["rules"]


@settings(max_examples=100, deadline=None)
@given(members=st.lists(customers(group="G"), min_size=1, max_size=6), solo=customers())
def test_the_group_expected_loss_stays_within_the_group_budget(
    members: list[dict[str, object]], solo: dict[str, object]
) -> None:
    rows = [{**m, "customer_id": f"G{k}"} for k, m in enumerate(members)] + [
        {**solo, "customer_id": "SOLO"}
    ]
    out = suggest_limits(pd.DataFrame(rows), POLICY)
    group = out["customer_id"].str.startswith("G").to_numpy()
    pd_default = np.array([float(r["pd"]) for r in rows])  # type: ignore[arg-type]
    expected_loss = (
        pd_default * out["loss_given_default"].to_numpy() * out["suggested_limit"].to_numpy()
    )
    budget = group_budget(pd.Series([m["monthly_sales"] for m in members]), POLICY)
    assert budget >= POLICY.group_expected_loss_budget
    assert expected_loss[group].sum() <= budget * (1 + 1e-9)
    assert (out["suggested_limit"] >= 0).all()


@settings(max_examples=150, deadline=None)
@given(row=customers())
def test_below_exposure_says_reduce_and_by_how_much(row: dict[str, object]) -> None:
    out = one(row)
    if out["suggested_limit"] < out["exposure"]:
        assert out["decision"] == "reduce"
        assert out["reduce_by"] == out["exposure"] - out["suggested_limit"]
        assert f"above the suggested limit by {out['reduce_by']:,.0f}" in out["rules"]
    else:
        assert out["decision"] != "reduce" and out["reduce_by"] == 0.0
    assert out["rules"] and out["rules_fr"]  # every suggestion carries its rule trail
