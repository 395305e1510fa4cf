"""One flat export (a row per invoice) feeds customers and invoices; suggestions read values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from risk.imports.mapping import MappingError, parse_mapping_text
from risk.imports.suggest import normalise, suggest_for_frame, suggest_mapping
from risk.imports.table import import_files

FLAT = (
    "CustomerID,Country,PaperlessDate,InvoiceNo,InvoiceDate,DueDate,InvoiceAmount,SettledDate,"
    "Disputed,BillingMethod\n"
    'K1,FR,2/15/2024,I1,1/3/2024,2/2/2024,"1,200.00",2/1/2024,N,Paper\n'
    "K1,FR,2/15/2024,I2,3/1/2024,3/31/2024,80.50,,Y,Electronic\n"
    "K2,BE,,I3,1/20/2024,2/19/2024,300.00,3/25/2024,N,Paper\n"
    "K2,DE,,I4,2/20/2024,3/21/2024,310.00,,N,Paper\n"
    "K2,BE,,I5,3/20/2024,4/19/2024,320.00,,N,Paper\n"
)


def _flat(tmp_path: Path) -> Path:
    path = tmp_path / "ar.csv"
    path.write_text(FLAT, encoding="utf-8")
    return path


def test_suggest_reads_formats_and_both_tables_from_a_flat_english_export(tmp_path: Path) -> None:
    mapping = yaml.safe_load(suggest_mapping(_flat(tmp_path)))
    assert mapping["date_format"] == "mm/dd/yyyy"  # 1/20/2024: 20 can only be a day
    assert mapping["decimal"] == "."  # "1,200.00"
    invoices = mapping["tables"]["invoices"]["columns"]
    assert invoices["amount"] == "InvoiceAmount" and invoices["paid_on"] == "SettledDate"
    assert invoices["issued_on"] == "InvoiceDate" and invoices["due_on"] == "DueDate"
    assert invoices["channel"]["values"] == {"Electronic": "electronic", "Paper": "paper"}
    customers = mapping["tables"]["customers"]
    assert customers["from"] == "invoices"
    assert customers["columns"] == {
        "customer_id": "CustomerID",
        "country": "Country",
        "paperless_since": "PaperlessDate",
    }


def test_suggest_reports_ambiguous_dates_and_leaves_the_format_out() -> None:
    frame = pd.DataFrame(
        {
            "Invoice Number": ["A1", "A2"],
            "Customer": ["K1", "K1"],
            "Invoice Date": ["03/04/2024", "05/06/2024"],
            "Amount": ["10.00", "20.00"],
        }
    )
    text = suggest_for_frame(frame)
    assert "# AMBIGUOUS dates in Invoice Date" in text
    assert "date_format" not in yaml.safe_load(text)


def test_suggest_maps_french_names_by_content() -> None:
    frame = pd.DataFrame(
        {
            "N° facture": ["F1"],
            "Code client": ["C1"],
            "Date de facture": ["25/03/2024"],
            "Date d'échéance": ["24/04/2024"],
            "Montant TTC": ["1 234,56 €"],
            "Date de règlement": [""],
        }
    )
    columns = yaml.safe_load(suggest_for_frame(frame))["tables"]["invoices"]["columns"]
    assert columns["paid_on"] == "Date de règlement"
    assert columns["due_on"] == "Date d'échéance"
    assert columns["amount"] == "Montant TTC"


def test_a_header_is_never_proposed_for_a_column_its_values_do_not_fit() -> None:
    # "Amount" holds dates here: it must not become the invoice amount
    frame = pd.DataFrame({"Invoice No": ["A1"], "Amount": ["3/25/2024"], "Total": ["10.00"]})
    columns = yaml.safe_load(suggest_for_frame(frame))["tables"]["invoices"]["columns"]
    assert columns["amount"] == "Total"


def test_normalise_splits_camel_case_and_drops_accents() -> None:
    assert normalise("SettledDate") == "settled date"
    assert normalise("Date de règlement") == "date de reglement"


FLAT_MAPPING = """
date_format: mm/dd/yyyy
decimal: "."
thousands: ","
tables:
  invoices:
    columns:
      invoice_id: InvoiceNo
      customer_id: CustomerID
      issued_on: InvoiceDate
      due_on: DueDate
      amount: InvoiceAmount
      paid_on: SettledDate
      disputed: {column: Disputed, known_from: KNOWN}
      channel: {column: BillingMethod, values: {Paper: paper, Electronic: electronic}}
  customers:
    from: invoices
    columns:
      customer_id: CustomerID
      country: Country
      paperless_since: PaperlessDate
"""


def test_one_flat_file_feeds_customers_and_invoices(tmp_path: Path) -> None:
    mapping = parse_mapping_text(FLAT_MAPPING.replace("KNOWN", "cutoff"))
    result = import_files(mapping, [_flat(tmp_path)])
    ledger = result.validation.ledger
    customers = ledger.customers.set_index("customer_id")
    assert list(customers.index) == ["K1", "K2"]
    assert customers.loc["K1", "paperless_since"] == pd.Timestamp(date(2024, 2, 15))
    assert pd.isna(customers.loc["K2", "paperless_since"])
    # K2's rows say BE, DE, BE: the value most rows agree on is kept, the conflict reported
    assert customers.loc["K2", "country"] == "BE"
    conflicts = [u for u in result.report.unmatched if u.kind == "conflict"]
    assert [(u.customer_id, u.reason) for u in conflicts] == [
        ("K2", "country: BE (2 rows), DE (1 rows); kept BE")
    ]
    assert len(ledger.invoices) == 5 and result.report.reconciles
    counts = {c.table: c for c in result.report.counts}
    assert (counts["customers"].read, counts["customers"].merged) == (5, 3)
    assert ledger.disputes is None  # known_from: cutoff makes no dated fact
    assert any("known_from: cutoff" in note for note in result.report.notes)


@pytest.mark.parametrize(
    ("known_from", "opened"), [("issue", date(2024, 3, 1)), ("due", date(2024, 3, 31))]
)
def test_a_dated_choice_turns_the_flag_into_disputes(
    tmp_path: Path, known_from: str, opened: date
) -> None:
    mapping = parse_mapping_text(FLAT_MAPPING.replace("KNOWN", known_from))
    disputes = import_files(mapping, [_flat(tmp_path)]).validation.ledger.disputes
    assert disputes is not None
    assert disputes["invoice_id"].tolist() == ["I2"]
    assert disputes["opened_on"].tolist() == [pd.Timestamp(opened)]


def test_known_from_must_be_a_known_choice() -> None:
    with pytest.raises(MappingError, match="known_from must be one of cutoff, due, issue"):
        parse_mapping_text(FLAT_MAPPING.replace("KNOWN", "later"))


def test_from_must_name_another_table_of_the_mapping() -> None:
    text = FLAT_MAPPING.replace("KNOWN", "due").replace("from: invoices", "from: payments")
    with pytest.raises(MappingError, match="'from: payments' must name another table"):
        parse_mapping_text(text)
