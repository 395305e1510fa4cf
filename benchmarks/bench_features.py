"""Benchmark of the invoice-level feature frame (``risk.features.build_invoice_frame``).

Full run: a generated ledger of 100k customers over 3 years (about 5-6M invoices), target
>= 400k invoices per CPU-second and peak memory under 3x the ledger's size. ``--quick`` runs in
a few seconds. Also measured in the same run:

* the loop reference of ``tests/features/reference.py`` on a small ledger (speed ratio);
* concentration: the same invoices as one customer and spread over 32 customers (target: the
  single customer within 1.5x), 195k invoices in the full run, 20k with ``--quick``;
* user and system CPU seconds and minor page faults (allocation churn) of each build;
* a Polars version of four representative features (``benchmarks/_polars_features.py``), when
  Polars is installed (a development dependency, never imported by the library).

Prints the figures and writes JSON to ``benchmarks/results/bench_features[-quick].json``.

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
QUICK_RESULTS = ROOT / "benchmarks" / "results" / "bench_features-quick.json"


def peak_memory_gb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _usage() -> tuple[float, float, float, int]:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), used.ru_utime, used.ru_stime, used.ru_minflt


def measured_build(ledger: Ledger, repeats: int, threads: int) -> dict[str, float]:
    """Median wall, user, system seconds and minor page faults of ``build_invoice_frame``."""
    runs = []
    for _ in range(repeats):
        before = _usage()
        frame = build_invoice_frame(ledger, FeatureConfig(n_threads=threads))
        after = _usage()
        runs.append([b - a for a, b in zip(before, after, strict=True)])
        del frame
    wall, user, system, faults = (statistics.median(col) for col in zip(*runs, strict=True))
    n = len(ledger.invoices)
    return {
        "wall_s": wall,
        "user_s": user,
        "system_s": system,
        "system_share": system / max(user + system, 1e-9),
        "minor_page_faults": faults,
        "invoices_per_s": n / wall,
        "invoices_per_cpu_s": n / max(user + system, 1e-9),
    }


def ledger_bytes(ledger: Ledger) -> int:
    """In-memory size of the ledger's tables."""
    return sum(int(f.memory_usage(deep=True).sum()) for f in ledger.tables().values())


def concentrated(ledger: Ledger, n: int, spread: int = 32) -> tuple[Ledger, Ledger]:
    """``n`` invoices as one customer's, and the very same rows over ``spread`` customers."""
    invoices = ledger.invoices.head(n).copy()
    ids = set(invoices["invoice_id"])
    payments = (
        ledger.payments[ledger.payments["invoice_id"].isin(ids)]
        if ledger.payments is not None
        else None
    )
    reminders = (
        ledger.reminders[ledger.reminders["invoice_id"].isin(ids)]
        if ledger.reminders is not None
        else None
    )
    template = ledger.customers.head(1)
    one_customer = template.assign(customer_id="BIG")
    one = Ledger(
        one_customer, invoices.assign(customer_id="BIG"), payments=payments, reminders=reminders
    )
    codes = pd.factorize(invoices["customer_id"])[0] % spread
    names = pd.Series([f"S{c:02d}" for c in range(spread)], dtype="str")
    many_customers = pd.concat([template] * spread, ignore_index=True).assign(customer_id=names)
    many_invoices = invoices.assign(customer_id=names.to_numpy()[codes])
    many = Ledger(many_customers, many_invoices, payments=payments, reminders=reminders)
    return one, many


def aged_balance_seconds(ledger: Ledger, pairs: bool) -> float:
    """CPU seconds of the aged balance alone at every invoice's issue date: the interval
    sweep of the library, or the former (invoice, query) pair expansion (``pairs``)."""
    sys.path.insert(0, str(ROOT / "tests" / "features"))
    from pair_exposure import pair_aged_balance

    from risk.features.aging import aged_balance
    from risk.features.context import LedgerTimeline, make_queries
    from risk.features.exposure import BUCKETS

    timeline = LedgerTimeline(ledger, FeatureConfig())
    inv = ledger.invoices
    queries = make_queries(timeline, inv["customer_id"], inv["issued_on"])
    timeline.invoices, timeline.payments  # prepared outside the timing  # noqa: B018
    cpu = time.process_time()
    if pairs:
        pair_aged_balance(timeline, queries)
    else:
        aged_balance(timeline, queries, tuple(suffix for suffix, *_ in BUCKETS))
    return time.process_time() - cpu


