"""The generator's truth for open invoices: P(late | still open at t) from the latent state,
checked against the generating process simulated as written (``risk.synth.behaviour``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.synth import SampleConfig, generate_portfolio
from risk.synth.behaviour import (
    EARLY_SCALE_DAYS,
    LATE_SHAPE,
    late_probability,
    late_probability_open,
)
from risk.synth.open_truth import OPEN_TRUTH_COLUMNS, has_open_truth, open_late_truth

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
