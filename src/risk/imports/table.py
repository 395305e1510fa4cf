"""Mapped import of ERP export files: CSV (separator and encoding sniffed), Excel, Parquet.

CSV files are read as text (nothing guessed by pandas); Excel and Parquet keep their native
types, which the converters accept as they are.
"""

from __future__ import annotations

import csv
import fnmatch
import logging
from pathlib import Path

import pandas as pd

from risk.contracts import TABLES
from risk.errors import LedgerError
from risk.imports.apply import MappedTable, apply_mapping, concat_mapped
from risk.imports.flat import disputes_from_flags, one_row_per_key
from risk.imports.mapping import CsvOptions, ImportMapping, MappingError, TableMapping
from risk.imports.pipeline import ImportResult, build_ledger
from risk.imports.report import Unmatched

logger = logging.getLogger(__name__)

SNIFF_BYTES = 64_000
SEPARATORS = ";,\t|"
FALLBACK_ENCODING = "cp1252"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def sniff_encoding(sample: bytes) -> str:
    """``utf-8-sig`` when the bytes decode as UTF-8 (with or without BOM), else ``cp1252``."""
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            return FALLBACK_ENCODING
    return "utf-8-sig"


def sniff_separator(text: str) -> str:
    """The separator of a CSV sample (``;``, ``,``, tab or ``|``), by ``csv.Sniffer`` and then
    by the most frequent candidate of the header line."""
    try:
        return csv.Sniffer().sniff(text, delimiters=SEPARATORS).delimiter
    except csv.Error:
        header = text.splitlines()[0] if text else ""
        return max(SEPARATORS, key=header.count)


def read_csv(path: Path, options: CsvOptions | None = None) -> pd.DataFrame:
    """Read a CSV export as text; separator and encoding sniffed unless given.

    Raises:
        LedgerError: the file cannot be read or decoded.
    """
    options = options or CsvOptions()
    try:
        sample = path.read_bytes()[:SNIFF_BYTES]
        encoding = options.encoding or sniff_encoding(sample)
        sep = options.sep or sniff_separator(sample.decode(encoding, errors="replace"))
        frame = pd.read_csv(
            path, sep=sep, encoding=encoding, dtype="str", keep_default_na=False, na_values=[]
        )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {exc}") from exc
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    return frame


