"""Broken promises to pay: a strong signal a credit manager never ignores.

A promise to pay (a reminder whose outcome is ``promise_to_pay``, with ``promised_on``) is broken
when its invoice was not settled by the promised day. The fact is dated on the promised day and,
as every fact, is known at ``as_of`` when that day is before it: at ``as_of`` we know whether the
payment had arrived by a promised day that has passed (a payment dated on or before it is known).
A promise made on or after ``as_of`` is unknown.
"""

from __future__ import annotations

import numpy as np

from risk.features.config import FeatureConfig, window_label
from risk.features.context import LedgerTimeline, Queries
from risk.features.spec import FeatureSpec
from risk.features.spec_helpers import window_words
from risk.features.timeline import NEVER, event_keys, to_days

FAMILY = "payment"
NEEDS = (
    "reminders.invoice_id", "reminders.sent_on", "reminders.outcome", "reminders.promised_on",
    "invoices.paid_on",
)  # fmt: skip


def specs(config: FeatureConfig) -> tuple[FeatureSpec, ...]:
    """The broken-promise feature for ``config``'s history window."""
    w = window_label(config.history_window_days)
    we, wf = window_words(config.history_window_days)
    return (
        FeatureSpec(
            f"n_broken_promises_{w}",
            FAMILY,
            f"Promises to pay whose date passed in the last {we} without the invoice being paid.",
            f"Promesses de paiement non tenues dont la date est passée sur les {wf}.",
            1,
            "numeric",
            NEEDS,
            f"{{value:.0f}} broken promise(s) to pay in the last {we}",
            f"{{value:.0f}} promesse(s) de paiement non tenue(s) sur les {wf}",
        ),
    )


def broken_promise_keys(timeline: LedgerTimeline) -> np.ndarray:
    """Sorted (customer code, promised day) keys of the broken promises."""
    rem = timeline.reminders
    ledger_rem = timeline.ledger.reminders
    if rem is None or ledger_rem is None or "promised_on" not in ledger_rem:
        return np.array([], dtype=np.int64)
    promised = to_days(ledger_rem["promised_on"])
    pos = rem["pos"].to_numpy()
    ok = (rem["outcome"].to_numpy() == "promise_to_pay") & (pos >= 0) & (promised != NEVER)
    ok &= rem["sent"].to_numpy() <= promised
    pos, day = pos[ok], promised[ok]
    inv = timeline.invoices
    paid = inv["paid"].to_numpy()[pos]
    broken = paid > day  # never paid (NEVER) or paid after the promised day
    return np.sort(event_keys(inv["code"].to_numpy()[pos][broken], day[broken]))


def compute(timeline: LedgerTimeline, queries: Queries) -> dict[str, np.ndarray]:
    """``n_broken_promises_<window>`` per query (customer, as-of day)."""
    if not timeline.has("reminders.promised_on") or not timeline.has("reminders.outcome"):
        return {}
    keys = broken_promise_keys(timeline)
    window = timeline.config.history_window_days
    hi = np.searchsorted(keys, event_keys(queries.codes, queries.days), side="left")
    lo = np.searchsorted(keys, event_keys(queries.codes, queries.days - window), side="left")
    name = f"n_broken_promises_{window_label(window)}"
    return {name: (hi - lo).astype(np.float64)}
