"""The reminder worklist: open invoices ranked by expected amount at risk, each with its next
dunning action, late-payment amounts and the reasons behind it.

Ranking: expected amount at risk = P(late) x open amount, then days past due (urgency).
Reason codes are computed only for the rows of the worklist (SHAP costs about 500 plain
predictions), from the invoice model (why this invoice) and the customer model (why this
grade), and the customer's reasons steer the action's wording.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from risk.decisions.credit import active_proceedings
from risk.decisions.dunning import DunningScenario, load_dunning_scenario, next_actions
from risk.decisions.penalties import late_payment_frame
from risk.decisions.rates import RateTable, load_rate_table
from risk.errors import ConfigError
from risk.features.sector import naf_section
from risk.ledger import Ledger
from risk.scoring import Scorer

logger = logging.getLogger(__name__)

KEY_ACCOUNT_SALES_QUANTILE = 0.9  # top 10 % of customers by 12-month sales are key accounts


@dataclass(frozen=True)
class WorklistFilters:
    """Which invoices enter the worklist."""

    top: int | None = 50
    grades: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()  # NAF section letters
    min_amount: float = 0.0


@dataclass(frozen=True)
class DecisionConfig:
    """Dunning scenario and rate table (the packaged defaults unless given)."""

    scenario: DunningScenario = field(default_factory=load_dunning_scenario)
    rates: RateTable = field(default_factory=load_rate_table)


def dunning_history(ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per invoice, from reminders sent before ``as_of``: last step done and a promise to pay
    still running at ``as_of``."""
    reminders = ledger.reminders
    if reminders is None or reminders.empty:
        index = pd.Index([], dtype="str", name="invoice_id")
        return pd.DataFrame(
            {
                "last_step_done": pd.Series([], dtype="int64", index=index),
                "promise_to_pay_until": pd.Series([], dtype="datetime64[ns]", index=index),
            }
        )
    sent = reminders[reminders["sent_on"] < as_of]
    last_step = sent.groupby("invoice_id")["step"].max().astype("int64")
    promises = sent[
        (sent["outcome"] == "promise_to_pay") & (sent.get("promised_on", pd.NaT) >= as_of)
    ]
    promise = promises.groupby("invoice_id")["promised_on"].max()
    return pd.DataFrame({"last_step_done": last_step, "promise_to_pay_until": promise})


def lookup_dates(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """``dates`` looked up by ``keys`` as ``datetime.date`` or None (``Series.map`` fails on an
    empty datetime mapper in pandas 3)."""
    found = pd.Series(dates.reindex(keys.to_numpy()).to_numpy(), index=keys.index)
    found = pd.to_datetime(found)
    return pd.Series(
        [d.date() if pd.notna(d) else None for d in found], index=keys.index, dtype=object
    )


def key_accounts(ledger: Ledger, as_of: pd.Timestamp) -> set[str]:
    """Customers in the top decile of invoiced amount over the 12 months before ``as_of``."""
    inv = ledger.invoices
    recent = inv[(inv["issued_on"] < as_of) & (inv["issued_on"] >= as_of - pd.Timedelta(days=365))]
    sales = recent.groupby("customer_id")["amount"].sum()
    if sales.empty:
        return set()
    return set(sales[sales >= sales.quantile(KEY_ACCOUNT_SALES_QUANTILE)].index)


def _proceedings(ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    active = active_proceedings(ledger, as_of)
    events = ledger.legal_events
    if active.empty or events is None:
        empty = pd.Series(
            [], dtype="datetime64[ns]", index=pd.Index([], dtype="str", name="customer_id")
        )
        return pd.DataFrame({"published_on": empty})
    opened = events[
        (events["published_on"] < as_of)
        & events["kind"].isin(["safeguard", "receivership", "liquidation"])
    ]
    published = opened.groupby("customer_id")["published_on"].max()
    return pd.DataFrame({"published_on": published.reindex(active.index)})


def _penalties(items: pd.DataFrame, as_of: pd.Timestamp, rates: RateTable) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "open_amount": items["open_amount"],
            "due_on": items["due_on"],
            "in_proceeding": items["in_proceeding"],
        }
    )
    try:
        out = late_payment_frame(frame, as_of.date(), rates)
        return out[["interest", "indemnity"]].assign(penalty_note="")
    except ConfigError as exc:
        logger.warning("late-payment amounts not computed: %s", exc)
        return pd.DataFrame(
            {"interest": np.nan, "indemnity": np.nan, "penalty_note": str(exc)}, index=items.index
        )


