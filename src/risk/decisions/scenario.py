"""The dunning scenario (scénario de relance) as configuration: steps, grade pace, segments.

``risk/config/dunning.yaml`` (or a file of the user's) lists the steps at offsets from the due
date; worse grades run them sooner. Two tracks: the private-law steps, and the steps of public
buyers (Code de la commande publique: reminder to the buyer, then to the public accountant
"comptable public", then the administrative route; no agency, no payment order). A segment may
require a step (``key_account.required_steps``: the salesperson's phone call) that is then never
skipped. This module only reads and validates; ``risk.decisions.dunning`` decides.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from risk.errors import ConfigError

logger = logging.getLogger(__name__)

CHANNELS = (
    "email", "phone", "letter", "registered_letter", "agency", "court", "administrative", "none",
)  # fmt: skip
OWNERS = ("collector", "salesperson", "credit_manager", "none")
SPECIAL_CODES = (
    "dispute_resolution", "wait_promise", "declare_claim", "request_relief", "claim_foreclosed",
    "post_opening_claim", "none",
)  # fmt: skip
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_STEP_FIELDS = {"code", "label_en", "label_fr", "offset_days", "channel", "owner", "grades"}
_TOP_FIELDS = {
    "grades", "steps", "key_account", "special_actions", "claim_deadline_months",
    "relief_window_months", "public_buyer",
}  # fmt: skip


@dataclass(frozen=True)
class ActionSpec:
    """What an action is: code, labels (English, French), channel and who acts."""

    code: str
    label_en: str
    label_fr: str
    channel: str
    owner: str


@dataclass(frozen=True)
class DunningStep(ActionSpec):
    """A scenario step at ``offset_days`` from the due date (negative = before it).

    ``grades`` limits the step to some grades (empty = all); a ``mandatory`` step is never
    skipped when late steps are caught up.
    """

    offset_days: int = 0
    grades: tuple[str, ...] = ()
    mandatory: bool = False


@dataclass(frozen=True)
class GradeAdjustment:
    """Escalation pace of a grade: positive offsets become ``round(offset x m) + shift``."""

    multiplier: float = 1.0
    shift_days: int = 0

    def offset(self, offset_days: int) -> int:
        """Grade-adjusted offset (offsets <= 0 are kept as they are)."""
        if offset_days <= 0:
            return offset_days
        return math.floor(offset_days * self.multiplier + 0.5) + self.shift_days


@dataclass(frozen=True)
class DunningScenario:
    """A validated dunning scenario (see ``risk/config/dunning.yaml``).

    Attributes:
        steps: steps in order, numbered from 1.
        grades: escalation pace per grade letter.
        key_account: the action that replaces steps sent via ``key_account_replaces``.
        key_account_replaces: channels replaced for key accounts (and phone calls it owns).
        special: actions outside the steps, by code (see ``SPECIAL_CODES``).
        claim_deadline_months: months after the BODACC publication to declare a claim
            (R622-24).
        relief_window_months: months after the publication to ask for a relevé de forclusion
            (L622-26).
        key_account_required: step codes a key account must go through (never skipped).
        public_steps: the steps of public buyers, in order.
        public_equivalents: private step code -> public step code, to read the history of a
            public buyer reminded with private-law steps.
        source: where the scenario was read from, for messages.
    """

    steps: tuple[DunningStep, ...]
    grades: Mapping[str, GradeAdjustment]
    key_account: ActionSpec
    key_account_replaces: tuple[str, ...]
    special: Mapping[str, ActionSpec]
    claim_deadline_months: int = 2
    relief_window_months: int = 6
    key_account_required: tuple[str, ...] = ()
    public_steps: tuple[DunningStep, ...] = ()
    public_equivalents: Mapping[str, str] = field(default_factory=dict)
    source: str = "<memory>"
    offsets: Mapping[str, tuple[int, ...]] = field(init=False, repr=False)

    def track(self, public_buyer: bool) -> tuple[DunningStep, ...]:
        """The steps a buyer goes through (public buyers have their own)."""
        return self.public_steps if public_buyer and self.public_steps else self.steps

    def step_number(self, code: str, public_buyer: bool = False) -> int:
        """Position (from 1) of a step code in the buyer's track, 0 when it is not there."""
        if public_buyer and self.public_steps:
            code = self.public_equivalents.get(code, code)
        codes = [step.code for step in self.track(public_buyer)]
        return codes.index(code) + 1 if code in codes else 0

    def __post_init__(self) -> None:
        offsets = {
            g: tuple(adj.offset(s.offset_days) for s in self.steps)
            for g, adj in self.grades.items()
        }
        object.__setattr__(self, "offsets", offsets)
        _validate_scenario(self)


