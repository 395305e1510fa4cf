"""Dated facts read at an as-of date: disputes, credit limits, the paperless switch.

One rule for everyone (invoice features, open-invoice snapshots, decisions):

* a **dispute** is open at ``t`` when it was opened before ``t`` and not resolved before ``t``.
  Sources, first present wins: the ``disputes`` table; else reminders answered ``dispute``
  (open from the day after the reminder until the invoice is settled); the undated
  ``invoices.disputed`` flag is the state at the export, so it counts only from the ledger's
  cut-off date and while the invoice is unsettled (an import turns a flag into dated disputes
  with ``known_from: issue|due``);
* a **credit limit** at ``t`` is the last ``credit_limits`` row with ``valid_from <= t``; the
  undated ``customers.credit_limit`` is the limit at the export, known only from the cut-off
  (a customer liquidated by the end has its limit cut to 0: using that earlier would tell the
  model who fails);
* a customer is **paperless** at ``t`` when ``customers.paperless_since`` is before ``t``.

Days are days since 1970 (``risk.features.timeline.to_days``); "before" means strictly before,
as everywhere in the features, except ``valid_from`` which is the first day a limit applies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.features.timeline import NEVER, EventIndex, to_days
from risk.ledger import Ledger
from risk.lookup import positions_in


def _cutoff_day(ledger: Ledger) -> int:
    try:
        return int(to_days(pd.Series([ledger.cutoff]))[0])
    except ValueError:  # no dated event at all: nothing undated is ever known
        return NEVER


def _as_days(as_of: pd.Timestamp | pd.Series | np.ndarray, n: int) -> np.ndarray:
    if isinstance(as_of, np.ndarray) and as_of.dtype.kind in "iu":
        return as_of.astype(np.int64)
    if isinstance(as_of, pd.Series | np.ndarray):
        return to_days(pd.Series(as_of))
    return np.full(n, to_days(pd.Series([pd.Timestamp(as_of)]))[0], dtype=np.int64)


def _open_between(
    rows: np.ndarray,
    opened: np.ndarray,
    closed: np.ndarray,
    query_rows: np.ndarray,
    days: np.ndarray,
) -> np.ndarray:
    """Per query, whether some interval of its row has ``opened < day <= closed``."""
    opens = EventIndex(rows, opened)
    closes = EventIndex(rows, closed)
    n_open = opens.before(query_rows, days) - opens.start(query_rows)
    n_closed = closes.before(query_rows, days) - closes.start(query_rows)
    return n_open > n_closed


def dispute_open_rows(ledger: Ledger, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Whether the invoices at ``rows`` (of ``ledger.invoices``; -1 unknown) are disputed at
    ``days`` (days since 1970), by the module's rule."""
    rows = np.asarray(rows, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    out = np.zeros(len(rows), dtype=bool)
    invoices = ledger.invoices
    ids = invoices["invoice_id"]
    disputes, reminders = ledger.disputes, ledger.reminders
    if disputes is not None:
        where = positions_in(disputes["invoice_id"], ids)
        keep = where >= 0
        opened = to_days(disputes["opened_on"])[keep]
        if "resolved_on" in disputes.columns:
            closed = to_days(disputes["resolved_on"])[keep]
        else:
            closed = np.full(int(keep.sum()), NEVER, dtype=np.int64)
        out |= _open_between(where[keep], opened, closed, rows, days)
    elif reminders is not None and "outcome" in reminders.columns:
        said = reminders[(reminders["outcome"] == "dispute").to_numpy()]
        where = positions_in(said["invoice_id"], ids)
        keep = where >= 0
        paid = (
            to_days(invoices["paid_on"])
            if "paid_on" in invoices.columns
            else np.full(len(invoices), NEVER)
        )
        opened = to_days(said["sent_on"])[keep]
        closed = paid[where[keep]]
        out |= _open_between(where[keep], opened, closed, rows, days)
    if "disputed" in invoices.columns:
        flag = invoices["disputed"].to_numpy(dtype=bool)
        known = rows >= 0
        paid = (
            to_days(invoices["paid_on"])
            if "paid_on" in invoices.columns
            else np.full(len(invoices), NEVER)
        )
        unsettled = paid[rows[known]] >= days[known]
        late = days[known] >= _cutoff_day(ledger)
        out[known] |= flag[rows[known]] & late & unsettled
    return out


def dispute_open_at(
    ledger: Ledger, invoice_ids: pd.Series, as_of: pd.Timestamp | pd.Series
) -> np.ndarray:
    """Whether each invoice is disputed at ``as_of`` (one date, or one per invoice).

    Example:
        >>> import risk.synth as s
        >>> ledger = s.generate_portfolio(s.SampleConfig(customers=5, seed=1)).ledger
        >>> dispute_open_at(ledger, ledger.invoices["invoice_id"][:2], ledger.cutoff).tolist()
        [False, False]
    """
    rows = positions_in(invoice_ids, ledger.invoices["invoice_id"])
    return dispute_open_rows(ledger, rows, _as_days(as_of, len(rows)))


def credit_limit_codes(ledger: Ledger, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """The credit limit of the customers at ``codes`` (positions in ``ledger.customers``;
    -1 unknown) known at ``days``; NaN when none is known."""
    codes = np.asarray(codes, dtype=np.int64)
    days = np.asarray(days, dtype=np.int64)
    out = np.full(len(codes), np.nan)
    history = ledger.credit_limits
    if history is not None and len(history):
        where = positions_in(history["customer_id"], ledger.customers["customer_id"])
        keep = where >= 0
        limits = history["credit_limit"].to_numpy(dtype=np.float64)[keep]
        index = EventIndex(
            where[keep], to_days(history["valid_from"])[keep], {"limit": limits}, tiebreak=limits
        )
        hi = index.before(codes, days + 1)  # valid_from <= day
        found = hi > index.start(codes)
        values = index.values["limit"]
        out[found] = values[hi[found] - 1]
    if "credit_limit" in ledger.customers.columns:
        current = ledger.customers["credit_limit"].to_numpy(dtype=np.float64)
        late = (codes >= 0) & (days >= _cutoff_day(ledger))
        known = late & ~np.isnan(current[np.maximum(codes, 0)])
        out[known] = current[codes[known]]
    return out


def credit_limit_at(
    ledger: Ledger, customer_ids: pd.Series, as_of: pd.Timestamp | pd.Series
) -> np.ndarray:
    """The credit limit of each customer known at ``as_of`` (NaN when none is known)."""
    codes = positions_in(customer_ids, ledger.customers["customer_id"])
    return credit_limit_codes(ledger, codes, _as_days(as_of, len(codes)))


def paperless_codes(ledger: Ledger, codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """1.0 when the customer at ``codes`` switched to electronic invoicing before ``days``,
    0.0 otherwise, NaN for an unknown customer."""
    codes = np.asarray(codes, dtype=np.int64)
    since = to_days(ledger.customers["paperless_since"])[np.maximum(codes, 0)]
    out = (since < np.asarray(days, dtype=np.int64)).astype(np.float64)
    return np.where(codes >= 0, out, np.nan)
