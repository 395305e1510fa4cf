"""Benchmark: validating a generated ledger (target: 5M invoices in under 30 s on 2 cores).

    uv run python benchmarks/bench_validate.py            # 100k customers, >= 5M invoices
    uv run python benchmarks/bench_validate.py --quick    # a few seconds

Baseline in the same run: a plain per-row Python validator of the invoice rules on a subset,
extrapolated to the same row count (what the vectorised rules replace).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import median, peak_rss_mb, timed, write_results
from risk.io import validate_ledger_dir, write_ledger
from risk.synth import SampleConfig, generate_portfolio

TARGET_SECONDS_5M = 30.0
BASELINE_ROWS = 20_000


def per_row_baseline(raw: pd.DataFrame) -> float:
    """Rows/s of a naive validator: one Python loop iteration per invoice row."""
    rows = raw.head(BASELINE_ROWS).astype(str).to_dict("records")
    start = time.perf_counter()
    problems = 0
    for row in rows:
        try:
            issued = pd.Timestamp(row["issued_on"])
            due = pd.Timestamp(row["due_on"])
            amount = float(row["amount"])
            paid = float(row["amount_paid"] or 0)
        except ValueError:
            problems += 1
            continue
        problems += int(due < issued) + int(amount <= 0) + int(paid > amount)
    return len(rows) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run of a few seconds")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    customers = args.customers or (3_000 if args.quick else 100_000)
    print(f"generating {customers:,} customers ...", flush=True)
    ledger = generate_portfolio(SampleConfig(customers=customers, years=3, seed=11)).ledger
    n_invoices = len(ledger.invoices)
    figures: dict[str, object] = {
        "customers": customers,
        "invoices": n_invoices,
        "quick": args.quick,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("parquet", "csv"):
            folder = Path(tmp) / fmt
            write_ledger(ledger, folder, fmt=fmt)  # type: ignore[arg-type]
            times, result = timed(lambda folder=folder: validate_ledger_dir(folder), args.repeats)
            assert result.n_quarantined == 0, result.issues.head()
            seconds = median(times)
            figures[f"{fmt}_seconds_median"] = round(seconds, 3)
            figures[f"{fmt}_invoices_per_s"] = round(n_invoices / seconds)
            print(
                f"validate {fmt:8s}: {seconds:7.2f} s median of {args.repeats}  "
                f"({n_invoices / seconds:,.0f} invoices/s)"
            )
        raw = pd.read_csv(
            Path(tmp) / "csv" / "invoices.csv",
            dtype=str,
            keep_default_na=False,
            nrows=BASELINE_ROWS,
        )
    baseline = per_row_baseline(raw)
    figures["baseline_per_row_invoices_per_s"] = round(baseline)
    figures["speedup_vs_per_row"] = round(figures["parquet_invoices_per_s"] / baseline, 1)  # type: ignore[operator]
    scaled_target = TARGET_SECONDS_5M * n_invoices / 5_000_000
    figures["target_seconds_at_this_size"] = round(scaled_target, 2)
    figures["peak_rss_mb"] = round(peak_rss_mb())
    print(
        f"baseline per-row validator: {baseline:,.0f} invoices/s "
        f"-> vectorised is {figures['speedup_vs_per_row']}x faster"
    )
    print(
        f"target: 5M invoices in {TARGET_SECONDS_5M:.0f} s = {scaled_target:.2f} s at this size; "
        f"peak RSS {figures['peak_rss_mb']} MiB (incl. generation)"
    )
    print(f"results: {write_results('bench_validate', figures)}")


if __name__ == "__main__":
    main()
