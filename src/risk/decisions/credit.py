"""Credit-limit suggestions from a credit policy file (YAML, validated with clear errors).

For each customer: expected purchases over the payment terms scaled by grade, capped by an
expected-loss budget (PD x LGD x limit), a starter limit without history, zero (cash in
advance) under liquidation or receivership, and a consolidated cap per ``group_id``. Every rule
that shaped a suggestion is listed beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from risk.contracts import COLLECTIVE_PROCEEDING_KINDS
from risk.errors import ConfigError
from risk.ledger import Ledger

GRADES = ("A", "B", "C", "D", "E")


@dataclass(frozen=True)
class CreditPolicy:
    """The credit policy (see ``risk/config/credit_policy.yaml`` for each field's meaning)."""

    sales_window_days: int = 365
    cycle_days: int = 30
    grade_multipliers: dict[str, float] = field(
        default_factory=lambda: {"A": 1.5, "B": 1.2, "C": 1.0, "D": 0.6, "E": 0.3}
    )
    loss_given_default: float = 0.6
    expected_loss_budget: float = 4000.0
    group_expected_loss_budget: float = 12000.0
    starter_limit: float = 3000.0
    cash_in_advance_kinds: tuple[str, ...] = ("liquidation", "receivership")
    rounding: float = 500.0

    def __post_init__(self) -> None:
        positive = (
            "sales_window_days",
            "expected_loss_budget",
            "group_expected_loss_budget",
            "rounding",
        )
        for name in positive:
            if not getattr(self, name) > 0:
                raise ConfigError(f"credit policy: {name} must be > 0, got {getattr(self, name)!r}")
        for name in ("cycle_days", "starter_limit"):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"credit policy: {name} must be >= 0, got {getattr(self, name)!r}"
                )
        if not 0 < self.loss_given_default <= 1:
            raise ConfigError(
                f"credit policy: loss_given_default must be in (0, 1], got {self.loss_given_default!r}"
            )
        if set(self.grade_multipliers) != set(GRADES):
            raise ConfigError(
                f"credit policy: grade_multipliers needs exactly the grades {', '.join(GRADES)}, got {sorted(self.grade_multipliers)}"
            )
        if any(
            not (isinstance(v, int | float) and v >= 0) for v in self.grade_multipliers.values()
        ):
            raise ConfigError("credit policy: grade_multipliers values must be numbers >= 0")
        unknown = set(self.cash_in_advance_kinds) - set(COLLECTIVE_PROCEEDING_KINDS)
        if unknown:
            raise ConfigError(
                f"credit policy: cash_in_advance_kinds {sorted(unknown)} are not collective proceedings ({', '.join(COLLECTIVE_PROCEEDING_KINDS)})"
            )

    @classmethod
    def from_yaml(cls, text: str, source: str = "credit policy") -> CreditPolicy:
        """Parse and validate a policy.

        Raises:
            ConfigError: bad YAML, unknown field, wrong type or a rule broken.
        """
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a mapping of fields, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"{source}: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if "cash_in_advance_kinds" in data:
            data["cash_in_advance_kinds"] = tuple(data["cash_in_advance_kinds"])
        try:
            return cls(**data)
        except (TypeError, ConfigError) as exc:
            raise ConfigError(f"{source}: {str(exc).removeprefix('credit policy: ')}") from exc

    @classmethod
    def load(cls, path: Path | None = None) -> CreditPolicy:
        """The policy file at ``path``, or the packaged default."""
        if path is None:
            text = resources.files("risk.config").joinpath("credit_policy.yaml").read_text("utf-8")
            return cls.from_yaml(text, "default credit policy")
        return cls.from_yaml(path.read_text("utf-8"), str(path))


def active_proceedings(ledger: Ledger, as_of: pd.Timestamp) -> pd.Series:
    """Kind of the collective proceeding open at ``as_of`` per customer (published before it and
    not closed since), indexed by customer_id."""
    events = ledger.legal_events
    if events is None or events.empty:
        return pd.Series(dtype="str")
    known = events[events["published_on"] < as_of].sort_values(
        ["customer_id", "published_on"], kind="stable"
    )
    relevant = known[known["kind"].isin([*COLLECTIVE_PROCEEDING_KINDS, "proceeding_closed"])]
    last = relevant.groupby("customer_id")["kind"].last()
    return last[last != "proceeding_closed"].astype("str")


