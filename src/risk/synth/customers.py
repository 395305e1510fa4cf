"""Customers: sector, size, legal form, age, identity and commercial terms (vectorised)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from risk.synth import calibration as cal
from risk.synth.config import SampleConfig
from risk.synth.dates import to_datetime, to_day
from risk.synth.ids import luhn_key, make_ids
from risk.synth.names import company_names, invented_words

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]


@dataclass(frozen=True)
class Window:
    """The ledger window and the simulation horizon, as day numbers.

    Attributes:
        start_day: first day of the ledger window.
        end_day: last day of the ledger (config end date).
        horizon_day: failures are simulated until this day (one year after the end) so that
            customers may deteriorate at the end of the ledger without failing inside it.
        start_month: month number (months since 1970-01) of ``start_day``.
        n_months: number of months simulated from ``start_month`` (covers due dates after the
            end and the horizon).
    """

    start_day: int
    end_day: int
    horizon_day: int
    start_month: int
    n_months: int

    @classmethod
    def from_config(cls, config: SampleConfig) -> Window:
        """Build the window of a config (``years`` whole years ending at ``end_date``)."""
        end_day = to_day(config.end_date)
        start_day = end_day - round(365.25 * config.years) + 1
        start_month = int(np.datetime64(start_day, "D").astype("datetime64[M]").astype(np.int64))
        return cls(start_day, end_day, end_day + 366, start_month, 12 * config.years + 16)


@dataclass(frozen=True)
class CustomerDraw:
    """Latent and observed attributes of every customer, one array element per customer."""

    is_public: BoolArray
    naf_code: StrArray
    label: StrArray
    band_index: IntArray
    employees: IntArray
    legal_form: StrArray
    public_prefix: StrArray
    created_day: IntArray
    relationship_day: IntArray
    country: StrArray
    siren: IntArray  # -1 when unknown
    terms_days: IntArray
    end_of_month: BoolArray
    lateness_days: FloatArray
    failure_multiplier: FloatArray
    customer_effect: FloatArray
    invoice_rate: FloatArray
    amount_log_mean: FloatArray
    electronic_propensity: FloatArray
    group: IntArray  # -1 when the customer belongs to no group
    has_credit_limit: BoolArray

    @property
    def size(self) -> int:
        """Number of customers."""
        return int(self.is_public.size)


def _weights(values: tuple[float, ...] | list[float]) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    return array / array.sum()


def _draw_segments(rng: np.random.Generator, n: int, config: SampleConfig) -> dict[str, np.ndarray]:
    """Draw public flag, activity, size band, headcount and legal form."""
    naf = cal.NAF_TABLE
    public = rng.random(n) < config.public_share
    naf_index = rng.choice(len(naf), n, p=_weights([e.weight for e in naf]))
    pub_index = rng.choice(
        len(cal.PUBLIC_BUYERS), n, p=_weights([p.weight for p in cal.PUBLIC_BUYERS])
    )
    band_index = rng.choice(len(cal.SIZE_BANDS), n, p=_weights([b.weight for b in cal.SIZE_BANDS]))
    low = np.array([b.low for b in cal.SIZE_BANDS])[band_index]
    high = np.array([b.high for b in cal.SIZE_BANDS])[band_index]
    log_heads = rng.uniform(np.log(low + 1), np.log(high + 2))
    employees = np.clip(np.floor(np.exp(log_heads)) - 1, low, high).astype(np.int64)
    public_heads = np.exp(rng.normal(np.log(60.0), 1.5, n)).astype(np.int64) + 1
    forms = np.empty(n, dtype="U11")
    for b, band in enumerate(cal.SIZE_BANDS):  # loop over 6 bands, vectorised inside
        in_band = band_index == b
        forms[in_band] = rng.choice(
            band.legal_forms, int(in_band.sum()), p=_weights(band.form_weights)
        )
    real_estate = np.array([e.section == "L" for e in naf])[naf_index]
    forms[real_estate & (band_index <= 1) & (rng.random(n) < 0.4)] = "SCI"
    public_forms = np.array([p.legal_form for p in cal.PUBLIC_BUYERS])[pub_index]
    return {
        "is_public": public,
        "naf_index": naf_index,
        "pub_index": pub_index,
        "band_index": np.where(public, -1, band_index),
        "employees": np.where(public, public_heads, employees),
        "legal_form": np.where(public, public_forms, forms),
    }


def _draw_created(
    rng: np.random.Generator, seg: dict[str, np.ndarray], window: Window, config: SampleConfig
) -> tuple[IntArray, IntArray]:
    """Draw company creation days and the first day the customer can be invoiced."""
    n = seg["is_public"].size
    young = rng.random(n) < cal.YOUNG_COMPANY_SHARE
    old_age = 3.0 + np.exp(rng.normal(np.log(cal.MEDIAN_AGE_YEARS - 3.0), 0.8, n))
    age_years = np.where(young, rng.uniform(0.05, 3.0, n), np.minimum(old_age, 90.0))
    created = window.end_day - np.round(age_years * 365.25).astype(np.int64)
    region = seg["legal_form"] == "REGION"
    public_created = np.where(region, to_day(pd.Timestamp("2016-01-01").date()), 0)
    public_created = public_created + np.where(
        region, 0, to_day(pd.Timestamp("1983-01-01").date()) + rng.integers(0, 4000, n)
    )
    created = np.where(seg["is_public"], public_created, created)
    late_start = rng.random(n) < config.new_relationship_share
    first = np.where(
        late_start,
        rng.integers(window.start_day, window.end_day + 1, n),
        window.start_day - rng.integers(0, 5 * 365, n),
    )
    first = np.maximum(first, created + rng.integers(0, 120, n))
    return created.astype(np.int64), first.astype(np.int64)


def _lateness_and_failure(
    seg: dict[str, np.ndarray], created: IntArray, window: Window
) -> tuple[FloatArray, FloatArray]:
    """Return each customer's segment lateness level (days) and relative failure rate."""
    naf = cal.NAF_TABLE
    sector_days = np.array([e.days_late for e in naf])[seg["naf_index"]]
    sector_fail = np.array([e.failure_multiplier for e in naf])[seg["naf_index"]]
    bands = cal.SIZE_BANDS
    band = np.maximum(seg["band_index"], 0)
    size_days = np.array([b.days_late for b in bands])[band]
    size_mean = float(np.dot([b.weight for b in bands], [b.days_late for b in bands]))
    size_fail = np.array([b.failure_multiplier for b in bands])[band]
    age_years = (window.end_day - created) / 365.25
    age_class = np.searchsorted(np.asarray(cal.AGE_BOUNDS_YEARS), age_years, side="right")
    age_days = np.asarray(cal.AGE_LATENESS_MULTIPLIER)[age_class]
    age_fail = np.asarray(cal.AGE_FAILURE_MULTIPLIER)[age_class]
    sole = seg["legal_form"] == "EI"
    form = np.where(sole, cal.SOLE_TRADER_DAYS_LATE / bands[0].days_late, 1.0)
    business_days = sector_days * size_days / size_mean * form * age_days
    public_days = np.array([p.days_late for p in cal.PUBLIC_BUYERS])[seg["pub_index"]]
    lateness = np.where(seg["is_public"], public_days, business_days)
    failure = np.where(seg["is_public"], 0.0, sector_fail * size_fail * age_fail)
    return lateness, failure


