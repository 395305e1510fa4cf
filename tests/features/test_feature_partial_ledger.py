"""Partial ledgers: features that need absent tables or columns are left out, never an error."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from handbuilt import T, tiny_ledger

from risk.features import (
    build_customer_frame,
    build_invoice_frame,
    build_scoring_frames,
    missing_features,
)
from risk.features.registry import frame_specs
from risk.ledger import Ledger

REQUIRED_INVOICE_COLUMNS = ["invoice_id", "customer_id", "issued_on", "due_on", "amount"]
KEYS = {"invoice_id", "customer_id", "issued_on", "as_of"}


@pytest.fixture
def bare() -> Ledger:
    full = tiny_ledger()
    return Ledger(full.customers[["customer_id"]], full.invoices[REQUIRED_INVOICE_COLUMNS])


def test_minimal_ledger_gives_the_features_it_can(
    bare: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="risk.features"):
        frame = build_invoice_frame(bare)
    produced = [c for c in frame.columns if c not in KEYS]
    assert produced == [
        "invoice_amount", "invoice_amount_to_mean_12m", "invoice_terms_days", "issue_month",
        "due_month",
        "n_invoices_issued_total", "relationship_age_days",
    ]  # fmt: skip
    missing = frame.attrs["missing_features"]
    assert set(produced) | set(missing) == {spec.name for spec in frame_specs("invoice")}
    assert "days_late_mean_12m" in missing and "open_amount_91_plus" in missing
    assert "features left out" in caplog.text
    assert len(frame) == len(bare.invoices)


def test_minimal_ledger_customer_and_scoring_frames(bare: Ledger) -> None:
    customers = build_customer_frame(bare, pd.DatetimeIndex([T]))
    assert customers["n_invoices_issued_total"].tolist() == [7]
    scoring_customers, scoring_invoices = build_scoring_frames(bare, T)
    assert scoring_customers["customer_id"].tolist() == ["C1", "C2"]
    # without paid_on every invoice issued before T counts as open
    assert len(scoring_invoices) == 7


def test_missing_optional_tables_and_columns_only_drop_their_features() -> None:
    full = tiny_ledger()
    ledger = Ledger(
        full.customers.drop(columns=["credit_limit", "naf_code"]),
        full.invoices.drop(columns=["channel", "disputed"]),
    )
    frame = build_invoice_frame(ledger)
    assert set(missing_features(ledger, "invoice")) == {
        "partial_payment_rate_12m", "dispute_rate_12m", "reminders_per_invoice_12m",
        "credit_limit_utilisation", "invoice_channel", "invoice_disputed", "naf_section",
        "naf_division", "in_collective_proceeding", "had_collective_proceeding",
        "days_since_collective_proceeding", "last_legal_event_kind",
        "days_since_last_legal_event", "n_privileges_12m", "n_payment_orders_12m",
        "n_director_changes_12m", "n_capital_decreases_12m", "customer_paperless",
        "n_broken_promises_12m", "n_status_disputes_12m", "approval_days_mean_12m",
    }  # fmt: skip
    assert "days_late_mean_12m" in frame.columns and "open_amount_total" in frame.columns
    assert not set(frame.attrs["missing_features"]) & set(frame.columns)


def test_scoring_frames_cover_every_customer_and_open_invoice() -> None:
    customers, invoices = build_scoring_frames(tiny_ledger(), T)
    assert customers["customer_id"].tolist() == ["C1", "C2"]
    assert sorted(invoices["invoice_id"]) == ["D", "E", "F"]  # E is paid after T
    assert (invoices["as_of"] == T).all()
    c1 = customers.set_index("customer_id").loc["C1"]
    assert c1["open_amount_total"] == 3000
