"""Run folders published whole or not at all.

Layout under the output folder ``DEST``::

    DEST/runs/<as_of>-<run id>/          one run: outputs, quarantine/, state/, summary.json
    DEST/latest -> runs/<as_of>-<run id> the published run (a symbolic link)
    DEST/runs/published.txt              every run folder once published, one per line
    DEST/.lock                           held by the run writing into DEST

A run writes every file into its own folder; ``summary.json`` is written last and names the
run id and the SHA-256 of every other file; then the ``latest`` link is replaced by one
``rename`` (atomic on POSIX file systems). A reader that opens ``DEST/latest/`` therefore sees
one complete run, never files of two runs. A run that fails (disk full, killed, any error)
leaves ``latest`` untouched; its folder, never published, is removed by the next run.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from risk.errors import RiskError

logger = logging.getLogger(__name__)

RUNS_DIRNAME = "runs"
LATEST = "latest"
SUMMARY = "summary.json"
LOCK = ".lock"
HISTORY = "published.txt"
FILE_MODE = 0o644
DIR_MODE = 0o755


class OutputError(RiskError):
    """An output file, folder or table could not be written (nothing was published)."""


class OutputBusyError(OutputError):
    """Another run is writing into the same output folder."""


def new_run_id() -> str:
    """A sortable, unique run id: UTC time to the second and 6 random hex digits."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_folder(dest: Path, as_of: str, run_id: str) -> Path:
    """Folder of one run: ``DEST/runs/<as_of>-<run id>``."""
    return dest / RUNS_DIRNAME / f"{as_of}-{run_id}"


def make_dir(path: Path) -> Path:
    """Create a folder (and parents) with the outputs' folder mode."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def check_writable(dest: Path) -> None:
    """Fail now, before any work, when ``dest`` cannot hold a run.

    Creates ``dest`` and ``dest/runs``, writes, syncs and removes a probe file.

    Raises:
        OutputError: naming the folder and the system's reason.
    """
    probe = dest / RUNS_DIRNAME / f".probe-{secrets.token_hex(4)}"
    try:
        make_dir(probe.parent)
        with probe.open("wb") as handle:
            handle.write(b"risk")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise OutputError(f"output folder {str(dest)!r} is not writable: {exc.strerror}") from exc
    finally:
        with suppress(OSError):
            probe.unlink(missing_ok=True)


@contextmanager
def output_lock(dest: Path) -> Iterator[None]:
    """Hold ``DEST/.lock`` for the run: a second run into the same folder fails at once.

    Raises:
        OutputBusyError: another process holds the lock.
    """
    make_dir(dest)
    with (dest / LOCK).open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise OutputBusyError(
                f"another run is writing into {str(dest)!r} (it holds {dest / LOCK}); "
                "wait for it to finish"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def sha256(path: Path) -> str:
    """SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file of a run folder except ``summary.json``."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SUMMARY)
    return {p.relative_to(folder).as_posix(): sha256(p) for p in files}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_summary(folder: Path, payload: dict[str, object]) -> Path:
    """Write ``summary.json`` last, with the hash of every other file of the run.

    Every file is synced to disk first, so that the summary never describes files that a
    crash could still lose.
    """
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    body = {**payload, "files": file_hashes(folder)}
    path = folder / SUMMARY
    tmp = folder / f".{SUMMARY}.tmp"
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(body, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    tmp.chmod(FILE_MODE)
    os.replace(tmp, path)
    _fsync_dir(folder)
    return path


def publish(dest: Path, folder: Path) -> None:
    """Point ``DEST/latest`` at ``folder`` in one rename (a relative symbolic link)."""
    if not (folder / SUMMARY).is_file():
        raise OutputError(f"run folder {folder} has no {SUMMARY}: refusing to publish it")
    tmp = dest / f".{LATEST}.{secrets.token_hex(4)}"
    os.symlink(folder.relative_to(dest).as_posix(), tmp)
    try:
        os.replace(tmp, dest / LATEST)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(dest)
    logger.info("published %s", folder)
    try:  # the run is published now; the history only decides what pruning keeps
        with (dest / RUNS_DIRNAME / HISTORY).open("a", encoding="utf-8") as history:
            history.write(folder.name + "\n")
    except OSError as exc:
        logger.warning("could not record %s in %s: %s", folder.name, HISTORY, exc)


def latest_run(dest: Path) -> Path | None:
    """The published run folder, or ``None`` when nothing was published yet."""
    link = dest / LATEST
    if not link.is_symlink():
        return None
    target = (dest / os.readlink(link)).resolve()
    return target if (target / SUMMARY).is_file() else None


def read_summary(folder: Path) -> dict[str, object]:
    """The ``summary.json`` of a run folder."""
    loaded = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def verify(folder: Path) -> list[str]:
    """Files of a run whose content differs from its summary (missing, changed or extra)."""
    recorded = read_summary(folder).get("files", {})
    actual = file_hashes(folder)
    if not isinstance(recorded, dict):
        return sorted(actual)
    names = set(recorded) | set(actual)
    return sorted(n for n in names if recorded.get(n) != actual.get(n))


def discard(folder: Path) -> None:
    """Remove an unpublished run folder (best effort: the run failed already)."""
    shutil.rmtree(folder, ignore_errors=True)


def prune(dest: Path, keep: int) -> list[Path]:
    """Remove never-published run folders and all but the ``keep`` newest published ones.

    Called with the output lock held, so no other run is writing a folder here.
    """
    runs = dest / RUNS_DIRNAME
    if not runs.is_dir():
        return []
    current = latest_run(dest)
    history = runs / HISTORY
    names = set(history.read_text(encoding="utf-8").split()) if history.is_file() else set()
    published = sorted(
        (p for p in runs.iterdir() if p.is_dir() and p.name in names),
        key=lambda p: p.name.split("-", 3)[-1],  # by run id (time first)
    )
    kept = set(published[-max(keep, 1) :]) | ({current} if current else set())
    removed = [p for p in runs.iterdir() if p.is_dir() and p not in kept]
    for path in removed:
        discard(path)
    if removed and history.is_file():
        tmp = runs / f".{HISTORY}.tmp"
        tmp.write_text("".join(f"{p.name}\n" for p in sorted(kept)), encoding="utf-8")
        tmp.chmod(FILE_MODE)
        os.replace(tmp, history)
    return removed
