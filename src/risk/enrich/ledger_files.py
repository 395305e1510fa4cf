"""Read one table of a ledger folder and append or update rows without touching the others.

Enrichment never rewrites what the user's files say: new rows are appended to the table's file
(CSV as text, Parquet with its types), existing rows keep their values, and a column the file
did not have is added empty for the existing rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from risk.contracts import TABLES
from risk.errors import LedgerError
from risk.io import find_table_files, read_raw_table, write_table
from risk.validation.table import kept_rows, parse_table


def table_path(directory: Path, name: str) -> Path | None:
    """The file holding table ``name`` in the ledger folder, or None."""
    return find_table_files(directory).get(name)


def read_table(directory: Path, name: str) -> pd.DataFrame | None:
    """The valid rows of one table, parsed with its contract (rejected rows left out).

    Raises:
        LedgerError: the folder is missing or the table misses a required column.
    """
    path = table_path(directory, name)
    if path is None:
        return None
    check = parse_table(read_raw_table(path), TABLES[name])
    return kept_rows(check, ~check.rejected())


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[name] = values.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_bool_dtype(values.dtype):
            out[name] = values.map({True: "true", False: "false"})
        else:
            out[name] = values.astype("object").where(values.notna(), "").astype("str")
    return out


def append_rows(directory: Path, name: str, rows: pd.DataFrame) -> Path:
    """Append ``rows`` to table ``name`` (created as CSV when absent); returns the file.

    Raises:
        LedgerError: the folder does not exist.
    """
    if not directory.is_dir():
        raise LedgerError(f"ledger folder {str(directory)!r} does not exist")
    path = table_path(directory, name) or directory / f"{name}.csv"
    if path.suffix == ".parquet":
        current = pd.read_parquet(path) if path.exists() else rows.iloc[0:0]
        merged = pd.concat([current, rows], ignore_index=True)
    else:
        current = read_raw_table(path) if path.exists() else pd.DataFrame()
        merged = pd.concat([current, _as_text(rows)], ignore_index=True).fillna("")
    write_table(merged, path)
    return path


def replace_column_values(directory: Path, name: str, key: str, updates: pd.DataFrame) -> Path:
    """Set the values of ``updates`` (key column + value columns) on the table's rows.

    Only the cells named in ``updates`` change; for CSV files the new values are written as text
    (ISO dates), the other cells are written back as they were read.

    Raises:
        LedgerError: the table is not in the folder.
    """
    path = table_path(directory, name)
    if path is None:
        raise LedgerError(f"table {name!r} is not in {directory}")
    parquet = path.suffix == ".parquet"
    current = pd.read_parquet(path) if parquet else read_raw_table(path)
    values = (
        updates
        if parquet
        else _as_text(updates.drop(columns=[key])).assign(**{key: updates[key].astype("str")})
    )
    position = pd.Series(range(len(current)), index=current[key].astype("str"))
    for column in values.columns:
        if column == key:
            continue
        if column not in current:
            current[column] = pd.NA if parquet else ""
        if not parquet:
            current[column] = current[column].astype("object")
        rows = position.reindex(values[key].astype("str")).dropna().astype(int).to_numpy()
        current.iloc[rows, current.columns.get_loc(column)] = values.loc[
            values[key].astype("str").isin(position.index), column
        ].to_numpy()
    write_table(current, path)
    return path


def known_event_keys(existing: pd.DataFrame | None) -> set[tuple[str, str, pd.Timestamp]]:
    """(customer, kind, publication date) of the legal events already in the ledger."""
    if existing is None or existing.empty:
        return set()
    return set(
        zip(
            existing["customer_id"].astype("str"),
            existing["kind"].astype("str"),
            pd.to_datetime(existing["published_on"]),
            strict=True,
        )
    )
