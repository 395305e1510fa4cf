"""Write ``ar_export.csv``: a real-shaped accounts-receivable export, one row per invoice.

It is what a US-configured ERP gives a new user, the shape of the export described in issue 16:
month/day/year dates without zero padding, amounts with a thousands comma (``1,234.50``), a
``Y``/``N`` dispute flag, ``Paper``/``Electronic`` billing, the customer's country and the date
the customer went paperless (a customer-level column repeated on every invoice row), English
camelCase headers. The rows come from the synthetic generator (``risk.synth``) so that payment
behaviour is realistic; the layout is the export's, not the ledger's.

Usage (both committed files; the output is deterministic for a seed)::

    uv run python tests/data/make_ar_export.py                      # tests/data/ar_export.csv
    uv run python tests/data/make_ar_export.py --customers 600 --out tests/data/ar_export_600.csv

``ar_export.csv`` (60 customers, 747 invoices) checks that no value changes on the way;
``ar_export_600.csv`` (600 customers, 11,327 invoices) is large enough to learn from: the
new-user path is compared with a hand-written reference on it (item 8 of issue 16).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd

from risk.synth import SampleConfig, generate_portfolio

HEADER = (
    "CustomerID",
    "Country",
    "PaperlessDate",
    "InvoiceNo",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "SettledDate",
    "Disputed",
    "BillingMethod",
)
DEFAULT_OUT = Path(__file__).with_name("ar_export.csv")


def us_date(value: pd.Timestamp) -> str:
    """``3/4/2024`` for 4 March 2024; empty for a missing date."""
    return "" if pd.isna(value) else f"{value.month}/{value.day}/{value.year}"


def us_amount(value: float) -> str:
    """``1,234.50``."""
    return f"{value:,.2f}"


def export_rows(customers: int, years: int, seed: int) -> list[list[str]]:
    """The export's rows (header first), sorted by invoice date then number."""
    config = SampleConfig(customers=customers, years=years, seed=seed, invoices_per_month=0.3)
    ledger = generate_portfolio(config).ledger
    invoices = ledger.invoices.sort_values(["issued_on", "invoice_id"], kind="stable")
    electronic = invoices[invoices["channel"] == "electronic"]
    paperless = electronic.groupby("customer_id")["issued_on"].min()
    country = ledger.customers.set_index("customer_id")["country"]
    rows = [list(HEADER)]
    for row in invoices.itertuples(index=False):
        rows.append(
            [
                row.customer_id,
                str(country.get(row.customer_id, "FR")),
                us_date(paperless.get(row.customer_id, pd.NaT)),
                row.invoice_id,
                us_date(row.issued_on),
                us_date(row.due_on),
                us_amount(row.amount),
                us_date(row.paid_on),
                "Y" if row.disputed else "N",
                "Electronic" if row.channel == "electronic" else "Paper",
            ]
        )
    return rows


def write_export(out: Path, customers: int = 60, years: int = 3, seed: int = 16) -> Path:
    """Write the export CSV (comma separated, UTF-8) and return its path."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(export_rows(customers, years, seed))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    path = write_export(args.out, args.customers, args.years, args.seed)
    print(f"{path}: {sum(1 for _ in path.open(encoding='utf-8')) - 1} invoices")


if __name__ == "__main__":
    main()
