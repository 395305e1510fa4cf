"""Alerts of the dashboard: what changed or needs a decision now.

- grade worsened since the previous rescoring;
- legal events published in the last 30 days (proceedings, privileges, payment orders, ...);
- broken promises: a promised date passed while the invoice is still open;
- credit limit exceeded: exposure above the current limit;
- claims to declare: the worklist says "declare the claim", with its legal deadline.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from risk.ledger import Ledger
from risk.portfolio import open_amounts

RECENT_DAYS = 30
MAX_SHOWN = 10


@dataclass(frozen=True)
class Alerts:
    grade_worsened: pd.DataFrame  # customer_id, grade_before, grade
    legal_events: pd.DataFrame  # customer_id, published_on, kind
    broken_promises: pd.DataFrame  # customer_id, invoice_id, promised_on
    limits_exceeded: pd.DataFrame  # customer_id, exposure, current_limit
    claims_to_declare: pd.DataFrame  # customer_id, deadline

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in self.__dataclass_fields__}


def grade_worsened(now: pd.Series, before: pd.Series | None, letters: list[str]) -> pd.DataFrame:
    """Customers whose grade letter is worse now than before (letters best first)."""
    if before is None:
        return pd.DataFrame(columns=["customer_id", "grade_before", "grade"])
    rank = {letter: i for i, letter in enumerate(letters)}
    both = pd.DataFrame({"grade": now, "grade_before": before}).dropna()
    worse = both[both["grade"].map(rank) > both["grade_before"].map(rank)]
    return worse.rename_axis("customer_id").reset_index()[["customer_id", "grade_before", "grade"]]


def recent_legal_events(
    ledger: Ledger, as_of: pd.Timestamp, days: int = RECENT_DAYS
) -> pd.DataFrame:
    events = ledger.legal_events
    if events is None or events.empty:
        return pd.DataFrame(columns=["customer_id", "published_on", "kind"])
    recent = events[
        (events["published_on"] <= as_of)
        & (events["published_on"] > as_of - pd.Timedelta(days=days))
    ]
    return recent.sort_values("published_on", ascending=False)[
        ["customer_id", "published_on", "kind"]
    ]


def broken_promises(ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    """Invoices open at ``as_of`` whose latest promise to pay (made before ``as_of``) is past."""
    reminders = ledger.reminders
    columns = ["customer_id", "invoice_id", "promised_on"]
    if reminders is None or reminders.empty or "promised_on" not in reminders:
        return pd.DataFrame(columns=columns)
    promises = reminders[
        (reminders["outcome"] == "promise_to_pay") & (reminders["sent_on"] < as_of)
    ]
    latest = promises.groupby("invoice_id")["promised_on"].max()
    latest = latest[latest < as_of]
    items = open_amounts(ledger, as_of).set_index("invoice_id")
    broken = latest[latest.index.isin(items.index)]
    out = pd.DataFrame(
        {
            "customer_id": items.loc[broken.index, "customer_id"].to_numpy(),
            "invoice_id": broken.index.to_numpy(),
            "promised_on": broken.to_numpy(),
        }
    )
    return out.sort_values("promised_on", ascending=False)[columns]


def limits_exceeded(scores: pd.DataFrame) -> pd.DataFrame:
    """Customers whose exposure is above their current credit limit (``score_customers`` rows)."""
    over = scores[scores["current_limit"].notna() & (scores["exposure"] > scores["current_limit"])]
    over = over.assign(overrun=over["exposure"] - over["current_limit"])
    return over.sort_values("overrun", ascending=False)[
        ["customer_id", "exposure", "current_limit"]
    ]


def claims_to_declare(invoice_worklist: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Customers with a claim to declare, earliest deadline first (passed ones included)."""
    claims = invoice_worklist[invoice_worklist["action"] == "declare_claim"]
    by_customer = claims.groupby("customer_id")["deadline"].min().reset_index()
    return by_customer.sort_values("deadline", na_position="first")[["customer_id", "deadline"]]
