"""Infer how an export writes its values: date order, decimal and thousands marks, booleans.

Nothing is guessed silently. A date column whose first field exceeds 12 somewhere is written
day first; whose second field exceeds 12 somewhere is written month first; when every value fits
both orders the column is **ambiguous** and the caller must ask for the format. Likewise an
amount column whose only marks are a single ``,`` or ``.`` followed by three digits (``1,234``)
may be a thousands mark or a decimal one: ambiguous.

>>> infer_date_format(["03/25/2024", "04/01/2024"]).format
'%m/%d/%Y'
>>> infer_date_format(["03/04/2024"]).ambiguous
True
>>> infer_number_format(["1 234,56", "12,5"]).decimal
','
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from risk.imports.convert import FALSE_WORDS, TRUE_WORDS, is_empty

DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
COMPACT = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
NUMBER_CHARS = re.compile(r"^[\s\u00a0\u202f'()+\-]*[\d.,\s\u00a0\u202f']+[\s\u00a0\u202f()\-]*$")
CURRENCY = re.compile(r"(€|\$|£|EUR|USD|GBP|CHF)", re.IGNORECASE)
#: share of non-empty values that must look like a date / number for the column to be one.
MIN_SHARE = 0.9


@dataclass(frozen=True)
class DateInference:
    """What the values of a column say about their date format.

    Attributes:
        format: strptime format when decided (``None`` when ambiguous or not a date column).
        ambiguous: every value fits both day-first and month-first.
        candidates: the formats that fit every value (two when ambiguous).
        evidence: a value that decided the order (``"25/03/2024"``), empty when none.
        is_date: most values look like dates.
    """

    format: str | None
    ambiguous: bool = False
    candidates: tuple[str, ...] = ()
    evidence: str = ""
    is_date: bool = True


@dataclass(frozen=True)
class NumberInference:
    """The decimal and thousands marks of an amount column.

    ``decimal`` is ``None`` when the values show no decimal mark (whole numbers) or when they
    are ambiguous (``ambiguous`` then names an example).
    """

    decimal: str | None
    thousands: str | None = None
    ambiguous: bool = False
    evidence: str = ""
    is_number: bool = True


def _texts(values: Iterable[Any]) -> list[str]:
    return [str(v).strip() for v in values if not is_empty(v)]


def _alias(fmt: str) -> str:
    return fmt.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy").replace("%y", "yy")


def describe_format(fmt: str) -> str:
    """``%m/%d/%Y`` -> ``mm/dd/yyyy`` (the form a user writes in a mapping)."""
    return _alias(fmt)


def infer_date_format(values: Iterable[Any]) -> DateInference:
    """Infer the date format of a column from its values (text; native dates need none).

    Returns:
        The decided format, or an ambiguous result naming both candidates, or ``is_date=False``
        when fewer than 90 % of the values look like dates.
    """
    texts = _texts(values)
    if not texts:
        return DateInference(format=None, is_date=False)
    if sum(bool(ISO.match(t)) for t in texts) >= MIN_SHARE * len(texts):
        return DateInference(format="%Y-%m-%d", candidates=("%Y-%m-%d",))
    if sum(bool(COMPACT.match(t)) for t in texts) >= MIN_SHARE * len(texts):
        return DateInference(format="%Y%m%d", candidates=("%Y%m%d",))
    found = [(t, m) for t in texts if (m := DMY.match(t))]
    if not found:
        return DateInference(format=None, is_date=False)
    is_date = len(found) >= MIN_SHARE * len(texts)
    separators = {m.group(2) for _, m in found}
    sep = max(separators, key=lambda s: sum(m.group(2) == s for _, m in found))
    year = "%Y" if sum(len(m.group(4)) == 4 for _, m in found) * 2 >= len(found) else "%y"
    day_first = f"%d{sep}%m{sep}{year}"
    month_first = f"%m{sep}%d{sep}{year}"
    first_big = next((t for t, m in found if int(m.group(1)) > 12), "")
    second_big = next((t for t, m in found if int(m.group(3)) > 12), "")
    if first_big and second_big:  # both orders broken somewhere: not one date format
        return DateInference(format=None, is_date=False, evidence=f"{first_big}, {second_big}")
    if first_big:
        return DateInference(day_first, False, (day_first,), first_big, is_date)
    if second_big:
        return DateInference(month_first, False, (month_first,), second_big, is_date)
    return DateInference(None, True, (day_first, month_first), "", is_date)


def _marks(text: str) -> str:
    body = CURRENCY.sub("", text)
    return "".join(c for c in body if c in ".,")


def infer_number_format(values: Iterable[Any]) -> NumberInference:
    """Infer the decimal and thousands marks of an amount column from its values.

    A value with both marks decides (the last one is the decimal mark); a single mark followed by
    one, two or four or more digits is a decimal mark; repeated identical marks are thousands
    marks; a single mark followed by exactly three digits (``1,234``) decides nothing.
    """
    texts = _texts(values)
    if not texts:
        return NumberInference(decimal=None, is_number=False)
    cleaned = [CURRENCY.sub("", t).strip() for t in texts]
    numeric = [t for t in cleaned if t and NUMBER_CHARS.match(t) and any(c.isdigit() for c in t)]
    if len(numeric) < MIN_SHARE * len(texts):
        return NumberInference(decimal=None, is_number=False)
    votes: dict[str, str] = {}
    undecided = ""
    for text in numeric:
        marks = _marks(text)
        if not marks:
            continue
        if "," in marks and "." in marks:
            votes.setdefault(marks[-1], text)
        elif len(marks) > 1:  # 1.234.567 or 1,234,567: thousands marks
            votes.setdefault("." if marks[0] == "," else ",", text)
        else:
            digits_after = len(re.split(r"[.,]", text)[-1].strip("()- \u00a0\u202f"))
            if digits_after == 3:
                undecided = undecided or text
            else:
                votes.setdefault(marks, text)
    if len(votes) > 1:
        examples = " and ".join(votes.values())
        return NumberInference(decimal=None, ambiguous=True, evidence=examples)
    if votes:
        decimal, evidence = next(iter(votes.items()))
        thousands = "." if decimal == "," else ","
        return NumberInference(decimal=decimal, thousands=thousands, evidence=evidence)
    if undecided:
        return NumberInference(decimal=None, ambiguous=True, evidence=undecided)
    return NumberInference(decimal=None)


def infer_boolean(values: Iterable[Any]) -> dict[str, bool] | None:
    """The true/false words of a yes/no column (``{"Y": True, "N": False}``), else ``None``.

    A column is boolean when it has at most two distinct words and each is a known yes/no word
    (yes/no, oui/non, true/false, 1/0, Y/N, X).
    """
    words = sorted({t for t in _texts(values)})
    if not words or len(words) > 2:
        return None
    out: dict[str, bool] = {}
    for word in words:
        low = word.lower()
        if low in TRUE_WORDS:
            out[word] = True
        elif low in FALSE_WORDS:
            out[word] = False
        else:
            return None
    if len(set(out.values())) < len(out):
        return None
    return out
