"""The invoice worklist decided from the service's cached scores.

The service keeps every customer's and open invoice's score at the ledger's cut-off, reasons
included (``risk.serving.cache.ScoreCache``), and refreshes the customers an event batch touched.
``decided_from_cache`` decides those invoices (``risk.decisions.worklist.decide_rows``) with
those scores and reasons instead of scoring and explaining them again, so that the pages' state
and a recorded action cost the decision step only. The rows are those of
``build_worklist(..., WorklistFilters(top=None))`` on the same ledger and date.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pandas as pd

from risk.decisions.worklist import (
    DecisionConfig,
    add_french_reasons,
    attach_reasons,
    decide_rows,
)
from risk.features.sector import naf_section
from risk.ledger import Ledger

REASON_COLUMNS = ("reasons", "reasons_en", "reasons_fr")


def covers(cache: Any, as_of: pd.Timestamp, ids: Collection[str] | None) -> bool:
    """Whether ``cache`` holds scores at ``as_of`` for ``ids`` (None: every customer), their
    open invoices' included: customers an event batch touched stay ``pending`` (their invoice
    scores dropped) until the service rescores their invoices in the background."""
    if cache is None or getattr(cache, "as_of", None) != as_of:
        return False
    pending = frozenset(getattr(cache, "pending", frozenset()))
    if ids is None:
        return not pending
    wanted = set(ids)
    if wanted & pending:
        return False
    return bool(cache.customers.index.isin(list(wanted)).sum() == len(wanted))


def cached_items(cache: Any, ledger: Ledger, ids: Collection[str] | None) -> pd.DataFrame:
    """The cached open invoices (of ``ids``, or all) as ``scored_items`` returns them: the
    invoice score with its customer's grade, probability and NAF section."""
    invoices: pd.DataFrame = cache.invoices
    if ids is not None:
        invoices = invoices[invoices["customer_id"].isin(list(ids))]
    items = invoices.drop(columns=list(REASON_COLUMNS), errors="ignore").reset_index(drop=True)
    customers: pd.DataFrame = cache.customers
    items["grade"] = items["customer_id"].map(customers["grade"])
    items["customer_probability"] = items["customer_id"].map(customers["probability"])
    codes = ledger.customers.set_index("customer_id").get("naf_code", pd.Series(dtype="str"))
    wanted = codes if ids is None else codes[codes.index.isin(list(ids))]
    sections = naf_section(wanted).astype("object")
    items["naf_section"] = items["customer_id"].map(sections) if len(sections) else None
    return items


def decided_from_cache(
    ledger: Ledger,
    as_of: pd.Timestamp,
    cache: Any,
    config: DecisionConfig,
    ids: Collection[str] | None = None,
) -> pd.DataFrame:
    """Every open invoice (of ``ids``, or all) decided and ranked, with the cached reasons.

    Args:
        ledger: the ledger the cache was built on (or the rows of ``ids``).
        as_of: the cache's date.
        cache: the service's ``ScoreCache`` (``covers(cache, as_of, ids)`` must hold).
        config: scenario, rates and creditor of the decisions.
        ids: the customers to decide (None: all).
    """
    items = cached_items(cache, ledger, ids)
    if items.empty:
        return items.assign(rank=pd.Series(dtype="int64"))
    ranked = add_french_reasons(decide_rows(ledger, as_of, items, config).reset_index(drop=True))
    customers: pd.DataFrame = cache.customers
    wanted = sorted(set(ranked["customer_id"]))
    invoices = cache.invoices.loc[:, ["reasons_en", "reasons_fr"]]
    return attach_reasons(ranked, invoices, customers.loc[wanted])
