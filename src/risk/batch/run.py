"""The batch rescoring job: validate, partition, score chunks, merge, rank, write.

0. the output folder (and the database) are checked writable, and ``DEST/.lock`` is taken;
1. the ledger (a folder or a database URL, read through ``risk.store`` as the service reads
   it) is validated; rejected rows go to the run's ``quarantine/`` with their
   reasons; the run stops when a table's quarantined share passes ``max_quarantined_share``;
2. customers are split into chunks of whole scoring units (:mod:`risk.batch.partition`);
3. each chunk is scored by the scoring core (pandas in-process or on Dask), with its part of
   the cash-in forecast when a payment-timing model is served, and written to
   ``DEST/.chunks/<as_of>/`` as soon as it completes; a rerun reuses completed chunks whose
   content is unchanged (resume after a crash or a SIGKILL);
4. chunks are merged, the worklist is ranked over the whole portfolio, reason codes are kept
   where the explanation mode asks for them;
5. outputs are written into the run folder ``DEST/runs/<as_of>-<run id>/`` (SQL in one
   transaction), ``summary.json`` last (counts, run id, file hashes), then published by one
   rename of the ``DEST/latest`` link (:mod:`risk.batch.publish`). A failed run publishes
   nothing and leaves the previous run in place; the run state enables ``--since-last-run``.
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

from risk.batch import merge, outputs, partition, publish, sql, state
from risk.batch.chunks import (
    FORECAST_WEEKS,
    ChunkScores,
    read_chunks,
    read_forecast_parts,
    run_pandas,
    write_chunk,
)
from risk.batch.incremental import Scope, incremental_scope
from risk.batch.quarantine import MAX_QUARANTINED_SHARE, check_quarantined_share
from risk.io import QUARANTINE_DIRNAME, write_quarantine
from risk.ledger import Ledger
from risk.monitor.batch import (
    log_monitoring_run,
    monitoring_section,
    previous_grades,
    redacted_uri,
)
from risk.scoring import Scorer
from risk.timing.forecast import BandParts
from risk.validation import ValidationResult

logger = logging.getLogger(__name__)

Engine = Literal["pandas", "dask"]
Progress = Callable[[int, int], None]
Stage = Callable[[str], None]
#: The stages of a run, in order, as reported to ``on_stage``.
STAGES: tuple[str, ...] = (
    "validate", "hash", "score", "worklist", "forecast", "write", "sql", "summary", "publish",
    "cleanup",
)  # fmt: skip
FORECAST_FILE = "forecast.csv"


@dataclass(frozen=True)
class BatchConfig:
    """Settings of one batch run (see ``risk score --help``)."""

    as_of: pd.Timestamp | None = None
    explain: merge.Explain = "worklist"
    engine: Engine = "pandas"
    scheduler: str | None = None
    chunk_customers: int = 5000
    #: when set, chunks are cut at about this many ledger rows instead (customers kept whole)
    chunk_rows: int | None = None
    since_last_run: bool = False
    sql_url: str | None = None
    top: int | None = 50
    max_quarantined_share: float = MAX_QUARANTINED_SHARE
    keep_runs: int = 7
    #: MLflow store the run's monitoring is logged in (``risk.monitor.batch``); None: no run
    tracking_uri: str | None = None


@dataclass
class BatchSummary:
    """What a run read, scored, quarantined and how long each stage took."""

    as_of: str
    model_versions: str
    run_id: str = ""
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    scored: dict[str, int] = field(default_factory=dict)
    chunks: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    reconciles: bool = True
    outputs: list[str] = field(default_factory=list)
    #: the decision policy's default event differs from the default model's (policy_check)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def write_validated(result: ValidationResult, folder: Path) -> None:
    """Write the quarantined rows into the run folder's ``quarantine/``."""
    write_quarantine(result, folder / QUARANTINE_DIRNAME)
    if result.n_quarantined:
        logger.warning("%d row(s) quarantined to %s", result.n_quarantined, folder / "quarantine")


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


@dataclass(frozen=True)
class ChunkedScores:
    """The merged scores of every chunk.

    Attributes:
        customers, invoices: the scores of every chunk, concatenated.
        counts: chunks ``total``, ``resumed`` and ``computed``.
        seconds: seconds spent in each level of the scoring (summed over the chunks computed).
        forecast: every chunk's cash-in forecast parts (None: no payment-timing model, or a
            reused chunk stored none).
    """

    customers: pd.DataFrame
    invoices: pd.DataFrame
    counts: dict[str, int]
    seconds: dict[str, float]
    forecast: list[BandParts] | None


