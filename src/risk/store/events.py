"""Ledger events: new or updated rows checked with the ledger contracts against the current
ledger, without re-validating it.

Customers and invoices are upserted by key (an invoice sent again with ``paid_on`` and
``amount_paid`` records its settlement); credit notes, payments, legal events and reminders are
appended (a payment or credit-note id already in the ledger is refused). Each sent row is kept or
quarantined with the same issue messages as ``risk validate`` (table, 1-based row of the batch,
column, rule), and the counts reconcile: sent = kept + quarantined.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risk.contracts import TABLES
from risk.ledger import EVENT_DATE_COLUMNS, Ledger
from risk.ledger_index import build_index, extend_index, index_of
from risk.lookup import positions_in
from risk.store.snapshot import as_text
from risk.validation import validate_tables
from risk.validation.table import ISSUE_COLUMNS

UPSERT_TABLES = ("customers", "invoices")
EVENT_TABLES = ("customers", "invoices", "credit_notes", "payments", "legal_events", "reminders")


@dataclass(frozen=True)
class EventCheck:
    """The outcome of one batch of ledger events.

    Attributes:
        ledger: the current ledger with the kept rows applied.
        accepted: table -> kept rows, as the text they were sent in (what a source stores).
        upserted: table -> keys of kept rows that replace a row of the ledger.
        issues: one row per (row, rule) failure: table, row (1-based, in the batch), column,
            value, rule.
        sent / kept: rows per table.
        customers: customers whose scores the kept rows may change.
    """

    ledger: Ledger
    accepted: dict[str, pd.DataFrame]
    upserted: dict[str, list[str]]
    issues: pd.DataFrame
    sent: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    customers: frozenset[str] = frozenset()
    #: table -> the rows the batch added or replaced, typed as in ``ledger`` (what a folder
    #: of Parquet tables stores)
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def quarantined(self) -> dict[str, int]:
        return {name: self.sent[name] - self.kept.get(name, 0) for name in self.sent}


def _text_frame(rows: pd.DataFrame, name: str) -> pd.DataFrame:
    columns = [c for c in TABLES[name].column_names if c in rows.columns]
    extra = [c for c in rows.columns if c not in columns]
    return rows[columns + extra].astype("str").reset_index(drop=True)


def _duplicate_issues(name: str, rows: pd.DataFrame, ledger: Ledger) -> pd.DataFrame:
    """Append-only rows whose key is already in the ledger."""
    table = TABLES[name]
    current = getattr(ledger, name)
    if name in UPSERT_TABLES or not table.key or current is None or table.key[0] not in rows:
        return pd.DataFrame(columns=list(ISSUE_COLUMNS))
    key = table.key[0]
    # the batch's keys looked up among the table's (hashing the few, not the whole table)
    taken = pd.Series(positions_in(rows[key], current[key]) >= 0, index=rows.index)
    return pd.DataFrame(
        {
            "table": name,
            "row": (taken[taken].index + 1).astype("int64"),
            "column": key,
            "value": rows.loc[taken, key].to_numpy(),
            "rule": f"{key} already in the ledger (only customers and invoices are updated)",
        }
    )


def _context_rows(ledger: Ledger, batch: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Rows of the ledger the batch's foreign keys point at (text), for the contract checks:
    the invoices its credit notes, payments and reminders name, and the customers its rows and
    those invoices name (not the whole customers table: turning it into text cost more than
    the rest of a 1,000-row batch's check)."""
    wanted: set[str] = set()
    for name in ("credit_notes", "payments", "reminders"):
        if name in batch and "invoice_id" in batch[name]:
            wanted |= set(batch[name]["invoice_id"])
    if "invoices" in batch:
        wanted -= set(batch["invoices"]["invoice_id"])
    invoices = ledger.invoices
    at = positions_in(pd.Series(sorted(wanted), dtype="str"), invoices["invoice_id"])
    referenced = invoices.take(np.sort(at[at >= 0])) if len(wanted) else invoices.iloc[:0]
    owners = set(referenced["customer_id"].astype("str"))
    for name in ("invoices", "credit_notes", "legal_events"):
        if name in batch and "customer_id" in batch[name]:
            owners |= set(batch[name]["customer_id"])
    if "customers" in batch:
        owners -= set(batch["customers"]["customer_id"])
    customers = ledger.customers
    at = positions_in(pd.Series(sorted(owners), dtype="str"), customers["customer_id"])
    named = {"customers": customers.take(np.sort(at[at >= 0])), "invoices": referenced}
    # as the text the batch's own rows of that table are (one frame with them); typed as the
    # ledger holds them when the batch sends none (a recorded action's reminders): the
    # contracts check typed columns without parsing text (the rows are only the foreign keys'
    # targets, dropped from the result)
    return {
        name: as_text(rows) if name in batch else rows.reset_index(drop=True)
        for name, rows in named.items()
    }


