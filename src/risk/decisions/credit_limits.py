"""The credit-limit rule chain: one suggestion per customer, with its rule trail (EN and FR).

The order of the rules and the policy fields are described in :mod:`risk.decisions.credit`.
Invariants (property-tested): a better grade (a lower PD) never lowers the suggestion, more
sales never lower it, an active liquidation or receivership gives 0, a group's expected loss
stays within the group budget, and a suggestion below the exposure always says "reduce" and by
how much.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.decisions.credit import SEGMENT_NAMES_FR, CreditPolicy, rounding_steps
from risk.numbers_fr import fr

#: Columns :func:`suggest_limits` returns.
LIMIT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "suggested_limit",
    "current_limit",
    "insured_limit",
    "exposure",
    "headroom",
    "overrun",
    "decision",
    "reduce_by",
    "change_vs_current",
    "loss_given_default",
    "rounding_step",
    "group_exposure",
    "rules",
    "rules_fr",
)


class _Trail:
    """The rules that shaped each suggestion, in English and in French."""

    def __init__(self, n: int) -> None:
        self.en: list[list[str]] = [[] for _ in range(n)]
        self.fr: list[list[str]] = [[] for _ in range(n)]

    def add(self, i: int, en: str, fr: str) -> None:
        self.en[i].append(en)
        self.fr[i].append(fr)

    def joined(self) -> tuple[list[str], list[str]]:
        return ["; ".join(r) for r in self.en], ["; ".join(r) for r in self.fr]


def _column(c: pd.DataFrame, name: str, default: object) -> pd.Series:
    return c[name] if name in c else pd.Series(default, index=c.index)


def _lgd(c: pd.DataFrame, policy: CreditPolicy) -> tuple[np.ndarray, np.ndarray]:
    """LGD per customer: the lowest LGD of the segments it belongs to, and that segment.

    Public buyers (``public_buyer``) and guaranteed accounts (``guaranteed``, or a credit-insurer
    limit ``insured_limit`` > 0) lose less than private ones when they fail.
    """
    lgd = policy.loss_given_default
    public = _column(c, "public_buyer", False).fillna(False).astype(bool).to_numpy()
    insured = (_column(c, "insured_limit", np.nan).astype(float).fillna(0.0) > 0).to_numpy()
    guaranteed = insured | _column(c, "guaranteed", False).fillna(False).astype(bool).to_numpy()
    values = np.full(len(c), lgd["private"])
    segment = np.full(len(c), "private", dtype=object)
    for name, member in (("public", public), ("guaranteed", guaranteed)):
        better = member & (lgd[name] < values)
        values = np.where(better, lgd[name], values)
        segment[better] = name
    return values, segment


def suggest_limits(customers: pd.DataFrame, policy: CreditPolicy) -> pd.DataFrame:
    """Suggested limits for prepared customer rows.

    Args:
        customers: one row per customer with ``customer_id, pd`` (12-month default PD),
            ``grade, monthly_sales, terms_days, end_of_month, has_history, proceeding`` (kind or
            missing), ``current_limit, exposure, group_id`` and optionally ``public_buyer``,
            ``insured_limit``, ``guaranteed`` and ``typical_invoice``.
        policy: the credit policy.

    Returns:
        The columns of :data:`LIMIT_COLUMNS`: ``decision`` is ``reduce`` (suggestion below the
        exposure, ``reduce_by`` = exposure - suggestion), else ``raise``, ``keep`` or ``lower``
        against the current limit (``set`` without one); ``rules``/``rules_fr`` the rule trail.
    """
    c = customers.reset_index(drop=True)
    trail = _Trail(len(c))
    limit = _expected_purchases(c, policy, trail)
    lgd, segment = _lgd(c, policy)
    limit = _expected_loss_cap(c, limit, lgd, segment, policy, trail)
    limit = _insurer_cap(c, limit, policy, trail)
    cash = c["proceeding"].isin(policy.cash_in_advance_kinds).to_numpy()
    for i in np.flatnonzero(cash):
        kind = c.at[i, "proceeding"]
        trail.add(
            i,
            f"{kind} in progress: cash in advance, limit 0",
            f"procédure en cours ({kind}) : paiement d'avance, limite 0",
        )
    limit = np.where(cash, 0.0, limit)
    limit, group_exposure = _group_caps(c, limit, lgd, policy, trail)
    typical = _column(c, "typical_invoice", np.nan).astype(float)
    step = rounding_steps(typical, policy)
    limit = np.floor(limit / step + 1e-9) * step
    for i in range(len(c)):
        seen = (
            f"typical invoice {typical.iat[i]:,.0f}"
            if np.isfinite(typical.iat[i])
            else "no invoice"
        )
        vu = (
            f"facture type {fr(typical.iat[i]):,.0f}"
            if np.isfinite(typical.iat[i])
            else "aucune facture"
        )
        trail.add(
            i,
            f"rounded down to a multiple of {step[i]:,.0f} ({seen})",
            f"arrondi à un multiple de {fr(step[i]):,.0f} ({vu})",
        )
    return _compare(c, limit, lgd, step, group_exposure, policy, trail)


def _expected_purchases(c: pd.DataFrame, policy: CreditPolicy, trail: _Trail) -> np.ndarray:
    eom = c["end_of_month"].fillna(False).astype(bool).to_numpy()
    cover_days = c["terms_days"].fillna(30).to_numpy(dtype=float) + policy.cycle_days
    cover_days = cover_days + np.where(eom, 15, 0)
    multiplier = c["grade"].map(policy.grade_multipliers).fillna(0.0).to_numpy(dtype=float)
    sales = c["monthly_sales"].fillna(0.0).to_numpy(dtype=float)
    base = sales * cover_days / 30.0 * multiplier
    starter = ~c["has_history"].fillna(False).astype(bool).to_numpy()
    for i in range(len(c)):
        if starter[i]:
            trail.add(
                i,
                f"starter limit {policy.starter_limit:,.0f} (no payment history)",
                f"limite de départ {fr(policy.starter_limit):,.0f} (pas d'historique de paiement)",
            )
        else:
            trail.add(
                i,
                f"expected purchases {sales[i]:,.0f}/month over {cover_days[i]:.0f} days "
                f"x grade {c.at[i, 'grade']} multiplier {multiplier[i]:g} = {base[i]:,.0f}",
                f"achats attendus {fr(sales[i]):,.0f}/mois sur {fr(cover_days[i]):.0f} jours "
                f"x coefficient de la note {c.at[i, 'grade']} {fr(multiplier[i]):g} = {fr(base[i]):,.0f}",
            )
    return np.where(starter, policy.starter_limit, base)


def _expected_loss_cap(
    c: pd.DataFrame,
    limit: np.ndarray,
    lgd: np.ndarray,
    segment: np.ndarray,
    policy: CreditPolicy,
    trail: _Trail,
) -> np.ndarray:
    pd_default = c["pd"].astype(float).clip(lower=1e-6).to_numpy()
    annual_sales = 12.0 * c["monthly_sales"].fillna(0.0).to_numpy(dtype=float)
    budget = np.maximum(
        policy.expected_loss_budget, policy.expected_loss_share_of_sales * annual_sales
    )
    cap = budget / (pd_default * lgd)
    for i in np.flatnonzero(cap < limit):
        trail.add(
            i,
            f"capped at {cap[i]:,.0f} by the expected-loss budget {budget[i]:,.0f} "
            f"(default PD {pd_default[i]:.2%} x LGD {lgd[i]:.0%}, {segment[i]})",
            f"plafonné à {fr(cap[i]):,.0f} par le budget de perte attendue {fr(budget[i]):,.0f} "
            f"(PD défaut {fr(pd_default[i]):.2%} x LGD {fr(lgd[i]):.0%}, "
            f"{SEGMENT_NAMES_FR[segment[i]]})",
        )
    return np.minimum(limit, cap)


def _insurer_cap(
    c: pd.DataFrame, limit: np.ndarray, policy: CreditPolicy, trail: _Trail
) -> np.ndarray:
    if not policy.insured_limit_caps:
        return limit
    insured = _column(c, "insured_limit", np.nan).astype(float).to_numpy()
    cap = insured + policy.uninsured_allowance
    over = np.isfinite(cap) & (cap < limit)
    for i in np.flatnonzero(over):
        trail.add(
            i,
            f"capped at the credit insurer's limit {insured[i]:,.0f}"
            + (
                f" + {policy.uninsured_allowance:,.0f} uninsured"
                if policy.uninsured_allowance
                else ""
            ),
            f"plafonné à la garantie de l'assureur-crédit {fr(insured[i]):,.0f}"
            + (
                f" + {fr(policy.uninsured_allowance):,.0f} non garantis"
                if policy.uninsured_allowance
                else ""
            ),
        )
    return np.where(over, cap, limit)


def group_budget(monthly_sales: pd.Series, policy: CreditPolicy) -> float:
    """Expected-loss budget of a group: the policy's, or a share of the group's annual sales."""
    annual = 12.0 * float(monthly_sales.fillna(0.0).sum())
    return max(policy.group_expected_loss_budget, policy.expected_loss_share_of_sales * annual)


def _group_caps(
    c: pd.DataFrame, limit: np.ndarray, lgd: np.ndarray, policy: CreditPolicy, trail: _Trail
) -> tuple[np.ndarray, np.ndarray]:
    """Scale the members of a group down so the group stays within its expected-loss budget."""
    limit = limit.copy()
    group_exposure = np.full(len(c), np.nan)
    groups = c["group_id"]
    pd_default = c["pd"].astype(float).to_numpy()
    for group, members in c.groupby(groups[groups.notna()], sort=True).groups.items():
        idx = np.asarray(members)
        group_exposure[idx] = c.loc[idx, "exposure"].fillna(0.0).sum()
        expected_loss = float((pd_default[idx] * lgd[idx] * limit[idx]).sum())
        budget = group_budget(c.loc[idx, "monthly_sales"], policy)
        if expected_loss > budget:
            factor = budget / expected_loss
            limit[idx] *= factor
            for i in idx:
                trail.add(
                    i,
                    f"group {group}: scaled by {factor:.2f} to the group budget {budget:,.0f}",
                    f"groupe {group} : réduit x{fr(factor):.2f} au budget du groupe {fr(budget):,.0f}",
                )
    return limit, group_exposure


def _compare(
    c: pd.DataFrame,
    limit: np.ndarray,
    lgd: np.ndarray,
    step: np.ndarray,
    group_exposure: np.ndarray,
    policy: CreditPolicy,
    trail: _Trail,
) -> pd.DataFrame:
    """Compare the suggestion with the exposure (reduce) and the current limit."""
    exposure = c["exposure"].fillna(0.0).to_numpy(dtype=float)
    current = c["current_limit"].astype(float).to_numpy()
    reduce_by = np.maximum(exposure - limit, 0.0)
    change = limit - current
    decision = np.where(
        np.isnan(current),
        "set",
        np.where(change >= step, "raise", np.where(change <= -step, "lower", "keep")),
    ).astype(object)
    decision[reduce_by > 0] = "reduce"
    for i in np.flatnonzero(reduce_by > 0):
        trail.add(
            i,
            f"reduce: exposure {exposure[i]:,.0f} is above the suggested limit by "
            f"{reduce_by[i]:,.0f}; hold new orders until it is paid down",
            f"réduire : l'encours {fr(exposure[i]):,.0f} dépasse la limite proposée de "
            f"{fr(reduce_by[i]):,.0f} ; suspendre les livraisons jusqu'au paiement",
        )
    rules_en, rules_fr = trail.joined()
    return pd.DataFrame(
        {
            "customer_id": c["customer_id"],
            "suggested_limit": limit,
            "current_limit": current,
            "insured_limit": _column(c, "insured_limit", np.nan).astype(float).to_numpy(),
            "exposure": exposure,
            "headroom": np.maximum(limit - exposure, 0.0),
            "overrun": reduce_by,
            "decision": decision,
            "reduce_by": reduce_by,
            "change_vs_current": change,
            "loss_given_default": lgd,
            "rounding_step": step,
            "group_exposure": group_exposure,
            "rules": rules_en,
            "rules_fr": rules_fr,
        },
        columns=list(LIMIT_COLUMNS),
    )
