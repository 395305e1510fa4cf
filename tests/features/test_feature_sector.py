"""SectorLatenessEncoder: scikit-learn contract, smoothing, unknown sectors, training rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from risk.features import SectorLatenessEncoder, build_invoice_frame
from risk.features.sector import naf_division, naf_section

X = pd.DataFrame({
    "naf_section": ["G", "G", "G", "F", "F", None],
    "naf_division": ["47", "47", "46", "41", "41", None],
})  # fmt: skip
Y = np.array([1, 0, 1, 1, 1, 0])  # overall rate 4/6


@parametrize_with_checks([SectorLatenessEncoder()])
def test_sklearn_contract(estimator: SectorLatenessEncoder, check: object) -> None:
    check(estimator)  # type: ignore[operator]


def test_without_smoothing_rates_are_raw_means() -> None:
    enc = SectorLatenessEncoder(smoothing=0.0).fit(X, Y)
    assert enc.overall_rate_ == pytest.approx(4 / 6)
    assert enc.transform(X).ravel().tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0, 1.0, 4 / 6])


def test_smoothing_shrinks_division_to_section_and_section_to_overall() -> None:
    m = 2.0
    enc = SectorLatenessEncoder(smoothing=m).fit(X, Y)
    overall = 4 / 6
    section_g = (2 + m * overall) / (3 + m)
    division_46 = (1 + m * section_g) / (1 + m)
    assert enc.rates_[0]["G"] == pytest.approx(section_g)
    assert enc.rates_[1]["46"] == pytest.approx(division_46)


def test_unknown_sector_falls_back_to_the_level_above() -> None:
    enc = SectorLatenessEncoder(smoothing=1.0).fit(X, Y)
    unseen = pd.DataFrame({"naf_section": ["G", "Q", None], "naf_division": ["45", "86", "10"]})
    rate = enc.transform(unseen).ravel()
    assert rate[0] == pytest.approx(enc.rates_[0]["G"])
    assert rate[1] == pytest.approx(enc.overall_rate_)
    assert rate[2] == pytest.approx(enc.overall_rate_)
    assert enc.get_feature_names_out().tolist() == ["sector_late_rate"]


def test_init_stores_arguments_only_and_fit_validates() -> None:
    enc = SectorLatenessEncoder(smoothing=-1.0)
    assert not hasattr(enc, "rates_")
    with pytest.raises(ValueError, match="smoothing"):
        enc.fit(X, Y)


def test_fitted_on_training_rows_only_so_test_labels_never_inform_it() -> None:
    from risk.features import invoice_training_frame
    from risk.synth import SampleConfig, generate_portfolio

    ledger = generate_portfolio(SampleConfig(customers=40, years=2, seed=5)).ledger
    frame = invoice_training_frame(ledger)
    split = frame["issued_on"].quantile(0.7)
    train, test = frame[frame["issued_on"] < split], frame[frame["issued_on"] >= split]
    columns = ["naf_section", "naf_division"]
    enc = SectorLatenessEncoder().fit(train[columns], train["label_late"])
    flipped = SectorLatenessEncoder().fit(train[columns], train["label_late"])
    before = enc.transform(test[columns])
    # whatever happens in the test period, the training-window encoding does not move
    assert np.array_equal(before, flipped.transform(test[columns]))
    everything = SectorLatenessEncoder().fit(frame[columns], frame["label_late"])
    assert not np.allclose(everything.transform(test[columns]), before)
    assert "sector_late_rate" not in build_invoice_frame(ledger).columns


def test_naf_helpers() -> None:
    codes = pd.Series(["47.11F", "01.11Z", None, "86.21Z"])
    assert naf_section(codes).tolist()[:2] == ["G", "A"]
    assert pd.isna(naf_section(codes)[2])
    assert naf_division(codes).tolist()[3] == "86"
