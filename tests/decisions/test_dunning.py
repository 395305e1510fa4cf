"""Next dunning action: each branch on one hand-built invoice (default scenario)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from risk.decisions.dunning import (
    DunningScenario,
    InvoiceState,
    add_months,
    dunning_scenario_from_mapping,
    load_dunning_scenario,
    next_action,
    next_actions,
)
from risk.decisions.reasons_fr import reason_fr
from risk.errors import ConfigError

DUE = date(2025, 3, 1)
DRIVER = "3 invoices paid more than 60 days late in the last 12 months"


@pytest.fixture(scope="module")
def scenario() -> DunningScenario:
    return load_dunning_scenario()


def invoice(**changes: object) -> InvoiceState:
    base = InvoiceState("F-001", "C1", DUE, 1200.0, "C")
    return replace(base, **changes)


def test_default_scenario_offsets_per_grade(scenario: DunningScenario) -> None:
    # base offsets -5, 5, 15, 25, 35, 45, 60, 90; A x1.5 (7.5 -> 8), E x0.5 (2.5 -> 3)
    assert scenario.offsets["C"] == (-5, 5, 15, 25, 35, 45, 60, 90)
    assert scenario.offsets["A"] == (-5, 8, 23, 38, 53, 68, 90, 135)
    assert scenario.offsets["E"] == (-5, 3, 8, 13, 18, 23, 30, 45)


def test_first_reminder_then_upcoming_step(scenario: DunningScenario) -> None:
    action = next_action(invoice(), scenario, date(2025, 3, 6))  # due + 5
    assert (action.code, action.step, action.due_date) == ("email_reminder", 2, date(2025, 3, 6))
    assert action.channel == "email" and action.owner == "collector"
    upcoming = next_action(invoice(last_step_done=2), scenario, date(2025, 3, 10))
    # second e-mail at due + 15 = 16 March, not due yet
    assert (upcoming.code, upcoming.due_date) == ("second_email", date(2025, 3, 16))


def test_worse_grade_escalates_sooner(scenario: DunningScenario) -> None:
    # same invoice, same date (due + 20), e-mail reminder done (step 2):
    # A: second e-mail at due + 23 -> still upcoming (step 3);
    # E: second e-mail +8, phone +13, letter +18 due -> the letter with penalties (step 5).
    as_of = date(2025, 3, 21)
    state = invoice(last_step_done=2, top_reasons=(DRIVER,))
    grade_a = next_action(replace(state, grade="A"), scenario, as_of)
    grade_e = next_action(replace(state, grade="E"), scenario, as_of)
    assert (grade_a.code, grade_a.step, grade_a.due_date) == ("second_email", 3, date(2025, 3, 24))
    assert (grade_e.code, grade_e.step, grade_e.due_date) == ("letter_with_penalties", 5, as_of)
    assert grade_e.step > grade_a.step
    assert grade_e.reason.startswith("20 days past due; grade E: escalate sooner")
    assert grade_e.reason.endswith(f"main driver: {DRIVER}")


def test_mandatory_formal_notice_is_never_skipped(scenario: DunningScenario) -> None:
    # due + 100, nothing done: agency (+60) and payment order (+90) are due, but the formal
    # notice (+45, mandatory) comes first.
    action = next_action(invoice(), scenario, date(2025, 6, 9))
    assert (action.code, action.channel, action.step) == ("formal_notice", "registered_letter", 6)


def test_courtesy_reminder_only_for_risky_grades_and_before_due(scenario: DunningScenario) -> None:
    before_due = date(2025, 2, 25)  # due - 4: the courtesy reminder (due - 5) is due
    for grade, expected in [("A", "email_reminder"), ("C", "email_reminder"),
                            ("D", "courtesy_reminder"), ("E", "courtesy_reminder")]:  # fmt: skip
        assert next_action(invoice(grade=grade), scenario, before_due).code == expected
    # once the due date has passed the courtesy reminder lapses
    after_due = next_action(invoice(grade="E"), scenario, date(2025, 3, 4))
    assert after_due.code == "email_reminder"


def test_key_account_phone_call_by_salesperson_instead_of_letter(scenario: DunningScenario) -> None:
    as_of = date(2025, 4, 5)  # due + 35: letter with penalties (step 5) for grade C
    state = invoice(last_step_done=4)
    assert next_action(state, scenario, as_of).code == "letter_with_penalties"
    key = next_action(replace(state, key_account=True), scenario, as_of)
    assert (key.code, key.channel, key.owner, key.step) == ("phone_call", "phone", "salesperson", 5)
    assert "key account" in key.reason


def test_dispute_pauses_dunning(scenario: DunningScenario) -> None:
    action = next_action(invoice(disputed=True), scenario, date(2025, 4, 5))
    assert (action.code, action.owner, action.step) == ("dispute_resolution", "salesperson", 0)
    assert "disputed" in action.reason
    raised = next_action(
        invoice(disputed=True, dispute_raised_on=date(2025, 3, 20)), scenario, date(2025, 4, 5)
    )
    assert "disputed since 2025-03-20" in raised.reason


@pytest.mark.parametrize(
    ("status", "code"), [("disputed", 207), ("suspended", 208), ("refused", 210)]
)
def test_einvoicing_dispute_or_suspension_pauses_the_invoice(
    scenario: DunningScenario, status: str, code: int
) -> None:
    # due + 35: without the status the formal notice (step 6) would be due
    state = invoice(last_step_done=5, platform_status=status, platform_status_on=date(2025, 3, 2))
    action = next_action(state, scenario, date(2025, 4, 5))
    assert (action.code, action.step, action.due_date) == (
        "dispute_resolution",
        0,
        date(2025, 4, 5),
    )
    assert f"e-invoicing status {status} ({code}) on 2025-03-02" in action.reason
    assert next_action(replace(state, platform_status=None), scenario, date(2025, 4, 5)).step == 6


@pytest.mark.parametrize(("status", "code"), [("payment_transmitted", 211), ("cashed", 212)])
def test_payment_transmitted_stops_dunning(
    scenario: DunningScenario, status: str, code: int
) -> None:
    state = invoice(last_step_done=5, platform_status=status, platform_status_on=date(2025, 4, 3))
    action = next_action(state, scenario, date(2025, 4, 5))
    # no reminder; the invoice comes back on 8 April (status + 5 days) if the cash is not in
    assert (action.code, action.due_date, action.step) == ("none", date(2025, 4, 8), 0)
    assert f"({code}) on 2025-04-03: cash imminent, dunning stopped" in action.reason
    assert f"({code}) du 03/04/2025 : encaissement imminent, relances arrêtées" in reason_fr(
        action.reason
    )
    assert "vérifier l'encaissement au 08/04/2025" in reason_fr(action.reason)


def test_approval_changes_nothing_and_a_proceeding_still_comes_first(
    scenario: DunningScenario,
) -> None:
    approved = invoice(last_step_done=5, platform_status="approved")
    plain = next_action(invoice(last_step_done=5), scenario, date(2025, 4, 5))
    assert next_action(approved, scenario, date(2025, 4, 5)) == plain
    in_proceeding = invoice(platform_status="payment_transmitted", in_proceeding=True,
                            proceeding_published_on=date(2025, 3, 20))  # fmt: skip
    assert next_action(in_proceeding, scenario, date(2025, 4, 5)).code == "declare_claim"


def test_platform_status_reads_through_next_actions(scenario: DunningScenario) -> None:
    frame = pd.DataFrame(
        {"invoice_id": ["F1", "F2", "F3"], "customer_id": "C1", "due_on": DUE,
         "open_amount": 100.0, "grade": "C",
         "platform_status": ["suspended", None, "payment_transmitted"],
         "platform_status_on": [pd.Timestamp("2025-03-02"), pd.NaT, pd.Timestamp("2025-04-01")]}
    )  # fmt: skip
    actions = next_actions(frame, scenario, date(2025, 4, 5))
    assert actions["code"].tolist()[0] == "dispute_resolution"
    assert actions["code"].tolist()[2] == "none" and actions["code"].tolist()[1] != "none"


def test_promise_to_pay_pauses_then_a_broken_promise_escalates(scenario: DunningScenario) -> None:
    state = invoice(last_step_done=2, promise_to_pay_until=date(2025, 3, 10))
    waiting = next_action(state, scenario, date(2025, 3, 10))
    assert (waiting.code, waiting.due_date) == ("wait_promise", date(2025, 3, 10))
    # broken on 11 March (due + 10): the second e-mail (due + 15) is brought forward to today
    broken = next_action(state, scenario, date(2025, 3, 12))
    assert (broken.code, broken.step, broken.due_date) == ("second_email", 3, date(2025, 3, 12))
    assert broken.broken_promise and "broken" in broken.reason
    # without the promise the same invoice would wait until 16 March
    plain = next_action(replace(state, promise_to_pay_until=None), scenario, date(2025, 3, 12))
    assert (plain.due_date, plain.broken_promise) == (date(2025, 3, 16), False)
    # a reminder sent after the broken promise: already escalated, still flagged
    later = replace(state, last_sent_on=date(2025, 3, 13), last_step_done=3)
    after = next_action(later, scenario, date(2025, 3, 14))
    assert (after.code, after.due_date, after.broken_promise) == (
        "phone_call", date(2025, 3, 26), True,
    )  # fmt: skip


def test_collective_proceeding_declares_the_claim(scenario: DunningScenario) -> None:
    state = invoice(
        in_proceeding=True,
        disputed=True,
        proceeding_published_on=date(2025, 3, 31),
        issued_on=date(2025, 1, 30),
    )
    action = next_action(state, scenario, date(2025, 4, 5))
    # deadline = publication + 2 months (R622-24); 31 May exists
    assert (action.code, action.deadline) == ("declare_claim", date(2025, 5, 31))
    assert "mandataire judiciaire" in action.label_en
    # after the deadline, within 6 months of the publication (L622-26): relevé de forclusion
    late = next_action(state, scenario, date(2025, 6, 2))
    assert (late.code, late.deadline) == ("request_relief", date(2025, 9, 30))
    assert "relevé de forclusion" in late.reason
    # after the 6 months: no relief advised any more
    gone = next_action(state, scenario, date(2025, 10, 1))
    assert gone.code == "claim_foreclosed" and "forclusion" not in gone.reason


def test_claim_born_after_the_opening_is_not_declared(scenario: DunningScenario) -> None:
    state = invoice(
        in_proceeding=True,
        proceeding_published_on=date(2025, 3, 31),
        proceeding_opened_on=date(2025, 3, 20),
        issued_on=date(2025, 3, 25),
        due_on=date(2025, 4, 24),
    )
    action = next_action(state, scenario, date(2025, 4, 5))
    assert action.code == "post_opening_claim" and "L622-17" in action.reason
    assert action.due_date == date(2025, 4, 24) and action.deadline is None


def test_key_account_phone_call_is_never_skipped(scenario: DunningScenario) -> None:
    # grade E, second e-mail done (step 3), 31 days past due: phone (+13), letter (+18) and
    # formal notice (+23) are all due; a key account goes through the phone call first
    state = invoice(grade="E", last_step_done=3, key_account=True)
    action = next_action(state, scenario, date(2025, 4, 1))
    assert (action.code, action.owner, action.step) == ("phone_call", "salesperson", 4)
    other = next_action(replace(state, key_account=False), scenario, date(2025, 4, 1))
    assert other.code == "formal_notice"


def test_public_buyer_track_has_no_private_law_steps(scenario: DunningScenario) -> None:
    state = invoice(public_buyer=True)
    codes = [next_action(state, scenario, date(2025, 3, 1) + pd.Timedelta(days=d)).code
             for d in (6, 31, 61, 200)]  # fmt: skip
    assert codes == [
        "public_reminder", "public_accountant_reminder", "administrative_claim",
        "administrative_claim",  # mandatory: never skipped on the way to the court
    ]  # fmt: skip
    done = replace(state, last_step_done=3)
    assert next_action(done, scenario, date(2025, 9, 1)).code == "administrative_court"
    track = {step.code for step in scenario.public_steps}
    assert not track & {"collection_agency", "payment_order", "formal_notice"}


def test_add_months_clips_to_month_end() -> None:
    assert add_months(date(2024, 12, 31), 2) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 15), 2) == date(2025, 5, 15)


def test_nothing_open_and_scenario_completed(scenario: DunningScenario) -> None:
    assert next_action(invoice(open_amount=0.0), scenario, date(2025, 4, 5)).code == "none"
    done = next_action(invoice(last_step_done=8), scenario, date(2025, 9, 1))
    assert (done.code, done.due_date) == ("none", None)
    with pytest.raises(ValueError, match="grade 'Z'"):
        next_action(invoice(grade="Z"), scenario, date(2025, 4, 5))


def test_next_actions_frame_matches_next_action(scenario: DunningScenario) -> None:
    frame = pd.DataFrame(
        {
            "invoice_id": ["F1", "F2", "F3"],
            "customer_id": ["C1", "C2", "C3"],
            "due_on": pd.to_datetime(["2025-03-01"] * 3),
            "open_amount": [100.0, 200.0, 300.0],
            "grade": ["A", "E", "C"],
            "disputed": [False, False, True],
            "promise_to_pay_until": pd.to_datetime([None, None, None]),
            "last_step_done": [2, 2, 0],
        },
        index=[10, 11, 12],
    )
    out = next_actions(frame, scenario, date(2025, 3, 21))
    assert list(out.index) == [10, 11, 12]
    assert out["code"].tolist() == ["second_email", "letter_with_penalties", "dispute_resolution"]
    assert out.loc[10, "due_date"] == pd.Timestamp("2025-03-24")


def _default_mapping() -> dict:
    path = Path(__file__).parents[2] / "src" / "risk" / "config" / "dunning.yaml"
    return yaml.safe_load(path.read_text("utf-8"))


def _step(mapping: dict, i: int, **changes: object) -> dict:
    mapping["steps"][i] = mapping["steps"][i] | changes
    return mapping


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: _step(m, 1, channel="fax"), r"steps\[1\]\.channel: must be one of"),
        (lambda m: _step(m, 1, owner="boss"), r"steps\[1\]\.owner: must be one of"),
        (lambda m: _step(m, 2, offset_days="15"), r"steps\[2\]\.offset_days: required, must"),
        (lambda m: _step(m, 2, ofset_days=15), r"steps\[2\]: unknown fields \['ofset_days'\]"),
        (lambda m: _step(m, 2, code="email_reminder"), r"steps\[2\] \(email_reminder\)\.code"),
        (lambda m: _step(m, 0, grades=["F"]), r"steps\[0\] \(courtesy_reminder\)\.grades"),
        (lambda m: _step(m, 3, offset_days=10), r"steps\[3\] \(phone_call\)\.offset_days: must"),
        (
            lambda m: m | {"grades": m["grades"] | {"A": {"shift_days": -20}}},
            "grades.A: grade-adjusted offsets must be strictly increasing",
        ),
        (lambda m: m | {"grades": {"A": {"multiplier": 0}}}, r"grades\.A\.multiplier: must be"),
        (lambda m: m | {"steps": []}, "steps: required, must be a non-empty list"),
        (lambda m: m | {"special_actions": {}}, r"special_actions: missing \['claim_foreclosed'"),
    ],
)
def test_scenario_validation_names_field_and_rule(edit, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        dunning_scenario_from_mapping(edit(_default_mapping()))
