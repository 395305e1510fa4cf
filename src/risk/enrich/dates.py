"""Dates as open-data files write them: ISO, dd/mm/yyyy or French words ("1er mars 2024")."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

import pandas as pd

FRENCH_MONTHS = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_WORDS = re.compile(r"^(\d{1,2})(?:er)? ([a-z]+) (\d{4})$")


def parse_french_date(value: object) -> pd.Timestamp | None:
    """The date ``value`` names, or None when it is empty or unreadable (never guessed).

    >>> parse_french_date("1er mars 2024")
    Timestamp('2024-03-01 00:00:00')
    >>> parse_french_date("2024-07-15") == parse_french_date("15/07/2024")
    True
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, datetime | date):
        return pd.Timestamp(value).normalize()
    text = unicodedata.normalize("NFKD", str(value).strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    found: tuple[int, int, int] | None = None
    if match := _ISO.match(text):
        found = (int(match[1]), int(match[2]), int(match[3]))
    elif match := _SLASHED.match(text):
        found = (int(match[3]), int(match[2]), int(match[1]))
    elif (match := _WORDS.match(text)) and match[2] in FRENCH_MONTHS:
        found = (int(match[3]), FRENCH_MONTHS[match[2]], int(match[1]))
    if found is None:
        return None
    try:
        return pd.Timestamp(year=found[0], month=found[1], day=found[2])
    except ValueError:
        return None
