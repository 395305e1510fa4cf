"""Validate one raw table against its contract: parse, check, split kept from quarantined."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.contracts import Table
from risk.errors import SchemaError
from risk.validation.lines import LINE_COLUMNS, LINE_ERROR, LINE_TEXT
from risk.validation.parse import PARSE_RULES, finalise_dtype, parse_column
from risk.validation.rules import RuleFailure, column_failures, duplicate_key_failures

ISSUE_COLUMNS = ("table", "row", "column", "value", "rule")


@dataclass(frozen=True)
class TableCheck:
    """A parsed table with every rule failure found so far.

    ``parsed`` has one row per raw row (same index); failures are kept as masks so that further
    rules (foreign keys, cross-table) can be added before rows are split.
    """

    table: Table
    raw: pd.DataFrame
    parsed: pd.DataFrame
    failures: tuple[RuleFailure, ...]
    ignored_columns: tuple[str, ...]

    def add(self, failures: list[RuleFailure]) -> TableCheck:
        """Return a copy with more failures."""
        return TableCheck(
            self.table, self.raw, self.parsed, self.failures + tuple(failures), self.ignored_columns
        )

    def rejected(self) -> pd.Series:
        """Mask of the rows that break at least one rule."""
        bad = np.zeros(len(self.parsed), dtype=bool)
        for failure in self.failures:
            bad[failure.rows] = True
        return pd.Series(bad, index=self.parsed.index)

    def issues(self) -> pd.DataFrame:
        """One row per (row, rule) failure: table, 1-based row, column, raw value, rule."""
        if not any(failure.rows.size for failure in self.failures):
            return no_issues()
        frames = []
        for failure in self.failures:
            positions = failure.rows
            if positions.size == 0:
                continue
            if failure.column in self.raw.columns:
                # a typed column's missing value as the empty text a CSV file holds (a missing
                # value broke the quarantine's reasons)
                values = (
                    self.raw[failure.column].iloc[positions].astype("str").fillna("").to_numpy()
                )
            else:
                values = np.full(positions.size, "", dtype=object)
            frames.append(
                pd.DataFrame(
                    {
                        "table": self.table.name,
                        "row": positions + 1,
                        "column": failure.column,
                        "value": values,
                        "rule": failure.rule,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True).sort_values(["row", "column"], kind="stable")


@functools.cache
def _no_issues() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="str") for name in ISSUE_COLUMNS}).astype(
        {"row": "int64"}
    )


def no_issues() -> pd.DataFrame:
    """The issues frame of a table without any failure (same columns and dtypes): a copy of one
    built once (building it cost a few milliseconds per table of every small ledger)."""
    return _no_issues().copy()


def check_columns(raw: pd.DataFrame, table: Table) -> None:
    """Fail when a required column is missing.

    Raises:
        SchemaError: naming the table, the missing columns and the columns the file has.
    """
    missing = [c.name for c in table.columns if c.required and c.name not in raw.columns]
    if missing:
        have = ", ".join(map(str, raw.columns)) or "(none)"
        raise SchemaError(
            table.name,
            missing[0],
            f"required column(s) {', '.join(missing)} missing; the file has: {have}",
        )


def parse_table(raw: pd.DataFrame, table: Table) -> TableCheck:
    """Parse every contract column of ``raw`` and apply the column-level rules.

    Optional columns absent from the source get their default (or stay absent when they have
    none); empty values of non-nullable columns take the default when there is one.

    Raises:
        SchemaError: a required column is missing.
    """
    check_columns(raw, table)
    raw = raw.reset_index(drop=True)
    parsed: dict[str, pd.Series] = {}
    failures: list[RuleFailure] = []
    for column in table.columns:
        if column.name not in raw.columns:
            if column.default is not None:
                parsed[column.name] = _default_series(raw.index, column.default, column.kind)
            continue
        values, unparseable = parse_column(raw[column.name], column)
        failure = RuleFailure(unparseable, column.name, PARSE_RULES[column.kind])
        failures.append(failure)
        # masks as NumPy arrays: a pandas operation per mask cost more than the rule on the
        # few rows of an inline ledger or an event batch
        missing = values.isna().to_numpy(dtype=bool)
        empty = missing.copy()
        empty[failure.rows] = False  # no value (parsers leave failures apart)
        if not column.nullable:
            if column.default is not None:
                if empty.any():
                    values = values.where(~empty, column.default)
                    missing = values.isna().to_numpy(dtype=bool)
            else:
                failures.append(RuleFailure(empty, column.name, "is required (empty value)"))
        failures.extend(column_failures(values, column, ~missing))
        parsed[column.name] = values
    frame = pd.DataFrame(parsed, index=raw.index, copy=False)  # the parsed columns, not copies
    failures.extend(duplicate_key_failures(frame, table))
    failures.extend(broken_line_failures(raw))
    ignored = tuple(
        str(c) for c in raw.columns if c not in table.column_names and c not in LINE_COLUMNS
    )
    return TableCheck(table, raw, frame, tuple(failures), ignored)


def broken_line_failures(raw: pd.DataFrame) -> list[RuleFailure]:
    """Records the CSV reader flagged (undecodable byte, wrong number of fields), by reason."""
    if LINE_ERROR not in raw.columns:
        return []
    reasons = raw[LINE_ERROR].astype("str")
    broken = reasons[reasons != ""]
    return [RuleFailure(reasons == reason, LINE_TEXT, reason) for reason in broken.unique()]


def _default_series(index: pd.Index, default: object, kind: str) -> pd.Series:
    dtype = {"bool": "bool", "int": "int64", "float": "float64"}.get(kind, "str")
    return pd.Series(default, index=index, dtype=dtype)


def kept_rows(check: TableCheck, keep: pd.Series) -> pd.DataFrame:
    """The parsed rows selected by ``keep``, with their final dtypes."""
    mask = keep.to_numpy(dtype=bool)
    frame = check.parsed if mask.all() else check.parsed[mask]  # most tables: every row kept
    out: dict[str, pd.Series] = {}
    for name in frame.columns:
        out[name] = finalise_dtype(frame[name], check.table.column(name))
    # the final columns as they are: a dict of Series is copied by default, which held a
    # second copy of every numeric and date column of the table while the raw one was alive
    return pd.DataFrame(out, index=frame.index, copy=False).reset_index(drop=True)


def quarantine_rows(
    check: TableCheck, reject: pd.Series, issues: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The raw rows selected by ``reject``, with their 1-based row number and every reason
    (``issues``: ``check.issues()`` when the caller has it already)."""
    positions = np.flatnonzero(reject.to_numpy(dtype=bool))
    if positions.size == 0:  # the usual case: nothing to quarantine, no text to build
        return _no_quarantine(tuple(map(str, check.raw.columns))).copy()
    issues = check.issues() if issues is None else issues
    rows = check.raw.iloc[positions].astype("str").reset_index(drop=True)
    if issues.empty:
        reasons = pd.Series("", index=rows.index, dtype="str")
    else:
        text = issues["column"] + ": " + issues["rule"] + " (value '" + issues["value"] + "')"
        joined = text.groupby(issues["row"]).agg("; ".join)
        reasons = pd.Series(joined.reindex(positions + 1).to_numpy(), dtype="str")
    rows.insert(0, "row", positions + 1)
    rows.insert(1, "reasons", reasons)
    return rows


@functools.lru_cache(maxsize=64)
def _no_quarantine(columns: tuple[str, ...]) -> pd.DataFrame:
    """The quarantine frame without rows of a table with these raw columns (built once)."""
    rows = pd.DataFrame({name: pd.Series(dtype="str") for name in columns})
    rows.insert(0, "row", pd.Series(dtype="int64"))
    rows.insert(1, "reasons", pd.Series(dtype="str"))
    return rows
