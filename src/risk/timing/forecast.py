"""The cash-in forecast ("prévision des encaissements") of the invoices open at a date.

Expected cash in week ``k`` after ``t`` is the sum over open invoices of the open amount times
P(paid in week k) from the payment-timing model; the cumulative expected cash to week ``k`` is
its running sum. Both carry an 80 % band, expected +- 1.28 standard deviations (floored at 0),
whose variance has three parts (``BandConfig``):

* **each invoice**: paid in week ``k`` or not (Bernoulli), ``amount**2 x P (1 - P)``;
* **a customer's invoices together**: a late customer delays all of its open invoices. With
  share ``customer_dependence`` the invoices of one customer share one uniform draw ``u`` (the
  customer's delay quantile): invoice ``i`` is paid in week ``k`` when ``u`` falls in
  ``[C_i(k-1), C_i(k))``, ``C_i`` its cumulative probability of payment, so every invoice of the
  customer is early or late together (a comonotone coupling); otherwise they are independent.
  The customer's variance is then ``w x Var(shared draw) + (1 - w) x Var(independent)``, exact
  (the integral of the squared step function of ``u``), and the customers are independent;
* **common to the book** (month ends, seasons, a drift of the whole portfolio, the model's own
  error): a relative dispersion ``common_shock`` of each week's expected cash,
  ``(common_shock x expected_k)**2``; the cumulative cash to week ``k`` carries the weeks'
  shocks summed as if independent, ``cumulative_shock**2 x sum over j <= k of
  expected_j**2`` (``calibrate_band`` sets it to the weekly scale: a scale of its own was not
  stable out of time).

Invoices independent (the band until 2026-12) covered 56-79 % of the weeks of the back-tests at
20,000 customers; the dependence and the shock are calibrated out of time on back-test
residuals at past dates (``calibrate_band``, split-conformal: never on the dates reported) and
the defaults are those measured on the generated benchmark portfolio
(``benchmarks/bench_forecast_band.py``, docs/timing.md "Cash-in forecast band"). The mean does
not depend on the band. Only the cash of invoices open at ``t`` is forecast, not the cash of
invoices issued later.

Scenarios: the top N customers (by open amount) pay X days later (their payment-date
distribution is shifted by X days), or the weekly hazard of payment of a sector's customers is
multiplied by a factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from risk.errors import ConfigError, RiskError
from risk.ledger import Ledger
from risk.model.bundle import RiskModel
from risk.timing.predict import WEEK, lost_share_at, survival_at
from risk.timing.score import OpenInvoiceScores, score_open_invoices

Z_80 = 1.2815515655446004  # standard normal quantile 0.90: the central 80 % band
MAX_WEEKS = 52
GROUPS = ("total", "customer", "sector", "grade")


class ForecastInputError(RiskError):
    """A forecast request breaks a rule (weeks, date, grouping or scenario); the message says
    which and the allowed values."""


@dataclass(frozen=True)
class Scenario:
    """A stress on the payment behaviour.

    Attributes:
        delay_top_customers: the N customers with the largest open amount pay later...
        delay_days: ...by this many days.
        sector: NAF section letter whose hazard of payment is scaled...
        sector_hazard_factor: ...by this factor (0.5: they pay half as fast each week).
    """

    delay_top_customers: int = 0
    delay_days: int = 0
    sector: str | None = None
    sector_hazard_factor: float = 1.0

    def __post_init__(self) -> None:
        if self.delay_top_customers < 0 or self.delay_days < 0 or self.sector_hazard_factor < 0:
            raise ConfigError(
                "scenario values must be >= 0 (delay_top_customers, delay_days, "
                f"sector_hazard_factor), got {self}"
            )

    def describe(self) -> str:
        """The stress in words ("none" without one)."""
        parts = []
        if self.delay_top_customers and self.delay_days:
            parts.append(
                f"the {self.delay_top_customers} largest customers pay {self.delay_days} days later"
            )
        if self.sector is not None and self.sector_hazard_factor != 1.0:
            parts.append(
                f"sector {self.sector}'s weekly hazard of payment x {self.sector_hazard_factor:g}"
            )
        return "; ".join(parts) or "none"

    @property
    def is_base(self) -> bool:
        return (self.delay_top_customers == 0 or self.delay_days == 0) and (
            self.sector is None or self.sector_hazard_factor == 1.0
        )


def weekly_probabilities(
    q: np.ndarray,
    weeks: int,
    shift_days: np.ndarray | None = None,
    lost: np.ndarray | None = None,
) -> np.ndarray:
    """``P[r, k]`` = P(paid in week k after ``t``), with row ``r``'s payment delayed by
    ``shift_days[r]`` days: the invoices leaving the open state that week times the share of
    them paid, not lost (``lost``: P(lost | leaves in week k); None: none lost)."""
    shift = np.zeros(len(q)) if shift_days is None else np.asarray(shift_days, dtype="float64")
    edges = [survival_at(q, k * WEEK - shift) for k in range(weeks + 1)]
    surv = np.column_stack(edges) if len(q) else np.zeros((0, weeks + 1))
    exits = surv[:, :-1] - surv[:, 1:]
    if lost is None or not len(q):
        return exits
    paid = [1.0 - lost_share_at(lost, (k * WEEK - shift) / WEEK) for k in range(weeks)]
    return exits * np.column_stack(paid)


def apply_scenario(scored: OpenInvoiceScores, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """The continuation matrix and per-row delay (days) under ``scenario``.

    Raises:
        ConfigError: the sector is not in the portfolio's sectors.
    """
    q = scored.q.copy()
    shift = np.zeros(len(q))
    scores = scored.scores
    if scenario.delay_top_customers and scenario.delay_days:
        exposure = scores.groupby("customer_id")["open_amount"].sum().sort_values(ascending=False)
        top = exposure.index[: scenario.delay_top_customers]
        shift[scores["customer_id"].isin(top).to_numpy()] = scenario.delay_days
    if scenario.sector is not None and scenario.sector_hazard_factor != 1.0:
        sectors = sector_of(scored)
        chosen = (sectors == scenario.sector).to_numpy()
        if not chosen.any() and len(sectors):
            known = ", ".join(sorted(set(sectors.dropna())))
            raise ConfigError(f"sector {scenario.sector!r} has no open invoice (sectors: {known})")
        q[chosen] = np.clip(1.0 - scenario.sector_hazard_factor * (1.0 - q[chosen]), 0.0, 1.0)
    return q, shift


def sector_of(scored: OpenInvoiceScores) -> pd.Series:
    """NAF section of each open invoice's customer ("unknown" when missing)."""
    if "naf_section" not in scored.frame:
        return pd.Series("unknown", index=scored.scores.index)
    return scored.frame["naf_section"].astype("object").fillna("unknown").astype("str")


