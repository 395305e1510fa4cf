"""Plausible fake company names built from syllables (no real people, no real companies)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

_HEADS = (
    "Val", "Mor", "Ber", "Cor", "Lan", "Gar", "Bel", "Roc", "Fon", "Mar", "Sau", "Ver", "Char",
    "Bru", "Cas", "Lor", "Mon", "Pel", "Ri", "Tal", "Aub", "Ker", "Vil", "Ros", "Du",
)  # fmt: skip
_MIDDLES = ("e", "a", "i", "o", "an", "en", "on", "ou", "er", "")
_TAILS = (
    "ret", "ville", "mont", "bourg", "lac", "sac", "ard", "ier", "ot", "ais", "rand", "vin",
    "lieu", "court", "gny", "val", "roche", "nay",
)  # fmt: skip


def invented_words(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """Return ``n`` invented place-like words such as ``Valmoret`` (vectorised)."""
    heads = np.asarray(_HEADS)[rng.integers(0, len(_HEADS), n)]
    middles = np.asarray(_MIDDLES)[rng.integers(0, len(_MIDDLES), n)]
    tails = np.asarray(_TAILS)[rng.integers(0, len(_TAILS), n)]
    return np.char.add(np.char.add(heads, middles), tails)


def company_names(
    words: npt.NDArray[np.str_],
    labels: npt.NDArray[np.str_],
    legal_forms: npt.NDArray[np.str_],
    public: npt.NDArray[np.bool_],
    public_prefixes: npt.NDArray[np.str_],
) -> pd.Series:
    """Assemble customer names.

    Business clients read ``<label> <Word> <legal form>`` (``Transports Valmoret SARL``); public
    buyers read ``<prefix> <Word>`` (``Commune de Valmoret``).

    Args:
        words: invented words, one per customer.
        labels: activity word of each business client (ignored for public buyers).
        legal_forms: legal form of each customer.
        public: True for public buyers.
        public_prefixes: name prefix of each public buyer (ignored for businesses).

    Returns:
        The names as a pandas ``str`` Series.
    """
    business = np.char.add(np.char.add(np.char.add(labels, " "), words), " ")
    business = np.char.add(business, legal_forms)
    administration = np.char.add(np.char.add(public_prefixes, " "), words)
    return pd.Series(np.where(public, administration, business), dtype="str")
