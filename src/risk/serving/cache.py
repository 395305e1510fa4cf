"""Scores of every customer and open invoice at the ledger's cut-off, for one ledger version.

Built by the batch code path (``Scorer.score_customers`` / ``score_invoices`` over the whole
ledger, reasons included) when a ledger version is published, and refreshed for the customers
an event batch touched (with the other members of their groups: limits are consolidated per
group). A score by id at the cut-off date is then a lookup: each customer's answer (reasons
and credit limit included) is kept ready as a ``schemas.CustomerScore``, and a call only stamps
its request id, model and ledger versions on a copy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pandas as pd

from risk.ledger import Ledger, subset_ledger
from risk.portfolio import open_amounts
from risk.scoring import Scorer
from risk.serving import schemas
from risk.serving.app import customer_score
from risk.store.snapshot import LedgerSnapshot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreCache:
    """Cached scores of one ledger version at ``as_of`` (its cut-off date)."""

    version: str
    as_of: pd.Timestamp
    customers: pd.DataFrame  # index customer_id; columns of Scorer.score_customers
    invoices: pd.DataFrame  # index invoice_id; columns of Scorer.score_invoices
    answers: Mapping[str, schemas.CustomerScore] = field(default_factory=dict)
    #: customers an event batch touched whose open invoices are not rescored yet (their old
    #: invoice scores are dropped: a call for them scores on the spot until ``fill_invoices``)
    pending: frozenset[str] = frozenset()

    def answer(
        self, customer_id: str, request_id: str, models: dict[str, str], ledger_version: str
    ) -> schemas.CustomerScore | None:
        """The cached answer for ``customer_id`` stamped for one call (None: not cached)."""
        ready = self.answers.get(customer_id)
        if ready is None:
            return None
        return ready.model_copy(
            update={"request_id": request_id, "models": models, "ledger_version": ledger_version}
        )

    def has_invoices(self, invoice_ids: list[str]) -> bool:
        return self.invoices.index.isin(invoice_ids).sum() == len(set(invoice_ids))


def _answers(customers: pd.DataFrame) -> dict[str, schemas.CustomerScore]:
    """Each scored row as the service's answer (request id and versions filled per call)."""
    return {
        str(row["customer_id"]): customer_score(row, "", {}, "") for _, row in customers.iterrows()
    }


def _customers(
    scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, ids: list[str] | None
) -> pd.DataFrame:
    return scorer.score_customers(ledger, as_of, ids, explain=True).set_index(
        "customer_id", drop=False
    )


def _open_invoice_ids(ledger: Ledger, as_of: pd.Timestamp) -> list[str]:
    items = open_amounts(ledger, as_of)
    issued = ledger.invoices.set_index("invoice_id")["issued_on"]
    items = items[issued.reindex(items["invoice_id"]).to_numpy() < as_of]
    return items["invoice_id"].astype("str").tolist()


def _invoices(
    scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, ids: list[str] | None
) -> pd.DataFrame:
    if ids == []:
        return pd.DataFrame(columns=["invoice_id"]).set_index("invoice_id", drop=False)
    return scorer.score_invoices(ledger, as_of, ids, explain=True).set_index(
        "invoice_id", drop=False
    )


def build_cache(scorer: Scorer, snapshot: LedgerSnapshot) -> ScoreCache | None:
    """Score every customer and open invoice at the ledger's cut-off (None: an empty ledger)."""
    try:
        as_of = snapshot.ledger.date_range[1]
    except ValueError:
        return None
    started = time.perf_counter()
    customers = _customers(scorer, snapshot.ledger, as_of, None)
    cache = ScoreCache(
        snapshot.version,
        as_of,
        customers,
        _invoices(scorer, snapshot.ledger, as_of, None),
        _answers(customers),
    )
    logger.info(
        "scores cached for ledger %s at %s: %d customers, %d open invoices in %.1f s",
        snapshot.version,
        as_of.date(),
        len(cache.customers),
        len(cache.invoices),
        time.perf_counter() - started,
    )
    return cache


def _with_groups(customers: pd.DataFrame, ids: set[str]) -> list[str]:
    known = customers["customer_id"].isin(ids)
    if "group_id" not in customers:
        return sorted(set(customers.loc[known, "customer_id"]))
    groups = customers.loc[known, "group_id"].dropna()
    members = customers.loc[known | customers["group_id"].isin(groups), "customer_id"]
    return sorted(set(members.astype("str")))


def update_cache(
    scorer: Scorer,
    snapshot: LedgerSnapshot,
    changed: frozenset[str] | None,
    previous: ScoreCache | None,
    invoices_later: bool = False,
) -> ScoreCache | None:
    """``previous`` with the ``changed`` customers (and their groups) rescored; a full build when
    there is no previous cache, all changed, or the cut-off date moved.

    With ``invoices_later`` only the customers' scores are refreshed: their open invoices'
    scores are dropped and the customers listed in ``pending``, for ``fill_invoices`` to
    rescore after the new version is published (what makes an event visible to the next
    customer score in well under a second)."""
    if changed is None or previous is None:
        return build_cache(scorer, snapshot)
    ledger = snapshot.ledger
    try:
        as_of = ledger.date_range[1]
    except ValueError:
        return None
    if as_of != previous.as_of:
        return build_cache(scorer, snapshot)
    ids = _with_groups(ledger.customers, set(changed))
    if not ids:
        return replace(previous, version=snapshot.version)
    customers = _customers(scorer, ledger, as_of, ids)
    kept_customers = previous.customers[~previous.customers.index.isin(ids)]
    kept_invoices = previous.invoices[~previous.invoices["customer_id"].isin(ids)]
    cache = ScoreCache(
        snapshot.version,
        as_of,
        pd.concat([kept_customers, customers]),
        kept_invoices,
        {**previous.answers, **_answers(customers)},
        previous.pending | frozenset(ids),
    )
    return cache if invoices_later else fill_invoices(scorer, snapshot, cache)


def fill_invoices(scorer: Scorer, snapshot: LedgerSnapshot, cache: ScoreCache) -> ScoreCache:
    """``cache`` with the open invoices of its ``pending`` customers scored (same version).

    Raises:
        ValueError: ``cache`` is not the cache of ``snapshot``'s version.
    """
    if cache.version != snapshot.version:
        raise ValueError(f"cache of ledger {cache.version}, not of {snapshot.version}")
    if not cache.pending:
        return cache
    ids = sorted(cache.pending)
    # the customers' own rows, cut once: their invoices are scored on them (score_invoices
    # cuts its owners' rows again, from this subset instead of the whole ledger)
    ledger = subset_ledger(snapshot.ledger, ids)
    invoice_ids = _open_invoice_ids(ledger, cache.as_of)
    invoices = _invoices(scorer, ledger, cache.as_of, invoice_ids)
    kept = cache.invoices[~cache.invoices["customer_id"].isin(ids)]
    return replace(
        cache,
        invoices=pd.concat([kept, invoices]) if len(invoices) else kept,
        pending=frozenset(),
    )
