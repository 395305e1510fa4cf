"""Monotone constraints from evidence: which features the models are forced to be monotone in.

A feature's ``direction`` in the registry says how it is *expected* to move the risk on its
own. A monotone constraint is stronger: it forbids the model to learn the other direction even
*given every other feature*. Three things may reverse a feature's partial direction although
its own direction is right: a collinear feature takes the effect (mean lateness next to the
share of late invoices), the feature explains past lateness away (an invoice paid late because
it was disputed says less about the next one), or the label counts volume (a customer with
many invoices has both more past lateness records and more chances of a late one ahead).

So a feature is constrained only when the direction of an **unconstrained** model agrees with
the constraint at both levels: the correlation between the feature's value and its SHAP
contribution has the constraint's sign (checked by ``tests/features/test_constraints_evidence.py``
on a generated portfolio), and the reason is written here. Every other feature is left free.

Measured (400-customer, 3-year generated portfolio, 150 rounds, invoice / customer level,
correlation of value and SHAP contribution): the constrained features range from +0.17 to +0.93
in the constrained direction; left free for a reversed sign at one level at least:
``dispute_rate_12m`` (-0.31 / -0.03; -0.73 on the 5,000-customer audit portfolio),
``days_late_max_12m`` (-0.56 / +0.40), ``n_director_changes_12m`` (-0.33 on the audit portfolio),
``days_late_mean_12m`` (+0.67 / -0.20), ``days_to_pay_mean_12m`` (+0.73 / -0.40),
``share_paid_late_30d_12m`` (+0.11 / -0.63), ``share_paid_before_due_12m`` (+0.11 / +0.51 for a
-1 direction), ``partial_payment_rate_12m`` (-0.70 / -0.41), ``credit_limit_utilisation``
(+0.28 / -0.79), ``open_amount_31_60`` and ``open_amount_61_90`` (reversed at the customer
level), ``days_late_recency_weighted_12m`` (-0.12 / -0.18), ``company_age_years`` (-0.07 /
+0.05), ``days_late_trend_3m_vs_12m`` (+0.44 / -0.39 once the customer label measured behaviour
and the exponentially weighted lateness joined the features; it was +0.44 / +0.20 before, issue
19); legal counts other than the proceeding itself are too rare to give evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from risk.features.config import FeatureConfig, window_label


@dataclass(frozen=True)
class Constraint:
    """A monotone constraint and why it holds.

    Attributes:
        sign: +1 the model may only raise the risk with the feature, -1 only lower it.
        evidence: why, in one sentence (shown in docs/features.md).
    """

    sign: int
    evidence: str


def constraints(config: FeatureConfig | None = None) -> dict[str, Constraint]:
    """The constrained features of ``config`` (names carry the configured windows).

    Examples:
        >>> table = constraints()
        >>> table["share_paid_late_12m"].sign, "dispute_rate_12m" in table
        (1, False)
    """
    config = config or FeatureConfig()
    w = window_label(config.history_window_days)
    d = window_label(config.dso_window_days)
    shap = "an unconstrained model's SHAP direction agrees at both levels"
    return {
        f"share_paid_late_{w}": Constraint(
            1, f"more invoices paid late predicts more lateness; {shap} (+0.82 / +0.80)"
        ),
        f"n_invoices_paid_late_60d_{w}": Constraint(
            1, f"severe past lateness repeats; {shap} (+0.66 / +0.59)"
        ),
        "days_since_last_late_payment": Constraint(
            -1,
            f"the longer since the last late payment, the lower the risk; {shap} (-0.47 / -0.61)",
        ),
        f"reminders_per_invoice_{w}": Constraint(
            1, f"needing reminders to pay is itself late behaviour; {shap} (+0.81 / +0.31)"
        ),
        "open_amount_1_30": Constraint(
            1, f"an overdue balance already open at t; {shap} (+0.49 / +0.39)"
        ),
        "open_amount_91_plus": Constraint(
            1,
            f"a balance more than 90 days past due is a default-like state; {shap} (+0.82 / +0.37)",
        ),
        "open_days_past_due_max": Constraint(
            1, f"the oldest overdue invoice at t; {shap} (+0.85 / +0.47)"
        ),
        f"dso_days_{d}": Constraint(
            1, f"a longer days-sales-outstanding means slower payment; {shap} (+0.61 / +0.17)"
        ),
        "sector_late_rate": Constraint(
            1, f"the sector's own late rate, learned on training rows only; {shap} (+0.93 / +0.89)"
        ),
        "in_collective_proceeding": Constraint(
            1,
            "an open safeguard, receivership or liquidation freezes the payment of earlier "
            "claims (Code de commerce L622-7, L631-14, L641-3): law, not evidence (too rare to "
            "measure on a small portfolio)",
        ),
        "had_collective_proceeding": Constraint(
            1,
            "a company that went through a collective proceeding remains a weaker debtor (its "
            "plan lasts up to 10 years, L626-12): law and practice, too rare to measure here",
        ),
    }


def constraint_sign(name: str, config: FeatureConfig | None = None) -> int:
    """The monotone-constraint sign of feature ``name`` (0 when it is left free)."""
    found = constraints(config).get(name)
    return found.sign if found is not None else 0
