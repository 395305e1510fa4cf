"""The YAML mapping from a source's columns to the ledger contract, with clear errors.

A mapping file describes one or more ledger tables::

    date_format: "%d/%m/%Y"          # defaults for every table (optional)
    decimal: ","
    tables:
      invoices:
        files: ["factures_*.csv"]    # file-name patterns (optional with files on the command line)
        csv: {sep: ";", encoding: "latin-1"}
        columns:
          invoice_id: "N° facture"                      # a source column
          amount: {column: "Montant TTC", currency: "EUR"}
          disputed: {column: "Litige", values: {"Oui": true, "Non": false}}
          due_on: {derive: issue_plus_terms, terms_days: 30}
          channel: {constant: paper}
          disputed: {column: "Litige", known_from: cutoff}   # or due / issue: dated disputes
      customers:
        from: invoices               # one flat export: one row per customer from invoice rows
        columns: {customer_id: "Code client", country: "Pays"}

Without ``date_format`` / ``decimal`` the format is taken from the values
(``risk.imports.formats``). Only ``yaml.safe_load`` is used. Every error names the mapping file, the table and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from risk.contracts import TABLES, Table
from risk.errors import ConfigError

DERIVATIONS: tuple[str, ...] = ("issue_plus_terms",)
#: when an undated dispute flag became known (see ``docs/import.md``, "Dated facts").
KNOWN_FROM: tuple[str, ...] = ("cutoff", "due", "issue")
COLUMN_KEYS = frozenset(
    {"column", "constant", "derive", "terms_days", "terms_column", "values", "currency"}
    | {"date_format", "decimal", "thousands", "known_from"}
)
TABLE_KEYS = frozenset(
    {"files", "csv", "sheet", "source", "columns", "date_format", "decimal", "thousands", "from"}
)
TOP_KEYS = frozenset({"tables", "date_format", "decimal", "thousands", "currency"})


class MappingError(ConfigError):
    """A mapping file is invalid, or does not fit the source it is applied to."""


@dataclass(frozen=True)
class CsvOptions:
    """How to read CSV files; ``None`` means sniffed from the file."""

    sep: str | None = None
    encoding: str | None = None


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is obtained: a source column, a constant or a derivation.

    Attributes:
        target: contract column name.
        column: source column name.
        constant: value used for every row (when there is no source column).
        derive: derivation rule name (see ``DERIVATIONS``).
        terms_days: payment terms in days for ``issue_plus_terms``.
        terms_column: source column holding the terms in days for ``issue_plus_terms``.
        values: source value -> ledger value (booleans, channels, legal forms...).
        currency: expected currency of an amount (symbols of another currency are rejected).
        date_format: strptime format (or alias) overriding the table's.
        decimal: decimal separator overriding the table's.
        thousands: thousands separator overriding the table's.
        known_from: for an undated ``disputed`` flag, when the dispute became known:
            ``cutoff`` (only at the export date: no leak, the default), ``due`` or ``issue``.
    """

    target: str
    column: str | None = None
    constant: Any = None
    derive: str | None = None
    terms_days: int | None = None
    terms_column: str | None = None
    values: dict[str, Any] | None = None
    currency: str | None = None
    date_format: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    known_from: str | None = None

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Source columns this spec reads."""
        return tuple(c for c in (self.column, self.terms_column) if c is not None)


@dataclass(frozen=True)
class TableMapping:
    """How one ledger table is read from its source.

    ``derived_from`` names another table of the mapping whose files also feed this one (a flat
    export with one row per invoice feeding the customers table: one row per customer is kept,
    conflicting values are reported).
    """

    name: str
    columns: tuple[ColumnSpec, ...]
    files: tuple[str, ...] = ()
    csv: CsvOptions = CsvOptions()
    sheet: str | int | None = None
    sql_query: str | None = None
    sql_table: str | None = None
    date_format: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    derived_from: str | None = None

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every source column the mapping expects, in mapping order, without duplicates."""
        seen: dict[str, None] = {}
        for spec in self.columns:
            for name in spec.source_columns:
                seen.setdefault(name, None)
        return tuple(seen)

    def spec(self, target: str) -> ColumnSpec | None:
        """The spec of contract column ``target``, if mapped."""
        return next((s for s in self.columns if s.target == target), None)


