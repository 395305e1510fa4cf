"""The issue's findings on the committed sample as of 2025-12-31, decided without a model: each
open invoice gets grade E and P(late) = 0.5 as input (the decisions under test do not depend on
the model's numbers), the rest is the real ledger."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import yaml

from risk.contracts import PUBLIC_FORMS
from risk.decisions.penalties import late_payment_amounts
from risk.decisions.ranking import customer_actions, priority_tier
from risk.decisions.rates import rate_table_from_mapping
from risk.decisions.worklist import (
    DecisionConfig,
    add_french_reasons,
    decide_rows,
    proceeding_openings,
)
from risk.io import load_ledger
from risk.portfolio import open_amounts

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
AS_OF = pd.Timestamp("2025-12-31")


@pytest.fixture(scope="module")
def ledger():
    return load_ledger(SAMPLE)


def _items(ledger, as_of: pd.Timestamp) -> pd.DataFrame:
    items = open_amounts(ledger, as_of)
    return items.assign(
        grade="E",
        probability=0.5,
        expected_at_risk=0.5 * items["open_amount"],
        model_versions="none",
    )


@pytest.fixture(scope="module")
def decided(ledger) -> pd.DataFrame:
    return decide_rows(ledger, AS_OF, _items(ledger, AS_OF), DecisionConfig()).set_index(
        "invoice_id", drop=False
    )


def test_proceedings_interest_stops_and_post_opening_claims_are_not_declared(ledger, decided):
    claims = decided[
        decided["action"].isin(["declare_claim", "request_relief", "claim_foreclosed"])
    ]
    # the issue: 29,713 printed where at most about 4,577 is owed (stop at the publication)
    assert 0 < claims["interest"].sum() <= 4577.01
    opened = proceeding_openings(ledger, AS_OF)
    french = claims[~claims["penalty_note"].str.contains("not applied")]
    assert len(french) > 0
    for row in french.itertuples():
        stop = opened[row.customer_id].date()
        expected = late_payment_amounts(row.open_amount, row.due_on.date(), AS_OF.date(),
                                        DecisionConfig().rates, proceeding_opened_on=stop)  # fmt: skip
        assert row.interest == expected.interest
    c70 = decided[decided["customer_id"] == "C000070"]
    post = c70[c70["action"] == "post_opening_claim"]
    # the 4 invoices issued after the 2025-07-28 publication (20,095 gross)
    assert set(post.index) == {"INV00017042", "INV00016598", "INV00016900", "INV00016734"}
    # the relevé de forclusion is advised only within 6 months of the publication
    relief = decided[decided["action"] == "request_relief"]
    published = relief["customer_id"].map(opened)
    assert (published + pd.DateOffset(months=6) >= AS_OF).all()


def _history(ledger) -> pd.DataFrame:
    """Channels of the reminders sent before the as-of date, one row per reminder."""
    reminders = ledger.reminders
    return reminders[reminders["sent_on"] < AS_OF][["invoice_id", "channel"]]


def test_history_read_by_what_was_done_and_required_steps_not_skipped(ledger, decided):
    # the issue: INV00013684 had its registered letter and was proposed a second formal notice.
    # Every open invoice whose formal notice (registered letter) was sent: never a second one,
    # never back to an e-mail
    history = _history(ledger)
    noticed = set(history.loc[history["channel"] == "registered_letter", "invoice_id"])
    noticed &= set(decided.index)
    assert len(noticed) > 0
    actions = decided.loc[sorted(noticed), "action"]
    assert not actions.isin(["formal_notice", "email_reminder"]).any()
    # the issue: INV00015760 (a key account) jumped from an e-mail to a formal notice. A key
    # account's open invoice reminded in writing only (no phone call yet) is never proposed a
    # later step than the salesperson's phone call
    channels = history.groupby("invoice_id")["channel"].agg(set)
    written = channels[channels.map(lambda c: bool(c) and c <= {"email", "sms", "letter"})]
    keys = decided[decided["key_account"] & decided.index.isin(written.index)]
    later = ["letter_with_penalties", "formal_notice", "collection_agency", "payment_order"]
    assert len(keys) > 0 and not keys["action"].isin(later).any()
    called = keys[keys["action"] == "phone_call"]
    assert len(called) > 0 and (called["owner"] == "salesperson").all()


def test_credit_notes_are_netted(decided):
    # INV00016021: 3,137.45 with a credit note of 977.96 -> 2,159.49 chased
    assert decided.loc["INV00016021", "open_amount"] == pytest.approx(2159.49)


def test_broken_promises_are_flagged(ledger, decided):
    flagged = decided[decided["broken_promise"]]
    assert len(flagged) > 0
    reminders = ledger.reminders
    promised = reminders[reminders["sent_on"] < AS_OF].groupby("invoice_id")["promised_on"].max()
    assert (promised.reindex(flagged.index) < AS_OF).all()


def test_public_buyers_get_their_own_track_rate_and_no_private_steps(ledger, decided):
    forms = ledger.customers.set_index("customer_id")["legal_form"]
    public = decided[decided["customer_id"].map(forms).isin(PUBLIC_FORMS)]
    assert len(public) > 0 and public["public_buyer"].all()
    assert (
        not public["action"]
        .isin(["collection_agency", "payment_order", "formal_notice", "letter_with_penalties"])
        .any()
    )
    late = public[(public["days_past_due"] > 0) & public["penalty_note"].eq("")]
    for row in late.itertuples():
        expected = late_payment_amounts(row.open_amount, row.due_on.date(), AS_OF.date(),
                                        DecisionConfig().rates, public_buyer=True)  # fmt: skip
        assert row.interest == expected.interest


def test_other_countries_get_no_french_penalty(ledger, decided):
    countries = ledger.customers.set_index("customer_id")["country"]
    foreign = decided[decided["customer_id"].map(countries).fillna("FR") != "FR"]
    late = foreign[foreign["days_past_due"] > 0]
    assert len(late) > 0
    assert (late["interest"] == 0).all() and (late["indemnity"] == 0).all()
    assert late["penalty_note"].str.contains("French late-payment rules not applied").all()


def test_a_missing_rate_affects_only_the_rows_that_need_it(ledger):
    # the issue: `--as-of 2026-01-15` with a table ending 2025-12-31 blanked every row
    text = resources.files("risk.config").joinpath("rates.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    data["valid_until"] = date(2025, 12, 31)
    data["legal_interest_rate_professionals"] = [
        r for r in data["legal_interest_rate_professionals"] if r["year"] < 2026
    ]
    config = replace(DecisionConfig(), rates=rate_table_from_mapping(data, "short.yaml"))
    as_of = pd.Timestamp("2026-01-15")
    rows = decide_rows(ledger, as_of, _items(ledger, as_of), config)
    late = rows[rows["days_past_due"] > 0]
    missing = late["interest"].isna()
    assert missing.any() and (~missing).any()  # only the rows that need a 2026 rate
    assert late.loc[missing, "penalty_note"].str.contains("2026 H1").all()
    assert late["indemnity"].notna().all()


def test_ranking_legal_deadlines_first_then_due_now_by_expected_loss(decided):
    ranked = decided.sort_values("rank")
    tiers = priority_tier(ranked)
    assert list(tiers) == sorted(tiers)
    due_now = ranked[tiers == 2]
    assert due_now["expected_at_risk"].is_monotonic_decreasing
    legal = ranked[tiers == 1]
    assert legal["deadline"].is_monotonic_increasing and (legal["deadline"] >= AS_OF).all()
    courtesy = ranked[tiers == 3]
    assert (courtesy["days_past_due"] <= 0).all()
    assert (pd.to_datetime(courtesy["action_date"]) <= AS_OF).all()


def test_one_action_per_customer_totals_reconcile(decided):
    ranked = decided.sort_values("rank").reset_index(drop=True)
    grouped = customer_actions(ranked)
    assert grouped["customer_id"].is_unique and len(grouped) == ranked["customer_id"].nunique()
    assert grouped["total_open"].sum() == pytest.approx(ranked["open_amount"].sum())
    first = ranked.drop_duplicates("customer_id").set_index("customer_id")["action"]
    assert (grouped.set_index("customer_id")["action"] == first).all()
    # every open invoice of a customer is listed on its one row (C000070, under a proceeding,
    # had 20 in the sample; the count follows the ledger)
    per_customer = ranked.groupby("customer_id")["invoice_id"].agg(set)
    rows = grouped.set_index("customer_id")
    assert (rows["n_invoices"] == per_customer.map(len).reindex(rows.index)).all()
    for customer, invoices in per_customer.items():
        assert all(invoice in rows.loc[customer, "invoices"] for invoice in invoices)


def test_french_reasons_and_notes_have_no_english_left(decided):
    decided = add_french_reasons(decided)
    english = re.compile(
        r"\b(the|days|claim|grade|step|promise|interest|escalate|due|paused|not|rules)\b"
    )
    for column in ("action_reason_fr", "penalty_note_fr"):
        texts = decided[column].dropna()
        assert texts.str.len().gt(0).any()
        assert not texts.str.contains(english).any(), texts[texts.str.contains(english)].head()


def test_a_dispute_pauses_only_the_disputed_invoice(decided):
    live = decided[~decided["action"].isin(["declare_claim", "request_relief",
                                            "claim_foreclosed", "post_opening_claim"])]  # fmt: skip
    paused = live[live["action"] == "dispute_resolution"]
    assert len(paused) > 0 and paused["disputed"].all()
    assert (live.loc[~live["disputed"], "action"] != "dispute_resolution").all()
    mixed = live.groupby("customer_id")["disputed"].agg(["any", "all"])
    mixed = mixed[mixed["any"] & ~mixed["all"]].index
    assert len(mixed) > 0  # customers with disputed and undisputed invoices keep being chased
    others = live[live["customer_id"].isin(mixed) & ~live["disputed"]]
    assert (others["action"] != "dispute_resolution").all() and len(others) > 0
