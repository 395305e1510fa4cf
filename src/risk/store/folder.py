"""A ledger folder (one CSV or Parquet file per table), watched for changes."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pandas as pd

from risk.errors import LedgerError
from risk.io import find_table_files, load_ledger, validate_ledger_dir, write_table
from risk.ledger import Ledger
from risk.validation import ValidationResult

logger = logging.getLogger(__name__)


class FolderSource:
    """Reads a ledger folder; events rewrite the touched tables atomically (rename).

    The version is a hash of the table files' names, sizes and modification times: replacing a
    file (as ``risk.io`` writes do, through a rename) changes it.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.description = f"folder {self.directory}"

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        try:
            files = find_table_files(self.directory)
        except LedgerError:
            return "missing"
        for name, path in sorted(files.items()):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            digest.update(f"{name}:{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        return digest.hexdigest()[:16]

    def validate(self) -> ValidationResult:
        """Every table read and checked with the ledger contracts (kept and quarantined rows).

        Raises:
            LedgerError: the folder or a required table is missing or malformed.
        """
        return validate_ledger_dir(self.directory)

    def read(self) -> tuple[Ledger, str]:
        """Raises: LedgerError: the folder or a required table is missing or malformed."""
        before = self.fingerprint()
        ledger = load_ledger(self.directory)
        after = self.fingerprint()
        if before != after:  # a writer replaced a file while we read: read again
            logger.info("%s changed while being read; reading again", self.description)
            return self.read()
        return ledger, after

    def persist(
        self, raw: dict[str, pd.DataFrame], ledger: Ledger, upserted: dict[str, list[str]]
    ) -> str:
        """Rewrite every table the events touched (CSV or Parquet as found), each atomically.

        Raises:
            LedgerError: the folder is gone.
        """
        files = find_table_files(self.directory)
        tables = ledger.tables()
        touched = set(raw) | ({"credit_notes"} if "invoices" in raw else set())
        for name in sorted(touched & set(tables)):
            path = files.get(name, self.directory / f"{name}.csv")
            write_table(tables[name], path)
        return self.fingerprint()
