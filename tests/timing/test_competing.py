"""Write-offs and collective proceedings are their own outcome ("lost"): they leave the risk
set of payment, neither censored nor paid; P(lost) and the expected loss follow from the model.

Rules (``risk.timing.outcomes``): a written-off invoice (closed with a shortfall over 1 % of its
amount, ``risk.labels.write_off_dates``) is lost on its closing day; an invoice whose customer's
collective proceeding is published on or after its issue date and before its settlement is lost
on the publication day (Code de commerce L622-7: claims born before the opening judgment are not
paid; L622-17: claims born after it are, so a proceeding published before the issue date does
not make the invoice lost).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny import TABLES

from risk import registry
from risk.ledger import Ledger
from risk.timing.forecast import cash_forecast
from risk.timing.hazard import LOST_RATE, exit_counts, outcomes
from risk.timing.outcomes import exit_dates, frozen_at_snapshot, with_known_losses
from risk.timing.predict import (
    lost_by,
    not_paid_by,
    p_lost,
    p_paid_late,
    survival_at,
    timing_columns,
    weekly_payment_probabilities,
)
from risk.timing.score import OpenInvoiceScores, known_outcomes, score_open_invoices
from risk.validation import validate_tables

WEEKS = 26
DAY = pd.Timestamp


def lost_ledger() -> Ledger:
    """The tiny ledger with I2 written off (300 of 500 received) and proceedings: C1 in
    receivership before I1 and I2 were issued and in liquidation on I1's settlement day; C2 in
    liquidation on 2024-02-20 while I3 (issued 02-01) is open."""
    tables = dict(TABLES)
    tables["invoices"] = tables["invoices"].replace(
        "I2,C1,2024-01-15,2024-02-14,500.00,2024-01-29,500.00",
        "I2,C1,2024-01-15,2024-02-14,500.00,2024-01-29,300.00",
    )
    tables["payments"] = tables["payments"].replace(
        "P3,I2,2024-01-29,500.00", "P3,I2,2024-01-29,300.00"
    )
    tables["legal_events"] = """customer_id,published_on,kind,source
