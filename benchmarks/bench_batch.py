"""Batch rescoring benchmark: rows/s per stage, pandas engine vs Dask LocalCluster, explain cost.

    uv run python benchmarks/bench_batch.py --quick          # 2,000 customers, a minute or two
    uv run python benchmarks/bench_batch.py                  # 200,000 customers x 3 years

The generated ledger is cached as Parquet under /tmp (generated in a child process so that the
scoring run's peak memory is its own). A champion pair is first trained on a small generated
portfolio into a temporary store, with the payment-timing model that scores open invoices in
production (without it the batch falls back to the issue-date model). Results go to ``benchmarks/results/batch[-quick].json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import peak_rss_mb, write_results

CACHE = Path(tempfile.gettempdir()) / "risk-bench-batch"


def ledger_folder(customers: int, years: int, seed: int) -> Path:
    """The cached ledger folder, generated in a child process when missing."""
    folder = CACHE / f"ledger-{customers}c-{years}y-s{seed}"
    if not (folder / "invoices.parquet").is_file():
        args = [sys.executable, __file__, "--generate", str(folder)]
        args += ["--customers", str(customers), "--years", str(years), "--seed", str(seed)]
        subprocess.run(args, check=True)
    return folder


def generate(folder: Path, customers: int, years: int, seed: int) -> None:
    from risk.io import write_ledger
    from risk.synth import SampleConfig, generate_portfolio

    start = time.perf_counter()
    portfolio = generate_portfolio(SampleConfig(customers=customers, years=years, seed=seed))
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    write_ledger(portfolio.ledger, tmp, "parquet")
    tmp.rename(folder)
    print(
        f"generated {len(portfolio.ledger.invoices):,} invoices in {time.perf_counter() - start:.0f} s"
    )


def champions(root: Path) -> Any:
    """Train the champions (invoice, customer, default and payment-timing models) on a small
    generated portfolio into a store under ``root``; a store trained there before (``--store``)
    is reused as it is (training first cost most of a run on a loaded machine)."""
    from risk import registry
    from risk.synth import SampleConfig, generate_portfolio
    from risk.timing.train import train_timing
    from risk.train import train_levels

    store = registry.Store.resolve(f"sqlite:///{root}/mlflow.db")
    if (root / "trained").is_file():
        return store
    small = generate_portfolio(SampleConfig(customers=300, years=3, seed=5))
    train_levels(small.ledger, store)
    train_timing(small.ledger, store)
    (root / "trained").touch()
    return store


def explain_cost(scorer: Any, folder: Path) -> dict[str, float]:
    """Features, predict and SHAP reason codes timed separately on a sample portfolio (same
    generator, fewer customers)."""
    from risk.explain import top_reasons
    from risk.io import validate_ledger_dir

    sample = validate_ledger_dir(folder).ledger
    as_of = sample.cutoff
    start = time.perf_counter()
    frame = scorer.customer_features(sample, as_of).reset_index(drop=True)
    features = time.perf_counter() - start
    start = time.perf_counter()
    scorer.customer_model.predict_proba(frame)
    predict = time.perf_counter() - start
    start = time.perf_counter()
    top_reasons(scorer.customer_model, frame, top=scorer.top_reasons)
    explain = time.perf_counter() - start
    start = time.perf_counter()
    scorer.score_invoices(sample, as_of, explain=True)
    invoice_all = time.perf_counter() - start
    start = time.perf_counter()
    plain = scorer.score_invoices(sample, as_of, explain=False)
    invoice_plain = time.perf_counter() - start
    n = len(frame)
    return {
        "sample_customers": n,
        "features_rows_per_s": n / features,
        "predict_rows_per_s": n / predict,
        "explain_rows_per_s": n / explain,
        "explain_over_predict": explain / predict,
        "sample_open_invoices": len(plain),
        "invoice_score_plain_rows_per_s": len(plain) / invoice_plain,
        "invoice_score_explain_all_rows_per_s": len(plain) / invoice_all,
    }


def cluster_start(scheduler: str | None) -> dict[str, Any]:
    """Start-up of the local Dask cluster (or connection to ``scheduler``) and its threads."""
    from risk.cluster import dask_client, local_shape, thread_count

    start = time.perf_counter()
    with dask_client(scheduler, local="auto") as client:
        seconds = time.perf_counter() - start
        threads = thread_count(client)
    shape = None if scheduler else local_shape("auto").__dict__
    return {"start_s": seconds, "threads": threads, "local_shape": shape}


class StageClock:
    """``on_stage`` hook of ``run_batch``: wall and CPU seconds (this process), peak resident
    memory and the 1-minute load average at the end of each stage."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}
        self._current: str | None = None
        self._mark = self._now()

    @staticmethod
    def _now() -> tuple[float, float]:
        used = resource.getrusage(resource.RUSAGE_SELF)
        return time.perf_counter(), used.ru_utime + used.ru_stime

    def __call__(self, stage: str | None) -> None:
        now = self._now()
        if self._current is not None:
            self.stages[self._current] = {
                "wall_s": now[0] - self._mark[0],
                "cpu_s": now[1] - self._mark[1],
                "peak_rss_mb": peak_rss_mb(),
                "load_1min": os.getloadavg()[0],
            }
        self._current, self._mark = stage, now


