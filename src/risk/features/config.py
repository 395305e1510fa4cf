"""Parameters of the feature and label builders."""

from __future__ import annotations

from dataclasses import dataclass

from risk.errors import ConfigError


@dataclass(frozen=True)
class FeatureConfig:
    """Parameters shared by every feature family and by the labels.

    Attributes:
        late_after_days: L, an invoice is late when paid more than L days after its due date
            (or still unpaid L days after it).
        horizon_days: H, the customer label looks at the H days that follow the snapshot date.
        late_share_threshold: S, the customer label is 1 when more than this share of the
            amount of its invoices due in the horizon is paid more than L days late.
        snapshot_freq: pandas frequency of the customer snapshot dates ("MS" = month start).
        history_window_days: window of the payment-behaviour features (365 = "12m").
        recent_window_days: recent part of the lateness trend (90 = "3m").
        dso_window_days: sales window of the DSO (90 = "3m").
        legal_window_days: window of the counted legal events (365 = "12m").
        min_history_days: customer snapshots start once the customer has an invoice issued
            at least this many days before the snapshot date (0 = any invoice before it).
        n_threads: 2 computes the two groups of families in two threads on large frames
            (same results; about 10 % faster on 2 cores but about 1 GB more peak memory on a
            5M-invoice frame); 1 (default) stays single-threaded.
    """

    late_after_days: int = 30
    horizon_days: int = 180
    late_share_threshold: float = 0.25
    snapshot_freq: str = "MS"
    history_window_days: int = 365
    recent_window_days: int = 90
    dso_window_days: int = 90
    legal_window_days: int = 365
    min_history_days: int = 0
    n_threads: int = 1

    def __post_init__(self) -> None:
        for name in (
            "horizon_days",
            "history_window_days",
            "recent_window_days",
            "dso_window_days",
            "legal_window_days",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"FeatureConfig.{name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.late_share_threshold < 1:
            raise ConfigError(
                "FeatureConfig.late_share_threshold must be in [0, 1), got "
                f"{self.late_share_threshold}"
            )
        if self.late_after_days < 0 or self.min_history_days < 0:
            raise ConfigError("FeatureConfig.late_after_days and min_history_days must be >= 0")
        if self.recent_window_days >= self.history_window_days:
            raise ConfigError(
                "FeatureConfig.recent_window_days must be shorter than history_window_days "
                f"({self.recent_window_days} >= {self.history_window_days})"
            )


def window_label(days: int) -> str:
    """Short label of a window for feature names: 365 -> "12m", 90 -> "3m", 45 -> "45d".

    Examples:
        >>> window_label(365), window_label(90), window_label(730), window_label(45)
        ('12m', '3m', '24m', '45d')
    """
    if days % 365 == 0:
        return f"{12 * days // 365}m"
    if days % 30 == 0:
        return f"{days // 30}m"
    return f"{days}d"
