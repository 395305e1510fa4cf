"""Labels: what happens after the as-of date, as known at the data cut-off.

Definitions (``L`` = ``late_after_days``, ``H`` = ``horizon_days``, ``cutoff`` = the first day
*not* in the data: facts dated before ``cutoff`` are known, facts on or after it are not):

* ``days_late = paid_on - due_on`` in days (negative when paid early).
* **invoice late**: paid with ``days_late > L`` (exactly ``L`` days late is on time), or still
  unpaid ``L`` days after the due date.
* the outcome of an invoice is **known** at ``cutoff`` when it was paid before ``cutoff``
  (``paid_on < cutoff``), or when it is unpaid and ``cutoff > due_on + L`` (the whole day
  ``due_on + L`` passed without payment, so any later payment has ``days_late > L``).
  Invoices whose outcome is not known are excluded from training, never labelled on time;
  so are invoices issued on or after ``cutoff``.
* an invoice **becomes late** on day ``due_on + L + 1`` (the first day it is more than ``L``
  days past due without having been paid).
* **customer label** at snapshot ``t`` (``label_event``), a measure of payment *behaviour*, not
  of volume: among the customer's invoices **due** in ``[t, t + H)``, the share of the amount
  paid more than ``L`` days late (or still unpaid ``L`` days after the due date) exceeds
  ``S`` (``late_share_threshold``, 25 %), or a collective proceeding (safeguard, receivership,
  liquidation) is published in ``[t, t + H)``. A customer with **no invoice due** in the horizon
  is out of scope (``label_in_scope`` false, ``label_event`` ``<NA>``): it is excluded from
  training and evaluation, never counted as good. The label is known once every invoice due in
  the window has a known outcome: ``t + H + L <= cutoff`` (see
  :func:`customer_label_maturity_days`).

  The former definition ("one invoice becomes late in the horizon, or a proceeding") is kept
  as ``label_late_invoice`` / ``label_proceeding`` for reference: it was true for 54 % of the
  snapshots of a 5,000-customer portfolio, 12 % of those with no invoice in the horizon and
  92 % of those with more than 20 (issue 19), so volume alone predicted it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from risk.contracts import COLLECTIVE_PROCEEDING_KINDS
from risk.errors import RiskError
from risk.features.config import FeatureConfig
from risk.features.context import positions_in
from risk.features.timeline import EventIndex, safe_ratio, to_days
from risk.ledger import Ledger

if TYPE_CHECKING:  # risk.materiality imports risk.features, which imports this module
    from risk.materiality import DefaultDefinition

INVOICE_LABEL = "label_late"
CUSTOMER_LABEL = "label_event"


class LabelError(RiskError):
    """The ledger cannot give labels (e.g. the invoices have no ``paid_on`` column)."""


def _paid_before(invoices: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """``paid_on`` as known at ``cutoff``: NaT when paid on or after it."""
    if "paid_on" not in invoices.columns:
        raise LabelError("table 'invoices', column 'paid_on': needed for labels, absent")
    paid = invoices["paid_on"]
    return paid.where(paid < cutoff)


def invoice_labels(
    invoices: pd.DataFrame, cutoff: pd.Timestamp, late_after_days: int = 30
) -> pd.DataFrame:
    """Late label of each invoice as known at ``cutoff`` (see the module docstring).

    Args:
        invoices: the ledger's invoices (not modified).
        cutoff: first day not in the data.
        late_after_days: L.

    Returns:
        Indexed like ``invoices``: ``label_days_late`` (float, NaN while unpaid),
        ``label_late`` (0/1, ``<NA>`` when unknown) and ``label_known`` (bool).

    Raises:
        LabelError: no ``paid_on`` column.
    """
    cutoff = pd.Timestamp(cutoff)
    paid = _paid_before(invoices, cutoff)
    days_late = (paid - invoices["due_on"]).dt.days.astype(np.float64)
    overdue_unpaid = paid.isna() & (
        cutoff > invoices["due_on"] + pd.Timedelta(days=late_after_days)
    )
    known = (paid.notna() | overdue_unpaid) & (invoices["issued_on"] < cutoff)
    late = (days_late > late_after_days) | overdue_unpaid
    return pd.DataFrame(
        {
            "label_days_late": days_late,
            INVOICE_LABEL: late.astype("Int64").mask(~known),
            "label_known": known.astype(bool),
        },
        index=invoices.index,
    )


def late_event_dates(
    invoices: pd.DataFrame, cutoff: pd.Timestamp, late_after_days: int = 30
) -> pd.Series:
    """Day each invoice becomes more than L days late (``due_on + L + 1``); NaT if never.

    Payments on or after ``cutoff`` are unknown, so such invoices count as unpaid.
    """
    paid = _paid_before(invoices, pd.Timestamp(cutoff))
    becomes_late = invoices["due_on"] + pd.Timedelta(days=late_after_days + 1)
    late = paid.isna() | (paid >= becomes_late)
    return becomes_late.where(late)


def customer_label_maturity_days(config: FeatureConfig) -> int:
    """Days after the snapshot at which its customer label is known: ``H + L``.

    The last invoice of the window is due on ``t + H - 1``; its outcome is known once the whole
    day ``t + H - 1 + L`` has passed without payment, i.e. from ``t + H + L``.
    """
    return config.horizon_days + config.late_after_days


def _count_in(
    index: EventIndex, codes: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Events of each code dated in ``[start, end)``."""
    return index.before(codes, end) - index.before(codes, start)


