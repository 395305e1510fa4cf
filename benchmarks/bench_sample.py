"""Benchmark of the synthetic portfolio generator (``risk sample``).

Usage::

    uv run python benchmarks/bench_sample.py            # 100,000 customers, 3 years, 3 runs
    uv run python benchmarks/bench_sample.py --quick    # 5,000 customers, a few seconds
    uv run python benchmarks/bench_sample.py --parquet  # also time writing Parquet

Prints the median time, rows per second and peak RSS next to the targets (60 s, 4 GB for
100,000 customers and >= 5M invoices on 2 cores) and next to a naive baseline: a per-customer,
per-invoice Python loop generating only invoice dates and amounts, timed on a small subset and
extrapolated to the same number of invoices. Writes ``benchmarks/results/bench_sample.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from risk.synth import SampleConfig, generate_portfolio

TARGET_SECONDS = 60.0
TARGET_PEAK_GB = 4.0
TARGET_INVOICES = 5_000_000
RESULTS = Path(__file__).parent / "results" / "bench_sample.json"


def peak_rss_gb() -> float:
    """Peak resident set size of this process so far, in GB (Linux reports kB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1e9


def naive_seconds_per_invoice(customers: int, seed: int) -> float:
    """Time a naive Python loop (per customer, per invoice) drawing dates and amounts."""
    rng = random.Random(seed)
    started = time.perf_counter()
    rows = 0
    for _ in range(customers):
        rate = math.exp(rng.gauss(math.log(0.85), 0.9)) * 36
        mean = math.log(900) + rng.gauss(0, 0.5)
        count = int(rng.expovariate(1 / rate))
        invoices = []
        for _ in range(count):
            issued = pd.Timestamp("2023-10-01") + pd.Timedelta(days=rng.randrange(1096))
            due = issued + pd.Timedelta(days=45)
            amount = round(math.exp(rng.gauss(mean, 0.85)), 2)
            invoices.append((f"INV{rows:08d}", issued, due, amount))
            rows += 1
    return (time.perf_counter() - started) / max(rows, 1)


def write_parquet(portfolio: object, directory: Path) -> None:
    """Write the ledger as Parquet with ``risk.io`` when available, else plain pandas."""
    try:
        from risk.io import write_ledger
    except ImportError:
        for name, frame in portfolio.ledger.tables().items():  # type: ignore[attr-defined]
            frame.to_parquet(directory / f"{name}.parquet", index=False)
        return
    write_ledger(portfolio.ledger, directory, fmt="parquet")  # type: ignore[attr-defined]


def run(args: argparse.Namespace) -> dict[str, object]:
    """Run the benchmark and return the figures."""
    config = SampleConfig(customers=args.customers, years=args.years, seed=args.seed)
    gen_times, write_times, rows = [], [], {}
    for _ in range(args.repeat):
        started = time.perf_counter()
        portfolio = generate_portfolio(config)
        gen_times.append(time.perf_counter() - started)
        rows = {name: len(frame) for name, frame in portfolio.ledger.tables().items()}
        if args.parquet:
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                write_parquet(portfolio, Path(tmp))
                write_times.append(time.perf_counter() - started)
        del portfolio
    median = statistics.median(gen_times)
    naive = naive_seconds_per_invoice(args.naive_customers, args.seed)
    return {
        "customers": args.customers,
        "years": args.years,
        "repeat": args.repeat,
        "rows": rows,
        "generate_seconds": gen_times,
        "generate_median_seconds": median,
        "invoices_per_second": rows["invoices"] / median,
        "write_parquet_median_seconds": statistics.median(write_times) if write_times else None,
        "peak_rss_gb": peak_rss_gb(),
        "target": {
            "seconds": TARGET_SECONDS,
            "peak_gb": TARGET_PEAK_GB,
            "invoices": TARGET_INVOICES,
        },
        "naive_loop_extrapolated_seconds": naive * rows["invoices"],
        "naive_loop_invoices_per_second": 1 / naive,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "system": platform.platform(),
        },
    }


def main() -> None:
    """Parse arguments, run, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 customers (a few seconds)")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parquet", action="store_true", help="also time writing Parquet")
    parser.add_argument("--naive-customers", type=int, default=100)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.customers is None:
        args.customers = 5_000 if args.quick else 100_000
    result = run(args)
    invoices = result["rows"]["invoices"]  # type: ignore[index]
    print(f"customers {args.customers:,}, years {args.years}, runs {args.repeat}")
    print(f"rows: {result['rows']}")
    runs = [round(t, 2) for t in result["generate_seconds"]]  # type: ignore[attr-defined]
    print(
        f"generate median {result['generate_median_seconds']:.2f} s "
        f"({result['invoices_per_second']:,.0f} invoices/s), runs {runs}"
    )
    if result["write_parquet_median_seconds"] is not None:
        print(f"write parquet median {result['write_parquet_median_seconds']:.2f} s")
    print(f"peak RSS {result['peak_rss_gb']:.2f} GB")
    print(
        f"target: <= {TARGET_SECONDS:.0f} s and <= {TARGET_PEAK_GB:.0f} GB for 100,000 customers "
        f"with >= {TARGET_INVOICES:,} invoices (measured {invoices:,} invoices)"
    )
    naive_rate = result["naive_loop_invoices_per_second"]
    naive_total = result["naive_loop_extrapolated_seconds"]
    print(
        f"naive per-invoice Python loop: {naive_rate:,.0f} invoices/s, "
        f"extrapolated {naive_total:.0f} s for the same invoices"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