@dataclass(frozen=True)
class BandConfig:
    """How wide the 80 % band is (module docstring).

    Attributes:
        customer_dependence: share ``w`` in [0, 1] of the customers whose open invoices share
            one delay draw (0: every invoice independent, the band until 2026-12).
        common_shock: relative standard deviation of a week's cash common to the whole book
            (independent from week to week).
        cumulative_shock: the same scale for the cumulative cash to a week, applied to the
            weeks' expected cash summed in quadrature.
    """

    customer_dependence: float = 1.0
    common_shock: float = 0.0
    cumulative_shock: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.customer_dependence <= 1.0:
            raise ConfigError(
                f"BandConfig.customer_dependence must be in [0, 1], got {self.customer_dependence}"
            )
        if self.common_shock < 0 or self.cumulative_shock < 0:
            raise ConfigError(
                f"BandConfig shocks must be >= 0, got {self.common_shock}, {self.cumulative_shock}"
            )


#: invoices independent: the band before the common shocks were measured
INDEPENDENT = BandConfig(0.0, 0.0, 0.0)
#: the defaults: ``calibrate_band`` on the 5,000-customer benchmark portfolio's back-tests at
#: six dates (2025-01-01 .. 2025-03-12), with the default hazard (censored partial week, unit
#: row weights; model on 2,000 customers), gave dependence 0 and a 6.26 % weekly shock; at the
#: four later assessment dates it covered 88.5 % of the weeks (85-92 % by date) and 92.3 % of
#: the cumulative cash (docs/timing.md "Cash-in forecast band"). The former 7.5 % was
#: calibrated on the former hazard; with the new one it covered 94.2 % of the weeks
BAND = BandConfig(customer_dependence=0.0, common_shock=0.063, cumulative_shock=0.063)

