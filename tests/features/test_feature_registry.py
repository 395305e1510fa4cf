"""The registry describes every produced feature, and only those; docs are up to date."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from risk.features import (
    build_customer_frame,
    build_invoice_frame,
    feature_specs,
    monotone_constraints,
)
from risk.features.docs import render
from risk.features.registry import UnknownFeatureError, frame_specs, get_spec
from risk.ledger import Ledger

KEYS = {"invoice_id", "customer_id", "issued_on", "as_of"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "features.md"


@pytest.fixture(scope="module")
def full_ledger() -> Ledger:
    from risk.synth import SampleConfig, generate_portfolio

    ledger = generate_portfolio(SampleConfig(customers=40, years=2, seed=11)).ledger
    # the generator has no paperless switch: the first electronic invoice stands for it
    invoices = ledger.invoices
    first = invoices[invoices["channel"] == "electronic"].groupby("customer_id")["issued_on"].min()
    customers = ledger.customers.assign(
        paperless_since=ledger.customers["customer_id"].map(first).astype("datetime64[ns]")
    )
    return ledger.with_tables(customers=customers)


def test_every_produced_column_is_registered_and_vice_versa(full_ledger: Ledger) -> None:
    invoice_frame = build_invoice_frame(full_ledger)
    produced = [c for c in invoice_frame.columns if c not in KEYS]
    assert produced == [spec.name for spec in frame_specs("invoice")]
    dates = pd.date_range("2025-01-01", periods=3, freq="MS")
    customer_frame = build_customer_frame(full_ledger, dates)
    produced = [c for c in customer_frame.columns if c not in KEYS]
    assert produced == [spec.name for spec in frame_specs("customer")]
    assert invoice_frame.attrs["missing_features"] == []


def test_dtypes_follow_the_registry(full_ledger: Ledger) -> None:
    frame = build_invoice_frame(full_ledger)
    for spec in frame_specs("invoice"):
        expected = "category" if spec.kind == "categorical" else "float64"
        assert str(frame[spec.name].dtype) == expected, spec.name


def test_specs_are_complete_and_unique() -> None:
    specs = feature_specs()
    assert len({spec.name for spec in specs}) == len(specs)
    for spec in specs:
        assert spec.description_en and spec.description_fr and spec.needs
        assert spec.direction in (-1, 0, 1)
        value = "X" if spec.kind == "categorical" else 3.0
        assert spec.reason(value, "en") and spec.reason(value, "fr")
        if spec.kind == "categorical":
            assert spec.direction == 0


@pytest.mark.parametrize(
    ("name", "direction"),
    [("days_late_mean_12m", 1), ("n_invoices_paid_late_60d_12m", 1), ("open_amount_91_plus", 1),
     ("share_paid_before_due_12m", -1), ("in_collective_proceeding", 1),
     ("credit_limit_utilisation", 1), ("sector_late_rate", 1)],
)  # fmt: skip
def test_directions_of_monotone_features(name: str, direction: int) -> None:
    assert get_spec(name).direction == direction


def test_monotone_constraints_vector() -> None:
    names = [
        "reminders_per_invoice_12m", "legal_form", "days_since_last_late_payment", "invoice_amount"
    ]  # fmt: skip
    assert monotone_constraints(names) == [1, 0, 0, 0]
    # expected directions the evidence contradicts are left free (issue 19, finding 5; the
    # share paid late and the 1-30 days balance since the distress-driven generator, issue 13;
    # the days since the last late payment on the 5,000-customer benchmark portfolio)
    free = [
        "dispute_rate_12m", "days_late_max_12m", "n_director_changes_12m",
        "share_paid_late_12m", "open_amount_1_30",
    ]  # fmt: skip
    assert monotone_constraints(free) == [0, 0, 0, 0, 0]
    assert monotone_constraints(["open_days_past_due_max", "dso_days_3m"]) == [1, 1]
    with pytest.raises(UnknownFeatureError):
        monotone_constraints(["no_such_feature"])


def test_reason_sentences() -> None:
    spec = get_spec("n_invoices_paid_late_60d_12m")
    assert spec.reason(3) == "3 invoices paid more than 60 days late in the last 12 months"
    assert spec.reason(3, "fr") == (
        "3 factures payées avec plus de 60 jours de retard sur les 12 derniers mois"
    )


def test_committed_docs_are_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render(), (
        "docs/features.md is stale: run `uv run python -m risk.features.docs`"
    )
