"""The past-due trigger of the default definition, with the materiality threshold of banks.

A customer is in default by the past-due trigger when, for **more than 90 consecutive days**, the
amount it owes past due exceeds **both**

* an **absolute** threshold (EUR 500 for exposures other than retail), and
* a **relative** threshold: 1 % of its total exposure (everything it owes, due or not),

as in credit-risk practice in the EU: Regulation (EU) No 575/2013 (CRR) article 178(1)(b) and
178(2)(d), Commission Delegated Regulation (EU) 2018/171 article 2 (non-retail exposures:
absolute component at most EUR 500, relative component 1 %), applied by the ECB with EUR 500 and
1 % (Regulation (EU) 2018/1845 article 4), and the EBA Guidelines on the definition of default
(EBA/GL/2016/07, paragraphs 16-18: the days are counted from the first day both components are
breached, and the count restarts when one is no longer breached). Both thresholds live in the
credit policy (``default_materiality_absolute``, ``default_materiality_relative``,
``default_past_due_days``); 0 and 0 make every past-due amount material.

Amounts are per invoice, net of the credit notes against it and, for an invoice still open at
the cut-off, of what was received on it (``amount_paid``), as known at the cut-off. An invoice
adds to the exposure from its issue day to its settlement day and to the past-due amount from
the day after its due date (1 day past due) to its settlement day; a payment on day ``d`` still
leaves day ``d`` past due (as the invoice labels count it).

Two treatments of the EBA guidelines on the definition of default (EBA/GL/2016/07), both in the
credit policy and measured in ``docs/credit.md``:

* **disputed amounts** (``default_disputes_suspend``): the counting of days past due is
  suspended while the repayment of the obligation is the subject of a dispute under a formal
  procedure (EBA/GL/2016/07, counting of days past due). A dispute recorded with its dates (the
  ``disputes`` table, else a reminder answered ``dispute``: the project's one rule,
  :mod:`risk.features.dated`, open on the days ``opened_on < d <= resolved_on``) takes the
  invoice's amount out of the amount past due on those days, and the invoice's own day count
  pauses (it resumes where it stopped once the dispute is resolved). A dispute open at the
  cut-off stays open. The undated ``invoices.disputed`` flag is the state at the export and is
  not used (it would tell the past what happens later).
* **public buyers** (``default_past_due_days_public``): State, local authorities and public
  hospitals (``risk.contracts.PUBLIC_FORMS``) pay late because of the controls public
  accounting requires before a payment, rarely never; the guidelines let the count run to 180
  days for such obligors when nothing else says they are unlikely to pay (EBA/GL/2016/07,
  exposures to central governments, local authorities and public sector entities). The
  customer-level count and the per-invoice count both use this number of days for them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from risk.contracts import PUBLIC_FORMS
from risk.errors import ConfigError
from risk.features.context import positions_in
from risk.features.timeline import NEVER, to_days
from risk.ledger import Ledger


@dataclass(frozen=True)
class DefaultDefinition:
    """The past-due trigger: more than ``past_due_days`` consecutive days with the past-due
    amount above ``absolute`` and above ``relative`` x the total exposure."""

    past_due_days: int = 90
    absolute: float = 500.0
    relative: float = 0.01
    #: days for public buyers (None: ``past_due_days`` for them too)
    public_past_due_days: int | None = None
    #: a dated dispute takes the invoice out of the amount past due and pauses its day count
    disputes_suspend: bool = False
    #: a customer in default at a snapshot, or cured fewer than this many days before it, is
    #: not a performing obligor: the PD sample leaves the snapshot out (see ``default_labels``)
    probation_days: int = 0

    def __post_init__(self) -> None:
        if self.past_due_days < 0 or self.absolute < 0 or not 0 <= self.relative < 1:
            raise ConfigError(
                "default definition: past_due_days >= 0, absolute >= 0 and 0 <= relative < 1, "
                f"got {self.past_due_days}, {self.absolute}, {self.relative}"
            )
        if self.public_past_due_days is not None and self.public_past_due_days < 0:
            raise ConfigError(
                f"default definition: public_past_due_days >= 0, got {self.public_past_due_days}"
            )
        if self.probation_days < 0:
            raise ConfigError(f"default definition: probation_days >= 0, got {self.probation_days}")

    def days_for(self, public: np.ndarray) -> np.ndarray:
        """The past-due days that count for each obligor (public buyers may have their own)."""
        public_days = (
            self.past_due_days if self.public_past_due_days is None else self.public_past_due_days
        )
        return np.where(public, public_days, self.past_due_days).astype(np.int64)


#: model metadata key of the default event's definition the model was trained with
DEFINITION_KEY = "default_definition"


def definition_from_metadata(metadata: dict[str, Any]) -> DefaultDefinition | None:
    """The default definition a model was trained with (None: recorded before issue 13, the
    packaged policy's applies)."""
    recorded = metadata.get(DEFINITION_KEY)
    return None if recorded is None else DefaultDefinition(**recorded)


def definition_differences(
    served: DefaultDefinition, trained: DefaultDefinition
) -> dict[str, tuple[Any, Any]]:
    """Field -> (decision policy's value, training value) where the two definitions differ."""
    now, then = asdict(served), asdict(trained)
    return {name: (now[name], then[name]) for name in now if now[name] != then[name]}


def net_amounts(ledger: Ledger, cutoff: pd.Timestamp, settled: np.ndarray) -> np.ndarray:
    """Each invoice's amount net of its credit notes (issued before ``cutoff``) and, when it is
    still open at ``cutoff``, of what was received on it; never below 0."""
    inv = ledger.invoices
    amount = inv["amount"].to_numpy(dtype=np.float64)
    notes = ledger.credit_notes
    credited = np.zeros(len(inv))
    if notes is not None and len(notes) and "invoice_id" in notes.columns:
        known = notes[notes["issued_on"] < cutoff]
        totals = known.groupby("invoice_id")["amount"].sum()
        credited = inv["invoice_id"].map(totals).fillna(0.0).to_numpy(dtype=np.float64)
    received = np.zeros(len(inv))
    if "amount_paid" in inv.columns:
        received = inv["amount_paid"].fillna(0.0).to_numpy(dtype=np.float64) * ~settled
    return np.maximum(amount - credited - received, 0.0)


def public_buyers(ledger: Ledger) -> np.ndarray:
    """Per row of ``ledger.customers``: a public buyer (``legal_form`` in ``PUBLIC_FORMS``)."""
    customers = ledger.customers
    if "legal_form" not in customers.columns:
        return np.zeros(len(customers), dtype=bool)
    return customers["legal_form"].isin(PUBLIC_FORMS).to_numpy(dtype=bool)


def dispute_spells(ledger: Ledger, cutoff: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Per invoice, the days ``[start, end)`` on which it is disputed, as known at ``cutoff``.

    The rule of :mod:`risk.features.dated`: a dispute is open on day ``d`` when
    ``opened_on < d <= resolved_on``, so on ``[opened_on + 1, resolved_on + 1)``; a dispute
    opened on or after ``cutoff`` is unknown, one resolved on or after it is still open
    (``end`` = ``NEVER``). Source: the ``disputes`` table, else reminders answered ``dispute``
    (open from the day after the reminder until the invoice is settled). Several disputes of
    one invoice count from the first opening to the last resolution. ``start`` = ``NEVER``:
    never disputed.
    """
    inv = ledger.invoices
    n = len(inv)
    start = np.full(n, NEVER, dtype=np.int64)
    end = np.full(n, NEVER, dtype=np.int64)
    cut = int(to_days(pd.Series([cutoff]))[0])
    disputes, reminders = ledger.disputes, ledger.reminders
    if disputes is not None and "opened_on" in disputes.columns:
        rows = positions_in(inv["invoice_id"], disputes["invoice_id"])
        opened = to_days(disputes["opened_on"])
        closed = (
            to_days(disputes["resolved_on"])
            if "resolved_on" in disputes.columns
            else np.full(len(disputes), NEVER, dtype=np.int64)
        )
        closed = np.where(closed >= cut, NEVER, closed + 1)
    elif reminders is not None and {"outcome", "sent_on"} <= set(reminders.columns):
        said = reminders[(reminders["outcome"] == "dispute").to_numpy()]
        rows = positions_in(inv["invoice_id"], said["invoice_id"])
        opened = to_days(said["sent_on"])
        closed = np.full(len(said), NEVER, dtype=np.int64)  # until settled
    else:
        return start, end
    keep = (rows >= 0) & (opened < cut)
    rows, opened, closed = rows[keep], opened[keep] + 1, closed[keep]
    np.minimum.at(start, rows, opened)
    end[:] = -NEVER
    np.maximum.at(end, rows, closed)
    end = np.where(start >= NEVER, NEVER, end)
    return start, end


def _delinquent_spells(
    owner: np.ndarray,
    past_due_from: np.ndarray,
    settled: np.ndarray,
    days: np.ndarray,
    disputed: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days on which each invoice is more than ``days`` days past due, not counting disputed days.

    Without a dispute: ``[past_due_from + days, settled)``. A dispute on ``[o, r)`` pauses the
    count: one that opens after the invoice became delinquent interrupts the spell
    (``[a, o)`` and ``[r, settled)``); one that opens before shifts the start by the disputed
    past-due days (``[a + r - max(o, past_due_from), settled)``); one never resolved ends it.
    """
    o, r = disputed
    a = past_due_from + days
    s0 = np.maximum(o, past_due_from)
    overlaps = (s0 < r) & (s0 < settled) & (o < NEVER)
    before = overlaps & (s0 < a)
    after = overlaps & ~before
    first_start = np.where(before, np.where(r >= NEVER, NEVER, a + r - s0), a)
    first_end = np.where(after, s0, settled)
    second = after & (r < settled)
    starts = np.concatenate([first_start, np.where(r >= NEVER, NEVER, r)[second]])
    ends = np.concatenate([first_end, settled[second]])
    codes = np.concatenate([owner, owner[second]])
    keep = starts < ends
    return codes[keep], starts[keep], ends[keep]


def material_past_due_spells(
    ledger: Ledger, cutoff: pd.Timestamp, definition: DefaultDefinition
) -> pd.DataFrame:
    """Spells ``[start, end)`` in which a customer is in default by the past-due trigger.

    A day is in default when (1) one of the customer's invoices is more than
    ``past_due_days`` days past due (CRR art. 178(1)(b): "more than 90 days past due on any
    material credit obligation") and (2) the customer's past-due amount has exceeded both
    thresholds on each of the last ``past_due_days + 1`` days (the count restarts when one
    threshold is no longer exceeded). ``end`` is NaT when the spell is still open at ``cutoff``.
    Public buyers count ``public_past_due_days``; with ``disputes_suspend`` disputed days and
    amounts do not count (see the module docstring).

    Returns:
        Columns ``customer_id``, ``start``, ``end`` (datetime64[ns]).
    """
    cutoff = pd.Timestamp(cutoff)
    inv = ledger.invoices
    paid = inv["paid_on"].where(inv["paid_on"] < cutoff)
    is_settled = paid.notna().to_numpy()
    net = net_amounts(ledger, cutoff, is_settled)
    ids = ledger.customers["customer_id"]
    owner = positions_in(ids, inv["customer_id"])
    days_of = definition.days_for(public_buyers(ledger))
    invoice_days = np.where(owner >= 0, days_of[np.maximum(owner, 0)], definition.past_due_days)
    issued = to_days(inv["issued_on"])
    past_due_from = to_days(inv["due_on"]) + 1
    settled = np.where(is_settled, to_days(paid) + 1, NEVER)
    late = settled > past_due_from
    if definition.disputes_suspend:
        o, r = dispute_spells(ledger, cutoff)
    else:
        o = r = np.full(len(inv), NEVER, dtype=np.int64)
    # the disputed part of the past-due spell [past_due_from, settled): [max(o, from), min(r, settled))
    d_from = np.maximum(o, past_due_from)
    d_to = np.minimum(r, settled)
    disputed = late & (o < NEVER) & (d_from < d_to)
    zeros = np.zeros(len(inv))
    pd_net = np.where(late, net, 0.0)
    dis_net = np.where(disputed, net, 0.0)
    codes = np.concatenate([owner] * 6)
    days = np.concatenate([issued, settled, past_due_from, settled, d_from, d_to])
    exposure = np.concatenate([net, -net, zeros, zeros, zeros, zeros])
    past_due = np.concatenate([zeros, zeros, pd_net, -pd_net, -dis_net, dis_net])
    keep = (days < NEVER) & (codes >= 0)
    seg = _segments(codes[keep], days[keep], exposure[keep], past_due[keep])
    material = (seg.values[1] > definition.absolute) & (
        seg.values[1] > definition.relative * seg.values[0]
    )
    run_codes, run_starts, run_ends = _runs(seg, material)
    counted = run_starts + days_of[run_codes]
    old = counted < run_ends
    d_codes, d_starts, d_ends = _delinquent_spells(
        owner, past_due_from, settled, invoice_days, (o, r)
    )
    valid = d_codes >= 0
    d_codes, d_starts, d_ends = d_codes[valid], d_starts[valid], d_ends[valid]
    d_closed = d_ends < NEVER
    one = np.ones(len(d_codes))
    none = np.zeros(int(old.sum()))
    both = _segments(
        np.concatenate([run_codes[old], run_codes[old], d_codes, d_codes[d_closed]]),
        np.concatenate([counted[old], run_ends[old], d_starts, d_ends[d_closed]]),
        np.concatenate([none + 1, none - 1, one * 0, one[d_closed] * 0]),
        np.concatenate([none * 0, none * 0, one, -one[d_closed]]),
    )
    in_default = (both.values[0] > 0) & (both.values[1] > 0)
    codes_out, starts, ends = _runs(both, in_default)
    end_dates = pd.to_datetime(np.where(ends >= NEVER, 0, ends), unit="D")
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy()[codes_out],
            "start": pd.to_datetime(starts, unit="D").astype("datetime64[ns]"),
            "end": pd.Series(end_dates.where(ends < NEVER)).astype("datetime64[ns]").to_numpy(),
        }
    )


