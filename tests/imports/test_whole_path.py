"""A new user's path on a real-shaped export: suggest -> import -> validate -> train -> worklist.

``tests/data/ar_export.csv`` (written by ``tests/data/make_ar_export.py``) is a one-file
accounts-receivable export with month/day/year dates, ``1,234.50`` amounts, a Y/N dispute
flag, Paper/Electronic billing, a country and a customer-level paperless date. The suggested
mapping is used as it is; every imported date and amount is compared with the source text,
parsed here by hand (month/day/year split on ``/``), so that no value can change silently.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from risk.cli import app

EXPORT = Path(__file__).parents[1] / "data" / "ar_export.csv"
runner = CliRunner()


def _mdy(text: str) -> pd.Timestamp:
    if not text:
        return pd.NaT
    month, day, year = (int(part) for part in text.split("/"))
    return pd.Timestamp(date(year, month, day))


def _source() -> list[dict[str, str]]:
    with EXPORT.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("path")
    suggested = runner.invoke(app, ["import", "table", "--suggest", str(EXPORT)])
    assert suggested.exit_code == 0, suggested.output
    mapping = work / "mapping.yaml"
    mapping.write_text(suggested.stdout, encoding="utf-8")
    out = work / "ledger"
    result = runner.invoke(
        app, ["import", "table", "-m", str(mapping), "--out", str(out), str(EXPORT)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_every_imported_date_and_amount_equals_the_source(imported: Path) -> None:
    source = _source()
    invoices = pd.read_csv(imported / "invoices.csv", dtype="str", keep_default_na=False)
    assert len(invoices) == len(source)  # nothing quarantined, nothing dropped
    got = invoices.set_index("invoice_id")
    for row in source:
        mine = got.loc[row["InvoiceNo"]]
        assert mine["customer_id"] == row["CustomerID"]
        for column, header in (("issued_on", "InvoiceDate"), ("due_on", "DueDate")):
            assert pd.Timestamp(mine[column]) == _mdy(row[header]), (row["InvoiceNo"], column)
        paid = _mdy(row["SettledDate"])
        assert (mine["paid_on"] == "") if pd.isna(paid) else pd.Timestamp(mine["paid_on"]) == paid
        assert float(mine["amount"]) == float(row["InvoiceAmount"].replace(",", ""))
        assert mine["disputed"] == ("true" if row["Disputed"] == "Y" else "false")
        assert mine["channel"] == row["BillingMethod"].lower()
    customers = pd.read_csv(imported / "customers.csv", dtype="str", keep_default_na=False)
    by_id = customers.set_index("customer_id")
    for row in source:
        assert by_id.loc[row["CustomerID"], "country"] == row["Country"]
        since = _mdy(row["PaperlessDate"])
        stored = by_id.loc[row["CustomerID"], "paperless_since"]
        assert (stored == "") if pd.isna(since) else pd.Timestamp(stored) == since


def test_the_imported_ledger_validates_trains_and_gives_a_worklist(
    imported: Path, tmp_path: Path
) -> None:
    validated = runner.invoke(app, ["validate", str(imported), "--strict"])
    assert validated.exit_code == 0, validated.output
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    levels = (("invoice", []), ("customer", ["--horizon-days", "60"]), ("default", []))
    for level, extra in levels:
        # a 60-day horizon: the default 180 days leaves no validation row on this short history
        args = ["train", "--ledger", str(imported), "--level", level, "--tracking-uri", tracking]
        trained = runner.invoke(app, [*args, *extra, "--report-dir", str(tmp_path / level)])
        assert trained.exit_code == 0, trained.output
        assert (tmp_path / level / "report.md").is_file()
    out = tmp_path / "worklist.csv"
    args = ["worklist", "--ledger", str(imported), "--tracking-uri", tracking, "--top", "0"]
    args += ["--by", "invoice"]
    listed = runner.invoke(app, [*args, "--csv", str(out)])
    assert listed.exit_code == 0, listed.output
    worklist = pd.read_csv(out, dtype={"invoice_id": "str"})
    source = {row["InvoiceNo"]: row for row in _source()}
    assert len(worklist) > 0
    # open ones only: unsettled, or settled on the as-of day itself (one clock: a fact counts
    # from the day after it happened, as in the features)
    as_of = pd.Timestamp(worklist["as_of"].iloc[0])
    for invoice_id in worklist["invoice_id"]:
        settled = source[invoice_id]["SettledDate"]
        assert settled == "" or pd.Timestamp(settled) >= as_of, invoice_id
