"""Benchmark: CPU time of one ``train_levels`` (invoice, customer, default) on a small portfolio.

    uv run python benchmarks/bench_train_levels.py            # 300 customers (the service tests')
    uv run python benchmarks/bench_train_levels.py --quick    # 150 customers
    uv run python benchmarks/bench_train_levels.py --profile  # and the top functions by CPU

The portfolio is the one ``tests/service/conftest.py`` trains on (seed 7, 3 years); models go
to a SQLite MLflow store in a temporary folder. CPU time (``time.process_time``: every thread
of this process) is what counts on a shared machine; the load average is printed beside it.
To compare two versions of the library in the same session, run the script once per version
(e.g. ``PYTHONPATH=<other checkout>/src``), back to back.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import write_results
from risk import registry
from risk.synth import SampleConfig, generate_portfolio
from risk.train import train_levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="150 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--profile", action="store_true", help="print the top 25 by CPU")
    args = parser.parse_args()
    customers = args.customers or (150 if args.quick else 300)
    portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=7))
    import risk

    print(f"library: {Path(risk.__file__).parent}", flush=True)
    with tempfile.TemporaryDirectory() as root:
        store = registry.Store.resolve(f"sqlite:///{root}/mlflow.db")
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        load_before = os.getloadavg()
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        results = train_levels(portfolio.ledger, store)
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        load_after = os.getloadavg()
    figures = {
        "customers": customers,
        "train_levels_cpu_s": round(cpu, 2),
        "train_levels_wall_s": round(wall, 2),
        "load_average_1min": [load_before[0], load_after[0]],
        "levels": sorted(results),
    }
    print(
        f"train_levels, {customers} customers: {cpu:.1f} s CPU ({wall:.1f} s wall; "
        f"load average {load_before[0]:.1f} -> {load_after[0]:.1f})"
    )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    print(f"results: {write_results('bench_train_levels', figures)}")


if __name__ == "__main__":
    main()
