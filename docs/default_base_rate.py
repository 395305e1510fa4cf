"""Base rate of the default-like event on a ledger, as the credit policy defines it.

    uv run python docs/default_base_rate.py data/sample
    uv run risk sample --customers 5000 --years 2 --seed 7 --fmt parquet --out /tmp/l5k
    uv run python docs/default_base_rate.py /tmp/l5k

Monthly customer snapshots whose 12 months are over by the cut-off (the default model's
snapshot dates), one row per customer already invoiced; prints the share labelled 1 among the
performing ones, what triggered it, and the same with the truth of a generated ledger: the
share of the default rows whose customer never fails (no proceeding even in the year after the
ledger end). Prints CPU time and load average.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from risk.decisions.credit import CreditPolicy
from risk.features import default_cutoff, snapshot_dates
from risk.io import load_ledger
from risk.labels import default_labels
from risk.ledger import Ledger
from risk.model.default_level import default_feature_config

PARTS = ("label_default_proceeding", "label_default_past_due", "label_default_write_off")


def label_queries(ledger: Ledger) -> tuple[pd.Timestamp, pd.DataFrame]:
    """The cut-off and the (customer, monthly snapshot) pairs the default label is measured on:
    snapshots whose 12-month horizon has matured, from each customer's first invoice on."""
    cutoff = default_cutoff(ledger)
    dates = snapshot_dates(ledger, default_feature_config(), cutoff - pd.Timedelta(days=365))
    first = ledger.invoices.groupby("customer_id")["issued_on"].min()
    grid = pd.MultiIndex.from_product(
        [ledger.customers["customer_id"], dates], names=["customer_id", "as_of"]
    ).to_frame(index=False)
    return cutoff, grid[grid["customer_id"].map(first) <= grid["as_of"]].reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger", type=Path)
    args = parser.parse_args()
    started = time.process_time()
    ledger = load_ledger(args.ledger)
    cutoff, queries = label_queries(ledger)
    definition = CreditPolicy.load().default_definition()
    found = default_labels(ledger, queries, cutoff, materiality=definition)
    found = pd.concat(
        [queries, found.drop(columns=["customer_id", "as_of"], errors="ignore")], axis=1
    )
    kept = found[found["label_default"].notna()]
    label = kept["label_default"].astype(bool)
    dates = queries["as_of"]
    print(f"snapshots {dates.min():%Y-%m-%d} .. {dates.max():%Y-%m-%d}, cut-off {cutoff:%Y-%m-%d}")
    print(f"default base rate: {label.mean():.1%} of {len(kept)} performing customer-months")
    for part in PARTS:
        print(f"  {part}: {kept[part].astype(bool).mean():.1%}")
    by_year = label.groupby(pd.to_datetime(kept["as_of"]).dt.year).agg(["mean", "size"])
    print(
        "by snapshot year:",
        {y: f"{r['mean']:.1%} of {int(r['size'])}" for y, r in by_year.iterrows()},
    )
    truth = args.ledger / "truth"
    names = [truth / f"customer_truth.{ext}" for ext in ("parquet", "csv")]
    path = next((p for p in names if p.exists()), None)
    if path is not None:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        never = set(frame.loc[frame["failed_on"].isna(), "customer_id"].astype(str))
        rows = kept[label]
        healthy = rows["customer_id"].astype(str).isin(never)
        print(
            f"default rows of customers that never fail in the truth: {healthy.sum()} of {len(rows)}"
        )
    print(f"CPU {time.process_time() - started:.1f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