@dataclass(frozen=True)
class _Segments:
    """Piecewise-constant per-customer series: ``values[k]`` holds on ``[starts, ends)``."""

    codes: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    values: tuple[np.ndarray, ...]


def _per_code_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at every ``first`` row (rows sorted by code)."""
    total = np.cumsum(values)
    base = pd.Series(np.where(first, total - values, np.nan)).ffill().to_numpy()
    return np.round(total - base, 2)


def _segments(codes: np.ndarray, days: np.ndarray, *deltas: np.ndarray) -> _Segments:
    """Sweep dated changes (``deltas`` added on ``days``) into per-customer segments."""
    order = np.lexsort((days, codes))
    codes, days = codes[order], days[order]
    first = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, bool)
    sums = [_per_code_cumsum(d[order], first) for d in deltas]
    last = np.r_[(codes[1:] != codes[:-1]) | (days[1:] != days[:-1]), True] if len(codes) else first
    codes, days = codes[last], days[last]
    same_next = np.r_[codes[1:] == codes[:-1], False]
    ends = np.where(same_next, np.r_[days[1:], NEVER], NEVER)
    return _Segments(codes, days, ends, tuple(v[last] for v in sums))


def _runs(seg: _Segments, flag: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs of adjacent flagged segments of a customer: codes, starts, ends."""
    same_prev = np.r_[False, seg.codes[1:] == seg.codes[:-1]]
    prev_flag = np.r_[False, flag[:-1]] & same_prev
    next_flag = np.r_[flag[1:], False] & np.r_[same_prev[1:], False]
    opens, closes = flag & ~prev_flag, flag & ~next_flag
    return seg.codes[opens], seg.starts[opens], seg.ends[closes]
