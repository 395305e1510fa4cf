"""One version of the ledger, and what every ledger source can do."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from risk.ledger import Ledger
from risk.validation import ValidationResult


@dataclass(frozen=True)
class LedgerSnapshot:
    """An immutable ledger with the version that names it.

    Attributes:
        ledger: the validated ledger.
        version: changes whenever the source's content changes (stamped on every score).
        changed_at: when this version was read or written (UTC).
        source: where it comes from (passwords never shown).
    """

    ledger: Ledger
    version: str
    changed_at: dt.datetime
    source: str
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, ledger: Ledger, version: str, source: str) -> LedgerSnapshot:
        counts = {name: len(frame) for name, frame in ledger.tables().items()}
        return cls(ledger, version, dt.datetime.now(dt.UTC), source, counts)


class LedgerSource(Protocol):
    """A place a ledger is read from and ledger events are appended to."""

    description: str

    def fingerprint(self) -> str:
        """Cheap token that changes when the content changes."""
        ...

    def validate(self) -> ValidationResult:
        """Every table checked with the ledger contracts: the ledger of kept rows, the
        quarantined rows with their reasons, row counts (what the batch job reads)."""
        ...

    def read(self) -> tuple[Ledger, str]:
        """The validated ledger and its version (the fingerprint it was read at)."""
        ...

    def persist(
        self,
        raw: dict[str, pd.DataFrame],
        ledger: Ledger,
        upserted: dict[str, list[str]],
        rows: Mapping[str, pd.DataFrame] | None = None,
    ) -> str:
        """Store accepted raw event rows (``ledger`` is the result, ``rows`` the rows added or
        replaced, typed); return the new version."""
        ...


def open_source(spec: str | Path) -> LedgerSource:
    """A ``SqlSource`` for a URL (``sqlite:///...``, ``postgresql://...``), else a folder.

    Raises:
        risk.errors.LedgerError: the folder does not exist.
    """
    from risk.store.folder import FolderSource
    from risk.store.sql import SqlSource

    text = str(spec)
    if "://" in text:
        return SqlSource(text)
    return FolderSource(Path(text))


def validate_source(spec: str | Path) -> ValidationResult:
    """Read and validate the ledger at ``spec`` (folder path or database URL), as the batch job
    and the service both do.

    Raises:
        risk.errors.LedgerError: the source, a required table or column is missing or unreadable.
    """
    return open_source(spec).validate()


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed ledger rows as the text a CSV file holds (ISO dates, true/false, plain numbers)."""
    out = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[name] = values.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_bool_dtype(values.dtype):
            out[name] = values.map({True: "true", False: "false"}).fillna("")
        else:
            out[name] = values.map(_text_value)
    return pd.DataFrame(out, index=frame.index, dtype="str")


def _text_value(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10]
    return str(value)
