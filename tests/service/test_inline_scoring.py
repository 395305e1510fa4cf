"""Inline-ledger scoring gives the service's by-id answer for the same customer's ledger.

The inline path validates the rows sent with the request and scores one customer
(``Scorer.score_customers`` with its id); the by-id path reads the same rows from a ledger
folder and answers from the scores cached for the whole ledger version (the batch code path).
Both must give the same probability, grade, reasons and credit limit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.service.conftest import Trained

from risk import registry
from risk.contracts import TABLES
from risk.io import load_ledger
from risk.scoring import Scorer
from risk.serving import schemas
from risk.serving.app import customer_score, inline_ledger
from risk.serving.cache import build_cache
from risk.store import FolderSource, LedgerSnapshot


def _rows(frame: pd.DataFrame, model: type[schemas.Strict]) -> list[dict[str, Any]]:
    """Ledger rows as the JSON a client sends: the row model's fields, empty values left out."""
    fields = [name for name in model.model_fields if name in frame.columns]
    rows = []
    for record in frame[fields].to_dict("records"):
        row = {}
        for name, value in record.items():
            if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
                continue
            if isinstance(value, pd.Timestamp):
                value = value.date().isoformat()
            elif hasattr(value, "item"):
                value = value.item()
            row[name] = value
        rows.append(row)
    return rows


def _customer(ledger: Any) -> str:
    """A customer outside any group (a group's limit is consolidated over its members) with
    settled and open invoices."""
    customers = ledger.customers
    alone = customers["group_id"].isna() if "group_id" in customers else True
    counts = ledger.invoices.groupby("customer_id")["paid_on"].agg(["count", "size"])
    mixed = counts[(counts["count"] > 5) & (counts["size"] > counts["count"])].index
    return str(customers.loc[alone & customers["customer_id"].isin(mixed), "customer_id"].iloc[0])


@pytest.fixture(scope="module")
def scorer(trained: Trained) -> Scorer:
    return Scorer.from_registry(registry.Store.resolve(trained.tracking_uri))


def test_inline_score_equals_the_by_id_score_of_the_same_ledger(
    trained: Trained, scorer: Scorer, tmp_path: Path
) -> None:
    full = load_ledger(trained.ledger_dir)
    customer_id = _customer(full)
    body = {
        "customers": _rows(
            full.customers[full.customers["customer_id"] == customer_id], schemas.CustomerRow
        ),
        "invoices": _rows(
            full.invoices[full.invoices["customer_id"] == customer_id], schemas.InvoiceRow
        ),
        "legal_events": _rows(
            full.legal_events[full.legal_events["customer_id"] == customer_id],
            schemas.LegalEventRow,
        )
        if full.legal_events is not None
        else [],
    }
    # the by-id side: the same rows as a ledger folder (no payments, reminders nor statuses,
    # as an inline ledger has none), read and cached as the service does at start
    folder = tmp_path / "ledger"
    folder.mkdir()
    for name, rows in body.items():
        columns = list(pd.DataFrame(rows).columns) or ["customer_id", "published_on", "kind"]
        pd.DataFrame(rows, columns=columns).to_csv(folder / f"{name}.csv", index=False)
    for name in ("payments", "reminders", "invoice_statuses"):
        pd.DataFrame(columns=[c.name for c in TABLES[name].columns]).to_csv(
            folder / f"{name}.csv", index=False
        )
    ledger, version = FolderSource(folder).read()
    cache = build_cache(scorer, LedgerSnapshot.of(ledger, version, "test"))
    assert cache is not None
    by_id = cache.answer(customer_id, "r", scorer.versions, version)
    assert by_id is not None

    request = schemas.CustomerScoreRequest.model_validate(
        {"ledger": body, "as_of": cache.as_of.date().isoformat()}
    )
    sent = inline_ledger(request.ledger, 10_000)  # type: ignore[arg-type]
    frame = scorer.score_customers(sent, cache.as_of, [customer_id], explain=True)
    inline = customer_score(frame.iloc[0], "r", scorer.versions, version)

    assert inline.as_of == by_id.as_of == cache.as_of.date()
    assert inline.probability == pytest.approx(by_id.probability, abs=1e-12)
    assert inline.grade == by_id.grade
    assert [r.feature for r in inline.reasons] == [r.feature for r in by_id.reasons]
    assert inline.reasons_en == by_id.reasons_en
    assert inline.credit_limit == by_id.credit_limit
    assert isinstance(inline.as_of, dt.date)
