"""Next dunning action on an open invoice: the scenario run as a state machine over history.

The state of an invoice is what its history says was done (``last_step_done``: the position, in
the buyer's track, of the last scenario step done, as read by ``risk.decisions.history``), its
dispute and promise, and its customer's situation. ``next_action`` applies, in this order:

1. nothing open -> no action;
2. collective proceeding: a claim born before the opening judgment is declared to the
   mandataire judiciaire within 2 months of the BODACC publication (L622-24, R622-24); after
   that, a relevé de forclusion may be asked within 6 months of the publication (L622-26); after
   that the claim is foreclosed. A claim born after the opening is not declared (L622-17): it is
   claimed from the debtor at its due date;
3. dispute -> resolve it (only this invoice is paused);
4. promise to pay not yet expired -> wait; a broken promise is flagged and escalates: the next
   step is due at once;
5. the scenario: the most advanced step that is due, never a step already done, never skipping
   a mandatory step or a step the customer's segment requires (a key account's phone call).

Public buyers follow their own track (reminder, then the public accountant, then the
administrative route).

Example:
    >>> scenario = load_dunning_scenario()
    >>> invoice = InvoiceState("I1", "C1", date(2025, 3, 1), 1200.0, "C")
    >>> next_action(invoice, scenario, date(2025, 3, 10)).code
    'email_reminder'
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import MISSING, dataclass, fields
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from risk.decisions.scenario import (
    CHANNELS,
    OWNERS,
    SPECIAL_CODES,
    ActionSpec,
    DunningScenario,
    DunningStep,
    GradeAdjustment,
    dunning_scenario_from_mapping,
    load_dunning_scenario,
)

__all__ = [
    "CHANNELS",
    "OWNERS",
    "SPECIAL_CODES",
    "Action",
    "ActionSpec",
    "DunningScenario",
    "DunningStep",
    "GradeAdjustment",
    "InvoiceState",
    "add_months",
    "dunning_scenario_from_mapping",
    "load_dunning_scenario",
    "next_action",
    "next_actions",
]

logger = logging.getLogger(__name__)


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
        open_amount: amount still unpaid, net of credit notes.
        grade: customer grade letter (A-E by default).
        disputed: the client disputes the invoice (only this invoice is paused).
        promise_to_pay_until: the latest payment date promised by the client, if any.
        in_proceeding: the client is under a collective proceeding.
        proceeding_published_on: BODACC publication of the opening judgment.
        last_step_done: position, in the buyer's track, of the last scenario step done (0 =
            none), read from the reminders through the history mapping.
        key_account: the client is a key account (the salesperson phones).
        top_reasons: reason-code sentences of the grade, most important first.
        issued_on: invoice date (a claim issued after the opening judgment is not declared).
        proceeding_opened_on: opening judgment (or, unknown, its publication).
        public_buyer: the client is a public buyer (its own track, no private-law steps).
        last_sent_on: date of the last reminder sent (a promise followed by a reminder has
            already been escalated).
        dispute_raised_on: day the customer disputed the invoice (answer to a reminder, or
            the ``disputes`` table's ``opened_on``).
        dispute_note: the dispute's reason and owner, as reason parts.
        platform_status: latest decisive e-invoicing status known (``invoice_statuses``):
            disputed, suspended or refused pause the invoice's dunning; payment_transmitted or
            cashed stop it; approved, completed ... change nothing.
        platform_status_on: date of that status.
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
    issued_on: date | None = None
    proceeding_opened_on: date | None = None
    public_buyer: bool = False
    last_sent_on: date | None = None
    dispute_raised_on: date | None = None
    dispute_note: str = ""
    platform_status: str | None = None
    platform_status_on: date | None = None


#: e-invoicing statuses that pause an invoice's dunning, and those that stop it (cash coming).
PAUSING_STATUSES = {"disputed": 207, "suspended": 208, "refused": 210}
STOPPING_STATUSES = {"payment_transmitted": 211, "cashed": 212}
#: days after a payment-transmitted (or cashed) status by which the cash should be in the ledger:
#: the stopped invoice comes back to the worklist on that date if it is still open.
CASH_CHECK_DAYS = 5


@dataclass(frozen=True)
class Action:
    """The next thing to do on an invoice.

    Attributes:
        code: action code (a step code or one of ``SPECIAL_CODES``).
        label_en: English label.
        label_fr: French label.
        due_date: when to do it (``as_of`` when already due, a later date for an upcoming step,
            the promised date for ``wait_promise``, None for ``none``).
        channel: how (email, phone, letter, registered_letter, agency, court, ...).
        owner: who acts (collector, salesperson, credit_manager, none).
        step: position of the step in the buyer's track (0 for actions outside the steps).
        reason: short sentence explaining why.
        deadline: legal deadline (declaring a claim: publication + 2 months; a relevé de
            forclusion: publication + 6 months), else None.
        broken_promise: a promise to pay was broken (its date passed, still unpaid).
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
    broken_promise: bool = False