def check_events(ledger: Ledger, batch: Mapping[str, pd.DataFrame]) -> EventCheck:
    """Check a batch of event rows (text columns named as the contracts) against ``ledger``.

    Raises:
        risk.errors.SchemaError: a table is unknown or lacks a required column.
    """
    sent = {name: _text_frame(rows, name) for name, rows in batch.items() if len(rows)}
    context = _context_rows(ledger, sent)
    raw: dict[str, pd.DataFrame] = {}
    for name in EVENT_TABLES:
        if name not in sent and name in context:  # typed ledger rows alone
            raw[name] = context[name]
            continue
        parts = [frame for frame in (sent.get(name), context.get(name)) if frame is not None]
        if parts:
            raw[name] = pd.concat(parts, ignore_index=True).fillna("")
    raw.setdefault(
        "invoices",
        pd.DataFrame(
            columns=["invoice_id", "customer_id", "issued_on", "due_on", "amount"], dtype="str"
        ),
    )
    result = validate_tables(raw)
    issues = [result.issues, *(_duplicate_issues(n, sent[n], ledger) for n in sent)]
    issues_all = (
        pd.concat([i for i in issues if len(i)], ignore_index=True)
        if any(len(i) for i in issues)
        else pd.DataFrame(columns=list(ISSUE_COLUMNS))
    )
    ours = (
        issues_all[
            issues_all["table"].map(lambda t: len(sent[t]) if t in sent else 0) >= issues_all["row"]
        ]
        .sort_values(["table", "row", "column"], kind="stable")
        .reset_index(drop=True)
    )
    accepted: dict[str, pd.DataFrame] = {}
    for name, rows in sent.items():
        bad = set(ours.loc[ours["table"] == name, "row"].astype(int) - 1)
        accepted[name] = rows[~rows.index.isin(bad)].reset_index(drop=True)
    final, upserted, rows = _apply(ledger, result.ledger, accepted)
    return EventCheck(
        ledger=final,
        accepted=accepted,
        upserted=upserted,
        issues=ours,
        sent={name: len(rows) for name, rows in sent.items()},
        kept={name: len(rows) for name, rows in accepted.items()},
        customers=frozenset(_touched(final, accepted)),
        rows=rows,
    )


