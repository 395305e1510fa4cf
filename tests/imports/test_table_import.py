"""Mapped imports of ERP export files: French CSV, Excel, Parquet; suggestions; errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from risk.imports.mapping import MappingError, load_mapping, parse_mapping_text
from risk.imports.pipeline import write_import
from risk.imports.suggest import suggest_mapping
from risk.imports.table import import_files
from risk.io import validate_ledger_dir

DATA = Path(__file__).parent / "data"
FILES = [DATA / "clients_export.csv", DATA / "factures_2024.csv"]


def test_french_erp_export_is_imported_and_reconciles(tmp_path: Path) -> None:
    result = import_files(load_mapping(DATA / "mapping_erp.yaml"), FILES)
    invoices = result.validation.ledger.invoices.set_index("invoice_id")
    assert list(invoices.index) == ["FA-001", "FA-002", "FA-003"]
    assert invoices.loc["FA-001", "amount"] == 1234.56  # "1 234,56 €"
    assert invoices.loc["FA-003", "amount"] == 2500.0  # "2 500,00 €" with a non-breaking space
    assert invoices.loc["FA-001", "paid_on"] == pd.Timestamp("2024-02-04")
    assert invoices.loc["FA-001", "due_on"] == pd.Timestamp("2024-02-04")  # 05/01 + 30 days
    assert invoices.loc["FA-001", "amount_paid"] == 1234.56  # settled, no amount_paid column
    assert invoices.loc["FA-002", "disputed"] and invoices.loc["FA-002", "channel"] == "electronic"
    assert pd.isna(invoices.loc["FA-002", "paid_on"])
    customers = result.validation.ledger.customers.set_index("customer_id")
    assert customers["legal_form"].to_dict() == {"CL01": "SARL", "CL02": "SAS", "CL03": "COMMUNE"}
    assert customers.loc["CL02", "payment_terms_days"] == 45
    notes = result.validation.ledger.credit_notes
    assert notes is not None and notes["credit_note_id"].tolist() == ["FA-007"]

    counts = {c.table: c for c in result.report.counts}
    # 7 rows read = 5 converted + 2 conversion quarantine (31/02/2024, 12 USD);
    # 5 converted = 3 kept + 1 quarantined (unknown customer CL09) + 1 credit note (FA-007).
    inv = counts["invoices"]
    assert (inv.read, inv.converted, inv.conversion_quarantined) == (7, 5, 2)
    assert (inv.kept, inv.quarantined, inv.moved_to_credit_notes) == (3, 1, 1)
    assert result.report.reconciles
    reasons = result.mapped["invoices"].quarantine["reasons"].tolist()
    assert reasons == [
        "issued_on: '31/02/2024' is not a date written dd/mm/yyyy",
        "amount: '12 USD' is in USD, the mapping expects EUR",
    ]

    out = tmp_path / "ledger"
    write_import(result, out)
    rejected = pd.read_csv(out / "import_quarantine" / "invoices.csv", dtype="str")
    assert rejected[["source_file", "source_row"]].values.tolist() == [["factures_2024.csv", "6"]]
    assert "customers.customer_id" in rejected["reasons"].iloc[0]
    assert (out / "import_quarantine" / "conversion" / "invoices.csv").is_file()
    assert (out / "import_report.json").is_file() and (out / "import_report.md").is_file()
    again = validate_ledger_dir(out)  # what `risk validate` does
    assert again.n_quarantined == 0 and len(again.ledger.invoices) == 3


def test_unknown_column_names_the_key_and_lists_the_file_columns() -> None:
    text = (
        (DATA / "mapping_erp.yaml")
        .read_text(encoding="utf-8")
        .replace('"Montant TTC"', '"Montant TTC total"')
    )
    mapping = parse_mapping_text(text, "mapping.yaml")
    with pytest.raises(MappingError) as error:
        import_files(mapping, FILES)
    message = str(error.value)
    assert "mapping key 'amount'" in message
    assert "'Montant TTC total' is not in factures_2024.csv" in message
    assert "did you mean 'Montant TTC'" in message
    assert "the source has: N° facture, Code client, Date facture, Montant TTC" in message


def test_file_matching_no_table_is_an_error(tmp_path: Path) -> None:
    stray = tmp_path / "stock.csv"
    stray.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"'stock\.csv' matches no table"):
        import_files(load_mapping(DATA / "mapping_erp.yaml"), [*FILES, stray])


US_MAPPING = """
tables:
  invoices:
    columns:
      invoice_id: Invoice No
      customer_id: Customer
      issued_on: Invoice Date
      due_on: {column: Due, date_format: m/d/yyyy}
      amount: Amount
      paid_on: Paid
      amount_paid: Paid Amount
      disputed: {column: Dispute, values: {yes: true, no: false}}
      channel: {constant: electronic}
