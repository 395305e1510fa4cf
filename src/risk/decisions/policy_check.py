"""Does the decision policy define default as the served default model learnt it?

The customer default model estimates the probability of the default event *as the credit policy
defined it when the model was trained* (``risk train --level default --policy FILE`` records
the definition with the model in MLflow: ``risk.materiality.DEFINITION_KEY``). Grades and
credit limits read that PD against the policy used at decision time (``--policy`` of ``risk
worklist``, ``risk letters``, ``risk score``; ``RISK_CREDIT_POLICY`` for the service). When the
two definitions differ (say 120 days past due at decision time, 90 days at training), the PD
estimates another event than the one the policy's master scale and loss budget were written
for: the decisions stay computable but the credit manager must be told, and the model
retrained with the same file.
"""

from __future__ import annotations

from typing import Any, Literal

from risk.decisions.credit import CreditPolicy
from risk.materiality import DefaultDefinition, definition_differences, definition_from_metadata

#: the definition's fields as a credit manager reads them, in English and French
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "past_due_days": ("days past due", "jours de retard"),
    "absolute": ("absolute materiality threshold (EUR)", "seuil de matérialité absolu (EUR)"),
    "relative": ("relative materiality threshold", "seuil de matérialité relatif"),
    "public_past_due_days": (
        "days past due for public buyers",
        "jours de retard des acheteurs publics",
    ),
    "disputes_suspend": ("disputes suspend the count", "les litiges suspendent le décompte"),
    "probation_days": ("probation days", "jours de période probatoire"),
}


def _value(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return ("yes" if value else "no") if lang == "en" else ("oui" if value else "non")
    if value is None:
        return "same as others" if lang == "en" else "comme les autres"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if lang == "en" else text.replace(".", ",")


def policy_warnings(
    policy: CreditPolicy,
    default_model_metadata: dict[str, Any] | None,
    lang: Literal["en", "fr"] = "en",
) -> list[str]:
    """The warnings to show beside decisions made with ``policy`` and this default model.

    Args:
        policy: the credit policy of the decisions.
        default_model_metadata: the served default model's metadata (None: no default model,
            nothing to compare).
        lang: ``en`` or ``fr``.

    Returns:
        No warning when the definitions agree; one sentence naming each differing field with
        both values, the model version and the command that retrains it otherwise.
    """
    if default_model_metadata is None:
        return []
    trained: DefaultDefinition | None = definition_from_metadata(default_model_metadata)
    name = str(default_model_metadata.get("model_name", "payment-risk-default"))
    version = str(default_model_metadata.get("model_version", "local"))
    if trained is None:
        return [
            f"the default model {name} v{version} records no default definition (trained "
            "before it was recorded): its PD may estimate another event than the policy's; "
            "retrain it with `risk train --level default --policy FILE`"
            if lang == "en"
            else f"le modèle de défaut {name} v{version} n'enregistre pas sa définition du "
            "défaut (entraîné avant) : sa PD peut estimer un autre événement que celui de la "
            "politique ; le réentraîner avec `risk train --level default --policy FICHIER`"
        ]
    differences = definition_differences(policy.default_definition(), trained)
    if not differences:
        return []
    index = 0 if lang == "en" else 1
    listed = "; ".join(
        f"{FIELD_NAMES[field][index]}{':' if lang == 'en' else ' :'} {_value(now, lang)} "
        + ("(model: " if lang == "en" else "(modèle : ")
        + f"{_value(then, lang)})"
        for field, (now, then) in differences.items()
    )
    if lang == "en":
        return [
            f"the credit policy's default event differs from the one the default model {name} "
            f"v{version} was trained with ({listed}): grades and limits read a PD of another "
            "event; retrain it with `risk train --level default --policy FILE`"
        ]
    return [
        "la définition du défaut de la politique de crédit diffère de celle du modèle de "
        f"défaut {name} v{version} ({listed}) : notes et limites lisent la PD d'un autre "
        "événement ; le réentraîner avec `risk train --level default --policy FICHIER`"
    ]
