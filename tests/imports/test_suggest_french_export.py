"""``--suggest`` on a French ERP export (Windows-1252, semicolons, dd/mm/yyyy, ``1 234,56 €``,
Oui/Non), imported with the suggested mapping unchanged: every value equals the source text,
parsed here by hand (day first, spaces and the euro sign dropped, decimal comma)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from risk.cli import app

runner = CliRunner()
ROWS = [  # N° facture, Code client, Raison sociale, Date facture, Échéance, Montant TTC, règlement, Litige
    ("F1", "C1", "Société Générale Équipements", "25/03/2024", "24/04/2024", "1 234,56 €", "02/05/2024", "Non"),
    ("F2", "C2", "Café du Marché", "05/04/2024", "05/05/2024", "99,90 €", "", "Oui"),
    ("F3", "C1", "Société Générale Équipements", "01/02/2024", "03/03/2024", "12 000,00 €", "01/03/2024", "Non"),
]  # fmt: skip
HEADER = "N° facture;Code client;Raison sociale;Date facture;Échéance;Montant TTC;Date de règlement;Litige"


def _dmy(text: str) -> str:
    if not text:
        return ""
    day, month, year = (int(part) for part in text.split("/"))
    return date(year, month, day).isoformat()


def _amount(text: str) -> float:
    return float(text.replace("€", "").replace(" ", "").replace(",", "."))


def test_a_windows_1252_french_export_imports_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "factures.csv"
    lines = [HEADER, *(";".join(row) for row in ROWS)]
    source.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))

    suggested = runner.invoke(app, ["import", "table", "--suggest", str(source)])
    assert suggested.exit_code == 0, suggested.output
    mapping = yaml.safe_load(suggested.stdout)
    assert mapping["tables"]["invoices"]["csv"] == {"sep": ";", "encoding": "cp1252"}
    assert mapping["date_format"] == "dd/mm/yyyy" and mapping["decimal"] == ","
    (tmp_path / "mapping.yaml").write_text(suggested.stdout, encoding="utf-8")
    out = tmp_path / "ledger"
    args = ["import", "table", "-m", str(tmp_path / "mapping.yaml"), "--out", str(out)]
    imported = runner.invoke(app, [*args, str(source)])
    assert imported.exit_code == 0, imported.output

    invoices = pd.read_csv(out / "invoices.csv", dtype="str", keep_default_na=False)
    customers = pd.read_csv(out / "customers.csv", dtype="str", keep_default_na=False)
    assert len(invoices) == len(ROWS)
    by_id = invoices.set_index("invoice_id")
    names = customers.set_index("customer_id")["name"]
    for number, customer, name, issued, due, amount, paid, dispute in ROWS:
        row = by_id.loc[number]
        assert row["customer_id"] == customer and names[customer] == name
        assert (row["issued_on"], row["due_on"]) == (_dmy(issued), _dmy(due))
        assert row["paid_on"] == _dmy(paid)
        assert float(row["amount"]) == _amount(amount)
        assert row["disputed"] == ("true" if dispute == "Oui" else "false")