def score_in_chunks(
    scope_ledger: Ledger,
    hashes: pd.DataFrame,
    scorer: Scorer,
    settings: state.RunSettings,
    config: BatchConfig,
    dest: Path,
    progress: Progress | None = None,
    owners: dict[str, np.ndarray] | None = None,
) -> ChunkedScores:
    """Score the ledger chunk by chunk, reusing completed chunks; return the merged scores and
    the chunks' forecast parts."""
    as_of = pd.Timestamp(settings.as_of)
    chunk_of = None
    if config.chunk_rows is not None:
        owners = owners if owners is not None else partition.row_owners(scope_ledger)
        chunk_of = partition.chunk_of_rows(scope_ledger.customers, owners, config.chunk_rows)
        n_chunks = int(chunk_of.max()) + 1 if len(chunk_of) else 1
    else:
        n_chunks = partition.n_chunks_for(len(scope_ledger.customers), config.chunk_customers)
    plan = partition.plan_chunks(scope_ledger.customers, n_chunks, chunk_of)
    folder = state.open_manifest(dest, settings)
    content = state.chunk_hashes(hashes, plan)
    todo = {n for n in plan if state.completed_chunk(folder, n, content[n]) is None}
    seconds = {
        "features_predict_customers": 0.0,
        "features_predict_invoices": 0.0,
        "forecast_parts": 0.0,
    }
    completed = len(plan) - len(todo)
    if progress:
        progress(completed, len(plan))

    def done(chunk: partition.Chunk, scores: ChunkScores) -> None:
        nonlocal completed
        write_chunk(folder, chunk.number, content[chunk.number], scores)
        seconds["features_predict_customers"] += scores.customer_seconds
        seconds["features_predict_invoices"] += scores.invoice_seconds
        seconds["forecast_parts"] += scores.forecast_seconds
        completed += 1
        if progress:
            progress(completed, len(plan))

    if todo:
        chunks = partition.iter_chunks(
            scope_ledger, n_chunks, only=todo, owners=owners, chunk_of=chunk_of
        )
        _run_engine(chunks, scorer, as_of, config, done)
    paths = [folder / f"chunk-{n:05d}" for n in sorted(plan)]
    customers, invoices = read_chunks(paths)
    counts = {"total": len(plan), "resumed": len(plan) - len(todo), "computed": len(todo)}
    forecast = read_forecast_parts(paths) if scorer.timing_model is not None else None
    return ChunkedScores(customers, invoices, counts, seconds, forecast)


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
    ledger_dir: Path | str,
    dest: Path,
    scorer: Scorer,
    config: BatchConfig | None = None,
    progress: Progress | None = None,
    on_stage: Stage | None = None,
) -> BatchSummary:
    """Rescore a whole portfolio into a new run folder of ``dest`` and publish it.

    Args:
        ledger_dir: ledger folder (CSV or Parquet tables) or database URL (``sqlite:///...``,
            ``postgresql://...``; see ``risk.store``).
        dest: output folder; the run is published as ``DEST/latest``.
        scorer: loaded models (``Scorer.from_registry``).
        config: run settings.
        progress: called with (completed chunks, total chunks).
        on_stage: called with each stage's name (:data:`STAGES`) as it starts.

    Returns:
        The run summary, also written to ``DEST/latest/summary.json``.

    Raises:
        LedgerError: the ledger source or a required table is missing or unreadable.
        QuarantineThresholdError: too large a share of a table was quarantined.
        IncrementalRunError: ``since_last_run`` with another as-of date than the last run.
        DaskEngineError: the Dask scheduler does not answer or a chunk failed.
        OutputError: the output folder or the database cannot be written; nothing was
            published and the previous run (if any) is still ``DEST/latest``.
    """
    config = config or BatchConfig()
    stage = on_stage or (lambda name: None)
    publish.check_writable(dest)
    if config.sql_url:
        sql.check_sql(config.sql_url)
    with publish.output_lock(dest):
        try:
            return _run_locked(ledger_dir, dest, scorer, config, progress, stage)
        except OSError as exc:
            raise publish.OutputError(_failure(dest, exc)) from exc