def _fail(scenario_source: str, where: str, rule: str) -> ConfigError:
    return ConfigError(f"dunning scenario {scenario_source}: {where}: {rule}")


def _validate_scenario(s: DunningScenario) -> None:
    if not s.steps:
        raise _fail(s.source, "steps", "at least one step is required")
    if not s.grades:
        raise _fail(s.source, "grades", "at least one grade is required")
    codes = [step.code for step in s.steps]
    for i, step in enumerate(s.steps):
        where = f"steps[{i}] ({step.code})"
        if i and step.offset_days <= s.steps[i - 1].offset_days:
            raise _fail(s.source, f"{where}.offset_days", "must exceed the previous step's")
        if step.code in codes[:i] or step.code in SPECIAL_CODES:
            raise _fail(s.source, f"{where}.code", "must be unique and not a special action code")
        if unknown := set(step.grades) - set(s.grades):
            raise _fail(s.source, f"{where}.grades", f"unknown grades {sorted(unknown)}")
    for grade, offsets in s.offsets.items():
        if any(b <= a for a, b in pairwise(offsets)):
            raise _fail(
                s.source,
                f"grades.{grade}",
                f"grade-adjusted offsets must be strictly increasing, got {list(offsets)}",
            )
    if missing := set(SPECIAL_CODES) - set(s.special):
        raise _fail(s.source, "special_actions", f"missing {sorted(missing)}")
    if s.claim_deadline_months <= 0 or s.relief_window_months < s.claim_deadline_months:
        raise _fail(
            s.source,
            "claim_deadline_months",
            "must be a positive integer, not above relief_window_months",
        )
    if unknown := set(s.key_account_required) - set(codes):
        raise _fail(s.source, "key_account.required_steps", f"unknown steps {sorted(unknown)}")
    public = [step.code for step in s.public_steps]
    if any(b.offset_days <= a.offset_days for a, b in pairwise(s.public_steps)):
        raise _fail(s.source, "public_buyer.steps", "offsets must be strictly increasing")
    if unknown := set(s.public_equivalents.values()) - set(public):
        raise _fail(s.source, "public_buyer.history_equivalents", f"unknown {sorted(unknown)}")
    if forbidden := {st.code for st in s.public_steps if st.channel in ("agency",)}:
        raise _fail(s.source, "public_buyer.steps", f"no collection agency: {sorted(forbidden)}")