#: the key of a payment-timing model's metadata holding the band calibrated on its own book at
#: training (``risk.timing.train.calibrate_model_band``)
BAND_KEY = "forecast_band"


def model_band(model: RiskModel | None) -> tuple[BandConfig, str]:
    """The band of ``model``'s forecasts and a sentence saying which it is: the band stored at
    training, calibrated on the back-tests of the model's own book at past dates (a fixed shock
    does not fit books of different sizes: ``BAND``, calibrated at 5,000 customers, covered 98 %
    of the weeks at 20,000), else ``BAND`` (a model saved before the band was stored, or whose
    history was too short to calibrate it: the stored reason is given)."""
    stored = model.metadata.get(BAND_KEY) if model is not None else None
    if isinstance(stored, dict) and stored.get("source") == "calibrated":
        band = BandConfig(
            float(stored["customer_dependence"]),
            float(stored["common_shock"]),
            float(stored["cumulative_shock"]),
        )
        dates = stored.get("dates") or ["?"]
        return band, (
            f"calibrated on this book at {len(dates)} past dates {dates[0]} .. {dates[-1]} "
            f"({stored.get('weeks', '?')} weeks): customer dependence "
            f"{band.customer_dependence:g}, weekly shock {band.common_shock:.2%}"
        )
    reason = stored.get("reason") if isinstance(stored, dict) else None
    return BAND, (
        f"default (weekly shock {BAND.common_shock:.2%}, calibrated on the 5,000-customer "
        f"benchmark): {reason or 'the model stores no band of its own'}"
    )


def _shared_draw_variance(
    customer: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    amount: np.ndarray,
    mean: np.ndarray,
) -> np.ndarray:
    """``Var(X_ck)`` per (customer, week) when the invoices of customer ``c`` share one uniform
    draw ``u`` and ``X_ck = sum_i a_i 1[lo_ik <= u < hi_ik]`` (mean ``mean[c, k]``): the integral
    over ``u`` of ``(X(u) - mean)**2``, from the sorted interval ends (no difference of large
    moments, so no cancellation). Shape (customers, weeks)."""
    rows, weeks = lo.shape
    customers = mean.shape[0]
    if not rows:
        return np.zeros((customers, weeks))
    cell = (customer[:, None] * weeks + np.arange(weeks)[None, :]).ravel()
    cells = np.concatenate([cell, cell])
    at = np.concatenate([lo.ravel(), hi.ravel()])
    step = np.concatenate([np.repeat(amount, weeks), -np.repeat(amount, weeks)])
    order = np.lexsort((step, at, cells))  # at one point a removal before an addition
    cells, at, step = cells[order], at[order], step[order]
    running = np.cumsum(step)
    first = np.r_[True, cells[1:] != cells[:-1]]
    # restart the running level at each cell's first step (rounding never leaks across cells)
    start = np.maximum.accumulate(np.where(first, np.arange(len(cells)), 0))
    level = running - (running[start] - step[start])
    length = np.r_[at[1:] - at[:-1], 0.0]
    length[np.r_[cells[1:] != cells[:-1], True]] = 0.0
    m = mean.ravel()
    inside = np.bincount(cells, weights=(level - m[cells]) ** 2 * length, minlength=m.size)
    covered = np.bincount(cells, weights=length, minlength=m.size)
    # outside the intervals' span X is 0
    out = inside + m**2 * np.maximum(1.0 - covered, 0.0)
    return out.reshape(customers, weeks)


@dataclass(frozen=True)
class BandParts:
    """The band's ingredients of each (group, week): what ``BandConfig`` combines.

    Attributes:
        groups: group labels, in the rows' order.
        expected, cumulative: expected weekly and cumulative cash, shape (groups, weeks).
        independent, shared: the variance of the weekly cash with the invoices independent and
            with each customer's invoices sharing one delay draw.
        independent_cumulative, shared_cumulative: the same for the cumulative cash.
    """

    groups: list[object]
    expected: np.ndarray
    cumulative: np.ndarray
    independent: np.ndarray
    shared: np.ndarray
    independent_cumulative: np.ndarray
    shared_cumulative: np.ndarray

    def sd(self, band: BandConfig) -> tuple[np.ndarray, np.ndarray]:
        """Standard deviation of the weekly and the cumulative cash under ``band``."""
        w = band.customer_dependence
        week = (1 - w) * self.independent + w * self.shared
        cum = (1 - w) * self.independent_cumulative + w * self.shared_cumulative
        week = week + (band.common_shock * self.expected) ** 2
        cum = cum + band.cumulative_shock**2 * np.cumsum(self.expected**2, axis=1)
        return np.sqrt(np.maximum(week, 0.0)), np.sqrt(np.maximum(cum, 0.0))


