"""The batch's worklist stage, now against the former stage, CPU seconds, in the same run.

    uv run python benchmarks/bench_worklist_stage.py --quick     # 2,000 customers
    uv run python benchmarks/bench_worklist_stage.py --customers 20000

The ledger is ``bench_batch.py``'s cached one (generated in a child process when missing). The
champions and a small payment-timing model (the tests' fast settings) are trained once on a
300-customer portfolio and kept as a pickle under /tmp (``--models`` to choose where). The
ledger is scored once (the score stage, as one chunk), then the worklist stage (global
candidates, decision step, top 50 explained, explain mode applied) is timed with the former
code (``tests/batch/worklist_reference.py``) and the current code, alternately, ``--repeats``
times each; both must give the same worklist. Results go to
``benchmarks/results/worklist-stage[-quick].json``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "batch"))
from benchmarks._common import peak_rss_mb, write_results  # noqa: E402
from benchmarks.bench_batch import ledger_folder  # noqa: E402


def models(path: Path) -> Any:
    """Champions and a fast payment-timing model, trained once and pickled at ``path``."""
    if path.is_file():
        return pickle.loads(path.read_bytes())
    from conftest import FAST
    from risk import registry
    from risk.scoring import Scorer
    from risk.synth import SampleConfig, generate_portfolio
    from risk.timing.train import train_timing
    from risk.train import train_levels

    with tempfile.TemporaryDirectory() as root:
        store = registry.Store.resolve(f"sqlite:///{root}/mlflow.db")
        small = generate_portfolio(SampleConfig(customers=300, years=3, seed=5))
        train_levels(small.ledger, store)
        train_timing(small.ledger, store, FAST)
        scorer = Scorer.from_registry(store)
    path.write_bytes(pickle.dumps(scorer))
    return scorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 customers")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--models", type=Path, default=Path(tempfile.gettempdir()) / "risk-bench-worklist.pkl"
    )
    args = parser.parse_args()
    customers = args.customers or 2_000
    import pandas as pd
    from worklist_reference import reference_global_worklist

    from risk.batch import merge
    from risk.batch.chunks import score_chunk
    from risk.store import validate_source

    scorer = models(args.models)
    assert scorer.timing_model is not None
    ledger = validate_source(ledger_folder(customers, args.years, args.seed)).ledger
    as_of = ledger.cutoff
    cpu = time.process_time()
    scores = score_chunk(scorer, ledger, as_of, explain=False)
    score_cpu = time.process_time() - cpu
    customer_scores, invoice_scores = merge.sort_scores(scores.customers, scores.invoices)

    def former() -> pd.DataFrame:
        candidates = merge.worklist_candidates(customer_scores, invoice_scores, args.top)
        found = reference_global_worklist(scorer, ledger, as_of, candidates, args.top)
        merge.apply_explain_mode(customer_scores, invoice_scores, found, "worklist")
        return found

    def current() -> pd.DataFrame:
        candidates = merge.worklist_candidates(customer_scores, invoice_scores, args.top)
        found = merge.build_global_worklist(scorer, ledger, as_of, candidates, top=args.top)
        merge.apply_explain_mode(customer_scores, invoice_scores, found, "worklist")
        return found

    seconds: dict[str, list[float]] = {"former": [], "current": []}
    results: dict[str, pd.DataFrame] = {}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeats):
        for name, stage in (("former", former), ("current", current)):
            cpu = time.process_time()
            results[name] = stage()
            seconds[name].append(time.process_time() - cpu)
    pd.testing.assert_frame_equal(results["current"], results["former"])
    former_s, current_s = (statistics.median(seconds[k]) for k in ("former", "current"))
    figures = {
        "customers": len(ledger.customers),
        "invoices": len(ledger.invoices),
        "open_invoices_scored": len(invoice_scores),
        "worklist_rows": len(results["current"]),
        "score_stage_cpu_s (one chunk, features + predict)": score_cpu,
        "worklist_stage_cpu_s": {
            k: {"runs": v, "median": statistics.median(v)} for k, v in seconds.items()
        },
        "former_over_current": former_s / current_s,
        "identical_worklist": True,
        "peak_rss_mb": peak_rss_mb(),
        "load_average_before_after": (load_before, os.getloadavg()[0]),
    }
    print(
        f"{figures['customers']:,} customers, {figures['open_invoices_scored']:,} open invoices: "
        f"score stage {score_cpu:.2f} s CPU; worklist stage (top {args.top}) former "
        f"{former_s:.2f} s CPU, now {current_s:.2f} s CPU ({former_s / current_s:.2f}x), same "
        f"worklist; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    name = (
        "worklist-stage-quick"
        if args.quick and not args.customers
        else f"worklist-stage-{customers}c"
    )
    print(f"written: {write_results(name, figures)}")


if __name__ == "__main__":
    main()