def _action(spec: ActionSpec, when: date | None, step: int, reason: str, **kw: Any) -> Action:
    return Action(spec.code, spec.label_en, spec.label_fr, when, spec.channel, spec.owner,
                  step, reason, **kw)  # fmt: skip


def _proceeding_action(invoice: InvoiceState, scenario: DunningScenario, as_of: date) -> Action:
    published, special = invoice.proceeding_published_on, scenario.special
    opened = invoice.proceeding_opened_on or published
    if published is None:
        reason = "collective proceeding: publication date unknown, check the BODACC now"
        return _action(special["declare_claim"], as_of, 0, reason)
    if invoice.issued_on is not None and opened is not None and invoice.issued_on > opened:
        reason = (
            f"invoice issued after the opening judgment ({opened.isoformat()}): a post-opening "
            "claim is not declared; claim it from the debtor or the administrator at its due "
            "date (Code de commerce L622-17)"
        )
        return _action(special["post_opening_claim"], max(as_of, invoice.due_on), 0, reason)
    deadline = add_months(published, scenario.claim_deadline_months)
    relief = add_months(published, scenario.relief_window_months)
    if as_of <= deadline:
        reason = (
            f"collective proceeding published on {published.isoformat()}: declare the claim to "
            f"the mandataire judiciaire by {deadline.isoformat()} (L622-24, R622-24)"
        )
        return _action(special["declare_claim"], as_of, 0, reason, deadline=deadline)
    if as_of <= relief:
        reason = (
            f"declaration deadline {deadline.isoformat()} passed: ask the juge-commissaire for a "
            f"relevé de forclusion by {relief.isoformat()} (L622-26)"
        )
        return _action(special["request_relief"], as_of, 0, reason, deadline=relief)
    reason = (
        f"declaration deadline {deadline.isoformat()} and relief window {relief.isoformat()} "
        "passed (L622-26): the claim cannot be opposed to the proceeding; review for write-off"
    )
    return _action(special["claim_foreclosed"], as_of, 0, reason)


def _pace(grade: str, adjustment: GradeAdjustment) -> str:
    if adjustment.multiplier < 1 or (adjustment.multiplier == 1 and adjustment.shift_days < 0):
        return f"grade {grade}: escalate sooner"
    if adjustment.multiplier > 1 or adjustment.shift_days > 0:
        return f"grade {grade}: escalate later"
    return f"grade {grade}: standard pace"


def _reason(invoice: InvoiceState, scenario: DunningScenario, as_of: date, extra: str) -> str:
    days = (as_of - invoice.due_on).days
    timing = f"{days} days past due" if days > 0 else f"due in {-days} days"
    pace = (
        "public buyer"
        if invoice.public_buyer
        else _pace(invoice.grade, scenario.grades[invoice.grade])
    )
    parts = [timing, pace] + ([extra] if extra else [])
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
    """Steps still to do after the last one done: (number, step, date it is due)."""
    steps = scenario.track(invoice.public_buyer)
    if invoice.public_buyer and scenario.public_steps:
        offsets = tuple(step.offset_days for step in steps)
    else:
        offsets = scenario.offsets[invoice.grade]
    return [
        (number, step, invoice.due_on + timedelta(days=offset))
        for number, (step, offset) in enumerate(zip(steps, offsets, strict=True), 1)
        if number > invoice.last_step_done
        and (not step.grades or invoice.grade in step.grades)
        and (step.offset_days >= 0 or as_of <= invoice.due_on)
    ]


def _required(step: DunningStep, invoice: InvoiceState, scenario: DunningScenario) -> bool:
    return step.mandatory or (invoice.key_account and step.code in scenario.key_account_required)


def _broken_promise(invoice: InvoiceState, as_of: date) -> bool:
    promise = invoice.promise_to_pay_until
    return promise is not None and promise < as_of