def band_parts(
    customer: pd.Series, amount: np.ndarray, p: np.ndarray, groups: pd.Series | None = None
) -> BandParts:
    """Expected cash and the variance parts of each group (None: one group ``all``) and week.

    Args:
        customer: customer of each open invoice (its invoices share the delay draw).
        amount: open amount of each invoice.
        p: P(paid in week k) of each invoice, shape (invoices, weeks).
        groups: a label per invoice; every customer's invoices must carry one label (customer,
            sector, grade), as the customers are independent of one another.
    """
    n, weeks = p.shape
    amount = np.asarray(amount, dtype="float64")
    cum_p = np.cumsum(p, axis=1)
    lo = np.hstack([np.zeros((n, 1)), cum_p[:, :-1]])
    codes, _ = pd.factorize(customer.to_numpy(), sort=True)
    customers = int(codes.max()) + 1 if n else 0
    labels = pd.Series("all", index=customer.index) if groups is None else groups.fillna("unknown")
    group_codes, group_names = pd.factorize(labels.to_numpy(), sort=True)
    n_groups = len(group_names)
    # group of each customer (a customer lies in one group)
    customer_group = np.zeros(customers, dtype=np.int64)
    customer_group[codes] = group_codes

    def per_customer(values: np.ndarray) -> np.ndarray:
        out = np.zeros((customers, weeks))
        np.add.at(out, codes, values)
        return out

    def per_group(values: np.ndarray, index: np.ndarray) -> np.ndarray:
        out = np.zeros((n_groups, weeks))
        np.add.at(out, index, values)
        return out

    paid = amount[:, None] * p
    paid_cum = amount[:, None] * cum_p
    mean_c, mean_cum_c = per_customer(paid), per_customer(paid_cum)
    shared_c = _shared_draw_variance(codes, lo, cum_p, amount, mean_c)
    shared_cum_c = _shared_draw_variance(codes, np.zeros_like(cum_p), cum_p, amount, mean_cum_c)
    square = amount[:, None] ** 2
    return BandParts(
        groups=list(group_names),
        expected=per_group(paid, group_codes),
        cumulative=per_group(paid_cum, group_codes),
        independent=per_group(square * p * (1.0 - p), group_codes),
        shared=per_group(shared_c, customer_group),
        independent_cumulative=per_group(square * cum_p * (1.0 - cum_p), group_codes),
        shared_cumulative=per_group(shared_cum_c, customer_group),
    )


def cash_forecast(
    scored: OpenInvoiceScores,
    weeks: int = 13,
    by: pd.Series | None = None,
    scenario: Scenario | None = None,
    band: BandConfig | None = None,
) -> pd.DataFrame:
    """Expected cash in each of the ``weeks`` weeks after the scoring date, with its 80 % band,
    and the cumulative expected cash to each week with its own 80 % band.

    Args:
        scored: the open invoices scored by the timing model.
        weeks: forecast horizon in weeks.
        by: a group label per open invoice (customer, sector, grade); None: the whole book.
        scenario: a stress applied before summing.
        band: how the band is made (None: ``BAND``, the defaults measured out of time).

    Returns:
        ``[group,] week, week_start, expected, low, high, cumulative, cumulative_low,
        cumulative_high`` (amounts in the ledger currency).
    """
    parts = forecast_parts(scored, weeks, by, scenario)
    return band_rows(parts, scored.as_of, band or BAND, by is not None)