def _run_locked(
    ledger_dir: Path | str,
    dest: Path,
    scorer: Scorer,
    config: BatchConfig,
    progress: Progress | None,
    stage: Stage,
) -> BatchSummary:
    clock = time.perf_counter()
    stage("validate")
    from risk.store import validate_source  # SQLAlchemy only when the batch runs

    result = validate_source(ledger_dir)
    check_quarantined_share(result, config.max_quarantined_share)
    ledger = result.ledger
    as_of = pd.Timestamp(config.as_of) if config.as_of is not None else ledger.cutoff
    versions = ", ".join(f"{k} v{v}" for k, v in scorer.versions.items())
    settings = state.RunSettings(
        as_of.date().isoformat(),
        versions,
        config.explain,
        config.chunk_customers,
        config.top,
        config.chunk_rows,
    )
    run_id = publish.new_run_id()
    summary = BatchSummary(
        settings.as_of,
        versions,
        run_id=run_id,
        rows=_row_counts(result),
        warnings=scorer.policy_warnings(),
    )
    folder = publish.run_folder(dest, settings.as_of, run_id)
    try:
        publish.make_dir(folder)
        write_validated(result, folder)
        summary.seconds["load_validate"] = time.perf_counter() - clock
        _score_and_write(
            ledger, result, dest, folder, scorer, settings, config, summary, progress, stage
        )
    except BaseException:
        publish.discard(folder)
        raise
    try:  # the run is published: a failure to tidy up only costs disk space
        stage("cleanup")
        state.remove_tree(state.chunks_dir(dest, as_of))
        publish.prune(dest, config.keep_runs)
    except OSError as exc:
        logger.warning("run %s published, but cleaning up %s failed: %s", run_id, dest, exc)
    return summary


def _failure(dest: Path, exc: OSError) -> str:
    previous = publish.latest_run(dest)
    kept = f"{previous.name} is still the published run" if previous else "no run was published yet"
    where = f" ({exc.filename})" if exc.filename else ""
    return f"the run failed writing its outputs: {exc.strerror or exc}{where}. Nothing was published; {kept}."


def _score_and_write(
    ledger: Ledger,
    result: ValidationResult,
    dest: Path,
    folder: Path,
    scorer: Scorer,
    settings: state.RunSettings,
    config: BatchConfig,
    summary: BatchSummary,
    progress: Progress | None,
    stage: Stage,
) -> None:
    as_of = pd.Timestamp(settings.as_of)
    clock = time.perf_counter()
    stage("hash")
    owners = partition.row_owners(ledger)
    hashes = state.customer_hashes(ledger, owners)
    scope = incremental_scope(ledger, hashes, dest, settings, config.since_last_run)
    if scope.ledger is not ledger:  # incremental: positions refer to the restricted ledger
        owners = partition.row_owners(scope.ledger)
    summary.seconds["hash_partition"] = time.perf_counter() - clock

    clock = time.perf_counter()
    stage("score")
    scored = score_in_chunks(scope.ledger, hashes, scorer, settings, config, dest, progress, owners)
    customers, invoices, summary.chunks = scored.customers, scored.invoices, scored.counts
    summary.seconds["score"] = time.perf_counter() - clock
    summary.seconds.update(scored.seconds)
    customers, invoices = merge.sort_scores(
        _concat(scope.carried_customers, customers), _concat(scope.carried_invoices, invoices)
    )

    clock = time.perf_counter()
    stage("worklist")
    candidates = merge.worklist_candidates(customers, invoices, config.top)
    worklist = merge.build_global_worklist(scorer, ledger, as_of, candidates, top=config.top)
    customers, invoices = merge.apply_explain_mode(customers, invoices, worklist, config.explain)
    summary.seconds["worklist"] = time.perf_counter() - clock

    clock = time.perf_counter()
    stage("forecast")
    forecast = chunked_forecast(scorer, ledger, scope, as_of, scored.forecast, config)
    summary.seconds["forecast"] = time.perf_counter() - clock

    clock = time.perf_counter()
    stage("write")
    frames = {"customer_scores": customers, "invoice_scores": invoices, "worklist": worklist}
    summary.outputs = [p.name for p in outputs.write_files(frames, folder)]
    if forecast is not None:
        summary.outputs.append(outputs.write_csv(forecast, folder / FORECAST_FILE).name)
    state.save_run_state(folder, hashes)
    if config.sql_url:
        stage("sql")
        sql.write_sql(frames, config.sql_url, as_of, summary.run_id)
        summary.outputs.append(sql.redacted(config.sql_url))
    summary.seconds["write"] = time.perf_counter() - clock
    _reconcile(summary, result, scope, customers, invoices, worklist)
    stage("summary")
    monitoring = monitoring_section(
        ledger, as_of, scorer, customers, previous_grades(publish.latest_run(dest))
    )
    if config.tracking_uri:
        monitoring["mlflow"] = _log_monitoring(config.tracking_uri, monitoring, as_of, summary)
    publish.write_summary(
        folder, {**summary.as_dict(), "settings": asdict(settings), "monitoring": monitoring}
    )
    stage("publish")
    publish.publish(dest, folder)