"""


def test_excel_export_with_native_cells(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "Invoice No",
            "Customer",
            "Invoice Date",
            "Due",
            "Amount",
            "Paid",
            "Paid Amount",
            "Dispute",
        ]
    )
    sheet.append(
        [
            1001,
            "K1",
            datetime(2024, 1, 15),
            "2/14/2024",
            1500.5,
            datetime(2024, 2, 20),
            1500.5,
            "no",
        ]
    )
    sheet.append([1002, "K2", datetime(2024, 2, 1), "3/2/2024", 800, None, 300, "yes"])
    path = tmp_path / "invoices.xlsx"
    book.save(path)

    result = import_files(parse_mapping_text(US_MAPPING, "us.yaml"), [path])
    invoices = result.validation.ledger.invoices.set_index("invoice_id")
    assert list(invoices.index) == ["1001", "1002"]  # whole-number ids lose the Excel ".0"
    assert invoices.loc["1001", "due_on"] == pd.Timestamp("2024-02-14")
    assert invoices.loc["1002", "due_on"] == pd.Timestamp("2024-03-02")  # m/d/yyyy
    assert invoices.loc["1002", "amount_paid"] == 300.0 and invoices.loc["1002", "disputed"]
    assert set(result.validation.ledger.customers["customer_id"]) == {"K1", "K2"}
    assert any("customers derived" in note for note in result.report.notes)


def test_parquet_export(tmp_path: Path) -> None:
    path = tmp_path / "invoices.parquet"
    pd.DataFrame(
        {
            "Invoice No": ["P1", "P2"],
            "Customer": ["K1", "K1"],
            "Invoice Date": pd.to_datetime(["2024-01-10", "2024-01-20"]),
            "Due": ["2/9/2024", "not a date"],
            "Amount": [100.0, 200.0],
            "Paid": [pd.NaT, pd.NaT],
            "Paid Amount": [0.0, 0.0],
            "Dispute": [False, False],
        }
    ).to_parquet(path)
    result = import_files(parse_mapping_text(US_MAPPING, "us.yaml"), [path])
    assert result.validation.ledger.invoices["invoice_id"].tolist() == ["P1"]
    assert result.mapped["invoices"].quarantine["reasons"].tolist() == [
        "due_on: 'not a date' is not a date written mm/dd/yyyy"
    ]


def test_suggest_maps_french_headers() -> None:
    text = suggest_mapping(DATA / "factures_2024.csv")
    assert "invoice_id: N° facture" in text
    assert "customer_id: Code client" in text
    assert "issued_on: Date facture" in text
    assert "amount: Montant TTC" in text
    assert "paid_on: Date règlement" in text
    mapping = yaml.safe_load(text)
    body = mapping["tables"]["invoices"]
    assert body["columns"]["disputed"] == {"column": "Litige", "known_from": "cutoff"}
    assert body["columns"]["channel"] == {
        "column": "Support",
        "values": {"Chorus": "electronic", "Papier": "paper"},
    }
    assert "derive: issue_plus_terms" in text  # no due date column in the file
    assert body["csv"] == {"sep": ";", "encoding": "cp1252"}
    # formats from the values: 15/02/2024 proves day first; "1 234,56 €" a decimal comma
    assert mapping["date_format"] == "dd/mm/yyyy" and mapping["decimal"] == ","
    customers = suggest_mapping(DATA / "clients_export.csv")
    assert "customers:" in customers and "name: Raison sociale" in customers
    assert "siren: SIREN" in customers
