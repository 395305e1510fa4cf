"""Validation holds one copy of a table: typed columns that pass every rule are kept as read,
not copied, and the validated ledger is the ledger that was written (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt

from risk.io import read_raw_tables, write_ledger
from risk.synth import SampleConfig, generate_portfolio
from risk.validation import validate_tables


def _parquet_ledger(tmp_path: Path) -> tuple[Path, object]:
    portfolio = generate_portfolio(SampleConfig(customers=40, years=1, seed=3))
    folder = tmp_path / "ledger"
    write_ledger(portfolio.ledger, folder, "parquet")
    return folder, portfolio.ledger


def test_kept_numeric_and_date_columns_are_the_columns_read(tmp_path: Path) -> None:
    folder, _ = _parquet_ledger(tmp_path)
    raw = read_raw_tables(folder)
    result = validate_tables(raw)
    assert result.n_quarantined == 0
    invoices = result.ledger.invoices
    for column in ("amount", "amount_paid", "issued_on", "due_on", "paid_on"):
        assert np.shares_memory(invoices[column].to_numpy(), raw["invoices"][column].to_numpy())
    payments = result.ledger.payments
    assert payments is not None
    assert np.shares_memory(payments["amount"].to_numpy(), raw["payments"]["amount"].to_numpy())


def test_validated_ledger_is_the_ledger_written_and_counts_reconcile(tmp_path: Path) -> None:
    folder, written = _parquet_ledger(tmp_path)
    raw = read_raw_tables(folder)
    result = validate_tables(raw)
    for name, frame in written.tables().items():  # type: ignore[attr-defined]
        pdt.assert_frame_equal(result.ledger.tables()[name], frame.reset_index(drop=True))
        report = result.reports[name]
        assert report.reconciles and report.read == len(raw[name]) == report.kept


def test_kept_columns_are_not_changed_by_a_change_to_the_raw_frame(tmp_path: Path) -> None:
    folder, _ = _parquet_ledger(tmp_path)
    raw = read_raw_tables(folder)
    result = validate_tables(raw)
    before = result.ledger.invoices["amount"].copy()
    raw["invoices"].loc[0, "amount"] = -1.0  # the caller reusing its raw frame
    pdt.assert_series_equal(result.ledger.invoices["amount"], before)


def test_quarantined_rows_reconcile_on_a_typed_table(tmp_path: Path) -> None:
    folder, _ = _parquet_ledger(tmp_path)
    raw = read_raw_tables(folder)
    invoices = raw["invoices"].copy()
    bad = [1, 3]
    invoices.loc[bad, "due_on"] = invoices.loc[bad, "issued_on"] - pd.Timedelta(days=1)
    raw["invoices"] = invoices
    result = validate_tables(raw)
    report = result.reports["invoices"]
    assert report.quarantined == len(bad)
    assert report.reconciles
    assert sorted(result.quarantine["invoices"]["row"]) == [b + 1 for b in bad]
    kept_ids = set(result.ledger.invoices["invoice_id"])
    assert not kept_ids & set(invoices["invoice_id"].iloc[bad])
