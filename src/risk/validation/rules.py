"""Row rules of the ledger contracts, as vectorised masks.

A rule function takes a parsed table and returns ``RuleFailure`` items: the rows that break it,
the column to blame and a sentence that states the rule. Nothing here drops or changes rows.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from risk.contracts import Column, Table
from risk.lookup import fast_isin
from risk.validation.parse import SMALL_COLUMN

SIREN_PATTERN = "[0-9]{9}"  # nine ASCII digits
MONEY_TOLERANCE = 0.005  # half a cent: amounts are compared after rounding to cents


@dataclass(frozen=True, init=False)
class RuleFailure:
    """Rows of a table that break one rule.

    Built from a boolean mask over the table's rows (missing counts as passing) but kept as the
    positions of the failing rows: a large table checked by dozens of rules holds a few
    integers per failing row instead of one mask per rule.
    """

    rows: np.ndarray
    column: str
    rule: str

    def __init__(self, mask: pd.Series | np.ndarray, column: str, rule: str) -> None:
        if isinstance(mask, np.ndarray) and mask.dtype == bool:
            flags = mask
        elif isinstance(mask, pd.Series) and mask.dtype == bool:  # numpy bool: no missing
            flags = mask.to_numpy()
        else:
            flags = pd.Series(mask).fillna(False).to_numpy(dtype=bool)
        object.__setattr__(self, "rows", np.flatnonzero(flags))
        object.__setattr__(self, "column", column)
        object.__setattr__(self, "rule", rule)


def luhn_valid(digits: pd.Series) -> pd.Series:
    """Whether each 9-digit string passes the Luhn check used by SIREN numbers.

    >>> luhn_valid(pd.Series(["732829320", "732829321"])).tolist()
    [True, False]
    """
    if digits.empty:
        return pd.Series([], dtype=bool, index=digits.index)
    matrix = np.frombuffer("".join(digits.tolist()).encode("ascii"), dtype=np.uint8)
    matrix = matrix.reshape(len(digits), 9).astype(np.int64) - ord("0")
    doubled = matrix[:, 1::2] * 2  # every second digit from the left (positions 2, 4, 6, 8)
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = matrix[:, 0::2].sum(axis=1) + doubled.sum(axis=1)
    return pd.Series(total % 10 == 0, index=digits.index)


def siren_failures(customers: pd.DataFrame) -> list[RuleFailure]:
    """SIREN: 9 digits with a valid Luhn key, when given."""
    if "siren" not in customers.columns:
        return []
    siren = customers["siren"]
    if len(siren) <= SMALL_COLUMN:
        found = _small_siren(siren.tolist())
        if found is not None:
            bad_format, bad_key = found
            return [
                RuleFailure(bad_format, "siren", "SIREN must be exactly 9 digits"),
                RuleFailure(bad_key, "siren", "SIREN Luhn check digit is wrong"),
            ]
    present = siren.notna()
    # ASCII digits: a Unicode ``\d`` let other scripts' digits through to the Luhn check
    nine_digits = present & siren.str.fullmatch(SIREN_PATTERN).fillna(False).astype(bool)
    bad_format = present & ~nine_digits
    bad_key = pd.Series(False, index=customers.index)
    bad_key[nine_digits] = ~luhn_valid(siren[nine_digits])
    return [
        RuleFailure(bad_format, "siren", "SIREN must be exactly 9 digits"),
        RuleFailure(bad_key, "siren", "SIREN Luhn check digit is wrong"),
    ]


def _small_siren(values: list[object]) -> tuple[np.ndarray, np.ndarray] | None:
    """``siren_failures``' two masks of a few values, in Python (None: a value is neither
    text nor missing, left to the general path)."""
    nine = _compiled(SIREN_PATTERN)
    bad_format = np.zeros(len(values), dtype=bool)
    bad_key = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        if type(value) is not str:
            if value is None or value is pd.NA or (type(value) is float and value != value):
                continue
            return None
        if nine.fullmatch(value) is None:
            bad_format[i] = True
            continue
        digits = [ord(c) - 48 for c in value]
        doubled = [2 * d - 9 if 2 * d > 9 else 2 * d for d in digits[1::2]]
        bad_key[i] = (sum(digits[0::2]) + sum(doubled)) % 10 != 0
    return bad_format, bad_key


def invoice_failures(invoices: pd.DataFrame) -> list[RuleFailure]:
    """Date order and paid amount rules of an invoice (missing values pass)."""
    # NumPy comparisons: NaT and NaN compare False, as pandas' do, without a Series per step
    issued = invoices["issued_on"].to_numpy()
    paid_on = invoices["paid_on"].to_numpy()
    amount = invoices["amount"].to_numpy(dtype="float64", na_value=np.nan)
    amount_paid = invoices["amount_paid"].to_numpy(dtype="float64", na_value=np.nan)
    failures = [
        RuleFailure(
            invoices["due_on"].to_numpy() < issued,
            "due_on",
            "due_on must be on or after issued_on",
        ),
        RuleFailure(
            ~np.isnat(paid_on) & (paid_on < issued),
            "paid_on",
            "paid_on must not be before issued_on",
        ),
        RuleFailure(
            amount_paid > np.abs(amount) + MONEY_TOLERANCE,
            "amount_paid",
            "amount_paid must not exceed amount",
        ),
        RuleFailure(
            amount == 0,
            "amount",
            "amount must be > 0 (credit notes are negative documents, kept apart)",
        ),
    ]
    return failures


def reminder_failures(reminders: pd.DataFrame) -> list[RuleFailure]:
    """A promised payment date only makes sense with a promise to pay."""
    if "promised_on" not in reminders.columns:
        return []
    promise_without_date = (reminders["outcome"] == "promise_to_pay") & reminders[
        "promised_on"
    ].isna()
    return [
        RuleFailure(
            promise_without_date,
            "promised_on",
            "promised_on is required when outcome is promise_to_pay",
        )
    ]


def dispute_failures(disputes: pd.DataFrame) -> list[RuleFailure]:
    """A dispute cannot be resolved before it was opened."""
    if "resolved_on" not in disputes.columns:
        return []
    backwards = disputes["resolved_on"] < disputes["opened_on"]
    return [RuleFailure(backwards, "resolved_on", "resolved_on must not be before opened_on")]


def column_failures(
    values: pd.Series, column: Column, present: np.ndarray | None = None
) -> list[RuleFailure]:
    """Enumeration, pattern and minimum-value rules of one parsed column.

    ``present`` (optional) is ``values.notna()`` as a NumPy mask when the caller has it. A
    column of at most ``SMALL_COLUMN`` rows (an inline ledger's, an event batch's) is checked
    value by value in Python: a few microseconds instead of a pandas operation per rule
    (``tests/validation/test_small_tables.py`` holds both paths equal).
    """
    if present is None:
        present = values.notna().to_numpy()
    failures: list[RuleFailure] = []
    if not present.any():  # every rule passes on missing values
        if column.choices is not None:
            failures.append(RuleFailure(present, column.name, _choices_rule(column)))
        if column.pattern is not None:
            failures.append(RuleFailure(present, column.name, f"must match {column.pattern}"))
        if column.min_value is not None:
            failures.append(RuleFailure(present, column.name, _min_rule(column)))
        return failures
    small = len(values) <= SMALL_COLUMN
    if column.choices is not None:
        if small:
            allowed = frozenset(column.choices)
            inside = np.array([v in allowed for v in values.tolist()], dtype=bool)
        else:
            inside = values.isin(column.choices).to_numpy(dtype=bool)
        failures.append(RuleFailure(present & ~inside, column.name, _choices_rule(column)))
    if column.pattern is not None:
        matches = _small_fullmatch(values, column.pattern) if small else None
        if matches is None:
            matches = values.str.fullmatch(column.pattern).fillna(False).to_numpy(dtype=bool)
        failures.append(
            RuleFailure(present & ~matches, column.name, f"must match {column.pattern}")
        )
    if column.min_value is not None:
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        limit = column.min_value
        below = numbers <= limit if column.exclusive_min else numbers < limit
        failures.append(RuleFailure(present & below, column.name, _min_rule(column)))
    return failures


def _choices_rule(column: Column) -> str:
    return f"must be one of: {', '.join(column.choices or ())}"


def _min_rule(column: Column) -> str:
    return f"must be {'>' if column.exclusive_min else '>='} {column.min_value:g}"


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.ASCII)


def _small_fullmatch(values: pd.Series, pattern: str) -> np.ndarray | None:
    """``values.str.fullmatch(pattern)`` (missing: False) by Python's ``re`` for ASCII text,
    None when a value is not ASCII text (pandas' regular-expression engine then decides: the
    two engines agree on ASCII classes, not on every Unicode digit or space)."""
    regex = _compiled(pattern)
    out = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values.tolist()):
        if type(value) is str:
            if not value.isascii():
                return None
            out[i] = regex.fullmatch(value) is not None
        elif not (value is None or value is pd.NA or (type(value) is float and value != value)):
            return None
    return out


def duplicate_key_failures(frame: pd.DataFrame, table: Table) -> list[RuleFailure]:
    """Every row sharing a key value with another row: nobody can tell which one is right."""
    if not table.key:
        return []
    key = list(table.key)
    if len(frame) <= SMALL_COLUMN and len(key) == 1 and frame[key[0]].dtype == "str":
        duplicated = _small_repeated_text(frame[key[0]].tolist())
    else:
        present = frame[key].notna().all(axis=1).to_numpy()
        duplicated = present & _repeated(frame[key])
    return [RuleFailure(duplicated, key[0], f"{'+'.join(key)} must be unique (value repeated)")]


def _small_repeated_text(values: list[object]) -> np.ndarray:
    """Whether each present text value occurs in another row too (a few rows, in Python)."""
    counts: dict[object, int] = {}
    for value in values:
        if type(value) is str:
            counts[value] = counts.get(value, 0) + 1
    return np.array([type(v) is str and counts[v] > 1 for v in values], dtype=bool)


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer code of each value (equal values, equal codes; missing -> -1) and how many."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(
        values.dtype
    ):
        codes, uniques = pd.factorize(values)
        return codes.astype(np.int64), len(uniques)
    # strings through Arrow's hash table: pandas' hashing of millions of ids costs ~3x memory
    text = pa.array(values.astype("str"))
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    encoded = pc.dictionary_encode(text)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, len(encoded.dictionary)


def _repeated(frame: pd.DataFrame) -> np.ndarray:
    """Whether each row's values occur in another row too (``duplicated(keep=False)``)."""
    combined, size = np.zeros(len(frame), dtype=np.int64), 1
    for name in frame.columns:
        codes, n = _codes(frame[name])
        combined = combined * (n + 1) + (codes + 1)
        size *= n + 1
        if size > 2**40:  # keep the mixed-radix code small: renumber
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
            size = int(combined.max()) + 1 if len(combined) else 1
    if size <= 4 * len(frame) + 1:
        counts = np.bincount(combined, minlength=size)
        return counts[combined] > 1
    _, inverse, counts = np.unique(combined, return_inverse=True, return_counts=True)
    return counts[inverse] > 1


def foreign_key_failure(
    frame: pd.DataFrame, column: str, known: pd.Series, target: str
) -> RuleFailure:
    """Rows whose ``column`` is given but absent from the kept rows of the target table."""
    values = frame[column]
    unknown = values.notna() & ~fast_isin(values, known)
    return RuleFailure(
        unknown, column, f"must refer to a kept row of {target} (unknown or quarantined)"
    )
