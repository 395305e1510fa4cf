"""Benchmark: what the BODACC and SIRENE sources are worth, and how fast they are read.

    uv run python benchmarks/bench_enrich.py            # 20k customers, 5M-row SIRENE stock
    uv run python benchmarks/bench_enrich.py --quick    # 1.5k customers, 200k-row stock

A generated portfolio is written with its open-data files (``risk.synth.open_data``: a BODACC
export of its proceedings, a SIRENE stock of its customers). Three ledgers are derived from it:
without the BODACC proceedings, without the SIRENE attributes (NAF code, size, creation date,
legal form), and with both removed then restored by ``risk enrich`` from the files. Each is
trained like ``bench_train`` (same windows, same fit) and its out-of-time AUC is compared with
the full ledger's in the same run (the baseline). Speed: ``risk enrich sirene`` streaming a
stock file padded with other companies' rows, in rows per second, and its peak memory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _common import peak_rss_mb, write_results
from bench_train import quality
from risk.enrich.run import enrich_bodacc, enrich_sirene
from risk.io import load_ledger, write_ledger
from risk.ledger import Ledger
from risk.synth import SampleConfig, generate_portfolio
from risk.synth.open_data import PROCEEDING_KINDS, write_open_data
from risk.synth.portfolio import Portfolio

SIRENE_COLUMNS = ("naf_code", "created_on", "legal_form", "employees")


def without_bodacc(ledger: Ledger) -> Ledger:
    events = ledger.legal_events
    assert events is not None
    return ledger.with_tables(
        legal_events=events[~events["kind"].isin(PROCEEDING_KINDS)].reset_index(drop=True)
    )


def without_sirene(ledger: Ledger) -> Ledger:
    customers = ledger.customers.copy()
    customers["naf_code"] = pd.Series(pd.NA, index=customers.index, dtype="str")
    customers["legal_form"] = pd.Series(pd.NA, index=customers.index, dtype="str")
    customers["created_on"] = pd.NaT
    customers["employees"] = pd.array([pd.NA] * len(customers), dtype="Int64")
    return ledger.with_tables(customers=customers)


def restored(ledger: Ledger, folder: Path) -> tuple[Ledger, dict[str, float]]:
    """Both sources removed, then put back by ``risk enrich`` from the generated files."""
    files = write_open_data(ledger, folder / "open_data")
    target = folder / "restored"
    write_ledger(without_sirene(without_bodacc(ledger)), target)
    start = time.perf_counter()
    bodacc = enrich_bodacc(target, [files["bodacc"]])
    sirene = enrich_sirene(target, [files["sirene"]])
    seconds = time.perf_counter() - start
    figures = {
        "enrich_seconds": seconds,
        "bodacc_events_added": len(bodacc.events),
        "sirene_values_filled": int(sirene.report["action"].str.startswith("filled").sum()),
    }
    return load_ledger(target), figures


def sirene_speed(ledger: Ledger, folder: Path, rows: int) -> dict[str, float]:
    """Stream a stock file of ``rows`` rows (the customers' units among other companies')."""
    files = write_open_data(ledger, folder / "speed")
    own = pd.read_csv(files["sirene"], dtype="str", keep_default_na=False)
    filler = own.sample(n=rows, replace=True, random_state=1).reset_index(drop=True)
    filler["siren"] = pd.Series(np.arange(100_000_000, 100_000_000 + rows)).astype("str")
    stock = folder / "speed" / "StockUniteLegale_big.csv"
    pd.concat([filler, own], ignore_index=True).to_csv(stock, index=False)
    target = folder / "speed_ledger"
    write_ledger(without_sirene(ledger), target)
    start = time.perf_counter()
    enrich_sirene(target, [stock], dry_run=True)
    seconds = time.perf_counter() - start
    return {"rows": rows + len(own), "seconds": seconds, "rows_per_s": (rows + len(own)) / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run of about a minute")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--stock-rows", type=int, default=None)
    args = parser.parse_args()
    customers = args.customers or (1_500 if args.quick else 20_000)
    stock_rows = args.stock_rows or (200_000 if args.quick else 5_000_000)
    print(f"generating {customers:,} customers ...", flush=True)
    portfolio = generate_portfolio(SampleConfig(customers=customers, years=3, seed=11))
    figures: dict[str, object] = {"customers": customers, "quick": args.quick}
    with tempfile.TemporaryDirectory() as tmp:
        back, enrich_figures = restored(portfolio.ledger, Path(tmp))
        figures["enrich"] = enrich_figures
        variants = {
            "full ledger (baseline)": portfolio.ledger,
            "without BODACC proceedings": without_bodacc(portfolio.ledger),
            "without SIRENE attributes": without_sirene(portfolio.ledger),
            "both restored by risk enrich": back,
        }
        for level in ("customer", "invoice"):
            base = None
            for name, ledger in variants.items():
                q = quality(Portfolio(ledger=ledger, truth=portfolio.truth), level)
                base = q["auc"] if base is None else base
                figures[f"{level}: {name}"] = {"auc": q["auc"], "ece": q["ece"]}
                print(
                    f"{level:8s} {name:30s} AUC {q['auc']:.4f} ({q['auc'] - base:+.4f} vs full), "
                    f"ECE {q['ece']:.4f}",
                    flush=True,
                )
        speed = sirene_speed(portfolio.ledger, Path(tmp), stock_rows)
    figures["sirene_stream"] = speed
    print(
        f"risk enrich sirene: {speed['rows']:,} stock rows streamed in {speed['seconds']:.1f} s "
        f"({speed['rows_per_s']:,.0f} rows/s); enrichment of the restored ledger "
        f"{enrich_figures['enrich_seconds']:.1f} s ({enrich_figures['bodacc_events_added']} events, "
        f"{enrich_figures['sirene_values_filled']} values filled)"
    )
    figures["peak_rss_mb"] = round(peak_rss_mb())
    print(
        f"peak RSS {figures['peak_rss_mb']} MiB; results: {write_results('bench_enrich', figures)}"
    )


if __name__ == "__main__":
    main()
