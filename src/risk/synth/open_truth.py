"""The generator's truth for invoices open at any date, from the columns it writes to
``invoice_truth`` (``late_branch_probability``, ``late_scale_days``, ``opening_on``): what the
payment-timing model is compared with on generated ledgers.

Two probabilities for an invoice still open at a date ``t``:

* ``open_late_truth``, the **full truth**: it uses facts dated after ``t`` (the customer's latent
  in the due month, the invoice's dispute, a proceeding opening after ``t``);
* ``fair_open_late_truth``, the **fair ceiling**: the same process from what is knowable at ``t``
  only (``risk.synth.knowable``): the customer's latent in the month of ``t`` (or in the due
  month once it has begun), the dispute when the ledger shows it by ``t`` (or shows there is
  none), otherwise averaged over its probability and updated by the invoice being still open,
  a proceeding only when it opened by ``t``, and the payment within
  ``PAYMENT_ANNOUNCED_MAX_DAYS`` days of a "payment_transmitted" status dated by ``t``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from risk.synth.behaviour import (
    DISPUTE_SHIFT,
    GAMMA_DISTRESS,
    GAMMA_LATE,
    late_probability_open,
    pay_day_at_least,
)
from risk.synth.knowable import PAYMENT_ANNOUNCED_MAX_DAYS

#: the columns of ``invoice_truth`` needed (older truth files lack them)
OPEN_TRUTH_COLUMNS = ("late_branch_probability", "late_scale_days", "opening_on")
#: and those the fair ceiling at a snapshot needs, with the ``customer_latent`` table
FAIR_TRUTH_COLUMNS = (
    "latent_lateness",
    "latent_known_shift",
    "dispute_probability",
    "dispute_known_on",
    "no_dispute_known_on",
    "payment_announced_on",
)
_DATE_COLUMNS = ("opening_on", "dispute_known_on", "no_dispute_known_on", "payment_announced_on")
_EPOCH = pd.Timestamp("1970-01-01")


def has_open_truth(truth: pd.DataFrame | None) -> bool:
    return truth is not None and set(OPEN_TRUTH_COLUMNS) <= set(truth.columns)


def has_fair_truth(truth: pd.DataFrame | None) -> bool:
    """Whether ``truth`` carries the fair-ceiling columns and the ``customer_latent`` table
    (in ``truth.attrs``, where ``read_open_truth`` and ``with_customer_latent`` put it)."""
    return (
        has_open_truth(truth)
        and truth is not None
        and set(FAIR_TRUTH_COLUMNS) <= set(truth.columns)
        and isinstance(truth.attrs.get("customer_latent"), pd.DataFrame)
    )


def with_customer_latent(truth: pd.DataFrame, latent: pd.DataFrame | None) -> pd.DataFrame:
    """``truth`` carrying the ``customer_latent`` table (``truth.attrs``), so that one object
    holds what the fair ceiling reads."""
    out = truth.copy()
    if latent is not None:
        out.attrs["customer_latent"] = latent
    return out


def _read_table(
    ledger_dir: Path, table: str, wanted: tuple[str, ...] | None
) -> pd.DataFrame | None:
    for name in (f"{table}.parquet", f"{table}.csv"):
        path = Path(ledger_dir) / "truth" / name
        if not path.exists():
            continue
        if path.suffix == ".csv":
            frame = pd.read_csv(
                path,
                usecols=None if wanted is None else (lambda c: c in wanted),
                dtype={"invoice_id": "str", "customer_id": "str"},
            )
        else:
            frame = pd.read_parquet(path)
            if wanted is not None:
                frame = frame[[c for c in frame.columns if c in wanted]]
        return frame
    return None


def read_open_truth(ledger_dir: Path) -> pd.DataFrame | None:
    """``invoice_id`` and the timing columns of the ``truth/invoice_truth`` file written next
    to a generated ledger (with the ``customer_latent`` table in ``attrs`` when written); None
    when there is none or it predates these columns."""
    wanted = ("invoice_id", *OPEN_TRUTH_COLUMNS, *FAIR_TRUTH_COLUMNS)
    frame = _read_table(ledger_dir, "invoice_truth", wanted)
    if frame is None or not has_open_truth(frame):
        return None
    for name in _DATE_COLUMNS:
        if name in frame:
            frame[name] = pd.to_datetime(frame[name])
    latent = _read_table(ledger_dir, "customer_latent", None)
    if latent is not None:
        latent["month"] = pd.to_datetime(latent["month"])
    return with_customer_latent(frame, latent)


def _days(values: pd.Series) -> np.ndarray:
    dates = pd.to_datetime(values)
    out = ((dates - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isnan(out), np.inf, out)


def open_late_truth(
    truth: pd.DataFrame,
    invoices: pd.DataFrame,
    invoice_ids: pd.Series,
    as_of: pd.Series | pd.Timestamp,
    late_after_days: int,
) -> np.ndarray:
    """True P(paid more than ``late_after_days`` after due, or never) of each invoice open at
    its ``as_of`` (``risk.synth.behaviour.late_probability_open``); NaN for an invoice the
    truth does not know."""
    ids = pd.Series(invoice_ids).astype("str").reset_index(drop=True)
    known = truth.assign(invoice_id=truth["invoice_id"].astype("str")).set_index("invoice_id")
    dated = invoices.assign(invoice_id=invoices["invoice_id"].astype("str")).set_index("invoice_id")
    when = (
        pd.Series(pd.Timestamp(as_of), index=ids.index)
        if isinstance(as_of, pd.Timestamp)
        else pd.Series(as_of).reset_index(drop=True)
    )
    out = late_probability_open(
        ids.map(known["late_branch_probability"]).to_numpy(dtype="float64"),
        ids.map(known["late_scale_days"]).to_numpy(dtype="float64"),
        _days(ids.map(dated["issued_on"])),
        _days(ids.map(dated["due_on"])),
        _days(ids.map(pd.to_datetime(known["opening_on"]))),
        _days(when),
        late_after_days,
    )
    return np.where(ids.isin(known.index).to_numpy(), out, np.nan)


def _latent_at(latent: pd.DataFrame, customers: pd.Series, month: pd.Series) -> np.ndarray:
    """The latent of each (customer, month), months clipped to the table's first and last."""
    first = latent["month"].min()
    base = first.year * 12 + first.month
    index = pd.Index(pd.unique(latent["customer_id"].astype("str")))
    span = int((latent["month"].dt.year * 12 + latent["month"].dt.month).max() - base + 1)
    grid = np.full((len(index), span), np.nan)
    rows = index.get_indexer(pd.Index(latent["customer_id"].astype("str")))
    cols = (latent["month"].dt.year * 12 + latent["month"].dt.month - base).to_numpy()
    grid[rows, cols] = latent["latent"].to_numpy(dtype="float64")
    row = index.get_indexer(pd.Index(customers.astype("str")))
    col = np.clip((month.dt.year * 12 + month.dt.month - base).to_numpy(), 0, span - 1)
    return np.where(row >= 0, grid[np.maximum(row, 0), col.astype(int)], np.nan)


