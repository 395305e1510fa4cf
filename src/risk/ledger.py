"""The in-memory ledger: one DataFrame per table of ``risk.contracts``."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from risk.contracts import TABLE_NAMES  # the Ledger fields that are tables, in order
from risk.ledger_index import BY_CUSTOMER, index_of, take_rows
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

    ``known_cutoff`` is not a table: the cut-off of the rows' source when it is later than
    their own last event date — a ledger cut from a larger one (``subset_ledger``) carries
    its parent's, an inline request's ledger the request's as-of date. The undated facts of
    a ledger (``customers.credit_limit``, ``invoices.disputed``) are the state at that
    cut-off, so a customer without a dated row of its own still knows them.

    A ledger is immutable: its date range is computed once (``with_tables`` gives a new
    ledger).
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
    known_cutoff: pd.Timestamp | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables present, by name, in contract order."""
        out: dict[str, pd.DataFrame] = {}
        for name in TABLE_NAMES:
            frame = getattr(self, name)
            if frame is not None:
                out[name] = frame
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
        found = self.__dict__.get("_date_range")
        if found is None:
            found = self._scan_dates()
            object.__setattr__(self, "_date_range", found)  # immutable: computed once
        if isinstance(found, ValueError):
            raise ValueError(str(found))
        return found

    def _scan_dates(self) -> tuple[pd.Timestamp, pd.Timestamp] | ValueError:
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
            return ValueError("the ledger holds no dated event")
        return min(firsts), max(lasts)

    @property
    def cutoff(self) -> pd.Timestamp:
        """The data cut-off: the last event date in the ledger, or ``known_cutoff`` when that
        is later (a subset's parent's, an inline request's as-of date).

        Raises:
            ValueError: the ledger holds no dated event and no cut-off is known.
        """
        try:
            last = self.date_range[1]
        except ValueError:
            if self.known_cutoff is None:
                raise
            return pd.Timestamp(self.known_cutoff)
        if self.known_cutoff is None:
            return last
        return max(last, pd.Timestamp(self.known_cutoff))

    def with_cutoff(self, cutoff: pd.Timestamp | None) -> Ledger:
        """The same tables with ``known_cutoff`` set (the date range is kept: same rows)."""
        out = replace(self, known_cutoff=None if cutoff is None else pd.Timestamp(cutoff))
        if "_date_range" in self.__dict__:
            object.__setattr__(out, "_date_range", self.__dict__["_date_range"])
        return out


def cutoff_or_none(ledger: Ledger) -> pd.Timestamp | None:
    """``ledger.cutoff``, None when it has no dated event and no known cut-off."""
    try:
        return ledger.cutoff
    except ValueError:
        return None


def subset_ledger(ledger: Ledger, customer_ids: list[str]) -> Ledger:
    """The rows of ``ledger`` that belong to ``customer_ids`` (their invoices, and the payments,
    reminders, disputes, e-invoicing statuses and credit notes of those invoices, their legal events and credit limits).

    Customer-level features depend only on a customer's own rows, so scoring a few customers on
    their subset gives the same result as on the whole ledger, for a fraction of the work. The
    subset carries ``ledger``'s cut-off (``known_cutoff``): the undated facts of a customer
    without dated rows are known from it, as in the whole ledger.
    """
    wanted_ids = [str(c) for c in customer_ids]
    index = index_of(ledger)
    if index is not None and index.positions("customers", wanted_ids) is not None:
        # the ledger's index (risk.ledger_index): a take of the customers' positions, row for
        # row the cut below, without scanning the tables
        cut: dict[str, pd.DataFrame | None] = {}
        for name, frame in ledger.tables().items():
            at = index.positions(name, wanted_ids)
            cut[name] = (
                frame[_mask(frame, name, wanted_ids, cut)].reset_index(drop=True)
                if at is None
                else take_rows(frame, at)
            )
        return Ledger(**cut, known_cutoff=cutoff_or_none(ledger))  # type: ignore[arg-type]
    wanted = pd.Series(wanted_ids, dtype="str")

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
        known_cutoff=cutoff_or_none(ledger),
    )


def _mask(
    frame: pd.DataFrame, name: str, wanted: list[str], cut: dict[str, pd.DataFrame | None]
) -> object:
    """The rows of a table the index does not cover, by a scan (as ``subset_ledger``)."""
    if name in BY_CUSTOMER:
        return fast_isin(frame["customer_id"], pd.Series(wanted, dtype="str")).to_numpy()
    invoices = cut.get("invoices")
    keys = invoices["invoice_id"] if invoices is not None else pd.Series([], dtype="str")
    return fast_isin(frame["invoice_id"], keys).to_numpy()
