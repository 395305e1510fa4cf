"""The reminder worklist: open invoices with their next dunning action, late-payment amounts and
the customer's risk reasons, ranked by ``risk.decisions.ranking.rank_worklist``.

Every amount is net of credit notes (``risk.portfolio.open_amounts``). The dunning state of an
invoice comes from its reminders mapped to scenario steps (``risk.decisions.history``); public
buyers (``risk.contracts.PUBLIC_FORMS``) follow their own track and rates; French penalties
apply only to debtors the creditor file's ``french_law`` covers. Reason codes (SHAP) are computed
only for the rows kept, after ranking.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from risk.contracts import COLLECTIVE_PROCEEDING_KINDS, PUBLIC_FORMS
from risk.decisions import history as history_module
from risk.decisions.credit import active_proceedings
from risk.decisions.creditor import Creditor, load_creditor
from risk.decisions.disputes import dispute_notes, disputed_amounts, open_disputes
from risk.decisions.dunning import DunningScenario, load_dunning_scenario, next_actions
from risk.decisions.history import HistoryMapping, load_history_mapping
from risk.decisions.penalties import late_payment_frame
from risk.decisions.ranking import TIER_LABELS, rank_worklist, top_rows
from risk.decisions.rates import RateTable, load_rate_table
from risk.decisions.reasons_fr import reason_fr
from risk.explain import Reason
from risk.features.sector import naf_section
from risk.features.statuses import latest_status_at
from risk.ledger import Ledger, subset_ledger
from risk.lookup import fast_isin
from risk.scoring import Scorer

logger = logging.getLogger(__name__)

KEY_ACCOUNT_SALES_QUANTILE = 0.9  # top 10 % of customers by 12-month sales are key accounts
#: features that describe the open balance itself, not the customer's risk: never a "why".
WHY_EXCLUDED_FEATURES = ("n_open_invoices", "open_invoice_amount_max")
PASS_THROUGH = ("p_late_60", "p_unpaid_13w", "expected_paid_on", "p_lost")
#: open amount x P(lost: written off or frozen by a proceeding) from the payment-timing model
#: (``risk.timing.predict.timing_columns``); empty (NaN) when open invoices are scored by the
#: issue-date model, which has no lost outcome
EXPECTED_LOSS = "expected_loss"


@dataclass(frozen=True)
class WorklistFilters:
    """Which invoices enter the worklist; ``top`` counts customers when ``per_customer``."""

    top: int | None = 50
    grades: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()  # NAF section letters
    min_amount: float = 0.0
    per_customer: bool = False


@dataclass(frozen=True)
class DecisionConfig:
    """Dunning scenario, rate table, history mapping and creditor (packaged defaults)."""

    scenario: DunningScenario = field(default_factory=load_dunning_scenario)
    rates: RateTable = field(default_factory=load_rate_table)
    history: HistoryMapping = field(default_factory=load_history_mapping)
    creditor: Creditor = field(default_factory=load_creditor)


def lookup_dates(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """``dates`` looked up by ``keys`` as ``datetime.date`` or None."""
    found = pd.to_datetime(pd.Series(dates.reindex(keys.to_numpy()).to_numpy(), index=keys.index))
    codes, uniques = pd.factorize(found)  # NaT -> -1, the last entry (None)
    objects = np.array([*(d.date() for d in uniques), None], dtype=object)
    return pd.Series(objects[codes], index=keys.index, dtype=object)


def key_accounts(ledger: Ledger, as_of: pd.Timestamp) -> set[str]:
    """Customers in the top decile of invoiced amount over the 12 months before ``as_of``."""
    inv = ledger.invoices
    recent = inv[(inv["issued_on"] < as_of) & (inv["issued_on"] >= as_of - pd.Timedelta(days=365))]
    sales = recent.groupby("customer_id")["amount"].sum()
    if sales.empty:
        return set()
    return set(sales[sales >= sales.quantile(KEY_ACCOUNT_SALES_QUANTILE)].index)


def proceeding_openings(ledger: Ledger, as_of: pd.Timestamp) -> pd.Series:
    """Per customer under a proceeding at ``as_of``: publication of its first opening since the
    last closure (a conversion, e.g. safeguard to liquidation, does not reopen it)."""
    active = active_proceedings(ledger, as_of)
    events = ledger.legal_events
    if active.empty or events is None:
        return pd.Series([], dtype="datetime64[ns]", index=pd.Index([], dtype="str"))
    known = events[(events["published_on"] < as_of) & events["customer_id"].isin(active.index)]
    closed = (
        known[known["kind"] == "proceeding_closed"].groupby("customer_id")["published_on"].max()
    )
    opened = known[known["kind"].isin(COLLECTIVE_PROCEEDING_KINDS)]
    last_closed = closed.reindex(opened["customer_id"].to_numpy()).to_numpy()
    after = ~(opened["published_on"].to_numpy() <= last_closed)  # NaT compares False
    return opened[after].groupby("customer_id")["published_on"].min()


def dunning_history(
    ledger: Ledger, as_of: pd.Timestamp, config: DecisionConfig | None = None
) -> pd.DataFrame:
    """Per invoice, what its reminders before ``as_of`` say was done (private-law track)."""
    config = config or DecisionConfig()
    return history_module.dunning_history(ledger.reminders, as_of, config.scenario, config.history)


def _proceedings(ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    """``proceeding_openings`` as a frame with a ``published_on`` column."""
    return pd.DataFrame({"published_on": proceeding_openings(ledger, as_of)})


def _customer_column(ledger: Ledger, items: pd.DataFrame, name: str) -> pd.Series:
    customers = ledger.customers.set_index("customer_id")
    if name not in customers:
        return pd.Series(None, index=items.index, dtype=object)
    return items["customer_id"].map(customers[name].astype(object))


def _rows_of(table: pd.DataFrame | None, invoice_ids: pd.Series) -> pd.DataFrame | None:
    """The rows of a per-invoice table (reminders, statuses) about ``invoice_ids``: what is
    read of them is looked up by invoice, so the other invoices' rows are only work."""
    if table is None or len(table) <= len(invoice_ids):
        return table
    return table[fast_isin(table["invoice_id"], invoice_ids).to_numpy()]


