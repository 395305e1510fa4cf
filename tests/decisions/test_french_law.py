"""French late-payment and insolvency rules recomputed by hand, each case citing its article.

Every expected amount is computed here from the rule as written: simple interest on a 365-day
year, ``amount x rate x days / 365`` rounded half up to the cent, per half-year segment for
private buyers. The rates are typed in from their publications (not read from the code):

* ECB main refinancing rate (European Central Bank, "Key ECB interest rates"): 4.00 % from
  2023-06-21, 4.50 % from 2023-09-20, 4.25 % from 2024-06-12, 3.15 % from 2024-12-18, 2.15 %
  from 2025-06-11 (still in force on 1 January 2026).
* Legal interest rate, "tous les autres cas" (half-yearly arrêtés, Journal officiel): 2019 H1
  0.86 % (arrêté du 21 décembre 2018), 2023 H2 4.22 % (arrêté du 27 juin 2023), 2024 H1 5.07 %
  (arrêté du 21 décembre 2023), 2024 H2 4.92 %.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from risk.decisions.dunning import InvoiceState, load_dunning_scenario, next_action
from risk.decisions.penalties import late_payment_amounts, late_payment_frame
from risk.decisions.rates import load_rate_table
from risk.io import load_ledger
from risk.portfolio import open_amounts

TABLE = load_rate_table()
SCENARIO = load_dunning_scenario()
INDEMNITY = 40.0  # Code de commerce D441-5; Code de la commande publique R2192-32


def interest(amount: str, rate_percent: str, days: int) -> float:
    """Simple interest on a 365-day year, rounded half up to the cent."""
    value = Decimal(amount) * Decimal(rate_percent) / 100 * days / 365
    return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_l441_10_default_rate_uses_the_ecb_rate_of_each_half_year() -> None:
    # Code de commerce L441-10: ECB rate of 1 July for H2, of 1 January for H1, + 10 points.
    # EUR 5,000 due 2023-11-30, as of 2024-02-29.
    # 2023 H2: 1-31 Dec = 31 days at 4.00 + 10 = 14.00 % (ECB on 1 July 2023: 4.00)
    # 2024 H1: 1 Jan-29 Feb = 31 + 29 = 60 days at 4.50 + 10 = 14.50 %
    expected = interest("5000", "14.00", 31) + interest("5000", "14.50", 60)
    got = late_payment_amounts(5000.0, date(2023, 11, 30), date(2024, 2, 29), TABLE)
    assert got.interest == pytest.approx(expected, abs=1e-9)
    assert [s.days for s in got.segments] == [31, 60]
    assert got.indemnity == INDEMNITY  # D441-5


def test_l441_10_the_legal_rate_floor_never_raises_the_default_rate() -> None:
    # L441-10: the 3 x legal rate floor limits a contractual rate only. 2024 H2: ECB on
    # 1 July 2024 = 4.25 -> 14.25 % (not 3 x 4.92 = 14.76 %). EUR 1,000 due 2024-06-30, as of
    # 2024-12-31: 184 days.
    got = late_payment_amounts(1000.0, date(2024, 6, 30), date(2024, 12, 31), TABLE)
    assert got.segments[0].annual_rate == pytest.approx(0.1425)
    assert got.interest == interest("1000", "14.25", 184)


def test_l441_10_contractual_rate_below_three_times_the_2024_h1_legal_rate() -> None:
    # L441-10: a contractual rate may not be below 3 x the legal rate: 2024 H1 legal rate 5.07
    # (arrêté du 21 décembre 2023) -> floor 15.21 %. EUR 2,000 due 2024-01-31 at a contractual
    # 5 %, as of 2024-03-31: 29 + 31 = 60 days.
    got = late_payment_amounts(2000.0, date(2024, 1, 31), date(2024, 3, 31), TABLE, 0.05)
    assert got.segments[0].basis == "legal_floor"
    assert got.interest == interest("2000", "15.21", 60)


def test_l441_10_contractual_rate_floor_in_2023_h2_and_2019_h1() -> None:
    # 2023 H2 legal rate 4.22 (arrêté du 27 juin 2023) -> floor 12.66 %; contractual 10 %.
    # EUR 3,000 due 2023-08-31, as of 2023-10-30: 30 + 30 = 60 days.
    h2 = late_payment_amounts(3000.0, date(2023, 8, 31), date(2023, 10, 30), TABLE, 0.10)
    assert h2.interest == interest("3000", "12.66", 60)
    # 2019 H1 legal rate 0.86 (arrêté du 21 décembre 2018) -> floor 2.58 %; contractual 2 %.
    # EUR 10,000 due 2019-03-31, as of 2019-04-30: 30 days.
    h1 = late_payment_amounts(10_000.0, date(2019, 3, 31), date(2019, 4, 30), TABLE, 0.02)
    assert h1.interest == interest("10000", "2.58", 30)
    # a contractual rate above the floor is kept: 12 % in 2019 H1
    kept = late_payment_amounts(10_000.0, date(2019, 3, 31), date(2019, 4, 30), TABLE, 0.12)
    assert kept.interest == interest("10000", "12.00", 30)


def test_d441_5_one_indemnity_per_late_invoice() -> None:
    # D441-5: EUR 40 per invoice paid late, whatever its amount; none before the due date.
    invoices = pd.DataFrame(
        {
            "open_amount": [10.0, 5000.0, 800.0, 900.0],
            "due_on": pd.to_datetime(["2025-01-31", "2025-02-28", "2025-03-15", "2025-04-30"]),
        }
    )
    out = late_payment_frame(invoices, date(2025, 4, 1), TABLE)
    assert out["indemnity"].sum() == 3 * INDEMNITY


def test_r2192_31_public_buyer_rate_of_the_half_year_interest_started_for_the_whole_period():
    # Code de la commande publique R2192-31: ECB rate in force on the first day of the
    # half-year in which interest started + 8 points, for the whole period. Interest starts on
    # 2024-05-16 (2024 H1): ECB on 1 January 2024 = 4.50 -> 12.50 % until 2024-09-12, although
    # the ECB rate was 4.25 on 1 July. Days: 16 (May) + 30 + 31 + 31 + 12 = 120.
    got = late_payment_amounts(
        3000.0, date(2024, 5, 15), date(2024, 9, 12), TABLE, public_buyer=True
    )
    assert [(s.days, s.annual_rate) for s in got.segments] == [(120, pytest.approx(0.125))]
    assert got.interest == interest("3000", "12.50", 120)
    assert got.indemnity == INDEMNITY  # R2192-32
    private = late_payment_amounts(3000.0, date(2024, 5, 15), date(2024, 9, 12), TABLE)
    assert private.interest == interest("3000", "14.50", 46) + interest("3000", "14.25", 74)


def test_l622_28_interest_stops_at_the_opening_judgment_claim_is_principal_interest_and_40():
    # L622-28: the opening judgment stops interest. EUR 8,000 due 2025-03-31, opening
    # 2025-06-10, as of 2025-12-31: 30 (Apr) + 31 (May) + 10 (Jun) = 71 days at the 2025 H1
    # rate, ECB on 1 January 2025 = 3.15 -> 13.15 %. Claim = principal + interest + EUR 40.
    got = late_payment_amounts(
        8000.0, date(2025, 3, 31), date(2025, 12, 31), TABLE, proceeding_opened_on=date(2025, 6, 10)
    )
    expected = interest("8000", "13.15", 71)
    assert got.interest == expected
    assert 8000.0 + got.interest + got.indemnity == pytest.approx(8000.0 + expected + 40.0)


def test_l622_17_claim_born_after_the_opening_is_not_declared_and_bears_interest() -> None:
    # L622-17: an invoice for a supply after the opening judgment is paid at its due date, not
    # declared; its interest is not stopped by L622-28.
    state = InvoiceState(
        "I-POST", "C1", date(2025, 9, 30), 1000.0, "C",
        in_proceeding=True, proceeding_published_on=date(2025, 7, 28),
        proceeding_opened_on=date(2025, 7, 28), issued_on=date(2025, 8, 31),
    )  # fmt: skip
    action = next_action(state, SCENARIO, date(2025, 10, 30))
    assert action.code == "post_opening_claim" and action.deadline is None
    # 30 days at 2.15 + 10 = 12.15 % (2025 H2)
    got = late_payment_amounts(1000.0, date(2025, 9, 30), date(2025, 10, 30), TABLE)
    assert got.interest == interest("1000", "12.15", 30)


def test_l622_24_r622_24_declaration_within_two_months_of_the_bodacc_publication() -> None:
    # R622-24: 2 months from the BODACC publication (here 2025-11-26 -> 2026-01-26).
    state = InvoiceState(
        "I-PRE", "C1", date(2025, 10, 31), 1000.0, "C", in_proceeding=True,
        proceeding_published_on=date(2025, 11, 26), issued_on=date(2025, 10, 1),
    )  # fmt: skip
    action = next_action(state, SCENARIO, date(2025, 12, 31))
    assert (action.code, action.deadline) == ("declare_claim", date(2026, 1, 26))
    on_deadline = next_action(state, SCENARIO, date(2026, 1, 26))
    assert on_deadline.code == "declare_claim"


def test_l622_26_relief_from_foreclosure_only_within_six_months_of_the_publication() -> None:
    # L622-26: relevé de forclusion within 6 months of the publication (2025-07-28 ->
    # 2026-01-28); after that, no relief is advised.
    state = InvoiceState(
        "I-OLD", "C1", date(2025, 6, 1), 1000.0, "C", in_proceeding=True,
        proceeding_published_on=date(2025, 7, 28), issued_on=date(2025, 4, 1),
    )  # fmt: skip
    within = next_action(state, SCENARIO, date(2025, 12, 31))
    assert (within.code, within.deadline) == ("request_relief", date(2026, 1, 28))
    after = next_action(state, SCENARIO, date(2026, 1, 29))
    assert after.code == "claim_foreclosed"


INVOICES = """\
invoice_id,customer_id,issued_on,due_on,amount,paid_on,amount_paid,disputed,channel
P1,C1,2025-07-01,2025-08-31,6000.00,,0.00,false,electronic
N1,C2,2025-10-28,2025-12-27,3137.45,,0.00,false,electronic
"""


def test_partial_payment_and_credit_note_penalties_on_the_net_amount(write_ledger) -> None:
    # L441-10 applies to the sum unpaid: 6,000 - 5,400 received = 600; 3,137.45 - credit note
    # 977.96 = 2,159.49 (the sample's INV00016021).
    ledger = load_ledger(
        write_ledger(
            invoices=INVOICES,
            payments="payment_id,invoice_id,paid_on,amount\nPAY1,P1,2025-09-10,5400.00\n",
            credit_notes=(
                "credit_note_id,customer_id,invoice_id,issued_on,amount\n"
                "CN1,C2,N1,2025-11-16,977.96\n"
            ),
        )
    )
    as_of = pd.Timestamp("2026-01-26")
    items = open_amounts(ledger, as_of).set_index("invoice_id")
    assert items.loc["P1", "open_amount"] == pytest.approx(600.0)
    assert items.loc["N1", "open_amount"] == pytest.approx(2159.49)
    out = late_payment_frame(items.reset_index(), as_of.date(), TABLE).set_index("invoice_id")
    # P1: 2025 H2, 1 Sep-31 Dec = 122 days at 12.15 %; 2026 H1, 1-26 Jan = 26 days at 12.15 %
    # (ECB 2.15 on both 1 July 2025 and 1 January 2026). Before the 5,400 payment of
    # 10 September the whole 6,000 was late, but the interest at this date is on what is open.
    p1 = interest("600", "12.15", 122) + interest("600", "12.15", 26)
    # N1: 28-31 Dec = 4 days, then 26 days, on 2,159.49
    n1 = interest("2159.49", "12.15", 4) + interest("2159.49", "12.15", 26)
    assert out.loc["P1", "interest"] == pytest.approx(p1, abs=1e-9)
    assert out.loc["N1", "interest"] == pytest.approx(n1, abs=1e-9)


def test_a_missing_rate_empties_only_its_own_rows_interest() -> None:
    # rates.yaml is complete to 2026-06-30: an invoice whose late period reaches 2026 H2 gets
    # no interest and a note; the others are computed; the EUR 40 needs no rate.
    invoices = pd.DataFrame(
        {
            "open_amount": [1000.0, 1000.0],
            "due_on": pd.to_datetime(["2026-06-15", "2026-07-02"]),
            "public_buyer": [False, True],
        }
    )
    out = late_payment_frame(invoices, date(2026, 7, 15), TABLE)
    assert pd.isna(out.loc[0, "interest"]) and "2026 H2" in out.loc[0, "penalty_note"]
    assert out.loc[0, "indemnity"] == INDEMNITY
    # the public buyer's rate is fixed by the half-year its interest started (2026 H2): missing
    assert pd.isna(out.loc[1, "interest"])
    ok = late_payment_frame(invoices.iloc[:1], date(2026, 6, 30), TABLE)
    assert ok.loc[0, "interest"] == interest("1000", "12.15", 15)
