"""Cash-in forecast: expected cash, band, groups, scenarios, back-test and naive forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tiny import open_book, tiny_ledger

from risk.errors import ConfigError
from risk.timing.backtest import backtest_frame, forecast_errors
from risk.timing.forecast import INDEPENDENT, Z_80, Scenario, cash_forecast
from risk.timing.score import OpenInvoiceScores

AS_OF = pd.Timestamp("2024-02-12")


def scored(q_values: list[float], amounts: list[float], customers: list[str],
           sections: list[str]) -> OpenInvoiceScores:  # fmt: skip
    return open_book(np.array([[v] * 26 for v in q_values]), amounts, customers, sections, AS_OF)


def test_expected_cash_and_band_by_hand() -> None:
    book = scored([0.5, 0.0], [100.0, 40.0], ["C1", "C2"], ["G", "F"])
    out = cash_forecast(book, weeks=2, band=INDEPENDENT)  # the invoices' own variance alone
    # week 1: 100 x 0.5 + 40 x 1; week 2: 100 x 0.25 + 0
    assert list(out["expected"]) == pytest.approx([90.0, 25.0])
    sd1 = np.sqrt(100**2 * 0.25 + 0)  # the sure payment adds no variance
    assert out.loc[0, "high"] == pytest.approx(90 + Z_80 * sd1)
    assert out.loc[0, "low"] == pytest.approx(90 - Z_80 * sd1)
    assert list(out["week_start"]) == [AS_OF, AS_OF + pd.Timedelta(days=7)]


def test_groups_add_up_to_the_total() -> None:
    book = scored([0.5, 0.7, 0.9], [100.0, 40.0, 60.0], ["C1", "C2", "C2"], ["G", "F", "F"])
    total = cash_forecast(book, 4)
    by = cash_forecast(book, 4, by=book.scores["customer_id"])
    assert set(by["group"]) == {"C1", "C2"}
    assert by.groupby("week")["expected"].sum().to_numpy() == pytest.approx(total["expected"])


def test_scenarios_delay_the_top_customer_and_slow_a_sector() -> None:
    book = scored([0.0, 0.0], [100.0, 40.0], ["C1", "C2"], ["G", "F"])
    late = cash_forecast(book, 3, scenario=Scenario(delay_top_customers=1, delay_days=7))
    assert list(late["expected"]) == pytest.approx([40.0, 100.0, 0.0])  # C1 pays a week later
    slow = cash_forecast(book, 2, scenario=Scenario(sector="F", sector_hazard_factor=0.5))
    # F's weekly hazard 1 -> 0.5: 40 x 0.5 in week 1 and 40 x 0.25 in week 2
    assert list(slow["expected"]) == pytest.approx([120.0, 10.0])
    with pytest.raises(ConfigError, match="sector 'Z'"):
        cash_forecast(book, 2, scenario=Scenario(sector="Z", sector_hazard_factor=0.5))


def test_backtest_against_received_and_the_naive_forecasts() -> None:
    ledger = tiny_ledger()
    # open on 2024-02-12: I1 (due 01-31, 500 open after 400 paid and a 100 credit note),
    # I3 (due 03-17, 800 open); I1 settled 03-10 (week 4), I3 never
    book = OpenInvoiceScores(
        AS_OF,
        pd.DataFrame({"naf_section": ["G", "F"]}),
        np.full((2, 26), 0.9),
        pd.DataFrame(
            {
                "invoice_id": ["I1", "I3"],
                "customer_id": ["C1", "C2"],
                "due_on": [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-17")],
                "open_amount": [500.0, 800.0],
                "days_past_due": [12, -35],
            }
        ),
    )
    frame = backtest_frame(ledger, book, pd.Timestamp("2024-06-01"), weeks=6)
    assert list(frame["received"]) == [0, 0, 0, 500.0, 0, 0]  # 03-10 is day 27: week 4
    # due date: I1 overdue -> week 1; I3 due day 34 -> week 5
    assert list(frame["due_date_naive"]) == [500.0, 0, 0, 0, 800.0, 0]
    # history before 02-12: C1 settled I2 (due 02-14) on 01-29, -16 days late;
    # C2 has none: the portfolio mean (-16). I1: due - 16 < as_of -> week 1; I3: day 18 -> week 3
    assert list(frame["historical_delay_naive"]) == [500.0, 0, 800.0, 0, 0, 0]
    errors = forecast_errors(frame)
    assert errors["forecast_error_due_date_4w"] == pytest.approx(0.0)  # 500 vs 500
    assert errors["forecast_error_historical_delay_4w"] == pytest.approx(800 / 500)
    assert list(frame["received_cumulative"]) == [0, 0, 0, 500.0, 500.0, 500.0]
    inside = (frame["received"] >= frame["low"]) & (frame["received"] <= frame["high"])
    assert errors["forecast_band_coverage"] == pytest.approx(inside.mean())
    width = (frame["high"] - frame["low"]) / frame["expected"]
    assert errors["forecast_band_width"] == pytest.approx(width.mean())
    assert 0 <= errors["forecast_band_coverage_cumulative"] <= 1
    assert errors["forecast_band_width_cumulative"] > 0


def test_scenario_in_words() -> None:
    assert Scenario().describe() == "none"
    both = Scenario(delay_top_customers=10, delay_days=30, sector="F", sector_hazard_factor=0.5)
    assert both.describe() == (
        "the 10 largest customers pay 30 days later; sector F's weekly hazard of payment x 0.5"
    )


def test_forecast_cash_in_rules_name_the_value(
    small_portfolio, timing_store, trained_timing
) -> None:  # type: ignore[no-untyped-def]
    from risk import registry
    from risk.timing.forecast import ForecastInputError, forecast_cash_in

    ledger = small_portfolio.ledger
    model = registry.load_model(timing_store, "timing")
    first, cutoff = ledger.date_range
    for weeks in (0, 53):
        with pytest.raises(ForecastInputError, match=f"weeks must be in \\[1, 52\\], got {weeks}"):
            forecast_cash_in(model, ledger, cutoff, weeks)
    with pytest.raises(ForecastInputError, match="before the ledger's first event"):
        forecast_cash_in(model, ledger, first - pd.Timedelta(days=1))
    with pytest.raises(ForecastInputError, match="by must be one of"):
        forecast_cash_in(model, ledger, cutoff, by="region")
    with pytest.raises(ForecastInputError, match="sector 'U' is not a sector"):
        forecast_cash_in(model, ledger, cutoff, scenario=Scenario(sector="U"))
    with pytest.raises(ForecastInputError, match="needs the customers' grades"):
        forecast_cash_in(model, ledger, cutoff, by="grade")


def test_forecast_cash_in_groups(small_portfolio, timing_store, trained_timing) -> None:  # type: ignore[no-untyped-def]
    from risk import registry
    from risk.timing.forecast import forecast_cash_in

    ledger = small_portfolio.ledger
    model = registry.load_model(timing_store, "timing")
    cutoff = ledger.cutoff
    total = forecast_cash_in(model, ledger, cutoff, 5)
    assert list(total.rows["group"]) == ["all"] * 5 and total.open_amount > 0
    assert total.expected_total <= total.open_amount
    graded = forecast_cash_in(
        model, ledger, cutoff, 5, "grade", grades=lambda d: pd.Series({"nobody": "A"})
    )
    assert set(graded.rows["group"]) == {"unknown"}  # customers without a grade
    assert graded.rows["expected"].to_numpy() == pytest.approx(total.rows["expected"].to_numpy())


def test_nothing_open_is_zero_cash_every_week() -> None:
    empty = OpenInvoiceScores(
        AS_OF,
        pd.DataFrame({"naf_section": pd.Categorical([])}),
        np.zeros((0, 26)),
        pd.DataFrame(
            {
                "invoice_id": [],
                "customer_id": [],
                "due_on": [],
                "open_amount": [],
                "days_past_due": [],
            }
        ),
    )
    out = cash_forecast(empty, weeks=3)
    assert list(out["expected"]) == [0.0, 0.0, 0.0] and list(out["high"]) == [0.0, 0.0, 0.0]
