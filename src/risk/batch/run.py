"""The batch rescoring job: validate, partition, score chunks, merge, rank, write.

1. the ledger folder is validated; rejected rows go to ``DEST/quarantine`` with their reasons;
2. customers are split into chunks of whole scoring units (:mod:`risk.batch.partition`);
3. each chunk is scored by the scoring core (pandas in-process or on Dask) and written to
   ``DEST/.chunks/<as_of>/`` as soon as it completes; a rerun reuses completed chunks whose
   content is unchanged (resume after a crash or a SIGKILL);
4. chunks are merged, the worklist is ranked over the whole portfolio, reason codes are kept
   where the explanation mode asks for them;
5. outputs are published atomically (files renamed into place, SQL in one transaction), with
   ``DEST/summary.json`` reconciling the counts; the run state enables ``--since-last-run``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from risk.batch import merge, outputs, partition, state
from risk.batch.chunks import ChunkScores, as_nanoseconds, read_chunks, run_pandas, write_chunk
from risk.io import QUARANTINE_DIRNAME, validate_ledger_dir, write_quarantine
from risk.ledger import Ledger
from risk.scoring import Scorer
from risk.validation import ValidationResult

logger = logging.getLogger(__name__)

Engine = Literal["pandas", "dask"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BatchConfig:
    """Settings of one batch run (see ``risk score --help``)."""

    as_of: pd.Timestamp | None = None
    explain: merge.Explain = "worklist"
    engine: Engine = "pandas"
    scheduler: str | None = None
    chunk_customers: int = 5000
    since_last_run: bool = False
    sql_url: str | None = None
    top: int | None = 50


@dataclass
class BatchSummary:
    """What a run read, scored, quarantined and how long each stage took."""

    as_of: str
    model_versions: str
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    scored: dict[str, int] = field(default_factory=dict)
    chunks: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    reconciles: bool = True
    outputs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Scope:
    ledger: Ledger
    carried_customers: pd.DataFrame | None = None
    carried_invoices: pd.DataFrame | None = None


def load_validated(ledger_dir: Path, dest: Path) -> ValidationResult:
    """Validate the ledger folder; quarantined rows go to ``DEST/quarantine``."""
    result = validate_ledger_dir(ledger_dir)
    write_quarantine(result, dest / QUARANTINE_DIRNAME)
    if result.n_quarantined:
        logger.warning("%d row(s) quarantined to %s", result.n_quarantined, dest / "quarantine")
    return result


def _scope(
    ledger: Ledger, hashes: pd.DataFrame, dest: Path, settings: state.RunSettings, incremental: bool
) -> _Scope:
    """The ledger to rescore, and the previous rows carried over on an incremental run."""
    if not incremental:
        return _Scope(ledger)
    previous = state.load_last_run(dest)
    if previous is None:
        logger.warning("no previous run in %s: scoring every customer", dest)
        return _Scope(ledger)
    if not state.check_incremental(previous[0], settings):
        return _Scope(ledger)
    if not all((dest / f"{name}.parquet").is_file() for name in outputs.OUTPUT_TABLES):
        logger.warning("previous outputs missing in %s: scoring every customer", dest)
        return _Scope(ledger)
    changed = state.changed_customers(hashes, previous[1])
    kept = set(hashes["customer_id"]) - changed
    old_customers = as_nanoseconds(pd.read_parquet(dest / "customer_scores.parquet"))
    old_invoices = as_nanoseconds(pd.read_parquet(dest / "invoice_scores.parquet"))
    logger.info("incremental run: %d customer(s) to rescore, %d carried", len(changed), len(kept))
    return _Scope(
        partition.restrict_to_customers(ledger, changed),
        old_customers[old_customers["customer_id"].isin(kept)],
        old_invoices[old_invoices["customer_id"].isin(kept)],
    )


def _run_engine(
    chunks: Iterator[partition.Chunk],
    scorer: Scorer,
    as_of: pd.Timestamp,
    config: BatchConfig,
    done: Callable[[partition.Chunk, ChunkScores], None],
) -> None:
    explain_all = config.explain == "all"
    if config.engine == "dask":
        from risk.batch.dask_engine import run_dask

        run_dask(chunks, scorer, as_of, explain_all, done, config.scheduler)
    else:
        run_pandas(chunks, scorer, as_of, explain_all, done)


def score_in_chunks(
    scope_ledger: Ledger,
    hashes: pd.DataFrame,
    scorer: Scorer,
    settings: state.RunSettings,
    config: BatchConfig,
    dest: Path,
    progress: Progress | None = None,
    owners: dict[str, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int], dict[str, float]]:
    """Score the ledger chunk by chunk, reusing completed chunks; return the merged scores."""
    as_of = pd.Timestamp(settings.as_of)
    n_chunks = partition.n_chunks_for(len(scope_ledger.customers), config.chunk_customers)
    plan = partition.plan_chunks(scope_ledger.customers, n_chunks)
    folder = state.open_manifest(dest, settings)
    content = state.chunk_hashes(hashes, plan)
    todo = {n for n in plan if state.completed_chunk(folder, n, content[n]) is None}
    seconds = {"features_predict_customers": 0.0, "features_predict_invoices": 0.0}
    completed = len(plan) - len(todo)
    if progress:
        progress(completed, len(plan))

    def done(chunk: partition.Chunk, scores: ChunkScores) -> None:
        nonlocal completed
        write_chunk(folder, chunk.number, content[chunk.number], scores)
        seconds["features_predict_customers"] += scores.customer_seconds
        seconds["features_predict_invoices"] += scores.invoice_seconds
        completed += 1
        if progress:
            progress(completed, len(plan))

    if todo:
        chunks = partition.iter_chunks(scope_ledger, n_chunks, only=todo, owners=owners)
        _run_engine(chunks, scorer, as_of, config, done)
    customers, invoices = read_chunks(folder / f"chunk-{n:05d}" for n in sorted(plan))
    counts = {"total": len(plan), "resumed": len(plan) - len(todo), "computed": len(todo)}
    return customers, invoices, counts, seconds


def _concat(*frames: pd.DataFrame | None) -> pd.DataFrame:
    present = [f for f in frames if f is not None and len(f.columns)]
    non_empty = [f for f in present if len(f)] or present[:1]
    return pd.concat(non_empty, ignore_index=True)


def _row_counts(result: ValidationResult) -> dict[str, dict[str, int]]:
    return {
        name: {
            "read": r.read,
            "kept": r.kept,
            "quarantined": r.quarantined,
            "moved_to_credit_notes": r.moved_to_credit_notes,
        }
        for name, r in result.reports.items()
    }


def run_batch(
    ledger_dir: Path,
    dest: Path,
    scorer: Scorer,
    config: BatchConfig | None = None,
    progress: Progress | None = None,
) -> BatchSummary:
    """Rescore a whole portfolio into ``dest`` (see the module docstring).

    Args:
        ledger_dir: ledger folder (CSV or Parquet tables).
        dest: output folder.
        scorer: loaded models (``Scorer.from_registry``).
        config: run settings.
        progress: called with (completed chunks, total chunks).

    Returns:
        The run summary, also written to ``DEST/summary.json``.

    Raises:
        LedgerError: the ledger folder or a required table is missing.
        IncrementalRunError: ``since_last_run`` with another as-of date than the last run.
        DaskEngineError: the Dask scheduler does not answer or a chunk failed.
        OutputError: the SQL database refused the writes.
    """
    config = config or BatchConfig()
    clock = time.perf_counter()
    result = load_validated(ledger_dir, dest)
    ledger = result.ledger
    as_of = pd.Timestamp(config.as_of) if config.as_of is not None else ledger.cutoff
    versions = ", ".join(f"{k} v{v}" for k, v in scorer.versions.items())
    settings = state.RunSettings(
        as_of.date().isoformat(), versions, config.explain, config.chunk_customers, config.top
    )
    summary = BatchSummary(settings.as_of, versions, rows=_row_counts(result))
    summary.seconds["load_validate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    owners = partition.row_owners(ledger)
    hashes = state.customer_hashes(ledger, owners)
    scope = _scope(ledger, hashes, dest, settings, config.since_last_run)
    if scope.ledger is not ledger:  # incremental: positions refer to the restricted ledger
        owners = partition.row_owners(scope.ledger)
    summary.seconds["hash_partition"] = time.perf_counter() - clock

    clock = time.perf_counter()
    customers, invoices, summary.chunks, stage_seconds = score_in_chunks(
        scope.ledger, hashes, scorer, settings, config, dest, progress, owners
    )
    summary.seconds["score"] = time.perf_counter() - clock
    summary.seconds.update(stage_seconds)
    customers, invoices = merge.sort_scores(
        _concat(scope.carried_customers, customers), _concat(scope.carried_invoices, invoices)
    )

    clock = time.perf_counter()
    candidates = merge.worklist_candidates(customers, invoices, config.top)
    worklist = merge.build_global_worklist(scorer, ledger, as_of, candidates, top=config.top)
    customers, invoices = merge.apply_explain_mode(customers, invoices, worklist, config.explain)
    summary.seconds["worklist"] = time.perf_counter() - clock

    clock = time.perf_counter()
    frames = {"customer_scores": customers, "invoice_scores": invoices, "worklist": worklist}
    summary.outputs = [str(p) for p in outputs.write_files(frames, dest)]
    if config.sql_url:
        outputs.write_sql(frames, config.sql_url, as_of)
        summary.outputs.append(config.sql_url)
    summary.seconds["write"] = time.perf_counter() - clock
    _reconcile(summary, result, scope, customers, invoices, worklist)
    state.write_json(dest / "summary.json", summary.as_dict())
    state.save_last_run(dest, settings, hashes)
    state.remove_tree(state.chunks_dir(dest, as_of))
    return summary


def _reconcile(
    summary: BatchSummary,
    result: ValidationResult,
    scope: _Scope,
    customers: pd.DataFrame,
    invoices: pd.DataFrame,
    worklist: pd.DataFrame,
) -> None:
    """Fill the scored counts and check: customers read = scored + quarantined."""
    carried = 0 if scope.carried_customers is None else len(scope.carried_customers)
    summary.scored = {
        "customers": len(customers),
        "customers_recomputed": len(customers) - carried,
        "customers_carried_over": carried,
        "open_invoices": len(invoices),
        "worklist": len(worklist),
    }
    report = result.reports["customers"]
    summary.reconciles = report.read == len(customers) + report.quarantined and all(
        r.reconciles for r in result.reports.values()
    )
    if not summary.reconciles:
        logger.error("counts do not reconcile: %s / %s", summary.rows, summary.scored)