def _state(
    ledger: Ledger,
    as_of: pd.Timestamp,
    items: pd.DataFrame,
    config: DecisionConfig,
    found: pd.DataFrame | None = None,
):
    invoices = _rows_of(ledger.invoices, items["invoice_id"]).set_index("invoice_id")  # type: ignore[union-attr]
    public = _customer_column(ledger, items, "legal_form").isin(PUBLIC_FORMS).to_numpy()
    history = history_module.dunning_history(
        _rows_of(ledger.reminders, items["invoice_id"]),
        as_of,
        config.scenario,
        config.history,
        items["invoice_id"][public],
    )
    opened = proceeding_openings(ledger, as_of)
    disputed = invoices["disputed"] if "disputed" in invoices else pd.Series(False, invoices.index)
    raised = history["dispute_raised_on"].reindex(items["invoice_id"]).notna().to_numpy()
    found = open_disputes(ledger, as_of) if found is None else found
    whole, _ = disputed_amounts(found, items["invoice_id"], items["open_amount"])
    raised_on = pd.concat(
        [history["dispute_raised_on"].dropna(), found["opened_on"][whole_ids(found, items, whole)]]
    )
    raised_on = raised_on.groupby(level=0).min() if len(raised_on) else raised_on
    issued = lookup_dates(items["invoice_id"], invoices["issued_on"])
    opened_on = lookup_dates(items["customer_id"], opened)
    platform = latest_status_at(
        ledger.with_tables(invoice_statuses=_rows_of(ledger.invoice_statuses, items["invoice_id"])),
        items["invoice_id"],
        as_of,
    )
    return pd.DataFrame(
        {
            "invoice_id": items["invoice_id"],
            "customer_id": items["customer_id"],
            "due_on": pd.to_datetime(items["due_on"]).dt.date,
            "open_amount": items["open_amount"],
            "grade": items["grade"],
            "disputed": items["invoice_id"].map(disputed).fillna(False).astype(bool)
            | raised
            | whole,
            "promise_to_pay_until": lookup_dates(
                items["invoice_id"], history["promise_to_pay_until"]
            ),
            "in_proceeding": items["customer_id"].isin(opened.index),
            "proceeding_published_on": opened_on,
            "proceeding_opened_on": opened_on,
            "last_step_done": items["invoice_id"]
            .map(history["last_step_done"])
            .fillna(0)
            .astype("int64"),
            "key_account": items["customer_id"].isin(key_accounts(ledger, as_of)),
            "issued_on": issued,
            "public_buyer": public,
            "last_sent_on": lookup_dates(items["invoice_id"], history["last_sent_on"]),
            "dispute_raised_on": lookup_dates(items["invoice_id"], raised_on),
            "dispute_note": dispute_notes(found, items["invoice_id"]).where(whole, ""),
            "platform_status": platform["status"],
            "platform_status_on": platform["status_on"],
        }
    )


