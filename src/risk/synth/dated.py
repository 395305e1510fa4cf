"""Dated facts of the generated ledger: the credit-limit history and the disputes.

Both come from what the generator already decided, with no random draw (so no existing table
changes): a customer with a limit is granted it from its first invoice (or the window start)
and, once liquidated, cut to 0 from the liquidation day, which is why the customers table's
snapshot shows 0 for them; a dispute is opened the day the first reminder got the answer
"dispute" and resolved the day the invoice was settled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.synth.customers import CustomerDraw, Window, base_credit_limits, customer_ids
from risk.synth.dates import NEVER, to_datetime
from risk.synth.latent import FailureTimeline


def credit_limits_frame(
    draw: CustomerDraw, timeline: FailureTimeline, window: Window, invoices: pd.DataFrame
) -> pd.DataFrame:
    """The ``credit_limits`` table, sorted by customer and ``valid_from``."""
    ids = customer_ids(draw.size)
    first = invoices.groupby("customer_id")["issued_on"].min()
    granted_on = pd.Series(ids.map(first), dtype="datetime64[ns]").fillna(
        pd.Timestamp(to_datetime([window.start_day])[0])
    )
    has = np.asarray(draw.has_credit_limit, dtype=bool)
    limits = base_credit_limits(draw)
    cut = has & (timeline.liquidation_day <= window.end_day) & (timeline.liquidation_day < NEVER)
    granted = pd.DataFrame(
        {"customer_id": ids[has], "credit_limit": limits[has], "valid_from": granted_on[has]}
    )
    cut_rows = pd.DataFrame(
        {
            "customer_id": ids[cut],
            "credit_limit": 0.0,
            "valid_from": to_datetime(timeline.liquidation_day[cut]),
        }
    )
    frame = pd.concat([granted, cut_rows], ignore_index=True)
    frame = frame.sort_values(["customer_id", "valid_from"], kind="stable").reset_index(drop=True)
    return frame.astype({"customer_id": "str", "credit_limit": "float64"})


def disputes_frame(invoices: pd.DataFrame, reminders: pd.DataFrame) -> pd.DataFrame:
    """The ``disputes`` table: opened at the first reminder answered "dispute"."""
    said = reminders[reminders["outcome"] == "dispute"]
    opened = said.groupby("invoice_id", sort=True)["sent_on"].min()
    paid = invoices.set_index("invoice_id")["paid_on"]
    return pd.DataFrame(
        {
            "invoice_id": pd.Series(opened.index, dtype="str"),
            "opened_on": opened.to_numpy(),
            "resolved_on": paid.reindex(opened.index).to_numpy(),
            "reason": pd.Series("answer to reminder", index=range(len(opened)), dtype="str"),
        }
    )
