"""Benchmark of the invoice-level feature frame (``risk.features.build_invoice_frame``).

Full run: a generated ledger of 100k customers over 3 years (about 5-6M invoices), target
>= 200k invoices/s on 2 cores and peak memory under 6 GB. ``--quick`` runs in a few seconds.
Also times the loop reference of ``tests/features/reference.py`` on a small ledger, so the
speed ratio comes from the same run. Prints the figures and writes JSON to
``benchmarks/results/bench_features.json``.

Usage:
    uv run python benchmarks/bench_features.py --quick
    uv run python benchmarks/bench_features.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from risk.features import FeatureConfig, build_invoice_frame
from risk.ledger import Ledger
from risk.synth import SampleConfig, generate_portfolio

ROOT = Path(__file__).resolve().parents[1]
LEDGER_TABLES = ("customers", "invoices", "credit_notes", "payments", "legal_events", "reminders")
RESULTS = ROOT / "benchmarks" / "results" / "bench_features.json"


def peak_memory_gb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def median_seconds(ledger: Ledger, repeats: int, threads: int = 2) -> tuple[float, float]:
    """Median wall and CPU time of ``build_invoice_frame`` over ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        frame = build_invoice_frame(ledger, FeatureConfig(n_threads=threads))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        del frame
    return statistics.median(walls), statistics.median(cpus)


def reference_ratio(customers: int, repeats: int) -> dict[str, float]:
    """Invoices per second of the fast code and of the loop reference on a small ledger."""
    sys.path.insert(0, str(ROOT / "tests" / "features"))
    from reference import reference_invoice_frame

    ledger = generate_portfolio(SampleConfig(customers=customers, years=1, seed=1)).ledger
    n = len(ledger.invoices)
    fast, _ = median_seconds(ledger, repeats)
    pairs = list(zip(ledger.invoices["invoice_id"], ledger.invoices["issued_on"], strict=True))
    started = time.perf_counter()
    reference_invoice_frame(ledger, pairs, FeatureConfig())
    slow = time.perf_counter() - started
    return {
        "invoices": n,
        "fast_invoices_per_s": n / fast,
        "reference_invoices_per_s": n / slow,
        "speedup": slow / fast,
    }


def cached_ledger(customers: int, years: int, cache: Path) -> Ledger:
    """The generated ledger, generated once in a child process and kept as Parquet.

    Generating in another process keeps the generator's own memory peak out of the figures.
    """
    folder = cache / f"ledger_{customers}c_{years}y_seed7"
    if not (folder / "invoices.parquet").exists():
        code = (
            "import sys; from pathlib import Path; from risk.io import write_ledger; "
            "from risk.synth import SampleConfig, generate_portfolio; "
            f"write_ledger(generate_portfolio(SampleConfig(customers={customers}, "
            f"years={years}, seed=7)).ledger, Path({str(folder)!r}), fmt='parquet')"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
    tables = {path.stem: pd.read_parquet(path) for path in folder.glob("*.parquet")}
    return Ledger(**{name: frame for name, frame in tables.items() if name in LEDGER_TABLES})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small ledger, a few seconds")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=FeatureConfig().n_threads)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "risk-bench")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    customers = args.customers or (3_000 if args.quick else 100_000)
    years = 1 if args.quick and args.customers is None else args.years
    started = time.perf_counter()
    ledger = cached_ledger(customers, years, args.cache)
    loaded = time.perf_counter() - started
    n = len(ledger.invoices)
    baseline = peak_memory_gb()
    print(f"ledger: {customers:,} customers, {years} years, {n:,} invoices "
          f"(ready in {loaded:.1f} s, {baseline:.2f} GB resident)", flush=True)  # fmt: skip
    wall, cpu = median_seconds(ledger, args.repeats, args.threads)
    peak = peak_memory_gb()
    del ledger
    ratio = reference_ratio(customers=30 if args.quick else 60, repeats=3)
    result = {
        "mode": "quick" if args.quick else "full",
        "customers": customers,
        "years": years,
        "invoices": n,
        "repeats": args.repeats,
        "threads": args.threads,
        "median_seconds": wall,
        "median_cpu_seconds": cpu,
        "invoices_per_s": n / wall,
        "invoices_per_cpu_s": n / cpu,
        "peak_memory_gb": peak,
        "memory_before_build_gb": baseline,
        "reference": ratio,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    print(f"invoice frame: median {wall:.2f} s wall ({cpu:.2f} s CPU) over {args.repeats} runs -> "
          f"{n / wall:,.0f} invoices/s (target >= 200,000)")  # fmt: skip
    print(f"peak memory: {peak:.2f} GB (target < 6 GB; {baseline:.2f} GB before the build)")
    print(f"reference on {ratio['invoices']:,} invoices: {ratio['reference_invoices_per_s']:,.0f} "
          f"invoices/s; fast code {ratio['speedup']:,.0f}x faster")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
