"""Dated rate table of the French late-payment rules (Code de commerce L441-10, D441-5).

The table lists the ECB main refinancing rate changes with their effective dates and the legal
interest rate for professionals per half-year; it is loaded from ``risk/config/rates.yaml`` (or a
file of the user's) and never hard-coded. Rates are kept as integers in basis points
(1 bp = 0.01 %) so that the interest arithmetic is exact.

Example:
    >>> table = load_rate_table()
    >>> table.statutory_rates_bp(date(2024, 8, 30))  # (ECB of 1 July + 10 points, 3 x legal)
    (1425, 1476)
    >>> table.public_buyer_rate_bp(date(2024, 8, 30))  # ECB of 1 July 2024 + 8 points
    1225
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from risk.errors import ConfigError

logger = logging.getLogger(__name__)


def half_year_start(day: date) -> date:
    """First day of the half-year (1 January or 1 July) that contains ``day``."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def half_year_end(day: date) -> date:
    """Last day of the half-year (30 June or 31 December) that contains ``day``."""
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


@dataclass(frozen=True)
class RateChange:
    """An ECB main refinancing rate in force from ``effective_on`` until the next change."""

    effective_on: date
    rate_bp: int


@dataclass(frozen=True)
class HalfYearRate:
    """The legal interest rate of one half-year (``half`` 1 = January-June, 2 = July-December)."""

    year: int
    half: int
    rate_bp: int


@dataclass(frozen=True)
class RateTable:
    """Dated rates of the late-payment rules.

    Attributes:
        ecb_changes: ECB main refinancing rate changes, by strictly increasing effective date.
        legal_rates: legal interest rate (professionals) of consecutive half-years.
        valid_until: last day for which the table is known to be complete.
        margin_bp: points added to the ECB rate (1000 bp = 10 points), private buyers.
        public_margin_bp: points added to the ECB rate for public buyers (800 bp, R2192-31).
        floor_multiplier: the rate is never below this multiple of the legal rate (3).
        recovery_indemnity_cents: flat recovery indemnity per late invoice (4000 = EUR 40).
        source: where the table was read from, for messages.
    """

    ecb_changes: tuple[RateChange, ...]
    legal_rates: tuple[HalfYearRate, ...]
    valid_until: date
    margin_bp: int = 1000
    public_margin_bp: int = 800
    floor_multiplier: int = 3
    recovery_indemnity_cents: int = 4000
    source: str = "<memory>"

    def __post_init__(self) -> None:
        where = f"rate table {self.source}"
        if not self.ecb_changes or not self.legal_rates:
            raise ConfigError(f"{where}: needs at least one ECB rate and one legal rate")
        if any(b.effective_on <= a.effective_on for a, b in pairwise(self.ecb_changes)):
            raise ConfigError(
                f"{where}: ecb_main_refinancing_rate: effective dates must be strictly increasing"
            )
        for a, b in pairwise(self.legal_rates):
            if (b.year, b.half) != ((a.year, 2) if a.half == 1 else (a.year + 1, 1)):
                raise ConfigError(
                    f"{where}: legal_interest_rate_professionals: half-years must follow each "
                    f"other without gap or repeat ({a.year} H{a.half} then {b.year} H{b.half})"
                )
        if self.ecb_changes[0].effective_on > self.valid_from:
            raise ConfigError(
                f"{where}: ecb_main_refinancing_rate must have a rate in force on "
                f"{self.valid_from} (start of the first legal-rate half-year)"
            )
        last = self.legal_rates[-1]
        last_end = date(last.year, 6, 30) if last.half == 1 else date(last.year, 12, 31)
        if not self.valid_from <= self.valid_until <= last_end:
            raise ConfigError(
                f"{where}: valid_until {self.valid_until} must lie between {self.valid_from} and "
                f"{last_end} (end of the last half-year with a legal interest rate)"
            )
        if (
            self.margin_bp < 0
            or self.public_margin_bp < 0
            or self.floor_multiplier < 0
            or self.recovery_indemnity_cents < 0
        ):
            raise ConfigError(f"{where}: margin, floor multiplier and indemnity must be >= 0")

    @property
    def valid_from(self) -> date:
        """First day covered by the table (start of the first legal-rate half-year)."""
        first = self.legal_rates[0]
        return date(first.year, 1 if first.half == 1 else 7, 1)

    def covers(self, day: date) -> bool:
        """Whether every rate of ``day``'s half-year is in the table."""
        return self.valid_from <= day <= self.valid_until

    def check_covered(self, day: date) -> None:
        """Raise a ``ConfigError`` unless ``day`` is covered by the table."""
        if not self.valid_from <= day <= self.valid_until:
            raise ConfigError(
                f"rate table {self.source}: no late-payment rates for {day.isoformat()}; the "
                f"table covers {self.valid_from.isoformat()} to {self.valid_until.isoformat()} "
                "(add the published rates and move valid_until forward)"
            )

    def ecb_rate_bp(self, day: date) -> int:
        """ECB main refinancing rate in force on ``day``, in basis points."""
        self.check_covered(day)
        dates = [change.effective_on for change in self.ecb_changes]
        return self.ecb_changes[bisect_right(dates, day) - 1].rate_bp

    def legal_rate_bp(self, day: date) -> int:
        """Legal interest rate (professionals) of the half-year containing ``day``, in bp."""
        self.check_covered(day)
        half = 1 if day.month <= 6 else 2
        for rate in self.legal_rates:
            if (rate.year, rate.half) == (day.year, half):
                return rate.rate_bp
        raise ConfigError(f"rate table {self.source}: no legal rate for {day.year} H{half}")

    def statutory_rates_bp(self, day: date) -> tuple[int, int]:
        """Default rate and contractual-rate floor for the half-year containing ``day``.

        Returns:
            ``(ecb + margin, floor_multiplier x legal)`` in basis points, with the ECB rate in
            force on the first day of the half-year (1 January or 1 July). The floor applies to
            a contractual rate only (L441-10), never to the default rate.

        Raises:
            ConfigError: if the half-year is not covered by the table.
        """
        self.check_covered(day)
        start = half_year_start(day)
        return self.ecb_rate_bp(start) + self.margin_bp, self.floor_multiplier * (
            self.legal_rate_bp(start)
        )

    def public_buyer_rate_bp(self, interest_starts_on: date) -> int:
        """Rate owed by a public buyer for the whole late period (R2192-31), in bp.

        The ECB rate in force on the first day of the half-year in which interest started to
        run, plus ``public_margin_bp``.

        Raises:
            ConfigError: if that half-year is not covered by the table.
        """
        return self.ecb_rate_bp(half_year_start(interest_starts_on)) + self.public_margin_bp