def read_source_file(path: Path, mapping: TableMapping) -> pd.DataFrame:
    """Read one export file by its suffix (``.csv``/``.txt``, ``.xlsx``, ``.parquet``).

    Raises:
        LedgerError: the file does not exist or cannot be read.
    """
    if not path.is_file():
        raise LedgerError(f"file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in EXCEL_SUFFIXES:
            sheet = 0 if mapping.sheet is None else mapping.sheet
            frame = pd.read_excel(path, sheet_name=sheet, engine="openpyxl")
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            return read_csv(path, mapping.csv)
    except (OSError, ValueError, KeyError) as exc:
        raise LedgerError(f"cannot read {path}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def assign_files(mapping: ImportMapping, files: list[Path]) -> dict[str, list[Path]]:
    """Which files feed which table: by the tables' ``files`` patterns on the file name.

    With a single table in the mapping every file goes to it. With no files given, each table's
    patterns are globbed relative to the current folder. A table with ``from: TABLE`` gets the
    files of that table.

    Raises:
        MappingError: a file matches no table or several, or a table gets no file at all.
    """
    own = {name: t for name, t in mapping.tables.items() if t.derived_from is None}
    assigned = _assign_own(own, mapping.source, files)
    for name, table in mapping.tables.items():
        if table.derived_from is not None:
            assigned[name] = list(assigned[table.derived_from])
    return assigned


def _assign_own(
    tables: dict[str, TableMapping], source: str, files: list[Path]
) -> dict[str, list[Path]]:
    if not files:
        return {
            name: sorted(p for pattern in t.files for p in Path().glob(pattern))
            for name, t in tables.items()
        }
    if len(tables) == 1:
        return {next(iter(tables)): list(files)}
    assigned: dict[str, list[Path]] = {name: [] for name in tables}
    for path in files:
        owners = [
            name
            for name, table in tables.items()
            if any(fnmatch.fnmatch(path.name, pattern) for pattern in table.files)
        ]
        if len(owners) != 1:
            patterns = "; ".join(
                f"{n}: {', '.join(t.files) or '(none)'}" for n, t in tables.items()
            )
            what = "no table" if not owners else f"several tables ({', '.join(owners)})"
            raise MappingError(
                f"file {path.name!r} matches {what} of mapping {source}; the tables' file "
                f"patterns are {patterns} (a table read from another's rows says 'from: TABLE')"
            )
        assigned[owners[0]].append(path)
    return assigned


def map_files(
    mapping: ImportMapping, files: list[Path]
) -> tuple[dict[str, MappedTable], tuple[Unmatched, ...]]:
    """Read and convert every file of every mapped table.

    A table derived from another's rows (``from:``) is collapsed to one row per key; the
    conflicting values are returned.

    Raises:
        MappingError: files do not fit the mapping (see ``assign_files``), or a mapped column is
            missing from a file.
        LedgerError: a file cannot be read.
    """
    mapped: dict[str, MappedTable] = {}
    conflicts: tuple[Unmatched, ...] = ()
    for name, paths in assign_files(mapping, files).items():
        if not paths:
            patterns = ", ".join(mapping.tables[name].files) or "(no 'files' pattern)"
            raise MappingError(f"table {name!r}: no file given or matching {patterns}")
        table = mapping.tables[name]
        reader = mapping.tables[table.derived_from] if table.derived_from else table
        parts = [apply_mapping(read_source_file(p, reader), table, p.name) for p in paths]
        mapped[name] = concat_mapped(parts)
        if table.derived_from is not None:
            key = TABLES[name].key[0]
            mapped[name], found = one_row_per_key(mapped[name], key)
            conflicts += found
        logger.info("table %s: %d row(s) read from %d file(s)", name, mapped[name].read, len(paths))
    return mapped, conflicts


def dispute_facts(mapping: ImportMapping, mapped: dict[str, MappedTable]) -> dict[str, object]:
    """Dated disputes made from an undated flag (``known_from``), and a note on the choice."""
    spec = mapping.tables["invoices"].spec("disputed") if "invoices" in mapping.tables else None
    if spec is None or spec.column is None:
        return {}
    known_from = spec.known_from or "cutoff"
    if known_from == "cutoff":
        return {
            "note": "disputed flag without a date: used only from the ledger's cut-off date "
            "(known_from: cutoff), never in the history the models learn from"
        }
    disputes = disputes_from_flags(mapped["invoices"].converted, known_from)
    return {
        "disputes": disputes,
        "note": f"disputed flag without a date: taken as known from the invoice's "
        f"{'issue' if known_from == 'issue' else 'due'} date (known_from: {known_from})",
    }


def import_files(mapping: ImportMapping, files: list[Path]) -> ImportResult:
    """Import export files through ``mapping`` into a validated ledger with its report.

    Raises:
        MappingError, LedgerError: see ``map_files``; SchemaError when there are no invoices.
    """
    mapped, conflicts = map_files(mapping, files)
    source = ", ".join(sorted({p.name for p in files})) or mapping.source
    facts = dispute_facts(mapping, mapped)
    notes = (str(facts["note"]),) if "note" in facts else ()
    derived = {"disputes": facts["disputes"]} if facts.get("disputes") is not None else {}
    if conflicts:
        notes += (
            f"{len({c.customer_id for c in conflicts})} customer(s) with conflicting values "
            "across their invoice rows (listed under 'Not matched')",
        )
    return build_ledger(
        mapped, source=source, kind="table", unmatched=conflicts, notes=notes, derived=derived
    )