def forecast_parts(
    scored: OpenInvoiceScores,
    weeks: int = 13,
    by: pd.Series | None = None,
    scenario: Scenario | None = None,
) -> BandParts:
    """The band's parts of ``cash_forecast`` (before ``band_rows``); with ``by`` None one group
    ``all``, zeros when nothing is open."""
    q, shift = apply_scenario(scored, scenario or Scenario())
    p = weekly_probabilities(q, weeks, shift, scored.lost)
    amount = scored.scores["open_amount"].to_numpy(dtype="float64")
    customer = scored.scores["customer_id"].astype("str")
    parts = band_parts(customer, amount, p, by)
    if by is None and not parts.groups:  # nothing open: the book's cash is 0 every week
        parts = empty_book_parts(weeks)
    return parts


def empty_book_parts(weeks: int) -> BandParts:
    """The parts of a book with nothing open: group ``all``, zeros every week."""
    zero = np.zeros((1, weeks))
    return BandParts(["all"], zero, zero, zero, zero, zero, zero)


#: the arrays of a ``BandParts``, in the order they are stored (``risk.batch.chunks``)
PART_FIELDS = (
    "expected",
    "cumulative",
    "independent",
    "shared",
    "independent_cumulative",
    "shared_cumulative",
)


def book_parts(model: RiskModel, ledger: Ledger, as_of: pd.Timestamp, weeks: int) -> BandParts:
    """The whole book's band parts (group ``all``, no scenario) of the invoices open at
    ``as_of`` in ``ledger``: the parts ``forecast_cash_in(model, ledger, as_of, weeks)`` makes
    its rows from. For ledgers holding disjoint sets of customers the parts add up
    (``add_book_parts``) to the parts of their union: the expected cash and the independent
    variance are sums over invoices, the shared-draw variance a sum over customers (customers
    are independent of one another), and the common shock is applied by ``BandParts.sd`` to
    the summed expected cash, after the sum. The batch computes them chunk by chunk."""
    return forecast_parts(score_open_invoices(model, ledger, pd.Timestamp(as_of)), weeks)


def add_book_parts(parts: list[BandParts], weeks: int) -> BandParts:
    """The parts of the union of books of disjoint customers (group ``all``; zeros when
    ``parts`` is empty).

    Raises:
        ValueError: a part is not a one-group book of ``weeks`` weeks.
    """
    total = empty_book_parts(weeks)
    sums = {name: getattr(total, name).copy() for name in PART_FIELDS}
    for part in parts:
        if part.groups != ["all"] or part.expected.shape != (1, weeks):
            raise ValueError(
                f"book parts must be one group 'all' of {weeks} weeks, got {part.groups} "
                f"{part.expected.shape}"
            )
        for name in PART_FIELDS:
            sums[name] += getattr(part, name)
    return BandParts(["all"], **sums)