def customer_labels(
    ledger: Ledger, queries: pd.DataFrame, cutoff: pd.Timestamp, config: FeatureConfig
) -> pd.DataFrame:
    """Customer label of each (customer_id, as_of) row as known at ``cutoff``.

    Args:
        ledger: the ledger (not modified).
        queries: columns ``customer_id`` and ``as_of``.
        cutoff: first day not in the data.
        config: gives L (``late_after_days``), H (``horizon_days``) and S
            (``late_share_threshold``).

    Returns:
        Indexed like ``queries``: ``label_n_due`` (invoices due in the horizon),
        ``label_late_share`` (share of their amount paid more than L days late; NaN without
        invoice due), ``label_late_invoice`` (one invoice becomes late in the horizon, the
        former label), ``label_proceeding``, ``label_event`` (0/1, ``<NA>`` when unknown or
        out of scope), ``label_in_scope`` (an invoice is due in the horizon) and
        ``label_known`` (``t + H + L <= cutoff``).

    Raises:
        LabelError: no ``paid_on`` column.
    """
    cutoff = pd.Timestamp(cutoff)
    ids = ledger.customers["customer_id"]
    codes = positions_in(ids, queries["customer_id"])
    start = to_days(queries["as_of"])
    end = start + config.horizon_days
    inv = ledger.invoices
    owners = positions_in(ids, inv["customer_id"])
    late_on = late_event_dates(inv, cutoff, config.late_after_days)
    has_date = late_on.notna().to_numpy()
    late_index = EventIndex(owners[has_date], to_days(late_on)[has_date])
    late = _count_in(late_index, codes, start, end) > 0
    proceeding = _proceeding_in(ledger, ids, codes, start, end)
    n_due, share = _late_share_of_due(inv, owners, codes, start, end, cutoff, config)
    in_scope = n_due > 0
    event = ((share > config.late_share_threshold) & in_scope) | (proceeding & in_scope)
    known = start + customer_label_maturity_days(config) <= to_days(pd.Series([cutoff]))[0]
    out = pd.DataFrame(
        {
            "label_late_invoice": late,
            "label_proceeding": proceeding,
            "label_n_due": n_due,
            CUSTOMER_LABEL: event,
        },
        index=queries.index,
    ).astype("Int64")
    unknown = pd.Series(~known, index=queries.index)
    out = out.mask(unknown, axis=0)
    out[CUSTOMER_LABEL] = out[CUSTOMER_LABEL].mask(~in_scope)
    out["label_late_share"] = np.where(known & in_scope, share, np.nan)
    out["label_in_scope"] = in_scope
    out["label_known"] = known
    return out


