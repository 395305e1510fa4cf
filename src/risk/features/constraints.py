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
on a small generated portfolio at every test run and by ``benchmarks/bench_constraints.py`` on
the benchmark portfolio), and the reason is written here. Every other feature is left free.

Measured on two generated portfolios (correlation of value and SHAP contribution, invoice /
customer level, 150 rounds; ``risk.model.constraint_evidence``): 400 customers, 3 years, seed 5
(the test, every run) and the benchmark's 5,000 customers, seed 11 (``benchmarks/bench_constraints.py``,
docs/benchmarks.md), on the generator whose very long delays follow the customer's distress
(issue 13). Constrained, agreeing on both: ``reminders_per_invoice_12m`` (+0.89 / +0.86 and
+0.84 / +0.91), ``open_days_past_due_max`` (+0.66 / +0.79 and +0.75 / +0.78), ``dso_days_3m``
(+0.65 / -0.02 inside the dead band of 0.05, and +0.66 / +0.52), ``sector_late_rate`` (+0.88 /
+0.86 and +0.86 / +0.93), ``in_collective_proceeding`` (too rare at 400 customers, +0.91 at the
customer level at 5,000, and the law).

Freed on the benchmark portfolio's evidence (2026-12-01), although they agreed on the small
one: ``days_since_last_late_payment`` (+0.77 / +0.60 against a -1 constraint: given the lateness
averages, a long time since the last late payment does not lower the risk),
``n_invoices_paid_late_60d_12m`` (-0.38 at the invoice level), ``open_amount_91_plus`` (-0.33 at
the invoice level; +0.61 at 1,500 customers: unstable; the law's 90-day past-due criterion, CRR
art. 178(1)(b), is applied by the default label and the decisions, not forced on the model) and
``had_collective_proceeding`` (-0.48 at the invoice level: the companies that came through a
proceeding and are still invoiced pay under their plan). Left free for a reversed sign at one
level at least on the small portfolio: ``share_paid_late_12m`` (-0.43 / -0.39; -0.89 to -0.93 at
5,000), ``open_amount_1_30`` (+0.09 / -0.14), ``dispute_rate_12m`` (-0.65 / -0.61; -0.74 /
-0.65 at 5,000), ``days_late_max_12m`` (-0.08 / +0.64), ``partial_payment_rate_12m`` (-0.34 /
+0.73), ``company_age_years`` (-0.36 / -0.50 for a -1 direction, i.e. older is safer, but left
free as before), ``days_late_trend_3m_vs_12m`` (+0.14 / -0.04). Free although they agree at both
levels (they reversed on the former generator, so the evidence is not stable across data):
``days_late_mean_12m``, ``days_to_pay_mean_12m``, ``share_paid_late_30d_12m``,
``credit_limit_utilisation``, ``open_amount_31_60``, ``open_amount_61_90``,
``days_late_recency_weighted_12m``, ``share_paid_before_due_12m``; legal counts other than the
proceeding itself are too rare to give evidence.
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
    shap = "an unconstrained model's SHAP direction agrees at both levels (400 / 5,000 customers)"
    return {
        f"reminders_per_invoice_{w}": Constraint(
            1,
            f"needing reminders to pay is itself late behaviour; {shap} (+0.89 / +0.86; +0.84 / +0.91)",
        ),
        "open_days_past_due_max": Constraint(
            1, f"the oldest overdue invoice at t; {shap} (+0.66 / +0.79; +0.75 / +0.78)"
        ),
        f"dso_days_{d}": Constraint(
            1,
            f"a longer days-sales-outstanding means slower payment; {shap} (+0.65 / -0.02 inside the dead band; +0.66 / +0.52)",
        ),
        "sector_late_rate": Constraint(
            1,
            f"the sector's own late rate, learned on training rows only; {shap} (+0.88 / +0.86; +0.86 / +0.93)",
        ),
        "in_collective_proceeding": Constraint(
            1,
            "an open safeguard, receivership or liquidation freezes the payment of earlier "
            "claims (Code de commerce L622-7, L631-14, L641-3): law first; too rare to measure "
            "on a small portfolio, +0.91 at the customer level on 5,000 customers",
        ),
    }


def constraint_sign(name: str, config: FeatureConfig | None = None) -> int:
    """The monotone-constraint sign of feature ``name`` (0 when it is left free)."""
    found = constraints(config).get(name)
    return found.sign if found is not None else 0
