"""Deliver 8 of issue 13: a FEC ledger is viewed, by default, at the closing of its fiscal year.

The closing date comes from the FEC's file name (``<SIREN>FEC<AAAAMMJJ>``, article A47 A-1 of
the Livre des procédures fiscales), else from ``--closing-date``, else from the last entry date;
``risk import fec`` stores it in ``import_report.json``. With the one clock (a fact dated ``d``
is known at ``as_of`` when ``d < as_of``) the balance at the end of the closing day is the view
dated the day after, and it reconciles with the balance of the 411 accounts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from risk.as_of import stored_closing_date, view_date
from risk.cli import app
from risk.io import load_ledger
from risk.portfolio import portfolio_overview

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def _import(tmp_path: Path, name: str, *extra: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    fec = tmp_path / name
    shutil.copy(DATA / "fec_ventes_2024.txt", fec)
    out = tmp_path / "ledger"
    result = runner.invoke(app, ["import", "fec", str(fec), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


def test_closing_date_from_the_file_name_is_the_default_view(tmp_path: Path) -> None:
    out = _import(tmp_path, "123456789FEC20240331.txt")
    assert stored_closing_date(out) == pd.Timestamp("2024-03-31")
    ledger = load_ledger(out)
    chosen = view_date(out, ledger)
    assert chosen.as_of == pd.Timestamp("2024-04-01")  # the end of the closing day
    assert chosen.note is not None and "2024-03-31" in chosen.note
    # the last readable entry is dated 2024-03-20: the cut-off view would leave it out
    assert ledger.cutoff < pd.Timestamp("2024-03-31")
    # 411 balance at closing, by hand (tests/imports/test_sql_fec.py): 790, plus the 100.00
    # received from Gamma without lettering, which the overview cannot allocate
    view = portfolio_overview(ledger, chosen.as_of)
    assert view.open_receivables - 100.0 == pytest.approx(790.0)
    at_cutoff = portfolio_overview(ledger, ledger.cutoff)
    assert at_cutoff.open_receivables - 100.0 != pytest.approx(790.0)


def test_overview_without_as_of_says_it_uses_the_closing_date(tmp_path: Path) -> None:
    out = _import(tmp_path, "123456789FEC20240331.txt")
    result = runner.invoke(app, ["overview", "--ledger", str(out)])
    assert result.exit_code == 0, result.output
    assert "closing date of its fiscal year, 2024-03-31" in result.output
    assert "Portfolio as of 2024-04-01" in result.output
    given = runner.invoke(app, ["overview", "--ledger", str(out), "--as-of", "2024-02-01"])
    assert "Portfolio as of 2024-02-01" in given.output
    assert "closing date" not in given.output


def test_closing_date_option_wins_and_last_entry_is_the_fallback(tmp_path: Path) -> None:
    out = _import(tmp_path / "a", "ventes.txt")
    # last readable EcritureDate (the 2024-03-25 line of F006 has an unreadable amount)
    assert stored_closing_date(out) == pd.Timestamp("2024-03-20")
    out = _import(tmp_path / "b", "123456789FEC20240331.txt", "--closing-date", "2024-06-30")
    assert stored_closing_date(out) == pd.Timestamp("2024-06-30")


def test_a_ledger_not_from_a_fec_keeps_its_cut_off(tmp_path: Path) -> None:
    out = _import(tmp_path, "123456789FEC20240331.txt")
    (out / "import_report.json").write_text('{"kind": "table"}', encoding="utf-8")
    ledger = load_ledger(out)
    assert stored_closing_date(out) is None
    assert view_date(out, ledger) == view_date(out, ledger, None)
    assert view_date(out, ledger).as_of == ledger.cutoff and view_date(out, ledger).note is None
