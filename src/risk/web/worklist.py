"""The customer worklist of the web page: one row per customer from the invoice worklist
(``risk.decisions.worklist.build_worklist``), filtered, sorted and paged on the server.

The most urgent action of a customer: a claim to declare first (legal deadline), then actions
due now before later ones, then the most advanced scenario step, then the amount at risk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.decisions.dunning import DunningScenario

PAGE_SIZE = 25
SORTS = {
    "at_risk": ("at_risk", False),
    "total_owed": ("total_owed", False),
    "grade": ("grade", False),
    "dpd": ("max_days_past_due", False),
    "action_date": ("action_date", True),
    "name": ("name", True),
}


@dataclass(frozen=True)
class Query:
    """Filters, sort and page of the worklist page (from the query string)."""

    grades: tuple[str, ...] = ()
    sector: str = ""
    action: str = ""
    owner: str = ""
    min_amount: float = 0.0
    sort: str = "at_risk"
    page: int = 1


def step_numbers(scenario: DunningScenario) -> dict[str, int]:
    """Scenario step number of each action code (1-based; codes outside the steps are 0)."""
    return {step.code: number for number, step in enumerate(scenario.steps, 1)}


def urgency_order(
    invoices: pd.DataFrame, as_of: pd.Timestamp, steps: dict[str, int]
) -> pd.DataFrame:
    """Invoice worklist rows, the most urgent first."""
    return invoices.assign(
        _claim=(invoices["action"] != "declare_claim").astype(int),
        _later=(invoices["action_date"].isna() | (invoices["action_date"] > as_of)).astype(int),
        _step=-invoices["action"].map(steps).fillna(0),
        _risk=-invoices["expected_at_risk"],
    ).sort_values(["_claim", "_later", "_step", "_risk"], kind="stable")


def customer_rows(
    invoices: pd.DataFrame,
    customers: pd.DataFrame,
    sections: pd.Series,
    as_of: pd.Timestamp,
    steps: dict[str, int],
) -> pd.DataFrame:
    """One row per customer of the invoice worklist, indexed by ``customer_id``.

    Args:
        invoices: ``build_worklist`` rows (every open invoice, any order).
        customers: the ledger's customers (for the name).
        sections: NAF section letter by customer id.
        as_of: the view date.
        steps: ``step_numbers`` of the scenario.
    """
    if invoices.empty:
        return pd.DataFrame()
    ordered = urgency_order(invoices, as_of, steps)
    first = ordered.groupby("customer_id", sort=False).head(1).set_index("customer_id")
    totals = invoices.groupby("customer_id").agg(
        total_owed=("open_amount", "sum"),
        at_risk=("expected_at_risk", "sum"),
        max_days_past_due=("days_past_due", "max"),
        n_invoices=("invoice_id", "size"),
    )
    same_action = invoices.merge(first[["action"]], left_on="customer_id", right_index=True)
    same_action = same_action[same_action["action_x"] == same_action["action_y"]]
    action_invoices = same_action.groupby("customer_id")["invoice_id"].agg(list)
    names = customers.set_index("customer_id").get("name", pd.Series(dtype="str"))
    out = totals.join(
        first[
            ["grade", "action", "action_en", "action_fr", "action_date", "owner", "channel",
             "deadline", "customer_reasons_en", "customer_reasons_fr"]
        ]
    )  # fmt: skip
    out["action_invoices"] = action_invoices.reindex(out.index)
    out["step"] = out["action"].map(steps).fillna(0).astype(int)
    out["name"] = names.reindex(out.index).fillna("").astype(str)
    out["sector"] = sections.reindex(out.index).astype("object").fillna("")
    return out


FILTERED = ("grade", "sector", "action", "owner")


@dataclass(frozen=True)
class PreparedWorklist:
    """The customer rows of one ledger version made ready for paging: each sort's row order
    computed once, the filtered columns as integer codes, the filters' choices listed.

    A page request is then a mask over the codes and a slice of a precomputed order (a stable
    sort of the whole table keeps, restricted to the matching rows, the order a stable sort of
    those rows alone gives: the page equals filtering then sorting). Build one with ``prepare``.
    """

    rows: pd.DataFrame
    orders: dict[str, np.ndarray]  # sort name -> row positions in that order
    codes: dict[str, np.ndarray]  # filtered column -> factorized codes (-1: missing)
    values: dict[str, dict[object, int]]  # filtered column -> value -> code
    total_owed: np.ndarray
    options: dict[str, list[str]]  # filtered column -> sorted non-empty values

    def page(self, query: Query, page_size: int = PAGE_SIZE) -> tuple[pd.DataFrame, int]:
        """The rows of one page after filters and sort, and the number of rows that matched."""
        rows = self.rows
        if rows.empty:
            return rows, 0
        keep: np.ndarray | None = None

        def both(mask: np.ndarray) -> None:
            nonlocal keep
            keep = mask if keep is None else keep & mask

        if query.grades:
            wanted = [self.values["grade"][g] for g in query.grades if g in self.values["grade"]]
            both(np.isin(self.codes["grade"], np.array(wanted, dtype=np.intp)))
        for column in ("sector", "action", "owner"):
            value = getattr(query, column)
            if value:
                both(self.codes[column] == self.values[column].get(value, -2))
        if query.min_amount > 0:
            both(self.total_owed >= query.min_amount)
        order = self.orders.get(query.sort, self.orders["at_risk"])
        chosen = order if keep is None else order[keep[order]]
        start = (max(query.page, 1) - 1) * page_size
        return rows.iloc[chosen[start : start + page_size]], len(chosen)


def _values(column: pd.Series) -> tuple[np.ndarray, dict[object, int], list[str]]:
    codes, uniques = pd.factorize(column, sort=False)
    found = {value: code for code, value in enumerate(uniques.tolist())}
    options = sorted(str(v) for v in found if not pd.isna(v) and str(v))
    return codes.astype(np.intp), found, options


def prepare(rows: pd.DataFrame) -> PreparedWorklist:
    """``rows`` (``customer_rows``) made ready for paging (see ``PreparedWorklist``)."""
    if rows.empty:
        return PreparedWorklist(rows, {}, {}, {}, np.zeros(0), {c: [] for c in FILTERED})
    orders = {}
    for name, (column, ascending) in SORTS.items():
        frame = pd.DataFrame(
            {
                "key": rows[column].reset_index(drop=True),
                "at_risk": rows["at_risk"].reset_index(drop=True),
            }
        )
        ordered = frame.sort_values(["key", "at_risk"], ascending=[ascending, False], kind="stable")
        orders[name] = ordered.index.to_numpy(dtype=np.intp)
    codes, values, options = {}, {}, {}
    for column in FILTERED:
        codes[column], values[column], options[column] = _values(rows[column])
    total = rows["total_owed"].to_numpy(dtype=float)
    return PreparedWorklist(rows, orders, codes, values, total, options)


def select(
    rows: pd.DataFrame, query: Query, page_size: int = PAGE_SIZE
) -> tuple[pd.DataFrame, int]:
    """One page of ``rows`` (prepared for this call only; the pages keep a ``prepare``d view
    per ledger version)."""
    return prepare(rows).page(query, page_size)
