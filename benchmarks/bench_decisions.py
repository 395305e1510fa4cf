"""Benchmark: the worklist's decision step (dunning action, penalties) on many open invoices.

    uv run python benchmarks/bench_decisions.py             # 3,000 customers over 3 years
    uv run python benchmarks/bench_decisions.py --quick     # 300 customers
    uv run python benchmarks/bench_decisions.py --ledger /tmp/h13/l3000   # an existing ledger

``decide_rows`` (``risk worklist`` after scoring) is timed twice in the same run on the same
open invoices: with the vectorised paths (each distinct invoice state decided once, penalties
computed once per distinct period/rate key) and with the per-row references
(``next_actions_per_row``, ``late_payment_frame_per_row``) as the baseline; both must give the
same frame. Scores are not needed: every open invoice gets a grade drawn at random (seeded).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import median, peak_rss_mb, timed, write_results
from risk.decisions import dunning, penalties
from risk.decisions import worklist as worklist_module
from risk.decisions.worklist import DecisionConfig, decide_rows
from risk.io import load_ledger
from risk.portfolio import open_amounts
from risk.synth import SampleConfig, generate_portfolio


def scored_open_items(ledger, as_of: pd.Timestamp) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    items = open_amounts(ledger, as_of)
    grades = np.random.default_rng(7).choice(list("ABCDE"), size=len(items))
    items = items.assign(grade=grades, probability=0.3, model_versions="bench")
    return items.assign(expected_at_risk=0.3 * items["open_amount"])


def per_row(ledger, as_of, items, config):  # type: ignore[no-untyped-def]
    with (
        mock.patch.object(worklist_module, "next_actions", dunning.next_actions_per_row),
        mock.patch.object(
            worklist_module, "late_payment_frame", penalties.late_payment_frame_per_row
        ),
    ):
        return decide_rows(ledger, as_of, items, config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run (300 customers)")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--ledger", type=Path, default=None, help="use this ledger folder")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 3)
    if args.ledger:
        ledger, source = load_ledger(args.ledger), str(args.ledger)
    else:
        customers = args.customers or (300 if args.quick else 3000)
        print(f"generating {customers:,} customers over 3 years ...", flush=True)
        ledger = generate_portfolio(SampleConfig(customers=customers, years=3, seed=7)).ledger
        source = f"generated {customers} customers, 3 years, seed 7"
    as_of = ledger.cutoff
    items = scored_open_items(ledger, as_of)
    config = DecisionConfig()
    print(f"{len(items):,} open invoices of {len(ledger.invoices):,} at {as_of.date()}", flush=True)
    fast_times, fast = timed(lambda: decide_rows(ledger, as_of, items, config), repeats)
    slow_times, slow = timed(lambda: per_row(ledger, as_of, items, config), repeats)
    pd.testing.assert_frame_equal(fast, slow)
    figures = {
        "ledger": source,
        "open_invoices": len(items),
        "invoices": len(ledger.invoices),
        "repeats": repeats,
        "vectorised_median_s": round(median(fast_times), 3),
        "per_row_median_s": round(median(slow_times), 3),
        "speedup": round(median(slow_times) / median(fast_times), 2),
        "same_result": True,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    for name, value in figures.items():
        print(f"{name}: {value}")
    path = write_results("decisions-quick" if args.quick else "decisions", figures)
    print(f"written {path}")


if __name__ == "__main__":
    main()