def concentration(
    ledger: Ledger, n: int, repeats: int, threads: int, pairs_limit: int
) -> dict[str, object]:
    """Cost of one huge customer against the same rows spread over 32 customers (the former
    pair expansion is timed too up to ``pairs_limit`` invoices: it is quadratic)."""
    one, many = concentrated(ledger, n)
    names = ("sweep (now)", "pairs (before)") if n <= pairs_limit else ("sweep (now)",)
    aging = {
        f"{name} {layout}": aged_balance_seconds(frame, name == "pairs (before)")
        for name in names
        for layout, frame in (("one customer", one), ("32 customers", many))
    }
    single = measured_build(one, repeats, threads)
    spread = measured_build(many, repeats, threads)
    cpu = (single["user_s"] + single["system_s"]) / max(spread["user_s"] + spread["system_s"], 1e-9)
    return {"invoices": len(one.invoices), "one_customer": single, "32_customers": spread,
            "cpu_ratio": cpu, "aged_balance_cpu_s": aging}  # fmt: skip


def polars_baseline(ledger: Ledger, repeats: int) -> dict[str, float] | None:
    """Four features in Polars on the same invoices (``None`` without Polars)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _polars_features import available, polars_features

    if not available():
        return None
    runs = [polars_features(ledger.invoices)[1:] for _ in range(repeats)]
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    n = len(ledger.invoices)
    return {"wall_s": wall, "cpu_s": cpu, "invoices_per_s": n / wall, "invoices_per_cpu_s": n / cpu}


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
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--pairs-limit", type=int, default=20_000,
        help="time the former (quadratic) pair expansion only up to this many invoices",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.out = args.out or (QUICK_RESULTS if args.quick else RESULTS)
    customers = args.customers or (3_000 if args.quick else 100_000)
    years = 1 if args.quick and args.customers is None else args.years
    started = time.perf_counter()
    ledger = cached_ledger(customers, years, args.cache)
    loaded = time.perf_counter() - started
    n = len(ledger.invoices)
    baseline = peak_memory_gb()
    print(f"ledger: {customers:,} customers, {years} years, {n:,} invoices "
          f"(ready in {loaded:.1f} s, {baseline:.2f} GB resident)", flush=True)  # fmt: skip
    size_gb = ledger_bytes(ledger) / 1024**3
    build = measured_build(ledger, args.repeats, args.threads)
    wall, cpu = build["wall_s"], build["user_s"] + build["system_s"]
    peak = peak_memory_gb()
    polars = polars_baseline(ledger, args.repeats)
    concentration_figures = concentration(
        ledger, 20_000 if args.quick else 195_000, args.repeats, args.threads, args.pairs_limit
    )
    del ledger
    ratio = reference_ratio(customers=30 if args.quick else 60, repeats=3)
    result = {
        "build": build,
        "ledger_gb": size_gb,
        "peak_over_ledger": (peak - baseline + size_gb) / size_gb,
        "polars_four_features": polars,
        "concentration": concentration_figures,
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
    print(f"invoice frame: median {wall:.2f} s wall ({cpu:.2f} s CPU, {build['system_share']:.0%} "
          f"system) over {args.repeats} runs -> {n / wall:,.0f} invoices/s, "
          f"{n / cpu:,.0f} per CPU-second (target >= 400,000); "
          f"{build['minor_page_faults']:,.0f} minor page faults")  # fmt: skip
    print(f"peak memory: {peak:.2f} GB ({baseline:.2f} GB before the build; ledger {size_gb:.2f} "
          f"GB; build peak = {result['peak_over_ledger']:.1f}x the ledger, target <= 3x)")  # fmt: skip
    if polars:
        print(f"Polars, 4 features: {polars['wall_s']:.2f} s wall, {polars['invoices_per_s']:,.0f} "
              f"invoices/s, {polars['invoices_per_cpu_s']:,.0f} per CPU-second")  # fmt: skip
    else:
        print("Polars not installed: baseline skipped (uv sync --dev)")
    c = concentration_figures
    print(f"concentration, {c['invoices']:,} invoices: one customer "
          f"{c['one_customer']['user_s'] + c['one_customer']['system_s']:.2f} s CPU, "
          f"32 customers {c['32_customers']['user_s'] + c['32_customers']['system_s']:.2f} s CPU "
          f"-> ratio {c['cpu_ratio']:.2f} (target <= 1.5)")  # fmt: skip
    print("aged balance alone, CPU s: " + ", ".join(
        f"{k} {v:.2f}" for k, v in c["aged_balance_cpu_s"].items()))  # fmt: skip
    print(f"reference on {ratio['invoices']:,} invoices: {ratio['reference_invoices_per_s']:,.0f} "
          f"invoices/s; fast code {ratio['speedup']:,.0f}x faster")  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