def _scenario_action(invoice: InvoiceState, scenario: DunningScenario, as_of: date) -> Action:
    pending = _pending(invoice, scenario, as_of)
    broken = _broken_promise(invoice, as_of)
    if not pending:
        reason = f"scenario completed (last step {invoice.last_step_done}): review the claim"
        return _action(scenario.special["none"], None, 0, reason, broken_promise=broken)
    promise = invoice.promise_to_pay_until
    fresh_break = broken and (invoice.last_sent_on is None or invoice.last_sent_on <= promise)
    due = [p for p in pending if p[2] <= as_of]
    first_required = next((p for p in due if _required(p[1], invoice, scenario)), None)
    number, step, when = first_required or (due[-1] if due else pending[0])
    skipped = sum(1 for p in due if p[0] < number)
    extra = f"{skipped} late step(s) skipped" if skipped else ""
    if fresh_break:  # a broken promise escalates: the next step is due at once
        when = as_of
        extra = "; ".join(filter(None, [f"promise of {promise} broken: escalate now", extra]))
    if when > as_of:
        extra = "; ".join(filter(None, [extra, f"next step on {when.isoformat()}"]))
    spec = _for_key_account(step, scenario) if invoice.key_account else step
    if spec is not step and spec.channel != step.channel:
        extra = "; ".join(filter(None, [extra, f"key account: {spec.owner} calls"]))
    reason = _reason(invoice, scenario, as_of, extra)
    return _action(spec, max(when, as_of), number, reason, broken_promise=broken)


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
        return _proceeding_action(invoice, scenario, as_of)
    if (platform := _platform_action(invoice, scenario, as_of)) is not None:
        return platform
    if invoice.disputed:
        since = invoice.dispute_raised_on
        raised = f"disputed since {since.isoformat()}" if since else "disputed"
        paused = f"{raised}: dunning of this invoice paused"
        if invoice.dispute_note:
            paused = f"{paused}; {invoice.dispute_note}"
        reason = _reason(invoice, scenario, as_of, paused)
        return _action(scenario.special["dispute_resolution"], as_of, 0, reason)
    promise = invoice.promise_to_pay_until
    if promise is not None and as_of <= promise:
        reason = _reason(invoice, scenario, as_of, f"promise to pay by {promise}: dunning paused")
        return _action(scenario.special["wait_promise"], promise, 0, reason)
    return _scenario_action(invoice, scenario, as_of)


def _platform_action(
    invoice: InvoiceState, scenario: DunningScenario, as_of: date
) -> Action | None:
    """Stop on payment transmitted / cashed, pause on disputed / suspended / refused (the
    e-invoicing status known at ``as_of``); None for any other status."""
    status, on = invoice.platform_status, invoice.platform_status_on
    when = f" on {on.isoformat()}" if on else ""
    if status in STOPPING_STATUSES:
        code = STOPPING_STATUSES[status]
        check = (on or as_of) + timedelta(days=CASH_CHECK_DAYS)
        extra = (
            f"e-invoicing status {status} ({code}){when}: cash imminent, dunning stopped; "
            f"check the cash by {check.isoformat()}"
        )
        return _action(scenario.special["none"], check, 0, _reason(invoice, scenario, as_of, extra))
    if status in PAUSING_STATUSES:
        code = PAUSING_STATUSES[status]
        extra = f"e-invoicing status {status} ({code}){when}: dunning of this invoice paused"
        reason = _reason(invoice, scenario, as_of, extra)
        return _action(scenario.special["dispute_resolution"], as_of, 0, reason)
    return None


_DATE_FIELDS = (
    "promise_to_pay_until", "proceeding_published_on", "due_on", "issued_on",
    "proceeding_opened_on", "last_sent_on", "dispute_raised_on", "platform_status_on",
)  # fmt: skip


def _dates(values: pd.Series) -> list[date | None]:
    """``datetime.date`` of each value, None when missing (each distinct date converted once)."""
    codes, uniques = pd.factorize(pd.to_datetime(values))  # NaT -> -1, the last entry (None)
    objects = np.array([*(d.date() for d in uniques), None], dtype=object)
    return objects[codes].tolist()


def _column(frame: pd.DataFrame, name: str, default: Any) -> list[Any]:
    if name not in frame:
        return [default] * len(frame)
    if name in _DATE_FIELDS:
        return _dates(frame[name])
    column = frame[name]
    # ``Series.isna`` tests each element: None, NaN, NaT, NA (a list or tuple is never missing)
    missing = column.isna().to_numpy()
    if not missing.any():
        return column.tolist()
    return [default if m else v for v, m in zip(column.tolist(), missing.tolist(), strict=True)]


