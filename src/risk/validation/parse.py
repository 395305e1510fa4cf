"""Turn raw columns (text from CSV, or typed Parquet columns) into contract dtypes.

Each parser returns the parsed column and a boolean mask of the rows whose value could not be
parsed; the caller turns the mask into row issues. Missing values (empty text) are not parse
failures: nullability is a separate rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.contracts import Column

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "oui", "o", "vrai", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "non", "faux", "f"})

DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y")
DATE_RULE = "must be a date written YYYY-MM-DD or DD/MM/YYYY"
#: text columns up to this many rows are checked value by value in Python (an inline ledger's):
#: cheaper than a dozen pandas operations, same result
SMALL_COLUMN = 256


def missing_mask(raw: pd.Series) -> pd.Series:
    """Rows with no value: null, or text that is empty once stripped."""
    if raw.dtype == "str" or raw.dtype == object:
        text = raw.astype("str").str.strip()
        return raw.isna() | (text == "")
    return raw.isna()


def _as_text(raw: pd.Series) -> pd.Series:
    return raw.astype("str").str.strip()


def _plain_text(raw: pd.Series) -> pd.Series | None:
    """``parse_text`` of a small text column whose values need no stripping (all present:
    the column as it is; all empty: all missing), read in Python without a pandas operation
    per step; None when some value needs the general path. A value Python's ``strip`` leaves
    unchanged has no Unicode white space at its ends, so the general path keeps it too."""
    values = raw.tolist()
    if all(type(v) is str and v and v.strip() == v for v in values):
        return raw
    if all(v == "" or (type(v) is not str and pd.isna(v)) for v in values):
        return pd.Series(None, index=raw.index, dtype="str")
    return None


def parse_text(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Strip text; empty becomes missing. Never fails.

    A column that needs neither (the usual case) is returned as it is, without a copy.
    """
    if raw.dtype == "str" and len(raw) <= SMALL_COLUMN:
        found = _plain_text(raw)
        if found is not None:
            return found, pd.Series(False, index=raw.index)
    text = raw.astype("str")
    stripped = text.str.strip()
    missing = text.isna() | (stripped == "")
    no_failure = pd.Series(False, index=raw.index)
    if not missing[text.notna()].any() and bool((stripped == text).fillna(True).all()):
        return text, no_failure
    return stripped.where(~missing, None).astype("str"), no_failure


def parse_date(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO (``2024-03-31``) or French (``31/03/2024``) dates; ISO timestamps keep their day."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        parsed = raw.dt.tz_localize(None) if getattr(raw.dtype, "tz", None) is not None else raw
        if parsed.dtype != "datetime64[ns]":
            parsed = parsed.astype("datetime64[ns]")
        values = parsed.to_numpy()
        days = values.astype("datetime64[D]")
        if not (values != days.astype("datetime64[ns]"))[~np.isnat(values)].any():
            return parsed, pd.Series(False, index=raw.index)  # already whole days: no copy
        return parsed.dt.normalize(), pd.Series(False, index=raw.index)
    missing = missing_mask(raw)
    text = _as_text(raw)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    todo = ~missing
    for fmt in DATE_FORMATS:
        if not todo.any():
            break
        attempt = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        parsed.loc[attempt.index] = attempt.astype("datetime64[ns]")
        todo = todo & parsed.isna()
    if todo.any():  # ISO timestamps such as 2024-03-31T10:00:00 or 2024-03-31 10:00:00
        iso = text[todo].str.slice(0, 10)
        has_time = text[todo].str.len().gt(10) & text[todo].str.slice(10, 11).isin(["T", " "])
        attempt = pd.to_datetime(iso.where(has_time), format="%Y-%m-%d", errors="coerce")
        parsed.loc[attempt.index] = attempt.astype("datetime64[ns]")
        todo = todo & parsed.isna()
    return parsed, todo


def parse_float(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse decimal numbers written with a dot."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("float64"), pd.Series(False, index=raw.index)
    missing = missing_mask(raw)
    values = pd.to_numeric(_as_text(raw).where(~missing, None), errors="coerce")
    values = values.astype("float64")
    bad = ~missing & (values.isna() | ~np.isfinite(values.fillna(0.0)))
    return values.where(~bad), bad


def parse_int(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse whole numbers (``12`` or ``12.0``); a fractional value is a failure."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        # typed numbers (Parquet, an inline ledger): the same steps on one NumPy array
        numbers = raw.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.round(numbers)
        fractional = ~np.isnan(numbers) & (numbers != whole)
        kept = np.where(fractional, np.nan, whole)
        return pd.Series(kept, index=raw.index).astype("Int64"), pd.Series(
            fractional, index=raw.index
        )
    values, bad = parse_float(raw)
    fractional = values.notna() & (values != values.round())
    bad = bad | fractional
    return values.where(~bad).round().astype("Int64"), bad


def parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse true/false, 1/0, yes/no, oui/non (any case)."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), pd.Series(False, index=raw.index)
    missing = missing_mask(raw)
    text = _as_text(raw).str.lower()
    is_true = text.isin(TRUE_WORDS)
    is_false = text.isin(FALSE_WORDS)
    bad = ~missing & ~is_true & ~is_false
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values[is_true] = True
    values[is_false] = False
    return values, bad


PARSE_RULES: dict[str, str] = {
    "id": "",
    "str": "",
    "date": DATE_RULE,
    "float": "must be a number written with a dot as decimal separator",
    "int": "must be a whole number",
    "bool": "must be true/false (also 1/0, yes/no, oui/non)",
}


def parse_column(raw: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    """Parse ``raw`` as the contract's ``column``; return values and the unparseable-rows mask."""
    if column.kind in ("id", "str"):
        return parse_text(raw)
    parser = {
        "date": parse_date,
        "float": parse_float,
        "int": parse_int,
        "bool": parse_bool,
    }[column.kind]
    return parser(raw)


def finalise_dtype(values: pd.Series, column: Column) -> pd.Series:
    """Cast a parsed column to its in-memory dtype once invalid rows are gone."""
    if column.kind == "bool":
        fill = bool(column.default) if column.default is not None else False
        return values.fillna(fill).astype("bool")
    if column.kind == "int" and not column.nullable:
        return values.astype("int64")
    return values
