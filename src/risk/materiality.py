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

    ``start`` is the day the material past-due run is ``past_due_days + 1`` days old; ``end``
    the first day it is no longer material (NaT: still material at ``cutoff``).

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
    settled = np.where(is_settled, to_days(paid) + 1, NEVER)
    late = settled > past_due_from
    codes = np.concatenate([owner, owner, owner[late], owner[late]])
    days = np.concatenate([issued, settled, past_due_from[late], settled[late]])
    exposure = np.concatenate([net, -net, np.zeros(2 * int(late.sum()))])
    past_due = np.concatenate([np.zeros(2 * len(inv)), net[late], -net[late]])
    keep = (days < NEVER) & (codes >= 0)
    return _spells(ids, codes[keep], days[keep], exposure[keep], past_due[keep], definition)


def _per_code_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Cumulative sums restarting at every ``first`` row (rows sorted by code)."""
    total = np.cumsum(values)
    base = np.where(first, total - values, np.nan)
    base = pd.Series(base).ffill().to_numpy()
    return np.round(total - base, 2)


def _spells(
    ids: pd.Series,
    codes: np.ndarray,
    days: np.ndarray,
    exposure: np.ndarray,
    past_due: np.ndarray,
    definition: DefaultDefinition,
) -> pd.DataFrame:
    order = np.lexsort((days, codes))
    codes, days = codes[order], days[order]
    first = np.r_[True, codes[1:] != codes[:-1]]
    owed = _per_code_cumsum(exposure[order], first)
    due = _per_code_cumsum(past_due[order], first)
    last_of_day = np.r_[(codes[1:] != codes[:-1]) | (days[1:] != days[:-1]), True]
    codes, days, owed, due = (
        codes[last_of_day],
        days[last_of_day],
        owed[last_of_day],
        due[last_of_day],
    )
    material = (due > definition.absolute) & (due > definition.relative * owed)
    same_next = np.r_[codes[1:] == codes[:-1], False]
    seg_end = np.where(same_next, np.r_[days[1:], NEVER], NEVER)
    prev_material = np.r_[False, material[:-1] & (codes[1:] == codes[:-1])]
    next_material = np.r_[material[1:] & same_next[:-1], False]
    run_starts = days[material & ~prev_material]
    run_ends = seg_end[material & ~next_material]
    run_codes = codes[material & ~prev_material]
    start = run_starts + definition.past_due_days
    long_enough = run_ends > start
    start_dates = pd.to_datetime(start[long_enough], unit="D")
    end_days = run_ends[long_enough]
    end_dates = pd.to_datetime(np.where(end_days >= NEVER, 0, end_days), unit="D").where(
        end_days < NEVER
    )
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy()[run_codes[long_enough]],
            "start": start_dates.astype("datetime64[ns]"),
            "end": pd.Series(end_dates).astype("datetime64[ns]").to_numpy(),
        }
    )
