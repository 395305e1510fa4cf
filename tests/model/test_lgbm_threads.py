"""A small fit runs on one thread and grows the very trees a two-thread fit grows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from risk.model.lgbm import (
    ONE_THREAD_BELOW_ROWS,
    LightGBMConfig,
    fit_threads,
    lgb_params,
    raw_score,
    train_lightgbm,
)


def _frame(n: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"f{i}" for i in range(6)])  # noqa: N806
    X["sector"] = pd.Categorical(rng.choice(list("abcd"), n))
    y = (X["f0"] + X["f1"] * X["f2"] + rng.normal(size=n) > 0.3).astype(int).to_numpy()
    return X, y


def _trees(booster: object) -> str:
    """The model text without its parameters section (which records the threads)."""
    return booster.model_to_string().split("parameters:")[0]  # type: ignore[attr-defined]


def test_a_small_fit_uses_one_thread_and_the_same_trees() -> None:
    X, y = _frame(3_000)  # noqa: N806
    fits = {}
    for threads in (1, 2):
        fits[threads] = train_lightgbm(
            X[:2_000], y[:2_000], X[2_000:], y[2_000:],
            monotone=[0] * X.shape[1], seed=7,
            config=LightGBMConfig(num_threads=threads, num_boost_round=60),
        )  # fmt: skip
    assert fits[2].params["num_threads"] == 1
    assert _trees(fits[1]) == _trees(fits[2])
    assert np.array_equal(raw_score(fits[1], X), raw_score(fits[2], X))


def test_threads_follow_the_rows() -> None:
    config = LightGBMConfig(num_threads=2)
    assert fit_threads(config, ONE_THREAD_BELOW_ROWS - 1) == 1
    assert fit_threads(config, ONE_THREAD_BELOW_ROWS) == 2
    # the configured value stays what the Dask trainer and the timing model read
    assert lgb_params(config, [], 1)["num_threads"] == 2