def _date(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{field}: expected a date YYYY-MM-DD, got {value!r}") from None


def _bp(value: Any, field: str) -> int:
    """Percent with at most 2 decimals -> integer basis points."""
    try:
        scaled = Decimal(str(value)) * 100
    except (InvalidOperation, ValueError):
        raise ConfigError(f"{field}: expected a rate in percent, got {value!r}") from None
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise ConfigError(f"{field}: a rate must be >= 0 with at most 2 decimals, got {value!r}")
    return int(scaled)


def _entries(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    entries = data.get(key)
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ConfigError(f"{key}: expected a list of mappings")
    return entries


def rate_table_from_mapping(data: Mapping[str, Any], source: str = "<memory>") -> RateTable:
    """Build a ``RateTable`` from the parsed YAML mapping (see ``risk/config/rates.yaml``).

    Raises:
        ConfigError: naming the field and the rule broken.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"rate table {source}: expected a mapping at the top level")
    missing = {"valid_until", "ecb_main_refinancing_rate", "legal_interest_rate_professionals"}
    missing -= set(data)
    if missing:
        raise ConfigError(f"rate table {source}: missing fields {sorted(missing)}")
    ecb = tuple(
        RateChange(
            _date(e.get("effective_on"), f"ecb_main_refinancing_rate[{i}].effective_on"),
            _bp(e.get("rate_percent"), f"ecb_main_refinancing_rate[{i}].rate_percent"),
        )
        for i, e in enumerate(_entries(data, "ecb_main_refinancing_rate"))
    )
    legal = []
    for i, e in enumerate(_entries(data, "legal_interest_rate_professionals")):
        field = f"legal_interest_rate_professionals[{i}]"
        if e.get("half") not in (1, 2) or not isinstance(e.get("year"), int):
            raise ConfigError(f"{field}: year must be an integer and half 1 or 2, got {dict(e)}")
        legal.append(HalfYearRate(e["year"], e["half"], _bp(e.get("rate_percent"), field)))
    indemnity = Decimal(str(data.get("recovery_indemnity_eur", 40))) * 100
    return RateTable(
        ecb_changes=ecb,
        legal_rates=tuple(legal),
        valid_until=_date(data["valid_until"], "valid_until"),
        margin_bp=_bp(data.get("ecb_margin_points", 10), "ecb_margin_points"),
        public_margin_bp=_bp(
            data.get("public_buyer_margin_points", 8), "public_buyer_margin_points"
        ),
        floor_multiplier=int(data.get("legal_rate_floor_multiplier", 3)),
        recovery_indemnity_cents=int(indemnity),
        source=source,
    )


def load_rate_table(path: str | Path | None = None) -> RateTable:
    """Load a rate table from a YAML file, or the packaged default ``rates.yaml``.

    Raises:
        ConfigError: if the file is missing, is not valid YAML or breaks a rule.
    """
    if path is None:
        source = "risk/config/rates.yaml"
        text = resources.files("risk.config").joinpath("rates.yaml").read_text("utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"rate table {source}: cannot read ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"rate table {source}: invalid YAML ({exc})") from exc
    return rate_table_from_mapping(data, source)
