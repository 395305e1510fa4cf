"""SIRENE legal units (``StockUniteLegale`` or ``StockUniteLegaleHistorique``) -> customers.

The stock files hold tens of millions of rows: they are streamed (CSV in chunks, Parquet with
a filter pushed to the reader) and only the rows of the ledger's SIRENs are kept. Read columns
are codes and dates only (no names: sole traders are natural persons).

From the legal unit: NAF code (``activitePrincipaleUniteLegale`` in the NAFRev2 nomenclature),
size band (``trancheEffectifsUniteLegale``), creation date, legal category mapped to the
ledger's legal form, and closure (``etatAdministratifUniteLegale`` = ``C``, dated by the start
of the period in that state) as a dated ``company_closed`` legal event. With the historical
file, the attributes are those of the period in force at the ledger's cut-off, and changes
inside the ledger's history are reported (the customers table holds one value per customer).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.dataset as pads

from risk.enrich.dates import parse_french_date
from risk.errors import LedgerError

SOURCE = "SIRENE"
PERIOD_COLUMNS = (
    "siren",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
)
STOCK_ONLY_COLUMNS = ("dateCreationUniteLegale", "trancheEffectifsUniteLegale")
HISTORY_ONLY_COLUMNS = ("dateFin",)
CHUNK_ROWS = 250_000


class SireneFormatError(LedgerError):
    """A SIRENE file cannot be read (format, missing columns)."""


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".parquet":
        return list(pads.dataset(path).schema.names)
    try:
        return list(pd.read_csv(path, nrows=0, dtype="str", encoding="utf-8-sig").columns)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SireneFormatError(f"cannot read SIRENE file {path}: {exc}") from exc


def _chunks(path: Path, columns: list[str], sirens: set[str]) -> Iterator[pd.DataFrame]:
    if path.suffix.lower() == ".parquet":
        dataset = pads.dataset(path)
        table = dataset.to_table(
            columns=columns, filter=pads.field("siren").cast("string").isin(sorted(sirens))
        )
        yield table.to_pandas().astype("str").replace({"None": "", "nan": ""})
        return
    reader = pd.read_csv(
        path,
        usecols=columns,
        dtype="str",
        keep_default_na=False,
        chunksize=CHUNK_ROWS,
        encoding="utf-8-sig",
    )
    for chunk in reader:
        yield chunk[chunk["siren"].isin(sirens)]


def _read_one(path: Path, sirens: set[str]) -> pd.DataFrame:
    header = _header(path)
    missing = [c for c in PERIOD_COLUMNS if c not in header]
    if missing:
        raise SireneFormatError(
            f"SIRENE file {path}: column(s) {', '.join(missing)} missing; expected the legal "
            "units stock file (StockUniteLegale) or its history (StockUniteLegaleHistorique)"
        )
    optional = [c for c in (*STOCK_ONLY_COLUMNS, *HISTORY_ONLY_COLUMNS) if c in header]
    columns = [*PERIOD_COLUMNS, *optional]
    frames = list(_chunks(path, columns, sirens))
    units = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    units = units[columns]  # CSV readers keep the file's order, Parquet the asked one
    for column in ("dateDebut", "dateFin", "dateCreationUniteLegale"):
        if column in units:
            units[column] = pd.to_datetime(
                units[column].map(parse_french_date), errors="coerce"
            ).astype("datetime64[ns]")
    return units


def read_legal_units(paths: list[Path], sirens: set[str]) -> pd.DataFrame:
    """The legal units of ``sirens``, codes and dates only, one row per period.

    Give the stock file, its history, or both: periods come from the history when given (else
    one period per unit from the stock), creation date and size band from the stock.

    Raises:
        SireneFormatError: a file cannot be read or lacks a needed column.
    """
    read = [_read_one(path, sirens) for path in paths]
    history = [frame for frame in read if "dateFin" in frame]
    stock = [frame for frame in read if "dateFin" not in frame]
    units = pd.concat(history or stock, ignore_index=True)
    if "dateFin" not in units:
        units["dateFin"] = pd.Series(pd.NaT, index=units.index, dtype="datetime64[ns]")
    if history and stock:
        static = pd.concat(stock).drop_duplicates("siren", keep="last")
        units = units.merge(static[["siren", *STOCK_ONLY_COLUMNS]], on="siren", how="left")
    for column in STOCK_ONLY_COLUMNS:
        if column not in units:
            units[column] = pd.NaT if column.startswith("date") else ""
    units["trancheEffectifsUniteLegale"] = units["trancheEffectifsUniteLegale"].fillna("")
    return units.sort_values(["siren", "dateDebut"], na_position="first").reset_index(drop=True)


def period_at(units: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    """One row per SIREN: the period in force on ``date`` (else the latest one)."""
    start_ok = units["dateDebut"].isna() | (units["dateDebut"] <= date)
    end_ok = units["dateFin"].isna() | (units["dateFin"] >= date)
    current = units[start_ok & end_ok]
    latest = units.drop_duplicates("siren", keep="last")
    chosen = pd.concat([current, latest]).drop_duplicates("siren", keep="first")
    return chosen.set_index("siren")


def closures(units: pd.DataFrame) -> pd.DataFrame:
    """``company_closed`` events: the first period in state C after an active one (or the
    stock row's state C), dated by the start of that period."""
    closed = units[units["etatAdministratifUniteLegale"] == "C"]
    first = closed.drop_duplicates("siren", keep="first")
    return pd.DataFrame(
        {"siren": first["siren"].astype("str"), "closed_on": first["dateDebut"]}
    ).dropna(subset=["closed_on"])


def attribute_changes(units: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Changes of NAF code or legal category that took effect between ``start`` and ``end``."""
    rows = []
    for column in ("activitePrincipaleUniteLegale", "categorieJuridiqueUniteLegale"):
        previous = units.groupby("siren")[column].shift()
        changed = (previous.notna()) & (previous != units[column])
        inside = changed & (units["dateDebut"] > start) & (units["dateDebut"] <= end)
        for siren, before, after, on in zip(
            units.loc[inside, "siren"],
            previous[inside],
            units.loc[inside, column],
            units.loc[inside, "dateDebut"],
            strict=True,
        ):
            rows.append(
                {"siren": siren, "column": column, "before": before, "after": after, "on": on}
            )
    return pd.DataFrame(rows, columns=["siren", "column", "before", "after", "on"])
