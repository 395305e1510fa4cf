"""The per-chunk scoring function (shared by every engine) and the chunk files.

``score_chunk`` calls the scoring core's own methods (``Scorer.score_customers`` and
``Scorer.score_invoices``) on a chunk's sub-ledger: there is no second scoring implementation.
A completed chunk is a folder ``chunk-NNNNN`` written under a temporary name and renamed into
place, so a killed run leaves either a whole chunk or none.

With a payment-timing model, each chunk also computes its part of the cash-in forecast (the
parts ``risk.timing.forecast.book_parts`` gives on the chunk's sub-ledger: expected cash per
week and the band's variance parts, which add over disjoint customers), stored beside its
scores as ``forecast_parts.npz``; the run sums the chunks' parts instead of scoring the whole
ledger's open invoices again in one piece. The parts are made from the weekly probabilities of
the chunk's one invoice scoring (``Scorer.score_invoices_and_book``), not from a second one.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from risk.batch.outputs import publishable
from risk.batch.partition import Chunk
from risk.batch.state import write_json
from risk.ledger import Ledger
from risk.scoring import Scorer
from risk.timing.forecast import PART_FIELDS, BandParts, forecast_parts

#: weeks of the batch's cash-in forecast (``forecast.csv``)
FORECAST_WEEKS = 13
FORECAST_PARTS_FILE = "forecast_parts.npz"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChunkScores:
    """Scores of one chunk and the seconds spent on each level."""

    customers: pd.DataFrame
    invoices: pd.DataFrame
    customer_seconds: float
    invoice_seconds: float
    #: the chunk's cash-in forecast parts (None: no payment-timing model)
    forecast: BandParts | None = None
    forecast_seconds: float = 0.0


def score_chunk(scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, explain: bool) -> ChunkScores:
    """Score every customer and every open invoice of a (sub-)ledger at ``as_of``.

    Args:
        scorer: loaded models and decision settings.
        ledger: the chunk's sub-ledger (whole scoring units only).
        as_of: the as-of date.
        explain: compute reason codes for every row.

    Returns:
        Customer and invoice scores without the in-memory ``reasons`` column, and the chunk's
        cash-in forecast parts when the scorer has a payment-timing model.
    """
    start = time.perf_counter()
    customers = publishable(scorer.score_customers(ledger, as_of, explain=explain))
    middle = time.perf_counter()
    # the open invoices scored once: their scores and the book the forecast parts come from
    scored, book = scorer.score_invoices_and_book(ledger, as_of, explain=explain)
    invoices = publishable(scored)
    end = time.perf_counter()
    forecast = None if book is None else forecast_parts(book, FORECAST_WEEKS)
    return ChunkScores(
        customers,
        invoices,
        middle - start,
        end - middle,
        forecast,
        time.perf_counter() - end,
    )


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
    if scores.forecast is not None:
        save_parts(tmp / FORECAST_PARTS_FILE, scores.forecast)
    write_json(
        tmp / "done.json",
        {
            "content_hash": content_hash,
            "customers": len(scores.customers),
            "invoices": len(scores.invoices),
            "customer_seconds": scores.customer_seconds,
            "invoice_seconds": scores.invoice_seconds,
            "forecast_seconds": scores.forecast_seconds,
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


def save_parts(path: Path, parts: BandParts) -> None:
    """Write one chunk's forecast parts (one group ``all``)."""
    with open(path, "wb") as out:
        np.savez(out, **{name: getattr(parts, name) for name in PART_FIELDS})


def read_forecast_parts(paths: Iterable[Path]) -> list[BandParts] | None:
    """The forecast parts of completed chunks; None when a chunk has none (scored without a
    payment-timing model, or by a version that did not store them)."""
    found = []
    for folder in paths:
        path = folder / FORECAST_PARTS_FILE
        if not path.exists():
            return None
        with np.load(path) as stored:
            found.append(BandParts(["all"], *(stored[name] for name in PART_FIELDS)))
    return found


def as_nanoseconds(frame: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns back to ``datetime64[ns]`` (Parquet round trips may return ``[us]``),
    the dtype the scoring core produces."""
    dates = frame.select_dtypes("datetime").columns
    return frame.astype({name: "datetime64[ns]" for name in dates}) if len(dates) else frame


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
