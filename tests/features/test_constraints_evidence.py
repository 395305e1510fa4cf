"""Monotone constraints from evidence (issue 19, finding 5).

Each constraint is compared with the direction an *unconstrained* LightGBM learns on a
generated portfolio: the correlation between a feature's value and its SHAP contribution must
have the constraint's sign at both levels. A feature without variation in the portfolio gives
no evidence and must be one whose constraint comes from the law.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from risk.features.constraints import Constraint, constraints
from risk.features.registry import get_spec, monotone_constraints
from risk.model.constraint_evidence import contradicted, shap_directions, unmeasured_without_law
from risk.synth import SampleConfig, generate_portfolio


@pytest.fixture(scope="module")
def portfolio():
    generated = generate_portfolio(SampleConfig(customers=400, years=3, seed=5))
    # the e-invoicing status features (issue 18, unconstrained) take over open_amount_91_plus's
    # splits in this small portfolio; constraints are measured on the ledger most users have
    ledger = generated.ledger.with_tables(invoice_statuses=None)
    return replace(generated, ledger=ledger)


@pytest.mark.parametrize("level", ["invoice", "customer"])
def test_constraint_signs_agree_with_unconstrained_shap_directions(portfolio, level) -> None:
    measured = shap_directions(portfolio.ledger, level)
    table = constraints()
    disagree = contradicted(measured, table)
    assert not disagree, f"{level}: constraints contradicted by the unconstrained model: {disagree}"
    assert not unmeasured_without_law(measured, table)
    # most constraints are checked here: all but those resting on the law
    assert len(measured.keys() & table.keys()) >= len(table) - 3


def test_every_constraint_is_justified_and_matches_the_expected_direction() -> None:
    for name, constraint in constraints().items():
        spec = get_spec(name)
        assert constraint.sign == spec.direction != 0, name
        assert len(constraint.evidence) > 30, name
    assert monotone_constraints(["dispute_rate_12m"]) == [0]


def test_the_check_names_a_reversed_constraint_and_ignores_the_dead_band() -> None:
    table = {
        "a": Constraint(1, "measured"),
        "b": Constraint(-1, "measured"),
        "c": Constraint(1, "measured"),
        "d": Constraint(1, "the law says so"),
    }
    measured = {"a": -0.30, "b": 0.02, "c": 0.5}
    assert contradicted(measured, table) == {"a": -0.3}
    assert unmeasured_without_law({"a": 0.4}, table) == ["b", "c"]


def test_constraints_reversed_on_the_benchmark_portfolio_are_free() -> None:
    # measured with benchmarks/bench_constraints.py on 5,000 customers (docs/benchmarks.md):
    # reversed at one level at least, so no constraint
    reversed_at_5000 = [
        "days_since_last_late_payment",
        "n_invoices_paid_late_60d_12m",
        "open_amount_91_plus",
        "had_collective_proceeding",
    ]
    assert monotone_constraints(reversed_at_5000) == [0, 0, 0, 0]
