"""Reason codes: native TreeSHAP equals shap's TreeExplainer, additivity, sentences."""

from __future__ import annotations

import numpy as np
import pytest
import shap

from risk.explain import contributions, probability_impacts, reasons_text, top_reasons
from risk.features.registry import get_spec


def test_native_contributions_equal_shap_tree_explainer(
    fitted, invoice_data, windows_and_masks
) -> None:
    _, masks = windows_and_masks
    rows = invoice_data.frame[masks.test].head(100)
    native = contributions(fitted.model, rows)
    inputs = fitted.model.prepare(rows)
    explainer = shap.TreeExplainer(fitted.model.booster)
    reference = explainer.shap_values(inputs)
    reference = reference[1] if isinstance(reference, list) else reference
    np.testing.assert_allclose(native.drop(columns="base_value").to_numpy(), reference, atol=1e-6)
    np.testing.assert_allclose(
        native["base_value"].to_numpy(), np.ravel(explainer.expected_value)[-1], atol=1e-6
    )


def test_contributions_plus_base_value_equal_the_raw_score(
    fitted, invoice_data, windows_and_masks
) -> None:
    _, masks = windows_and_masks
    rows = invoice_data.frame[masks.test].head(200)
    native = contributions(fitted.model, rows)
    raw = fitted.model.raw_score(fitted.model.prepare(rows))
    np.testing.assert_allclose(native.sum(axis=1).to_numpy(), raw, atol=1e-9)
    impacts = probability_impacts(fitted.model, native)
    # an upward contribution never lowers the calibrated probability, a downward one never
    # raises it (a flat step of an isotonic calibration may leave it unchanged)
    product = native.drop(columns="base_value").to_numpy() * impacts.to_numpy()
    assert (product >= -1e-12).all()
    assert (impacts.abs().to_numpy() <= 1.0).all()


def test_top_reasons_are_the_strongest_drivers_with_sentences(
    fitted, invoice_data, windows_and_masks
) -> None:
    _, masks = windows_and_masks
    rows = invoice_data.frame[masks.test].head(30)
    native = contributions(fitted.model, rows).drop(columns="base_value")
    inputs = fitted.model.prepare(rows)
    for row, reasons in enumerate(top_reasons(fitted.model, rows, top=3)):
        ups = [r for r in reasons if r.direction == "up"]
        downs = [r for r in reasons if r.direction == "down"]
        assert len(ups) <= 3 and len(downs) <= 3
        known = inputs.iloc[row].notna()
        positive = native.iloc[row][known & (native.iloc[row] > 0)].sort_values(ascending=False)
        assert [r.feature for r in ups] == list(positive.index[: len(ups)])
        for reason in reasons:
            assert reason.text_en and reason.text_fr and reason.value is not None


def test_sentences_carry_the_value_in_both_languages() -> None:
    spec = get_spec("n_invoices_paid_late_60d_12m")
    assert spec.reason(3, "en") == "3 invoices paid more than 60 days late in the last 12 months"
    assert (
        spec.reason(3, "fr")
        == "3 factures payées avec plus de 60 jours de retard sur les 12 derniers mois"
    )


def test_empty_frame_has_no_reasons(fitted, invoice_data) -> None:
    assert top_reasons(fitted.model, invoice_data.frame.head(0)) == []
    assert reasons_text([], "fr") == ""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_reasons_text_joins_upward_drivers(
    fitted, invoice_data, windows_and_masks, lang: str
) -> None:
    _, masks = windows_and_masks
    rows = invoice_data.frame[masks.test].head(5)
    for reasons in top_reasons(fitted.model, rows, top=2, direction="up"):
        assert all(r.direction == "up" for r in reasons) and len(reasons) <= 2
        assert reasons_text(reasons, lang) == "; ".join(r.text(lang) for r in reasons)


def test_top_reasons_from_prepared_inputs_equal_those_from_the_frame(
    fitted, invoice_data, windows_and_masks
) -> None:
    _, masks = windows_and_masks
    rows = invoice_data.frame[masks.test].head(40)
    inputs = fitted.model.prepare(rows)
    given = top_reasons(fitted.model, rows, top=3, inputs=inputs)
    assert given == top_reasons(fitted.model, rows, top=3)
    for row, reasons in enumerate(given):
        for reason in reasons:  # the value shown is the model's input, as a plain Python value
            cell = inputs.iloc[row][reason.feature]
            assert reason.value == (cell.item() if hasattr(cell, "item") else cell)
