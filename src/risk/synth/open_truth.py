"""The generator's truth for invoices open at any date, from the columns it writes to
``invoice_truth`` (``late_branch_probability``, ``late_scale_days``, ``opening_on``): what the
payment-timing model is compared with on generated ledgers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from risk.synth.behaviour import late_probability_open

#: the columns of ``invoice_truth`` needed (older truth files lack them)
OPEN_TRUTH_COLUMNS = ("late_branch_probability", "late_scale_days", "opening_on")
_EPOCH = pd.Timestamp("1970-01-01")


def has_open_truth(truth: pd.DataFrame | None) -> bool:
    return truth is not None and set(OPEN_TRUTH_COLUMNS) <= set(truth.columns)


def read_open_truth(ledger_dir: Path) -> pd.DataFrame | None:
    """``invoice_id`` and the timing columns of the ``truth/invoice_truth`` file written next
    to a generated ledger; None when there is none or it predates these columns."""
    wanted = ("invoice_id", *OPEN_TRUTH_COLUMNS)
    for name in ("invoice_truth.parquet", "invoice_truth.csv"):
        path = Path(ledger_dir) / "truth" / name
        if not path.exists():
            continue
        if path.suffix == ".csv":
            frame = pd.read_csv(path, usecols=lambda c: c in wanted, dtype={"invoice_id": "str"})
        else:
            frame = pd.read_parquet(path)
            frame = frame[[c for c in frame.columns if c in wanted]]
        return frame if has_open_truth(frame) else None
    return None


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
