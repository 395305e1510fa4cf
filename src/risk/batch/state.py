"""Run state: per-customer content hashes, the chunk manifest and the last-run record.

Layout under the output folder ``DEST``::

    DEST/.chunks/<as_of>/manifest.json        run settings the chunks were computed with
    DEST/.chunks/<as_of>/chunk-00007/         one completed chunk (renamed into place)
    DEST/latest/summary.json                  the published run, with its settings
    DEST/latest/state/customer_hashes.parquet customer_id, unit, content_hash of that run

The last run's state is part of its run folder, so it is published with the outputs it
describes (:mod:`risk.batch.publish`).

A chunk is reused on resume only when the manifest matches the current settings and the
chunk's content hash (over its customers' ledger rows) is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk.batch.partition import row_owners, scoring_units
from risk.batch.publish import FILE_MODE, latest_run, read_summary
from risk.errors import RiskError
from risk.ledger import Ledger
from risk.lookup import positions_in

logger = logging.getLogger(__name__)

STATE_DIRNAME = "state"
CHUNKS_DIRNAME = ".chunks"
_SALT = {
    "customers": 1,
    "invoices": 3,
    "credit_notes": 5,
    "legal_events": 7,
    "payments": 11,
    "reminders": 13,
    "disputes": 17,
    "credit_limits": 19,
    "invoice_statuses": 23,
}


class IncrementalRunError(RiskError):
    """``--since-last-run`` cannot be honoured (e.g. a different as-of date)."""


@dataclass(frozen=True)
class RunSettings:
    """Everything the scores of a run depend on besides the ledger rows."""

    as_of: str
    model_versions: str
    explain: str
    chunk_customers: int
    top: int | None
    chunk_rows: int | None = None

    def key(self) -> str:
        """Short digest of the settings (``chunk_rows`` counts only when set, so that the
        states of customer-sized runs keep their key)."""
        settings = asdict(self)
        if settings["chunk_rows"] is None:
            del settings["chunk_rows"]
        text = json.dumps(settings, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def customer_hashes(ledger: Ledger, owners: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Content hash of every customer's ledger rows (its own rows and its invoices' rows).

    Row hashes (pandas' fixed-key SipHash of every column) are combined per customer by a
    wrapping uint64 sum, salted per table, so the hash ignores row order.

    Args:
        ledger: the validated ledger.
        owners: :func:`risk.batch.partition.row_owners` of ``ledger`` when already computed.

    Returns:
        ``customer_id, unit, content_hash`` (hex string), sorted by ``customer_id``.
    """
    owners = owners if owners is not None else row_owners(ledger)
    customers = ledger.customers
    total = np.zeros(len(customers), dtype="uint64")
    for name, salt in _SALT.items():
        frame = getattr(ledger, name)
        if frame is None or not len(frame):
            continue
        owner = owners[name]
        known = owner >= 0
        mixed = _row_hashes(frame) * np.uint64(salt) + np.uint64(salt)
        np.add.at(total, owner[known], mixed[known])
    return (
        pd.DataFrame(
            {
                "customer_id": customers["customer_id"].astype("str").to_numpy(),
                "unit": scoring_units(customers).to_numpy(),
                "content_hash": [f"{v:016x}" for v in total],
            }
        )
        .sort_values("customer_id", kind="stable")
        .reset_index(drop=True)
    )


def chunk_hashes(hashes: pd.DataFrame, plan: dict[int, tuple[str, ...]]) -> dict[int, str]:
    """Digest of each chunk's customers and their content hashes (sorted by customer id).

    A completed chunk is reused only when its digest is unchanged.
    """
    members = [customer for ids in plan.values() for customer in ids]
    found = positions_in(np.array(members, dtype=object), hashes["customer_id"])
    lines = (hashes["customer_id"] + "=" + hashes["content_hash"]).to_numpy()
    out: dict[int, str] = {}
    start = 0
    for number, ids in plan.items():
        rows = np.sort(found[start : start + len(ids)])
        start += len(ids)
        text = "\n".join(lines[rows[rows >= 0]])
        out[number] = hashlib.sha256(text.encode()).hexdigest()
    return out


