"""The batch worklist stage as it was before its profiling pass (issue 17), kept verbatim as the
reference the optimised stage must equal: a sub-ledger built for the decision step, the
reminders' history and the e-invoicing statuses of every invoice of that sub-ledger, and each
explained level scored on its own subset of the whole ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.batch.partition import restrict_to_customers
from risk.contracts import PUBLIC_FORMS
from risk.decisions import history as history_module
from risk.decisions import worklist as w
from risk.decisions.disputes import dispute_notes, disputed_amounts, open_disputes
from risk.decisions.dunning import next_actions
from risk.decisions.ranking import rank_worklist, top_rows
from risk.decisions.worklist import PASS_THROUGH, DecisionConfig
from risk.features.statuses import latest_status_at as _latest_status_at
from risk.ledger import Ledger
from risk.scoring import Scorer


def decision_ledger(  # the former risk.batch.partition.decision_ledger, its one user
    ledger: Ledger, customer_ids: set[str], as_of: pd.Timestamp
) -> Ledger:
    """The rows the worklist's decision step needs: the worklist customers' whole history, plus
    every invoice issued in the 12 months before ``as_of`` (key accounts are the top decile of
    the *whole* portfolio's 12-month sales, so that ranking stays global).

    Every legal event is kept too: ``risk.decisions.worklist`` fails on a ledger without any
    active collective proceeding (an empty, untyped ``published_on`` column), so the decision
    ledger keeps the portfolio's proceedings. Extra rows of other customers never change the
    worklist customers' features, which only read their own rows.
    """
    own = restrict_to_customers(ledger, customer_ids)
    invoices = ledger.invoices
    recent = invoices[
        (invoices["issued_on"] < as_of)
        & (invoices["issued_on"] >= as_of - pd.Timedelta(days=365))
        & ~invoices["customer_id"].isin(customer_ids)
    ]
    merged = pd.concat([own.invoices, recent], ignore_index=True)
    return own.with_tables(
        customers=ledger.customers, invoices=merged, legal_events=ledger.legal_events
    )


def _state(ledger, as_of, items, config, found):  # type: ignore[no-untyped-def]
    invoices = ledger.invoices.set_index("invoice_id")
    public = w._customer_column(ledger, items, "legal_form").isin(PUBLIC_FORMS).to_numpy()
    history = history_module.dunning_history(
        ledger.reminders, as_of, config.scenario, config.history, items["invoice_id"][public]
    )
    opened = w.proceeding_openings(ledger, as_of)
    disputed = invoices["disputed"] if "disputed" in invoices else pd.Series(False, invoices.index)
    raised = history["dispute_raised_on"].reindex(items["invoice_id"]).notna().to_numpy()
    whole, _ = disputed_amounts(found, items["invoice_id"], items["open_amount"])
    raised_on = pd.concat(
        [
            history["dispute_raised_on"].dropna(),
            found["opened_on"][w.whole_ids(found, items, whole)],
        ]
    )
    raised_on = raised_on.groupby(level=0).min() if len(raised_on) else raised_on
    issued = w.lookup_dates(items["invoice_id"], invoices["issued_on"])
    opened_on = w.lookup_dates(items["customer_id"], opened)
    platform = _latest_status_at(ledger, items["invoice_id"], as_of)
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
            "promise_to_pay_until": w.lookup_dates(
                items["invoice_id"], history["promise_to_pay_until"]
            ),
            "in_proceeding": items["customer_id"].isin(opened.index),
            "proceeding_published_on": opened_on,
            "proceeding_opened_on": opened_on,
            "last_step_done": items["invoice_id"]
            .map(history["last_step_done"])
            .fillna(0)
            .astype("int64"),
            "key_account": items["customer_id"].isin(w.key_accounts(ledger, as_of)),
            "issued_on": issued,
            "public_buyer": public,
            "last_sent_on": w.lookup_dates(items["invoice_id"], history["last_sent_on"]),
            "dispute_raised_on": w.lookup_dates(items["invoice_id"], raised_on),
            "dispute_note": dispute_notes(found, items["invoice_id"]).where(whole, ""),
            "platform_status": platform["status"],
            "platform_status_on": platform["status_on"],
        }
    )


def decide_rows(
    ledger: Ledger, as_of: pd.Timestamp, items: pd.DataFrame, config: DecisionConfig
) -> pd.DataFrame:
    """``risk.decisions.worklist.decide_rows`` before the profiling pass."""
    as_of = pd.Timestamp(as_of)
    items = items.reset_index(drop=True)
    found = open_disputes(ledger, as_of)
    state = _state(ledger, as_of, items, config, found)
    countries = w._customer_column(ledger, items, "country")
    disputed_amount, partial_note = w._partial_disputes(found, items)
    disputed_amount = np.where(state["disputed"], items["open_amount"], disputed_amount)
    chased = items["open_amount"] - np.where(state["disputed"], 0.0, disputed_amount)
    actions = next_actions(state, config.scenario, as_of.date())
    penalties = w._penalties(state.assign(open_amount=chased), countries, as_of, config)
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
            "customer_name": w._customer_column(ledger, items, "name").fillna(""),
            "grade": items["grade"],
            "probability": items["probability"],
            "open_amount": items["open_amount"],
            "expected_at_risk": items["expected_at_risk"],
            # the payment-timing model's expected loss (issue 12), added beside this stage's
            # rewrite: the reference carries it the same way so that the frames compare
            w.EXPECTED_LOSS: (
                items[w.EXPECTED_LOSS].to_numpy(dtype="float64")
                if w.EXPECTED_LOSS in items
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


def _explained(scorer: Scorer, ledger: Ledger, as_of: pd.Timestamp, rows: pd.DataFrame):  # type: ignore[no-untyped-def]
    invoices = scorer.score_invoices(
        ledger, as_of, invoice_ids=list(rows["invoice_id"]), explain=True
    ).set_index("invoice_id")
    customers = scorer.score_customers(
        ledger, as_of, customer_ids=sorted(set(rows["customer_id"])), explain=True
    ).set_index("customer_id")
    for lang in ("en", "fr"):
        rows[f"invoice_reasons_{lang}"] = rows["invoice_id"].map(invoices[f"reasons_{lang}"])
        rows[f"customer_reasons_{lang}"] = rows["customer_id"].map(customers[f"reasons_{lang}"])
        why = {c: w._why(r, lang) for c, r in customers["reasons"].items()}
        rows[f"why_{lang}"] = rows["customer_id"].map(why).fillna("")
    return rows


def reference_global_worklist(
    scorer: Scorer,
    ledger: Ledger,
    as_of: pd.Timestamp,
    candidates: pd.DataFrame,
    top: int | None,
) -> pd.DataFrame:
    """``risk.batch.merge.build_global_worklist`` before the profiling pass."""
    config = w.DecisionConfig()
    needed = decision_ledger(ledger, set(candidates["customer_id"]), as_of)
    decided = decide_rows(needed, as_of, candidates, config)
    ranked = top_rows(decided, top, False)
    return _explained(scorer, needed, as_of, w.add_french_reasons(ranked.reset_index(drop=True)))
