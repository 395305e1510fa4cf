"""Small helpers to write feature specs: window words in English and French."""

from __future__ import annotations

from risk.features.config import window_label


def window_words(days: int) -> tuple[str, str]:
    """Window in words, English and French: 365 -> ("12 months", "12 derniers mois").

    English sentences say "in the last {en}", French ones "sur les {fr}".
    """
    label = window_label(days)
    number = label[:-1]
    if label.endswith("m"):
        return (f"{number} months" if number != "1" else "month", f"{number} derniers mois")
    return (f"{number} days", f"{number} derniers jours")
