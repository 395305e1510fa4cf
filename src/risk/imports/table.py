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

from risk.errors import LedgerError
from risk.imports.apply import MappedTable, apply_mapping, concat_mapped
from risk.imports.mapping import CsvOptions, ImportMapping, MappingError, TableMapping
from risk.imports.pipeline import ImportResult, build_ledger

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
    patterns are globbed relative to the current folder.

    Raises:
        MappingError: a file matches no table or several, or a table gets no file at all.
    """
    if not files:
        return {
            name: sorted(p for pattern in t.files for p in Path().glob(pattern))
            for name, t in mapping.tables.items()
        }
    if len(mapping.tables) == 1:
        return {next(iter(mapping.tables)): list(files)}
    assigned: dict[str, list[Path]] = {name: [] for name in mapping.tables}
    for path in files:
        owners = [
            name
            for name, table in mapping.tables.items()
            if any(fnmatch.fnmatch(path.name, pattern) for pattern in table.files)
        ]
        if len(owners) != 1:
            patterns = "; ".join(
                f"{n}: {', '.join(t.files) or '(none)'}" for n, t in mapping.tables.items()
            )
            what = "no table" if not owners else f"several tables ({', '.join(owners)})"
            raise MappingError(
                f"file {path.name!r} matches {what} of mapping {mapping.source}; "
                f"the tables' file patterns are {patterns}"
            )
        assigned[owners[0]].append(path)
    return assigned


def map_files(mapping: ImportMapping, files: list[Path]) -> dict[str, MappedTable]:
    """Read and convert every file of every mapped table.

    Raises:
        MappingError: files do not fit the mapping (see ``assign_files``), or a mapped column is
            missing from a file.
        LedgerError: a file cannot be read.
    """
    mapped: dict[str, MappedTable] = {}
    for name, paths in assign_files(mapping, files).items():
        if not paths:
            patterns = ", ".join(mapping.tables[name].files) or "(no 'files' pattern)"
            raise MappingError(f"table {name!r}: no file given or matching {patterns}")
        table = mapping.tables[name]
        parts = [apply_mapping(read_source_file(p, table), table, p.name) for p in paths]
        mapped[name] = concat_mapped(parts)
        logger.info("table %s: %d row(s) read from %d file(s)", name, mapped[name].read, len(paths))
    return mapped


def import_files(mapping: ImportMapping, files: list[Path]) -> ImportResult:
    """Import export files through ``mapping`` into a validated ledger with its report.

    Raises:
        MappingError, LedgerError: see ``map_files``; SchemaError when there are no invoices.
    """
    mapped = map_files(mapping, files)
    source = ", ".join(sorted({p.name for p in files})) or mapping.source
    return build_ledger(mapped, source=source, kind="table")
