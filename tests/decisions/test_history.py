"""Reminder history mapped to scenario steps by what was done, never by the company's number."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from risk.decisions.dunning import InvoiceState, load_dunning_scenario, next_action
from risk.decisions.history import (
    dunning_history,
    history_mapping_from_mapping,
    load_history_mapping,
)
from risk.errors import ConfigError

SCENARIO = load_dunning_scenario()
MAPPING = load_history_mapping()


def _reminders(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["invoice_id", "sent_on", "step", "channel", "outcome", "promised_on"]
    )
    frame["sent_on"] = pd.to_datetime(frame["sent_on"])
    frame["promised_on"] = pd.to_datetime(frame["promised_on"])
    return frame


def test_a_registered_letter_is_the_formal_notice_whatever_its_number() -> None:
    # INV00013684 of the sample: the company numbers its registered letter 5; the scenario's
    # formal notice is step 6. Comparing numbers proposed a second formal notice.
    rows = [
        ("I1", "2025-09-10", 1, "email", "none", None),
        ("I1", "2025-09-23", 2, "email", "none", None),
        ("I1", "2025-10-08", 3, "phone", "none", None),
        ("I1", "2025-10-23", 4, "letter", "none", None),
        ("I1", "2025-11-12", 5, "registered_letter", "none", None),
    ]
    history = dunning_history(_reminders(rows), pd.Timestamp("2025-12-31"), SCENARIO, MAPPING)
    assert history.loc["I1", "last_step_code"] == "formal_notice"
    assert history.loc["I1", "last_step_done"] == 6
    state = InvoiceState("I1", "C1", date(2025, 8, 31), 36_516.35, "E", last_step_done=6)
    # grade E, 122 days past due: agency (+30) and payment order (+45) are both due; the most
    # advanced due step is proposed, never the formal notice again
    assert next_action(state, SCENARIO, date(2025, 12, 31)).code == "payment_order"


def test_first_letter_counts_as_first_reminder_and_rows_after_as_of_are_unknown() -> None:
    rows = [
        ("I2", "2025-12-09", 1, "letter", "none", None),
        ("I2", "2025-12-22", 2, "email", "none", None),
    ]
    reminders = _reminders(rows)
    on_22 = dunning_history(reminders, pd.Timestamp("2025-12-22"), SCENARIO, MAPPING)
    on_23 = dunning_history(reminders, pd.Timestamp("2025-12-23"), SCENARIO, MAPPING)
    assert on_22.loc["I2", "last_step_code"] == "email_reminder"  # one clock: not yet known
    assert on_23.loc["I2", "last_step_code"] == "second_email"


def test_promises_disputes_and_public_track() -> None:
    rows = [
        ("I3", "2025-10-01", 1, "email", "promise_to_pay", "2025-10-20"),
        ("I3", "2025-11-01", 2, "sms", "promise_to_pay", "2025-11-15"),
        ("I4", "2025-10-05", 1, "letter", "dispute", None),
        ("I5", "2025-10-05", 4, "letter", "none", None),
    ]
    history = dunning_history(
        _reminders(rows), pd.Timestamp("2025-12-01"), SCENARIO, MAPPING, public_invoices=["I5"]
    )
    assert history.loc["I3", "promise_to_pay_until"] == pd.Timestamp("2025-11-15")
    assert history.loc["I4", "dispute_raised_on"] == pd.Timestamp("2025-10-05")
    # a public buyer's letter with penalties counts as the reminder to the public accountant
    assert history.loc["I5", "last_step_done"] == SCENARIO.step_number(
        "public_accountant_reminder", True
    )


def test_mapping_rules_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"rules\[0\]: unknown fields \['chanel'\]"):
        history_mapping_from_mapping({"rules": [{"chanel": "email", "step": "x"}]})
    bad = history_mapping_from_mapping({"rules": [{"channel": "fax", "step": "fax_reminder"}]})
    with pytest.raises(ConfigError, match="fax_reminder"):
        bad.check_steps(SCENARIO)
    MAPPING.check_steps(SCENARIO)  # the packaged mapping names real steps
