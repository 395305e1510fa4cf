"""The worklist shows the payment-timing model's expected loss: open amount x P(lost), lost
meaning written off or frozen by a collective proceeding (``risk.timing.outcomes``), in the
invoice rows, the customer actions, the exports (English and French headers) and the terminal
table of ``risk worklist``."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from rich.console import Console
from tiny import TABLES

from risk import registry
from risk.cli.decisions import worklist_table
from risk.decisions.export import export_frame
from risk.decisions.ranking import customer_actions
from risk.decisions.worklist import DecisionConfig, decide_rows
from risk.scoring import Scorer
from risk.timing.hazard import outcomes
from risk.timing.predict import p_lost
from risk.timing.snapshots import snapshot_features
from risk.validation import validate_tables

AS_OF = pd.Timestamp("2024-02-20")
#: open amounts at AS_OF, by hand from the tiny ledger (payments and credit notes dated before
#: it): I1 1000 - 400 (P1, 01-20) - 100 (credit note N1, 02-05); I3 800, nothing received;
#: I2 was paid in full on 01-29
OPEN = {"I1": 500.0, "I3": 800.0}


def full_tiny_ledger():  # type: ignore[no-untyped-def]
    """The tiny ledger of ``tiny.py`` with every table and column the trained model reads
    (company data, legal events, e-invoicing statuses, credit limits)."""
    tables = dict(TABLES)
    header = (
        "customer_id,name,siren,country,naf_code,legal_form,created_on,employees,"
        "payment_terms_days,end_of_month_terms,credit_limit,group_id\n"
    )
    tables["customers"] = (
        header
        + """C1,Garage Un,838678282,FR,47.11F,SARL,2008-05-24,12,30,false,5000.00,
C2,Bati Deux,552100554,FR,43.21A,SAS,2015-03-01,40,45,false,8000.00,
"""
    )
    tables["legal_events"] = """customer_id,published_on,kind,source
C2,2023-06-01,director_change,BODACC
"""
    tables["invoice_statuses"] = """invoice_id,status,status_on,reason
I2,submitted,2024-01-15,
I3,submitted,2024-02-01,
I3,approved,2024-02-05,
"""
    tables["credit_limits"] = """customer_id,credit_limit,valid_from
C1,5000.00,2023-12-01
C2,8000.00,2023-12-01
"""
    raw = {name: pd.read_csv(io.StringIO(text), dtype=str) for name, text in tables.items()}
    result = validate_tables(raw)
    assert result.n_quarantined == 0, result
    return result.ledger


@pytest.fixture(scope="module")
def rows(trained_timing, timing_store):  # type: ignore[no-untyped-def]
    model = registry.load_model(timing_store, "timing")
    scorer = Scorer(customer_model=None, invoice_model=None, timing_model=model)  # type: ignore[arg-type]
    ledger = full_tiny_ledger()
    items = scorer.score_invoices(ledger, AS_OF, explain=False).assign(grade="C")
    decided = decide_rows(ledger, AS_OF, items, DecisionConfig()).set_index("invoice_id")
    # P(lost) of each open invoice from the model's weekly outcomes on its snapshot row
    queries = pd.DataFrame({"invoice_id": list(OPEN), "as_of": AS_OF})
    q, lost = outcomes(model, snapshot_features(ledger, queries))
    return decided, dict(zip(OPEN, p_lost(q, lost), strict=True))


def test_expected_loss_is_open_amount_times_p_lost(rows) -> None:  # type: ignore[no-untyped-def]
    decided, lost = rows
    assert sorted(decided.index) == sorted(OPEN)
    for invoice, amount in OPEN.items():
        assert decided.loc[invoice, "open_amount"] == pytest.approx(amount)
        assert 0.0 < lost[invoice] < 1.0
        assert decided.loc[invoice, "p_lost"] == pytest.approx(lost[invoice])
        assert decided.loc[invoice, "expected_loss"] == pytest.approx(amount * lost[invoice])


def test_customer_actions_export_and_terminal_show_it(rows) -> None:  # type: ignore[no-untyped-def]
    decided, lost = rows
    worklist = decided.reset_index()
    actions = customer_actions(worklist).set_index("customer_id")
    assert actions.loc["C1", "total_expected_loss"] == pytest.approx(500.0 * lost["I1"])
    assert actions.loc["C2", "total_expected_loss"] == pytest.approx(800.0 * lost["I3"])
    english = export_frame(worklist, "en").set_index("invoice_id")
    assert english.loc["I3", "expected_loss"] == pytest.approx(800.0 * lost["I3"], abs=0.005)
    french = export_frame(worklist, "fr").set_index("facture")
    assert french.loc["I1", "perte attendue"] == pytest.approx(500.0 * lost["I1"], abs=0.005)
    assert "total perte attendue" in export_frame(actions.reset_index(), "fr", per_customer=True)
    for lang, header in (("en", "expected loss"), ("fr", "perte attendue")):
        console = Console(width=250, record=True)
        console.print(worklist_table(worklist.assign(why_en="", why_fr=""), lang))
        text = console.export_text()
        assert header in text and f"{500.0 * lost['I1']:,.2f}" in text


def test_without_a_timing_model_the_column_is_empty() -> None:
    worklist = pd.DataFrame(
        {"rank": [1], "customer_id": ["C1"], "customer_name": [""], "invoice_id": ["I1"],
         "open_amount": [500.0], "days_past_due": [20], "action_en": ["call"],
         "action_date": [AS_OF], "why_en": [""], "as_of": [AS_OF], "expected_loss": [float("nan")]}
    )  # fmt: skip
    console = Console(width=250, record=True)
    console.print(worklist_table(worklist))
    line = next(row for row in console.export_text().splitlines() if "I1" in row)
    assert "500.00" in line and " - " in line
