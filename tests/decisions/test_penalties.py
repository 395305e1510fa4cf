"""French late-payment amounts on tiny cases checkable by hand (rates from rates.yaml)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from risk.decisions.penalties import (
    late_payment_amounts,
    late_payment_frame,
    terms_within_legal_limit,
)
from risk.decisions.rates import RateTable, load_rate_table, rate_table_from_mapping
from risk.errors import ConfigError


@pytest.fixture(scope="module")
def table() -> RateTable:
    return load_rate_table()


def test_period_crossing_1_july_uses_both_half_year_rates(table: RateTable) -> None:
    # EUR 10,000 due 2024-05-31, as of 2024-08-30: 91 days late (L441-10).
    # H1 2024: 1-30 June = 30 days; ECB on 1 Jan 2024 = 4.50 -> 14.50 %
    #   10000 x 0.1450 x 30 / 365 = 119.178 -> 119.18
    # H2 2024: 1 July-30 Aug = 61 days; ECB on 1 July 2024 = 4.25 -> 14.25 % (the 3 x legal
    #   floor, 14.76 %, limits contractual rates only): 10000 x 0.1425 x 61 / 365 = 238.150
    amounts = late_payment_amounts(10_000.0, date(2024, 5, 31), date(2024, 8, 30), table)
    first, second = amounts.segments
    assert (first.start, first.end, first.days) == (date(2024, 6, 1), date(2024, 6, 30), 30)
    assert (first.annual_rate, first.interest, first.basis) == (0.145, 119.18, "ecb_plus_10")
    assert (second.start, second.end, second.days) == (date(2024, 7, 1), date(2024, 8, 30), 61)
    assert (second.annual_rate, second.interest, second.basis) == (0.1425, 238.15, "ecb_plus_10")
    assert amounts.days_late == 91
    assert amounts.interest == 357.33  # 119.18 + 238.15
    assert amounts.indemnity == 40.0
    assert amounts.total == 397.33


def test_statutory_rate_when_above_the_floor(table: RateTable) -> None:
    # 2025 H1: ECB on 1 Jan 2025 = 3.15 -> 13.15 % > 3 x 3.71 = 11.13 %.
    # EUR 1,000 due 2025-01-31, as of 2025-03-02: 28 (Feb) + 2 = 30 days.
    # 1000 x 0.1315 x 30 / 365 = 10.808 -> 10.81
    amounts = late_payment_amounts(1000.0, date(2025, 1, 31), date(2025, 3, 2), table)
    assert amounts.interest == 10.81
    assert amounts.segments[0].basis == "ecb_plus_10"


def _table(ecb_percent: float, legal_percent: float) -> RateTable:
    return rate_table_from_mapping(
        {
            "valid_until": date(2025, 6, 30),
            "ecb_main_refinancing_rate": [
                {"effective_on": "2020-01-01", "rate_percent": ecb_percent}
            ],
            "legal_interest_rate_professionals": [
                {"year": 2025, "half": 1, "rate_percent": legal_percent}
            ],
        }
    )


def test_default_rate_is_never_floored_but_a_contractual_rate_is() -> None:
    # ECB 1.00 + 10 = 11 % < 3 x 4.00 = 12 %: the default rate stays 11 % (L441-10 floors
    # a contractual rate only). EUR 1,000 due 2025-01-31, as of 2025-03-02: 30 days.
    # default: 1000 x 0.11 x 30 / 365 = 9.041 -> 9.04; contractual 10 %: floored to 12 %,
    # 1000 x 0.12 x 30 / 365 = 9.863 -> 9.86
    args = (1000.0, date(2025, 1, 31), date(2025, 3, 2), _table(1.0, 4.0))
    default = late_payment_amounts(*args)
    assert (default.segments[0].annual_rate, default.segments[0].basis) == (0.11, "ecb_plus_10")
    assert default.interest == 9.04
    floored = late_payment_amounts(*args, contractual_rate=0.10)
    assert (floored.segments[0].annual_rate, floored.segments[0].basis) == (0.12, "legal_floor")
    assert floored.interest == 9.86


def test_contractual_rate_overrides_and_is_floored(table: RateTable) -> None:
    # 2025 H2 floor: 3 x 2.76 = 8.28 %. EUR 1,000 due 2025-07-31, as of 2025-09-29: 31 + 29 = 60.
    # contractual 12 %: 1000 x 0.12 x 60 / 365 = 19.726 -> 19.73
    high = late_payment_amounts(1000.0, date(2025, 7, 31), date(2025, 9, 29), table, 0.12)
    assert (high.interest, high.segments[0].basis) == (19.73, "contractual")
    # contractual 5 % is below the floor: 1000 x 0.0828 x 60 / 365 = 13.611 -> 13.61
    low = late_payment_amounts(1000.0, date(2025, 7, 31), date(2025, 9, 29), table, 0.05)
    assert (low.interest, low.segments[0].basis) == (13.61, "legal_floor")
    with pytest.raises(ValueError, match="fraction"):
        late_payment_amounts(1000.0, date(2025, 7, 31), date(2025, 9, 29), table, 12.0)


def test_opening_judgment_stops_interest(table: RateTable) -> None:
    args = (1000.0, date(2025, 7, 31), date(2025, 9, 29), table)
    # the opening judgment of 2025-08-10 stops interest (L622-28): 10 days at 12.15 %,
    # 1000 x 0.1215 x 10 / 365 = 3.328 -> 3.33; late before the opening: EUR 40 owed
    stopped = late_payment_amounts(*args, proceeding_opened_on=date(2025, 8, 10))
    assert (stopped.interest, stopped.indemnity, stopped.days_late) == (3.33, 40.0, 60)
    # opened before the due date: no interest, no indemnity
    before = late_payment_amounts(*args, proceeding_opened_on=date(2025, 7, 20))
    assert (before.interest, before.indemnity) == (0.0, 0.0)


def test_not_yet_due_owes_nothing(table: RateTable) -> None:
    amounts = late_payment_amounts(1000.0, date(2025, 9, 30), date(2025, 9, 30), table)
    assert (amounts.days_late, amounts.total, amounts.segments) == (0, 0.0, ())


def test_dates_outside_the_table_give_a_note_not_an_error(table: RateTable) -> None:
    late = late_payment_amounts(1000.0, date(2026, 6, 15), date(2026, 8, 1), table)
    assert pd.isna(late.interest) and late.indemnity == 40.0
    assert "2026 H2" in late.note and "2026-06-30" in late.note
    early = late_payment_amounts(1000.0, date(2018, 6, 30), date(2019, 1, 10), table)
    assert pd.isna(early.interest) and "2018 H2" in early.note


def test_frame_matches_the_scalar_function(table: RateTable) -> None:
    invoices = pd.DataFrame(
        {
            "open_amount": [10_000.0, 1000.0, 1000.0, 0.0, 250.0, 500.0, 800.0],
            "due_on": pd.to_datetime(
                ["2024-05-31", "2025-07-31", "2025-07-31", "2024-01-31", "2025-12-31",
                 "2018-11-30", "2025-01-31"]
            ),
            "contractual_rate": [None, 0.12, None, None, None, None, None],
            "proceeding_opened_on": pd.to_datetime(
                [None, None, "2025-08-10", None, None, None, None]
            ),
            "public_buyer": [False, False, False, False, True, False, True],
        }
    )  # fmt: skip
    as_of = date(2025, 9, 29)
    out = late_payment_frame(invoices, as_of, table)
    for row in invoices.itertuples():
        rate = None if pd.isna(row.contractual_rate) else row.contractual_rate
        opened = None if pd.isna(row.proceeding_opened_on) else row.proceeding_opened_on.date()
        expected = late_payment_amounts(
            row.open_amount, row.due_on.date(), as_of, table, rate, opened, row.public_buyer
        )
        got = out.loc[row.Index]
        assert got.days_late == expected.days_late and got.penalty_note == expected.note
        for name in ("interest", "indemnity", "total"):
            assert got[name] == getattr(expected, name) or (
                pd.isna(got[name]) and pd.isna(getattr(expected, name))
            )
    # one uncovered row (due 2018) leaves every other row's interest computed
    assert out["interest"].isna().tolist() == [False] * 5 + [True, False]
    assert out.loc[1, "interest"] == 19.73 and out.loc[2, "indemnity"] == 40.0


def test_other_countries_get_no_french_penalty(table: RateTable) -> None:
    invoices = pd.DataFrame(
        {"open_amount": [1000.0], "due_on": pd.to_datetime(["2025-07-31"]), "french_law": [False]}
    )
    out = late_payment_frame(invoices, date(2025, 9, 29), table)
    assert (out.loc[0, "interest"], out.loc[0, "indemnity"], out.loc[0, "days_late"]) == (
        0.0, 0.0, 60,
    )  # fmt: skip


def test_terms_within_legal_limit() -> None:
    issued = date(2025, 1, 15)
    assert terms_within_legal_limit(issued, date(2025, 3, 16), end_of_month=False)  # 60 days
    assert not terms_within_legal_limit(issued, date(2025, 3, 17), end_of_month=False)
    # 45 days end of month: 15 Jan + 45 days = 1 March -> end of March
    assert terms_within_legal_limit(issued, date(2025, 3, 31), end_of_month=True)
    assert not terms_within_legal_limit(issued, date(2025, 4, 1), end_of_month=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_until": "2027-01-01"}, "valid_until"),
        ({"public_buyer_margin_points": -1}, "public_buyer_margin_points"),
        (
            {
                "legal_interest_rate_professionals": [
                    {"year": 2025, "half": 1, "rate_percent": 3.71},
                    {"year": 2026, "half": 1, "rate_percent": 3.0},
                ]
            },
            "without gap",
        ),
        (
            {"ecb_main_refinancing_rate": [{"effective_on": "2025-01-01", "rate_percent": 2.155}]},
            r"rate_percent: a rate must be >= 0 with at most 2 decimals",
        ),
        ({"valid_until": "soon"}, "valid_until: expected a date"),
    ],
)
def test_rate_table_validation(change: dict, message: str) -> None:
    base = {
        "valid_until": "2025-06-30",
        "ecb_main_refinancing_rate": [{"effective_on": "2024-12-18", "rate_percent": 3.15}],
        "legal_interest_rate_professionals": [{"year": 2025, "half": 1, "rate_percent": 3.71}],
    }
    with pytest.raises(ConfigError, match=message):
        rate_table_from_mapping(base | change)
