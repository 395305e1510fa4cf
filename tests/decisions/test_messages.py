"""Reminder messages: amounts, dates and legal mentions in French and English."""

from __future__ import annotations

from datetime import date

import pytest

from risk.decisions.dunning import InvoiceState, load_dunning_scenario, next_action
from risk.decisions.messages import format_amount, format_date, format_rate, render_message
from risk.decisions.penalties import late_payment_amounts
from risk.decisions.rates import load_rate_table
from risk.errors import ConfigError

NBSP = "\u00a0"  # French amounts use no-break spaces: "10 405,85 €"
AS_OF = date(2024, 8, 30)
# EUR 10,000 due 2024-05-31 as of 2024-08-30: interest 119.18 + 238.15 = 357.33, + 40 = 397.33
# (see test_penalties.py); total due 10,397.33.
INVOICE = InvoiceState("F-2024-001", "C1", date(2024, 5, 31), 10_000.0, "C", last_step_done=5)


def _render(lang: str, state: InvoiceState = INVOICE) -> str:
    action = next_action(state, load_dunning_scenario(), AS_OF)
    opened = state.proceeding_published_on if state.in_proceeding else None
    amounts = late_payment_amounts(
        state.open_amount, state.due_on, AS_OF, load_rate_table(), proceeding_opened_on=opened
    )
    return render_message(action, state, amounts, lang, company="Acme SAS")


def test_formats() -> None:
    assert format_amount(1234.56, "fr") == f"1{NBSP}234,56{NBSP}€"
    assert format_amount(1234.56, "en") == "EUR 1,234.56"
    assert format_amount(0.005, "en") == "EUR 0.01"  # half up
    assert format_date(date(2025, 3, 15), "fr") == "15/03/2025"
    assert format_date(date(2025, 3, 15), "en") == "15 March 2025"
    assert format_rate(0.1476, "fr") == f"14,76{NBSP}%"
    with pytest.raises(ValueError, match="language"):
        format_amount(1.0, "de")


def test_formal_notice_in_french() -> None:
    text = _render("fr")
    assert text.startswith("Objet : Mise en demeure de payer – facture F-2024-001")
    for expected in (
        f"10{NBSP}000,00{NBSP}€",  # principal
        f"357,33{NBSP}€",  # interest
        f"40,00{NBSP}€",  # indemnity
        f"10{NBSP}397,33{NBSP}€",  # total due
        "échue le 31/05/2024",
        "91 jours de retard",
        f"du 01/07/2024 au 30/08/2024 : 61 jours au taux annuel de 14,25{NBSP}%",
        "article L441-10 du Code de commerce",
        "article D441-5 du Code de commerce",
        "indemnité forfaitaire pour frais de recouvrement de 40 €",
        "Acme SAS",
    ):
        assert expected in text, expected


def test_formal_notice_in_english() -> None:
    text = _render("en")
    for expected in (
        "EUR 10,000.00",
        "EUR 357.33",
        "EUR 40.00",
        "EUR 10,397.33",
        "due on 31 May 2024",
        "1 July 2024 to 30 August 2024: 61 days at an annual rate of 14.25% = EUR 238.15",
        "article L441-10",
        "article D441-5",
        "flat recovery indemnity of EUR 40",
    ):
        assert expected in text, expected


def test_declare_claim_is_an_internal_note() -> None:
    state = InvoiceState(
        "F-2024-001", "C1", date(2024, 5, 31), 10_000.0, "C",
        in_proceeding=True, proceeding_published_on=date(2024, 7, 15),
    )  # fmt: skip
    fr, en = _render("fr", state), _render("en", state)
    assert fr.startswith("Note interne – déclaration de créance")
    assert "au plus tard le 15/09/2024" in fr and "Madame, Monsieur" not in fr
    assert en.startswith("Internal note – proof of claim")
    assert "by 15 September 2024" in en


def test_every_step_and_special_action_has_both_templates() -> None:
    scenario = load_dunning_scenario()
    codes = {step.code for step in scenario.steps} | set(scenario.special)
    codes.add(scenario.key_account.code)
    amounts = late_payment_amounts(10_000.0, INVOICE.due_on, AS_OF, load_rate_table())
    base = next_action(INVOICE, scenario, AS_OF)
    for code in sorted(codes):
        for lang in ("fr", "en"):
            action = type(base)(**(vars(base) | {"code": code}))
            assert "F-2024-001" in render_message(action, INVOICE, amounts, lang)


def test_missing_template_is_a_config_error() -> None:
    amounts = late_payment_amounts(10_000.0, INVOICE.due_on, AS_OF, load_rate_table())
    action = next_action(INVOICE, load_dunning_scenario(), AS_OF)
    unknown = type(action)(**(vars(action) | {"code": "carrier_pigeon"}))
    with pytest.raises(ConfigError, match="carrier_pigeon"):
        render_message(unknown, INVOICE, amounts, "fr")
