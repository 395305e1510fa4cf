"""Shared fixtures: tiny ledgers written as CSV text, isolated tool homes."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.service.conftest import Trained

CUSTOMERS_CSV = """\
customer_id,name,siren,country,naf_code,legal_form,created_on,employees,payment_terms_days,end_of_month_terms,credit_limit,group_id
C1,Alpha SAS,732829320,FR,47.11F,SAS,2010-05-01,12,30,false,10000,
C2,Beta SARL,,FR,43.21A,SARL,2019-03-15,3,45,true,5000,G1
C3,Ville de Test,,FR,84.11Z,COMMUNE,1900-01-01,250,60,false,,
"""

INVOICES_CSV = """\
invoice_id,customer_id,issued_on,due_on,amount,paid_on,amount_paid,disputed,channel
I1,C1,2024-01-10,2024-02-09,1200.00,2024-02-09,1200.00,false,electronic
I2,C1,2024-02-10,2024-03-11,800.00,2024-04-20,800.00,false,paper
I3,C2,2024-03-01,2024-04-30,500.00,,200.00,true,electronic
I4,C3,2024-05-02,2024-07-01,3000.00,,0.00,false,electronic
"""

WriteLedger = Callable[..., Path]


@pytest.fixture
def write_ledger(tmp_path: Path) -> WriteLedger:
    """Write CSV tables (name -> text) into a fresh folder; customers/invoices default to the
    small valid ledger above unless given."""

    def _write(folder: str = "ledger", **tables: str) -> Path:
        directory = tmp_path / folder
        directory.mkdir(parents=True, exist_ok=True)
        tables.setdefault("customers", CUSTOMERS_CSV)
        tables.setdefault("invoices", INVOICES_CSV)
        for name, text in tables.items():
            (directory / f"{name}.csv").write_text(textwrap.dedent(text), encoding="utf-8")
        return directory

    return _write


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a reachable PostgreSQL server (``RISK_TEST_POSTGRES_URL``), else the test skips."""
    import os

    url = os.environ.get("RISK_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("RISK_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against")
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("select 1")
    except Exception as exc:
        pytest.skip(f"PostgreSQL at {url} does not answer: {exc}")
    return url


@pytest.fixture
def fresh_postgres_database(postgres_url: str) -> Iterator[str]:
    """A new, empty database on the test server (dropped afterwards); yields its URL."""
    import uuid

    import psycopg
    from psycopg import sql

    name = f"risk_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    base, _, _ = postgres_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """The service tests' trained store and ledger (``tests.service.conftest.Trained``), shared
    read-only by tests/service and tests/web. Defined here, once: a fixture imported into a
    second conftest is a second fixture, and the store was trained twice per session."""
    from tests.service.conftest import train_service_store

    return train_service_store(tmp_path_factory.mktemp("risk-service"))
