"""A payment-timing configuration that trains in seconds, shared by the test folders."""

from __future__ import annotations

from risk.model.lgbm import LightGBMConfig
from risk.timing.hazard import TIMING_PARAMS, HazardConfig
from risk.timing.snapshots import SnapshotConfig
from risk.timing.train import TimingConfig


def fast_timing(rounds: int = 40) -> TimingConfig:
    """Fortnightly snapshots, 16 weeks, at most ``rounds`` trees on one thread."""
    return TimingConfig(
        snapshots=SnapshotConfig(every_days=14),
        hazard=HazardConfig(
            weeks=16,
            lightgbm=LightGBMConfig(
                params=dict(TIMING_PARAMS),
                num_boost_round=rounds,
                early_stopping_rounds=10,
                num_threads=1,
            ),
        ),
    )
