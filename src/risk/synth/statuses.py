"""E-invoicing lifecycle statuses of the generated electronic invoices (``invoice_statuses``).

A function of the generated ledger and the seed (its own random stream, so adding it changes no
other table). Timings follow the reform's lifecycle as a platform would report it:

* ``submitted`` (200, mandatory) on the invoice date;
* a disputed invoice (the generator's dispute draw, the ledger's ``disputed`` flag) is flagged
  by the buyer soon after receipt: ``disputed`` (207) 2 to 10 days after the invoice date, or
  ``suspended`` (208, documents asked) for one in five;
* otherwise ``approved`` (205) after 1 to 5 days plus a delay that grows with how late the
  buyer will pay (slow approvers are slow payers: 1 day per 7 days late, at most 20);
* ``payment_transmitted`` (211) 1 to 4 days before the payment date, never before approval;
* ``cashed`` (212, mandatory) on the payment date.

Approval and payment-transmitted statuses are optional in the reform: a buyer sends them or
not (70 % of buyers do, drawn once per customer). Nothing is dated after the ledger's cut-off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.features.timeline import NEVER, to_days
from risk.ledger import Ledger

DISPUTE_REASONS = ("PU_ERR", "QTE_ERR", "LIVR_INCOMP", "CMD_ERR")
SENDS_OPTIONAL_SHARE = 0.7
SUSPENDED_SHARE = 0.2
#: a disputed or suspended status comes this many days after the invoice date, at the latest
DISPUTE_STATUS_MAX_DAYS = 10


def _frame(ids: np.ndarray, status: str, days: np.ndarray, reasons: object = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": ids,
            "status": status,
            "status_on": days.astype("datetime64[D]").astype("datetime64[ns]"),
            "reason": reasons,
        }
    )


def invoice_statuses_frame(ledger: Ledger, seed: int) -> pd.DataFrame:
    """The ``invoice_statuses`` table of a generated ledger (empty without electronic invoices).

    Args:
        ledger: the generated ledger (``invoices`` with ``channel``, ``paid_on``, ``disputed``).
        seed: the portfolio's seed.

    Returns:
        ``invoice_id, status, status_on, reason`` sorted by invoice and date.
    """
    rng = np.random.default_rng([seed, 18])
    inv = ledger.invoices
    end = int(to_days(pd.Series([ledger.cutoff]))[0])
    customers = ledger.customers["customer_id"]
    sends = pd.Series(rng.random(len(customers)) < SENDS_OPTIONAL_SHARE, index=customers)
    n = len(inv)
    draws = {name: rng.random(n) for name in ("dispute_lag", "suspend", "approve", "transmit")}
    reason_pick = rng.integers(0, len(DISPUTE_REASONS), n)
    electronic = (inv["channel"] == "electronic").fillna(False).to_numpy(dtype=bool)
    issued, due = to_days(inv["issued_on"]), to_days(inv["due_on"])
    paid = to_days(inv["paid_on"]) if "paid_on" in inv.columns else np.full(n, NEVER)
    disputed = (
        inv["disputed"].to_numpy(dtype=bool) if "disputed" in inv.columns else np.zeros(n, bool)
    )
    optional = sends.reindex(inv["customer_id"]).fillna(False).to_numpy(dtype=bool) & electronic
    ids = inv["invoice_id"].to_numpy()
    late = np.where(paid < NEVER, np.clip(paid - due, 0, None), 60)
    blocked = electronic & disputed
    dispute_day = (
        issued + 2 + (draws["dispute_lag"] * (DISPUTE_STATUS_MAX_DAYS - 1)).astype(np.int64)
    )
    suspended = blocked & (draws["suspend"] < SUSPENDED_SHARE)
    approve_day = issued + 1 + (draws["approve"] * 5).astype(np.int64) + np.minimum(late // 7, 20)
    last_before_payment = np.maximum(paid - 1, issued)  # nothing but cashed after payment
    dispute_day = np.minimum(dispute_day, last_before_payment)
    approve_day = np.minimum(approve_day, last_before_payment)
    approved = optional & ~disputed
    transmit_day = paid - 1 - (draws["transmit"] * 4).astype(np.int64)
    transmit_day = np.maximum(transmit_day, np.where(approved, approve_day, issued))
    transmit_day = np.minimum(transmit_day, np.maximum(paid, issued))
    transmitted = optional & (paid < NEVER)
    reasons = np.asarray(DISPUTE_REASONS)[reason_pick]
    parts = [
        _frame(ids[electronic], "submitted", issued[electronic]),
        _frame(ids[blocked & ~suspended], "disputed", dispute_day[blocked & ~suspended],
               reasons[blocked & ~suspended]),
        _frame(ids[suspended], "suspended", dispute_day[suspended], "JUSTIF_ABS"),
        _frame(ids[approved], "approved", approve_day[approved]),
        _frame(ids[transmitted], "payment_transmitted", transmit_day[transmitted]),
        _frame(ids[electronic & (paid < NEVER)], "cashed", paid[electronic & (paid < NEVER)]),
    ]  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[(to_days(frame["status_on"]) <= end).astype(bool)]
    frame = frame.sort_values(["invoice_id", "status_on"], kind="stable").reset_index(drop=True)
    return frame.astype({"invoice_id": "str", "status": "str", "reason": "str"})


def platform_export_frame(statuses: pd.DataFrame) -> pd.DataFrame:
    """``invoice_statuses`` as a platform's CSV export would show them: French column names,
    the official code and its French label (``risk enrich statuses`` reads it back)."""
    from risk.contracts import INVOICE_STATUS_CODES

    code_of = {name: code for code, name in INVOICE_STATUS_CODES.items()}
    return pd.DataFrame(
        {
            "Numéro de facture": statuses["invoice_id"],
            "Code statut": statuses["status"].map(code_of),
            "Date statut": statuses["status_on"].dt.strftime("%d/%m/%Y"),
            "Motif": statuses["reason"].fillna(""),
        }
    )