def monthly_sales(ledger: Ledger, as_of: pd.Timestamp, window_days: int) -> pd.Series:
    """Average invoiced amount per 30 days over the window before ``as_of``, per customer."""
    inv = ledger.invoices
    recent = inv[
        (inv["issued_on"] < as_of) & (inv["issued_on"] >= as_of - pd.Timedelta(days=window_days))
    ]
    return recent.groupby("customer_id")["amount"].sum() * 30.0 / window_days


def _round_down(values: np.ndarray, step: float) -> np.ndarray:
    return np.floor(values / step + 1e-9) * step


def suggest_limits(customers: pd.DataFrame, policy: CreditPolicy) -> pd.DataFrame:
    """Suggested limits for prepared customer rows.

    Args:
        customers: one row per customer with ``customer_id, pd, grade, monthly_sales,
            terms_days, end_of_month, has_history, proceeding (kind or missing), current_limit,
            exposure, group_id``.
        policy: the credit policy.

    Returns:
        ``customer_id, suggested_limit, current_limit, exposure, headroom, overrun,
        group_exposure, rules``.
    """
    c = customers.reset_index(drop=True)
    rules: list[list[str]] = [[] for _ in range(len(c))]
    cover = (
        c["terms_days"].fillna(30)
        + policy.cycle_days
        + np.where(c["end_of_month"].fillna(False), 15, 0)
    ) / 30.0
    multiplier = c["grade"].map(policy.grade_multipliers).fillna(1.0)
    base = (c["monthly_sales"].fillna(0.0) * cover * multiplier).to_numpy()
    starter = ~c["has_history"].fillna(False).astype(bool).to_numpy()
    base = np.where(starter, policy.starter_limit, base)
    cap = (
        policy.expected_loss_budget
        / (c["pd"].clip(lower=1e-6) * policy.loss_given_default).to_numpy()
    )
    capped = cap < base
    limit = np.minimum(base, cap)
    cash = c["proceeding"].isin(policy.cash_in_advance_kinds).to_numpy()
    limit = np.where(cash, 0.0, limit)
    for i in range(len(c)):
        if starter[i]:
            rules[i].append(f"starter limit {policy.starter_limit:,.0f} (no payment history)")
        else:
            rules[i].append(
                f"expected purchases over {cover[i] * 30:.0f} days x grade {c.at[i, 'grade']} multiplier {multiplier[i]:g}"
            )
        if capped[i] and not cash[i]:
            rules[i].append(
                f"capped by expected-loss budget {policy.expected_loss_budget:,.0f} (PD {c.at[i, 'pd']:.1%} x LGD {policy.loss_given_default:.0%})"
            )
        if cash[i]:
            rules[i].append(f"{c.at[i, 'proceeding']} in progress: cash in advance, limit 0")
    limit, group_exposure = _group_caps(c, limit, policy, rules)
    limit = _round_down(limit, policy.rounding)
    exposure = c["exposure"].fillna(0.0).to_numpy()
    return pd.DataFrame(
        {
            "customer_id": c["customer_id"],
            "suggested_limit": limit,
            "current_limit": c["current_limit"],
            "exposure": exposure,
            "headroom": np.maximum(limit - exposure, 0.0),
            "overrun": np.maximum(exposure - limit, 0.0),
            "group_exposure": group_exposure,
            "rules": ["; ".join(r) for r in rules],
        }
    )


def _group_caps(
    c: pd.DataFrame, limit: np.ndarray, policy: CreditPolicy, rules: list[list[str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Scale the members of a group down so the group stays within its expected-loss budget."""
    limit = limit.copy()
    group_exposure = np.full(len(c), np.nan)
    groups = c["group_id"]
    for group, members in c.groupby(groups[groups.notna()], sort=True).groups.items():
        idx = np.asarray(members)
        group_exposure[idx] = c.loc[idx, "exposure"].fillna(0.0).sum()
        expected_loss = float(
            (c.loc[idx, "pd"].to_numpy() * policy.loss_given_default * limit[idx]).sum()
        )
        if expected_loss > policy.group_expected_loss_budget:
            factor = policy.group_expected_loss_budget / expected_loss
            limit[idx] *= factor
            for i in idx:
                rules[i].append(
                    f"group {group}: scaled by {factor:.2f} to the group budget {policy.group_expected_loss_budget:,.0f}"
                )
    return limit, group_exposure


def policy_as_dict(policy: CreditPolicy) -> dict[str, Any]:
    return {f.name: getattr(policy, f.name) for f in fields(policy)}
