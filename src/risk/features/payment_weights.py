"""Constants of the recency-weighted payment features, shared by the payment family and the
ledger timeline that precomputes their weights."""

from __future__ import annotations

#: Half-lives (days) of the exponentially weighted days late.
HALF_LIVES: tuple[int, ...] = (30, 90, 180)
#: Due cohorts (days before the date): invoices due in ``[t - hi, t - lo)``.
DUE_COHORTS: tuple[tuple[int, int], ...] = ((30, 90), (90, 180))
#: Origin of the exponential weights (2000-01-01 as days since 1970): ``2 ** ((day - origin)
#: / h)`` stays finite for ``h >= 30`` until 84 years after it.
EWM_ORIGIN = 10_957
