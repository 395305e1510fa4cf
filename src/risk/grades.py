"""Credit grades A–E: a master scale on the customer's default probability (PD).

The PD is the calibrated probability of a default-like event within 12 months (collective
proceeding, an invoice more than 90 days past due, or a write-off; see
``risk.labels.default_labels``), not the late-payment probability that drives dunning. A grade is
the band of PDs a credit manager acts on: the cut-offs are the published upper bounds of every
grade but the last one, which takes everything above. The default bands are A <= 0.5 %,
B <= 2 %, C <= 5 %, D <= 15 %, E above (the credit policy file may publish others:
``master_scale`` in ``risk/config/credit_policy.yaml``). A PD exactly on a cut-off goes to the
better (lower-risk) grade, so the bounds of a grade are ``(low, high]`` (``[0, high]`` for the
first one).

Example:
    >>> scale = GradeScale()
    >>> scale.grade(0.005), scale.grade(0.0051), scale.grade(0.5)
    ('A', 'B', 'E')
    >>> scale.grade(np.array([0.001, 0.03, 0.1])).tolist()
    ['A', 'C', 'D']
    >>> scale.bounds("B")
    (0.005, 0.02)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from risk.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradeScale:
    """Letters and probability cut-offs of the grade scale.

    Attributes:
        letters: grade letters from the lowest risk to the highest, unique and non-empty.
        cutoffs: upper probability bound of every letter but the last one, strictly increasing,
            each in the open interval (0, 1); ``len(cutoffs) == len(letters) - 1``.
    """

    letters: tuple[str, ...] = ("A", "B", "C", "D", "E")
    cutoffs: tuple[float, ...] = (0.005, 0.02, 0.05, 0.15)

    def __post_init__(self) -> None:
        letters, cutoffs = tuple(self.letters), tuple(float(c) for c in self.cutoffs)
        object.__setattr__(self, "letters", letters)
        object.__setattr__(self, "cutoffs", cutoffs)
        if not letters or any(not isinstance(x, str) or not x for x in letters):
            raise ConfigError(f"GradeScale.letters must be non-empty strings, got {letters}")
        if len(set(letters)) != len(letters):
            raise ConfigError(f"GradeScale.letters must be unique, got {letters}")
        if len(cutoffs) != len(letters) - 1:
            raise ConfigError(
                "GradeScale.cutoffs must have one value fewer than letters "
                f"({len(letters)} letters need {len(letters) - 1} cutoffs, got {len(cutoffs)})"
            )
        if any(not 0.0 < c < 1.0 for c in cutoffs):
            raise ConfigError(f"GradeScale.cutoffs must each lie in (0, 1), got {cutoffs}")
        if any(b <= a for a, b in pairwise(cutoffs)):
            raise ConfigError(f"GradeScale.cutoffs must be strictly increasing, got {cutoffs}")

    def grade(self, p: np.ndarray | float) -> np.ndarray | str:
        """Grade letter of one probability or of an array of probabilities.

        A probability exactly on a cut-off goes to the better grade (0.005 -> "A" by default).

        Args:
            p: default probability, or an array of them, each in [0, 1].

        Returns:
            The letter (``str``) for a scalar, an object array of letters of the same shape for
            an array.

        Raises:
            ValueError: if a probability is NaN or outside [0, 1].
        """
        values = np.asarray(p, dtype=float)
        if np.isnan(values).any() or (values < 0).any() or (values > 1).any():
            raise ValueError("GradeScale.grade: probabilities must be in [0, 1] (no NaN)")
        index = np.searchsorted(np.asarray(self.cutoffs), values, side="left")
        letters = np.asarray(self.letters, dtype=object)[index]
        if values.ndim == 0:
            return str(letters)
        return letters

    def bounds(self, letter: str) -> tuple[float, float]:
        """Probability bounds ``(low, high]`` of a grade (the first grade includes 0).

        Args:
            letter: one of ``letters``.

        Returns:
            ``(low, high)``: 0 for the low bound of the first grade, 1 for the high bound of the
            last one.

        Raises:
            ValueError: if the letter is not on the scale.
        """
        if letter not in self.letters:
            raise ValueError(f"unknown grade {letter!r}, expected one of {self.letters}")
        i = self.letters.index(letter)
        edges = (0.0, *self.cutoffs, 1.0)
        return edges[i], edges[i + 1]