def whole_ids(found: pd.DataFrame, items: pd.DataFrame, whole) -> pd.Index:  # type: ignore[no-untyped-def]
    """Invoice ids of ``found`` whose whole open amount is disputed."""
    return found.index.intersection(pd.Index(items["invoice_id"][whole]))


def _partial_disputes(found: pd.DataFrame, items: pd.DataFrame):  # type: ignore[no-untyped-def]
    """Per item: the disputed amount and, for a partial dispute, the reason part saying the
    rest is still chased (``found``: ``open_disputes``)."""
    whole, amount = disputed_amounts(found, items["invoice_id"], items["open_amount"])
    notes = dispute_notes(found, items["invoice_id"])
    opened = lookup_dates(items["invoice_id"], found["opened_on"])
    partial = (amount > 0) & ~whole
    text = [
        f"{a:.2f} of {o:.2f} disputed since {d}: dunning of the rest ({o - a:.2f}) continues; {n}"
        if p
        else ""
        for a, o, d, n, p in zip(amount, items["open_amount"], opened, notes, partial, strict=True)
    ]
    return amount, pd.Series(text, index=items.index, dtype=object)


def per_country(countries: pd.Series, rule: Callable[[object], Any]) -> list[Any]:
    """``[rule(c) for c in countries]``, calling ``rule`` once per distinct country (a missing
    country is passed as it is, None or NaN, row by row: a note may print it)."""
    codes, uniques = pd.factorize(countries)
    decided = [rule(c) for c in uniques]
    return [
        decided[code] if code >= 0 else rule(country)
        for code, country in zip(codes.tolist(), countries, strict=True)
    ]


