"""Letters and statements: every letter in both languages for a private and a public buyer,
statements reconciled by hand, exports in the French convention."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from risk.decisions.creditor import load_creditor
from risk.decisions.export import export_frame, write_csv, write_excel
from risk.decisions.letters import (
    LETTER_KINDS,
    letter_context,
    render_letter,
    render_statement,
    write_letters,
)
from risk.decisions.scenario import load_dunning_scenario
from risk.decisions.statements import customer_statement, write_statement_excel
from risk.io import load_ledger

NBSP = "\u00a0"
CREDITOR = load_creditor()
SCENARIO = load_dunning_scenario()
PUBLIC_CODES = {step.code for step in SCENARIO.public_steps} & set(LETTER_KINDS)
PRIVATE_CODES = set(LETTER_KINDS) - PUBLIC_CODES
DEBTOR = {
    "customer_id": "C9", "name": "Ville de Testbourg", "address": "1 place de la Mairie",
    "postcode": "01000", "city": "Bourg", "country": "FR", "email": "", "contact": "",
    "siren": "",
}  # fmt: skip
#: English words that must never appear in a French letter, and the reverse.
ENGLISH = ("Invoice", "Dear", "Subject", "EUR ", "Total amount", "Due date", "Yours", "interest")
FRENCH = ("Madame", "Facture", "Objet", "€", "Échéance", "pénalités")


def _rows(code: str) -> pd.DataFrame:
    # two invoices: 1,200.00 net (1,500 - 300 credit note), 20 days late, interest 8.33;
    # 450.50, 5 days late, interest 0.75; EUR 40 each
    return pd.DataFrame(
        {
            "invoice_id": ["F-001", "F-002"],
            "customer_id": "C9",
            "due_on": pd.to_datetime(["2025-11-30", "2025-12-15"]),
            "days_past_due": [20, 5],
            "open_amount": [1200.00, 450.50],
            "interest": [8.33, 0.75],
            "indemnity": [40.0, 40.0],
            "action": code,
            "deadline": pd.NaT,
        }
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    ("public", "code"),
    [(False, c) for c in sorted(PRIVATE_CODES)] + [(True, c) for c in sorted(PUBLIC_CODES)],
)
def test_every_letter_renders_in_both_languages(lang: str, public: bool, code: str) -> None:
    debtor = DEBTOR | ({} if public else {"name": "Garage Dupont SARL", "contact": "M. Dupont"})
    html = render_letter(letter_context(_rows(code), debtor, CREDITOR, date(2025, 12, 20), lang))
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    money = (lambda v: f"{v}{NBSP}€") if lang == "fr" else (lambda v: f"EUR {v}")
    # creditor, debtor, place and date, invoices with their net amounts and penalties
    for expected in (CREDITOR.name, CREDITOR.siren, CREDITOR.signatory_name,
                     "1 place de la Mairie", "01000 Bourg", "F-001", "F-002"):  # fmt: skip
        assert expected in text, expected
    assert ("Lyon, le 20/12/2025" if lang == "fr" else "Lyon, 20 December 2025") in text
    first = "1" + (NBSP if lang == "fr" else ",") + ("200,00" if lang == "fr" else "200.00")
    assert money(first) in text
    assert money("8,33" if lang == "fr" else "8.33") in text
    assert money("40,00" if lang == "fr" else "40.00") in text
    # total due: 1,200.00 + 450.50 + 8.33 + 0.75 + 80 = 1,739.58
    assert money("1" + (NBSP + "739,58" if lang == "fr" else ",739.58")) in text
    for word in ENGLISH if lang == "fr" else FRENCH:
        assert word not in text, (code, word)
    if public:
        assert "R2192-31" in text or code == "public_reminder"
        assert "L441-10" not in text and "injonction" not in text.lower()
    elif code in ("letter_with_penalties", "formal_notice"):
        assert "L441-10" in text and "D441-5" in text


def test_no_french_penalties_in_letters_to_other_countries() -> None:
    debtor = DEBTOR | {"country": "DE", "name": "Müller GmbH"}
    html = render_letter(
        letter_context(_rows("formal_notice"), debtor, CREDITOR, date(2025, 12, 20), "fr")
    )
    assert "L441-10" not in html and "Pénalités de retard" not in html


def test_write_letters_one_per_customer_and_due_letter_action(tmp_path: Path) -> None:
    rows = pd.concat([_rows("formal_notice"), _rows("phone_call").assign(customer_id="C8")])
    rows = rows.assign(rank=range(1, 5), action_date=pd.Timestamp("2025-12-20"))
    customers = pd.DataFrame({"customer_id": ["C9", "C8"], "name": ["Alpha", "Beta"]})
    written = write_letters(rows, customers, CREDITOR, date(2025, 12, 20), tmp_path, "fr")
    assert [p.name for p in written] == ["C9_formal_notice_fr.html"]  # a phone call is no letter


STATEMENT_INVOICES = """\
invoice_id,customer_id,issued_on,due_on,amount,paid_on,amount_paid,disputed,channel
A1,C1,2025-01-10,2025-02-09,1000.00,2025-02-20,900.00,false,electronic
A2,C1,2025-03-01,2025-03-31,500.00,,0.00,false,electronic
A3,C1,2025-04-01,2025-05-01,800.00,,0.00,false,electronic
"""


def test_statement_reconciles_by_hand(write_ledger, tmp_path: Path) -> None:
    # A1: 1,000 - credit note 100 - paid 900 = 0; A2: 500 - paid 200 = 300; A3: 800 open;
    # an unallocated credit note of 50. Balance = 2,300 - 100 - 50 - 900 - 200 = 1,050
    # = open items (300 + 800) - unallocated credits (50).
    ledger = load_ledger(
        write_ledger(
            invoices=STATEMENT_INVOICES,
            payments=(
                "payment_id,invoice_id,paid_on,amount\n"
                "P1,A1,2025-02-20,900.00\nP2,A2,2025-04-10,200.00\n"
            ),
            credit_notes=(
                "credit_note_id,customer_id,invoice_id,issued_on,amount\n"
                "N1,C1,A1,2025-01-20,100.00\nN2,C1,,2025-04-15,50.00\n"
            ),
        )
    )
    statement = customer_statement(ledger, "C1", pd.Timestamp("2025-06-01"))
    assert statement.entries["kind"].tolist() == [
        "invoice", "credit_note", "payment", "invoice", "invoice", "payment", "credit_note",
    ]  # fmt: skip
    assert statement.balance == 1050.0
    assert (statement.open_total, statement.unallocated_credits) == (1100.0, 50.0)
    assert statement.reconciles and statement.difference == 0.0
    html = render_statement(statement, DEBTOR | {"name": "Alpha SAS"}, CREDITOR, "fr")
    assert "Relevé de compte au 01/06/2025" in html and f"1{NBSP}050,00{NBSP}€" in html
    assert "concordant" in html
    path = write_statement_excel(statement, tmp_path / "s.xlsx", "fr")
    sheet = openpyxl.load_workbook(path)["écritures"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    debit = next(c for c in sheet[1] if c.value == "débit").column_letter
    assert "€" in sheet[f"{debit}2"].number_format
    assert sheet["B2"].value == "facture"  # kinds in French


def test_french_exports_csv_dialect_and_excel(tmp_path: Path) -> None:
    worklist = pd.DataFrame(
        {
            "rank": [1], "priority": ["due now"], "customer_id": ["C1"],
            "customer_name": ["Alpha SAS"], "invoice_id": ["F-001"], "grade": ["C"],
            "open_amount": [1234.5], "due_on": pd.to_datetime(["2025-11-30"]),
            "days_past_due": [31], "action_en": ["Phone call"],
            "action_fr": ["Relance téléphonique"], "action_date": pd.to_datetime(["2025-12-31"]),
            "deadline": pd.NaT, "channel": ["phone"], "owner": ["collector"],
            "interest": [10.5], "indemnity": [40.0], "claim_amount": [float("nan")],
            "expected_at_risk": [617.25], "probability": [0.5], "why_en": ["late payer"],
            "why_fr": ["paie en retard"], "action_reason": ["x"], "penalty_note": [""],
            "broken_promise": [True], "disputed": [False], "key_account": [False],
            "public_buyer": [False], "as_of": pd.to_datetime(["2025-12-31"]),
            "model_versions": ["v1"],
        }
    )  # fmt: skip
    frame = export_frame(worklist, "fr")
    assert {"client", "reste dû (net)", "échéance", "pourquoi (risque client)"} <= set(frame)
    assert frame.loc[0, "action"] == "Relance téléphonique" and frame.loc[0, "canal"] == "téléphone"
    assert frame.loc[0, "promesse non tenue"] == "oui"
    path = write_csv(frame, tmp_path / "w.csv", "fr")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    header, row = raw.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("rang;priorité;code client;client;")
    assert ";1234,5;" in row and ";30/11/2025;" in row
    book = openpyxl.load_workbook(write_excel(frame, tmp_path / "w.xlsx", "fr"))
    sheet = book["worklist"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
    headers = {c.value: c.column_letter for c in sheet[1]}
    assert "€" in sheet[f"{headers['reste dû (net)']}2"].number_format
    assert sheet[f"{headers['probabilité de retard']}2"].number_format == "0.0%"
    assert sheet[f"{headers['échéance']}2"].number_format == "dd/mm/yyyy"