def band_rows(
    parts: BandParts, as_of: pd.Timestamp, band: BandConfig, with_group: bool = True
) -> pd.DataFrame:
    """The forecast rows of ``cash_forecast`` from the band's parts."""
    sd, sd_cum = parts.sd(band)
    weeks = parts.expected.shape[1]
    frames = []
    for g, label in enumerate(parts.groups):
        expected, cumulative = parts.expected[g], parts.cumulative[g]
        frames.append(
            pd.DataFrame(
                {
                    "group": label,
                    "week": np.arange(1, weeks + 1),
                    "week_start": as_of + pd.to_timedelta(np.arange(weeks) * WEEK, "D"),
                    "expected": expected,
                    "low": np.maximum(expected - Z_80 * sd[g], 0.0),
                    "high": expected + Z_80 * sd[g],
                    "cumulative": cumulative,
                    "cumulative_low": np.maximum(cumulative - Z_80 * sd_cum[g], 0.0),
                    "cumulative_high": cumulative + Z_80 * sd_cum[g],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out if with_group else out.drop(columns="group")


@dataclass(frozen=True)
class CashForecast:
    """The forecast of the invoices open at ``as_of``.

    Attributes:
        as_of: forecast date.
        weeks: horizon in weeks.
        by: ``total``, ``customer``, ``sector`` or ``grade``.
        scenario: the stress applied (``Scenario()``: none).
        scored: the open invoices scored by the timing model.
        rows: ``group, week, week_start, expected, low, high`` (group ``all`` for ``total``).
        band: the band of ``rows`` (``model_band``).
        band_source: which band, in words (calibrated on this book at which dates, or the default
            and why).
    """

    as_of: pd.Timestamp
    weeks: int
    by: str
    scenario: Scenario
    scored: OpenInvoiceScores
    rows: pd.DataFrame
    band: BandConfig = BAND
    band_source: str = "default"

    @property
    def open_amount(self) -> float:
        return float(self.scored.scores["open_amount"].sum())

    @property
    def expected_total(self) -> float:
        return float(self.rows["expected"].sum()) if len(self.rows) else 0.0


def _check_request(ledger: Ledger, as_of: pd.Timestamp, weeks: int, by: str) -> None:
    if isinstance(weeks, bool) or not isinstance(weeks, (int, np.integer)):
        raise ForecastInputError(f"weeks must be a whole number in [1, {MAX_WEEKS}], got {weeks!r}")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ForecastInputError(f"weeks must be in [1, {MAX_WEEKS}], got {weeks}")
    if by not in GROUPS:
        raise ForecastInputError(f"by must be one of {', '.join(GROUPS)}, got {by!r}")
    try:
        first, _ = ledger.date_range
    except ValueError as exc:
        raise ForecastInputError(f"as_of: the ledger holds no dated event ({exc})") from exc
    if as_of < first:
        raise ForecastInputError(
            f"as_of {as_of.date()} is before the ledger's first event ({first.date()}): "
            "there is nothing to forecast"
        )


def _check_sector(ledger: Ledger, scenario: Scenario) -> None:
    from risk.features.sector import naf_section

    if scenario.sector is None:
        return
    known = naf_section(ledger.customers["naf_code"]) if "naf_code" in ledger.customers else None
    sectors = set() if known is None else set(known.dropna().astype("str"))
    if scenario.sector not in sectors:
        raise ForecastInputError(
            f"scenario sector {scenario.sector!r} is not a sector of the ledger's customers "
            f"(NAF sections: {', '.join(sorted(sectors)) or 'none'})"
        )


def forecast_cash_in(
    model: RiskModel,
    ledger: Ledger,
    as_of: pd.Timestamp,
    weeks: int = 13,
    by: str = "total",
    scenario: Scenario | None = None,
    grades: Callable[[pd.Timestamp], pd.Series] | None = None,
) -> CashForecast:
    """The cash-in forecast of the invoices open at ``as_of``: the one entry point of
    ``risk forecast``, the batch's ``forecast.csv``, the service's ``/forecast`` and the
    notebooks. Its band is the model's own (``model_band``).

    Args:
        model: the payment-timing model.
        ledger: the ledger.
        as_of: forecast date (on or after the ledger's first event).
        weeks: horizon, 1 to ``MAX_WEEKS``.
        by: ``total``, ``customer``, ``sector`` (NAF section) or ``grade``.
        scenario: a stress (None: none).
        grades: ``as_of -> grade per customer_id``, needed for ``by="grade"`` (called only then).

    Raises:
        ForecastInputError: weeks out of range, unknown grouping, ``as_of`` before the ledger,
            scenario sector unknown, or ``by="grade"`` without ``grades``.
        ConfigError: scenario values negative, or the sector has no open invoice.
    """
    as_of = pd.Timestamp(as_of)
    scenario = scenario or Scenario()
    _check_request(ledger, as_of, weeks, by)
    _check_sector(ledger, scenario)
    if by == "grade" and grades is None:
        raise ForecastInputError("by='grade' needs the customers' grades (none were given)")
    scored = score_open_invoices(model, ledger, as_of)
    customer = scored.scores["customer_id"]
    if by == "customer":
        groups: pd.Series | None = customer
    elif by == "sector":
        groups = sector_of(scored)
    elif by == "grade":
        grade = grades(as_of)  # type: ignore[misc]
        groups = customer.map(grade).fillna("unknown").astype("str")
    else:
        groups = None
    band, band_source = model_band(model)
    rows = cash_forecast(scored, weeks, groups, scenario, band)
    if groups is None:
        rows = rows.assign(group="all")[["group", *rows.columns]] if len(rows) else rows
    if rows.empty:
        rows = pd.DataFrame(columns=["group", "week", "week_start", "expected", "low", "high"])
    return CashForecast(as_of, weeks, by, scenario, scored, rows, band, band_source)
