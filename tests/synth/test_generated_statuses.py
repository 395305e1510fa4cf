"""Generated e-invoicing statuses: electronic invoices only, the reform's lifecycle timings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from risk.io import validate_ledger_dir, write_ledger
from risk.synth import SampleConfig, generate_portfolio
from risk.synth.statuses import invoice_statuses_frame


@pytest.fixture(scope="module")
def ledger():
    return generate_portfolio(SampleConfig(customers=120, years=2, seed=5)).ledger


def _by_status(ledger, status: str) -> pd.DataFrame:
    statuses = ledger.invoice_statuses
    return statuses[statuses["status"] == status].merge(ledger.invoices, on="invoice_id")


def test_every_electronic_invoice_is_submitted_on_its_date_and_only_those(ledger) -> None:
    submitted = _by_status(ledger, "submitted")
    electronic = ledger.invoices[ledger.invoices["channel"] == "electronic"]
    assert set(submitted["invoice_id"]) == set(electronic["invoice_id"])
    assert (submitted["status_on"] == submitted["issued_on"]).all()
    assert set(ledger.invoice_statuses["invoice_id"]) <= set(electronic["invoice_id"])


def test_cashed_on_payment_and_payment_transmitted_just_before(ledger) -> None:
    cashed = _by_status(ledger, "cashed")
    paid = ledger.invoices[
        (ledger.invoices["channel"] == "electronic") & ledger.invoices["paid_on"].notna()
    ]
    assert set(cashed["invoice_id"]) == set(paid["invoice_id"])
    assert (cashed["status_on"] == cashed["paid_on"]).all()
    sent = _by_status(ledger, "payment_transmitted")
    lead = (sent["paid_on"] - sent["status_on"]).dt.days
    assert len(sent) and lead.between(0, 4).all()
    assert (sent["status_on"] >= sent["issued_on"]).all()


def test_disputed_invoices_are_flagged_early_and_never_approved(ledger) -> None:
    blocked = pd.concat([_by_status(ledger, "disputed"), _by_status(ledger, "suspended")])
    assert len(blocked) and blocked["disputed"].all()
    assert ((blocked["status_on"] - blocked["issued_on"]).dt.days.between(0, 10)).all()
    approved = _by_status(ledger, "approved")
    assert not approved["invoice_id"].isin(blocked["invoice_id"]).any()
    assert (approved["status_on"] > approved["issued_on"]).all()


def test_nothing_after_the_cutoff_and_the_same_seed_gives_the_same_table(ledger) -> None:
    assert ledger.invoice_statuses["status_on"].max() <= ledger.cutoff
    again = invoice_statuses_frame(ledger.with_tables(invoice_statuses=None), seed=5)
    pd.testing.assert_frame_equal(again, ledger.invoice_statuses)


def test_generated_statuses_pass_validation(ledger, tmp_path: Path) -> None:
    write_ledger(ledger, tmp_path / "ledger")
    result = validate_ledger_dir(tmp_path / "ledger")
    assert result.reports["invoice_statuses"].quarantined == 0
    assert len(result.ledger.invoice_statuses) == len(ledger.invoice_statuses)
