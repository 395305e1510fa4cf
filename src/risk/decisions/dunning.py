"""Dunning scenario (scénario de relance) and the next action on an open invoice.

The scenario (``risk/config/dunning.yaml`` by default) lists steps at offsets from the due date;
worse grades run them sooner. ``next_action`` applies, in this order: nothing open -> no action;
collective proceeding -> declare the claim to the mandataire judiciaire within 2 months of the
BODACC publication; dispute -> dispute resolution; promise to pay not yet expired -> wait; then
the scenario (a broken promise resumes at the next step).

Example:
    >>> scenario = load_dunning_scenario()
    >>> invoice = InvoiceState("I1", "C1", date(2025, 3, 1), 1200.0, "C")
    >>> next_action(invoice, scenario, date(2025, 3, 10)).code
    'email_reminder'
"""

from __future__ import annotations

import calendar
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, timedelta
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from risk.errors import ConfigError

logger = logging.getLogger(__name__)

CHANNELS = ("email", "phone", "letter", "registered_letter", "agency", "court", "none")
OWNERS = ("collector", "salesperson", "credit_manager", "none")
SPECIAL_CODES = ("dispute_resolution", "wait_promise", "declare_claim", "none")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_STEP_FIELDS = {"code", "label_en", "label_fr", "offset_days", "channel", "owner", "grades"}
_TOP_FIELDS = {"grades", "steps", "key_account", "special_actions", "claim_deadline_months"}


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
        claim_deadline_months: months after the BODACC publication to declare a claim.
        source: where the scenario was read from, for messages.
    """

    steps: tuple[DunningStep, ...]
    grades: Mapping[str, GradeAdjustment]
    key_account: ActionSpec
    key_account_replaces: tuple[str, ...]
    special: Mapping[str, ActionSpec]
    claim_deadline_months: int = 2
    source: str = "<memory>"
    offsets: Mapping[str, tuple[int, ...]] = field(init=False, repr=False)

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
    if s.claim_deadline_months <= 0:
        raise _fail(s.source, "claim_deadline_months", "must be a positive integer")


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


def _step(data: Any, i: int, source: str) -> DunningStep:
    where = f"steps[{i}]"
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
    key_spec = {k: v for k, v in key.items() if k != "replaces_channels"}
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


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clipped to the end of a shorter month (31 Jan + 1 = 28 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class InvoiceState:
    """What the dunning logic knows about one open invoice at a date.

    Attributes:
        invoice_id: invoice number.
        customer_id: client.
        due_on: due date.
        open_amount: amount still unpaid.
        grade: customer grade letter (A-E by default).
        disputed: the client disputes the invoice.
        promise_to_pay_until: payment date promised by the client, if any.
        in_proceeding: the client is under a collective proceeding.
        proceeding_published_on: BODACC publication of the opening judgment.
        last_step_done: number of the last scenario step done (0 = none).
        key_account: the client is a key account (the salesperson phones).
        top_reasons: reason-code sentences of the grade, most important first.
    """

    invoice_id: str
    customer_id: str
    due_on: date
    open_amount: float
    grade: str
    disputed: bool = False
    promise_to_pay_until: date | None = None
    in_proceeding: bool = False
    proceeding_published_on: date | None = None
    last_step_done: int = 0
    key_account: bool = False
    top_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """The next thing to do on an invoice.

    Attributes:
        code: action code (a step code, ``dispute_resolution``, ``wait_promise``,
            ``declare_claim`` or ``none``).
        label_en: English label.
        label_fr: French label.
        due_date: when to do it (``as_of`` when already due, a later date for an upcoming step,
            the promised date for ``wait_promise``, None for ``none``).
        channel: how (email, phone, letter, registered_letter, agency, court, none).
        owner: who acts (collector, salesperson, credit_manager, none).
        step: scenario step number (0 for actions outside the scenario's steps).
        reason: short sentence explaining why.
        deadline: legal deadline (``declare_claim``: publication + 2 months), else None.
    """

    code: str
    label_en: str
    label_fr: str
    due_date: date | None
    channel: str
    owner: str
    step: int
    reason: str
    deadline: date | None = None


def _action(spec: ActionSpec, when: date | None, step: int, reason: str, **kw: Any) -> Action:
    return Action(spec.code, spec.label_en, spec.label_fr, when, spec.channel, spec.owner,
                  step, reason, **kw)  # fmt: skip


def _declare_claim(invoice: InvoiceState, scenario: DunningScenario, as_of: date) -> Action:
    published = invoice.proceeding_published_on
    if published is None:
        reason = "collective proceeding: publication date unknown, check the BODACC now"
        return _action(scenario.special["declare_claim"], as_of, 0, reason)
    deadline = add_months(published, scenario.claim_deadline_months)
    reason = (
        f"collective proceeding published on {published.isoformat()}: declare the claim to the "
        f"mandataire judiciaire by {deadline.isoformat()}"
    )
    if as_of > deadline:
        reason += "; deadline passed: ask the juge-commissaire for a relevé de forclusion"
    return _action(scenario.special["declare_claim"], as_of, 0, reason, deadline=deadline)


def _pace(grade: str, adjustment: GradeAdjustment) -> str:
    if adjustment.multiplier < 1 or (adjustment.multiplier == 1 and adjustment.shift_days < 0):
        return f"grade {grade}: escalate sooner"
    if adjustment.multiplier > 1 or adjustment.shift_days > 0:
        return f"grade {grade}: escalate later"
    return f"grade {grade}: standard pace"


def _reason(invoice: InvoiceState, scenario: DunningScenario, as_of: date, extra: str) -> str:
    days = (as_of - invoice.due_on).days
    timing = f"{days} days past due" if days > 0 else f"due in {-days} days"
    parts = [timing, _pace(invoice.grade, scenario.grades[invoice.grade])]
    parts += [extra] if extra else []
    if invoice.top_reasons:
        parts.append(f"main driver: {invoice.top_reasons[0]}")
    return "; ".join(parts)


def _for_key_account(step: DunningStep, scenario: DunningScenario) -> ActionSpec:
    if step.channel in scenario.key_account_replaces:
        return scenario.key_account
    if step.channel == scenario.key_account.channel:
        return ActionSpec(step.code, step.label_en, step.label_fr, step.channel,
                          scenario.key_account.owner)  # fmt: skip
    return step


def _pending(
    invoice: InvoiceState, scenario: DunningScenario, as_of: date
) -> list[tuple[int, DunningStep, date]]:
    """Steps still to do: (number, step, grade-adjusted date)."""
    offsets = scenario.offsets[invoice.grade]
    return [
        (number, step, invoice.due_on + timedelta(days=offset))
        for number, (step, offset) in enumerate(zip(scenario.steps, offsets, strict=True), 1)
        if number > invoice.last_step_done
        and (not step.grades or invoice.grade in step.grades)
        and (step.offset_days >= 0 or as_of <= invoice.due_on)
    ]


def _scenario_action(invoice: InvoiceState, scenario: DunningScenario, as_of: date) -> Action:
    pending = _pending(invoice, scenario, as_of)
    if not pending:
        reason = f"scenario completed (last step {invoice.last_step_done}): review the claim"
        return _action(scenario.special["none"], None, 0, reason)
    promise = invoice.promise_to_pay_until
    if promise is not None:  # broken promise: resume at the next step, not before the promise
        number, step, when = pending[0]
        when, extra = max(when, promise + timedelta(days=1)), f"promise of {promise} broken"
    else:
        due = [p for p in pending if p[2] <= as_of]
        first_mandatory = next((p for p in due if p[1].mandatory), None)
        number, step, when = first_mandatory or (due[-1] if due else pending[0])
        skipped = sum(1 for p in due if p[0] < number)
        extra = f"{skipped} late step(s) skipped" if skipped else ""
    if when > as_of:
        extra = "; ".join(filter(None, [extra, f"next step on {when.isoformat()}"]))
    spec = _for_key_account(step, scenario) if invoice.key_account else step
    if spec is not step and spec.channel != step.channel:
        extra = "; ".join(filter(None, [extra, f"key account: {spec.owner} calls"]))
    reason = _reason(invoice, scenario, as_of, extra)
    return _action(spec, max(when, as_of), number, reason)


def next_action(invoice: InvoiceState, scenario: DunningScenario, as_of: date) -> Action:
    """The next action on an open invoice at ``as_of``.

    Args:
        invoice: the invoice's state.
        scenario: the dunning scenario.
        as_of: today's date.

    Returns:
        The action, with its due date, channel, owner, step and reason.

    Raises:
        ValueError: if the invoice's grade is not in the scenario.
    """
    if invoice.grade not in scenario.grades:
        raise ValueError(
            f"invoice {invoice.invoice_id}: grade {invoice.grade!r} is not in the dunning "
            f"scenario's grades {sorted(scenario.grades)}"
        )
    if invoice.open_amount <= 0:
        return _action(scenario.special["none"], None, 0, "nothing left to collect")
    if invoice.in_proceeding:
        return _declare_claim(invoice, scenario, as_of)
    if invoice.disputed:
        reason = _reason(invoice, scenario, as_of, "disputed: dunning paused until resolved")
        return _action(scenario.special["dispute_resolution"], as_of, 0, reason)
    promise = invoice.promise_to_pay_until
    if promise is not None and as_of <= promise:
        reason = _reason(invoice, scenario, as_of, f"promise to pay by {promise}: dunning paused")
        return _action(scenario.special["wait_promise"], promise, 0, reason)
    return _scenario_action(invoice, scenario, as_of)


def _dates(values: pd.Series) -> list[date | None]:
    return [None if pd.isna(v) else v.date() for v in pd.to_datetime(values)]


def _column(frame: pd.DataFrame, name: str, default: Any) -> list[Any]:
    if name not in frame:
        return [default] * len(frame)
    if name in ("promise_to_pay_until", "proceeding_published_on", "due_on"):
        return _dates(frame[name])
    return [default if _missing(v) else v for v in frame[name].tolist()]


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple) and pd.isna(value))


def next_actions(frame: pd.DataFrame, scenario: DunningScenario, as_of: date) -> pd.DataFrame:
    """``next_action`` for every row of a frame of invoice states (O(n), one pass).

    Args:
        frame: one row per invoice with the ``InvoiceState`` fields as columns; only
            ``invoice_id``, ``customer_id``, ``due_on``, ``open_amount`` and ``grade`` are
            required, the others take the ``InvoiceState`` defaults.
        scenario: the dunning scenario.
        as_of: today's date.

    Returns:
        One row per input row (same index): ``invoice_id`` then the ``Action`` fields.
    """
    defaults = {f.name: f.default for f in fields(InvoiceState)}
    required = [f for f, d in defaults.items() if d is MISSING]
    if missing := [f for f in required if f not in frame]:
        raise ValueError(f"next_actions: missing columns {missing}")
    columns = {f: _column(frame, f, None if d is MISSING else d) for f, d in defaults.items()}
    actions = []
    for values in zip(*columns.values(), strict=True):
        state = dict(zip(columns, values, strict=True))
        state["top_reasons"] = tuple(state["top_reasons"] or ())
        actions.append(next_action(InvoiceState(**state), scenario, as_of))
    names = [f.name for f in fields(Action)]
    out = pd.DataFrame([vars(a) for a in actions], index=frame.index, columns=names)
    out.insert(0, "invoice_id", columns["invoice_id"])
    for name in ("due_date", "deadline"):
        out[name] = pd.to_datetime(out[name])
    return out