def changed_customers(current: pd.DataFrame, previous: pd.DataFrame) -> set[str]:
    """Customers to rescore: every member of a unit where any member is new, gone or changed.

    Args:
        current: :func:`customer_hashes` of the ledger now.
        previous: the same frame stored by the last run.
    """
    columns = ["customer_id", "unit", "content_hash"]
    both = current[columns].merge(previous[columns], how="outer", indicator=True)
    touched = set(both.loc[both["_merge"] != "both", "unit"])
    return set(current.loc[current["unit"].isin(touched), "customer_id"])


def write_json(path: Path, payload: dict[str, object]) -> None:
    """Write JSON atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, sort_keys=True, default=str)
        handle.write("\n")
    os.chmod(tmp, FILE_MODE)  # mkstemp creates 0600; every output file is 0644
    os.replace(tmp, path)


def chunks_dir(dest: Path, as_of: pd.Timestamp) -> Path:
    """Folder of the chunk files of one as-of date."""
    return dest / CHUNKS_DIRNAME / pd.Timestamp(as_of).date().isoformat()


def open_manifest(dest: Path, settings: RunSettings) -> Path:
    """The chunk folder for ``settings``, emptied first if it holds chunks of other settings."""
    folder = chunks_dir(dest, pd.Timestamp(settings.as_of))
    manifest = folder / "manifest.json"
    if manifest.is_file():
        stored = json.loads(manifest.read_text(encoding="utf-8"))
        if stored.get("settings_key") == settings.key():
            return folder
        logger.info("chunks in %s were computed with other settings: starting afresh", folder)
        remove_tree(folder)
    write_json(manifest, {"settings": asdict(settings), "settings_key": settings.key()})
    return folder


def completed_chunk(folder: Path, number: int, content_hash: str) -> Path | None:
    """The completed chunk folder when its content hash still matches, else ``None``."""
    path = folder / f"chunk-{number:05d}"
    done = path / "done.json"
    if not done.is_file():
        return None
    stored = json.loads(done.read_text(encoding="utf-8"))
    return path if stored.get("content_hash") == content_hash else None


def remove_tree(path: Path) -> None:
    """Remove a folder tree (files first), ignoring a missing folder."""
    if not path.exists():
        return
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if child.is_dir():
            child.rmdir()
        else:
            child.unlink()
    path.rmdir()


def load_last_run(dest: Path) -> tuple[dict[str, object], pd.DataFrame] | None:
    """Settings and customer hashes of the published run (``DEST/latest``), if any."""
    folder = latest_run(dest)
    if folder is None:
        return None
    hashes = folder / STATE_DIRNAME / "customer_hashes.parquet"
    if not hashes.is_file():
        return None
    return read_summary(folder), pd.read_parquet(hashes)


def save_run_state(folder: Path, hashes: pd.DataFrame) -> None:
    """Store the customer hashes in the run folder (published with the run)."""
    from risk.batch.outputs import write_parquet

    write_parquet(hashes, folder / STATE_DIRNAME / "customer_hashes.parquet")


def check_incremental(previous: dict[str, object], settings: RunSettings) -> bool:
    """Whether the last run's outputs can be carried over for ``settings``.

    Returns:
        False when the models, the explanation mode, or the worklist size changed (a full run
        is needed and is done).

    Raises:
        IncrementalRunError: the last run was for another as-of date.
    """
    stored = previous.get("settings")
    if not isinstance(stored, dict):
        stored = {}
    if stored.get("as_of") != settings.as_of:
        raise IncrementalRunError(
            f"--since-last-run needs the same as-of date as the last run: the last run was as of "
            f"{stored.get('as_of')}, this one is as of {settings.as_of}. With a new as-of date "
            "every customer's features change (invoice ages, days past due); run without "
            "--since-last-run."
        )
    same = all(
        stored.get(name) == getattr(settings, name) for name in ("model_versions", "explain", "top")
    )
    if not same:
        logger.warning("models, explanation mode or worklist size changed: full rescoring")
    return same