def build_worklist(
    scorer: Scorer,
    ledger: Ledger,
    as_of: pd.Timestamp,
    filters: WorklistFilters | None = None,
    config: DecisionConfig | None = None,
) -> pd.DataFrame:
    """The ranked worklist at ``as_of`` (see the module docstring)."""
    filters = filters or WorklistFilters()
    config = config or DecisionConfig()
    as_of = pd.Timestamp(as_of)
    items = scorer.score_invoices(ledger, as_of, explain=False).drop(columns=["reasons"])
    customers = scorer.score_customers(
        ledger, as_of, customer_ids=sorted(set(items["customer_id"])), explain=False
    )
    items = items.merge(
        customers[["customer_id", "grade", "probability"]].rename(
            columns={"probability": "customer_probability"}
        ),
        on="customer_id",
        how="left",
    )
    sections = naf_section(
        ledger.customers.set_index("customer_id").get("naf_code", pd.Series(dtype="str"))
    )
    items["naf_section"] = (
        items["customer_id"].map(sections.astype("object")) if len(sections) else None
    )
    keep = items["open_amount"] >= filters.min_amount
    if filters.grades:
        keep &= items["grade"].isin(filters.grades)
    if filters.sectors:
        keep &= items["naf_section"].isin(filters.sectors)
    items = items[keep].sort_values(
        ["expected_at_risk", "days_past_due"], ascending=False, kind="stable"
    )
    items = items.head(filters.top) if filters.top else items
    if items.empty:
        return items.assign(rank=pd.Series(dtype="int64"))
    return decide_worklist(scorer, ledger, as_of, items.reset_index(drop=True), config)


def decide_worklist(
    scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, items: pd.DataFrame, config: DecisionConfig
) -> pd.DataFrame:
    explained = scorer.score_invoices(
        ledger, as_of, invoice_ids=list(items["invoice_id"]), explain=True
    )
    reasons = explained.set_index("invoice_id")
    why = scorer.score_customers(
        ledger, as_of, customer_ids=sorted(set(items["customer_id"])), explain=True
    ).set_index("customer_id")
    history = dunning_history(ledger, as_of)
    proceedings = _proceedings(ledger, as_of)
    invoices = ledger.invoices.set_index("invoice_id")
    disputed = (
        invoices["disputed"] if "disputed" in invoices else pd.Series(False, index=invoices.index)
    )
    keys = key_accounts(ledger, as_of)
    state = pd.DataFrame(
        {
            "invoice_id": items["invoice_id"],
            "customer_id": items["customer_id"],
            "due_on": items["due_on"].dt.date,
            "open_amount": items["open_amount"],
            "grade": items["grade"],
            "disputed": items["invoice_id"].map(disputed).fillna(False).astype(bool),
            "promise_to_pay_until": lookup_dates(
                items["invoice_id"], history["promise_to_pay_until"]
            ),
            "in_proceeding": items["customer_id"].isin(proceedings.index),
            "proceeding_published_on": lookup_dates(
                items["customer_id"], proceedings["published_on"]
            ),
            "last_step_done": items["invoice_id"]
            .map(history["last_step_done"])
            .fillna(0)
            .astype("int64"),
            "key_account": items["customer_id"].isin(keys),
            "top_reasons": [
                tuple(filter(None, str(why.at[c, "reasons_en"]).split("; ")))
                for c in items["customer_id"]
            ],
        }
    )
    actions = next_actions(state, config.scenario, as_of.date())
    penalties = _penalties(
        items.assign(in_proceeding=state["in_proceeding"].to_numpy()), as_of, config.rates
    )
    out = pd.DataFrame(
        {
            "rank": np.arange(1, len(items) + 1),
            "invoice_id": items["invoice_id"],
            "customer_id": items["customer_id"],
            "grade": items["grade"],
            "probability": items["probability"],
            "open_amount": items["open_amount"],
            "expected_at_risk": items["expected_at_risk"],
            "due_on": items["due_on"],
            "days_past_due": items["days_past_due"],
            "action": actions["code"],
            "action_en": actions["label_en"],
            "action_fr": actions["label_fr"],
            "action_date": actions["due_date"],
            "channel": actions["channel"],
            "owner": actions["owner"],
            "action_reason": actions["reason"],
            "deadline": actions["deadline"],
            "interest": penalties["interest"].to_numpy(),
            "indemnity": penalties["indemnity"].to_numpy(),
            "invoice_reasons_en": items["invoice_id"].map(reasons["reasons_en"]),
            "invoice_reasons_fr": items["invoice_id"].map(reasons["reasons_fr"]),
            "customer_reasons_en": items["customer_id"].map(why["reasons_en"]),
            "customer_reasons_fr": items["customer_id"].map(why["reasons_fr"]),
            "disputed": state["disputed"],
            "key_account": state["key_account"],
            "penalty_note": penalties["penalty_note"].to_numpy(),
            "as_of": as_of,
            "model_versions": items["model_versions"],
        }
    )
    return out
