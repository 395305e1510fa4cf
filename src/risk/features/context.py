"""A ledger prepared for as-of lookups: integer days, customer codes, sorted event indexes.

``LedgerTimeline`` is built once per call of a frame builder and shared by every family, so
that each sort happens once. It never modifies the ledger it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from risk.features.config import FeatureConfig
from risk.features.payment_weights import EWM_ORIGIN, HALF_LIVES
from risk.features.spec import has_column
from risk.features.timeline import NEVER, EventIndex, day_keys, event_keys, sort_order, to_days
from risk.ledger import Ledger
from risk.lookup import arrow_positions


@dataclass(frozen=True)
class Queries:
    """As-of queries: one (customer code, as-of day) pair per row, sorted by that key."""

    codes: np.ndarray
    days: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)


class LedgerTimeline:
    """The ledger's dated facts as numpy arrays and event indexes.

    Args:
        ledger: the validated ledger (not modified).
        config: feature parameters.
    """

    def __init__(self, ledger: Ledger, config: FeatureConfig) -> None:
        self.ledger = ledger
        self.config = config
        self.customer_ids = ledger.customers["customer_id"]

    def release(self, *names: str) -> None:
        """Forget cached indexes that are no longer needed (they are rebuilt if asked again)."""
        for name in names:
            self.__dict__.pop(name, None)

    def has(self, needed: str) -> bool:
        """Whether the ledger holds ``table.column``."""
        return has_column(self.ledger, needed)

    def customer_codes(self, customer_ids: pd.Series | pd.Index) -> np.ndarray:
        """Position of each customer id in the customers table (-1 when unknown)."""
        return positions_in(self.customer_ids, customer_ids)

    @cached_property
    def invoices(self) -> pd.DataFrame:
        """Invoices as arrays, in a canonical order (independent of the input row order).

        Columns: ``code`` (customer code), ``issued``, ``due``, ``paid`` (days;
        ``NEVER`` when unpaid or when the ledger has no ``paid_on``), ``amount``, ``row`` (the
        row in the ledger's invoices table).
        """
        inv = self.ledger.invoices
        paid = to_days(inv["paid_on"]) if self.has("invoices.paid_on") else NEVER
        frame = pd.DataFrame(
            {
                "code": self.customer_codes(inv["customer_id"]),
                "issued": to_days(inv["issued_on"]),
                "due": to_days(inv["due_on"]),
                "paid": paid,
                "amount": inv["amount"].to_numpy(dtype=np.float64),
                "row": np.arange(len(inv)),
            }
        )
        by_day = event_keys(frame["code"].to_numpy(), frame["issued"].to_numpy())
        order = sort_order(by_day, frame["amount"].to_numpy())  # ties broken by amount
        return frame.iloc[order].reset_index(drop=True)

    @cached_property
    def issues(self) -> EventIndex:
        """Issued invoices, by customer and issue day, with their amount."""
        inv = self.invoices
        amount = inv["amount"].to_numpy()
        codes, days = inv["code"].to_numpy(), inv["issued"].to_numpy()
        return EventIndex(codes, days, {"amount": amount}, presorted=True)

    def invoice_positions(self, invoice_ids: pd.Series) -> np.ndarray:
        """Position of each invoice id in ``self.invoices`` (-1 when unknown)."""
        rows = positions_in(self.ledger.invoices["invoice_id"], invoice_ids)
        return np.where(rows >= 0, self.positions_of_rows[rows], -1)

    @cached_property
    def positions_of_rows(self) -> np.ndarray:
        """Position in ``self.invoices`` of each row of the ledger's invoices table."""
        rows = self.invoices["row"].to_numpy()
        out = np.empty_like(rows)
        out[rows] = np.arange(len(rows))
        return out

    @cached_property
    def _referenced_invoices(self) -> tuple[np.ndarray, np.ndarray]:
        """Invoice positions of the payments and of the reminders, in one hash lookup."""
        tables = (self.ledger.payments, self.ledger.reminders)
        ids = [
            pd.Series([], dtype="str") if t is None or "invoice_id" not in t else t["invoice_id"]
            for t in tables
        ]
        found = self.invoice_positions(pd.concat(ids, ignore_index=True))
        return found[: len(ids[0])], found[len(ids[0]) :]

    @cached_property
    def payments(self) -> EventIndex | None:
        """Payments by invoice position and day (None without a payments table)."""
        if not self.has("payments.paid_on"):
            return None
        pay = self.ledger.payments
        if pay is None:  # pragma: no cover - guarded by has()
            return None
        amount = pay["amount"].to_numpy(dtype=np.float64)
        pos = self._referenced_invoices[0]
        return EventIndex(pos, to_days(pay["paid_on"]), {"amount": amount}, tiebreak=amount)

    @cached_property
    def reminders(self) -> pd.DataFrame | None:
        """Reminders with invoice position, ``sent`` day and ``outcome`` (None without them)."""
        if not self.has("reminders.sent_on"):
            return None
        rem = self.ledger.reminders
        if rem is None:  # pragma: no cover - guarded by has()
            return None
        outcome = rem["outcome"].astype("str") if "outcome" in rem.columns else "none"
        return pd.DataFrame(
            {
                "pos": self._referenced_invoices[1],
                "sent": to_days(rem["sent_on"]),
                "outcome": outcome,
            }
        )

    def _count_until_paid(self, owners: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Per invoice, the events (invoice position ``owners``, -1 unknown; day ``days``)
        dated <= its paid day, by the day keys of :class:`EventIndex` (``through(pos, paid) -
        start(pos)`` of an index of these events, counted in one pass without sorting them
        or searching them twice per invoice)."""
        paid = self.invoices["paid"].to_numpy()
        known = owners >= 0
        owners = owners[known]
        through = day_keys(days[known]) <= day_keys(paid)[owners]
        return np.bincount(owners[through], minlength=len(paid))

    @cached_property
    def settlements(self) -> EventIndex:
        """Settled invoices by customer and payment day, with their payment behaviour.

        Values per invoice: ``days_late`` (paid - due), ``days_to_pay`` (paid -
        issued), ``late_0``/``late_30``/``late_60`` (days_late > 0/30/60), ``before_due``
        (paid before the due day), ``paid_day`` and ``paid_x_late`` (for recency weights) and,
        when the ledger has them, ``disputed``, ``partial`` (settled in 2+ payments) and
        ``reminders`` (reminders sent up to the payment day).
        """
        inv = self.invoices
        settled = inv["paid"].to_numpy() < NEVER
        paid = inv["paid"].to_numpy()[settled]
        late = paid - inv["due"].to_numpy()[settled]
        values = {
            "days_late": late.astype(np.int32),
            "days_to_pay": (paid - inv["issued"].to_numpy()[settled]).astype(np.int32),
            "late_0": (late > 0).astype(np.int8),
            "late_30": (late > 30).astype(np.int8),
            "late_60": (late > 60).astype(np.int8),
            "before_due": (late < 0).astype(np.int8),
            "paid_day": paid.astype(np.int32),
            "paid_x_late": paid * late,
        }
        for h in HALF_LIVES:  # exponential weights (payment.HALF_LIVES), shifted to stay finite
            weight = np.exp2((paid - EWM_ORIGIN) / h)
            values[f"ewm_weight_{h}"] = weight
            values[f"ewm_late_{h}"] = weight * late
        if self.has("invoices.disputed"):
            disputed = self.ledger.invoices["disputed"].to_numpy(dtype=bool)
            values["disputed"] = disputed[inv["row"].to_numpy()][settled].astype(np.int8)
        if self.payments is not None:
            payments = self.payments
            n_payments = self._count_until_paid(payments.codes, payments.days)[settled]
            values["partial"] = (n_payments >= 2).astype(np.int8)
        if self.reminders is not None:
            rem = self.reminders
            n_reminders = self._count_until_paid(rem["pos"].to_numpy(), rem["sent"].to_numpy())
            values["reminders"] = n_reminders[settled].astype(np.int32)
        codes = inv["code"].to_numpy()[settled]
        # stable sort of the canonical invoice order: float sums do not depend on the input order
        return EventIndex(codes, paid, values)

    @cached_property
    def dues(self) -> EventIndex:
        """Invoices by customer and due day, with ``on_time`` (paid by the due day)."""
        inv = self.invoices
        on_time = (inv["paid"].to_numpy() <= inv["due"].to_numpy()).astype(np.int8)
        return EventIndex(inv["code"].to_numpy(), inv["due"].to_numpy(), {"on_time": on_time})


def _arrow_ids(values: pd.Series | pd.Index) -> pa.Array:
    """Ids as a pyarrow string array (zero-copy for pandas ``str`` columns)."""
    series = pd.Series(values, copy=False)
    if series.dtype != "str":
        series = series.astype("str")
    return pa.array(series.array)


def positions_in(table_ids: pd.Series | pd.Index, wanted: pd.Series | pd.Index) -> np.ndarray:
    """Position of each ``wanted`` id in ``table_ids`` (first match), -1 when absent.

    Uses pyarrow's hash lookup, several times faster than ``Index.get_indexer`` on strings.
    """
    return arrow_positions(_arrow_ids(wanted), _arrow_ids(table_ids))


def make_queries(timeline: LedgerTimeline, customer_ids: pd.Series, as_of: pd.Series) -> Queries:
    """Build (unsorted) queries from customer ids and as-of dates."""
    return Queries(codes=timeline.customer_codes(customer_ids), days=to_days(as_of))
