"""Data fingerprint of a ledger: a content hash and the date range, for model lineage."""

from __future__ import annotations

import hashlib

import pandas as pd

from risk.ledger import Ledger


def ledger_fingerprint(ledger: Ledger) -> dict[str, str]:
    """sha256 over every table's content (row order and column order included), plus the
    first and last event dates and the row counts."""
    digest = hashlib.sha256()
    counts = []
    for name, frame in ledger.tables().items():
        digest.update(name.encode())
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        counts.append(f"{name}={len(frame)}")
    first, last = ledger.date_range
    return {
        "data_sha256": digest.hexdigest(),
        "data_first_date": str(first.date()),
        "data_last_date": str(last.date()),
        "data_rows": " ".join(counts),
    }
