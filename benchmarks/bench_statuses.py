"""Benchmark: what the e-invoicing statuses are worth to the models.

    uv run python benchmarks/bench_statuses.py            # 5k customers
    uv run python benchmarks/bench_statuses.py --quick    # 600 customers

A generated portfolio (its electronic invoices carry lifecycle statuses, ``risk.synth.statuses``)
is written with the statuses as a platform CSV export. Three ledgers: with the statuses (the
baseline of the run), without them, and without them then restored by ``risk enrich statuses``
from the export. Each trains the invoice and customer models like ``bench_train`` (same windows,
same fit; out-of-time AUC) and the payment-timing model like ``bench_timing`` (AUC of "paid
more than 30 days late" over every invoice open at the evaluation dates).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import peak_rss_mb, write_results
from bench_train import quality
from risk.enrich.run import enrich_statuses
from risk.io import load_ledger, write_ledger
from risk.ledger import Ledger
from risk.model.lgbm import LightGBMConfig
from risk.synth import SampleConfig, generate_portfolio
from risk.synth.portfolio import Portfolio
from risk.synth.statuses import platform_export_frame
from risk.timing.assess import assess
from risk.timing.hazard import TIMING_PARAMS, HazardConfig
from risk.timing.train import TimingConfig, fit_timing, timing_windows


def restored(ledger: Ledger, folder: Path) -> tuple[Ledger, dict[str, float]]:
    """The statuses removed, then imported back from a platform CSV export."""
    assert ledger.invoice_statuses is not None
    export = folder / "statuts_plateforme.csv"
    platform_export_frame(ledger.invoice_statuses).to_csv(export, sep=";", index=False)
    target = folder / "restored"
    write_ledger(ledger.with_tables(invoice_statuses=None), target)
    start = time.perf_counter()
    result = enrich_statuses(target, [export])
    seconds = time.perf_counter() - start
    figures = {
        "statuses_in_export": len(ledger.invoice_statuses),
        "statuses_added": len(result.statuses),
        "import_seconds": seconds,
    }
    return load_ledger(target), figures


def timing_auc(ledger: Ledger, threads: int) -> dict[str, float]:
    """Out-of-time AUC (L = 30) of the payment-timing model over the open invoices."""
    lgbm = LightGBMConfig(params=dict(TIMING_PARAMS), num_boost_round=600,
                          early_stopping_rounds=30, num_threads=threads)  # fmt: skip
    config = TimingConfig(hazard=HazardConfig(lightgbm=lgbm))
    windows = timing_windows(ledger, config)
    model = fit_timing(ledger, config, windows)
    metrics = assess(model, ledger, windows.eval_dates, windows.cutoff).metrics
    return {"auc": metrics["test_auc"], "brier": metrics["test_brier"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2, help="LightGBM threads (timing)")
    parser.add_argument(
        "--levels", default="invoice,customer,timing", help="models to train, comma separated"
    )
    args = parser.parse_args()
    customers = args.customers or (600 if args.quick else 5_000)
    print(f"generating {customers:,} customers ...", flush=True)
    portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=11))
    ledger = portfolio.ledger
    assert ledger.invoice_statuses is not None
    figures: dict[str, object] = {
        "customers": customers,
        "quick": args.quick,
        "electronic_invoices": int((ledger.invoices["channel"] == "electronic").sum()),
        "statuses": ledger.invoice_statuses["status"].value_counts().to_dict(),
        "load_average_1m_start": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as tmp:
        back, import_figures = restored(ledger, Path(tmp))
    figures["import"] = import_figures
    print(f"risk enrich statuses: {import_figures['statuses_added']:,} of "
          f"{import_figures['statuses_in_export']:,} statuses imported in "
          f"{import_figures['import_seconds']:.1f} s", flush=True)  # fmt: skip
    variants = {
        "with statuses (baseline)": ledger,
        "without statuses": ledger.with_tables(invoice_statuses=None),
        "restored by risk enrich statuses": back,
    }
    levels = args.levels.split(",")
    for level in levels:
        base = None
        for name, book in variants.items():
            if level == "timing":
                q = timing_auc(book, args.threads)
            else:
                q = quality(Portfolio(ledger=book, truth=portfolio.truth), level)
            base = q["auc"] if base is None else base
            figures[f"{level}: {name}"] = {k: q[k] for k in ("auc", "ece", "brier") if k in q}
            print(f"{level:8s} {name:34s} AUC {q['auc']:.4f} ({q['auc'] - base:+.4f} vs with)",
                  flush=True)  # fmt: skip
    figures["load_average_1m_end"] = os.getloadavg()[0]
    suffix = "" if levels == ["invoice", "customer", "timing"] else "_" + "_".join(levels)
    figures["peak_rss_mb"] = round(peak_rss_mb())
    print(
        f"peak RSS {figures['peak_rss_mb']} MiB; load average {figures['load_average_1m_start']:.1f}"
        f" -> {figures['load_average_1m_end']:.1f}; results: "
        f"{write_results('bench_statuses' + suffix, figures)}"
    )


if __name__ == "__main__":
    main()