def fair_open_late_truth(
    truth: pd.DataFrame,
    invoices: pd.DataFrame,
    invoice_ids: pd.Series,
    as_of: pd.Series | pd.Timestamp,
    late_after_days: int,
) -> np.ndarray:
    """The fair ceiling: P(paid more than ``late_after_days`` after due, or never) of each
    invoice open at its ``as_of``, from what is knowable at ``as_of`` only (the module
    docstring); NaN for an invoice the truth does not know. ``truth`` must satisfy
    ``has_fair_truth``.

    The late-branch intercept and the scale at latent 0 are read back from the invoice's own
    full-truth columns (``logit(p) - GAMMA_LATE z``, ``log(s) - GAMMA_DISTRESS z``: constants
    of the invoice, since the fair and the full latent differ only in the customer's own
    state, its distress, whose scale elasticity is ``GAMMA_DISTRESS``; the segment and
    the known shifts are the same in both); the dispute is mixed over the numerator and denominator of
    ``P(late | open at t)`` (Bayes: an invoice still open is more likely disputed)."""
    ids = pd.Series(invoice_ids).astype("str").reset_index(drop=True)
    known = truth.assign(invoice_id=truth["invoice_id"].astype("str")).set_index("invoice_id")
    dated = invoices.assign(invoice_id=invoices["invoice_id"].astype("str")).set_index("invoice_id")
    when = (
        pd.Series(pd.Timestamp(as_of), index=ids.index)
        if isinstance(as_of, pd.Timestamp)
        else pd.to_datetime(pd.Series(as_of).reset_index(drop=True))
    )

    def col(name: str) -> np.ndarray:
        return ids.map(known[name]).to_numpy(dtype="float64")

    due_on = pd.to_datetime(ids.map(dated["due_on"]))
    t = _days(when)
    issued, due = _days(ids.map(dated["issued_on"])), _days(due_on)
    # the latent of the month of t, or of the due month once it has begun (past, so known)
    begun = pd.Series(when.where(when < due_on, due_on))
    month = pd.Series(begun.dt.to_period("M").dt.to_timestamp())
    z_known = _latent_at(
        truth.attrs["customer_latent"], ids.map(dated["customer_id"]), month
    ) + col("latent_known_shift")
    p_full = np.clip(col("late_branch_probability"), 1e-12, 1 - 1e-12)
    z_full = col("latent_lateness")
    intercept = np.log(p_full / (1.0 - p_full)) - GAMMA_LATE * z_full
    log_scale0 = np.log(col("late_scale_days")) - GAMMA_DISTRESS * z_full
    opening = _days(ids.map(known["opening_on"]))
    opening = np.where(opening <= t, opening, np.inf)  # a proceeding is known once it opened
    disputed_by = _days(ids.map(known["dispute_known_on"])) <= t
    clean_by = _days(ids.map(known["no_dispute_known_on"])) <= t
    p_dispute = np.where(disputed_by, 1.0, np.where(clean_by, 0.0, col("dispute_probability")))
    k = np.minimum(late_after_days + 1.0, opening - due)
    open_from = np.minimum(t, opening)
    # a payment announced by t comes by its status day + PAYMENT_ANNOUNCED_MAX_DAYS
    announced = _days(ids.map(known["payment_announced_on"]))
    paid_by = np.where(announced <= t, announced + PAYMENT_ANNOUNCED_MAX_DAYS + 1.0, np.inf)
    numerator = np.zeros(len(ids))
    denominator = np.zeros(len(ids))
    for shift, weight in ((0.0, 1.0 - p_dispute), (DISPUTE_SHIFT, p_dispute)):
        z = z_known + shift
        branch = 1.0 / (1.0 + np.exp(-(intercept + GAMMA_LATE * z)))
        scale = np.exp(log_scale0 + GAMMA_DISTRESS * z)
        after = np.where(
            np.isinf(paid_by), 0.0, pay_day_at_least(branch, scale, issued, due, paid_by)
        )
        numerator += weight * np.maximum(
            pay_day_at_least(branch, scale, issued, due, np.maximum(due + k, open_from)) - after,
            0.0,
        )
        denominator += weight * np.maximum(
            pay_day_at_least(branch, scale, issued, due, open_from) - after, 0.0
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.clip(np.where(denominator > 0, numerator / denominator, 1.0), 0.0, 1.0)
    return np.where(ids.isin(known.index).to_numpy() & ~np.isnan(z_known), out, np.nan)
