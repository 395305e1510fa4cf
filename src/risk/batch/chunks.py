"""The per-chunk scoring function (shared by every engine) and the chunk files.

``score_chunk`` calls the scoring core's own methods (``Scorer.score_customers`` and
``Scorer.score_invoices``) on a chunk's sub-ledger: there is no second scoring implementation.
A completed chunk is a folder ``chunk-NNNNN`` written under a temporary name and renamed into
place, so a killed run leaves either a whole chunk or none.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from risk.batch.outputs import publishable
from risk.batch.partition import Chunk
from risk.batch.state import write_json
from risk.ledger import Ledger
from risk.scoring import Scorer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkScores:
    """Scores of one chunk and the seconds spent on each level."""

    customers: pd.DataFrame
    invoices: pd.DataFrame
    customer_seconds: float
    invoice_seconds: float


def score_chunk(scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, explain: bool) -> ChunkScores:
    """Score every customer and every open invoice of a (sub-)ledger at ``as_of``.

    Args:
        scorer: loaded models and decision settings.
        ledger: the chunk's sub-ledger (whole scoring units only).
        as_of: the as-of date.
        explain: compute reason codes for every row.

    Returns:
        Customer and invoice scores without the in-memory ``reasons`` column.
    """
    start = time.perf_counter()
    customers = publishable(scorer.score_customers(ledger, as_of, explain=explain))
    middle = time.perf_counter()
    invoices = publishable(scorer.score_invoices(ledger, as_of, explain=explain))
    return ChunkScores(customers, invoices, middle - start, time.perf_counter() - middle)


ChunkDone = Callable[[Chunk, ChunkScores], None]


def run_pandas(
    chunks: Iterable[Chunk], scorer: Scorer, as_of: pd.Timestamp, explain: bool, done: ChunkDone
) -> None:
    """The pandas engine: score the chunks one after the other in this process."""
    for chunk in chunks:
        done(chunk, score_chunk(scorer, chunk.ledger, as_of, explain))


def chunk_path(folder: Path, number: int) -> Path:
    """Final folder of chunk ``number``."""
    return folder / f"chunk-{number:05d}"


def write_chunk(folder: Path, number: int, content_hash: str, scores: ChunkScores) -> Path:
    """Write a completed chunk: files into a temporary folder, then one rename.

    Returns:
        The chunk's folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    final = chunk_path(folder, number)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=folder))
    tmp.chmod(0o755)
    scores.customers.to_parquet(tmp / "customer_scores.parquet", index=False)
    scores.invoices.to_parquet(tmp / "invoice_scores.parquet", index=False)
    write_json(
        tmp / "done.json",
        {
            "content_hash": content_hash,
            "customers": len(scores.customers),
            "invoices": len(scores.invoices),
            "customer_seconds": scores.customer_seconds,
            "invoice_seconds": scores.invoice_seconds,
        },
    )
    if final.exists():  # a stale chunk of changed content
        for child in final.iterdir():
            child.unlink()
        final.rmdir()
    os.rename(tmp, final)
    return final


def read_chunks(paths: Iterable[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Concatenate the customer and invoice scores of completed chunks."""
    paths = list(paths)
    customers = [as_nanoseconds(pd.read_parquet(p / "customer_scores.parquet")) for p in paths]
    invoices = [as_nanoseconds(pd.read_parquet(p / "invoice_scores.parquet")) for p in paths]
    return _concat(customers), _concat(invoices)


def as_nanoseconds(frame: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns back to ``datetime64[ns]`` (Parquet round trips may return ``[us]``),
    the dtype the scoring core produces."""
    dates = frame.select_dtypes("datetime").columns
    return frame.astype({name: "datetime64[ns]" for name in dates}) if len(dates) else frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
