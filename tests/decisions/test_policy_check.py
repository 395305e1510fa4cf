"""The decision policy's default event against the one the default model was trained with
(issue 13, known gap 2): a warning names each field that differs, both values, the model and the
command that retrains it; none when they agree."""

from __future__ import annotations

from dataclasses import asdict

from risk.decisions.credit import CreditPolicy
from risk.decisions.policy_check import policy_warnings
from risk.materiality import DEFINITION_KEY, DefaultDefinition


def metadata(definition: DefaultDefinition | None) -> dict[str, object]:
    recorded = {} if definition is None else {DEFINITION_KEY: asdict(definition)}
    return {"model_name": "payment-risk-default", "model_version": "7", **recorded}


def test_same_definition_gives_no_warning() -> None:
    policy = CreditPolicy.load()
    assert policy_warnings(policy, metadata(policy.default_definition())) == []
    assert policy_warnings(policy, metadata(policy.default_definition()), "fr") == []


def test_no_default_model_gives_no_warning() -> None:
    assert policy_warnings(CreditPolicy.load(), None) == []


def test_each_differing_field_is_named_with_both_values() -> None:
    # decision policy: 120 days, public buyers 200 days; the model learnt the packaged
    # definition (90 days, 180 for public buyers): two fields differ, the others agree
    policy = CreditPolicy(default_past_due_days=120, default_past_due_days_public=200)
    trained = CreditPolicy().default_definition()
    assert trained.past_due_days == 90 and trained.public_past_due_days == 180
    (english,) = policy_warnings(policy, metadata(trained))
    assert "payment-risk-default v7" in english
    assert "days past due: 120 (model: 90)" in english
    assert "days past due for public buyers: 200 (model: 180)" in english
    assert "materiality" not in english and "probation" not in english
    assert "risk train --level default --policy" in english
    (french,) = policy_warnings(policy, metadata(trained), "fr")
    assert "jours de retard : 120 (modèle : 90)" in french
    assert "jours de retard des acheteurs publics : 200 (modèle : 180)" in french
    assert "diffère" in french and "days" not in french


def test_thresholds_and_treatments_in_french_words() -> None:
    policy = CreditPolicy(default_materiality_relative=0.025, default_disputes_suspend=False)
    (french,) = policy_warnings(policy, metadata(CreditPolicy().default_definition()), "fr")
    assert "seuil de matérialité relatif : 0,025 (modèle : 0,01)" in french
    assert "les litiges suspendent le décompte : non (modèle : oui)" in french


def test_a_model_without_a_recorded_definition_is_said() -> None:
    (english,) = policy_warnings(CreditPolicy.load(), metadata(None))
    assert "records no default definition" in english
    (french,) = policy_warnings(CreditPolicy.load(), metadata(None), "fr")
    assert "n'enregistre pas sa définition du défaut" in french
