"""Credit-limit suggestions from a credit policy file (YAML, validated with clear errors).

For each customer, in this order (each rule that shaped a suggestion is listed beside it):

1. **expected purchases over the terms**: average monthly invoiced amount x (payment terms +
   order cycle [+ 15 days for end-of-month terms]) / 30, scaled by the grade's multiplier; a
   starter limit for a customer without payment history;
2. **expected-loss budget**: PD x LGD x limit never exceeds the budget, with the 12-month
   **default** PD (not the late-payment probability) and an LGD by segment (private, public
   buyer, guaranteed / credit-insured account);
3. **credit-insurer limit**: at most the insured limit (``insured_limit``) plus an uninsured
   allowance, when the customer has one;
4. **cash in advance** (0) under liquidation or receivership;
5. **group cap**: the members of a ``group_id`` scaled down together so that the group's
   expected loss stays within the group budget;
6. **rounding** down to a step relative to the customer's typical (median) invoice, not a fixed
   amount (a 60-euro-invoice customer gets a limit in tens, a 20,000-euro one in thousands).

Then the suggestion is compared with the exposure (a suggestion below it says **reduce** and by
how much) and with the current limit (``raise``, ``keep`` or ``lower``).

This module holds the policy and the ledger inputs; the rule chain is
:func:`risk.decisions.credit_limits.suggest_limits`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from risk.contracts import COLLECTIVE_PROCEEDING_KINDS
from risk.errors import ConfigError
from risk.grades import GradeScale
from risk.ledger import Ledger
from risk.materiality import DefaultDefinition

GRADES = ("A", "B", "C", "D", "E")
SEGMENTS = ("private", "public", "guaranteed")
#: the segments as a French credit manager reads them in the rule trail (``rules_fr``)
SEGMENT_NAMES_FR = {
    "private": "acheteur privé",
    "public": "acheteur public",
    "guaranteed": "compte garanti",
}


def _default_lgd() -> dict[str, float]:
    return {"private": 0.6, "public": 0.1, "guaranteed": 0.3}


@dataclass(frozen=True)
class CreditPolicy:
    """The credit policy (see ``risk/config/credit_policy.yaml`` for each field's meaning)."""

    sales_window_days: int = 365
    cycle_days: int = 30
    grade_multipliers: dict[str, float] = field(
        default_factory=lambda: {"A": 1.5, "B": 1.2, "C": 1.0, "D": 0.6, "E": 0.3}
    )
    master_scale: dict[str, float] = field(
        default_factory=lambda: {"A": 0.005, "B": 0.02, "C": 0.05, "D": 0.15}
    )
    loss_given_default: dict[str, float] = field(default_factory=_default_lgd)
    expected_loss_budget: float = 4000.0
    expected_loss_share_of_sales: float = 0.02
    group_expected_loss_budget: float = 12000.0
    starter_limit: float = 3000.0
    cash_in_advance_kinds: tuple[str, ...] = ("liquidation", "receivership")
    insured_limit_caps: bool = True
    uninsured_allowance: float = 0.0
    rounding_share: float = 0.5
    rounding_min: float = 1.0
    rounding_max: float = 1000.0
    default_past_due_days: int = 90
    default_materiality_absolute: float = 500.0
    default_materiality_relative: float = 0.01
    default_past_due_days_public: int | None = 180
    default_disputes_suspend: bool = True
    default_probation_days: int = 90

    def __post_init__(self) -> None:
        lgd = self.loss_given_default
        if isinstance(lgd, int | float):  # one LGD for every segment
            object.__setattr__(self, "loss_given_default", dict.fromkeys(SEGMENTS, float(lgd)))
        for name in ("sales_window_days", "expected_loss_budget", "group_expected_loss_budget"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"credit policy: {name} must be > 0, got {getattr(self, name)!r}")
        for name in (
            "cycle_days",
            "starter_limit",
            "uninsured_allowance",
            "expected_loss_share_of_sales",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"credit policy: {name} must be >= 0, got {getattr(self, name)!r}"
                )
        if not (self.rounding_share > 0 and 0 < self.rounding_min <= self.rounding_max):
            raise ConfigError(
                "credit policy: rounding_share must be > 0 and 0 < rounding_min <= rounding_max"
            )
        self._check_lgd()
        self._check_grades()
        try:
            self.default_definition()
        except (ConfigError, TypeError, ValueError) as exc:
            raise ConfigError(
                "credit policy: default_past_due_days must be >= 0, "
                "default_materiality_absolute >= 0 and 0 <= default_materiality_relative < 1, "
                f"got {self.default_past_due_days!r}, {self.default_materiality_absolute!r}, "
                f"{self.default_materiality_relative!r} ({exc})"
            ) from exc
        unknown = set(self.cash_in_advance_kinds) - set(COLLECTIVE_PROCEEDING_KINDS)
        if unknown:
            raise ConfigError(
                f"credit policy: cash_in_advance_kinds {sorted(unknown)} are not collective proceedings ({', '.join(COLLECTIVE_PROCEEDING_KINDS)})"
            )

    def _check_lgd(self) -> None:
        lgd = self.loss_given_default
        if not isinstance(lgd, dict) or set(lgd) != set(SEGMENTS):
            raise ConfigError(
                f"credit policy: loss_given_default needs exactly the segments {', '.join(SEGMENTS)}, got {lgd!r}"
            )
        if any(not (isinstance(v, int | float) and 0 < v <= 1) for v in lgd.values()):
            raise ConfigError(f"credit policy: loss_given_default must be in (0, 1], got {lgd!r}")

    def _check_grades(self) -> None:
        multipliers = self.grade_multipliers
        if set(multipliers) != set(GRADES):
            raise ConfigError(
                f"credit policy: grade_multipliers needs exactly the grades {', '.join(GRADES)}, got {sorted(multipliers)}"
            )
        if any(not (isinstance(v, int | float) and v >= 0) for v in multipliers.values()):
            raise ConfigError("credit policy: grade_multipliers values must be numbers >= 0")
        if any(multipliers[a] < multipliers[b] for a, b in pairwise(GRADES)):
            raise ConfigError(
                f"credit policy: grade_multipliers must not increase from A to E (a better grade never lowers the limit), got {multipliers}"
            )
        if list(self.master_scale) != list(GRADES[:-1]):
            raise ConfigError(
                f"credit policy: master_scale gives the upper PD bound of {', '.join(GRADES[:-1])} in that order (E takes the rest), got {list(self.master_scale)}"
            )
        try:
            self.grade_scale()
        except ConfigError as exc:
            raise ConfigError(f"credit policy: master_scale: {exc}") from exc

    def default_definition(self) -> DefaultDefinition:
        """The past-due trigger of the default event, with its materiality thresholds."""
        return DefaultDefinition(
            past_due_days=int(self.default_past_due_days),
            absolute=float(self.default_materiality_absolute),
            relative=float(self.default_materiality_relative),
            public_past_due_days=(
                None
                if self.default_past_due_days_public is None
                else int(self.default_past_due_days_public)
            ),
            disputes_suspend=bool(self.default_disputes_suspend),
            probation_days=int(self.default_probation_days),
        )

    def grade_scale(self) -> GradeScale:
        """The master scale published in the policy (PD upper bound of every grade but E)."""
        return GradeScale(letters=GRADES, cutoffs=tuple(self.master_scale.values()))

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


def _recent_invoices(ledger: Ledger, as_of: pd.Timestamp, window_days: int) -> pd.DataFrame:
    inv = ledger.invoices
    start = as_of - pd.Timedelta(days=window_days)
    return inv[(inv["issued_on"] < as_of) & (inv["issued_on"] >= start)]


def monthly_sales(ledger: Ledger, as_of: pd.Timestamp, window_days: int) -> pd.Series:
    """Average invoiced amount per 30 days over the window before ``as_of``, per customer."""
    recent = _recent_invoices(ledger, as_of, window_days)
    return recent.groupby("customer_id")["amount"].sum() * 30.0 / window_days


def typical_invoice(ledger: Ledger, as_of: pd.Timestamp, window_days: int) -> pd.Series:
    """Median invoice amount over the window before ``as_of`` (else over all earlier
    invoices), per customer."""
    recent = _recent_invoices(ledger, as_of, window_days).groupby("customer_id")["amount"].median()
    inv = ledger.invoices
    earlier = inv[inv["issued_on"] < as_of].groupby("customer_id")["amount"].median()
    return recent.combine_first(earlier)


def nice_step(value: float) -> float:
    """Largest 1, 2 or 5 x 10^k not above ``value`` (``value`` > 0).

    Example:
        >>> nice_step(31.0), nice_step(2500.0), nice_step(0.7)
        (20.0, 2000.0, 0.5)
    """
    power = 10.0 ** math.floor(math.log10(value))
    return max(m * power for m in (1.0, 2.0, 5.0) if m * power <= value * (1 + 1e-12))


def rounding_steps(typical: pd.Series, policy: CreditPolicy) -> np.ndarray:
    """Rounding step per customer: a nice number near ``rounding_share`` x its typical invoice,
    within [rounding_min, rounding_max]; ``rounding_max`` without invoices."""
    values = typical.to_numpy(dtype=float) * policy.rounding_share
    steps = [nice_step(v) if np.isfinite(v) and v > 0 else policy.rounding_max for v in values]
    return np.clip(np.asarray(steps, dtype=float), policy.rounding_min, policy.rounding_max)


def policy_as_dict(policy: CreditPolicy) -> dict[str, Any]:
    return {f.name: getattr(policy, f.name) for f in fields(policy)}
