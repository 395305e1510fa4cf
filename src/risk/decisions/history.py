"""Reminder history read as scenario steps: what was done on each invoice before a date.

The reminders table carries the company's own step numbering; comparing it with the scenario's
numbers proposes a second formal notice after a registered letter. A documented mapping
(``risk/config/reminder_history.yaml`` by default) turns each reminder row into the scenario step
it stands for, by channel and step label (and a ``kind`` column when there is one); the state per
invoice is then the last scenario step done in the buyer's track, the latest promise to pay, the
day a dispute was raised and the last reminder date (one clock: rows sent before ``as_of``).

Example:
    >>> mapping = load_history_mapping()
    >>> mapping.step_of("registered_letter", "5", None)
    'formal_notice'
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from risk.decisions.scenario import DunningScenario
from risk.errors import ConfigError

logger = logging.getLogger(__name__)

_RULE_FIELDS = {"channel", "label", "kind", "step"}
OUTCOME_MEANINGS = ("promise", "dispute")


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    values = value if isinstance(value, list | tuple) else [value]
    return tuple(str(v) for v in values)


@dataclass(frozen=True)
class HistoryRule:
    """Reminder rows with one of ``channels`` (and ``labels``/``kinds`` when given) did ``step``."""

    step: str
    channels: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def matches(self, channel: str, label: str, kind: str | None) -> bool:
        """Whether a reminder row matches the rule (an empty criterion matches anything)."""
        return (
            (not self.channels or channel in self.channels)
            and (not self.labels or label in self.labels)
            and (not self.kinds or (kind is not None and kind in self.kinds))
        )


@dataclass(frozen=True)
class HistoryMapping:
    """Ordered rules (first match wins) and the meaning of reminder outcomes."""

    rules: tuple[HistoryRule, ...]
    outcomes: Mapping[str, str]
    source: str = "<memory>"

    def step_of(self, channel: str, label: str, kind: str | None) -> str | None:
        """Scenario step code of a reminder row, or None when no rule matches."""
        for rule in self.rules:
            if rule.matches(str(channel), str(label), kind):
                return rule.step
        return None

    def check_steps(self, scenario: DunningScenario) -> None:
        """Raise a ``ConfigError`` if a rule names a step the scenario does not have."""
        known = {s.code for s in scenario.steps} | {s.code for s in scenario.public_steps}
        for i, rule in enumerate(self.rules):
            if rule.step not in known:
                raise ConfigError(
                    f"reminder history mapping {self.source}: rules[{i}].step {rule.step!r} is "
                    f"not a step of the dunning scenario {scenario.source} ({sorted(known)})"
                )


def history_mapping_from_mapping(data: Any, source: str = "<memory>") -> HistoryMapping:
    """Build and validate a mapping from its parsed YAML.

    Raises:
        ConfigError: naming the field and the rule broken.
    """
    where = f"reminder history mapping {source}"
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), list):
        raise ConfigError(f"{where}: needs a list `rules`")
    rules = []
    for i, rule in enumerate(data["rules"]):
        if not isinstance(rule, Mapping) or not isinstance(rule.get("step"), str):
            raise ConfigError(f"{where}: rules[{i}] must be a mapping with a step code")
        if unknown := set(rule) - _RULE_FIELDS:
            raise ConfigError(f"{where}: rules[{i}]: unknown fields {sorted(unknown)}")
        rules.append(
            HistoryRule(
                rule["step"],
                _texts(rule.get("channel")),
                _texts(rule.get("label")),
                _texts(rule.get("kind")),
            )
        )
    outcomes = dict(data.get("outcomes") or {})
    if bad := {k: v for k, v in outcomes.items() if v not in OUTCOME_MEANINGS}:
        raise ConfigError(f"{where}: outcomes must mean one of {OUTCOME_MEANINGS}, got {bad}")
    return HistoryMapping(tuple(rules), outcomes, source)


def load_history_mapping(path: str | Path | None = None) -> HistoryMapping:
    """Load the mapping from a YAML file, or the packaged ``reminder_history.yaml``.

    Raises:
        ConfigError: if the file cannot be read, is not YAML or breaks a rule.
    """
    source = "risk/config/reminder_history.yaml" if path is None else str(path)
    try:
        if path is None:
            text = (
                resources.files("risk.config").joinpath("reminder_history.yaml").read_text("utf-8")
            )
        else:
            text = Path(path).read_text("utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"reminder history mapping {source}: cannot load ({exc})") from exc
    return history_mapping_from_mapping(data, source)


def _empty_history() -> pd.DataFrame:
    index = pd.Index([], dtype="str", name="invoice_id")
    return pd.DataFrame(
        {
            "last_step_done": pd.Series([], dtype="int64", index=index),
            "last_step_code": pd.Series([], dtype="str", index=index),
            "promise_to_pay_until": pd.Series([], dtype="datetime64[ns]", index=index),
            "dispute_raised_on": pd.Series([], dtype="datetime64[ns]", index=index),
            "last_sent_on": pd.Series([], dtype="datetime64[ns]", index=index),
        }
    )


def dunning_history(
    reminders: pd.DataFrame | None,
    as_of: pd.Timestamp,
    scenario: DunningScenario,
    mapping: HistoryMapping,
    public_invoices: Sequence[str] = (),
) -> pd.DataFrame:
    """Per invoice, what its reminders sent before ``as_of`` say was done.

    Args:
        reminders: the reminders table (None or empty: no history).
        as_of: the date (rows sent on or after it are not known yet).
        scenario: the dunning scenario (steps are positions in the buyer's track).
        mapping: reminder rows -> scenario steps.
        public_invoices: invoices of public buyers (read in the public track).

    Returns:
        Indexed by invoice_id: ``last_step_done`` (position, 0 = none), ``last_step_code``,
        ``promise_to_pay_until`` (latest promised date), ``dispute_raised_on`` and
        ``last_sent_on``.
    """
    if reminders is None or reminders.empty:
        return _empty_history()
    sent = reminders[reminders["sent_on"] < as_of]
    if sent.empty:
        return _empty_history()
    # each distinct (channel, step label, kind, public) is mapped once, then spread to the rows
    kinds = sent["kind"].astype("str") if "kind" in sent else pd.Series("\x00", index=sent.index)
    public = sent["invoice_id"].isin(set(public_invoices)).to_numpy()
    keys = pd.DataFrame(
        {
            "channel": sent["channel"].astype("str").to_numpy(),
            "label": sent["step"].astype("str").to_numpy(),
            "kind": kinds.to_numpy(),
            "public": public,
        }
    )
    group = keys.groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    distinct = keys.groupby(group, sort=True).first()
    distinct_codes = [
        mapping.step_of(c, label, None if "kind" not in sent else k)
        for c, label, k in zip(
            distinct["channel"], distinct["label"], distinct["kind"], strict=True
        )
    ]
    distinct_numbers = np.array(
        [
            0 if code is None else scenario.step_number(code, bool(p))
            for code, p in zip(distinct_codes, distinct["public"], strict=True)
        ],
        dtype="int64",
    )
    codes = np.array(distinct_codes, dtype=object)[group]
    numbers = distinct_numbers[group]
    if unmapped := int(sum(code is None for code in codes)):
        logger.warning("%d reminder rows match no rule of %s", unmapped, mapping.source)
    frame = pd.DataFrame(
        {
            "invoice_id": sent["invoice_id"].to_numpy(),
            "number": numbers,
            "code": pd.Series(codes, dtype="object").fillna("").to_numpy(),
            "sent_on": sent["sent_on"].to_numpy(),
            "meaning": sent.get("outcome", pd.Series("none", index=sent.index))
            .map(mapping.outcomes)
            .to_numpy(),
            "promised_on": sent.get("promised_on", pd.Series(pd.NaT, index=sent.index)).to_numpy(),
        }
    )
    by_invoice = frame.groupby("invoice_id")
    best = frame.sort_values(["number", "sent_on"], kind="stable").groupby("invoice_id").tail(1)
    promises = frame[frame["meaning"] == "promise"].groupby("invoice_id")["promised_on"].max()
    disputes = frame[frame["meaning"] == "dispute"].groupby("invoice_id")["sent_on"].min()
    out = pd.DataFrame({"last_step_done": by_invoice["number"].max().astype("int64")})
    out["last_step_code"] = best.set_index("invoice_id")["code"].reindex(out.index)
    out["promise_to_pay_until"] = promises.reindex(out.index)
    out["dispute_raised_on"] = disputes.reindex(out.index)
    out["last_sent_on"] = by_invoice["sent_on"].max()
    return out
