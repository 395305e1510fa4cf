"""The fit builds LightGBM's Dataset from the pairs a batch at a time (``PairInputs``), never
the whole (row, week) frame: the model must be the one fitted from that frame."""

from __future__ import annotations

from dataclasses import replace

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.timing.conftest import FIT40

from risk.model.bundle import RiskModel
from risk.model.calibration import fit_calibrator
from risk.model.lgbm import LightGBMConfig
from risk.synth import Portfolio
from risk.timing.hazard import (
    LOST_MODEL,
    LOST_PARAMS,
    HazardConfig,
    PairInputs,
    _pairs,
    _training_targets,
    blank_model,
    exit_pairs,
    expand,
    fit_hazard,
    fit_lost_share,
    fit_params,
    outcomes,
    row_matrix,
    training_pairs,
)
from risk.timing.train import TimingWindows, training_rows

FAST = FIT40  # the fit of the ``windows_rows`` fixture
T = pd.Timestamp("2024-01-01")


def frame_fit(
    train: pd.DataFrame, end: pd.Timestamp, valid: pd.DataFrame, valid_end: pd.Timestamp,
    config: HazardConfig,
) -> RiskModel:  # fmt: skip
    """The fit as it was before: the pair frame of ``training_pairs`` handed to LightGBM."""
    model = blank_model(train, FAST.features)
    X, y, w = training_pairs(model, train, end, config.weeks)  # noqa: N806
    Xv, yv, wv = training_pairs(model, valid, valid_end, config.weeks)  # noqa: N806
    params = fit_params(model, FAST.features, config.lightgbm, config.seed)
    train_set = lgb.Dataset(X, label=y, weight=w)
    valid_set = lgb.Dataset(Xv, label=yv, weight=wv, reference=train_set)
    model.booster = lgb.train(
        params, train_set, num_boost_round=config.lightgbm.num_boost_round,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False)],
    )  # fmt: skip
    model.calibrator = fit_calibrator(model.raw_score(Xv), yv, "sigmoid")
    model.metadata["weeks"] = config.weeks
    return model


def frame_lost_fit(
    model: RiskModel, train: pd.DataFrame, end: pd.Timestamp, valid: pd.DataFrame,
    valid_end: pd.Timestamp, config: HazardConfig, rounds: int = 200,
) -> str:  # fmt: skip
    """The lost-share booster as it was fitted before, from the frame of ``exit_pairs``
    (``rounds`` trees at most)."""
    X, y, w = exit_pairs(model, train, end, config.weeks)  # noqa: N806
    Xv, yv, wv = exit_pairs(model, valid, valid_end, config.weeks)  # noqa: N806
    settings = LightGBMConfig(params=dict(LOST_PARAMS), num_threads=config.lightgbm.num_threads)
    params = fit_params(model, FAST.features, settings, config.seed)
    train_set = lgb.Dataset(X, label=y, weight=w)
    valid_sets, callbacks = [], []
    if np.unique(yv).size == 2:
        valid_sets = [lgb.Dataset(Xv, label=yv, weight=wv, reference=train_set)]
        callbacks = [lgb.early_stopping(20, verbose=False)]
    booster = lgb.train(
        params, train_set, num_boost_round=rounds, valid_sets=valid_sets, callbacks=callbacks
    )
    return booster.model_to_string(num_iteration=booster.best_iteration or None)


