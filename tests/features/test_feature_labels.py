"""Label boundaries: exactly L days late is on time, unknown outcomes are excluded."""

from __future__ import annotations

import pandas as pd
import pytest
from handbuilt import tiny_ledger

from risk.features import FeatureConfig, customer_training_frame, invoice_training_frame
from risk.labels import LabelError, customer_labels, invoice_labels
from risk.ledger import Ledger

DUE = pd.Timestamp("2024-03-01")


def _invoices(paid: list[object]) -> pd.DataFrame:
    n = len(paid)
    return pd.DataFrame({
        "invoice_id": [f"I{k}" for k in range(n)], "customer_id": "C1",
        "issued_on": [DUE - pd.Timedelta(days=30)] * n, "due_on": [DUE] * n,
        "amount": 100.0, "paid_on": pd.to_datetime(pd.Series(paid)),
    })  # fmt: skip


def test_invoice_late_boundaries() -> None:
    paid = [DUE + pd.Timedelta(days=k) for k in (-5, 0, 30, 31)] + [None]
    cutoff = DUE + pd.Timedelta(days=100)
    labels = invoice_labels(_invoices(paid), cutoff, late_after_days=30)
    assert labels["label_days_late"].tolist()[:4] == [-5, 0, 30, 31]
    assert labels["label_late"].tolist() == [0, 0, 0, 1, 1]  # exactly 30 days late is on time
    assert labels["label_known"].all()


@pytest.mark.parametrize(
    ("days_after_due", "known"),
    [(30, False), (31, True)],  # the whole day due + L must be over without payment
)
def test_unpaid_invoice_is_known_late_once_cutoff_is_past_due_plus_l(
    days_after_due: int, known: bool
) -> None:
    labels = invoice_labels(_invoices([None]), DUE + pd.Timedelta(days=days_after_due), 30)
    assert labels["label_known"].item() is known
    assert labels["label_late"].item() == 1 if known else pd.isna(labels["label_late"].item())


def test_payment_on_or_after_cutoff_is_unknown() -> None:
    cutoff = DUE + pd.Timedelta(days=10)
    labels = invoice_labels(_invoices([cutoff, cutoff - pd.Timedelta(days=1)]), cutoff, 30)
    assert labels["label_known"].tolist() == [False, True]
    assert labels["label_late"].iloc[1] == 0


def test_invoice_training_frame_drops_unknown_outcomes() -> None:
    ledger = tiny_ledger()
    frame = invoice_training_frame(ledger, FeatureConfig(), cutoff=pd.Timestamp("2024-07-01"))
    # known: H, A, B (paid), C (paid); D unpaid, due 05-01 + 30 < 07-01 -> late; F, E, G unknown
    assert frame["invoice_id"].tolist() == ["H", "A", "B", "C", "D"]
    assert frame["label_late"].tolist() == [1, 0, 1, 0, 1]
    assert frame["label_late"].dtype == "int64"


def test_customer_label_window() -> None:
    ledger = tiny_ledger()
    config = FeatureConfig(horizon_days=30)
    becomes_late = pd.Timestamp("2024-05-01") + pd.Timedelta(days=31)  # invoice D
    queries = pd.DataFrame({
        "customer_id": "C1",
        "as_of": [becomes_late, becomes_late + pd.Timedelta(days=1),
                  becomes_late - pd.Timedelta(days=30), becomes_late - pd.Timedelta(days=29)],
    })  # fmt: skip
    labels = customer_labels(ledger, queries, pd.Timestamp("2024-12-31"), config)
    assert labels["label_late_invoice"].tolist() == [1, 0, 0, 1]


def test_customer_label_proceeding_and_known_horizon() -> None:
    ledger = tiny_ledger()
    config = FeatureConfig(horizon_days=10)
    liquidation = pd.Timestamp("2024-07-01")
    queries = pd.DataFrame(
        {
            "customer_id": "C1",
            "as_of": [liquidation - pd.Timedelta(days=10), liquidation - pd.Timedelta(days=9)],
        }
    )
    # the second window ends on 07-02; its invoices' outcomes are known L = 30 days later
    cutoff = liquidation + pd.Timedelta(days=1 + config.late_after_days)
    labels = customer_labels(ledger, queries, cutoff, config)
    assert labels["label_proceeding"].tolist() == [0, 1]
    assert labels["label_known"].tolist() == [True, True]
    short = customer_labels(ledger, queries, cutoff - pd.Timedelta(days=1), config)
    assert short["label_known"].tolist() == [True, False]


def test_customer_training_frame_keeps_observed_horizons_only() -> None:
    ledger = tiny_ledger()
    config = FeatureConfig(horizon_days=60)
    cutoff = pd.Timestamp("2024-08-01")
    frame = customer_training_frame(ledger, config, cutoff)
    assert (frame["as_of"] + pd.Timedelta(days=60 + config.late_after_days) <= cutoff).all()
    assert set(frame["customer_id"]) == {"C1"}  # C2 never had an invoice
    assert frame["label_event"].isin([0, 1]).all()
    assert frame.attrs["cutoff"] == "2024-08-01"


def test_labels_need_paid_on() -> None:
    ledger = tiny_ledger()
    bare = Ledger(ledger.customers, ledger.invoices.drop(columns="paid_on"))
    with pytest.raises(LabelError, match="paid_on"):
        invoice_training_frame(bare)
