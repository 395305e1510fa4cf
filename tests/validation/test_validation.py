"""Each contract rule has a failing example with a message naming table, row, column, value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.conftest import CUSTOMERS_CSV, INVOICES_CSV

import risk.io
from risk.errors import SchemaError
from risk.io import load_ledger, validate_ledger_dir, write_quarantine

HEADER = INVOICES_CSV.splitlines()[0]
CUSTOMER_HEADER = CUSTOMERS_CSV.splitlines()[0]


def invoices_with(*rows: str) -> str:
    return "\n".join([*INVOICES_CSV.splitlines(), *rows]) + "\n"


def customers_with(*rows: str) -> str:
    return "\n".join([*CUSTOMERS_CSV.splitlines(), *rows]) + "\n"


def single_issue(directory: Path, table: str) -> dict[str, object]:
    result = validate_ledger_dir(directory)
    issues = result.issues[result.issues["table"] == table]
    assert len(issues) == 1, issues.to_string()
    return issues.iloc[0].to_dict()


def test_valid_ledger_keeps_every_row_with_contract_dtypes(write_ledger) -> None:
    result = validate_ledger_dir(write_ledger())
    assert result.n_quarantined == 0
    assert result.issues.empty
    inv = result.ledger.invoices
    assert inv["issued_on"].dtype == "datetime64[ns]"
    assert inv["amount"].dtype == "float64"
    assert inv["disputed"].dtype == "bool"
    assert inv["invoice_id"].dtype == "str"
    assert inv.loc[inv["invoice_id"] == "I3", "amount_paid"].item() == 200.0
    assert pd.isna(inv.loc[inv["invoice_id"] == "I3", "paid_on"].item())
    assert result.ledger.customers["end_of_month_terms"].tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("row", "column", "value", "rule_part"),
    [
        (
            "I9,C1,2024-03-01,2024-02-01,10,,0,false,paper",
            "due_on",
            "2024-02-01",
            "on or after issued_on",
        ),
        (
            "I9,C1,2024-03-01,2024-04-01,10,2024-02-01,10,false,paper",
            "paid_on",
            "2024-02-01",
            "not be before issued_on",
        ),
        (
            "I9,C1,2024-03-01,2024-04-01,10,,12,false,paper",
            "amount_paid",
            "12",
            "not exceed amount",
        ),
        ("I9,C1,2024-03-01,2024-04-01,0,,0,false,paper", "amount", "0", "> 0"),
        ("I9,C1,2024-03-01,2024-04-01,ten,,0,false,paper", "amount", "ten", "number"),
        (
            "I9,C1,2024-31-01,2024-04-01,10,,0,false,paper",
            "issued_on",
            "2024-31-01",
            "YYYY-MM-DD or DD/MM/YYYY",
        ),
        ("I9,C1,2024-03-01,2024-04-01,10,,0,perhaps,paper", "disputed", "perhaps", "true/false"),
        (
            "I9,C1,2024-03-01,2024-04-01,10,,0,false,fax",
            "channel",
            "fax",
            "one of: paper, electronic",
        ),
        (
            "I9,C404,2024-03-01,2024-04-01,10,,0,false,paper",
            "customer_id",
            "C404",
            "customers.customer_id",
        ),
        ("I1,C1,2024-03-01,2024-04-01,10,,0,false,paper", "invoice_id", "I1", "unique"),
        (",C1,2024-03-01,2024-04-01,10,,0,false,paper", "invoice_id", "", "required"),
    ],
)
def test_invoice_rule_fails_with_a_clear_message(
    write_ledger, row: str, column: str, value: str, rule_part: str
) -> None:
    directory = write_ledger(invoices=invoices_with(row))
    result = validate_ledger_dir(directory)
    issues = result.issues[
        (result.issues["table"] == "invoices") & (result.issues["column"] == column)
    ]
    assert not issues.empty, result.issues.to_string()
    issue = issues.iloc[-1]
    assert issue["value"] == value
    assert rule_part in issue["rule"]
    assert issue["row"] == 5  # fifth data row of the file
    assert result.reports["invoices"].reconciles


@pytest.mark.parametrize(
    ("row", "column", "rule_part"),
    [
        ("C9,X,732829321,FR,47.11F,SAS,,,30,false,,", "siren", "Luhn"),
        ("C9,X,12345,FR,47.11F,SAS,,,30,false,,", "siren", "9 digits"),
        ("C9,X,,FR,4711F,SAS,,,30,false,,", "naf_code", "must match"),
        ("C9,X,,FRA,47.11F,SAS,,,30,false,,", "country", "must match"),
        ("C9,X,,FR,47.11F,LLC,,,30,false,,", "legal_form", "one of"),
        ("C9,X,,FR,47.11F,SAS,,-3,30,false,,", "employees", ">= 0"),
        ("C9,X,,FR,47.11F,SAS,,,30.5,false,,", "payment_terms_days", "whole number"),
        ("C9,X,,FR,47.11F,SAS,,,30,false,-1,", "credit_limit", ">= 0"),
    ],
)
def test_customer_rule_fails_with_a_clear_message(
    write_ledger, row: str, column: str, rule_part: str
) -> None:
    issue = single_issue(write_ledger(customers=customers_with(row)), "customers")
    assert issue["column"] == column
    assert rule_part in str(issue["rule"])
    assert issue["row"] == 4


def test_french_dates_are_accepted(write_ledger) -> None:
    directory = write_ledger(
        invoices=invoices_with("I9,C1,01/03/2024,31/03/2024,10,,0,false,paper")
    )
    ledger = load_ledger(directory)
    row = ledger.invoices.set_index("invoice_id").loc["I9"]
    assert row["issued_on"] == pd.Timestamp("2024-03-01")
    assert row["due_on"] == pd.Timestamp("2024-03-31")


def test_negative_invoice_becomes_a_credit_note_and_counts_reconcile(write_ledger) -> None:
    directory = write_ledger(
        invoices=invoices_with("AV1,C1,2024-03-01,2024-03-01,-150,,0,false,paper")
    )
    result = validate_ledger_dir(directory)
    report = result.reports["invoices"]
    assert (report.read, report.kept, report.quarantined, report.moved_to_credit_notes) == (
        5,
        4,
        0,
        1,
    )
    notes = result.ledger.credit_notes
    assert notes is not None
    assert notes[["credit_note_id", "customer_id", "amount"]].values.tolist() == [
        ["AV1", "C1", 150.0]
    ]


def test_rows_referring_to_quarantined_rows_are_quarantined_too(write_ledger) -> None:
    customers = customers_with("C9,X,732829321,FR,47.11F,SAS,,,30,false,,")
    invoices = invoices_with("I9,C9,2024-03-01,2024-04-01,10,,0,false,paper")
    payments = "payment_id,invoice_id,paid_on,amount\nP1,I1,2024-02-09,1200\nP2,I9,2024-03-05,10\n"
    result = validate_ledger_dir(
        write_ledger(customers=customers, invoices=invoices, payments=payments)
    )
    assert result.reports["customers"].quarantined == 1
    assert result.reports["invoices"].quarantined == 1
    assert result.reports["payments"].quarantined == 1
    assert result.ledger.payments is not None
    assert result.ledger.payments["payment_id"].tolist() == ["P1"]


def test_optional_tables_are_checked(write_ledger) -> None:
    legal = "customer_id,published_on,kind,source\nC1,2024-05-01,liquidation,BODACC\nC2,2024-05-01,bankruptcy,BODACC\n"
    reminders = (
        "invoice_id,sent_on,step,channel,outcome,promised_on\n"
        "I2,2024-03-20,1,email,promise_to_pay,2024-04-15\n"
        "I2,2024-04-01,2,email,promise_to_pay,\n"
        "I2,2024-04-05,0,pigeon,none,\n"
    )
    result = validate_ledger_dir(write_ledger(legal_events=legal, reminders=reminders))
    legal_issue = result.issues[result.issues["table"] == "legal_events"].iloc[0]
    assert (legal_issue["row"], legal_issue["column"], legal_issue["value"]) == (
        2,
        "kind",
        "bankruptcy",
    )
    rem = result.issues[result.issues["table"] == "reminders"]
    assert set(zip(rem["row"], rem["column"], strict=True)) == {
        (2, "promised_on"),
        (3, "step"),
        (3, "channel"),
    }
    assert result.reports["reminders"].kept == 1


def test_invoice_statuses_with_unknown_invoice_or_status_are_quarantined(write_ledger) -> None:
    statuses = (
        "invoice_id,status,status_on,reason\n"
        "I1,submitted,2024-01-10,\n"
        "I3,disputed,2024-03-05,PU_ERR\n"
        "I9,approved,2024-03-06,\n"
        "I1,paid_twice,2024-02-01,\n"
        "I1,cashed,not a date,\n"
    )
    result = validate_ledger_dir(write_ledger(invoice_statuses=statuses))
    issues = result.issues[result.issues["table"] == "invoice_statuses"]
    assert set(zip(issues["row"], issues["column"], strict=True)) == {
        (3, "invoice_id"),
        (4, "status"),
        (5, "status_on"),
    }
    assert "invoices.invoice_id" in issues.set_index("row").loc[3, "rule"]
    assert "disputed" in issues.set_index("row").loc[4, "rule"]
    kept = result.ledger.invoice_statuses
    assert kept is not None and kept["status"].tolist() == ["submitted", "disputed"]
    assert (
        result.reports["invoice_statuses"].kept + result.reports["invoice_statuses"].quarantined
        == 5
    )


def test_quarantine_file_holds_raw_rows_with_every_reason(write_ledger, tmp_path: Path) -> None:
    directory = write_ledger(invoices=invoices_with("I9,C1,2024-31-01,2024-04-01,0,,0,false,fax"))
    result = validate_ledger_dir(directory)
    written = write_quarantine(result, tmp_path / "q")
    rows = pd.read_csv(written["invoices"], dtype=str, keep_default_na=False)
    assert rows["row"].tolist() == ["5"]
    assert rows["invoice_id"].tolist() == ["I9"]
    assert rows["issued_on"].tolist() == ["2024-31-01"]  # raw value kept as read
    reasons = rows["reasons"].item()
    for part in ("issued_on", "amount", "channel", "fax"):
        assert part in reasons


def test_load_ledger_writes_quarantine_and_clears_it_once_fixed(write_ledger) -> None:
    bad = write_ledger(invoices=invoices_with("I9,C1,2024-03-01,2024-02-01,10,,0,false,paper"))
    ledger = load_ledger(bad)
    assert "I9" not in set(ledger.invoices["invoice_id"])
    assert (bad / "quarantine" / "invoices.csv").exists()
    write_ledger()  # same folder, valid again
    load_ledger(bad)
    assert not (bad / "quarantine" / "invoices.csv").exists()


def test_missing_required_column_is_fatal_and_lists_what_the_file_has(write_ledger) -> None:
    directory = write_ledger(invoices="invoice_id,customer_id,amount\nI1,C1,10\n")
    with pytest.raises(SchemaError) as info:
        validate_ledger_dir(directory)
    message = str(info.value)
    assert "invoices" in message and "issued_on" in message and "due_on" in message
    assert "the file has: invoice_id, customer_id, amount" in message


def test_missing_required_table_is_fatal(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(CUSTOMERS_CSV)
    with pytest.raises(SchemaError, match="required table 'invoices' is missing"):
        validate_ledger_dir(tmp_path)


def test_minimal_ledger_gets_defaults(write_ledger) -> None:
    directory = write_ledger(
        customers="customer_id\nC1\n",
        invoices="invoice_id,customer_id,issued_on,due_on,amount,paid_on\nI1,C1,2024-01-01,2024-01-31,100,2024-02-05\nI2,C1,2024-02-01,2024-03-02,50,\n",
    )
    ledger = load_ledger(directory)
    assert ledger.customers["payment_terms_days"].tolist() == [30]
    assert ledger.customers["country"].tolist() == ["FR"]
    # without amount_paid, a settled invoice counts as paid in full, an open one as unpaid
    assert ledger.invoices["amount_paid"].tolist() == [100.0, 0.0]
    assert "channel" not in ledger.invoices.columns


def test_ledger_doc_is_up_to_date() -> None:
    from risk.contracts_doc import contracts_markdown

    committed = (Path(__file__).parents[2] / "docs" / "ledger.md").read_text(encoding="utf-8")
    assert committed == contracts_markdown(), (
        "run: uv run python -m risk.contracts_doc > docs/ledger.md"
    )


def test_each_table_file_is_read_once(write_ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation reads tables lazily: once each, never again for a presence check."""
    legal = "customer_id,published_on,kind,source\nC1,2024-05-01,liquidation,BODACC\n"
    folder = write_ledger(legal_events=legal)
    reads: list[str] = []
    real = risk.io.read_raw_table

    def counting(path: Path):
        reads.append(path.stem)
        return real(path)

    monkeypatch.setattr(risk.io, "read_raw_table", counting)
    result = validate_ledger_dir(folder)
    assert sorted(reads) == sorted(p.stem for p in folder.iterdir() if p.suffix == ".csv")
    assert result.reports["legal_events"].kept == 1