def _draw_identity(
    rng: np.random.Generator, seg: dict[str, np.ndarray], config: SampleConfig
) -> tuple[StrArray, IntArray]:
    """Draw countries and SIREN numbers (public buyers get INSEE public prefixes)."""
    n = seg["is_public"].size
    foreign = ~seg["is_public"] & (rng.random(n) < config.foreign_share)
    countries = np.asarray(cal.FOREIGN_COUNTRIES)[
        rng.choice(len(cal.FOREIGN_COUNTRIES), n, p=_weights(cal.FOREIGN_COUNTRY_SHARES))
    ]
    country = np.where(foreign, countries, "FR")
    business_body = 30_000_000 + rng.choice(70_000_000, n, replace=False)
    prefixes = np.array([p.siren_prefix for p in cal.PUBLIC_BUYERS])[seg["pub_index"]]
    scale = np.where(prefixes < 10, 10_000_000, 1_000_000)
    public_body = prefixes * scale + rng.integers(0, 1_000_000, n)
    body = np.where(seg["is_public"], public_body, business_body)
    siren = body * 10 + luhn_key(body)
    unknown = foreign | (~seg["is_public"] & (rng.random(n) < config.missing_siren_share))
    return country, np.where(unknown, -1, siren)


def draw_customers(rng: np.random.Generator, config: SampleConfig, window: Window) -> CustomerDraw:
    """Draw every customer's attributes.

    Args:
        rng: the customers' random generator.
        config: sample configuration.
        window: ledger window.

    Returns:
        The customers' latent and observed attributes.
    """
    n = config.customers
    seg = _draw_segments(rng, n, config)
    created, first_day = _draw_created(rng, seg, window, config)
    lateness, failure = _lateness_and_failure(seg, created, window)
    country, siren = _draw_identity(rng, seg, config)
    public = seg["is_public"]
    terms = rng.choice(len(cal.PAYMENT_TERMS), n, p=_weights([t[2] for t in cal.PAYMENT_TERMS]))
    terms_days = np.where(
        public, cal.PUBLIC_TERMS_DAYS, np.array([t[0] for t in cal.PAYMENT_TERMS])[terms]
    )
    eom = ~public & np.array([t[1] for t in cal.PAYMENT_TERMS])[terms]
    heads = np.log1p(seg["employees"])
    log_rate = (
        np.log(config.invoices_per_month) + 0.35 * (heads - np.log(4.0)) + rng.normal(0, 0.9, n)
    )
    prospect = rng.random(n) < config.prospect_share
    grouped = ~public & (seg["band_index"] >= 2) & (rng.random(n) < 0.15)
    group = np.where(grouped, rng.integers(0, max(1, int(grouped.sum()) // 3), n), -1)
    electronic = np.where(
        public, 0.95, np.clip(0.3 + 0.12 * np.log10(seg["employees"] + 1), 0, 0.9)
    )
    return CustomerDraw(
        is_public=public,
        naf_code=np.where(
            public,
            np.array([p.naf_code for p in cal.PUBLIC_BUYERS])[seg["pub_index"]],
            np.array([e.code for e in cal.NAF_TABLE])[seg["naf_index"]],
        ),
        label=np.array([e.label for e in cal.NAF_TABLE])[seg["naf_index"]],
        band_index=seg["band_index"],
        employees=seg["employees"].astype(np.int64),
        legal_form=seg["legal_form"],
        public_prefix=np.array([p.name_prefix for p in cal.PUBLIC_BUYERS])[seg["pub_index"]],
        created_day=created,
        relationship_day=first_day,
        country=country,
        siren=siren.astype(np.int64),
        terms_days=terms_days.astype(np.int64),
        end_of_month=eom,
        lateness_days=lateness,
        failure_multiplier=failure,
        customer_effect=rng.normal(0.0, config.customer_effect_sd, n),
        invoice_rate=np.where(prospect, 0.0, np.exp(log_rate)),
        amount_log_mean=np.log(900.0) + 0.3 * heads + rng.normal(0.0, 0.5, n),
        electronic_propensity=electronic,
        group=group.astype(np.int64),
        has_credit_limit=rng.random(n) < 0.88,
    )


def customer_ids(n: int) -> pd.Series:
    """Return the customer identifiers ``C000001``, ``C000002``, ... (sorted)."""
    return make_ids("C", np.arange(1, n + 1), max(6, len(str(n))))


def base_credit_limits(draw: CustomerDraw) -> np.ndarray:
    """The limit each customer is granted: 1.2 x purchases over terms + 30 days, by 500."""
    volume = draw.invoice_rate * np.exp(draw.amount_log_mean + 0.5 * 0.85**2)
    return np.maximum(500.0, np.round(volume * (draw.terms_days + 30) / 30 * 1.2 / 500) * 500)


def customers_frame(
    draw: CustomerDraw, rng: np.random.Generator, liquidated: BoolArray
) -> pd.DataFrame:
    """Build the ``customers`` table with the contract's dtypes.

    Args:
        draw: the customers' attributes.
        rng: random generator for names.
        liquidated: customers in liquidation at the ledger end get a zero credit limit.

    Returns:
        The customers table, sorted by ``customer_id``.
    """
    n = draw.size
    words = invented_words(rng, n)
    names = company_names(words, draw.label, draw.legal_form, draw.is_public, draw.public_prefix)
    siren = make_ids("", np.maximum(draw.siren, 0), 9).where(pd.Series(draw.siren >= 0))
    limit = np.where(liquidated, 0.0, base_credit_limits(draw))
    group = make_ids("G", np.maximum(draw.group, 0) + 1, 5).where(pd.Series(draw.group >= 0))
    return pd.DataFrame(
        {
            "customer_id": customer_ids(n),
            "name": names,
            "siren": siren,
            "country": pd.Series(draw.country, dtype="str"),
            "naf_code": pd.Series(draw.naf_code, dtype="str"),
            "legal_form": pd.Series(draw.legal_form, dtype="str"),
            "created_on": to_datetime(draw.created_day),
            "employees": pd.array(draw.employees, dtype="Int64"),
            "payment_terms_days": draw.terms_days,
            "end_of_month_terms": draw.end_of_month,
            "credit_limit": np.where(draw.has_credit_limit, limit, np.nan),
            "group_id": group,
        }
    )
