"""A tiny ledger folder whose customers carry the SIRENs of the BODACC/SIRENE fixtures."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).parents[1] / "data" / "enrich"

CUSTOMERS_CSV = """customer_id,name,siren,country,naf_code,legal_form,created_on,employees,payment_terms_days,end_of_month_terms,credit_limit,group_id
C1,Metallerie du Rhone,732829320,FR,25.11Z,SAS,2001-03-14,35,30,false,20000.00,
C2,Transports Exemple,552100554,FR,49.41A,SARL,1998-06-02,,45,true,15000.00,
C3,Boulangerie Exemple (Lyon),403483365,FR,10.71C,SARL,2010-01-05,8,30,false,3000.00,
C4,Boulangerie Exemple (Villeurbanne),403483365,FR,10.71C,SARL,2010-01-05,8,30,false,3000.00,
C5,Client sans SIREN,,FR,47.11F,,,,30,false,1000.00,
"""
INVOICES_CSV = """invoice_id,customer_id,issued_on,due_on,amount,paid_on,amount_paid
I1,C1,2024-01-10,2024-02-09,1200.00,,0
I2,C2,2024-01-15,2024-03-15,800.00,2024-03-20,800.00
I3,C3,2024-02-01,2024-03-02,300.00,2024-03-01,300.00
I4,C4,2024-02-01,2024-03-02,300.00,2024-03-05,300.00
I5,C5,2024-02-03,2024-03-04,150.00,2024-03-04,150.00
"""
LEGAL_EVENTS_CSV = """customer_id,published_on,kind,source
C2,2023-11-20,director_change,greffe
"""


@pytest.fixture
def ledger_dir(tmp_path: Path) -> Path:
    """A CSV ledger folder: 5 customers (two share a SIREN, one has none), one legal event."""
    folder = tmp_path / "ledger"
    folder.mkdir()
    (folder / "customers.csv").write_text(CUSTOMERS_CSV)
    (folder / "invoices.csv").write_text(INVOICES_CSV)
    (folder / "legal_events.csv").write_text(LEGAL_EVENTS_CSV)
    return folder


@pytest.fixture
def parquet_ledger_dir(ledger_dir: Path, tmp_path: Path) -> Path:
    """The same ledger as Parquet files (types kept by the files)."""
    from risk.io import load_ledger, write_ledger

    folder = tmp_path / "ledger_parquet"
    write_ledger(load_ledger(ledger_dir), folder, fmt="parquet")
    return folder


def bodacc_files() -> list[Path]:
    """The JSON export (11 announcements) and the CSV export (2 announcements)."""
    return [FIXTURES / "bodacc_annonces.json", FIXTURES / "bodacc_annonces.csv"]


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)