def run_engine(
    scorer: Any, folder: Path, engine: str, chunk: int, scheduler: str | None = None
) -> dict[str, Any]:
    from risk.batch import BatchConfig, run_batch

    dest = CACHE / f"out-{engine}"
    shutil.rmtree(dest, ignore_errors=True)
    start = time.perf_counter()
    config = BatchConfig(engine=engine, chunk_customers=chunk, scheduler=scheduler)  # type: ignore[arg-type]
    load_before = os.getloadavg()[0]
    clock = StageClock()
    summary = run_batch(folder, dest, scorer, config, on_stage=clock)
    clock(None)
    wall = time.perf_counter() - start
    rows_in = sum(r["read"] for r in summary.rows.values())
    invoices = summary.rows["invoices"]["kept"]
    customers = summary.scored["customers"]
    s = summary.seconds
    return {
        "engine": engine,
        "wall_s": wall,
        "rows_in": rows_in,
        "customers": customers,
        "invoices": invoices,
        "open_invoices_scored": summary.scored["open_invoices"],
        "chunks": summary.chunks,
        "seconds": s,
        "rows_per_s": {
            "load_validate (ledger rows)": rows_in / s["load_validate"],
            "score: features+predict (customers)": customers / s["score"],
            "worklist incl. explain (worklist rows)": summary.scored["worklist"] / s["worklist"],
            "write (output rows)": (customers + summary.scored["open_invoices"]) / s["write"],
            "end to end (invoices)": invoices / wall,
        },
        "reconciles": summary.reconciles,
        "peak_rss_mb_so_far": peak_rss_mb(),
        "stages (driver process)": clock.stages,
        "load_average_before_after": (load_before, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 customers instead of 200k")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-customers", type=int, default=None)
    parser.add_argument("--engines", default="pandas,dask")
    parser.add_argument("--explain-sample", type=int, default=2_000)
    parser.add_argument(
        "--scheduler", default=None, help="Dask scheduler started by hand (default: local)"
    )
    parser.add_argument(
        "--store", type=Path, default=None, help="champion store folder, trained once, reused"
    )
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    customers = args.customers or (2_000 if args.quick else 200_000)
    if args.generate:
        generate(args.generate, customers, args.years, args.seed)
        return
    logging.basicConfig(level=logging.WARNING)
    chunk = args.chunk_customers or (500 if args.quick else 10_000)
    start = time.perf_counter()
    folder = ledger_folder(customers, args.years, args.seed)
    figures: dict[str, Any] = {
        "ledger": str(folder),
        "generate_or_cache_s": time.perf_counter() - start,
    }
    with tempfile.TemporaryDirectory() as root:
        from risk.scoring import Scorer

        scorer = Scorer.from_registry(champions(args.store or Path(root)))
        figures["open_invoices_scored_by"] = (
            "payment-timing model" if scorer.timing_model is not None else "issue-date model"
        )
        engines = args.engines.split(",")
        if "dask" in engines:
            figures["dask_cluster"] = cluster_start(args.scheduler)
            print(json.dumps(figures["dask_cluster"], indent=1))
        for engine in engines:
            figures[engine] = run_engine(scorer, folder, engine, chunk, args.scheduler)
            print(json.dumps(figures[engine], indent=1, default=str))
        if "dask" in engines and "pandas" in engines:
            threads = figures["dask_cluster"]["threads"]
            pandas_rate = figures["pandas"]["customers"] / figures["pandas"]["seconds"]["score"]
            dask_rate = figures["dask"]["customers"] / figures["dask"]["seconds"]["score"]
            figures["scoring_customers_per_s"] = {
                "pandas (1 process)": pandas_rate,
                "dask (all workers)": dask_rate,
                "dask per worker thread": dask_rate / threads,
                "dask over pandas": dask_rate / pandas_rate,
            }
            print(json.dumps(figures["scoring_customers_per_s"], indent=1))
        sample = ledger_folder(args.explain_sample, args.years, args.seed)
        figures["explain_sample"] = explain_cost(scorer, sample)
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures["peak_rss_mb"] = {"driver": peak_rss_mb(), "largest_child": children}
    figures["load_average"] = os.getloadavg()
    name = "batch-quick" if args.quick else "batch"
    if args.customers:
        name = f"batch-{customers}c"
    print(
        json.dumps(
            {k: figures[k] for k in ("explain_sample", "peak_rss_mb", "load_average")}, indent=1
        )
    )
    print(f"written: {write_results(name, figures)}")


if __name__ == "__main__":
    main()
