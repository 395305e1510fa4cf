"""SIRENE legal units fill or check customer attributes; closures become dated events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.enrich.conftest import FIXTURES, day
from typer.testing import CliRunner

import risk.enrich.sirene as sirene_module
from risk.cli import app
from risk.enrich.run import enrich_sirene
from risk.enrich.sirene import SireneFormatError, attribute_changes, read_legal_units
from risk.enrich.sirene_codes import band_label, legal_form_of
from risk.io import load_ledger

STOCK = FIXTURES / "StockUniteLegale_extrait.csv"
HISTORY = FIXTURES / "StockUniteLegaleHistorique_extrait.csv"


def actions(report: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(r.customer_id, r.column): r.action for r in report.itertuples(index=False)}


@pytest.mark.parametrize(
    ("category", "form"),
    [
        ("1000", "EI"),  # entrepreneur individuel
        ("5499", "SARL"),  # SARL (autre)
        ("5498", "EURL"),  # SARL unipersonnelle
        ("5710", "SAS"),
        ("5720", "SASU"),
        ("5599", "SA"),  # SA à conseil d'administration (s.a.i.)
        ("6540", "SCI"),
        ("7210", "COMMUNE"),
        ("7220", "DEPARTEMENT"),
        ("7230", "REGION"),
        ("7364", "EPA"),  # établissement d'hospitalisation
        ("7120", "ETAT"),  # service central d'un ministère
        ("9220", "ASSOCIATION"),  # association déclarée
        ("6599", None),  # autre société civile: no ledger form, never guessed
        ("8110", None),  # régime général de la sécurité sociale
    ],
)
def test_legal_categories_map_to_ledger_forms(category: str, form: str | None) -> None:
    assert legal_form_of(category) == form


def test_size_bands_read_as_ranges() -> None:
    assert band_label("11") == "10-19"
    assert band_label("53") == "10000+"


def test_stock_fills_checks_and_reports(ledger_dir: Path) -> None:
    result = enrich_sirene(ledger_dir, [STOCK])
    got = actions(result.report)
    assert got[("C1", "naf_code")] == "confirmed"
    assert got[("C1", "legal_form")] == "confirmed"
    assert got[("C1", "employees")] == "confirmed"  # 35 inside tranche 12 (20-49)
    assert got[("C2", "naf_code")] == "conflict: ledger value kept"  # 49.41A vs 49.41B
    assert got[("C2", "employees")] == "filled with the band's lower bound 50"  # tranche 21
    assert got[("C2", "created_on")] == "confirmed"
    assert got[("C3", "naf_code")] == "not usable: no ledger value for this code"  # NAFRev1
    assert got[("C3", "employees")] == "conflict: ledger value kept"  # 8 outside 3-5
    assert got[("C4", "employees")] == "conflict: ledger value kept"  # same SIREN as C3
    assert "C5" not in set(result.report["customer_id"])  # no SIREN
    customers = load_ledger(ledger_dir).customers.set_index("customer_id")
    assert customers.at["C2", "naf_code"] == "49.41A"
    assert customers.at["C2", "employees"] == 50
    assert customers.at["C3", "employees"] == 8
    closed = load_ledger(ledger_dir).legal_events.query("kind == 'company_closed'")
    assert list(closed["customer_id"]) == ["C1"]
    assert closed["published_on"].iloc[0] == day("2025-11-15")
    assert closed["source"].iloc[0] == "SIRENE"


def test_overwrite_takes_sirene_values(ledger_dir: Path) -> None:
    result = enrich_sirene(ledger_dir, [STOCK], overwrite=True)
    assert actions(result.report)[("C2", "naf_code")] == "overwritten"
    customers = load_ledger(ledger_dir).customers.set_index("customer_id")
    assert customers.at["C2", "naf_code"] == "49.41B"
    assert customers.at["C3", "employees"] == 3  # lower bound of tranche 02 (3-5)
    assert customers.at["C3", "naf_code"] == "10.71C"  # NAFRev1 code never written


def test_streamed_in_chunks_and_parquet_give_the_same_rows(
    ledger_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sirens = {"732829320", "552100554", "403483365"}
    whole = read_legal_units([STOCK], sirens)
    monkeypatch.setattr(sirene_module, "CHUNK_ROWS", 2)
    chunked = read_legal_units([STOCK], sirens)
    pd.testing.assert_frame_equal(whole, chunked)
    parquet = tmp_path / "StockUniteLegale.parquet"
    pd.read_csv(STOCK, dtype="str", keep_default_na=False).to_parquet(parquet)
    from_parquet = read_legal_units([parquet], sirens)
    pd.testing.assert_frame_equal(whole, from_parquet, check_dtype=False)
    assert sorted(whole["siren"]) == sorted(sirens)  # the other units are never kept


def test_history_gives_the_period_in_force_and_lists_changes(ledger_dir: Path) -> None:
    units = read_legal_units([HISTORY, STOCK], {"732829320", "552100554"})
    assert len(units[units["siren"] == "732829320"]) == 4  # four dated periods
    result = enrich_sirene(ledger_dir, [HISTORY, STOCK])
    # the ledger ends in March 2024: C1 was an SAS then (category 5710 since 2023-04-01)
    assert actions(result.report)[("C1", "legal_form")] == "confirmed"
    assert actions(result.report)[("C1", "employees")] == "confirmed"  # band from the stock
    changes = attribute_changes(units, day("2000-01-01"), day("2024-03-20"))
    listed = {(c.siren, c.column, c.before, c.after, c.on) for c in changes.itertuples()}
    assert listed == {
        ("732829320", "categorieJuridiqueUniteLegale", "5499", "5710", day("2023-04-01")),
        ("732829320", "activitePrincipaleUniteLegale", "28.1A", "25.11Z", day("2008-01-01")),
        ("552100554", "activitePrincipaleUniteLegale", "60.2L", "49.41B", day("2015-07-01")),
    }


def test_second_run_adds_nothing(ledger_dir: Path) -> None:
    enrich_sirene(ledger_dir, [STOCK])
    files = {p.name: p.read_bytes() for p in ledger_dir.glob("*.csv")}
    again = enrich_sirene(ledger_dir, [STOCK])
    assert again.events.empty
    assert not again.updates
    assert {p.name: p.read_bytes() for p in ledger_dir.glob("*.csv")} == files


def test_wrong_file_names_missing_columns(ledger_dir: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "etablissements.csv"
    wrong.write_text("siret,siren,dateDebut\n73282932000017,732829320,2001-03-14\n")
    with pytest.raises(SireneFormatError, match="etatAdministratifUniteLegale"):
        enrich_sirene(ledger_dir, [wrong])


def test_cli(ledger_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "sirene.csv"
    run = CliRunner().invoke(
        app,
        ["enrich", "sirene", str(STOCK), "--ledger", str(ledger_dir), "--report", str(report)],
    )
    assert run.exit_code == 0, run.output
    assert "1 legal event(s) added" in run.output
    written = pd.read_csv(report, dtype="str")
    assert set(written["customer_id"]) == {"C1", "C2", "C3", "C4"}
    dry = CliRunner().invoke(
        app, ["enrich", "sirene", str(STOCK), "--ledger", str(ledger_dir), "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "0 legal event(s) would be added" in dry.output
