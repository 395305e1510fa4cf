"""A few rows (one customer's score) are predicted as a matrix on one thread: the same raw
scores, probabilities and TreeSHAP contributions as LightGBM's own frame conversion."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from risk.features.sector import OUTPUT_NAME as SECTOR_RATE
from risk.features.sector import SectorLatenessEncoder
from risk.model.bundle import SINGLE_THREAD_ROWS, RiskModel, encoder_state
from risk.model.calibration import Calibrator

FORMS = ["SA", "SARL", "SAS", "SASU"]


def _features(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "days_late": rng.normal(10, 8, n),
            "n_invoices": pd.array(rng.integers(0, 40, n), dtype="Int64"),
            "has_history": rng.random(n) < 0.8,
            "legal_form": rng.choice([*FORMS, "EI", None], n),  # EI: not seen in training
            "naf_section": rng.choice(["C", "G", "F", None], n),
            "naf_division": rng.choice(["10", "47", "41", "99", None], n),
        }
    )


@pytest.fixture(scope="module")
def model() -> RiskModel:
    train = _features(3_000, seed=1)
    y = (train["days_late"] + 5 * (train["legal_form"] == "SARL") > 14).astype(int)
    sector = SectorLatenessEncoder(smoothing=5.0).fit(
        train[["naf_section", "naf_division"]].astype("object"), y
    )
    bundle = RiskModel(
        level="customer",
        features=["days_late", "n_invoices", "has_history", "legal_form", SECTOR_RATE],
        categories={"legal_form": FORMS},
        booster=None,  # type: ignore[arg-type]  # fitted below on the prepared inputs
        calibrator=Calibrator("sigmoid", {"a": 0.9, "b": -0.1}),
        sector=encoder_state(sector),
    )
    inputs = bundle.prepare(train)
    bundle.booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_leaves": 7, "min_data_in_leaf": 20},
        lgb.Dataset(inputs, y),
        num_boost_round=30,
    )
    return bundle


def test_few_rows_give_the_frame_predictions(model: RiskModel) -> None:
    rows = _features(40, seed=2)
    assert len(rows) < SINGLE_THREAD_ROWS
    inputs = model.prepare(rows)
    assert model._matrix(inputs) is not None  # the matrix path, not LightGBM's fallback
    frame_raw = model.booster.predict(inputs, raw_score=True)  # LightGBM's pandas conversion
    frame_contrib = model.booster.predict(inputs, pred_contrib=True)
    np.testing.assert_allclose(model.raw_score(inputs), frame_raw, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        model.contributions(inputs).to_numpy(), frame_contrib, rtol=0, atol=1e-12
    )
    expected = 1 / (1 + np.exp(-(0.9 * frame_raw - 0.1)))  # the sigmoid calibrator's formula
    np.testing.assert_allclose(model.predict_prepared(inputs), expected, rtol=1e-12)


def test_prepared_inputs_follow_the_contract(model: RiskModel) -> None:
    rows = _features(5, seed=3)
    rows.loc[0, "legal_form"] = "EI"  # unseen category: missing, as LightGBM expects
    rows.loc[1, "n_invoices"] = pd.NA
    inputs = model.prepare(rows)
    assert list(inputs.columns) == model.features
    assert pd.isna(inputs.loc[0, "legal_form"])
    assert np.isnan(inputs.loc[1, "n_invoices"])
    assert inputs["has_history"].dtype == "float64"
    assert list(inputs["legal_form"].cat.categories) == FORMS
    # the sector rate is the encoder's transform of the same rows
    encoder = SectorLatenessEncoder(smoothing=model.sector["smoothing"])  # type: ignore[index]
    encoder.overall_rate_ = model.sector["overall_rate"]  # type: ignore[index]
    encoder.rates_ = model.sector["rates"]  # type: ignore[index]
    encoder.n_features_in_ = 2
    encoder.feature_names_in_ = np.array(["naf_section", "naf_division"], dtype=object)
    sectors = rows[["naf_section", "naf_division"]].astype("object")
    np.testing.assert_allclose(inputs[SECTOR_RATE], encoder.transform(sectors).ravel())


def test_inputs_prepared_like_another_model_are_its_own(model: RiskModel) -> None:
    """``prepare(frame, like=(other, its inputs))`` reuses only the columns ``other`` prepares
    the same way: the result equals this model's own ``prepare``, whatever ``other`` is."""
    rows = _features(60, seed=4)
    sector = SectorLatenessEncoder(smoothing=50.0).fit(
        rows[["naf_section", "naf_division"]].astype("object"), (rows["days_late"] > 9).astype(int)
    )
    others = [
        model,
        RiskModel(  # another sector encoder, other categories, a feature fewer
            level="customer",
            features=["days_late", "legal_form", SECTOR_RATE, "has_history"],
            categories={"legal_form": ["SARL", "SAS"]},
            booster=None,  # type: ignore[arg-type]
            calibrator=model.calibrator,
            sector=encoder_state(sector),
        ),
        RiskModel(  # no sector encoder; legal_form as a number of its own
            level="customer",
            features=["n_invoices", "days_late"],
            categories={},
            booster=None,  # type: ignore[arg-type]
            calibrator=model.calibrator,
        ),
    ]
    own = model.prepare(rows)
    for other in others:
        shared = model.prepare(rows, like=(other, other.prepare(rows)))
        pd.testing.assert_frame_equal(shared, own)
