"""Merge chunk scores into the portfolio outputs: global worklist ranking and reason codes.

The worklist is ranked over the whole portfolio, never per chunk: every chunk's open invoices
are candidates, ranked by expected amount at risk then days past due, and only the top rows go
through the worklist's decision step (next action, late-payment amounts, reasons).
"""

from __future__ import annotations

import functools
import logging
from typing import Literal

import pandas as pd

from risk.decisions import worklist as worklist_module
from risk.decisions.worklist import DecisionConfig
from risk.ledger import Ledger
from risk.scoring import Scorer

logger = logging.getLogger(__name__)

Explain = Literal["none", "worklist", "all"]
REASON_COLUMNS: tuple[str, ...] = ("reasons_en", "reasons_fr")


def sort_scores(customers: pd.DataFrame, invoices: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """Outputs in a fixed order (by id), whatever the chunking or the engine."""
    return (
        customers.sort_values("customer_id", kind="stable").reset_index(drop=True),
        invoices.sort_values("invoice_id", kind="stable").reset_index(drop=True),
    )


def worklist_candidates(
    customers: pd.DataFrame, invoices: pd.DataFrame, top: int | None
) -> pd.DataFrame:
    """The open invoices of the portfolio with their customer's grade and probability.

    Every open invoice is a candidate: the worklist's order (legal deadlines, then due actions
    by expected loss, ...) is decided by :func:`risk.decisions.ranking.rank_worklist` in the
    decision step, which keeps the ``top`` rows; ``top`` is accepted for compatibility.
    """
    grades = customers[["customer_id", "grade", "probability"]].rename(
        columns={"probability": "customer_probability"}
    )
    items = invoices.drop(columns=[c for c in REASON_COLUMNS if c in invoices]).merge(
        grades, on="customer_id", how="left"
    )
    items = items.sort_values("invoice_id", kind="stable").sort_values(
        ["expected_at_risk", "days_past_due"], ascending=False, kind="stable"
    )
    return items.reset_index(drop=True)


def build_global_worklist(
    scorer: Scorer,
    ledger: Ledger,
    as_of: pd.Timestamp,
    candidates: pd.DataFrame,
    config: DecisionConfig | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Run the worklist's decision step on the globally ranked candidates.

    The decision step is the worklist module's own (next actions, penalties, reasons) on the
    whole ledger: it decides the candidates of largest amount at risk (and those under a
    collective proceeding) until the ``top`` rows are known
    (:func:`risk.decisions.worklist.decide_top`), reads the per-invoice tables only for the
    rows it decides and explains the ``top`` rows on their customers' sub-ledger. (Cutting a
    decision sub-ledger first, as the former stage did (``tests/batch/worklist_reference.py``),
    cost more than it saved: every customer with an open invoice is a candidate.)
    """
    if candidates.empty:
        return candidates.assign(rank=pd.Series(dtype="int64"))
    return worklist_module.decide_worklist(
        scorer, ledger, as_of, candidates, config or default_decision_config(), top=top
    )


@functools.cache
def default_decision_config() -> DecisionConfig:
    """The packaged dunning scenario, rates, history mapping and creditor, read once per
    process (four YAML files; the configuration objects are never modified)."""
    return DecisionConfig()


def apply_explain_mode(
    customers: pd.DataFrame, invoices: pd.DataFrame, worklist: pd.DataFrame, explain: Explain
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reason codes on the rows the mode asks for.

    ``all`` keeps every row's reasons; ``none`` keeps none; ``worklist`` keeps only the reasons
    of the worklist's invoices and of the customers on it (taken from the worklist, which
    computed them with the same explainer).
    """
    if explain == "all":
        return customers, invoices
    customers, invoices = customers.copy(), invoices.copy()
    for frame in (customers, invoices):
        for column in REASON_COLUMNS:
            frame[column] = ""
    if explain == "none" or worklist.empty:
        return customers, invoices
    for lang in ("en", "fr"):
        by_invoice = worklist.set_index("invoice_id")[f"invoice_reasons_{lang}"]
        on_list = invoices["invoice_id"].isin(by_invoice.index)
        invoices.loc[on_list, f"reasons_{lang}"] = invoices.loc[on_list, "invoice_id"].map(
            by_invoice
        )
        by_customer = worklist.drop_duplicates("customer_id").set_index("customer_id")[
            f"customer_reasons_{lang}"
        ]
        listed = customers["customer_id"].isin(by_customer.index)
        customers.loc[listed, f"reasons_{lang}"] = customers.loc[listed, "customer_id"].map(
            by_customer
        )
    return customers, invoices
