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
    # EUR 10,000 due 2024-05-31, as of 2024-08-30: 91 days late.
    # H1 2024: 1-30 June = 30 days; ECB on 1 Jan 2024 = 4.50 -> 14.50 % (floor 3 x 4.22 = 12.66)
    #   10000 x 0.1450 x 30 / 365 = 119.178 -> 119.18
    # H2 2024: 1 July-30 Aug = 31 + 30 = 61 days; ECB on 1 July 2024 = 4.25 -> 14.25 %, but the
    #   floor 3 x 4.92 = 14.76 % binds: 10000 x 0.1476 x 61 / 365 = 246.673 -> 246.67
    amounts = late_payment_amounts(10_000.0, date(2024, 5, 31), date(2024, 8, 30), table)
    first, second = amounts.segments
    assert (first.start, first.end, first.days) == (date(2024, 6, 1), date(2024, 6, 30), 30)
    assert (first.annual_rate, first.interest, first.basis) == (0.145, 119.18, "ecb_plus_10")
    assert (second.start, second.end, second.days) == (date(2024, 7, 1), date(2024, 8, 30), 61)
    assert (second.annual_rate, second.interest, second.basis) == (0.1476, 246.67, "legal_floor")
    assert amounts.days_late == 91
    assert amounts.interest == 365.85  # 119.18 + 246.67
    assert amounts.indemnity == 40.0
    assert amounts.total == 405.85


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


def test_floor_of_three_times_the_legal_rate_binds() -> None:
    # ECB 1.00 + 10 = 11 % < 3 x 4.00 = 12 %.
    # EUR 1,000 due 2025-01-31, as of 2025-03-02: 30 days; 1000 x 0.12 x 30 / 365 = 9.863 -> 9.86
    amounts = late_payment_amounts(1000.0, date(2025, 1, 31), date(2025, 3, 2), _table(1.0, 4.0))
    assert amounts.segments[0].annual_rate == 0.12
    assert amounts.segments[0].basis == "legal_floor"
    assert amounts.interest == 9.86


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


def test_no_indemnity_under_collective_proceeding(table: RateTable) -> None:
    args = (1000.0, date(2025, 7, 31), date(2025, 9, 29), table)
    amounts = late_payment_amounts(*args, in_proceeding=True)
    # ECB on 1 July 2025 = 2.15 -> 12.15 %: 1000 x 0.1215 x 60 / 365 = 19.973 -> 19.97
    assert (amounts.interest, amounts.indemnity, amounts.total) == (19.97, 0.0, 19.97)
    # the opening judgment of 2025-08-10 stops interest: 10 days, 3.328 -> 3.33
    stopped = late_payment_amounts(
        *args, in_proceeding=True, proceeding_opened_on=date(2025, 8, 10)
    )
    assert stopped.interest == 3.33


def test_not_yet_due_owes_nothing(table: RateTable) -> None:
    amounts = late_payment_amounts(1000.0, date(2025, 9, 30), date(2025, 9, 30), table)
    assert (amounts.days_late, amounts.total, amounts.segments) == (0, 0.0, ())


def test_dates_outside_the_table_raise_config_error(table: RateTable) -> None:
    with pytest.raises(ConfigError, match=r"2026-01-01.*valid_until"):
        late_payment_amounts(1000.0, date(2025, 12, 15), date(2026, 2, 1), table)
    with pytest.raises(ConfigError, match="2021-07-01"):
        late_payment_amounts(1000.0, date(2021, 6, 30), date(2022, 1, 10), table)


def test_frame_matches_the_scalar_function(table: RateTable) -> None:
    invoices = pd.DataFrame(
        {
            "open_amount": [10_000.0, 1000.0, 1000.0, 0.0, 250.0],
            "due_on": pd.to_datetime(
                ["2024-05-31", "2025-07-31", "2025-07-31", "2024-01-31", "2025-12-31"]
            ),
            "contractual_rate": [None, 0.12, None, None, None],
            "in_proceeding": [False, False, True, False, False],
        }
    )
    out = late_payment_frame(invoices, date(2025, 9, 29), table)
    for row in invoices.itertuples():
        rate = None if pd.isna(row.contractual_rate) else row.contractual_rate
        expected = late_payment_amounts(
            row.open_amount, row.due_on.date(), date(2025, 9, 29), table, rate, row.in_proceeding
        )
        got = out.loc[row.Index]
        assert (got.days_late, got.interest, got.indemnity, got.total) == (
            expected.days_late, expected.interest, expected.indemnity, expected.total,
        )  # fmt: skip
    assert out.loc[1, "interest"] == 19.73 and out.loc[2, "indemnity"] == 0.0
    assert list(invoices.columns) == ["open_amount", "due_on", "contractual_rate", "in_proceeding"]


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
