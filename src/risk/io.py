"""Read and write ledger folders (one CSV or Parquet file per table).

A ledger folder holds ``customers.csv`` and ``invoices.csv`` (or ``.parquet``) and optionally
``credit_notes``, ``payments``, ``legal_events``, ``reminders``, ``disputes`` and
``credit_limits``. CSV files are read as text
and parsed by ``risk.validation``; Parquet files keep their types.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from risk.contracts import TABLES
from risk.errors import LedgerError
from risk.ledger import Ledger
from risk.validation import ValidationResult, validate_tables
from risk.validation.lines import read_csv_text

logger = logging.getLogger(__name__)

LedgerFormat = Literal["csv", "parquet"]
QUARANTINE_DIRNAME = "quarantine"


def find_table_files(directory: Path) -> dict[str, Path]:
    """Map table name -> file for the tables present in ``directory``.

    Raises:
        LedgerError: the folder does not exist, or a table is present both as CSV and Parquet.
    """
    if not directory.is_dir():
        raise LedgerError(f"ledger folder {str(directory)!r} does not exist")
    found: dict[str, Path] = {}
    for name in TABLES:
        candidates = [directory / f"{name}.{ext}" for ext in ("csv", "parquet")]
        present = [path for path in candidates if path.is_file()]
        if len(present) > 1:
            raise LedgerError(
                f"table {name!r} is in {directory} twice ({present[0].name} and "
                f"{present[1].name}); keep one"
            )
        if present:
            found[name] = present[0]
    pending = pending_compaction(directory)
    if pending is not None:  # a committed compaction's tables, not all moved into place yet
        for name in TABLES:
            for ext in ("csv", "parquet"):
                if (pending / f"{name}.{ext}").is_file():
                    found[name] = pending / f"{name}.{ext}"
    return found


def read_raw_table(path: Path) -> pd.DataFrame:
    """Read one table file: CSV as text (nothing guessed), Parquet with its types.

    A CSV record with an undecodable byte or the wrong number of fields does not stop the
    read: it is flagged (:mod:`risk.validation.lines`) and quarantined by validation.

    Raises:
        LedgerError: the file cannot be parsed as CSV / Parquet.
    """
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return read_csv_text(path)  # broken records are flagged for quarantine, not fatal
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise LedgerError(f"cannot read {path}: {exc}") from exc


EVENTS_DIRNAME = "events"
#: tables whose rows an event replaces by key (the others are appended to)
UPSERT_KEYS = {"customers": "customer_id", "invoices": "invoice_id"}


#: ``events/compacted``: the last batch folded into the tables by a compaction (JSON)
COMPACTED_NAME = "compacted"
#: ``events/compact-<n>/``: a committed compaction's tables (folded through batch n), being
#: moved over the folder's tables (``risk.store.compact``)
COMPACTING_PREFIX = "compact-"


def pending_compaction(directory: Path) -> Path | None:
    """The committed compaction not yet rolled forward (``events/compact-<n>/``), if any."""
    folder = directory / EVENTS_DIRNAME
    if not folder.is_dir():
        return None
    found = [
        p
        for p in folder.iterdir()
        if p.is_dir() and p.name.startswith(COMPACTING_PREFIX) and p.name[8:].isdigit()
    ]
    return max(found, key=lambda p: int(p.name[8:])) if found else None


def compaction_marker(directory: Path) -> dict[str, object]:
    """What the last compaction recorded (``through``: its last batch folded, ``files`` and
    ``version``: see ``risk.store.compact``): the pending one's, else ``events/compacted``'s,
    else {}."""
    import json

    pending = pending_compaction(directory)
    paths = [directory / EVENTS_DIRNAME / COMPACTED_NAME]
    if pending is not None:  # its record goes last, once events/compacted holds the same
        paths.insert(0, pending / COMPACTED_NAME)
    for path in paths:
        try:
            return dict(json.loads(path.read_text()))
        except (FileNotFoundError, ValueError):
            continue
    return {}


def event_batches(directory: Path, folded: bool = False) -> list[Path]:
    """The event batches stored in a ledger folder, oldest first: ``events/<number>/`` folders,
    each with one file per table of a batch (``risk.store.FolderSource.persist``). Batches a
    compaction already folded into the tables (numbered up to its ``through``, not yet
    deleted) are left out unless ``folded``."""
    folder = directory / EVENTS_DIRNAME
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()]
    if not folded:
        through = int(str(compaction_marker(directory).get("through", 0)))
        found = [p for p in found if int(p.name) > through]
    return sorted(found, key=lambda p: int(p.name))


def event_files(directory: Path) -> dict[str, list[Path]]:
    """Table name -> its event files, oldest first."""
    out: dict[str, list[Path]] = {}
    for batch in event_batches(directory):
        for name in TABLES:
            for ext in ("csv", "parquet"):
                path = batch / f"{name}.{ext}"
                if path.is_file():
                    out.setdefault(name, []).append(path)
    return out


def merge_events(base: pd.DataFrame | None, name: str, events: list[pd.DataFrame]) -> pd.DataFrame:
    """A table's rows with its event rows applied in order: appended, or for customers and
    invoices replacing the row of their key where it stands (as ``risk.store.events`` does in
    memory, so that a ledger read back is row for row the one the events gave)."""
    from risk.lookup import positions_in

    frames = [f for f in ([base] if base is not None else []) + events]
    current = frames[0]
    key = UPSERT_KEYS.get(name)
    for rows in frames[1:]:
        rows = rows.reset_index(drop=True)
        combined = pd.concat([current, rows], ignore_index=True)
        if key is not None and key in rows and key in current:
            at = positions_in(rows[key], current[key])
            old = at >= 0
            if old.any():
                order = np.arange(len(current), dtype=np.int64)
                order[at[old]] = len(current) + np.flatnonzero(old)
                order = np.concatenate([order, len(current) + np.flatnonzero(~old)])
                combined = combined.take(order).reset_index(drop=True)
        current = combined
    return current


class RawTables(Mapping[str, pd.DataFrame]):
    """The table files of a ledger folder, each read (unparsed) when it is looked up, with the
    folder's stored event batches applied (``events/``, in the tables' own format).

    Nothing is cached: validation reads a table, checks it and lets it go before reading the
    next one, so a large ledger's raw text is never in memory all at once.
    """

    def __init__(self, directory: Path) -> None:
        self.files = find_table_files(directory)
        self.events = event_files(directory)

    def __getitem__(self, name: str) -> pd.DataFrame:
        base = read_raw_table(self.files[name]) if name in self.files else None
        events = [read_raw_table(path) for path in self.events.get(name, [])]
        if not events:
            if base is None:
                raise KeyError(name)
            return base
        return merge_events(base, name, events)

    def __contains__(self, name: object) -> bool:  # without reading the file (Mapping's would)
        return name in self.files or name in self.events

    def __iter__(self) -> Iterator[str]:
        return iter([n for n in TABLES if n in self.files or n in self.events])

    def __len__(self) -> int:
        return len(list(iter(self)))


def read_raw_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """Read every table file of a ledger folder, unparsed."""
    return dict(RawTables(directory))


@contextlib.contextmanager
def folder_lock(directory: Path, exclusive: bool = False) -> Iterator[None]:
    """Hold the folder's lock (``events/.lock``, ``flock``): readers share it while they list
    and read the files, a compaction holds it alone while it swaps the tables, so a reader
    sees the folder before or after a compaction, never half-way. A folder without stored
    events (nothing to compact) or a read-only one is read without it."""
    import fcntl

    path = directory / EVENTS_DIRNAME / ".lock"
    with contextlib.ExitStack() as stack:
        try:
            handle = stack.enter_context(open(path, "a+b")) if path.parent.is_dir() else None
        except OSError:
            handle = None
        if handle is None:
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def validate_ledger_dir(directory: Path) -> ValidationResult:
    """Read and validate a ledger folder; nothing is written.

    Raises:
        LedgerError: the folder, a required table or a required column is missing.
    """
    with folder_lock(directory):
        return validate_tables(RawTables(directory))


def write_quarantine(result: ValidationResult, directory: Path) -> dict[str, Path]:
    """Write the quarantined rows of each table to ``directory/<table>.csv`` (atomically).

    Stale quarantine files of tables that now have no rejected rows are removed, so the folder
    always describes the last validation.
    """
    written: dict[str, Path] = {}
    for name in TABLES:
        path = directory / f"{name}.csv"
        rows = result.quarantine.get(name)
        if rows is None or rows.empty:
            path.unlink(missing_ok=True)
            continue
        directory.mkdir(parents=True, exist_ok=True)
        _atomic_write(
            path, lambda tmp, rows=rows: rows.to_csv(tmp, index=False, lineterminator="\n")
        )
        written[name] = path
    return written


def load_ledger(directory: Path, quarantine_dir: Path | None = None) -> Ledger:
    """Read, validate and return the kept ledger; rejected rows go to the quarantine folder.

    Args:
        directory: ledger folder.
        quarantine_dir: where rejected rows are written (default ``<directory>/quarantine``).

    Raises:
        LedgerError: the folder, a required table or a required column is missing.
    """
    result = validate_ledger_dir(directory)
    target = quarantine_dir or directory / QUARANTINE_DIRNAME
    if result.n_quarantined or target.is_dir():
        write_quarantine(result, target)
    if result.n_quarantined:
        logger.warning("%d row(s) of %s quarantined to %s", result.n_quarantined, directory, target)
    return result.ledger


def _format_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for name in out.columns:
        if pd.api.types.is_bool_dtype(out[name].dtype):
            out[name] = out[name].map({True: "true", False: "false"}).astype("str")
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, write: object) -> None:
    """Write through a temporary file in the same folder, then rename over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)  # type: ignore[operator]
        tmp.chmod(0o666 & ~_umask())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write one frame as CSV (ISO dates, cents, true/false) or Parquet, by the file suffix."""
    if path.suffix == ".parquet":
        _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
    else:
        text = _format_for_csv(frame)
        _atomic_write(
            path,
            lambda tmp: text.to_csv(
                tmp, index=False, date_format="%Y-%m-%d", float_format="%.2f", lineterminator="\n"
            ),
        )
    return path


def write_ledger(ledger: Ledger, directory: Path, fmt: LedgerFormat = "csv") -> dict[str, Path]:
    """Write every table of ``ledger`` to ``directory`` in ``fmt``; same ledger, same bytes.

    Files of the other format for the same tables are removed so the folder stays unambiguous.
    """
    other = "parquet" if fmt == "csv" else "csv"
    written: dict[str, Path] = {}
    for name, frame in ledger.tables().items():
        (directory / f"{name}.{other}").unlink(missing_ok=True)
        written[name] = write_table(frame, directory / f"{name}.{fmt}")
    return written
