"""(row, week) pairs: observed weeks, the payment week, right-censoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from risk.errors import ConfigError
from risk.timing.hazard import HazardConfig, pair_counts

T = pd.Timestamp("2024-01-01")


def days(*offsets: int | None) -> pd.Series:
    return pd.Series([pd.NaT if o is None else T + pd.Timedelta(days=o) for o in offsets])


def test_pairs_up_to_the_payment_week_or_the_censoring_day() -> None:
    as_of = pd.Series([T] * 5)
    # paid day 10 (week 1); paid day 0 (week 0); open; paid after the end (unknown: open);
    # paid day 200 = week 28, after the 26 modelled weeks: 26 weeks unpaid
    paid = days(10, 0, None, 40, 200)
    count, week = pair_counts(as_of, paid, T + pd.Timedelta(days=30), 26)
    assert list(count[:4]) == [2, 1, 4, 4]  # day 30: four full weeks observed
    assert list(week[:4]) == [1, 0, -1, -1]
    count, week = pair_counts(as_of.iloc[4:], paid.iloc[4:], T + pd.Timedelta(days=400), 26)
    assert (count[0], week[0]) == (26, -1)


def test_an_exit_in_the_week_the_censoring_day_cuts_short_is_censored_by_default() -> None:
    # censoring day 30: weeks 0-3 (days 0-27) observed in full, week 4 (days 28-34) cut short
    as_of, paid, end = pd.Series([T, T]), days(29, None), T + pd.Timedelta(days=30)
    count, week = pair_counts(as_of, paid, end, 26)
    # the payer of day 29 gives the four full weeks, unpaid, like the open invoice beside it
    assert list(count) == [4, 4] and list(week) == [-1, -1]
    count, week = pair_counts(as_of, paid, end, 26, censor_partial_week=False)
    assert list(count) == [5, 4] and list(week) == [4, -1]  # the former rule: a payers-only week
    count, week = pair_counts(as_of, days(27, None), end, 26)  # paid in the last full week
    assert list(count) == [4, 4] and list(week) == [3, -1]


def test_a_row_at_the_censoring_day_gives_no_pair() -> None:
    count, _ = pair_counts(pd.Series([T]), days(None), T + pd.Timedelta(days=6), 26)
    assert count[0] == 0  # the first week is not over: censored, not "unpaid"


def test_hazard_config_validates() -> None:
    with pytest.raises(ConfigError, match="weeks"):
        HazardConfig(weeks=5)
    assert np.isfinite(HazardConfig().weeks)
    with pytest.raises(ConfigError, match="partial_week"):
        HazardConfig(partial_week="dropped")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="row_weights"):
        HazardConfig(row_weights="age")  # type: ignore[arg-type]


def test_pairs_give_the_true_weekly_hazard_whatever_the_censoring_day() -> None:
    """Exact check of the censoring rule: an invoice paid with a constant daily hazard ``p``
    (payment day ``d`` with probability ``p (1 - p)^d``), one row at ``T``, censored on every day
    from 1 to 200 days later. Every payment day is enumerated with its probability, so the pairs'
    expected events over expected pairs, week by week, must be the true weekly hazard
    ``1 - (1 - p)^7`` exactly with ``censor_partial_week`` (``HazardConfig.partial_week =
    "censored"``, the default). A payment seen in the week the censoring day cuts short is not
    a week observed in full: counting it (the former rule, ``"counted"``: the week's unpaid
    invoices left out) overstates the hazard of that week, i.e. the model pays too fast."""
    p, weeks, horizon = 0.03, 26, 400
    pay_days = np.arange(horizon)
    prob = p * (1 - p) ** pay_days
    paid = days(*pay_days.tolist(), None)  # and "not paid within the horizon"
    prob = np.append(prob, (1 - p) ** horizon)
    true = 1 - (1 - p) ** 7

    def estimated(censor: bool) -> np.ndarray:
        events, pairs = np.zeros(weeks), np.zeros(weeks)
        for stop in range(1, 201):
            count, week = pair_counts(
                pd.Series([T] * len(paid)), paid, T + pd.Timedelta(days=stop), weeks, censor
            )
            pairs += prob @ (np.arange(weeks)[None, :] < count[:, None])
            events += prob @ (np.arange(weeks)[None, :] == week[:, None])
        return events[pairs > 0] / pairs[pairs > 0]

    np.testing.assert_allclose(estimated(censor=True), true, rtol=1e-9)
    counted = estimated(censor=False)  # the former rule: every week too fast
    assert (counted > true * 1.01).all() and counted.max() > true * 1.1