def _apply(
    ledger: Ledger, checked: Ledger, accepted: dict[str, pd.DataFrame]
) -> tuple[Ledger, dict[str, list[str]], dict[str, pd.DataFrame]]:
    """The ledger with the accepted rows upserted (customers, invoices) or appended.

    An upserted row replaces the row of its key where it stands; new rows go after the
    existing ones. Rows keep their positions, so the ledger's index (``risk.ledger_index``)
    and date range carry over to the result for the cost of the batch's rows."""
    tables: dict[str, pd.DataFrame] = {}
    upserted: dict[str, list[str]] = {}
    replaced: dict[str, np.ndarray] = {}
    rows: dict[str, pd.DataFrame] = {}
    for name in EVENT_TABLES:
        current = getattr(ledger, name)
        new = getattr(checked, name)
        if new is None or not len(new):
            continue
        if name in UPSERT_TABLES:
            key = TABLES[name].key[0]
            keys = set(accepted.get(name, pd.DataFrame(columns=[key]))[key])
            if name == "invoices":  # negative rows became credit notes
                keys &= set(new[key])
            new = new[new[key].isin(keys)]
        elif TABLES[name].key:  # rows refused as already in the ledger are not in ``accepted``
            key = TABLES[name].key[0]
            keys = set(accepted.get(name, pd.DataFrame(columns=[key]))[key])
            if name == "credit_notes" and "invoices" in accepted:
                keys |= set(accepted["invoices"]["invoice_id"])
            new = new[new[key].isin(keys)]
        if current is None:
            tables[name] = rows[name] = new.reset_index(drop=True)
            continue
        if not len(new):  # only context rows (a reminder's invoice): the table stays as it is
            continue  # (concatenating nothing copied the whole table and its index)
        new = new.reindex(columns=current.columns)
        new = new.astype({c: current[c].dtype for c in current.columns}, errors="ignore")
        new = rows[name] = new.reset_index(drop=True)
        combined = pd.concat([current, new], ignore_index=True)
        if name in UPSERT_TABLES:
            at = positions_in(new[TABLES[name].key[0]], current[TABLES[name].key[0]])
            old = at >= 0
            if old.any():
                upserted[name] = sorted(current[TABLES[name].key[0]].take(at[old]).astype("str"))
                replaced[name] = at[old]
                order = np.arange(len(current), dtype=np.int64)
                order[at[old]] = len(current) + np.flatnonzero(old)
                order = np.concatenate([order, len(current) + np.flatnonzero(~old)])
                combined = combined.take(order).reset_index(drop=True)
        tables[name] = combined
    final = ledger.with_tables(**tables)
    _carry(ledger, final, replaced)
    return final, upserted, rows


def _carry(ledger: Ledger, final: Ledger, replaced: dict[str, np.ndarray]) -> None:
    """Give ``final`` the index and date range of ``ledger`` extended by the batch's rows,
    without reading the tables again (the index is built anew only when positions moved)."""
    index = index_of(ledger)
    if index is not None:
        extended = extend_index(index, final, replaced)
        object.__setattr__(
            final, "_index", extended if extended is not None else build_index(final)
        )
    known = ledger.__dict__.get("_date_range")
    if not isinstance(known, tuple):
        return
    first, last = known
    for name, frame in final.tables().items():
        before = getattr(ledger, name)
        n_before = 0 if before is None else len(before)
        parts = [frame.iloc[n_before:]]  # rows appended
        if name in replaced and before is not None:  # rows replaced: their new values
            parts.append(frame.take(replaced[name]))
        for column in EVENT_DATE_COLUMNS.get(name, ()):
            if column not in frame.columns:
                continue
            if name in replaced and before is not None:
                gone = before[column].take(replaced[name])
                if (gone == first).any() or (gone == last).any():
                    return  # an extreme date may have been replaced: scanned when asked
            for part in parts:
                low, high = part[column].min(), part[column].max()
                if not pd.isna(low):
                    first, last = min(first, pd.Timestamp(low)), max(last, pd.Timestamp(high))
    object.__setattr__(final, "_date_range", (first, last))


def _touched(ledger: Ledger, accepted: dict[str, pd.DataFrame]) -> set[str]:
    touched: set[str] = set()
    for rows in accepted.values():
        if "customer_id" in rows:
            touched |= set(rows["customer_id"])
    ids = set()
    for name in ("payments", "reminders", "credit_notes"):
        if name in accepted and "invoice_id" in accepted[name]:
            ids |= set(accepted[name]["invoice_id"]) - {""}
    if ids:
        at = positions_in(pd.Series(sorted(ids), dtype="str"), ledger.invoices["invoice_id"])
        touched |= set(ledger.invoices["customer_id"].take(at[at >= 0]).astype("str"))
    return touched
