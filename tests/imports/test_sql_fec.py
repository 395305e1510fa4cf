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
from risk.portfolio import open_amounts, portfolio_overview

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
    # F006: unreadable amount; AN2023: C002's debit carried forward in the opening journal (AN)
    assert sorted(inv.index) == ["AN2023", "F001", "F002", "F003", "F004", "F005"]
    assert inv.loc["AN2023", "amount"] == 50.0 and pd.isna(inv.loc["AN2023", "paid_on"])
    # group A: F001 1200 + F002 600 = VIR001 1000 + VIR002 800 -> paid on the last payment
    assert inv.loc["F001", "paid_on"] == inv.loc["F002", "paid_on"] == pd.Timestamp("2024-02-15")
    assert inv.loc["F001", "due_on"] == pd.Timestamp("2024-02-04")
    # group B (journal VT): F003 1000, one payment of 400 -> partly paid, open
    assert pd.isna(inv.loc["F003", "paid_on"]) and inv.loc["F003", "amount_paid"] == 400.0
    # group C: F004 500 = credit note AV001 200 + cheque 300 on 10 March; amount_paid is what
    # was received (300), the credit note is netted from its own table
    assert (
        inv.loc["F004", "paid_on"] == pd.Timestamp("2024-03-10")
        and inv.loc["F004", "amount_paid"] == 300
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


def test_fec_partial_payment_leaves_the_rest_open_and_overview_reconciles_with_411() -> None:
    result = import_fec(DATA / "fec_ventes_2024.txt", FecConfig(terms_days=30))
    ledger = result.validation.ledger
    # balance of the 411 accounts at closing (2024-03-31), by hand from the file (F006's line
    # is unreadable): C001 1200 + 600 - 1000 - 800 - 200 + 500 - 300 = 0;
    # C002 1000 - 400 + 50 (AN) = 650; Gamma 240 - 100 = 140 -> 790
    assert result.report.rebuilt["balance of customer accounts"] == 790.0
    # one clock: the balance at the end of the closing day is the overview of the next day
    view = portfolio_overview(ledger, pd.Timestamp("2024-04-01"))
    open_items = open_amounts(ledger, pd.Timestamp("2024-04-01")).set_index("invoice_id")
    assert open_items.loc["F003", "open_amount"] == 600.0  # 1,000 - 400 received
    on_account = sum(
        u.amount for u in result.report.unmatched if u.kind == "payment without lettering"
    )
    assert view.open_receivables - on_account == pytest.approx(790.0)


def test_fec_a_5400_payment_of_a_6000_invoice_leaves_600_open(tmp_path: Path) -> None:
    header = (DATA / "fec_ventes_2024.txt").read_text("utf-8").splitlines()[0]
    rows = [
        "AN\tA nouveaux\t1\t20250101\t411000\tClients\tC9\tDelta SAS\tF900\t20241115\t"
        "Report F900\t6000,00\t0,00\tZ\t20250210\t20250131\t\t",
        "BQ\tBanque\t2\t20250210\t411000\tClients\tC9\tDelta SAS\tVIR9\t20250210\t"
        "Virement\t0,00\t5400,00\tZ\t20250210\t20250228\t\t",
    ]
    path = tmp_path / "fec.txt"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    ledger = import_fec(path, FecConfig(terms_days=30)).validation.ledger
    inv = ledger.invoices.set_index("invoice_id")
    assert inv.loc["F900", "issued_on"] == pd.Timestamp("2024-11-15")  # carried forward
    assert inv.loc["F900", "amount_paid"] == 5400.0 and pd.isna(inv.loc["F900", "paid_on"])
    items = open_amounts(ledger, pd.Timestamp("2025-03-01")).set_index("invoice_id")
    assert items.loc["F900", "open_amount"] == pytest.approx(600.0)
