"""The generator's truth for open invoices: P(late | still open at t) from the latent state,
checked against the generating process simulated as written (``risk.synth.behaviour``)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.synth import SampleConfig, generate_portfolio
from risk.synth.behaviour import (
    DISPUTE_SHIFT,
    EARLY_SCALE_DAYS,
    GAMMA_DISTRESS,
    GAMMA_LATE,
    LATE_SHAPE,
    late_probability,
    late_probability_open,
)
from risk.synth.export import write_truth
from risk.synth.open_truth import (
    OPEN_TRUTH_COLUMNS,
    fair_open_late_truth,
    has_fair_truth,
    has_open_truth,
    open_late_truth,
    read_open_truth,
    with_customer_latent,
)
from risk.synth.portfolio import Portfolio

L = 30


def simulate(p: float, s: float, issued: float, due: float, opening: float, t: float,
             n: int = 400_000) -> float:  # fmt: skip
    """Share late among the draws still open at ``t`` (the docstring's process)."""
    rng = np.random.default_rng(0)
    late_branch = rng.random(n) < p
    d = np.where(
        late_branch,
        1 + np.floor(rng.gamma(LATE_SHAPE, s / LATE_SHAPE, n)),
        -np.floor(rng.exponential(EARLY_SCALE_DAYS, n)),
    )
    pay = np.maximum(issued, due + d)
    frozen = pay >= opening
    late = frozen | (pay - due > L)
    still_open = frozen | (pay >= t)
    return float(late[still_open].mean())


@pytest.mark.parametrize(
    ("p", "s", "opening", "t"),
    [
        (0.4, 20.0, np.inf, 0.0),  # at issue (t = issue day)
        (0.4, 20.0, np.inf, 25.0),  # 5 days before due
        (0.4, 20.0, np.inf, 45.0),  # 15 days past due: on-time payers are gone
        (0.7, 60.0, np.inf, 61.0),  # 31 days past due: late for certain
        (0.3, 10.0, 40.0, 35.0),  # a proceeding opens 10 days after due
        (0.3, 10.0, 40.0, 50.0),  # ... and has opened: frozen, late for certain
    ],
)
def test_open_truth_matches_the_simulated_process(
    p: float, s: float, opening: float, t: float
) -> None:
    issued, due = 0.0, 30.0
    got = late_probability_open(
        np.array([p]), np.array([s]), np.array([issued]), np.array([due]),
        np.array([opening]), np.array([t]), L,
    )[0]  # fmt: skip
    assert got == pytest.approx(simulate(p, s, issued, due, opening, t), abs=0.005)


def test_at_issue_it_is_the_unconditional_truth() -> None:
    p, s = np.array([0.2, 0.5, 0.9]), np.array([5.0, 30.0, 90.0])
    due, opening = np.full(3, 45.0), np.array([np.inf, 80.0, 50.0])
    unconditional = late_probability(p, s, (np.minimum(opening, 10**6) - due).astype(np.int64), L)
    at_issue = late_probability_open(p, s, np.zeros(3), due, opening, np.zeros(3), L)
    assert at_issue == pytest.approx(unconditional)


def test_generator_writes_the_open_truth_columns() -> None:
    portfolio = generate_portfolio(SampleConfig(customers=60, years=2, seed=3))
    truth = portfolio.truth["invoice_truth"]
    assert has_open_truth(truth) and set(OPEN_TRUTH_COLUMNS) <= set(truth.columns)
    invoices = portfolio.ledger.invoices
    # at the issue date the open truth is the truth file's p_late
    at_issue = open_late_truth(truth, invoices, invoices["invoice_id"], invoices["issued_on"], L)
    assert at_issue == pytest.approx(truth["p_late"].to_numpy(), abs=1e-9)
    # more than L days past due and open: late for certain
    t = invoices["due_on"] + pd.Timedelta(days=L + 1)
    assert (open_late_truth(truth, invoices, invoices["invoice_id"], t, L) == 1.0).all()


# --- the fair ceiling at a snapshot: what is knowable at the date only --------------------


@functools.cache
def _portfolio() -> Portfolio:
    return generate_portfolio(SampleConfig(customers=60, years=2, seed=3))


def _fair_truth(portfolio: Portfolio) -> pd.DataFrame:
    return with_customer_latent(
        portfolio.truth["invoice_truth"], portfolio.truth["customer_latent"]
    )


def test_at_issue_the_fair_ceiling_is_p_late_at_issue() -> None:
    portfolio = _portfolio()
    truth, invoices = _fair_truth(portfolio), portfolio.ledger.invoices
    assert has_fair_truth(truth)
    fair = fair_open_late_truth(truth, invoices, invoices["invoice_id"], invoices["issued_on"], L)
    # the latent is stored as float32: equal to that precision
    assert fair == pytest.approx(truth["p_late_at_issue"].to_numpy(), abs=1e-6)


def test_once_everything_is_known_the_fair_ceiling_is_the_full_truth() -> None:
    portfolio = _portfolio()
    truth, invoices = _fair_truth(portfolio), portfolio.ledger.invoices
    t = invoices["due_on"] + pd.Timedelta(days=5)  # the due month has begun
    dispute_known = (truth["dispute_known_on"] <= t) | (truth["no_dispute_known_on"] <= t)
    no_pending_proceeding = truth["opening_on"].isna()
    # a payment announced by t tells the fair ceiling more than the latent state does
    not_announced = ~(truth["payment_announced_on"] <= t)
    # snapshots are inside the ledger: the monthly latent is written up to its end
    in_ledger = t < truth.attrs["customer_latent"]["month"].max() + pd.offsets.MonthBegin(1)
    chosen = (dispute_known & no_pending_proceeding & not_announced & in_ledger).to_numpy()
    assert chosen.sum() > 100
    ids = invoices["invoice_id"][chosen]
    fair = fair_open_late_truth(truth, invoices, ids, t[chosen], L)
    full = open_late_truth(truth, invoices, ids, t[chosen], L)
    assert fair == pytest.approx(full, abs=1e-5)


def test_an_unknown_dispute_is_averaged_and_updated_by_the_invoice_being_open() -> None:
    """One invoice, latent known, dispute with probability 0.3 not yet known: the fair ceiling
    at 15 days past due is the late share among simulated draws still open then."""
    portfolio = _portfolio()
    truth, invoices = _fair_truth(portfolio), portfolio.ledger.invoices
    unknown = truth[["opening_on", "dispute_known_on", "payment_announced_on"]].isna().all(axis=1)
    row = truth.index[unknown][0]
    one = truth.loc[[row]].copy()
    one["dispute_probability"] = 0.3
    one["no_dispute_known_on"] = pd.NaT
    one.attrs = truth.attrs
    invoice = invoices.loc[invoices["invoice_id"] == one["invoice_id"].iloc[0]]
    t = invoice["due_on"].iloc[0] + pd.Timedelta(days=15)
    got = fair_open_late_truth(one, invoice, invoice["invoice_id"], t, L)[0]
    # the simulation: the latent of the due month (past at t), the dispute drawn
    z_full = one["latent_lateness"].iloc[0]
    p = one["late_branch_probability"].iloc[0]
    a = np.log(p / (1 - p)) - GAMMA_LATE * z_full
    log_s0 = np.log(one["late_scale_days"].iloc[0]) - GAMMA_DISTRESS * z_full
    month = invoice["due_on"].iloc[0].to_period("M").to_timestamp()
    latent = truth.attrs["customer_latent"]
    z = (
        latent.loc[
            (latent["customer_id"] == invoice["customer_id"].iloc[0]) & (latent["month"] == month),
            "latent",
        ].iloc[0]
        + one["latent_known_shift"].iloc[0]
    )
    rng = np.random.default_rng(1)
    n = 400_000
    zd = z + np.where(rng.random(n) < 0.3, DISPUTE_SHIFT, 0.0)
    branch = rng.random(n) < 1 / (1 + np.exp(-(a + GAMMA_LATE * zd)))
    d = np.where(
        branch,
        1
        + np.floor(
            rng.gamma(LATE_SHAPE, 1.0 / LATE_SHAPE, n) * np.exp(log_s0 + GAMMA_DISTRESS * zd)
        ),
        -np.floor(rng.exponential(EARLY_SCALE_DAYS, n)),
    )
    still_open = d >= 15
    assert got == pytest.approx(float((d[still_open] > L).mean()), abs=0.005)


def test_an_announced_payment_bounds_the_payment_day() -> None:
    """A "payment_transmitted" status dated by t: paid within 4 days of it, so late for certain
    when that is past the threshold and on time when it is before."""
    portfolio = _portfolio()
    truth, invoices = _fair_truth(portfolio), portfolio.ledger.invoices
    announced = truth["payment_announced_on"].notna().to_numpy()
    assert announced.sum() > 50
    ids = invoices["invoice_id"][announced]
    due = invoices["due_on"][announced]
    x = truth["payment_announced_on"][announced]
    fair = fair_open_late_truth(truth, invoices, ids, x, L)
    # with 4 days at most to the payment, the outcome is known unless the window straddles
    # due + L + 1
    late_for_sure = (x >= due + pd.Timedelta(days=L + 1)).to_numpy()
    on_time_for_sure = (x + pd.Timedelta(days=4) < due + pd.Timedelta(days=L + 1)).to_numpy()
    assert (fair[late_for_sure] == 1.0).all()
    assert (fair[on_time_for_sure] == 0.0).all()


def _after(rng: np.random.Generator, t: pd.Timestamp, n: int) -> pd.Series:
    """Random dates after ``t`` (a third of them missing)."""
    days = pd.to_timedelta(rng.integers(1, 400, n), unit="D")
    return pd.Series(t + days).where(rng.random(n) > 1 / 3)


def _change_after(truth: pd.DataFrame, t: pd.Timestamp, seed: int) -> pd.DataFrame:
    """``truth`` with every fact dated after ``t`` drawn again at random: the customers' latent
    of later months, each invoice's full-truth latent (the due month's drift, the dispute) with
    its late-branch probability and scale, proceedings opening after ``t`` and dispute news
    after ``t``."""
    rng = np.random.default_rng(seed)
    out = truth.copy()
    latent = truth.attrs["customer_latent"].copy()
    later = (latent["month"] > t).to_numpy()
    latent.loc[later, "latent"] = rng.normal(0.0, 2.0, later.sum())
    z = out["latent_lateness"].to_numpy()
    p = out["late_branch_probability"].to_numpy()
    a = np.log(p / (1 - p)) - GAMMA_LATE * z
    log_s0 = np.log(out["late_scale_days"].to_numpy()) - GAMMA_DISTRESS * z
    new_z = z + rng.normal(0.0, 1.5, len(z))
    out["latent_lateness"] = new_z
    out["late_branch_probability"] = 1 / (1 + np.exp(-(a + GAMMA_LATE * new_z)))
    out["late_scale_days"] = np.exp(log_s0 + GAMMA_DISTRESS * new_z)
    for name in ("opening_on", "dispute_known_on", "no_dispute_known_on", "payment_announced_on"):
        future = ~(out[name] <= t)
        out[name] = out[name].where(~future, _after(rng, t, len(out)))
    out.attrs = {"customer_latent": latent}
    return out


@settings(max_examples=25, deadline=None)
@given(
    day=st.integers(min_value=0, max_value=2 * 365 - 1),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_nothing_after_the_snapshot_changes_the_fair_ceiling(day: int, seed: int) -> None:
    portfolio = _portfolio()
    truth, invoices = _fair_truth(portfolio), portfolio.ledger.invoices
    t = pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)
    open_at_t = (invoices["issued_on"] <= t) & ~(invoices["paid_on"] < t)
    ids = invoices.loc[open_at_t, "invoice_id"]
    before = fair_open_late_truth(truth, invoices, ids, t, L)
    after = fair_open_late_truth(_change_after(truth, t, seed), invoices, ids, t, L)
    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-12)


