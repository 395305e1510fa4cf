"""Flat exports: one row per invoice carrying customer attributes, and undated dispute flags.

``one_row_per_key`` turns the customer columns of invoice rows into one row per customer: for
each attribute the value most rows agree on is kept (ties: the last row's); customers whose rows
disagree are reported, never settled silently.

``disputes_from_flags`` turns an undated ``disputed`` flag into dated facts when the mapping
says when the dispute became known (``known_from: issue`` or ``due``); with ``cutoff`` (the
default) no dated fact is made and the flag only counts from the ledger's cut-off date.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from risk.imports.apply import SOURCE_COLUMNS, MappedTable
from risk.imports.report import Unmatched

KNOWN_FROM_COLUMN = {"issue": "issued_on", "due": "due_on"}


def _pick(values: list[object]) -> tuple[object, Counter[object]]:
    """The most frequent non-empty value (ties: the last one seen) and every value's count."""
    present = [v for v in values if not pd.isna(v)]  # type: ignore[call-overload]
    counts: Counter[object] = Counter(present)
    if not counts:
        return None, counts
    top = max(counts.values())
    chosen = next(v for v in reversed(present) if counts[v] == top)
    return chosen, counts


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return str(value)


def one_row_per_key(table: MappedTable, key: str) -> tuple[MappedTable, tuple[Unmatched, ...]]:
    """Collapse a table read from invoice rows to one row per ``key`` value.

    Rows without a key are kept as they are (the validation quarantines them).

    Returns:
        The collapsed table (``read`` unchanged: the source rows) and one ``Unmatched`` entry
        of kind ``conflict`` per customer and column whose rows disagree.
    """
    frame = table.converted
    attributes = [c for c in frame.columns if c != key and c not in SOURCE_COLUMNS]
    keyed = frame[frame[key].notna()]
    rows: list[dict[str, object]] = []
    conflicts: list[Unmatched] = []
    for value, group in keyed.groupby(key, sort=True):
        row: dict[str, object] = {key: value}
        for column in attributes:
            chosen, counts = _pick(group[column].tolist())
            row[column] = chosen
            if len(counts) > 1:
                seen = ", ".join(f"{_show(v)} ({n} rows)" for v, n in counts.most_common())
                conflicts.append(
                    Unmatched(
                        kind="conflict",
                        customer_id=str(value),
                        reason=f"{column}: {seen}; kept {_show(chosen)}",
                    )
                )
        row["source_file"] = group["source_file"].iloc[0]
        row["source_row"] = group["source_row"].iloc[0]
        rows.append(row)
    collapsed = pd.DataFrame(rows, columns=list(frame.columns))
    for column in frame.columns:
        collapsed[column] = collapsed[column].astype(frame[column].dtype)
    unkeyed = frame[frame[key].isna()]
    out = pd.concat([collapsed, unkeyed], ignore_index=True) if len(unkeyed) else collapsed
    merged = len(keyed) - len(collapsed)
    return MappedTable(table.table, out, table.quarantine, table.read, merged), tuple(conflicts)


def disputes_from_flags(invoices: pd.DataFrame, known_from: str) -> pd.DataFrame | None:
    """Dated disputes for flagged invoices, opened on their issue or due date.

    Returns:
        A raw ``disputes`` table, or ``None`` for ``known_from: cutoff`` or without a flag.
    """
    column = KNOWN_FROM_COLUMN.get(known_from)
    if column is None or "disputed" not in invoices.columns or column not in invoices.columns:
        return None
    flagged = invoices[invoices["disputed"].fillna(False).astype(bool).to_numpy()]
    return pd.DataFrame(
        {
            "invoice_id": flagged["invoice_id"].astype("str").to_numpy(),
            "opened_on": flagged[column].to_numpy(),
            "reason": pd.Series(
                f"disputed flag, known_from: {known_from}", index=flagged.index, dtype="str"
            ).to_numpy(),
        }
    )
