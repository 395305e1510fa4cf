"""Fix each mapped column's date and number format from the mapping and the source's values.

Run before any value is converted, so that no date or amount is read with a guessed format:

* a column without a declared format gets the one its values prove (a first field above 12
  means day first); when every value fits both orders, another date column of the same source
  that was decided and is written the same way lends its order; otherwise the import stops
  (``AmbiguousFormatError``) and asks for ``date_format``;
* a declared format that the values contradict (``dd/mm/yyyy`` declared, ``03/25/2024`` found)
  stops the import too: this is how a day/month swap would otherwise slip in unnoticed;
* amounts likewise for the decimal mark (``1,234`` alone is ambiguous).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from risk.contracts import TABLES
from risk.imports.convert import DATE_ALIASES
from risk.imports.infer import (
    DateInference,
    describe_format,
    infer_date_format,
    infer_number_format,
)
from risk.imports.mapping import ColumnSpec, MappingError, TableMapping


class AmbiguousFormatError(MappingError):
    """The values of a column fit several formats and the mapping does not say which."""


def _strptime(declared: str) -> str:
    return DATE_ALIASES.get(declared.strip().lower(), declared)


def _order(fmt: str) -> str:
    """``dmy``, ``mdy`` or ``other`` for a strptime date format."""
    if fmt.startswith("%d") and "%m" in fmt:
        return "dmy"
    if fmt.startswith("%m") and "%d" in fmt:
        return "mdy"
    return "other"


def _where(mapping: TableMapping, spec: ColumnSpec, source: str) -> str:
    return f"{source}, table {mapping.name!r}, column {spec.column!r} (mapping key {spec.target!r})"


def _check_declared_date(
    declared: str, found: DateInference, mapping: TableMapping, spec: ColumnSpec, source: str
) -> None:
    fmt = _strptime(declared)
    if found.format is None or _order(found.format) == "other" or _order(fmt) == "other":
        return
    if _order(fmt) != _order(found.format):
        raise MappingError(
            f"{_where(mapping, spec, source)}: the mapping says dates are written "
            f"{describe_format(fmt)} but the value {found.evidence!r} can only be "
            f"{describe_format(found.format)}; fix date_format (a wrong order would swap day "
            f"and month of every date whose day is 12 or less)"
        )


def _date_specs(raw: pd.DataFrame, mapping: TableMapping, source: str) -> dict[str, ColumnSpec]:
    contract = TABLES[mapping.name]
    specs = [
        s
        for s in mapping.columns
        if s.column is not None and contract.column(s.target).kind == "date"
    ]
    found = {s.target: infer_date_format(raw[s.column]) for s in specs}
    decided = {f.format for f in found.values() if f.format is not None}
    out: dict[str, ColumnSpec] = {}
    for spec in specs:
        inference = found[spec.target]
        declared = spec.date_format or mapping.date_format
        if declared is not None:
            _check_declared_date(declared, inference, mapping, spec, source)
            continue
        if inference.format is not None:
            out[spec.target] = replace(spec, date_format=inference.format)
            continue
        if not inference.ambiguous:
            continue  # not dates (or empty): converted with the default ISO formats, rows fail
        lent = [f for f in decided if f in inference.candidates]
        if len(lent) == 1:
            out[spec.target] = replace(spec, date_format=lent[0])
            continue
        first, second = (describe_format(f) for f in inference.candidates)
        raise AmbiguousFormatError(
            f"{_where(mapping, spec, source)}: every date fits both {first} and {second} (no "
            f"day or month above 12); say which with date_format: {first} or date_format: "
            f"{second} on the column or the table"
        )
    return out


def _number_specs(raw: pd.DataFrame, mapping: TableMapping, source: str) -> dict[str, ColumnSpec]:
    contract = TABLES[mapping.name]
    out: dict[str, ColumnSpec] = {}
    for spec in mapping.columns:
        if spec.column is None or contract.column(spec.target).kind not in ("float", "int"):
            continue
        if raw[spec.column].map(lambda v: isinstance(v, int | float)).all():
            continue  # native numbers (Excel, Parquet, SQL)
        found = infer_number_format(raw[spec.column])
        declared = spec.decimal or mapping.decimal
        if declared is not None:
            if found.decimal is not None and found.decimal != declared:
                raise MappingError(
                    f"{_where(mapping, spec, source)}: the mapping says the decimal mark is "
                    f"{declared!r} but the value {found.evidence!r} has {found.decimal!r}; fix "
                    f"decimal"
                )
            continue
        if found.ambiguous:
            raise AmbiguousFormatError(
                f"{_where(mapping, spec, source)}: {found.evidence!r} may use ',' or '.' as "
                f"decimal mark; say which with decimal: ',' or decimal: '.'"
            )
        if found.decimal is not None:
            out[spec.target] = replace(spec, decimal=found.decimal, thousands=found.thousands)
    return out


def resolve_formats(raw: pd.DataFrame, mapping: TableMapping, source: str) -> TableMapping:
    """The mapping with every undeclared date and number format fixed from ``raw``'s values.

    Raises:
        AmbiguousFormatError: a column's values fit several formats and none is declared.
        MappingError: a declared format is contradicted by a value.
    """
    fixed = {**_date_specs(raw, mapping, source), **_number_specs(raw, mapping, source)}
    if not fixed:
        return mapping
    columns = tuple(fixed.get(spec.target, spec) for spec in mapping.columns)
    return replace(mapping, columns=columns)