def _require(data: Mapping[str, Any], key: str, kind: type, where: str, source: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _fail(source, f"{where}.{key}", f"required, must be a {kind.__name__}, got {value!r}")
    return value


def _action_spec(data: Any, code: str, where: str, source: str) -> ActionSpec:
    if not isinstance(data, Mapping):
        raise _fail(source, where, "must be a mapping")
    channel, owner = (_require(data, k, str, where, source) for k in ("channel", "owner"))
    if channel not in CHANNELS:
        raise _fail(source, f"{where}.channel", f"must be one of {CHANNELS}, got {channel!r}")
    if owner not in OWNERS:
        raise _fail(source, f"{where}.owner", f"must be one of {OWNERS}, got {owner!r}")
    if not _CODE.match(code):
        raise _fail(source, f"{where}.code", f"must be snake_case, got {code!r}")
    label_en, label_fr = (_require(data, k, str, where, source) for k in ("label_en", "label_fr"))
    return ActionSpec(code, label_en, label_fr, channel, owner)


def _step(data: Any, i: int, source: str, key: str = "steps") -> DunningStep:
    where = f"{key}[{i}]"
    if not isinstance(data, Mapping):
        raise _fail(source, where, "must be a mapping")
    if unknown := set(data) - _STEP_FIELDS - {"mandatory"}:
        raise _fail(source, where, f"unknown fields {sorted(unknown)}")
    spec = _action_spec(data, _require(data, "code", str, where, source), where, source)
    grades = data.get("grades") or []
    if not isinstance(grades, list) or not all(isinstance(g, str) for g in grades):
        raise _fail(source, f"{where}.grades", f"must be a list of grade letters, got {grades!r}")
    return DunningStep(
        **vars(spec),
        offset_days=_require(data, "offset_days", int, where, source),
        grades=tuple(grades),
        mandatory=bool(data.get("mandatory", False)),
    )


def _grade(data: Any, grade: str, source: str) -> GradeAdjustment:
    where = f"grades.{grade}"
    if not isinstance(data, Mapping) or set(data) - {"multiplier", "shift_days"}:
        raise _fail(source, where, "must be a mapping with multiplier and/or shift_days")
    multiplier, shift = data.get("multiplier", 1.0), data.get("shift_days", 0)
    if isinstance(multiplier, bool) or not isinstance(multiplier, int | float) or multiplier <= 0:
        raise _fail(source, f"{where}.multiplier", f"must be a number > 0, got {multiplier!r}")
    if isinstance(shift, bool) or not isinstance(shift, int):
        raise _fail(source, f"{where}.shift_days", f"must be an integer, got {shift!r}")
    return GradeAdjustment(float(multiplier), shift)


def dunning_scenario_from_mapping(data: Any, source: str = "<memory>") -> DunningScenario:
    """Build and validate a scenario from its parsed YAML mapping.

    Raises:
        ConfigError: naming the field and the rule broken.
    """
    if not isinstance(data, Mapping):
        raise _fail(source, "top level", "must be a mapping")
    if unknown := set(data) - _TOP_FIELDS:
        raise _fail(source, "top level", f"unknown fields {sorted(unknown)}")
    steps, grades = data.get("steps"), data.get("grades")
    if not isinstance(steps, list) or not steps:
        raise _fail(source, "steps", "required, must be a non-empty list")
    if not isinstance(grades, Mapping) or not grades:
        raise _fail(source, "grades", "required, must map grade letters to their pace")
    key = data.get("key_account") or {}
    replaces = key.get("replaces_channels", []) if isinstance(key, Mapping) else None
    if not isinstance(replaces, list) or set(replaces) - set(CHANNELS):
        raise _fail(source, "key_account.replaces_channels", f"must be a list of {CHANNELS}")
    required = key.get("required_steps", []) if isinstance(key, Mapping) else []
    if not isinstance(required, list):
        raise _fail(source, "key_account.required_steps", "must be a list of step codes")
    key_spec = {k: v for k, v in key.items() if k not in ("replaces_channels", "required_steps")}
    public = data.get("public_buyer") or {}
    if not isinstance(public, Mapping) or not isinstance(public.get("steps", []), list):
        raise _fail(source, "public_buyer", "must be a mapping with a list of steps")
    special = data.get("special_actions") or {}
    if not isinstance(special, Mapping):
        raise _fail(source, "special_actions", "must be a mapping of code -> action")
    return DunningScenario(
        steps=tuple(_step(step, i, source) for i, step in enumerate(steps)),
        grades={str(g): _grade(v, str(g), source) for g, v in grades.items()},
        key_account=_action_spec(
            key_spec, key_spec.get("code", "phone_call"), "key_account", source
        ),
        key_account_replaces=tuple(replaces),
        special={c: _action_spec(v, c, f"special_actions.{c}", source) for c, v in special.items()},
        claim_deadline_months=data.get("claim_deadline_months", 2),
        relief_window_months=data.get("relief_window_months", 6),
        key_account_required=tuple(required),
        public_steps=tuple(
            _step(step, i, source, "public_buyer.steps")
            for i, step in enumerate(public.get("steps", []))
        ),
        public_equivalents=dict(public.get("history_equivalents") or {}),
        source=source,
    )


def load_dunning_scenario(path: str | Path | None = None) -> DunningScenario:
    """Load a scenario from a YAML file, or the packaged default ``dunning.yaml``.

    Raises:
        ConfigError: if the file cannot be read, is not YAML or breaks a rule.
    """
    source = "risk/config/dunning.yaml" if path is None else str(path)
    try:
        if path is None:
            text = resources.files("risk.config").joinpath("dunning.yaml").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"dunning scenario {source}: cannot load ({exc})") from exc
    return dunning_scenario_from_mapping(data, source)
