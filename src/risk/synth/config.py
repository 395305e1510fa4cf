"""Configuration of the synthetic portfolio generator.

The published figures the defaults are calibrated on live in :mod:`risk.synth.calibration`;
this module only holds the knobs a user may want to turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from risk.synth import calibration as cal


@dataclass(frozen=True)
class SampleConfig:
    """Parameters of one synthetic portfolio.

    The same config (including ``seed``) always produces byte-identical tables.

    Attributes:
        customers: number of customers (business clients and public buyers).
        years: length of the ledger window in years, ending at ``end_date``.
        seed: seed of the single ``numpy.random.default_rng`` the generator derives from.
        end_date: last day of the ledger (fixed, never "today", for determinism).
        late_threshold_days: L of the truth file: an invoice is late when paid more than L days
            after its due date or still unpaid L days after it.
        public_share: share of public buyers (never fail, pay slowly).
        foreign_share: share of business clients outside France (no SIREN).
        missing_siren_share: share of French business clients whose SIREN is unknown.
        prospect_share: share of customers with no invoice at all (accounts opened, no sale yet).
        new_relationship_share: share of customers whose first invoice falls inside the window.
        annual_proceeding_rate: mean yearly probability that a business client enters a
            collective proceeding (Altares: about 1-3 % a year).
        mean_days_late: target average lateness over all payments, on-time ones counting 0.
        on_time_share: target share of invoices paid on or before their due date.
        invoices_per_month: median number of invoices a mid-size client receives per month.
        latent_persistence: monthly AR(1) coefficient of the latent payment discipline.
        latent_sd: stationary standard deviation of the AR(1) part of the latent discipline.
        customer_effect_sd: standard deviation of the customer's own (non-segment) discipline.
        dispute_rate: base probability that an invoice is disputed.
        partial_payment_rate: probability that a paid invoice is settled in two payments.
        credit_note_rate: probability that an undisputed invoice receives a credit note.
    """

    customers: int = 300
    years: int = 3
    seed: int = 7
    end_date: date = date(2025, 12, 31)
    late_threshold_days: int = 30
    public_share: float = 0.04
    foreign_share: float = 0.04
    missing_siren_share: float = 0.015
    prospect_share: float = 0.03
    new_relationship_share: float = 0.25
    annual_proceeding_rate: float = cal.ANNUAL_PROCEEDING_RATE
    mean_days_late: float = cal.MEAN_DAYS_LATE
    on_time_share: float = cal.ON_TIME_SHARE
    invoices_per_month: float = 0.85
    latent_persistence: float = 0.9
    latent_sd: float = 0.3
    customer_effect_sd: float = 0.35
    dispute_rate: float = 0.025
    partial_payment_rate: float = 0.05
    credit_note_rate: float = 0.015

    def __post_init__(self) -> None:
        """Reject values the generator cannot honour.

        Raises:
            ValueError: a count is not positive or a share is outside [0, 1].
        """
        if self.customers < 1:
            raise ValueError(f"SampleConfig.customers must be >= 1, got {self.customers}")
        if self.years < 1:
            raise ValueError(f"SampleConfig.years must be >= 1, got {self.years}")
        if self.late_threshold_days < 1:
            raise ValueError(
                f"SampleConfig.late_threshold_days must be >= 1, got {self.late_threshold_days}"
            )
        for name in (
            "public_share",
            "foreign_share",
            "missing_siren_share",
            "prospect_share",
            "new_relationship_share",
            "annual_proceeding_rate",
            "on_time_share",
            "dispute_rate",
            "partial_payment_rate",
            "credit_note_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"SampleConfig.{name} must be within [0, 1], got {value}")
        if not 0.0 <= self.latent_persistence < 1.0:
            raise ValueError("SampleConfig.latent_persistence must be within [0, 1)")
