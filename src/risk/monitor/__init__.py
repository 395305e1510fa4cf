"""Monitoring of deployed models: population stability, grade migration and back-tests."""

from risk.monitor.drift import (
    PSI_ALERT,
    PSI_WARN,
    SEASONAL,
    DriftAlert,
    alerts,
    backtest_by_month_and_grade,
    feature_psi,
    grade_migration,
    population_stability_index,
)

__all__ = [
    "PSI_ALERT",
    "PSI_WARN",
    "SEASONAL",
    "DriftAlert",
    "alerts",
    "backtest_by_month_and_grade",
    "feature_psi",
    "grade_migration",
    "population_stability_index",
]
