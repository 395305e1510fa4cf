"""The vectorised decision paths give exactly what the per-row references give.

``next_actions`` decides each distinct invoice state once; ``late_payment_frame`` works out the
interest periods once per (due date, proceeding, contractual rate, buyer kind) and applies the
cents formula to every row. Both must equal, row by row, the one-call-per-row references.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.decisions.dunning import load_dunning_scenario, next_actions, next_actions_per_row
from risk.decisions.penalties import late_payment_frame, late_payment_frame_per_row
from risk.decisions.rates import load_rate_table

SCENARIO = load_dunning_scenario()
RATES = load_rate_table()
AS_OF = date(2025, 12, 31)
days = st.integers(-400, 60)
maybe_day = st.one_of(st.none(), days)


def _day(offset: int | None) -> pd.Timestamp | None:
    return None if offset is None else pd.Timestamp(AS_OF + timedelta(days=offset))


state_rows = st.fixed_dictionaries(
    {
        "due": days,
        "amount": st.sampled_from([0.0, 120.5, 1000.0]),
        "grade": st.sampled_from(sorted(SCENARIO.grades)),
        "disputed": st.booleans(),
        "promise": maybe_day,
        "in_proceeding": st.booleans(),
        "published": maybe_day,
        "last_step_done": st.integers(0, 6),
        "key_account": st.booleans(),
        "issued": maybe_day,
        "public_buyer": st.booleans(),
        "last_sent": maybe_day,
        "dispute_note": st.sampled_from(["", "dispute reason: price; dispute owner: Ana"]),
    }
)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(state_rows, min_size=1, max_size=25))
def test_next_actions_equals_the_per_row_reference(rows: list[dict]) -> None:
    frame = pd.DataFrame(
        {
            "invoice_id": [f"I{i}" for i in range(len(rows))],
            "customer_id": "C1",
            "due_on": [_day(r["due"]) for r in rows],
            "open_amount": [r["amount"] for r in rows],
            "grade": [r["grade"] for r in rows],
            "disputed": [r["disputed"] for r in rows],
            "promise_to_pay_until": [_day(r["promise"]) for r in rows],
            "in_proceeding": [r["in_proceeding"] for r in rows],
            "proceeding_published_on": [_day(r["published"]) for r in rows],
            "proceeding_opened_on": [_day(r["published"]) for r in rows],
            "last_step_done": [r["last_step_done"] for r in rows],
            "key_account": [r["key_account"] for r in rows],
            "issued_on": [_day(r["issued"]) for r in rows],
            "public_buyer": [r["public_buyer"] for r in rows],
            "last_sent_on": [_day(r["last_sent"]) for r in rows],
            "dispute_raised_on": [_day(r["issued"]) for r in rows],
            "dispute_note": [r["dispute_note"] for r in rows],
        }
    )
    # rows repeated under other ids share their state: decided once, spread back
    frame = pd.concat([frame, frame.assign(invoice_id=frame["invoice_id"] + "b")])
    frame.index = np.arange(len(frame)) * 3
    pd.testing.assert_frame_equal(
        next_actions(frame, SCENARIO, AS_OF), next_actions_per_row(frame, SCENARIO, AS_OF)
    )


penalty_rows = st.fixed_dictionaries(
    {
        "amount": st.floats(-50, 2_000_000, allow_nan=False).map(lambda x: round(x, 2)),
        "due": st.integers(-2600, 30),
        "opened": maybe_day,
        "rate": st.one_of(st.none(), st.sampled_from([0.0, 0.05, 0.12, 0.2])),
        "public": st.booleans(),
        "french": st.booleans(),
    }
)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(penalty_rows, min_size=1, max_size=25))
def test_late_payment_frame_equals_the_per_row_reference(rows: list[dict]) -> None:
    frame = pd.DataFrame(
        {
            "open_amount": [r["amount"] for r in rows],
            "due_on": [_day(r["due"]) for r in rows],
            "proceeding_opened_on": pd.to_datetime([_day(r["opened"]) for r in rows]),
            "contractual_rate": [np.nan if r["rate"] is None else r["rate"] for r in rows],
            "public_buyer": [r["public"] for r in rows],
            "french_law": [r["french"] for r in rows],
        }
    )
    fast = late_payment_frame(frame, AS_OF, RATES)
    slow = late_payment_frame_per_row(frame, AS_OF, RATES)
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False, check_exact=True)
