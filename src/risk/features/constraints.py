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
correlation of value and SHAP contribution), on the generator whose very long delays follow the
customer's distress (issue 13, 2026-12-01): the constrained features range from +0.47 to +0.89
in the constrained direction (``dso_days_3m`` -0.02 at the customer level, inside the dead
band of 0.05; ``open_amount_91_plus`` does not vary enough at the customer level to be
measured and rests on the law's past-due criterion). Left free for a reversed sign at one
level at least: ``share_paid_late_12m`` (-0.43 / -0.39: constrained before the generator
change at +0.82 / +0.80; given the exponentially weighted and mean lateness, a customer with
many slightly late invoices is a habit, not distress), ``open_amount_1_30`` (+0.09 / -0.14),
``dispute_rate_12m`` (-0.65 / -0.61), ``days_late_max_12m`` (-0.08 / +0.64),
``partial_payment_rate_12m`` (-0.34 / +0.73), ``company_age_years`` (-0.36 / -0.50 for a -1
direction, i.e. older is safer, but left free as before), ``days_late_trend_3m_vs_12m`` (+0.14 /
-0.04). Free although they now agree at both levels (they reversed on the former generator, so
the evidence is not stable across data): ``days_late_mean_12m`` (+0.64 / +0.84),
``days_to_pay_mean_12m`` (+0.34 / +0.68), ``share_paid_late_30d_12m`` (+0.86 / +0.62),
``credit_limit_utilisation`` (+0.42 / +0.13), ``open_amount_31_60`` (+0.57 / +0.67),
``open_amount_61_90`` (+0.66 / +0.50), ``days_late_recency_weighted_12m`` (+0.77 / +0.77),
``share_paid_before_due_12m`` (+0.34 / +0.48 for a -1 direction: reversed); legal counts other
than the proceeding itself are too rare to give evidence.
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
        >>> table["reminders_per_invoice_12m"].sign, "dispute_rate_12m" in table
        (1, False)
    """
    config = config or FeatureConfig()
    w = window_label(config.history_window_days)
    d = window_label(config.dso_window_days)
    shap = "an unconstrained model's SHAP direction agrees at both levels"
    return {
        f"n_invoices_paid_late_60d_{w}": Constraint(
            1, f"severe past lateness repeats; {shap} (+0.55 / +0.59)"
        ),
        "days_since_last_late_payment": Constraint(
            -1,
            f"the longer since the last late payment, the lower the risk; {shap} (-0.39 / -0.31)",
        ),
        f"reminders_per_invoice_{w}": Constraint(
            1, f"needing reminders to pay is itself late behaviour; {shap} (+0.89 / +0.86)"
        ),
        "open_amount_91_plus": Constraint(
            1,
            "a balance more than 90 days past due is the past-due criterion of default in law "
            "(CRR art. 178(1)(b)); an unconstrained model's SHAP direction agrees at the invoice "
            "level (+0.47), too rare to vary at the customer level",
        ),
        "open_days_past_due_max": Constraint(
            1, f"the oldest overdue invoice at t; {shap} (+0.66 / +0.79)"
        ),
        f"dso_days_{d}": Constraint(
            1,
            f"a longer days-sales-outstanding means slower payment; {shap} (+0.65 / -0.02, inside the dead band)",
        ),
        "sector_late_rate": Constraint(
            1, f"the sector's own late rate, learned on training rows only; {shap} (+0.88 / +0.86)"
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
