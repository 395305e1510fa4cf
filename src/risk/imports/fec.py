"""Read a French FEC (Fichier des Écritures Comptables) into normalised accounting lines.

The FEC (article A47 A-1 of the Livre des procédures fiscales) has 18 columns, tab or pipe
separated, dates ``YYYYMMDD`` and amounts with a decimal comma. Some exports replace
``Debit``/``Credit`` with ``Montant``/``Sens`` (``D``/``C``). Lines that cannot be read (bad date
or amount) are returned apart with their reason, never dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from risk.errors import LedgerError
from risk.imports.convert import ConversionError, to_date, to_number
from risk.imports.table import sniff_encoding

FEC_COLUMNS: tuple[str, ...] = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
REQUIRED_COLUMNS: tuple[str, ...] = (
    "JournalCode",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLet",
    "DateLet",
)
RENAMES: dict[str, str] = {
    "JournalCode": "journal",
    "EcritureNum": "entry_num",
    "CompteNum": "account",
    "CompteLib": "account_label",
    "CompAuxNum": "aux",
    "CompAuxLib": "aux_label",
    "PieceRef": "piece_ref",
    "EcritureLet": "letter",
}
DEBIT_WORDS = frozenset({"d", "débit", "debit", "+1", "1"})
CREDIT_WORDS = frozenset({"c", "crédit", "credit", "-1"})


class FecError(LedgerError):
    """A FEC file cannot be read as a whole (separator, missing columns)."""


@dataclass(frozen=True)
class FecLines:
    """Readable lines (normalised columns) and unreadable ones (``line``, ``reason``)."""

    lines: pd.DataFrame
    unreadable: pd.DataFrame


def read_fec_text(path: Path) -> pd.DataFrame:
    """Read the raw FEC as text with its original column names.

    Raises:
        FecError: unreadable file, unknown separator or missing columns.
    """
    try:
        data = path.read_bytes()
        text = data.decode(sniff_encoding(data[:64_000]), errors="strict").lstrip("\ufeff")
    except (OSError, UnicodeDecodeError) as exc:
        raise FecError(f"cannot read FEC {path}: {exc}") from exc
    header = text.splitlines()[0] if text else ""
    sep = "\t" if "\t" in header else "|" if "|" in header else None
    if sep is None:
        raise FecError(f"FEC {path.name}: the header is neither tab nor pipe separated: {header!r}")
    rows = [line.split(sep) for line in text.splitlines() if line.strip()]
    names = [name.strip() for name in rows[0]]
    body = [(row + [""] * len(names))[: len(names)] for row in rows[1:]]
    frame = pd.DataFrame(body, columns=names, dtype="str")
    return _canonical_columns(frame, path)


def _canonical_columns(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    known = {name.lower(): name for name in (*FEC_COLUMNS, "Montant", "Sens")}
    frame = frame.rename(columns={c: known.get(c.lower(), c) for c in frame.columns})
    amounts = ("Debit", "Credit") if "Debit" in frame.columns else ("Montant", "Sens")
    missing = [c for c in (*REQUIRED_COLUMNS, *amounts) if c not in frame.columns]
    if missing:
        raise FecError(
            f"FEC {path.name}: column(s) {', '.join(missing)} missing; a FEC has "
            f"{', '.join(FEC_COLUMNS)} (or Montant and Sens instead of Debit and Credit); "
            f"the file has: {', '.join(frame.columns)}"
        )
    return frame


def _number(row: dict[str, str], column: str) -> float:
    try:
        return to_number(row[column], decimal=",") or 0.0
    except ConversionError as exc:
        raise ConversionError(f"{column} {row[column]!r} {exc}") from exc


def _amounts(row: dict[str, str]) -> tuple[float, float]:
    if "Debit" in row:
        return _number(row, "Debit"), _number(row, "Credit")
    amount = _number(row, "Montant")
    sens = row["Sens"].strip().lower()
    if sens in DEBIT_WORDS:
        return amount, 0.0
    if sens in CREDIT_WORDS:
        return 0.0, amount
    raise ConversionError(f"Sens {row['Sens']!r} is neither D nor C")


def _parse_row(row: dict[str, str], line: int) -> dict[str, object]:
    debit, credit = _amounts(row)
    try:
        entry_date = to_date(row["EcritureDate"], "yyyymmdd")
        piece_date = to_date(row["PieceDate"], "yyyymmdd")
        letter_date = to_date(row["DateLet"], "yyyymmdd")
    except ConversionError as exc:
        raise ConversionError(f"date {exc} (EcritureDate, PieceDate, DateLet)") from exc
    if entry_date is None:
        raise ConversionError("EcritureDate is empty")
    out: dict[str, object] = {new: row[old].strip() for old, new in RENAMES.items()}
    out.update(
        line=line,
        entry_date=entry_date,
        piece_date=piece_date or entry_date,
        letter_date=letter_date,
        debit=debit,
        credit=credit,
    )
    return out


def parse_fec(path: Path) -> FecLines:
    """Read and parse a FEC file; line numbers are 1-based data lines (header excluded).

    Raises:
        FecError: see ``read_fec_text``.
    """
    raw = read_fec_text(path)
    parsed: list[dict[str, object]] = []
    unreadable: list[dict[str, object]] = []
    for number, row in enumerate(raw.to_dict("records"), start=1):
        try:
            parsed.append(_parse_row(row, number))
        except ConversionError as exc:
            unreadable.append({"line": number, "reason": str(exc), **row})
    columns = [
        "line",
        *RENAMES.values(),
        "entry_date",
        "piece_date",
        "letter_date",
        "debit",
        "credit",
    ]
    lines = pd.DataFrame(parsed, columns=columns)
    for name in ("entry_date", "piece_date", "letter_date"):
        lines[name] = pd.to_datetime(lines[name]).astype("datetime64[ns]")
    lines = lines.astype({"debit": "float64", "credit": "float64"})
    return FecLines(lines=lines, unreadable=pd.DataFrame(unreadable))
