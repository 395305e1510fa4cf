"""The in-memory ledger: one DataFrame per table of ``risk.contracts``."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import pandas as pd

from risk.lookup import fast_isin

EVENT_DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "invoices": ("issued_on", "paid_on"),
    "credit_notes": ("issued_on",),
    "payments": ("paid_on",),
    "legal_events": ("published_on",),
    "reminders": ("sent_on",),
    "disputes": ("opened_on", "resolved_on"),
    "invoice_statuses": ("status_on",),
}


@dataclass(frozen=True)
class Ledger:
    """A validated receivables ledger.

    ``customers`` and ``invoices`` are always present; optional tables are ``None`` when the
    source does not have them. Every frame follows the dtypes documented in ``risk.contracts``.
    """

    customers: pd.DataFrame
    invoices: pd.DataFrame
    credit_notes: pd.DataFrame | None = None
    payments: pd.DataFrame | None = None
    legal_events: pd.DataFrame | None = None
    reminders: pd.DataFrame | None = None
    disputes: pd.DataFrame | None = None
    credit_limits: pd.DataFrame | None = None
    invoice_statuses: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables present, by name, in contract order."""
        out: dict[str, pd.DataFrame] = {}
        for f in fields(self):
            frame = getattr(self, f.name)
            if frame is not None:
                out[f.name] = frame
        return out

    def with_tables(self, **tables: pd.DataFrame | None) -> Ledger:
        """Return a copy with some tables replaced."""
        return replace(self, **tables)

    @property
    def date_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last event date in the ledger (the last one is the data cut-off).

        Event dates are the days something happened: invoices and credit notes issued, invoices
        settled, payments received, legal events published, reminders sent. Due dates and
        promised dates lie in the future of the extraction and do not count.

        Raises:
            ValueError: the ledger holds no dated event.
        """
        firsts: list[pd.Timestamp] = []
        lasts: list[pd.Timestamp] = []
        for name, frame in self.tables().items():  # per column: no copy of every date
            for column in EVENT_DATE_COLUMNS.get(name, ()):
                if column in frame.columns:
                    first, last = frame[column].min(), frame[column].max()  # missing skipped
                    if not pd.isna(first):
                        firsts.append(pd.Timestamp(first))
                        lasts.append(pd.Timestamp(last))
        if not firsts:
            raise ValueError("the ledger holds no dated event")
        return min(firsts), max(lasts)

    @property
    def cutoff(self) -> pd.Timestamp:
        """The data cut-off: the last event date in the ledger."""
        return self.date_range[1]


def subset_ledger(ledger: Ledger, customer_ids: list[str]) -> Ledger:
    """The rows of ``ledger`` that belong to ``customer_ids`` (their invoices, and the payments,
    reminders, disputes, e-invoicing statuses and credit notes of those invoices, their legal events and credit limits).

    Customer-level features depend only on a customer's own rows, so scoring a few customers on
    their subset gives the same result as on the whole ledger, for a fraction of the work.
    """
    wanted = pd.Series(list(customer_ids), dtype="str")

    def rows(frame: pd.DataFrame | None, column: str, keys: pd.Series) -> pd.DataFrame | None:
        if frame is None:
            return None
        return frame[fast_isin(frame[column], keys).to_numpy()].reset_index(drop=True)

    invoices = rows(ledger.invoices, "customer_id", wanted)
    assert invoices is not None
    invoice_ids = invoices["invoice_id"]
    return Ledger(
        customers=rows(ledger.customers, "customer_id", wanted),  # type: ignore[arg-type]
        invoices=invoices,
        credit_notes=rows(ledger.credit_notes, "customer_id", wanted),
        payments=rows(ledger.payments, "invoice_id", invoice_ids),
        legal_events=rows(ledger.legal_events, "customer_id", wanted),
        reminders=rows(ledger.reminders, "invoice_id", invoice_ids),
        disputes=rows(ledger.disputes, "invoice_id", invoice_ids),
        credit_limits=rows(ledger.credit_limits, "customer_id", wanted),
        invoice_statuses=rows(ledger.invoice_statuses, "invoice_id", invoice_ids),
    )
