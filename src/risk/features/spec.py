"""The description of one feature (what the registry holds) and availability checks."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Literal

import numpy as np

from risk.ledger import Ledger
from risk.numbers_fr import fr

FeatureKind = Literal["numeric", "categorical"]
FeatureLevel = Literal["customer", "invoice", "snapshot"]
FeatureSource = Literal["frame", "encoder"]


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its meaning, how it moves the risk and what it needs.

    Attributes:
        name: column name, with unit and window (``days_late_mean_12m``).
        family: payment, exposure, invoice, customer, sector, legal or cold_start.
        description_en: meaning in English.
        description_fr: meaning in French.
        direction: +1 a higher value increases the risk, -1 decreases it, 0 unknown or not
            monotone (categorical features are always 0).
        kind: ``numeric`` (float64) or ``categorical`` (pandas ``category``).
        needs: ledger columns the feature reads, as ``table.column``.
        reason_en: reason-code sentence in English, ``{value}`` is the feature value.
        reason_fr: the same sentence in French.
        level: ``customer`` features exist for every (customer, date); ``invoice`` features
            only on invoice rows; ``snapshot`` features (the state of an open invoice) only on
            the open-invoice snapshot rows of the payment-timing model.
        source: ``frame`` (built by the frame builders) or ``encoder`` (added by a fitted
            transformer such as ``SectorLatenessEncoder``).
    """

    name: str
    family: str
    description_en: str
    description_fr: str
    direction: int
    kind: FeatureKind
    needs: tuple[str, ...]
    reason_en: str
    reason_fr: str
    level: FeatureLevel = "customer"
    source: FeatureSource = "frame"

    def reason(self, value: object, lang: str = "en") -> str:
        """Return the reason-code sentence with ``value`` filled in.

        Args:
            value: the feature value.
            lang: ``en`` or ``fr``.

        Raises:
            ValueError: unknown language.
        """
        if lang not in ("en", "fr"):
            raise ValueError(f"reason codes exist in 'en' and 'fr', not {lang!r}")
        if lang == "en":
            return self.reason_en.format(value=value)
        if isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_):
            value = fr(value)  # 1 234,56 and 12 %, whatever the template's format
        return self.reason_fr.format(value=value)


def has_column(ledger: Ledger, needed: str) -> bool:
    """Whether the ledger holds ``table.column`` (the table present and the column in it)."""
    table, _, column = needed.partition(".")
    frame = ledger.tables().get(table)
    return frame is not None and column in frame.columns


def is_available(spec: FeatureSpec, ledger: Ledger) -> bool:
    """Whether every ledger column ``spec`` needs is present."""
    return all(has_column(ledger, needed) for needed in spec.needs)
