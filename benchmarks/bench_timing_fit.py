"""Benchmark: fit time of the payment-timing model on N snapshot rows (target: 1M rows in
under 2 minutes on this machine).

    uv run python benchmarks/bench_timing_fit.py                  # 1M snapshot rows
    uv run python benchmarks/bench_timing_fit.py --quick          # 200k snapshot rows

The snapshot rows of a generated portfolio (300 customers, seed 11, weekly snapshots) are built
once (their CPU time per row is reported), then repeated with fresh invoice and customer ids up
to ``--rows`` rows, and the hazard model (``fit_hazard``: (row, week) pairs, LightGBM with early
stopping, calibration) and the lost-outcome model (``fit_lost_share``) are fitted on them as
``fit_timing`` fits them. Repeated rows cost LightGBM what distinct rows cost (histograms are
built over every row), but early stopping may stop at another round than on a genuinely larger
ledger: the CPU seconds per tree are printed beside the total. CPU time (all threads) is the
figure to read on a shared machine; the load average is recorded with it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import peak_rss_mb, write_results
from risk.model.lgbm import LightGBMConfig
from risk.synth import SampleConfig, generate_portfolio
from risk.timing.hazard import TIMING_PARAMS, HazardConfig, fit_hazard, fit_lost_share
from risk.timing.outcomes import exit_dates
from risk.timing.snapshots import snapshot_frame
from risk.timing.train import TimingConfig, timing_windows

TARGET_SECONDS = 120.0


def cpu_seconds() -> float:
    """User + system CPU of this process and all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def repeated(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    """``frame`` repeated (fresh invoice and customer ids per copy) to ``rows`` rows."""
    copies = []
    for k in range(int(np.ceil(rows / len(frame)))):
        copy = frame.copy()
        copy["invoice_id"] = copy["invoice_id"].astype("str") + f"~{k}"
        copy["customer_id"] = copy["customer_id"].astype("str") + f"~{k}"
        copies.append(copy)
    return pd.concat(copies, ignore_index=True).head(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200k snapshot rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2, help="LightGBM threads")
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    portfolio = generate_portfolio(SampleConfig(customers=args.customers, years=3, seed=11))
    ledger = portfolio.ledger
    lgbm = LightGBMConfig(params=dict(TIMING_PARAMS), num_boost_round=600,
                          early_stopping_rounds=30, num_threads=args.threads)  # fmt: skip
    config = TimingConfig(hazard=HazardConfig(lightgbm=lgbm))
    windows = timing_windows(ledger, config)
    cpu = cpu_seconds()
    frame = snapshot_frame(ledger, windows.valid_end, config.features, config.snapshots)
    snapshot_cpu = cpu_seconds() - cpu
    exits = exit_dates(ledger).set_index("invoice_id")
    frame["paid_on"] = frame["invoice_id"].map(exits["paid_on"])
    frame["lost_on"] = frame["invoice_id"].map(exits["lost_on"])
    print(f"{len(frame):,} snapshot rows of {args.customers} customers built in "
          f"{snapshot_cpu:.1f} CPU-s ({snapshot_cpu / len(frame) * 1e6:.0f} CPU-s per 1M rows)",
          flush=True)  # fmt: skip
    big = repeated(frame, rows)
    train = (big["as_of"] < windows.train_end).to_numpy()
    load_before = os.getloadavg()
    start, cpu = time.perf_counter(), cpu_seconds()
    model = fit_hazard(big[train], windows.train_end, big[~train], windows.valid_end,
                       config.features, config.hazard)  # fmt: skip
    hazard_cpu = cpu_seconds() - cpu
    fit_lost_share(model, big[train], windows.train_end, big[~train], windows.valid_end,
                   config.features, config.hazard)  # fmt: skip
    fit_cpu, wall = cpu_seconds() - cpu, time.perf_counter() - start
    load_after = os.getloadavg()
    trees = model.booster.num_trees()
    figures = {
        "snapshot_rows": rows,
        "source_rows": len(frame),
        "customers": args.customers,
        "threads": args.threads,
        "pairs": model.metadata["pairs_train"] + model.metadata["pairs_valid"],
        "trees": trees,
        "fit_cpu_seconds": fit_cpu,
        "hazard_cpu_seconds": hazard_cpu,
        "hazard_cpu_seconds_per_tree": hazard_cpu / max(trees, 1),
        "fit_wall_seconds": wall,
        "snapshot_cpu_seconds_per_1m_rows": snapshot_cpu / len(frame) * 1e6,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "peak_rss_mb": round(peak_rss_mb()),
    }
    print(f"fit on {rows:,} snapshot rows ({figures['pairs']:,} pairs, {trees} trees, "
          f"{args.threads} threads): {fit_cpu:.1f} CPU-s (hazard {hazard_cpu:.1f}, "
          f"{figures['hazard_cpu_seconds_per_tree']:.2f} per tree), wall {wall:.1f} s "
          f"(target < {TARGET_SECONDS:.0f} s); load average {load_before[0]:.1f} -> "
          f"{load_after[0]:.1f}; peak RSS {figures['peak_rss_mb']} MiB")  # fmt: skip
    name = f"bench_timing_fit-{rows}rows-{args.customers}c-{args.threads}t"
    print(f"results: {write_results(name, figures)}")


if __name__ == "__main__":
    main()