#: fields next_action reads only in some states: blanked elsewhere so equal states share a key.
_ONLY_IN_PROCEEDING = ("issued_on", "proceeding_published_on", "proceeding_opened_on")
_ONLY_WHEN_DISPUTED = ("dispute_raised_on", "dispute_note")


def _check_columns(frame: pd.DataFrame, scenario: DunningScenario) -> None:
    defaults = {f.name: f.default for f in fields(InvoiceState)}
    required = [f for f, d in defaults.items() if d is MISSING]
    if missing := [f for f in required if f not in frame]:
        raise ValueError(f"next_actions: missing columns {missing}")
    unknown = ~frame["grade"].isin(list(scenario.grades))
    if unknown.any():
        first = frame[unknown.to_numpy()].iloc[0]
        raise ValueError(
            f"invoice {first['invoice_id']}: grade {first['grade']!r} is not in the dunning "
            f"scenario's grades {sorted(scenario.grades)}"
        )


def next_actions_per_row(
    frame: pd.DataFrame, scenario: DunningScenario, as_of: date
) -> pd.DataFrame:
    """``next_action`` on every row, one Python call per row (the reference of
    :func:`next_actions`, kept for its tests and benchmark)."""
    defaults = {f.name: f.default for f in fields(InvoiceState)}
    _check_columns(frame, scenario)
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


def _state_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The inputs of ``next_action`` with what it does not read in a row's state blanked:
    ``open_amount`` reduced to its sign, proceeding fields outside a proceeding, dispute fields
    without a dispute, the last reminder date without a promise."""
    names = [f.name for f in fields(InvoiceState) if f.name not in ("invoice_id", "customer_id")]
    keys = frame[[n for n in names if n in frame]].copy()
    keys["open_amount"] = (keys["open_amount"].fillna(0.0) > 0).astype(float)
    if "top_reasons" in keys:
        keys["top_reasons"] = [
            tuple(v) if isinstance(v, list | tuple) else () for v in keys["top_reasons"]
        ]
    in_proceeding = keys.get("in_proceeding", pd.Series(False, index=keys.index))
    in_proceeding = in_proceeding.fillna(False).astype(bool)
    disputed = keys.get("disputed", pd.Series(False, index=keys.index)).fillna(False).astype(bool)
    promise = keys.get("promise_to_pay_until", pd.Series(None, index=keys.index))
    blank = {
        **dict.fromkeys(_ONLY_IN_PROCEEDING, ~in_proceeding),
        **dict.fromkeys(_ONLY_WHEN_DISPUTED, ~disputed | in_proceeding),
        "last_sent_on": promise.isna(),
    }
    for name, mask in blank.items():
        if name in keys:
            keys[name] = keys[name].astype(object).where(~mask.to_numpy(), None)
    return keys


def next_actions(frame: pd.DataFrame, scenario: DunningScenario, as_of: date) -> pd.DataFrame:
    """``next_action`` for every row of a frame of invoice states.

    ``next_action`` is a pure function of an invoice's state; thousands of open invoices share
    the same state (grade, due date, step done, ...), so each distinct state is decided once
    and the actions are spread back to the rows (the per-row loop is
    :func:`next_actions_per_row`, which gives the same frame).

    Args:
        frame: one row per invoice with the ``InvoiceState`` fields as columns; only
            ``invoice_id``, ``customer_id``, ``due_on``, ``open_amount`` and ``grade`` are
            required, the others take the ``InvoiceState`` defaults.
        scenario: the dunning scenario.
        as_of: today's date.

    Returns:
        One row per input row (same index): ``invoice_id`` then the ``Action`` fields.

    Raises:
        ValueError: a required column is missing, or a grade is not in the scenario.
    """
    _check_columns(frame, scenario)
    if frame.empty:
        return next_actions_per_row(frame, scenario, as_of)
    keys = _state_keys(frame)
    text = keys.astype(str)  # exact: dates as ISO text, None / NaT as words
    inverse = text.groupby(list(text.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(text))).groupby(inverse).first().to_numpy()
    chosen = frame.iloc[first].copy()
    for name in keys.columns:
        chosen[name] = keys[name].iloc[first].to_numpy()
    decided = next_actions_per_row(chosen, scenario, as_of)
    out = decided.iloc[inverse].reset_index(drop=True)
    out.index = frame.index
    out["invoice_id"] = frame["invoice_id"].to_numpy()
    return out
