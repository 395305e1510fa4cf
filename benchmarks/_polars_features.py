"""Four representative point-in-time features written in Polars: a same-run baseline.

Polars is a development dependency used only here (optional import). Per invoice, at its issue
date ``t`` and over its customer's invoices:

* ``n_settled``: invoices paid before ``t``;
* ``mean_days_late``: mean of ``paid - due`` over those;
* ``open_amount_total``: amount of invoices issued before ``t`` and not paid before ``t``;
* ``sales_365``: amount issued in ``[t - 365, t)``.

Each is a cumulative sum looked up with ``join_asof`` (the idiomatic Polars way, O(n log n)).
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd


def available() -> bool:
    try:
        import polars  # noqa: F401
    except ImportError:
        return False
    return True


def _cumulative(pl: Any, events: Any, day: str, value: str, name: str) -> Any:
    """Per customer, running count and sum of ``value`` by day (one row per day)."""
    return (
        events.group_by("customer_id", day)
        .agg(pl.len().alias(f"{name}_n"), pl.col(value).sum().alias(f"{name}_sum"))
        .sort("customer_id", day)
        .with_columns(
            pl.col(f"{name}_n").cum_sum().over("customer_id"),
            pl.col(f"{name}_sum").cum_sum().over("customer_id"),
        )
        .rename({day: "day"})
        .sort("day")
    )


def _as_of(pl: Any, queries: Any, table: Any, shift: int, name: str) -> Any:
    """Totals of ``table`` strictly before ``day - shift`` (0 when none)."""
    lookup = queries.with_columns((pl.col("t") - shift - 1).alias("day")).sort("day")
    joined = lookup.join_asof(
        table, on="day", by="customer_id", strategy="backward", check_sortedness=False
    )
    return joined.select(
        "row",
        pl.col(f"{name}_n").fill_null(0).alias(f"{name}_n{shift}"),
        pl.col(f"{name}_sum").fill_null(0.0).alias(f"{name}_sum{shift}"),
    ).sort("row")


def polars_features(invoices: pd.DataFrame) -> tuple[Any, float, float]:
    """The four features for every invoice at its issue date; (frame, wall s, CPU s)."""
    import polars as pl

    started, cpu = time.perf_counter(), time.process_time()
    frame = pl.from_pandas(
        invoices[["customer_id", "issued_on", "due_on", "paid_on", "amount"]].reset_index(drop=True)
    ).with_columns(
        pl.col("issued_on").cast(pl.Date).cast(pl.Int32).alias("issued"),
        pl.col("due_on").cast(pl.Date).cast(pl.Int32).alias("due"),
        pl.col("paid_on").cast(pl.Date).cast(pl.Int32).alias("paid"),
        pl.int_range(pl.len()).alias("row"),
    )
    settled = frame.filter(pl.col("paid").is_not_null()).with_columns(
        (pl.col("paid") - pl.col("due")).cast(pl.Float64).alias("late")
    )
    paid_late = _cumulative(pl, settled, "paid", "late", "late")
    paid_amount = _cumulative(pl, settled, "paid", "amount", "paid")
    issued = _cumulative(pl, frame, "issued", "amount", "issued")
    queries = frame.select("row", "customer_id", pl.col("issued").alias("t"))
    late = _as_of(pl, queries, paid_late, 0, "late")
    paid = _as_of(pl, queries, paid_amount, 0, "paid")
    now = _as_of(pl, queries, issued, 0, "issued")
    year_ago = _as_of(pl, queries, issued, 365, "issued")
    out = pl.DataFrame(
        {
            "n_settled": late["late_n0"],
            "mean_days_late": late["late_sum0"] / late["late_n0"],
            "open_amount_total": now["issued_sum0"] - paid["paid_sum0"],
            "sales_365": now["issued_sum0"] - year_ago["issued_sum365"],
        }
    )
    return out, time.perf_counter() - started, time.process_time() - cpu
