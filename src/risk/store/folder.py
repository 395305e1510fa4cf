"""A ledger folder (one CSV or Parquet file per table), watched for changes."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from risk.errors import LedgerError
from risk.io import (
    EVENTS_DIRNAME,
    find_table_files,
    folder_lock,
    load_ledger,
    validate_ledger_dir,
    write_table,
)
from risk.ledger import Ledger
from risk.store.compact import chained_version, compact, last_batch_number, needs_compaction
from risk.validation import ValidationResult

logger = logging.getLogger(__name__)


class FolderSource:
    """Reads a ledger folder; event batches are stored beside its tables (``events/``).

    The version is a hash of the table files' names, sizes and modification times with the
    stored event batches chained on: replacing a file (as ``risk.io`` writes do, through a
    rename) or adding a batch changes it; folding the batches into the tables
    (``risk.store.compact``) does not.

    Args:
        directory: the ledger folder.
        compact_in_background: once a stored batch takes the folder past the compaction
            threshold (``risk.store.compact.COMPACT_BATCHES`` / ``COMPACT_BYTES``), fold the
            batches into the tables in a background thread.
    """

    def __init__(self, directory: Path, compact_in_background: bool = True) -> None:
        self.directory = Path(directory)
        self.description = f"folder {self.directory}"
        self.compact_in_background = compact_in_background
        self._compacting: threading.Thread | None = None

    def fingerprint(self) -> str:
        try:
            with folder_lock(self.directory):
                return chained_version(self.directory)[:16]
        except LedgerError:
            return "missing"

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
        self,
        raw: dict[str, pd.DataFrame],
        ledger: Ledger,
        upserted: dict[str, list[str]],
        rows: Mapping[str, pd.DataFrame] | None = None,
    ) -> str:
        """Store an event batch as one new folder ``events/<number>/`` with a file per table
        (in the table's format), renamed into place whole: the tables are not rewritten, so
        storing a batch costs its rows, not the ledger's. Readers (``risk.io.RawTables``)
        apply the batches in order: rows appended, customers and invoices replaced by key.

        Args:
            raw: the accepted rows as sent (text).
            ledger: the ledger with the batch applied.
            upserted: keys replaced.
            rows: table -> the rows the batch added or replaced, typed as in ``ledger``
                (``risk.store.events.EventCheck.rows``); without it, the touched tables are
                rewritten whole.

        Raises:
            LedgerError: the folder is gone.
        """
        files = find_table_files(self.directory)
        formats = {path.suffix for path in files.values()}
        if rows is None or len(formats) > 1:  # a folder of mixed formats: rewritten whole
            tables = ledger.tables()
            touched = set(raw) | ({"credit_notes"} if "invoices" in raw else set())
            for name in sorted(touched & set(tables)):
                path = files.get(name, self.directory / f"{name}.csv")
                write_table(tables[name], path)
            return self.fingerprint()
        folder = self.directory / EVENTS_DIRNAME
        folder.mkdir(exist_ok=True)
        with folder_lock(self.directory):  # not while a compaction swaps the tables
            number = last_batch_number(self.directory) + 1  # after the batches folded too
        staging = Path(tempfile.mkdtemp(prefix=".batch-", dir=folder))
        try:
            # the rows as the ledger holds them, every column (a column the batch left out
            # took the contract's default in memory: written, it reads back the same)
            ext = formats.pop() if formats else ".csv"
            for name, frame in rows.items():
                if len(frame):
                    write_table(frame, staging / f"{name}{ext}")
            staging.rename(folder / f"{number:08d}")
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        if self.compact_in_background and needs_compaction(self.directory):
            self._compact_later()
        return self.fingerprint()

    def compact(self, wait: bool = True) -> int:
        """Fold the stored event batches into the tables (``risk.store.compact.compact``); the
        number of batches folded. The folder's version stays the same."""
        return compact(self.directory, wait=wait)

    def _compact_later(self) -> None:
        if self._compacting is not None and self._compacting.is_alive():
            return

        def run() -> None:
            try:
                compact(self.directory, wait=False)
            except Exception:  # the batches stay stored and read; the next batch retries
                logger.exception("compacting %s failed", self.description)

        self._compacting = threading.Thread(target=run, name="ledger-compact", daemon=True)
        self._compacting.start()

    def settle(self, timeout_s: float | None = None) -> None:
        """Wait for a background compaction (tests, benchmarks)."""
        if self._compacting is not None:
            self._compacting.join(timeout_s)