@dataclass(frozen=True)
class ImportMapping:
    """A whole mapping file: one ``TableMapping`` per ledger table described."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    source: str = "<mapping>"


def load_mapping(path: Path) -> ImportMapping:
    """Read and validate a mapping file.

    Raises:
        MappingError: the file is missing, is not valid YAML (the line is given) or does not
            follow the mapping shape.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MappingError(f"cannot read mapping file {str(path)!r}: {exc}") from exc
    return parse_mapping_text(text, str(path))


def parse_mapping_text(text: str, source: str = "<mapping>") -> ImportMapping:
    """Parse mapping YAML text (see the module docstring for the shape).

    Raises:
        MappingError: invalid YAML (with its line and column) or an invalid mapping.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise MappingError(f"mapping {source}: invalid YAML{where}: {problem}") from exc
    return parse_mapping(data, source)


def parse_mapping(data: object, source: str = "<mapping>") -> ImportMapping:
    """Build an ``ImportMapping`` from the loaded YAML document.

    Raises:
        MappingError: naming the file, the table and the key that is wrong.
    """
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise MappingError(
            f"mapping {source}: expected a 'tables:' section with one entry per table"
        )
    _check_keys(data, TOP_KEYS, f"mapping {source}")
    defaults = {k: data.get(k) for k in ("date_format", "decimal", "thousands", "currency")}
    tables: dict[str, TableMapping] = {}
    for name, body in data["tables"].items():
        if name not in TABLES:
            raise MappingError(
                f"mapping {source}: unknown table {name!r}; expected one of {', '.join(TABLES)}"
            )
        tables[name] = _table_mapping(
            str(name), body, defaults, f"mapping {source}, table {name!r}"
        )
    if not tables:
        raise MappingError(f"mapping {source}: 'tables:' is empty")
    for name, table in tables.items():
        origin = table.derived_from
        if origin is not None and (origin not in tables or tables[origin].derived_from):
            raise MappingError(
                f"mapping {source}, table {name!r}: 'from: {origin}' must name another table of "
                f"the mapping that is read from its own files"
            )
    return ImportMapping(tables=tables, source=source)


def _check_keys(body: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(str(k) for k in body if k not in allowed)
    if unknown:
        raise MappingError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _table_mapping(name: str, body: object, defaults: dict[str, Any], where: str) -> TableMapping:
    if not isinstance(body, dict) or not isinstance(body.get("columns"), dict):
        raise MappingError(f"{where}: expected a 'columns:' section (contract column: source)")
    _check_keys(body, TABLE_KEYS, where)
    contract = TABLES[name]
    specs = tuple(
        _column_spec(str(target), value, contract, defaults.get("currency"), where)
        for target, value in body["columns"].items()
    )
    _check_required(contract, specs, where)
    files = body.get("files") or ()
    csv = body.get("csv") or {}
    if not isinstance(csv, dict):
        raise MappingError(f"{where}: 'csv' must be a mapping such as {{sep: ';'}}")
    _check_keys(csv, frozenset({"sep", "encoding", "decimal", "thousands"}), f"{where}, csv")
    source = body.get("source") or {}
    _check_keys(source, frozenset({"sql", "table"}), f"{where}, source")

    def option(key: str) -> Any:
        return body.get(key, csv.get(key, defaults.get(key)))

    return TableMapping(
        name=name,
        columns=specs,
        files=tuple([files] if isinstance(files, str) else files),
        csv=CsvOptions(sep=csv.get("sep"), encoding=csv.get("encoding")),
        sheet=body.get("sheet"),
        sql_query=source.get("sql"),
        sql_table=source.get("table"),
        date_format=option("date_format"),
        decimal=option("decimal"),
        thousands=option("thousands"),
        derived_from=None if body.get("from") is None else str(body["from"]),
    )


def _column_spec(
    target: str, value: object, contract: Table, currency: str | None, where: str
) -> ColumnSpec:
    if target not in contract.column_names:
        raise MappingError(
            f"{where}: key {target!r} is not a column of the ledger table; expected one of "
            f"{', '.join(contract.column_names)}"
        )
    if isinstance(value, bool):
        raise MappingError(
            f"{where}, column {target!r}: YAML read the column name as {value}; quote it "
            f"(YAML turns unquoted yes/no/on/off into booleans)"
        )
    if isinstance(value, str | int):
        return ColumnSpec(target=target, column=str(value), currency=currency)
    if not isinstance(value, dict):
        raise MappingError(
            f"{where}, column {target!r}: expected a source column name or a mapping with "
            f"'column', 'constant' or 'derive' (got {value!r})"
        )
    _check_keys(value, COLUMN_KEYS, f"{where}, column {target!r}")
    sources = [k for k in ("column", "constant", "derive") if k in value]
    if len(sources) != 1:
        raise MappingError(
            f"{where}, column {target!r}: give exactly one of 'column', 'constant' or 'derive'"
        )
    spec = ColumnSpec(
        target=target,
        column=None if value.get("column") is None else str(value["column"]),
        constant=value.get("constant"),
        derive=value.get("derive"),
        terms_days=value.get("terms_days"),
        terms_column=value.get("terms_column"),
        values=value.get("values"),
        currency=value.get("currency", currency),
        date_format=value.get("date_format"),
        decimal=value.get("decimal"),
        thousands=value.get("thousands"),
        known_from=value.get("known_from"),
    )
    _check_known_from(spec, f"{where}, column {target!r}")
    _check_derivation(spec, contract, f"{where}, column {target!r}")
    return spec


def _check_known_from(spec: ColumnSpec, where: str) -> None:
    if spec.known_from is None:
        return
    if spec.target != "disputed":
        raise MappingError(f"{where}: 'known_from' applies to the invoices' disputed flag only")
    if spec.known_from not in KNOWN_FROM:
        raise MappingError(
            f"{where}: known_from must be one of {', '.join(KNOWN_FROM)} (got {spec.known_from!r})"
        )


def _check_derivation(spec: ColumnSpec, contract: Table, where: str) -> None:
    if spec.values is not None and not isinstance(spec.values, dict):
        raise MappingError(f"{where}: 'values' must map source values to ledger values")
    if spec.derive is None:
        return
    if spec.derive not in DERIVATIONS:
        raise MappingError(
            f"{where}: unknown derivation {spec.derive!r}; expected one of {', '.join(DERIVATIONS)}"
        )
    if spec.target != "due_on" or "issued_on" not in contract.column_names:
        raise MappingError(f"{where}: 'issue_plus_terms' derives a due_on from issued_on only")
    if (spec.terms_days is None) == (spec.terms_column is None):
        raise MappingError(f"{where}: 'issue_plus_terms' needs one of terms_days or terms_column")
    if spec.terms_days is not None and (
        not isinstance(spec.terms_days, int) or spec.terms_days < 0
    ):
        raise MappingError(f"{where}: terms_days must be a whole number >= 0 ({spec.terms_days!r})")


def _check_required(contract: Table, specs: tuple[ColumnSpec, ...], where: str) -> None:
    mapped = {spec.target for spec in specs}
    missing = [
        c.name
        for c in contract.columns
        if c.required and c.default is None and c.name not in mapped
    ]
    if missing:
        raise MappingError(
            f"{where}: required ledger column(s) {', '.join(missing)} not mapped; the table "
            f"needs {', '.join(c.name for c in contract.columns if c.required)} and the mapping "
            f"has {', '.join(sorted(mapped)) or '(none)'}"
        )
