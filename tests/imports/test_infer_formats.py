"""Formats inferred from values: no day/month swap, no decimal guess, ambiguity stops the import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.imports.formats import AmbiguousFormatError
from risk.imports.infer import infer_boolean, infer_date_format, infer_number_format
from risk.imports.mapping import MappingError, parse_mapping_text
from risk.imports.table import import_files

# The export: month/day/year; invoice I1 (03/04) fits both orders, I2 (03/25) does not.
US_EXPORT = (
    "InvoiceNo,CustomerID,InvoiceDate,DueDate,InvoiceAmount,SettledDate\n"
    "I1,C1,03/04/2024,04/03/2024,60.00,04/02/2024\n"
    "I2,C1,03/25/2024,04/24/2024,1250.50,\n"
)
COLUMNS = (
    "    columns: {invoice_id: InvoiceNo, customer_id: CustomerID, issued_on: InvoiceDate,"
    " due_on: DueDate, amount: InvoiceAmount, paid_on: SettledDate}\n"
)


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "ar_export.csv"
    path.write_text(US_EXPORT, encoding="utf-8")
    return path


def test_a_wrong_declared_day_month_order_stops_the_import(tmp_path: Path) -> None:
    # before: I1 was kept with day and month swapped (paid 2 April -> 4 February) and exit 0
    mapping = parse_mapping_text(f"date_format: dd/mm/yyyy\ntables:\n  invoices:\n{COLUMNS}")
    with pytest.raises(MappingError) as error:
        import_files(mapping, [_export(tmp_path)])
    message = str(error.value)
    assert "column 'InvoiceDate'" in message and "'03/25/2024'" in message
    assert "mm/dd/yyyy" in message


def test_undeclared_dates_take_the_order_the_values_prove(tmp_path: Path) -> None:
    mapping = parse_mapping_text(f"tables:\n  invoices:\n{COLUMNS}")
    invoices = import_files(mapping, [_export(tmp_path)]).validation.ledger.invoices
    first = invoices.set_index("invoice_id").loc["I1"]
    assert first["issued_on"].date() == date(2024, 3, 4)
    # DueDate and SettledDate fit both orders alone; InvoiceDate (same export) lends its order
    assert first["due_on"].date() == date(2024, 4, 3)
    assert first["paid_on"].date() == date(2024, 4, 2)
    assert invoices["amount"].tolist() == [60.0, 1250.5]


def test_an_ambiguous_export_stops_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("n,c,d,e,m\nI1,C1,03/04/2024,04/03/2024,10\n", encoding="utf-8")
    mapping = parse_mapping_text(
        "tables:\n  invoices:\n    columns: {invoice_id: n, customer_id: c, issued_on: d,"
        " due_on: e, amount: m}\n"
    )
    with pytest.raises(AmbiguousFormatError, match="fits both dd/mm/yyyy and mm/dd/yyyy"):
        import_files(mapping, [path])


def test_an_ambiguous_decimal_mark_stops_the_import(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text('n,c,d,e,m\nI1,C1,2024-01-02,2024-02-01,"1,234"\n', encoding="utf-8")
    mapping = parse_mapping_text(
        "tables:\n  invoices:\n    columns: {invoice_id: n, customer_id: c, issued_on: d,"
        " due_on: e, amount: m}\n"
    )
    with pytest.raises(AmbiguousFormatError, match="'1,234'"):
        import_files(mapping, [path])


def test_a_declared_decimal_mark_contradicted_by_values_stops(tmp_path: Path) -> None:
    mapping = parse_mapping_text(
        f"date_format: mm/dd/yyyy\ndecimal: ','\ntables:\n  invoices:\n{COLUMNS}"
    )
    with pytest.raises(MappingError, match="decimal mark is ','"):
        import_files(mapping, [_export(tmp_path)])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["25/03/2024", "01/04/2024"], "%d/%m/%Y"),
        (["03/25/2024", "04/01/2024"], "%m/%d/%Y"),
        (["2024-03-25", ""], "%Y-%m-%d"),
        (["25.03.2024"], "%d.%m.%Y"),
        (["3/25/24"], "%m/%d/%y"),
    ],
)
def test_date_order_is_decided_by_a_field_above_12(values: list[str], expected: str) -> None:
    assert infer_date_format(values).format == expected


def test_dates_fitting_both_orders_are_ambiguous() -> None:
    found = infer_date_format(["01/02/2024", "12/11/2023"])
    assert found.ambiguous and found.format is None
    assert found.candidates == ("%d/%m/%Y", "%m/%d/%Y")


@pytest.mark.parametrize(
    ("values", "decimal"),
    [
        (["1 234,56 €", "12,5"], ","),
        (["1,234.56", "60.00"], "."),
        (["1.234.567"], ","),
        (["60", "1250"], None),
    ],
)
def test_decimal_mark_from_values(values: list[str], decimal: str | None) -> None:
    found = infer_number_format(values)
    assert found.decimal == decimal and not found.ambiguous


def test_booleans_from_values() -> None:
    assert infer_boolean(["Y", "N", "Y"]) == {"N": False, "Y": True}
    assert infer_boolean(["Oui", "Non"]) == {"Non": False, "Oui": True}
    assert infer_boolean(["paper", "electronic"]) is None


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), st.booleans())
def test_an_inferred_order_never_swaps_a_date(day: date, month_first: bool) -> None:
    """Whatever the values, a decided format reads every value back to the date written."""
    fmt = "%m/%d/%Y" if month_first else "%d/%m/%Y"
    witness = date(2024, 1, 25)  # day 25: proves the order
    found = infer_date_format([day.strftime(fmt), witness.strftime(fmt)])
    assert found.format == fmt