def _penalties(state: pd.DataFrame, countries: pd.Series, as_of, config) -> pd.DataFrame:
    pre_opening = [
        o is not None and (i is None or i <= o)
        for o, i in zip(state["proceeding_opened_on"], state["issued_on"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "open_amount": state["open_amount"],
            "due_on": pd.to_datetime(state["due_on"]),
            "proceeding_opened_on": pd.to_datetime(
                state["proceeding_opened_on"].where(pre_opening, None)
            ),
            "public_buyer": state["public_buyer"],
            "french_law": per_country(countries, config.creditor.french_law_applies),
        }
    )
    out = late_payment_frame(frame, as_of.date(), config.rates)
    notes = per_country(countries, config.creditor.scope_note)
    stopped = [
        f"interest stopped at the BODACC publication of {o} (L622-28; the opening judgment, "
        "earlier, is not in the ledger)" if pre and due < o else ""
        for o, pre, due in zip(state["proceeding_opened_on"], pre_opening, state["due_on"],
                               strict=True)
    ]  # fmt: skip
    out["penalty_note"] = [
        "; ".join(filter(None, parts))
        for parts in zip(out["penalty_note"], notes, stopped, strict=True)
    ]
    return out


def _why(reasons: list[Reason], lang: str) -> str:
    kept = [
        r
        for r in reasons
        if r.direction == "up"
        and r.feature not in WHY_EXCLUDED_FEATURES
        and not (r.feature == "open_days_past_due_max" and (r.value or 0) <= 0)
    ]
    return "; ".join(r.text(lang) for r in kept)


def decide_rows(
    ledger: Ledger, as_of: pd.Timestamp, items: pd.DataFrame, config: DecisionConfig
) -> pd.DataFrame:
    """Next action, late-payment amounts and flags of scored open invoices, ranked.

    Args:
        ledger: the ledger.
        as_of: the date.
        items: open invoices (``risk.portfolio.open_amounts`` columns) with ``grade``,
            ``probability``, ``expected_at_risk`` and ``model_versions``.
        config: scenario, rates, history mapping and creditor.

    Returns:
        The decided rows in ``rank_worklist`` order, without reason codes.
    """
    as_of = pd.Timestamp(as_of)
    items = items.reset_index(drop=True)
    found = open_disputes(ledger, as_of)
    state = _state(ledger, as_of, items, config, found)
    countries = _customer_column(ledger, items, "country")
    disputed_amount, partial_note = _partial_disputes(found, items)
    disputed_amount = np.where(state["disputed"], items["open_amount"], disputed_amount)
    chased = items["open_amount"] - np.where(state["disputed"], 0.0, disputed_amount)
    actions = next_actions(state, config.scenario, as_of.date())
    penalties = _penalties(state.assign(open_amount=chased), countries, as_of, config)
    owed = chased + penalties["interest"].fillna(0.0) + penalties["indemnity"]
    reasons = [
        "; ".join(filter(None, (r, n)))
        for r, n in zip(actions["reason"], partial_note, strict=True)
    ]
    claim = actions["code"].isin(["declare_claim", "request_relief"])
    out = pd.DataFrame(
        {
            "invoice_id": items["invoice_id"],
            "customer_id": items["customer_id"],
            "customer_name": _customer_column(ledger, items, "name").fillna(""),
            "grade": items["grade"],
            "probability": items["probability"],
            "open_amount": items["open_amount"],
            "expected_at_risk": items["expected_at_risk"],
            EXPECTED_LOSS: (
                items[EXPECTED_LOSS].to_numpy(dtype="float64")
                if EXPECTED_LOSS in items
                else np.full(len(items), np.nan)
            ),
            "due_on": items["due_on"],
            "days_past_due": items["days_past_due"],
            "action": actions["code"],
            "action_en": actions["label_en"],
            "action_fr": actions["label_fr"],
            "action_date": actions["due_date"],
            "channel": actions["channel"],
            "owner": actions["owner"],
            "action_reason": reasons,
            "deadline": actions["deadline"],
            "broken_promise": actions["broken_promise"],
            "interest": penalties["interest"].to_numpy(),
            "indemnity": penalties["indemnity"].to_numpy(),
            "claim_amount": owed.where(claim).to_numpy(),
            "disputed": state["disputed"],
            "disputed_amount": disputed_amount,
            "amount_to_chase": chased.where(~state["disputed"], 0.0).to_numpy(),
            "key_account": state["key_account"],
            "public_buyer": state["public_buyer"],
            "penalty_note": penalties["penalty_note"].to_numpy(),
            "as_of": as_of,
            "model_versions": items["model_versions"],
        }
    )
    for name in PASS_THROUGH:
        if name in items:
            out[name] = items[name].to_numpy()
    return rank_worklist(out)


def decide_top(
    ledger: Ledger,
    as_of: pd.Timestamp,
    items: pd.DataFrame,
    config: DecisionConfig,
    top: int,
    first: int | None = None,
) -> pd.DataFrame:
    """``decide_rows(...).head(top)`` without deciding every open invoice of the portfolio.

    ``rank_worklist`` puts legal deadlines first (tier 1: only invoices of customers under a
    collective proceeding have one), then actions due now on overdue invoices (tier 2) by
    expected amount at risk, then the rest. So the invoices of customers under a proceeding,
    plus the ``first`` invoices of largest expected amount at risk, are decided; when the
    ``top`` first of them are all of tiers 1-2 and every invoice left undecided has a strictly
    smaller amount at risk than the last of those (so none of them can rank before it), they
    are the top rows of the whole set; otherwise twice as many are decided, up to all of them.
    Each row's decision reads only that row and the ledger, so the rows are the same.
    """
    as_of = pd.Timestamp(as_of)
    items = items.reset_index(drop=True)
    at_risk = items["expected_at_risk"].to_numpy(dtype="float64")
    order = np.argsort(-at_risk, kind="stable")  # NaN last
    proceeding = items["customer_id"].isin(proceeding_openings(ledger, as_of).index).to_numpy()
    size = max(first or 4 * top, 1)
    while size < len(items):
        chosen = proceeding.copy()
        chosen[order[:size]] = True
        ranked = decide_rows(ledger, as_of, items[chosen], config)
        head = ranked.head(top)
        tiers = head["priority"].map({v: k for k, v in TIER_LABELS.items()}).to_numpy()
        left = at_risk[~chosen]
        if len(head) == top and (tiers <= 2).all():
            last = head.iloc[-1]
            if tiers[-1] == 1:
                return head
            bound = float(last["expected_at_risk"])
            if np.isfinite(bound) and not (left >= bound).any():  # NaN never ranks before it
                return head
        size *= 2
    return decide_rows(ledger, as_of, items, config).head(top)


def add_french_reasons(rows: pd.DataFrame) -> pd.DataFrame:
    """``action_reason_fr`` and ``penalty_note_fr`` for the rows kept (translated once each)."""
    out = rows.copy()
    for name in ("action_reason", "penalty_note"):
        texts = out[name].astype("object")
        french = {text: reason_fr(text) for text in pd.unique(texts)}
        out[f"{name}_fr"] = texts.map(french)
    return out


def decide_worklist(
    scorer: Scorer,
    ledger: Ledger,
    as_of: pd.Timestamp,
    items: pd.DataFrame,
    config: DecisionConfig,
    top: int | None = None,
    per_customer: bool = False,
) -> pd.DataFrame:
    """Decide, rank, keep the ``top`` rows and explain them (customer and invoice reasons)."""
    ranked = rank_items(ledger, as_of, items, config, top, per_customer)
    if ranked.empty:
        return ranked
    return _explained(scorer, ledger, pd.Timestamp(as_of), ranked)


def rank_items(
    ledger: Ledger,
    as_of: pd.Timestamp,
    items: pd.DataFrame,
    config: DecisionConfig,
    top: int | None = None,
    per_customer: bool = False,
) -> pd.DataFrame:
    """Decide, rank and keep the ``top`` rows with their French texts, without reasons
    (``decide_worklist`` explains them; the service attaches its cached reasons instead)."""
    as_of = pd.Timestamp(as_of)
    if items.empty:
        return items.assign(rank=pd.Series(dtype="int64"))
    if top and not per_customer:
        ranked = decide_top(ledger, as_of, items, config, top)
    else:
        ranked = top_rows(decide_rows(ledger, as_of, items, config), top, per_customer)
    return add_french_reasons(ranked.reset_index(drop=True))


def explained_ledger(ledger: Ledger, customer_ids: list[str]) -> Ledger:
    """The rows the kept rows' reason codes read: their customers and the other members of
    those customers' groups (``Scorer.score_customers`` consolidates limits per group), cut
    from the ledger once for both levels. Features read only a customer's own rows, so both
    levels score the same on it as on the whole ledger, without each level hashing every id
    of the whole ledger again."""
    customers = ledger.customers
    wanted = set(customer_ids)
    if "group_id" in customers:
        groups = customers.loc[customers["customer_id"].isin(wanted), "group_id"].dropna()
        wanted |= set(customers.loc[customers["group_id"].isin(groups), "customer_id"])
    return subset_ledger(ledger, sorted(wanted))


def _explained(scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, rows: pd.DataFrame):
    customer_ids = sorted(set(rows["customer_id"]))
    scope = explained_ledger(ledger, customer_ids)
    invoices = scorer.score_invoices(
        scope, as_of, invoice_ids=list(rows["invoice_id"]), explain=True
    ).set_index("invoice_id")
    customers = scorer.score_customers(
        scope, as_of, customer_ids=customer_ids, explain=True
    ).set_index("customer_id")
    return attach_reasons(rows, invoices, customers)


def attach_reasons(
    rows: pd.DataFrame, invoices: pd.DataFrame, customers: pd.DataFrame
) -> pd.DataFrame:
    """Decided rows with the reason codes of their invoice and customer, and the ``why``.

    Args:
        rows: decided rows (``invoice_id``, ``customer_id``); changed in place and returned.
        invoices: ``score_invoices(..., explain=True)`` rows indexed by ``invoice_id``.
        customers: ``score_customers(..., explain=True)`` rows indexed by ``customer_id``.
    """
    for lang in ("en", "fr"):
        rows[f"invoice_reasons_{lang}"] = rows["invoice_id"].map(invoices[f"reasons_{lang}"])
        rows[f"customer_reasons_{lang}"] = rows["customer_id"].map(customers[f"reasons_{lang}"])
        why = {c: _why(r, lang) for c, r in customers["reasons"].items()}
        rows[f"why_{lang}"] = rows["customer_id"].map(why).fillna("")
    return rows


def scored_items(scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    """Open invoices scored at ``as_of`` with their customer's grade and NAF section."""
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
    return items


def filter_items(items: pd.DataFrame, filters: WorklistFilters) -> pd.DataFrame:
    """The scored items (``scored_items`` columns) that ``filters`` let into the worklist."""
    keep = items["open_amount"] >= filters.min_amount
    if filters.grades:
        keep &= items["grade"].isin(filters.grades)
    if filters.sectors:
        keep &= items["naf_section"].isin(filters.sectors)
    return items[keep]


def build_worklist(
    scorer: Scorer,
    ledger: Ledger,
    as_of: pd.Timestamp,
    filters: WorklistFilters | None = None,
    config: DecisionConfig | None = None,
) -> pd.DataFrame:
    """The ranked worklist at ``as_of`` (see the module docstring and ``rank_worklist``)."""
    filters = filters or WorklistFilters()
    as_of = pd.Timestamp(as_of)
    return decide_worklist(
        scorer,
        ledger,
        as_of,
        filter_items(scored_items(scorer, ledger, as_of), filters),
        config or DecisionConfig(),
        top=filters.top,
        per_customer=filters.per_customer,
    )
