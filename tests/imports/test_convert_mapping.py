"""Value conversions and mapping-file errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.imports.convert import ConversionError, map_value, to_bool, to_date, to_number
from risk.imports.mapping import MappingError, load_mapping, parse_mapping_text

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("31/03/2024", "dd/mm/yyyy", date(2024, 3, 31)),
        ("3/4/2024", "m/d/yyyy", date(2024, 3, 4)),
        ("2024-03-31", "iso", date(2024, 3, 31)),
        ("20240331", "yyyymmdd", date(2024, 3, 31)),
        ("2024-03-31 10:15:00", None, date(2024, 3, 31)),
        ("31/03/2024", None, date(2024, 3, 31)),
        ("", None, None),
    ],
)
def test_to_date(text: str, declared: str | None, expected: date | None) -> None:
    assert to_date(text, declared) == expected


def test_to_date_names_the_format_it_expected() -> None:
    with pytest.raises(ConversionError, match="dd/mm/yyyy"):
        to_date("31/02/2024", "dd/mm/yyyy")


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("1 234,56 €", ",", " ", 1234.56),
        ("1\u00a0234,56", ",", None, 1234.56),
        ("1\u202f234,56 EUR", ",", None, 1234.56),
        ("1.234,56", ",", ".", 1234.56),
        ("1,234.56", ".", ",", 1234.56),
        ("1,234.56", None, None, 1234.56),
        ("-120,00 €", ",", None, -120.0),
        ("(12.50)", ".", None, -12.5),
        ("", ",", None, None),
    ],
)
def test_to_number(text: str, decimal: str | None, thousands: str | None, expected: float) -> None:
    assert to_number(text, decimal=decimal, thousands=thousands, currency="EUR") == expected


def test_to_number_rejects_another_currency_and_garbage() -> None:
    with pytest.raises(ConversionError, match="USD"):
        to_number("12 USD", currency="EUR")
    with pytest.raises(ConversionError, match="not a number"):
        to_number("12a,00", decimal=",")
    with pytest.raises(ConversionError):  # a dot is not a thousands separator unless declared
        to_number("1.234,56", decimal=",")


@given(st.decimals(min_value=0, max_value=10**9, places=2))
def test_french_amounts_round_trip(value: object) -> None:
    text = f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",") + " €"
    assert to_number(text, decimal=",", thousands=" ", currency="EUR") == pytest.approx(
        float(value)
    )


def test_booleans_and_value_maps() -> None:
    assert [to_bool(v) for v in ("Oui", "non", "yes", "No", "true", "0", "")] == [
        True,
        False,
        True,
        False,
        True,
        False,
        None,
    ]
    assert to_bool("Y", {True: True, False: False}) is True  # YAML reads yes/no keys as booleans
    assert map_value(" papier ", {"Papier": "paper"}) == "paper"
    assert map_value("SARL", {"Commune": "COMMUNE"}) == "SARL"  # unknown values pass through
    with pytest.raises(ConversionError, match="'Oui', 'Non'"):
        to_bool("Peut-être", {"Oui": True, "Non": False})


def test_mapping_file_loads() -> None:
    mapping = load_mapping(DATA / "mapping_erp.yaml")
    invoices = mapping.tables["invoices"]
    assert invoices.csv.sep == ";" and invoices.date_format == "dd/mm/yyyy"
    assert invoices.spec("due_on").terms_days == 30  # type: ignore[union-attr]
    assert invoices.spec("amount").currency == "EUR"  # type: ignore[union-attr]
    assert "Date règlement" in invoices.source_columns


def test_bad_yaml_names_the_line() -> None:
    text = "tables:\n  invoices:\n    columns:\n      invoice_id: [unclosed\n"
    with pytest.raises(MappingError, match=r"m\.yaml: invalid YAML at line \d+"):
        parse_mapping_text(text, "m.yaml")


def test_missing_required_contract_column_is_named() -> None:
    text = 'tables:\n  invoices:\n    columns:\n      invoice_id: "No"\n      customer_id: Client\n'
    with pytest.raises(MappingError) as error:
        parse_mapping_text(text, "m.yaml")
    message = str(error.value)
    assert "table 'invoices'" in message
    assert "issued_on, due_on, amount not mapped" in message
    assert "the mapping has customer_id, invoice_id" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("tables:\n  bills: {columns: {}}\n", "unknown table 'bills'"),
        ("tables:\n  customers:\n    columns: {customer_id: No}\n", "quote it"),
        ("tables:\n  customers:\n    columns: {client: Code}\n", "key 'client' is not a column"),
        ("tables:\n  customers:\n    colums: {}\n", "expected a 'columns:' section"),
        (
            "tables:\n  customers:\n    columns: {customer_id: {column: A, constant: B}}\n",
            "exactly one of",
        ),
        (
            "tables:\n  invoices:\n    columns:\n      due_on: {derive: issue_plus_terms}\n",
            "terms_days or terms_column",
        ),
    ],
)
def test_mapping_shape_errors(body: str, expected: str) -> None:
    with pytest.raises(MappingError, match=expected):
        parse_mapping_text(body, "m.yaml")
