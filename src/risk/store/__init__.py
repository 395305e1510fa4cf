"""Ledger sources read by the service (and by any job that wants a current ledger).

A source is a folder of CSV/Parquet tables (``FolderSource``) or a SQL database by URL
(``SqlSource``: SQLite file by default, PostgreSQL in production). ``open_source`` picks one
from a path or a URL; ``validate_source`` reads and validates one (the batch job's input).
``LedgerState`` keeps the current ``LedgerSnapshot`` (ledger, version, row counts, last
change), reloads it when the source changes and appends validated ledger events
(``risk.store.events``) to the source.
"""

from __future__ import annotations

from risk.store.events import EventCheck, check_events
from risk.store.folder import FolderSource
from risk.store.snapshot import LedgerSnapshot, LedgerSource, open_source, validate_source
from risk.store.sql import SqlSource
from risk.store.state import LedgerState

__all__ = [
    "EventCheck",
    "FolderSource",
    "LedgerSnapshot",
    "LedgerSource",
    "LedgerState",
    "SqlSource",
    "check_events",
    "open_source",
    "validate_source",
]
