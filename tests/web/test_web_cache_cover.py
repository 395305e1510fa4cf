"""The pages decide from the service's cached scores only for customers whose open invoices are
scored in it: a customer an event batch touched is pending until the service rescores its
invoices, and the pages score it themselves meanwhile (its worklist row is never lost)."""

from __future__ import annotations

import pandas as pd

from risk.serving.cache import ScoreCache
from risk.web.cached import covers

AS_OF = pd.Timestamp("2025-12-31")


def cache(pending: frozenset[str] = frozenset()) -> ScoreCache:
    customers = pd.DataFrame(
        {"grade": ["B", "D"]}, index=pd.Index(["C1", "C2"], name="customer_id")
    )
    invoices = pd.DataFrame(
        {"customer_id": ["C1"], "probability": [0.2]}, index=pd.Index(["I1"], name="invoice_id")
    )
    return ScoreCache("v1", AS_OF, customers, invoices, pending=pending)


def test_a_complete_cache_covers_its_customers_at_its_date_only() -> None:
    assert covers(cache(), AS_OF, ["C1", "C2"]) and covers(cache(), AS_OF, None)
    assert not covers(cache(), AS_OF, ["C1", "C9"])  # C9 not scored
    assert not covers(cache(), AS_OF - pd.Timedelta(days=1), ["C1"])
    assert not covers(None, AS_OF, ["C1"])


def test_pending_customers_are_not_covered_until_their_invoices_are_rescored() -> None:
    touched = cache(pending=frozenset({"C2"}))
    assert not covers(touched, AS_OF, ["C2"])
    assert not covers(touched, AS_OF, ["C1", "C2"])
    assert not covers(touched, AS_OF, None)  # the whole worklist needs every invoice
    assert covers(touched, AS_OF, ["C1"])  # an untouched customer still comes from the cache
