"""The feature registry: every feature's meaning, direction, needs and reason-code sentences.

It feeds ``docs/features.md`` (``python -m risk.features.docs``), the monotone constraints of the
models and the reason codes of the scores.

Examples:
    >>> spec = get_spec("n_invoices_paid_late_60d_12m")
    >>> spec.reason(3, "en")
    '3 invoices paid more than 60 days late in the last 12 months'
    >>> spec.reason(3, "fr")
    '3 factures payées avec plus de 60 jours de retard sur les 12 derniers mois'
"""

from __future__ import annotations

from collections.abc import Iterable

from risk.features import (
    cold_start,
    customer,
    exposure,
    invoice,
    invoice_state,
    legal,
    payment,
    peer_dues,
    promises,
    recent_state,
    sector,
    statuses,
)  # fmt: skip
from risk.features.config import FeatureConfig
from risk.features.constraints import constraints
from risk.features.spec import FeatureSpec, is_available
from risk.ledger import Ledger

FAMILIES: tuple[str, ...] = (
    "payment", "exposure", "invoice", "customer", "sector", "legal", "cold_start",
    "invoice_state", "invoice_status", "peer_dues",
)  # fmt: skip


class UnknownFeatureError(KeyError):
    """A feature name is not in the registry."""


def feature_specs(config: FeatureConfig | None = None) -> tuple[FeatureSpec, ...]:
    """Every registered feature for ``config`` (names carry the configured windows).

    Args:
        config: feature parameters; the defaults when None.

    Returns:
        The specs, family by family in ``FAMILIES`` order.
    """
    config = config or FeatureConfig()
    return (
        *payment.specs(config),
        *promises.specs(config),
        *exposure.specs(config),
        *invoice.specs(config),
        *customer.specs(config),
        *sector.specs(),
        *legal.specs(config),
        *cold_start.specs(config),
        *invoice_state.specs(config),
        *statuses.specs(config),
        *peer_dues.specs(config),
        *recent_state.specs(config),
    )


def get_spec(name: str, config: FeatureConfig | None = None) -> FeatureSpec:
    """The spec of feature ``name``.

    Raises:
        UnknownFeatureError: no feature has this name.
    """
    for spec in feature_specs(config):
        if spec.name == name:
            return spec
    raise UnknownFeatureError(f"feature {name!r} is not in the registry")


def frame_specs(level: str, config: FeatureConfig | None = None) -> tuple[FeatureSpec, ...]:
    """Specs of the features a frame of ``level`` holds when complete: customer, invoice (issue
    date rows) or snapshot (open-invoice rows: invoice features plus the invoice's state)."""
    return tuple(
        spec
        for spec in feature_specs(config)
        if spec.source == "frame"
        and (
            spec.level == "customer"
            or (level == "invoice" and spec.level == "invoice")
            or level == "snapshot"
        )
    )


def missing_features(ledger: Ledger, level: str, config: FeatureConfig | None = None) -> list[str]:
    """Features of a ``level`` frame left out because the ledger lacks a table or column."""
    return [spec.name for spec in frame_specs(level, config) if not is_available(spec, ledger)]


def monotone_constraints(names: Iterable[str], config: FeatureConfig | None = None) -> list[int]:
    """The +1 / -1 / 0 monotone-constraint vector of ``names`` (LightGBM's order).

    Only the features of ``risk.features.constraints`` (each with its evidence) are
    constrained; the others are free whatever their expected direction.

    Raises:
        UnknownFeatureError: a name is not in the registry.
    """
    by_name = {spec.name: spec for spec in feature_specs(config)}
    table = constraints(config)
    out = []
    for name in names:
        if name not in by_name:
            raise UnknownFeatureError(f"feature {name!r} is not in the registry")
        spec = by_name[name]
        found = table.get(name)
        out.append(found.sign if found is not None and spec.kind == "numeric" else 0)
    return out


def reason_sentence(
    name: str, value: object, lang: str = "en", config: FeatureConfig | None = None
) -> str:
    """The reason-code sentence of feature ``name`` with ``value`` filled in."""
    return get_spec(name, config).reason(value, lang)
