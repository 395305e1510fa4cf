"""SQL sources (SQLite always, PostgreSQL when it answers) and the FEC rebuild."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from risk.errors import LedgerError
from risk.imports.fec import FecError
from risk.imports.fec_ledger import FecConfig, import_fec
from risk.imports.mapping import parse_mapping_text
from risk.imports.sql import import_sql

DATA = Path(__file__).parent / "data"

SQL_MAPPING = """
tables:
  customers:
    source: {table: clients}
    columns: {customer_id: code, name: raison_sociale, legal_form: forme}
  invoices:
    source:
      sql: >-
        select f.num, f.client, f.date_facture, f.montant, f.regle_le
        from factures f where f.montant <> 0
    date_format: iso
    columns:
      invoice_id: num
      customer_id: client
      issued_on: date_facture
      due_on: {derive: issue_plus_terms, terms_days: 45}
      amount: montant
      paid_on: regle_le
"""


def _fill(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "create table clients (code varchar(10), raison_sociale varchar(50),"
                " forme varchar(10))"
            )
        )
        connection.execute(
            sa.text(
                "create table factures (num varchar(10), client varchar(10),"
                " date_facture date, montant numeric(12,2), regle_le date)"
            )
        )
        connection.execute(
            sa.text(
                "insert into clients values ('K1', 'Kilo SAS', 'SAS'), ('K2', 'Lima SARL', 'SARL')"
            )
        )
        connection.execute(
            sa.text(
                "insert into factures values ('S1', 'K1', '2024-01-10', 1000.50, '2024-02-20'),"
                " ('S2', 'K2', '2024-01-15', 250.00, null),"
                " ('S3', 'K9', '2024-01-20', 99.00, null),"
                " ('S4', 'K1', '2024-01-21', 0, null)"
            )
        )
    engine.dispose()


def _check_sql_import(url: str) -> None:
    _fill(url)
    result = import_sql(url, parse_mapping_text(SQL_MAPPING, "sql.yaml"))
    invoices = result.validation.ledger.invoices.set_index("invoice_id")
    assert list(invoices.index) == ["S1", "S2"]
    assert invoices.loc["S1", "amount"] == 1000.5
    assert invoices.loc["S1", "due_on"] == pd.Timestamp("2024-02-24")  # 10 Jan + 45 days
    assert invoices.loc["S1", "paid_on"] == pd.Timestamp("2024-02-20")
    counts = {c.table: c for c in result.report.counts}
    assert (counts["invoices"].read, counts["invoices"].kept, counts["invoices"].quarantined) == (
        3,
        2,
        1,
    )
    assert counts["customers"].kept == 2 and result.report.reconciles


def test_sqlite_source(tmp_path: Path) -> None:
    _check_sql_import(f"sqlite:///{tmp_path / 'erp.db'}")


@pytest.mark.postgres
def test_postgres_source(fresh_postgres_database: str) -> None:
    _check_sql_import(fresh_postgres_database.replace("postgresql://", "postgresql+psycopg://", 1))


def test_sql_error_names_the_database_without_password(tmp_path: Path) -> None:
    mapping = parse_mapping_text(SQL_MAPPING, "sql.yaml")
    with pytest.raises(LedgerError, match=r"database sqlite:///.*erp\.db"):
        import_sql(f"sqlite:///{tmp_path / 'erp.db'}", mapping)  # empty database: no table


def test_fec_rebuild() -> None:
    result = import_fec(
        DATA / "fec_ventes_2024.txt", FecConfig(terms_days=30, sales_journals=("VE", "VT"))
    )
    ledger = result.validation.ledger
    assert ledger.customers["customer_id"].tolist() == ["411GAMMA", "C001", "C002"]
    assert ledger.customers.set_index("customer_id").loc["411GAMMA", "name"] == "Gamma SA"
    inv = ledger.invoices.set_index("invoice_id")
    assert list(inv.index) == ["F001", "F002", "F003", "F004", "F005"]  # F006: unreadable amount
    # group A: F001 1200 + F002 600 = VIR001 1000 + VIR002 800 -> paid on the last payment
    assert inv.loc["F001", "paid_on"] == inv.loc["F002", "paid_on"] == pd.Timestamp("2024-02-15")
    assert inv.loc["F001", "due_on"] == pd.Timestamp("2024-02-04")
    # group B (journal VT): F003 1000, one payment of 400 -> partly paid, open
    assert pd.isna(inv.loc["F003", "paid_on"]) and inv.loc["F003", "amount_paid"] == 400.0
    # group C: F004 500 = credit note AV001 200 + cheque 300 on 10 March
    assert (
        inv.loc["F004", "paid_on"] == pd.Timestamp("2024-03-10")
        and inv.loc["F004", "amount_paid"] == 500
    )
    assert pd.isna(inv.loc["F005", "paid_on"]) and inv.loc["F005", "amount_paid"] == 0
    notes = ledger.credit_notes
    assert notes is not None
    assert notes[["credit_note_id", "invoice_id", "amount"]].values.tolist() == [
        ["AV001", "F004", 200.0]
    ]
    payments = ledger.payments
    assert payments is not None
    allocated = payments.groupby("invoice_id")["amount"].sum().to_dict()
    assert allocated == {"F001": 1200.0, "F002": 600.0, "F003": 400.0, "F004": 300.0}
    kinds = sorted(u.kind for u in result.report.unmatched)
    assert kinds == [
        "debit outside sales journals",  # AN opening balance of C002
        "payment without lettering",  # VIR004 100.00 of Gamma
        "unbalanced lettering",  # group B
        "unreadable line",  # Debit '12a,00'
    ]
    assert result.report.rebuilt["lettering groups fully matched"] == 2
    assert result.report.reconciles


def test_fec_montant_sens_pipe_variant() -> None:
    result = import_fec(DATA / "fec_montant_sens.txt")
    inv = result.validation.ledger.invoices.set_index("invoice_id")
    assert inv.loc["F001", "paid_on"] == pd.Timestamp("2024-02-04")
    assert inv.loc["F010", "amount"] == 300.5 and pd.isna(inv.loc["F010", "paid_on"])
    assert result.report.unmatched == ()


def test_fec_missing_columns_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("JournalCode\tEcritureNum\tDebit\nVE\t1\t1,00\n", encoding="utf-8")
    with pytest.raises(
        FecError, match=r"column\(s\) EcritureDate, CompteNum.*the file has: JournalCode"
    ):
        import_fec(path)