C1,2023-12-01,receivership,BODACC
C1,2024-03-10,liquidation,BODACC
C2,2024-02-20,liquidation,BODACC
"""
    raw = {name: pd.read_csv(io.StringIO(text), dtype=str) for name, text in tables.items()}
    result = validate_tables(raw)
    assert result.n_quarantined == 0, result
    return result.ledger


def test_exit_dates_follow_the_rules() -> None:
    out = exit_dates(lost_ledger()).set_index("invoice_id")
    # I1: settled 03-10, the day C1's liquidation is published: paid (not before the settlement)
    assert out.loc["I1", "paid_on"] == DAY("2024-03-10") and pd.isna(out.loc["I1", "lost_on"])
    # I2: closed 01-29 with 200 of 500 missing (> 1 %): written off that day, never paid
    assert pd.isna(out.loc["I2", "paid_on"]) and out.loc["I2", "lost_on"] == DAY("2024-01-29")
    # I3: open when C2's liquidation is published on 02-20
    assert pd.isna(out.loc["I3", "paid_on"]) and out.loc["I3", "lost_on"] == DAY("2024-02-20")
    # C1's receivership of 2023-12-01 predates I1 and I2: it makes neither lost


def test_lost_leaves_the_risk_set_as_its_own_outcome() -> None:
    t = pd.Series([DAY("2024-02-12"), DAY("2024-02-12"), DAY("2024-03-01"), DAY("2024-02-12")])
    paid = pd.Series([pd.NaT, DAY("2024-02-20"), pd.NaT, pd.NaT], dtype="datetime64[ns]")
    lost = pd.Series([DAY("2024-02-20"), pd.NaT, DAY("2024-02-20"), pd.NaT], dtype="datetime64[ns]")
    count, week, is_lost = exit_counts(t, paid, DAY("2024-06-01"), WEEKS, lost)
    # lost on day 8 after t: leaves in week 1 as lost, like the payment on day 8 leaves as paid
    assert list(count[:2]) == [2, 2] and list(week[:2]) == [1, 1]
    assert list(is_lost[:2]) == [True, False]
    # lost before t (a proceeding already published): leaves in the first week
    assert (count[2], week[2], is_lost[2]) == (1, 0, True)
    # still open: censored at the end (15 full weeks), neither paid nor lost
    assert (count[3], week[3], is_lost[3]) == (15, -1, False)
    # a loss dated on or after the censoring day is not known: censored, not lost
    count, week, is_lost = exit_counts(t[:1], paid[:1], DAY("2024-02-20"), WEEKS, lost[:1])
    assert (count[0], week[0], is_lost[0]) == (1, -1, False)


def test_probabilities_with_a_lost_share_by_hand() -> None:
    q = np.full((1, WEEKS), 0.5)  # half the open invoices leave each week...
    pi = np.full((1, WEEKS), 0.2)  # ...a fifth of the leavers lost
    # every invoice leaves at last; a fifth of them lost: 0.2 (geometric tail included)
    assert p_lost(q, pi)[0] == pytest.approx(0.2)
    assert lost_by(q, pi, 7)[0] == pytest.approx(0.5 * 0.2)
    assert lost_by(q, pi, 3.5)[0] == pytest.approx(0.5 * 0.5 * 0.2)  # linear in the week
    assert lost_by(q, pi, 0)[0] == 0.0
    # not paid one week ahead: still open (0.5) or lost during it (0.1)
    assert not_paid_by(q, pi, 7)[0] == pytest.approx(0.6)
    assert p_paid_late(q, np.array([0.0]), 6, pi)[0] == pytest.approx(0.6)
    assert p_paid_late(q, np.array([7.0]), 6, pi)[0] == 1.0
    # paid in week k: leaving that week x paid share
    assert weekly_payment_probabilities(q, 2, pi)[0] == pytest.approx([0.5 * 0.8, 0.25 * 0.8])
    cols = timing_columns(q, DAY("2024-02-12"), np.array([0.0]), np.array([1000.0]), 30, pi)
    assert cols.loc[0, "p_lost"] == pytest.approx(0.2)
    assert cols.loc[0, "expected_loss"] == pytest.approx(200.0)
    assert cols.loc[0, "p_unpaid_13w"] == pytest.approx(0.5**13 + 0.2 * (1 - 0.5**13))
    # without a lost part nothing is lost and the old quantities stay
    assert timing_columns(q, DAY("2024-02-12"), np.array([0.0]), np.array([1000.0]), 30).loc[
        0, "expected_loss"
    ] == pytest.approx(0.0)


def test_forecast_counts_only_the_paid_leavers() -> None:
    scores = pd.DataFrame(
        {
            "invoice_id": ["I1"],
            "customer_id": ["C1"],
            "due_on": [DAY("2024-02-12")],
            "open_amount": [100.0],
            "days_past_due": [0],
        }
    )
    book = OpenInvoiceScores(
        DAY("2024-02-12"),
        pd.DataFrame({"naf_section": ["G"]}),
        np.full((1, WEEKS), 0.5),
        scores,
        np.full((1, WEEKS), 0.2),
    )
    out = cash_forecast(book, weeks=2)
    assert list(out["expected"]) == pytest.approx([100 * 0.5 * 0.8, 100 * 0.25 * 0.8])


@settings(max_examples=60, deadline=None)
@given(
    q=st.lists(st.floats(0.0, 0.99), min_size=WEEKS, max_size=WEEKS),
    pi=st.lists(st.floats(0.0, 1.0), min_size=WEEKS, max_size=WEEKS),
    weeks=st.integers(1, 60),
)
def test_paid_lost_and_open_add_up_to_one(q: list[float], pi: list[float], weeks: int) -> None:
    """After any number of weeks: P(paid by then) + P(lost by then) + P(still open) = 1."""
    qa, pa = np.array([q]), np.array([pi])
    days = 7.0 * weeks
    paid = weekly_payment_probabilities(qa, weeks, pa).sum()
    lost = lost_by(qa, pa, days)[0]
    still_open = survival_at(qa, days)[0]
    assert paid + lost + still_open == pytest.approx(1.0)
    assert 0 <= lost <= p_lost(qa, pa)[0] + 1e-12 <= 1 + 1e-12
    assert not_paid_by(qa, pa, days)[0] == pytest.approx(still_open + lost)


def test_trained_model_has_a_lost_part_and_expected_loss(  # type: ignore[no-untyped-def]
    small_portfolio, timing_store, trained_timing
) -> None:
    model = registry.load_model(timing_store, "timing")
    assert 0 <= model.metadata[LOST_RATE] <= 1 and model.metadata["exits_train"] > 0
    ledger = small_portfolio.ledger
    scored = score_open_invoices(model, ledger, ledger.cutoff)
    s = scored.scores
    assert ((s["p_lost"] >= 0) & (s["p_lost"] <= 1)).all()
    assert s["expected_loss"].to_numpy() == pytest.approx(
        (s["open_amount"] * s["p_lost"]).to_numpy()
    )
    q, lost = outcomes(model, scored.frame)
    assert lost.shape == q.shape
    frozen = frozen_at_snapshot(scored.frame)
    assert np.allclose(scored.q[~frozen], q[~frozen])
    assert all(
        np.allclose(a, b)
        for a, b in zip(known_outcomes(model, scored.frame), (scored.q, scored.lost), strict=True)
    )


def test_assessment_against_the_generator_truth_of_open_invoices(  # type: ignore[no-untyped-def]
    small_portfolio, timing_store, trained_timing
) -> None:
    from risk.timing.assess import FULL_TRUTH_NAME, TRUTH_COLUMN, assess, summary

    model = registry.load_model(timing_store, "timing")
    ledger = small_portfolio.ledger
    dates = [pd.Timestamp(d) for d in model.metadata["windows"]["eval_dates"].split(",")]
    truth = small_portfolio.truth["invoice_truth"]
    found = assess(model, ledger, dates[-1:], ledger.cutoff, truth=truth)
    rows = found.scored
    # open more than L days past due: late for certain, in the truth as in the model
    past = rows["days_past_due"] > 30
    assert past.any() and (rows.loc[past, TRUTH_COLUMN] == 1.0).all()
    assert rows[TRUTH_COLUMN].between(0, 1).all()
    metrics = found.metrics
    assert 0.5 < metrics["test_truth_auc"] <= 1.0
    assert metrics["test_auc_gap_to_truth"] == pytest.approx(
        metrics["test_truth_auc"] - metrics["test_auc"]
    )
    assert FULL_TRUTH_NAME in set(found.buckets["model"])
    assert any("generator's full truth" in line for line in summary(metrics))
    # without the truth, none of it
    assert "test_truth_auc" not in assess(model, ledger, dates[-1:], ledger.cutoff).metrics
    # the fair ceiling only when the truth carries the customers' monthly latent
    assert "test_fair_ceiling_auc" not in metrics


def test_assessment_reports_the_gap_to_the_fair_ceiling(  # type: ignore[no-untyped-def]
    small_portfolio, timing_store, trained_timing
) -> None:
    from risk.synth.open_truth import with_customer_latent
    from risk.timing.assess import FAIR_CEILING_NAME, FAIR_COLUMN, TRUTH_COLUMN, assess, summary

    model = registry.load_model(timing_store, "timing")
    ledger = small_portfolio.ledger
    dates = [pd.Timestamp(d) for d in model.metadata["windows"]["eval_dates"].split(",")]
    truth = with_customer_latent(
        small_portfolio.truth["invoice_truth"], small_portfolio.truth["customer_latent"]
    )
    found = assess(model, ledger, dates[-1:], ledger.cutoff, truth=truth)
    rows, metrics = found.scored, found.metrics
    assert rows[FAIR_COLUMN].between(0, 1).all()
    # past L days overdue the outcome is known at the date: both truths say late for certain
    past = rows["days_past_due"] > 30
    assert (rows.loc[past, FAIR_COLUMN] == 1.0).all()
    assert 0.5 < metrics["test_fair_ceiling_auc"] <= 1.0
    assert metrics["test_auc_gap_to_fair_ceiling"] == pytest.approx(
        metrics["test_fair_ceiling_auc"] - metrics["test_auc"]
    )
    assert FAIR_CEILING_NAME in set(found.buckets["model"])
    assert any("fair ceiling" in line for line in summary(metrics))
    # not yet due: the fair ceiling does not know the due month's latent, the full truth does
    ahead = rows["days_past_due"] < 0
    assert ahead.any() and not np.allclose(
        rows.loc[ahead, FAIR_COLUMN], rows.loc[ahead, TRUTH_COLUMN]
    )


def test_frozen_at_snapshot_follows_the_proceeding_rule() -> None:
    # proceeding published 10 days ago on an invoice issued 20 days ago: frozen (L622-7);
    # published on the issue day: frozen; published before the issue: payable (L622-17); none
    frame = pd.DataFrame(
        {
            "days_since_collective_proceeding": [10.0, 20.0, 30.0, np.nan],
            "days_since_issue": [20.0, 20.0, 20.0, 20.0],
        }
    )
    assert list(frozen_at_snapshot(frame)) == [True, True, False, False]
    assert not frozen_at_snapshot(pd.DataFrame({"days_since_issue": [1.0]})).any()


def test_an_invoice_already_frozen_is_lost_for_certain_and_brings_no_cash() -> None:
    q, lost = np.full((2, WEEKS), 0.9), np.zeros((2, WEEKS))
    q2, lost2 = with_known_losses(q, lost, np.array([True, False]))
    assert q[0, 0] == 0.9 and lost[0, 0] == 0.0  # inputs not modified
    columns = timing_columns(q2, DAY("2024-03-01"), np.array([100.0, 100.0]),
                             np.array([500.0, 500.0]), 30, lost2)  # fmt: skip
    assert columns.loc[0, "p_lost"] == pytest.approx(1.0)
    assert columns.loc[0, "p_unpaid_13w"] == pytest.approx(1.0)
    assert columns.loc[0, "expected_loss"] == pytest.approx(500.0)
    assert columns.loc[0, "expected_at_risk"] == pytest.approx(500.0)
    assert weekly_payment_probabilities(q2[:1], 13, lost2[:1]).sum() == pytest.approx(0.0)
    # the other row is the model's: 10 % paid each week, none lost
    assert columns.loc[1, "p_lost"] == 0.0
    assert columns.loc[1, "p_unpaid_13w"] == pytest.approx(0.9**13)


def test_scoring_applies_the_known_loss_of_a_proceeding(  # type: ignore[no-untyped-def]
    small_portfolio, timing_store, trained_timing
) -> None:
    """An invoice open a week after its customer's proceeding (published since its issue) is
    lost by the rule of ``exit_dates``: P(lost) 1 whatever the hazard says."""
    model = registry.load_model(timing_store, "timing")
    ledger = small_portfolio.ledger
    exits = exit_dates(ledger).set_index("invoice_id")
    settled = ledger.invoices.set_index("invoice_id")["paid_on"]
    lost = exits["lost_on"].dropna()
    as_of = lost + pd.Timedelta(days=7)
    still_open = ~(settled.reindex(lost.index) < as_of)
    assert still_open.any(), "the generated portfolio has no invoice open after its proceeding"
    invoice = str(lost.index[still_open.to_numpy()][0])
    scored = score_open_invoices(model, ledger, as_of[invoice])
    s = scored.scores.set_index("invoice_id")
    assert s.loc[invoice, "p_lost"] == pytest.approx(1.0)
    assert s.loc[invoice, "p_unpaid_13w"] == pytest.approx(1.0)
    assert s.loc[invoice, "expected_loss"] == pytest.approx(s.loc[invoice, "open_amount"])
    # every row the rule marks is exactly an invoice lost before the date
    frozen = frozen_at_snapshot(scored.frame)
    lost_before = np.asarray(s.index.map(exits["lost_on"]) < as_of[invoice])
    assert (frozen == lost_before).all()