def test_the_latent_of_the_snapshot_month_does_change_it() -> None:
    """The property above has power: what is known at ``t`` (the latent of its month) moves the
    ceiling of the invoices not yet due."""
    portfolio = _portfolio()
    truth, invoices = _fair_truth(portfolio), portfolio.ledger.invoices
    t = pd.Timestamp("2024-06-15")
    announced = (truth["payment_announced_on"] <= t).to_numpy()  # paid within days: known
    chosen = (invoices["issued_on"] <= t) & (invoices["due_on"] > t) & ~announced
    ids = invoices.loc[chosen, "invoice_id"]
    latent = truth.attrs["customer_latent"].copy()
    latent.loc[latent["month"] == pd.Timestamp("2024-06-01"), "latent"] += 1.0
    moved = with_customer_latent(truth, latent)
    before = fair_open_late_truth(truth, invoices, ids, t, L)
    after = fair_open_late_truth(moved, invoices, ids, t, L)
    assert len(ids) > 0 and (after > before).all()


def test_the_fair_ceiling_round_trips_through_the_written_truth(tmp_path: Path) -> None:
    portfolio = _portfolio()
    invoices = portfolio.ledger.invoices
    t = pd.Timestamp("2024-09-30")
    ids = invoices.loc[(invoices["issued_on"] <= t) & ~(invoices["paid_on"] < t), "invoice_id"]
    expected = fair_open_late_truth(_fair_truth(portfolio), invoices, ids, t, L)
    for fmt in ("csv", "parquet"):
        write_truth(portfolio.truth, tmp_path / fmt / "truth", fmt=fmt)  # type: ignore[arg-type]
        read = read_open_truth(tmp_path / fmt)
        assert read is not None and has_fair_truth(read)
        got = fair_open_late_truth(read, invoices, ids, t, L)
        assert got == pytest.approx(expected, abs=1e-5)
