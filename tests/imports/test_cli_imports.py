"""``risk import`` through typer's CliRunner on a local app."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from risk.cli.imports import import_app

DATA = Path(__file__).parent / "data"
app = typer.Typer()
app.add_typer(import_app, name="import")
runner = CliRunner()


def test_import_table_writes_a_ledger(tmp_path: Path) -> None:
    out = tmp_path / "ledger"
    args = ["import", "table", "--mapping", str(DATA / "mapping_erp.yaml"), "--out", str(out)]
    files = [str(DATA / "clients_export.csv"), str(DATA / "factures_2024.csv")]
    result = runner.invoke(app, [*args, "--max-quarantined", "0.5", *files])
    assert result.exit_code == 0, result.output
    assert (out / "invoices.csv").is_file() and (out / "customers.csv").is_file()
    report = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    assert report["reconciles"] is True


def test_import_quarantining_more_than_1_percent_exits_1_with_reasons(tmp_path: Path) -> None:
    # 3 of the 10 source rows are quarantined (a 31 February, 12 USD, an unknown customer)
    out = tmp_path / "ledger"
    args = ["import", "table", "--mapping", str(DATA / "mapping_erp.yaml"), "--out", str(out)]
    files = [str(DATA / "clients_export.csv"), str(DATA / "factures_2024.csv")]
    result = runner.invoke(app, [*args, *files])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "30.0% of the source rows were quarantined" in said
    assert "invoices.issued_on: is not a date written dd/mm/yyyy" in said
    assert not (out / "invoices.csv").exists()  # no partial ledger to validate and train on
    assert (out / "import_report.json").is_file()
    assert (out / "import_quarantine" / "conversion" / "invoices.csv").is_file()


def test_import_table_suggest_prints_a_loadable_mapping(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "table", "--suggest", str(DATA / "factures_2024.csv")])
    assert result.exit_code == 0, result.output
    mapping = yaml.safe_load(result.stdout)
    assert mapping["tables"]["invoices"]["columns"]["amount"] == "Montant TTC"


def test_import_table_unknown_column_exits_2(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "tables:\n  invoices:\n    columns:\n      invoice_id: Numéro\n      customer_id: Client\n"
        "      issued_on: Date\n      due_on: Echeance\n      amount: Montant\n",
        encoding="utf-8",
    )
    args = [
        "import",
        "table",
        "-m",
        str(mapping),
        "--out",
        str(tmp_path / "o"),
        str(DATA / "factures_2024.csv"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "mapping key 'invoice_id'" in result.output


def test_import_fec(tmp_path: Path) -> None:
    fec = tmp_path / "FEC.txt"
    shutil.copy(DATA / "fec_ventes_2024.txt", fec)
    out = tmp_path / "ledger"
    args = [
        "import",
        "fec",
        str(fec),
        "--out",
        str(out),
        "--terms-days",
        "45",
        "--sales-journals",
        "VE,VT",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Not matched (3 in all" in result.output  # the AN debit is now an open invoice
    assert {"customers.csv", "invoices.csv", "credit_notes.csv", "payments.csv"} <= {
        p.name for p in out.iterdir()
    }
    assert "payment without lettering" in (out / "import_report.md").read_text(encoding="utf-8")


def test_import_sql_sqlite(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'erp.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("create table f (n text, c text, d text, e text, m real)"))
        connection.execute(
            sa.text("insert into f values ('X1', 'K1', '05/01/2024', '04/02/2024', 10.5)")
        )
    engine.dispose()
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "date_format: dd/mm/yyyy\n"  # 05/01/2024 fits both orders: the mapping must say
        "tables:\n  invoices:\n    source: {table: f}\n    columns: {invoice_id: n, customer_id: c,"
        " issued_on: d, due_on: e, amount: m}\n",
        encoding="utf-8",
    )
    out = tmp_path / "ledger"
    result = runner.invoke(
        app, ["import", "sql", "--url", url, "-m", str(mapping), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "X1,K1,2024-01-05,2024-02-04,10.50" in (out / "invoices.csv").read_text(encoding="utf-8")
