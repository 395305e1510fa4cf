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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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

    def __post_init__(self) -> None:
        if self.past_due_days < 0 or self.absolute < 0 or not 0 <= self.relative < 1:
            raise ConfigError(
                "default definition: past_due_days >= 0, absolute >= 0 and 0 <= relative < 1, "
                f"got {self.past_due_days}, {self.absolute}, {self.relative}"
            )


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


def material_past_due_spells(
    ledger: Ledger, cutoff: pd.Timestamp, definition: DefaultDefinition
) -> pd.DataFrame:
    """Spells ``[start, end)`` in which a customer is in default by the past-due trigger.

    A day is in default when (1) one of the customer's invoices is more than
    ``past_due_days`` days past due (CRR art. 178(1)(b): "more than 90 days past due on any
    material credit obligation") and (2) the customer's past-due amount has exceeded both
    thresholds on each of the last ``past_due_days + 1`` days (the count restarts when one
    threshold is no longer exceeded). ``end`` is NaT when the spell is still open at ``cutoff``.

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
    issued = to_days(inv["issued_on"])
    past_due_from = to_days(inv["due_on"]) + 1
    delinquent_from = past_due_from + definition.past_due_days
    settled = np.where(is_settled, to_days(paid) + 1, NEVER)
    late = settled > past_due_from
    zeros = np.zeros(len(inv))
    codes = np.concatenate([owner, owner, owner, owner])
    days = np.concatenate([issued, settled, past_due_from, settled])
    exposure = np.concatenate([net, -net, zeros, zeros])
    past_due = np.concatenate([zeros, zeros, np.where(late, net, 0.0), np.where(late, -net, 0.0)])
    keep = (days < NEVER) & (codes >= 0)
    seg = _segments(codes[keep], days[keep], exposure[keep], past_due[keep])
    material = (seg.values[1] > definition.absolute) & (
        seg.values[1] > definition.relative * seg.values[0]
    )
    run_codes, run_starts, run_ends = _runs(seg, material)
    counted = run_starts + definition.past_due_days
    old = counted < run_ends
    delinquent = settled > delinquent_from
    one = np.ones(int(delinquent.sum()))
    none = np.zeros(int(old.sum()))
    both = _segments(
        np.concatenate([run_codes[old], run_codes[old], owner[delinquent], owner[delinquent]]),
        np.concatenate(
            [counted[old], run_ends[old], delinquent_from[delinquent], settled[delinquent]]
        ),
        np.concatenate([none + 1, none - 1, one * 0, one * 0]),
        np.concatenate([none * 0, none * 0, one, -one]),
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
