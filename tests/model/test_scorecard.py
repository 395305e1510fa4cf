"""The weight-of-evidence scorecard baseline (issue 19, finding 4): monotone bins, WoE and
points by the formulas of ``risk.model.scorecard``, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.errors import ConfigError
from risk.model.scorecard import WoEScorecard


def test_bins_woe_and_points_by_hand() -> None:
    # 20 rows: x in four blocks of 5, late counts 0, 1, 2, 4: a monotone rising late rate
    x = pd.Series(np.repeat([1.0, 2.0, 3.0, 4.0], 5), name="days_late")
    y = np.array([0] * 5 + [1, 0, 0, 0, 0] + [1, 1, 0, 0, 0] + [1, 1, 1, 1, 0])
    card = WoEScorecard(max_bins=4, min_bin_share=0.2, C=1e6).fit(x.to_frame(), y)
    bins = card.bins_[0]
    assert bins.edges == [1.0, 2.0, 3.0, np.inf]
    # WoE = ln((good_i + .5) / sum(good + .5)) / ((bad_i + .5) / sum(bad + .5)); missing bin empty
    good = np.array([5, 4, 3, 1, 0]) + 0.5
    bad = np.array([0, 1, 2, 4, 0]) + 0.5
    expected = np.log((good / good.sum()) / (bad / bad.sum()))
    np.testing.assert_allclose(bins.woe, expected)
    # points: -(coef * woe + intercept) * PDO / ln 2 + 600 - PDO / ln 2 * ln 50 (one feature)
    factor = 20 / np.log(2)
    points = -(card.coef_[0] * expected + card.intercept_) * factor + 600 - factor * np.log(50)
    np.testing.assert_allclose(bins.points, points)
    assert card.coef_[0] < 0  # more evidence of paying on time, lower late probability
    scores = card.score(x.to_frame())
    assert scores[0] > scores[-1]  # the safest block scores more points
    # doubling the odds of paying on time is worth PDO points
    odds = np.exp(-card.decision_function(x.to_frame()))
    assert (scores[5] - scores[0]) == pytest.approx(factor * np.log(odds[5] / odds[0]))


def test_non_monotone_quantile_bins_are_merged() -> None:
    # late rates 0.0, 0.6, 0.2, 0.8 in four blocks: the 0.6 / 0.2 pair is merged
    x = pd.Series(np.repeat([1.0, 2.0, 3.0, 4.0], 5), name="x")
    y = np.array([0] * 5 + [1, 1, 1, 0, 0] + [1, 0, 0, 0, 0] + [1, 1, 1, 1, 0])
    card = WoEScorecard(max_bins=4, min_bin_share=0.2).fit(x.to_frame(), y)
    assert card.bins_[0].edges == [1.0, 3.0, np.inf]
    assert np.all(np.diff(card.bins_[0].woe[:-1]) < 0)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_numeric_woe_is_monotone_and_json_round_trips(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=400)
    x[rng.random(400) < 0.1] = np.nan
    y = (rng.random(400) < 1 / (1 + np.exp(-np.nan_to_num(x)))).astype(int)
    frame = pd.DataFrame({"x": x, "kind": rng.choice(["a", "b", "c"], 400)})
    frame["kind"] = frame["kind"].astype("category")
    card = WoEScorecard(random_state=1).fit(frame, y)
    woe = np.asarray(card.bins_[0].woe[:-1])  # the missing bin is apart
    assert np.all(np.diff(woe) <= 0) or np.all(np.diff(woe) >= 0)
    again = WoEScorecard.from_dict(json.loads(json.dumps(card.to_dict())))
    np.testing.assert_allclose(again.predict_proba(frame), card.predict_proba(frame))
    np.testing.assert_allclose(again.score(frame), card.score(frame))
    table = card.points_table()  # the noise category may be left out for a wrong sign
    assert set(table["feature"]) | set(card.dropped_) == {"x", "kind"}
    assert "x" in set(table["feature"]) and "missing" in set(table["bin"])


def test_one_class_is_refused() -> None:
    with pytest.raises(ConfigError, match="late and on-time"):
        WoEScorecard().fit(pd.DataFrame({"x": [1.0, 2.0]}), np.array([0, 0]))


def test_the_scorecard_is_a_challenger_in_the_training_report(
    fitted, invoice_data, windows_and_masks
) -> None:
    from sklearn.metrics import roc_auc_score

    from risk.model.fit import SCORECARD, score_test

    _, masks = windows_and_masks
    probs = score_test(fitted, invoice_data, masks.test)
    y = invoice_data.y[masks.test]
    assert roc_auc_score(y, probs[SCORECARD]) > 0.6
    assert (
        roc_auc_score(y, probs["LightGBM (calibrated)"]) > roc_auc_score(y, probs[SCORECARD]) - 0.01
    )


def test_the_scorecard_is_registered_as_a_challenger(
    fitted, invoice_data, windows_and_masks, store
) -> None:
    """Registered under its own name with the challenger alias, hash-checked, and it scores a
    features frame as the fitted scorecard does on the model's prepared inputs."""
    from risk import registry
    from risk.model.bundle import BUNDLE_FILE

    _, masks = windows_and_masks
    frame = invoice_data.frame[masks.test].head(300)
    with registry.training_run(store, "invoice", "scorecard-test"):
        version = registry.log_scorecard(fitted.scorecard, fitted.model, store, {"test_auc": "1"})
    loaded = registry.load_scorecard(store, "invoice")
    assert loaded.metadata["model_version"] == version
    assert loaded.metadata["test_auc"] == "1"
    expected = fitted.scorecard.predict_proba(fitted.model.prepare(frame))[:, 1]
    np.testing.assert_array_equal(loaded.predict_proba(frame), expected)
    assert loaded.card.pdo == fitted.scorecard.pdo
    assert loaded.card.base_points == fitted.scorecard.base_points
    mv = store.client().get_model_version(registry.scorecard_name("invoice"), version)
    assert "challenger" in mv.aliases
    # a changed artifact is refused, as for every registered model
    source = mv.source.removeprefix("file://")
    from pathlib import Path

    bundle = Path(source) / BUNDLE_FILE
    bundle.write_text(bundle.read_text().replace('"level"', '"level" ', 1))
    with pytest.raises(registry.ModelIntegrityError, match="changed"):
        registry.load_scorecard(store, "invoice", version=version)


