"""Value conversions for mapped imports: dates, numbers, booleans and value maps.

Each ``to_*`` function converts one source value (text from CSV, or a native value from Excel,
Parquet or SQL) and raises ``ConversionError`` with the rule it broke; empty values become
``None``. ``convert_column`` applies one of them to a whole column and returns the values with
a per-row reason (``""`` when the row converted).

>>> to_number("1 234,56 €", decimal=",", thousands=" ")
1234.56
>>> to_date("31/03/2024", "dd/mm/yyyy").isoformat()
'2024-03-31'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pandas as pd

DATE_ALIASES: dict[str, str] = {
    "dd/mm/yyyy": "%d/%m/%Y",
    "d/m/yyyy": "%d/%m/%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "m/d/yyyy": "%m/%d/%Y",
    "iso": "%Y-%m-%d",
    "yyyy-mm-dd": "%Y-%m-%d",
    "yyyymmdd": "%Y%m%d",
    "dd.mm.yyyy": "%d.%m.%Y",
}
#: tried in order when no format is given (never m/d/yyyy: ambiguous with dd/mm/yyyy).
DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d.%m.%Y")
CURRENCY_SYMBOLS: dict[str, str] = {"€": "EUR", "$": "USD", "£": "GBP", "CHF": "CHF"}
CURRENCY_CODES = frozenset({"EUR", "USD", "GBP", "CHF", "CAD", "JPY"})
SPACES = ("\u00a0", "\u202f", "\u2009", " ", "'")
TRUE_WORDS = frozenset({"true", "yes", "y", "oui", "o", "vrai", "1", "x", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "non", "faux", "0", "f"})
#: YAML 1.1 reads yes/no/on/off as booleans: such keys of a ``values`` map mean these words.
YAML_BOOL_WORDS: dict[bool, frozenset[str]] = {
    True: frozenset({"true", "yes", "on", "y"}),
    False: frozenset({"false", "no", "off", "n"}),
}


class ConversionError(ValueError):
    """A value cannot be converted; the message is the rule it broke."""


def is_empty(value: Any) -> bool:
    """Null, NaN/NaT or blank text."""
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def date_formats(declared: str | None) -> tuple[str, ...]:
    """strptime formats for a declared format (an alias such as ``dd/mm/yyyy`` or ``%d/%m/%Y``)."""
    if declared is None:
        return DEFAULT_DATE_FORMATS
    return (DATE_ALIASES.get(declared.strip().lower(), declared),)


def to_date(value: Any, declared: str | None = None) -> date | None:
    """Convert a date; timestamps keep their day (``2024-03-31 10:00`` -> 2024-03-31).

    Raises:
        ConversionError: the text matches none of the formats.
    """
    if is_empty(value):
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", text):
        text = text[:10]
    formats = date_formats(declared)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    shown = " or ".join(
        f.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy") for f in formats
    )
    raise ConversionError(f"is not a date written {shown}")


def _strip_currency(text: str, currency: str | None) -> str:
    for symbol, code in [*CURRENCY_SYMBOLS.items(), *((c, c) for c in CURRENCY_CODES)]:
        if symbol in text:
            if currency is not None and code != currency.upper():
                raise ConversionError(f"is in {code}, the mapping expects {currency.upper()}")
            text = text.replace(symbol, "")
    return text


def _guess_decimal(text: str) -> str:
    """The decimal separator when none is declared: the last of ``,``/``.`` if both occur,
    else a single comma or dot (several identical marks are thousands separators)."""
    if "," in text and "." in text:
        return "," if text.rfind(",") > text.rfind(".") else "."
    for mark in (",", "."):
        if text.count(mark) == 1:
            return mark
    return "."


def to_number(
    value: Any,
    decimal: str | None = None,
    thousands: str | None = None,
    currency: str | None = None,
) -> float | None:
    """Convert an amount such as ``1 234,56 €``, ``1.234,56``, ``1,234.56`` or ``(12.50)``.

    Spaces (also non-breaking) are always thousands separators; ``thousands`` adds ``.`` or ``,``.

    Raises:
        ConversionError: not a number, or in another currency than ``currency``.
    """
    if is_empty(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _strip_currency(str(value).strip(), currency)
    for space in SPACES:
        text = text.replace(space, "")
    negative = (text.startswith("(") and text.endswith(")")) or text.endswith("-")
    text = text.strip("()").rstrip("-")
    mark = decimal or _guess_decimal(text)
    other = "," if mark == "." else "."
    if decimal is None or thousands == other:
        text = text.replace(other, "")
    text = text.replace(mark, ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", text):
        raise ConversionError(
            f"is not a number (decimal separator {mark!r}, thousands {thousands or 'space'!r})"
        )
    number = float(text)
    return -number if negative else number


def to_bool(value: Any, values: dict[Any, Any] | None = None) -> bool | None:
    """Convert yes/no, Oui/Non, true/false, 1/0 (any case), or a mapping's own words.

    Raises:
        ConversionError: a word that is neither true nor false.
    """
    if is_empty(value):
        return None
    if values:
        return bool(map_value(value, values, strict=True))
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConversionError("is not a yes/no value (yes/no, oui/non, true/false, 1/0)")


def _key_words(key: Any) -> frozenset[str]:
    if isinstance(key, bool):
        return YAML_BOOL_WORDS[key]
    return frozenset({str(key).strip().lower()})


def map_value(value: Any, values: dict[Any, Any], strict: bool = False) -> Any:
    """Translate a source value through a ``values`` map (keys compared without case).

    Unknown values pass through unchanged (the contract checks them) unless ``strict``.

    Raises:
        ConversionError: ``strict`` and the value is not a key of the map.
    """
    if is_empty(value):
        return None
    word = str(value).strip().lower()
    for key, target in values.items():
        if word in _key_words(key):
            return target
    if strict:
        keys = ", ".join(repr(str(k)) for k in values)
        raise ConversionError(f"is not one of the mapped values ({keys})")
    return str(value).strip()


def to_text(value: Any) -> str | None:
    """Text with surrounding blanks removed; whole floats lose their ``.0`` (Excel ids)."""
    if is_empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def convert_column(raw: pd.Series, convert: Callable[[Any], Any]) -> tuple[list[Any], list[str]]:
    """Apply ``convert`` to every value; return the values and a reason per row (``""`` = ok)."""
    values: list[Any] = []
    reasons: list[str] = []
    for item in raw.tolist():
        try:
            values.append(convert(item))
            reasons.append("")
        except ConversionError as exc:
            values.append(None)
            reasons.append(f"{item!r} {exc}")
    return values, reasons
