"""What the generator writes so that a fair ceiling can be computed at any snapshot date: the
inputs of ``risk.synth.open_truth.fair_open_late_truth``.

A fair ceiling at a date ``t`` uses only what is knowable at ``t``. The generator's payment
draw uses the customer's latent in the month the invoice falls due, the invoice's dispute flag
and the date of the next proceeding opening, all dated after ``t`` when ``t`` is early enough.
So the truth carries, besides the full-truth columns:

* ``customer_latent``: each customer's latent lateness month by month up to the ledger end (the
  fair ceiling reads the month of ``t``, or the due month once it has begun);
* per invoice, ``latent_known_shift`` (the due month's season and paper billing, known at issue),
  ``dispute_probability`` (the chance of a dispute, known at issue), ``dispute_known_on`` (the
  first day the ledger shows the dispute: the first reminder answered "dispute" or the buyer's
  e-invoicing "disputed"/"suspended" status) and ``no_dispute_known_on`` (the first day the
  ledger shows there is none: an electronic invoice with no such status
  ``DISPUTE_STATUS_MAX_DAYS`` days after its date; never for paper invoices) and
  ``payment_announced_on`` (the buyer's "payment_transmitted" status: the payment comes within
  ``PAYMENT_ANNOUNCED_MAX_DAYS`` days of it).

No random draw: the ledger tables stay byte-identical.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from risk.ledger import Ledger
from risk.synth.customers import Window
from risk.synth.statuses import DISPUTE_STATUS_MAX_DAYS

#: a "payment_transmitted" status comes at most this many days before the payment
#: (``risk.synth.statuses``: 1-4 days, or on the approval day when that is later)
PAYMENT_ANNOUNCED_MAX_DAYS = 4
#: e-invoicing statuses that reveal a dispute
DISPUTE_STATUSES = ("disputed", "suspended")


def customer_latent_frame(
    latent: npt.NDArray[np.float32], window: Window, cust_ids: pd.Series
) -> pd.DataFrame:
    """``customer_latent``: ``customer_id``, ``month`` (its first day), ``latent`` for every
    month from the window start to the ledger end (later months are never knowable)."""
    end_month = int(np.datetime64(window.end_day, "D").astype("datetime64[M]").astype(np.int64))
    months = min(end_month - window.start_month + 1, latent.shape[1])
    firsts = (np.arange(months) + window.start_month).astype("datetime64[M]")
    return pd.DataFrame(
        {
            "customer_id": np.repeat(cust_ids.to_numpy(dtype=object), months),
            "month": np.tile(firsts.astype("datetime64[ns]"), latent.shape[0]),
            "latent": latent[:, :months].astype(np.float64).ravel(),
        }
    ).astype({"customer_id": "str"})


def dispute_knowledge(ledger: Ledger) -> tuple[np.ndarray, np.ndarray]:
    """(``dispute_known_on``, ``no_dispute_known_on``) of each invoice of ``ledger.invoices``,
    as ``datetime64[ns]`` arrays (NaT: never)."""
    invoices = ledger.invoices
    tables = ledger.tables()
    disputes = tables.get("disputes")
    opened = (
        disputes.groupby("invoice_id")["opened_on"].min()
        if disputes is not None and len(disputes)
        else pd.Series(dtype="datetime64[ns]")
    )
    statuses = tables.get("invoice_statuses")
    flagged = pd.Series(dtype="datetime64[ns]")
    if statuses is not None and len(statuses):
        chosen = statuses[statuses["status"].isin(DISPUTE_STATUSES)]
        flagged = chosen.groupby("invoice_id")["status_on"].min()
    ids = invoices["invoice_id"].astype("str")
    known = pd.concat([ids.map(opened).rename("a"), ids.map(flagged).rename("b")], axis=1).min(
        axis=1
    )
    electronic = (invoices["channel"] == "electronic").to_numpy(dtype=bool)
    clean = electronic & ~invoices["disputed"].to_numpy(dtype=bool)
    no_dispute = invoices["issued_on"] + pd.Timedelta(days=DISPUTE_STATUS_MAX_DAYS + 1)
    return (
        pd.to_datetime(known).to_numpy(dtype="datetime64[ns]"),
        no_dispute.where(clean).to_numpy(dtype="datetime64[ns]"),
    )


def payment_announcements(ledger: Ledger) -> np.ndarray:
    """``payment_announced_on`` of each invoice: the buyer's e-invoicing "payment_transmitted"
    status (sent 1-4 days before the payment, by the buyers who send optional statuses; NaT
    when none)."""
    statuses = ledger.tables().get("invoice_statuses")
    ids = ledger.invoices["invoice_id"].astype("str")
    if statuses is None or not len(statuses):
        return np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[ns]")
    chosen = statuses[statuses["status"] == "payment_transmitted"]
    first = chosen.groupby("invoice_id")["status_on"].min()
    return pd.to_datetime(ids.map(first)).to_numpy(dtype="datetime64[ns]")


def knowable_columns(
    ledger: Ledger, known_shift: npt.NDArray[np.float64], p_dispute: npt.NDArray[np.float64]
) -> dict[str, np.ndarray]:
    """The per-invoice columns of ``invoice_truth`` a fair ceiling at a snapshot reads."""
    known_on, no_dispute_on = dispute_knowledge(ledger)
    return {
        "latent_known_shift": np.asarray(known_shift, dtype=np.float64),
        "dispute_probability": np.asarray(p_dispute, dtype=np.float64),
        "dispute_known_on": known_on,
        "no_dispute_known_on": no_dispute_on,
        "payment_announced_on": payment_announcements(ledger),
    }
