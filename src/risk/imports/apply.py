"""Apply a table mapping to a source frame: contract columns out, unconvertible rows aside.

A row whose value cannot be converted (a date in another format, ``12 USD`` in a EUR mapping,
an unknown yes/no word) goes to the conversion quarantine with every reason; the other rows go
on to the ledger validation. Counts reconcile: read = converted + quarantined.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

import pandas as pd

from risk.contracts import TABLES, Column
from risk.imports.convert import (
    ConversionError,
    convert_column,
    map_value,
    to_bool,
    to_date,
    to_number,
    to_text,
)
from risk.imports.formats import resolve_formats
from risk.imports.mapping import ColumnSpec, MappingError, TableMapping

#: extra columns carried to validation so that its quarantine names the source file and row.
SOURCE_COLUMNS = ("source_file", "source_row")


@dataclass(frozen=True)
class MappedTable:
    """A source converted to contract columns, and the rows that could not be converted.

    ``merged`` counts converted rows folded into another row of the same key (a customers table
    read from invoice rows): read = converted + quarantined + merged.
    """

    table: str
    converted: pd.DataFrame
    quarantine: pd.DataFrame
    read: int
    merged: int = 0

    @property
    def n_converted(self) -> int:
        return len(self.converted)

    @property
    def n_quarantined(self) -> int:
        return len(self.quarantine)


def check_source_columns(raw: pd.DataFrame, mapping: TableMapping, source: str) -> None:
    """Fail when the mapping names a column the source does not have.

    Raises:
        MappingError: naming the mapping key, the column expected, close matches, every
            column the mapping expects and every column the source has.
    """
    have = [str(c) for c in raw.columns]
    for spec in mapping.columns:
        for name in spec.source_columns:
            if name in have:
                continue
            close = difflib.get_close_matches(name, have, n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise MappingError(
                f"table {mapping.name!r}, mapping key {spec.target!r}: column {name!r} is not in "
                f"{source}{hint}; the mapping expects: {', '.join(mapping.source_columns)}; "
                f"the source has: {', '.join(have) or '(no columns)'}"
            )


def converter(spec: ColumnSpec, column: Column, mapping: TableMapping) -> Callable[[Any], Any]:
    """The value converter of one mapped column, by its contract kind."""
    if column.kind == "date":
        return partial(to_date, declared=spec.date_format or mapping.date_format)
    if column.kind in ("float", "int"):
        return partial(
            to_number,
            decimal=spec.decimal or mapping.decimal,
            thousands=spec.thousands or mapping.thousands,
            currency=spec.currency,
        )
    if column.kind == "bool":
        return partial(to_bool, values=spec.values)
    if spec.values:
        values = spec.values
        return lambda value: to_text(map_value(value, values))
    return to_text


def _typed(values: list[Any], kind: str, index: pd.Index) -> pd.Series:
    if kind == "date":
        return pd.to_datetime(pd.Series(values, index=index, dtype=object)).astype("datetime64[ns]")
    if kind in ("float", "int"):
        return pd.Series(values, index=index, dtype="float64")
    if kind == "bool":
        return pd.Series(values, index=index, dtype="boolean")
    return pd.Series(values, index=index, dtype="str")


def _constant(spec: ColumnSpec, column: Column, mapping: TableMapping, n: int) -> list[Any]:
    try:
        value = converter(spec, column, mapping)(spec.constant)
    except ConversionError as exc:
        raise MappingError(
            f"table {mapping.name!r}, mapping key {spec.target!r}: constant {spec.constant!r} {exc}"
        ) from exc
    return [value] * n


def _issue_plus_terms(
    spec: ColumnSpec, issued: list[Any], raw: pd.DataFrame, mapping: TableMapping
) -> tuple[list[Any], list[str]]:
    if spec.terms_column is None:
        terms: list[Any] = [spec.terms_days] * len(raw)
        reasons = [""] * len(raw)
    else:
        terms, reasons = convert_column(
            raw[spec.terms_column],
            converter(spec, TABLES["customers"].column("payment_terms_days"), mapping),
        )
    due = [
        d + timedelta(days=int(t)) if isinstance(d, date) and t is not None else None
        for d, t in zip(issued, terms, strict=True)
    ]
    return due, [f"terms {r}" if r else "" for r in reasons]


def apply_mapping(raw: pd.DataFrame, mapping: TableMapping, source: str) -> MappedTable:
    """Convert ``raw`` (one source file, table or query) to the contract columns of ``mapping``.

    Undeclared date and number formats are fixed from the values first (``resolve_formats``).

    Raises:
        MappingError: a mapped column is missing from the source, a constant is invalid, a
            column's format is ambiguous or contradicted by its values.
    """
    check_source_columns(raw, mapping, source)
    raw = raw.reset_index(drop=True)
    mapping = resolve_formats(raw, mapping, source)
    contract = TABLES[mapping.name]
    values: dict[str, list[Any]] = {}
    reasons: dict[str, list[str]] = {}
    for spec in mapping.columns:
        column = contract.column(spec.target)
        if spec.column is not None:
            values[spec.target], reasons[spec.target] = convert_column(
                raw[spec.column], converter(spec, column, mapping)
            )
        elif spec.derive is None:
            values[spec.target] = _constant(spec, column, mapping, len(raw))
    for spec in mapping.columns:
        if spec.derive is not None:
            issued = values.get("issued_on", [None] * len(raw))
            values[spec.target], reasons[spec.target] = _issue_plus_terms(
                spec, issued, raw, mapping
            )
    return _split(raw, mapping.name, values, reasons, source)


def _split(
    raw: pd.DataFrame,
    table: str,
    values: dict[str, list[Any]],
    reasons: dict[str, list[str]],
    source: str,
) -> MappedTable:
    contract = TABLES[table]
    why = [
        "; ".join(f"{name}: {r[i]}" for name, r in reasons.items() if r[i]) for i in range(len(raw))
    ]
    bad = pd.Series([bool(w) for w in why], index=raw.index)
    frame = pd.DataFrame(
        {name: _typed(v, contract.column(name).kind, raw.index) for name, v in values.items()},
        index=raw.index,
    )
    frame["source_file"] = pd.Series(source, index=raw.index, dtype="str")
    frame["source_row"] = pd.Series(range(1, len(raw) + 1), index=raw.index, dtype="int64")
    quarantine = raw[bad.to_numpy()].astype("str")
    quarantine.insert(0, "source_file", source)
    quarantine.insert(1, "row", frame["source_row"][bad.to_numpy()])
    quarantine.insert(2, "reasons", [w for w in why if w])
    return MappedTable(
        table=table,
        converted=frame[~bad.to_numpy()].reset_index(drop=True),
        quarantine=quarantine.reset_index(drop=True),
        read=len(raw),
    )


def concat_mapped(parts: list[MappedTable]) -> MappedTable:
    """Stack the mapped parts of one table (several files)."""
    return MappedTable(
        table=parts[0].table,
        converted=pd.concat([p.converted for p in parts], ignore_index=True),
        quarantine=pd.concat([p.quarantine for p in parts], ignore_index=True),
        read=sum(p.read for p in parts),
    )