def _log_monitoring(
    tracking_uri: str, monitoring: dict[str, Any], as_of: pd.Timestamp, summary: BatchSummary
) -> dict[str, str]:
    """Log the monitoring section as an MLflow run in ``tracking_uri``; a store that cannot be
    written is a warning (the scores are still published), recorded in the summary."""
    from mlflow.exceptions import MlflowException

    from risk.registry import Store

    store = Store.resolve(tracking_uri)
    where = redacted_uri(store.tracking_uri)
    try:
        run_id = log_monitoring_run(store, monitoring, as_of, summary.run_id)
    except (MlflowException, OSError) as exc:
        logger.warning("monitoring not logged to MLflow (%s): %s", where, exc)
        return {"tracking_uri": where, "error": str(exc)[:500]}
    return {"tracking_uri": where, "run_id": run_id}


def chunked_forecast(
    scorer: Scorer,
    ledger: Ledger,
    scope: Scope,
    as_of: pd.Timestamp,
    chunk_parts: list[BandParts] | None,
    config: BatchConfig,
) -> pd.DataFrame | None:
    """The 13-week cash-in forecast (``forecast.csv``) from the chunks' forecast parts: the
    same rows as :func:`cash_in_forecast` on the whole ledger (to float rounding: the parts are
    summed chunk by chunk), without scoring the whole ledger's open invoices again in one piece.

    The scored chunks cover the customers rescored by this run. On an incremental run the
    carried customers were not rescored: their parts are computed here, chunk by chunk, on
    their own sub-ledger (their rows are unchanged and the as-of date is the last run's, so
    these are the parts their invoices would give in a full run). When a reused chunk stored
    no parts (written by an earlier version), the whole ledger is forecast in one piece.
    None (and a warning) without a payment-timing model.
    """
    from risk.timing.forecast import (
        _check_request,
        add_book_parts,
        band_rows,
        book_parts,
        model_band,
    )

    if scorer.timing_model is None:
        logger.warning("no payment-timing model: the run writes no %s", FORECAST_FILE)
        return None
    if chunk_parts is None:
        logger.warning("a reused chunk holds no forecast parts: forecasting the whole ledger")
        return cash_in_forecast(scorer, ledger, as_of)
    _check_request(ledger, as_of, FORECAST_WEEKS, "total")  # the checks forecast_cash_in makes
    parts = list(chunk_parts)
    rescored = set(scope.ledger.customers["customer_id"].astype("str"))
    carried = set(ledger.customers["customer_id"].astype("str")) - rescored
    if carried:
        others = partition.restrict_to_customers(ledger, carried)
        n_chunks = partition.n_chunks_for(len(others.customers), config.chunk_customers)
        for chunk in partition.iter_chunks(others, n_chunks):
            parts.append(book_parts(scorer.timing_model, chunk.ledger, as_of, FORECAST_WEEKS))
    total = add_book_parts(parts, FORECAST_WEEKS)
    rows = band_rows(total, as_of, model_band(scorer.timing_model)[0], with_group=False)
    return rows.assign(as_of=as_of)[["as_of", "week", "week_start", "expected", "low", "high"]]


def cash_in_forecast(scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame | None:
    """The 13-week cash-in forecast of the invoices open at ``as_of`` (``forecast.csv``):
    ``as_of, week, week_start, expected, low, high`` from ``risk.timing.forecast``; None (and a
    warning) without a payment-timing model."""
    from risk.timing.forecast import forecast_cash_in

    if scorer.timing_model is None:
        logger.warning("no payment-timing model: the run writes no %s", FORECAST_FILE)
        return None
    found = forecast_cash_in(scorer.timing_model, ledger, as_of, FORECAST_WEEKS)
    return found.rows.drop(columns="group").assign(as_of=as_of)[
        ["as_of", "week", "week_start", "expected", "low", "high"]
    ]


def _reconcile(
    summary: BatchSummary,
    result: ValidationResult,
    scope: Scope,
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