@pytest.fixture(scope="module")
def both_fits(
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> tuple[RiskModel, RiskModel]:
    windows, train, valid = windows_rows
    args = (train, windows.train_end, valid, windows.valid_end)
    new = fit_hazard(*args, FAST.features, FAST.hazard)
    fit_lost_share(new, *args, FAST.features, FAST.hazard)
    old = frame_fit(*args, FAST.hazard)
    old.metadata[LOST_MODEL] = frame_lost_fit(old, *args, FAST.hazard)
    return new, old


def test_the_hazard_fit_is_the_fit_from_the_pair_frame(
    both_fits: tuple[RiskModel, RiskModel],
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> None:
    new, old = both_fits
    _, _, valid = windows_rows
    assert new.booster.num_trees() == old.booster.num_trees() > 1
    assert new.booster.pandas_categorical == old.booster.pandas_categorical
    # same bins, splits, categories and leaf values: the same model, not merely a close one
    assert new.booster.model_to_string() == old.booster.model_to_string()
    assert new.calibrator.params == pytest.approx(old.calibrator.params, rel=1e-12)
    q_new, lost_new = outcomes(new, valid)
    q_old, lost_old = outcomes(old, valid)
    np.testing.assert_allclose(q_new, q_old, rtol=1e-12, atol=0)
    assert new.metadata.get(LOST_MODEL), "the portfolio must have enough lost exits to fit on"
    assert new.metadata[LOST_MODEL] == old.metadata[LOST_MODEL]
    np.testing.assert_allclose(lost_new, lost_old, rtol=1e-12, atol=0)


def loop_pairs(
    as_of: list[int], paid: list[int | None], lost: list[int | None], end: int, weeks: int,
    censor: bool = True,
) -> list[tuple[int, int, int]]:  # fmt: skip
    """(row, week, still open at the week's end) of every observed pair, one row at a time:
    a row observes each week that ended before ``end``, up to the one it left the risk set in
    (paid or lost, whichever came first; a loss on the payment day counts as lost; a fact on or
    after ``end`` is unknown), at most ``weeks``. With ``censor`` (the default rule) an exit
    in the week ``end`` cuts short is not known either, unless it predates the row's date."""
    out = []
    for r, t in enumerate(as_of):
        known = [d for d in (paid[r], lost[r]) if d is not None and d < end]
        exit_week = max((min(known) - t) // 7, 0) if known else None
        if censor and known and min(known) >= t and t + 7 * (exit_week + 1) > end:
            exit_week = None  # the week of the exit is not observed in full: censored
        for k in range(weeks):
            if exit_week is None and t + 7 * (k + 1) > end:
                break
            out.append((r, k, int(k != exit_week)))
            if k == exit_week:
                break
    return out


def days(values: list[int | None]) -> pd.Series:
    return pd.Series([pd.NaT if v is None else T + pd.Timedelta(days=v) for v in values])


maybe_day = st.one_of(st.none(), st.integers(-20, 300))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    rows=st.lists(st.tuples(st.integers(0, 200), maybe_day, maybe_day), max_size=12),
    end=st.integers(0, 320),
    weeks=st.integers(14, 30),
    censor=st.booleans(),
)
def test_pair_expansion_matches_a_row_by_row_loop(
    rows: list[tuple[int, int | None, int | None]], end: int, weeks: int, censor: bool
) -> None:
    as_of = [t for t, _, _ in rows]
    paid = [p for _, p, _ in rows]
    lost = [lo for _, _, lo in rows]
    frame = pd.DataFrame(
        {"as_of": days(as_of), "paid_on": days(paid), "lost_on": days(lost)}
    ).assign(snapshot_weight=[1.0 / (1 + r) for r in range(len(rows))])
    row, week, y, weight = _training_targets(frame, T + pd.Timedelta(days=end), weeks, censor)
    got = list(zip(row.tolist(), week.tolist(), y.tolist(), strict=True))
    assert got == loop_pairs(as_of, paid, lost, end, weeks, censor)
    assert weight.tolist() == [1.0 / (1 + r) for r in row.tolist()]


@settings(max_examples=50, deadline=None)
@given(counts=st.lists(st.integers(0, 30), max_size=20))
def test_pairs_enumerate_the_weeks_of_each_row_in_order(counts: list[int]) -> None:
    rows, weeks = _pairs(np.array(counts, dtype=np.int64))
    assert list(zip(rows.tolist(), weeks.tolist(), strict=True)) == [
        (r, k) for r, count in enumerate(counts) for k in range(count)
    ]


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_pair_inputs_are_what_lightgbm_makes_of_the_pair_frame(
    data: st.DataObject,
    both_fits: tuple[RiskModel, RiskModel],
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> None:
    """Any pairs, any batch: the same values as ``expand``'s frame, categoricals as their
    codes among the training categories (LightGBM's own reading of a categorical frame)."""
    _, old = both_fits
    _, _, valid = windows_rows
    frame = valid.head(60)
    n = data.draw(st.integers(1, 40))
    rows = np.array(data.draw(st.lists(st.integers(0, len(frame) - 1), min_size=n, max_size=n)))
    weeks = np.array(data.draw(st.lists(st.integers(0, 25), min_size=n, max_size=n)))
    inputs = PairInputs(
        row_matrix(old, frame), frame["days_past_due"].to_numpy(dtype="float64"), rows, weeks
    )
    start = data.draw(st.integers(0, n - 1))
    matrix = inputs[start:]
    pairs = expand(old, frame, rows, weeks).iloc[start:]
    for j, name in enumerate(old.features):
        column = pairs[name]
        if name in old.categories:
            codes = column.cat.codes.to_numpy().astype("float64")
            expected = np.where(codes < 0, np.nan, codes)
            assert list(column.cat.categories) == old.categories[name]
        else:
            expected = column.to_numpy(dtype="float64", na_value=np.nan)
        np.testing.assert_array_equal(matrix[:, j], expected, err_msg=name)
    np.testing.assert_array_equal(inputs[int(start)], matrix[0])
    raw = old.booster.predict(pairs, raw_score=True)
    np.testing.assert_array_equal(old.booster.predict(matrix, raw_score=True), raw)


def test_training_rows_weigh_one_each_by_default_or_one_over_their_rank(
    small_portfolio: Portfolio,
    windows_rows: tuple[TimingWindows, pd.DataFrame, pd.DataFrame],
) -> None:
    """Unit row weights by default (every open invoice counts once, as at a scoring date);
    ``row_weights="snapshot"`` keeps the snapshot rows' ``1 / (1 + j)``."""
    windows, train, valid = windows_rows
    assert FIT40.hazard.row_weights == "none"  # the fixture's settings are the defaults
    assert (train["snapshot_weight"] == 1.0).all() and (valid["snapshot_weight"] == 1.0).all()
    weighted = replace(FIT40, hazard=replace(FIT40.hazard, row_weights="snapshot"))
    rows = training_rows(small_portfolio.ledger, weighted, windows)
    assert len(rows) == len(train) + len(valid)
    j = rows.groupby("invoice_id").cumcount()  # rows of an invoice in snapshot order
    assert rows["as_of"].groupby(rows["invoice_id"]).is_monotonic_increasing.all()
    np.testing.assert_allclose(rows["snapshot_weight"], 1.0 / (1 + j), rtol=1e-12)
