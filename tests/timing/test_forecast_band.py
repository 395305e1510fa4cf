"""The cash-in forecast's 80 % band: invoices of a customer sharing one delay draw, the common
shock, the cumulative band and its calibration on back-test residuals (risk.timing.forecast)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny import open_book

from risk.errors import ConfigError
from risk.timing.backtest import band_scores, calibrate_band, rebanded
from risk.timing.forecast import (
    INDEPENDENT,
    Z_80,
    BandConfig,
    band_parts,
    cash_forecast,
    weekly_probabilities,
)
from risk.timing.score import OpenInvoiceScores

AS_OF = pd.Timestamp("2024-02-12")
WEEKS = 13


def book(q: np.ndarray, amounts: list[float], customers: list[str]) -> OpenInvoiceScores:
    return open_book(q, amounts, customers, as_of=AS_OF)


@st.composite
def books(draw, max_q: float = 1.0, min_q: float = 0.0):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 8))
    amounts = draw(st.lists(st.floats(1.0, 10_000.0), min_size=n, max_size=n))
    customers = draw(st.lists(st.sampled_from(["C1", "C2", "C3"]), min_size=n, max_size=n))
    rows = draw(
        st.lists(
            st.lists(st.floats(min_q, max_q), min_size=26, max_size=26), min_size=n, max_size=n
        )
    )
    return book(np.array(rows), amounts, customers)


bands = st.builds(
    BandConfig,
    st.floats(0.0, 1.0),
    st.floats(0.0, 0.5),
    st.floats(0.0, 0.5),
)


def pairwise_second_moment(amount: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """E[X**2] of one customer and week from its definition: invoices ``i`` and ``j`` both paid
    when the shared draw falls in both intervals."""
    overlap = np.maximum(
        np.minimum(hi[:, None], hi[None, :]) - np.maximum(lo[:, None], lo[None, :]), 0.0
    )
    return float(amount @ overlap @ amount)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(books(), bands)
def test_band_contains_the_expected_value(scored: OpenInvoiceScores, band: BandConfig) -> None:
    out = cash_forecast(scored, WEEKS, band=band)
    assert (out["low"] >= 0).all() and (out["cumulative_low"] >= 0).all()
    assert (out["low"] <= out["expected"] + 1e-9).all()
    assert (out["expected"] <= out["high"] + 1e-9).all()
    assert (out["cumulative_low"] <= out["cumulative"] + 1e-9).all()
    assert (out["cumulative"] <= out["cumulative_high"] + 1e-9).all()
    assert out["cumulative"].to_numpy() == pytest.approx(np.cumsum(out["expected"].to_numpy()))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(books(), bands, st.randoms(use_true_random=False))
def test_band_is_invariant_to_invoice_order(scored, band, random) -> None:  # type: ignore[no-untyped-def]
    order = list(range(len(scored.scores)))
    random.shuffle(order)
    shuffled = OpenInvoiceScores(
        AS_OF,
        scored.frame.iloc[order].reset_index(drop=True),
        scored.q[order],
        scored.scores.iloc[order].reset_index(drop=True),
    )
    for by in (None, "customer_id"):
        groups = None if by is None else scored.scores[by]
        moved = None if by is None else shuffled.scores[by]
        a = cash_forecast(scored, WEEKS, groups, band=band)
        b = cash_forecast(shuffled, WEEKS, moved, band=band)
        for column in ("expected", "low", "high", "cumulative_low", "cumulative_high"):
            assert b[column].to_numpy() == pytest.approx(a[column].to_numpy(), rel=1e-7, abs=1e-6)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(books())
def test_shared_draw_variance_from_its_definition(scored: OpenInvoiceScores) -> None:
    p = weekly_probabilities(scored.q, WEEKS)
    amount = scored.scores["open_amount"].to_numpy()
    customer = scored.scores["customer_id"]
    parts = band_parts(customer, amount, p)
    cum = np.cumsum(p, axis=1)
    lo = np.hstack([np.zeros((len(p), 1)), cum[:, :-1]])
    for k in range(WEEKS):
        week, total = 0.0, 0.0
        for c in customer.unique():
            rows = (customer == c).to_numpy()
            mean, mean_cum = amount[rows] @ p[rows, k], amount[rows] @ cum[rows, k]
            week += pairwise_second_moment(amount[rows], lo[rows, k], cum[rows, k]) - mean**2
            total += pairwise_second_moment(amount[rows], 0 * cum[rows, k], cum[rows, k])
            total -= mean_cum**2
        assert parts.shared[0, k] == pytest.approx(week, rel=1e-7, abs=1e-3)
        assert parts.shared_cumulative[0, k] == pytest.approx(total, rel=1e-7, abs=1e-3)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(books())
def test_a_customers_shared_draw_never_lowers_the_variance_of_the_total(scored) -> None:  # type: ignore[no-untyped-def]
    """Cash to week k: ``Cov(1[u < F_i], 1[u < F_j]) = min(F_i, F_j) - F_i F_j >= 0``, so the
    variance of the total with a customer's invoices correlated is at least the independent one
    (a single week's cash can be less variable: invoices due in different weeks, paid early or
    late together, are paid in different weeks)."""
    p = weekly_probabilities(scored.q, WEEKS)
    amount = scored.scores["open_amount"].to_numpy()
    parts = band_parts(scored.scores["customer_id"], amount, p)
    slack = 1e-9 * amount.sum() ** 2
    assert (parts.shared_cumulative >= parts.independent_cumulative - slack).all()
    low = cash_forecast(scored, WEEKS, band=INDEPENDENT)
    high = cash_forecast(scored, WEEKS, band=BandConfig(1.0, 0.0, 0.0))
    width = high["cumulative_high"] - high["cumulative_low"]
    assert (width >= low["cumulative_high"] - low["cumulative_low"] - 1e-6).all()


def test_shared_draw_by_hand() -> None:
    # one customer, two invoices paid in week 1 with probability 1/2 each (q = 0.5 then 1.0)
    q = np.array([[0.5] + [1.0] * 25, [0.5] + [1.0] * 25])
    scored = book(q, [100.0, 300.0], ["C1", "C1"])
    shared = cash_forecast(scored, 2, band=BandConfig(1.0, 0.0, 0.0))
    # paid together: 400 or 0 with probability 1/2: sd 200
    assert shared.loc[0, "high"] == pytest.approx(200 + Z_80 * 200)
    independent = cash_forecast(scored, 2, band=INDEPENDENT)
    sd = np.sqrt(100**2 / 4 + 300**2 / 4)
    assert independent.loc[0, "high"] == pytest.approx(200 + Z_80 * sd)
    half = cash_forecast(scored, 2, band=BandConfig(0.5, 0.0, 0.0))  # the mixture's variance
    assert half.loc[0, "high"] == pytest.approx(200 + Z_80 * np.sqrt((200**2 + sd**2) / 2))
    # two customers: no shared draw between them
    apart = cash_forecast(book(q, [100.0, 300.0], ["C1", "C2"]), 2, band=BandConfig(1.0, 0, 0))
    assert apart.loc[0, "high"] == pytest.approx(independent.loc[0, "high"])
    # the common shock: 10 % of the expected cash, added in variance
    shock = cash_forecast(scored, 2, band=BandConfig(1.0, 0.1, 0.0))
    assert shock.loc[0, "high"] == pytest.approx(200 + Z_80 * np.sqrt(200**2 + 20**2))
    # the cumulative cash: its own scale on the weeks' expected cash summed in quadrature
    q2 = np.array([[0.5, 0.0] + [1.0] * 24])  # 200 in week 1 or week 2, 1/2 each
    two = cash_forecast(book(q2, [200.0], ["C1"]), 2, band=BandConfig(0.0, 0.1, 0.05))
    assert list(two["expected"]) == pytest.approx([100.0, 100.0])
    assert two.loc[0, "high"] == pytest.approx(100 + Z_80 * np.sqrt(200**2 / 4 + 10**2))
    # week 2: paid by then for sure, no invoice variance left; 5 % of 100, twice in quadrature
    assert two.loc[1, "cumulative_high"] == pytest.approx(200 + Z_80 * np.sqrt(5**2 + 5**2))
    assert two.loc[0, "cumulative_high"] == pytest.approx(100 + Z_80 * np.sqrt(200**2 / 4 + 5**2))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(books(min_q=0.95), st.floats(0.0, 0.5))
def test_band_widens_with_the_horizon(scored, shock) -> None:  # type: ignore[no-untyped-def]
    """While every invoice is more likely unpaid than paid by the week (weekly continuation
    >= 0.95 over 13 weeks), each independent invoice's uncertainty ``F (1 - F)`` grows, and the
    common shock grows with the cumulative expected cash: the cumulative band never narrows.
    A longer horizon leaves the first weeks unchanged."""
    out = cash_forecast(scored, WEEKS, band=BandConfig(0.0, shock, shock))
    width = (out["cumulative_high"] - out["cumulative_low"]).to_numpy()
    assert (np.diff(width) >= -1e-9 * max(width.max(), 1.0)).all()
    short = cash_forecast(scored, 4, band=BandConfig(0.5, shock, shock))
    long = cash_forecast(scored, WEEKS, band=BandConfig(0.5, shock, shock)).head(4)
    for column in ("expected", "low", "high", "cumulative_low", "cumulative_high"):
        assert long[column].to_numpy() == pytest.approx(short[column].to_numpy())


def test_band_config_rules() -> None:
    with pytest.raises(ConfigError, match=r"customer_dependence must be in \[0, 1\], got 1.5"):
        BandConfig(1.5)
    with pytest.raises(ConfigError, match="shocks must be >= 0"):
        BandConfig(0.5, -0.1)


def synthetic_backtest(rng: np.random.Generator, shock: float, weeks: int = 13) -> pd.DataFrame:
    """A back-test frame whose received cash is the expected cash times ``1 + shock x N(0, 1)``
    week by week, the invoices' own variance negligible."""
    expected = rng.uniform(50_000, 150_000, weeks)
    received = expected * (1 + shock * rng.standard_normal(weeks))
    frame = pd.DataFrame(
        {
            "week": np.arange(1, weeks + 1),
            "expected": expected,
            "cumulative": np.cumsum(expected),
            "received": received,
            "received_cumulative": np.cumsum(received),
            "var_independent": 1.0,
            "var_shared": 4.0,
            "var_independent_cumulative": 1.0,
            "var_shared_cumulative": 4.0,
        }
    )
    return rebanded(frame.assign(low=0.0, high=0.0, cumulative_low=0.0, cumulative_high=0.0),
                    INDEPENDENT)  # fmt: skip


def test_calibrated_band_covers_80_percent_out_of_time() -> None:
    rng = np.random.default_rng(7)
    past = [synthetic_backtest(rng, 0.08) for _ in range(40)]
    band = calibrate_band(past)
    # |N(0, 1)| <= 1.28 in 80 % of the draws: the shock found is about the true 8 %
    assert band.common_shock == pytest.approx(0.08, rel=0.1)
    later = [rebanded(synthetic_backtest(rng, 0.08), band) for _ in range(40)]
    covered = np.mean([band_scores(f)["forecast_band_coverage"] for f in later])
    assert 0.75 <= covered <= 0.85
    before = np.mean([band_scores(f)["forecast_band_coverage"] for f in past])
    assert before < 0.01  # the invoices' own variance alone: almost never covered
    width = np.mean([band_scores(f)["forecast_band_width"] for f in later])
    assert width == pytest.approx(2 * Z_80 * band.common_shock, rel=1e-3)


def test_calibration_without_residuals_adds_no_shock() -> None:
    rng = np.random.default_rng(3)
    exact = [synthetic_backtest(rng, 0.0) for _ in range(3)]
    assert calibrate_band(exact) == BandConfig(0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="at least one past date"):
        calibrate_band([])
