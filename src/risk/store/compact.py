"""Compaction of a ledger folder's event batches (``events/<n>/``) into its tables.

A folder stores each event batch beside its tables (``risk.store.FolderSource.persist``) and
every reader applies the batches in order, so a folder that recorded thousands of actions reads
slower each time. A compaction folds the batches stored so far into the tables:

1. the touched tables, with the batches up to ``n`` applied (``risk.io.merge_events``, the
   readers' own rule), are written to a staging folder ``events/.compact-*`` with a
   ``compacted`` record: ``through`` (``n``), ``files`` (the digest of the tables' names, sizes
   and modification times once in place) and ``version`` (the folder's version through batch
   ``n``);
2. **commit**: the staging folder is renamed ``events/compact-<n>/``, in one step, under the
   folder's lock held alone (``risk.io.folder_lock``; readers share it);
3. roll forward: each table is renamed over the folder's, ``events/compacted`` is written,
   the folded batches and the ``compact-<n>`` folder are deleted.

Readers (``risk.io.find_table_files``, ``risk.io.event_batches``) take a table from a
``compact-<n>/`` folder when one is there and skip the batches up to its ``through``: before the
commit they see the old tables and every batch, after it the folded tables and the later
batches; the same ledger either way, at every step. A crash before the commit leaves a staging
folder nobody reads (deleted by the next compaction); a crash after it leaves a committed
compaction that readers already follow and that the next compaction (or the next batch
stored) rolls forward. Batch numbers keep increasing across compactions (the next batch is
numbered after ``through``), and the folder's version does not change: a rename keeps a file's
size and modification time, and the version chains the batches after ``through`` onto the
recorded ``version`` when the tables are the recorded ``files``.

The service compacts in a background thread once a folder holds more than
``COMPACT_BATCHES`` batches or ``COMPACT_BYTES`` of batch files; ``risk compact DIR`` does it
by hand.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from risk.contracts import TABLES
from risk.io import (
    COMPACTED_NAME,
    COMPACTING_PREFIX,
    EVENTS_DIRNAME,
    compaction_marker,
    event_batches,
    find_table_files,
    folder_lock,
    merge_events,
    pending_compaction,
    read_raw_table,
)
from risk.validation.lines import LINE_ERROR

logger = logging.getLogger(__name__)

#: a folder is compacted once it holds more batches than this ...
COMPACT_BATCHES = 64
#: ... or more bytes of batch files than this (32 MiB)
COMPACT_BYTES = 32 * 1024 * 1024

Step = Callable[[str], None]


def _no_step(step: str) -> None:
    return None


def files_digest(files: dict[str, Path]) -> str:
    """Digest of the table files' names, sizes and modification times (a rename keeps them)."""
    digest = hashlib.sha256()
    for name, path in sorted(files.items()):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        digest.update(f"{name}:{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()


def chained_version(directory: Path, through: int | None = None) -> str:
    """The folder's version (full hex): the tables' digest, or the version a compaction recorded
    when the tables are the ones it wrote, then each stored batch chained on, up to ``through``
    when given. Caller holds the folder's lock (shared)."""
    files = find_table_files(directory)
    version = files_digest(files)
    marker = compaction_marker(directory)
    if marker and marker.get("files") == version:
        version = str(marker["version"])
    for batch in event_batches(directory):
        if through is not None and int(batch.name) > through:
            break
        version = hashlib.sha256(f"{version}:events:{batch.name}".encode()).hexdigest()
    return version


def last_batch_number(directory: Path) -> int:
    """The highest batch number the folder ever used (stored, or folded by a compaction)."""
    batches = event_batches(directory, folded=True)
    stored = int(batches[-1].name) if batches else 0
    return max(stored, int(str(compaction_marker(directory).get("through", 0))))


def needs_compaction(directory: Path) -> bool:
    """More than ``COMPACT_BATCHES`` batches or ``COMPACT_BYTES`` of batch files stored."""
    batches = event_batches(directory)
    if len(batches) > COMPACT_BATCHES:
        return True
    size = 0
    try:
        for batch in batches:
            size += sum(f.stat().st_size for f in batch.iterdir() if f.is_file())
            if size > COMPACT_BYTES:
                return True
    except FileNotFoundError:  # a compaction is deleting the batches it folded
        return False
    return False


@contextlib.contextmanager
def _compactor(directory: Path, wait: bool) -> Iterator[bool]:
    """One compaction of a folder at a time (``events/.compact.lock``); yields False when
    another holds it and ``wait`` is False."""
    folder = directory / EVENTS_DIRNAME
    folder.mkdir(exist_ok=True)
    with open(folder / ".compact.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _roll_forward(directory: Path, pending: Path, step: Step) -> None:
    """Finish a committed compaction (caller holds the folder's lock alone)."""
    marker = compaction_marker(directory)  # the pending one's, or events/compacted once released
    for path in sorted(pending.iterdir()):
        if path.name != COMPACTED_NAME and path.is_file():
            os.replace(path, directory / path.name)
            step(f"moved {path.name}")
    _write_atomic(directory / EVENTS_DIRNAME / COMPACTED_NAME, json.dumps(marker))
    step("recorded")
    for batch in event_batches(directory, folded=True):
        if int(batch.name) <= int(marker["through"]):
            shutil.rmtree(batch)
            step(f"deleted batch {batch.name}")
    (pending / COMPACTED_NAME).unlink(missing_ok=True)  # events/compacted holds the same
    step("released")
    shutil.rmtree(pending)


def recover(directory: Path, step: Step = _no_step) -> None:
    """Finish a compaction a crash interrupted: roll a committed one forward, delete a staging
    folder never committed. Caller holds the compactor's lock."""
    folder = directory / EVENTS_DIRNAME
    for staging in folder.glob(f".{COMPACTING_PREFIX}*"):
        shutil.rmtree(staging, ignore_errors=True)
    if pending_compaction(directory) is None:
        return
    with folder_lock(directory, exclusive=True):
        pending = pending_compaction(directory)
        while pending is not None:
            _roll_forward(directory, pending, step)
            pending = pending_compaction(directory)


def compact(directory: Path, wait: bool = True, step: Step = _no_step) -> int:
    """Fold the folder's stored event batches into its tables; the number of batches folded
    (0: nothing to fold, another compaction running and ``wait`` False, or a folder this
    cannot compact: tables of both formats, a CSV table with broken records).

    ``step`` is called after each step with its name (tests stop there to play a crash).
    """
    directory = Path(directory)
    if not (directory / EVENTS_DIRNAME).is_dir():
        return 0
    with _compactor(directory, wait) as mine:
        if not mine:
            return 0
        recover(directory, step)
        with folder_lock(directory):
            files = find_table_files(directory)
            batches = event_batches(directory)
            if not batches:
                return 0
            through = int(batches[-1].name)
            version = chained_version(directory, through)
        formats = {path.suffix for path in files.values()}
        if len(formats) > 1:
            logger.warning("%s: tables of both formats; not compacted", directory)
            return 0
        ext = formats.pop() if formats else ".csv"
        events: dict[str, list[Path]] = {}
        for batch in batches:
            for name in TABLES:
                for path in (batch / f"{name}.csv", batch / f"{name}.parquet"):
                    if path.is_file():
                        events.setdefault(name, []).append(path)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{COMPACTING_PREFIX}", dir=directory / EVENTS_DIRNAME)
        )
        try:
            placed = dict(files)
            for name, paths in events.items():
                base = read_raw_table(files[name]) if name in files else None
                rows = [read_raw_table(path) for path in paths]
                frames = ([base] if base is not None else []) + rows
                if any(LINE_ERROR in frame.columns for frame in frames):
                    logger.warning("%s: %s has broken records; not compacted", directory, name)
                    return 0
                merged = merge_events(base, name, rows)
                target = staging / f"{name}{ext}"
                _write_table_as_read(merged, target)
                placed[name] = directory / target.name
            step("staged")
            # the digest the tables will have in place (a rename keeps names' sizes and times)
            staged = {
                name: (staging / path.name if name in events else path)
                for name, path in placed.items()
            }
            marker = {"through": through, "files": files_digest(staged), "version": version}
            _write_atomic(staging / COMPACTED_NAME, json.dumps(marker))
            with folder_lock(directory, exclusive=True):
                committed = directory / EVENTS_DIRNAME / f"{COMPACTING_PREFIX}{through}"
                staging.rename(committed)
                step("committed")
                _roll_forward(directory, committed, step)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        logger.info("%s: %d event batches folded into the tables", directory, len(batches))
        return len(batches)


def _write_table_as_read(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as ``risk.io.read_raw_table`` read it: Parquet with its types, CSV text as
    it was (nothing formatted again)."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")