def _late_share_of_due(
    invoices: pd.DataFrame,
    owners: np.ndarray,
    codes: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    cutoff: pd.Timestamp,
    config: FeatureConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """Per query: invoices due in ``[start, end)`` and the share of their amount that is late.

    Amounts are summed in integer cents (exact). An invoice whose outcome is not known at
    ``cutoff`` counts as not late; it only occurs in windows that are not known either.
    """
    late = invoice_labels(invoices, cutoff, config.late_after_days)[INVOICE_LABEL]
    late_flag = late.fillna(0).to_numpy(dtype=np.int64)
    cents = np.round(invoices["amount"].to_numpy(dtype=np.float64) * 100).astype(np.int64)
    index = EventIndex(
        owners,
        to_days(invoices["due_on"]),
        values={
            "n": np.ones(len(invoices), dtype=np.int64),
            "cents": cents,
            "late_cents": cents * late_flag,
        },
    )
    first = index.start(codes)
    lo = index.before(codes, start)
    hi = index.before(codes, end)
    n_due = (hi - lo).astype(np.int64)
    total = index.window_sum("cents", lo, hi, first)
    late_total = index.window_sum("late_cents", lo, hi, first)
    return n_due, safe_ratio(late_total, total)


# ---------------------------------------------------------------- default-like event (credit PD)

DEFAULT_LABEL = "label_default"
#: Days past due from which an unpaid invoice counts as a default-like event (credit-risk practice).
DEFAULT_PAST_DUE_DAYS = 90
#: Horizon of the default label: 12 months after the snapshot.
DEFAULT_HORIZON_DAYS = 365
#: A settled invoice is written off when what was received plus what was credited falls short
#: of its amount by more than this share of the amount (and by more than one currency unit).
WRITE_OFF_SHORTFALL_SHARE = 0.01


def write_off_dates(
    invoices: pd.DataFrame, credit_notes: pd.DataFrame | None, cutoff: pd.Timestamp
) -> pd.Series:
    """Day each invoice was written off, as known at ``cutoff``; NaT if never.

    The ledger has no write-off document: an invoice written off is one closed (``paid_on``
    before ``cutoff``) although ``amount_paid`` plus the credit notes against it (issued before
    ``cutoff``) fall short of its amount by more than 1 % and more than one currency unit; the
    write-off is dated on its closing day. Without an ``amount_paid`` column nothing is written
    off.
    """
    cutoff = pd.Timestamp(cutoff)
    never = pd.Series(pd.NaT, index=invoices.index, dtype="datetime64[ns]")
    if "amount_paid" not in invoices.columns:
        return never
    paid = _paid_before(invoices, cutoff)
    credited = pd.Series(0.0, index=invoices.index)
    if credit_notes is not None and not credit_notes.empty and "invoice_id" in credit_notes:
        known = credit_notes[credit_notes["issued_on"] < cutoff]
        totals = known.groupby("invoice_id")["amount"].sum()
        credited = invoices["invoice_id"].map(totals).fillna(0.0).astype(np.float64)
    amount = invoices["amount"].astype(np.float64)
    shortfall = amount - invoices["amount_paid"].fillna(0.0).astype(np.float64) - credited
    written_off = paid.notna() & (shortfall > np.maximum(1.0, WRITE_OFF_SHORTFALL_SHARE * amount))
    return paid.where(written_off).astype("datetime64[ns]")


def _overlapping(
    ids: pd.Series,
    owners: pd.Series,
    starts: pd.Series,
    ends: pd.Series,
    codes: np.ndarray,
    t0: np.ndarray,
    t1: np.ndarray,
) -> np.ndarray:
    """Whether each query (code, [t0, t1)) meets one of its owner's spells ``[start, end)``.

    A spell meets the window when ``start < t1`` and ``end > t0``; as ``start < end``, the count
    is ``#(start < t1) - #(end <= t0)``.
    """
    valid = (starts.notna() & (ends.isna() | (ends > starts))).to_numpy()
    owner = positions_in(ids, owners)[valid]
    begin = EventIndex(owner, to_days(starts)[valid])
    closed = ends.notna().to_numpy()[valid]
    finish = EventIndex(owner[closed], to_days(ends)[valid][closed])
    started = begin.before(codes, t1) - begin.start(codes)
    finished = finish.before(codes, t0 + 1) - finish.start(codes)
    return (started - finished) > 0


def default_labels(
    ledger: Ledger,
    queries: pd.DataFrame,
    cutoff: pd.Timestamp,
    past_due_days: int = DEFAULT_PAST_DUE_DAYS,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    materiality: DefaultDefinition | None = None,
) -> pd.DataFrame:
    """Default-like event of each (customer_id, as_of) row as known at ``cutoff``.

    1 when, in the window ``[t, t + H)`` (``H`` = ``horizon_days``, 12 months):

    * a collective proceeding (safeguard, receivership, liquidation) is published; or
    * one of the customer's invoices is **more than** ``past_due_days`` **days past due and
      unpaid** on some day of the window: its delinquency spell ``[due_on + D + 1, paid_on]``
      meets the window (paid on ``due_on + D + 1`` is ``D + 1`` days late, as in
      :func:`invoice_labels`) (a payment on or after ``cutoff`` is unknown, so the spell stays open).
      Without ``materiality``, a customer already in default at ``t`` (an invoice 91 days past
      due still unpaid) is labelled 1. With ``materiality``
      (the credit policy's default definition, what the default model uses), the trigger is
      the customer's: its past-due amount above both the absolute and the relative threshold
      for more than ``materiality.past_due_days`` consecutive days
      (:func:`risk.materiality.material_past_due_spells`, CRR art. 178, Regulation (EU)
      2018/171); or
    * an invoice is written off (see :func:`write_off_dates`).

    Known when the whole window is before the cut-off (``t + H <= cutoff``).

    Args:
        ledger: the ledger (not modified).
        queries: columns ``customer_id`` and ``as_of``.
        cutoff: first day not in the data.
        past_due_days: D (90: "more than 90 days past due").
        horizon_days: H (365).
        materiality: the customer-level past-due trigger with its thresholds (replaces the
            per-invoice rule and ``past_due_days``); None: any invoice more than D days late.
            With it, a snapshot whose customer is not a performing obligor at ``t`` (in
            default, in probation or in a recent proceeding: :func:`_in_default_at_start`) is
            left out: ``label_default`` ``<NA>``, ``label_default_at_start`` true.

    Returns:
        Indexed like ``queries``: ``label_default_proceeding``, ``label_default_past_due``,
        ``label_default_write_off``, ``label_default`` (0/1, ``<NA>`` when unknown or not
        performing at ``t``), ``label_default_at_start`` and ``label_known``.

    Raises:
        LabelError: no ``paid_on`` column.
    """
    cutoff = pd.Timestamp(cutoff)
    ids = ledger.customers["customer_id"]
    codes = positions_in(ids, queries["customer_id"])
    start = to_days(queries["as_of"])
    end = start + horizon_days
    inv = ledger.invoices
    paid = _paid_before(inv, cutoff)
    if materiality is None:
        delinquent_from = inv["due_on"] + pd.Timedelta(days=past_due_days + 1)
        settled = paid + pd.Timedelta(days=1)  # a payment on day d still leaves d past due
        past_due = _overlapping(
            ids, inv["customer_id"], delinquent_from, settled, codes, start, end
        )
        at_start = np.zeros(len(codes), dtype=bool)
    else:
        from risk.materiality import material_past_due_spells

        spells = material_past_due_spells(ledger, cutoff, materiality)
        past_due = _overlapping(
            ids, spells["customer_id"], spells["start"], spells["end"], codes, start, end
        )
        at_start = _in_default_at_start(ledger, ids, codes, start, spells, materiality)
    written = write_off_dates(inv, ledger.credit_notes, cutoff)
    has_date = written.notna().to_numpy()
    write_off_index = EventIndex(
        positions_in(ids, inv["customer_id"])[has_date], to_days(written)[has_date]
    )
    write_off = _count_in(write_off_index, codes, start, end) > 0
    proceeding = _proceeding_in(ledger, ids, codes, start, end)
    known = end <= to_days(pd.Series([cutoff]))[0]
    out = pd.DataFrame(
        {
            "label_default_proceeding": proceeding,
            "label_default_past_due": past_due,
            "label_default_write_off": write_off,
            DEFAULT_LABEL: proceeding | past_due | write_off,
        },
        index=queries.index,
    ).astype("Int64")
    out = out.mask(~pd.Series(known, index=queries.index), axis=0)
    out[DEFAULT_LABEL] = out[DEFAULT_LABEL].mask(at_start)
    out["label_default_at_start"] = at_start
    out["label_known"] = known
    return out


#: A customer whose collective proceeding opened in the year before the snapshot is not yet a
#: performing obligor (a court plan is a restructuring; EBA/GL/2016/07 asks at least one year
#: before such an obligor returns to non-default).
PROCEEDING_PROBATION_DAYS = 365


def _in_default_at_start(
    ledger: Ledger,
    ids: pd.Series,
    codes: np.ndarray,
    start: np.ndarray,
    spells: pd.DataFrame,
    materiality: DefaultDefinition,
) -> np.ndarray:
    """Per query: the customer is not a performing obligor at ``t``.

    In default by the past-due trigger on one of the days ``[t - P, t]`` (``P`` =
    ``materiality.probation_days``: still in default at ``t``, or cured fewer than ``P`` days
    before it; EBA/GL/2016/07 asks at least three months before an obligor returns to
    non-default), or a collective proceeding opened in the year before ``t``. A PD is the
    probability that a performing obligor defaults (the one-year default rate counts obligors
    not in default at the start of the year: EBA/GL/2017/16 on PD estimation), so these
    snapshots are left out of the PD sample (``label_default`` ``<NA>``) rather than counted as defaults.
    """
    in_spell = _overlapping(
        ids,
        spells["customer_id"],
        spells["start"],
        spells["end"],
        codes,
        start - materiality.probation_days,
        start + 1,
    )
    recent = _proceeding_in(ledger, ids, codes, start - PROCEEDING_PROBATION_DAYS, start)
    return in_spell | recent


def _proceeding_in(
    ledger: Ledger, ids: pd.Series, codes: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Per query: a collective proceeding published in ``[start, end)`` (days)."""
    events = ledger.legal_events
    if events is None or not {"kind", "published_on"} <= set(events.columns):
        return np.zeros(len(codes), dtype=bool)
    chosen = events["kind"].isin(COLLECTIVE_PROCEEDING_KINDS).to_numpy()
    index = EventIndex(
        positions_in(ids, events["customer_id"])[chosen],
        to_days(events["published_on"])[chosen],
    )
    return _count_in(index, codes, start, end) > 0