def test_a_wrong_sign_feature_is_left_out_and_every_points_rise_with_woe() -> None:
    """Late log-odds u + 0.3 v seen through x1 = u + v and x2 = v: alone, x2 raises the risk
    (its WoE falls with it), but given x1 its effect is u + 0.3 v = x1 - 0.7 x2, reversed. The
    unconstrained regression gives WoE(x2) a positive coefficient (its points would fall as its
    bins get safer): it is left out, and every kept feature's points rise with its WoE."""
    rng = np.random.default_rng(3)
    u, v, w = rng.normal(size=(3, 6000))
    y = (rng.random(6000) < 1 / (1 + np.exp(-(u + 0.3 * v)))).astype(int)
    frame = pd.DataFrame({"x1": u + v, "x2": v, "noise_free": u + 0.2 * w})
    woe_only = WoEScorecard(random_state=1).fit(frame[["x2"]], y)
    assert np.all(np.diff(woe_only.bins_[0].woe[:-1]) < 0)  # alone: higher x2, riskier
    card = WoEScorecard(random_state=1).fit(frame, y)
    assert list(card.dropped_) == ["x2"] and card.dropped_["x2"] > 0
    assert [b.name for b in card.bins_] == ["x1", "noise_free"]
    assert np.all(card.coef_ < 0)
    for bins in card.bins_:
        order = np.argsort(bins.woe)
        assert np.all(np.diff(np.asarray(bins.points)[order]) >= 0), bins.name
    again = WoEScorecard.from_dict(json.loads(json.dumps(card.to_dict())))
    assert again.dropped_ == card.dropped_
    np.testing.assert_allclose(again.predict_proba(frame), card.predict_proba(frame))


def test_the_points_section_lists_the_features_left_out() -> None:
    from risk.evaluate.report import points_section

    points = pd.DataFrame(
        {"feature": ["x1"], "bin": ["(-inf, inf]"], "woe": [0.1], "points": [3.0]}
    )
    lines = "\n".join(points_section(points, 20, 600, 50, {"x2": 0.4123}))
    assert "`x2` (+0.412)" in lines and "| x1 | (-inf, inf] | 0.100 | 3.0 |" in lines
