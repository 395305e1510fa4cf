"""Credit grades A–E from a calibrated probability of late payment.

A grade is the band of probabilities a credit manager acts on: the cut-offs are the upper bounds
of every grade but the last one, which takes everything above. A probability exactly on a cut-off
goes to the better (lower-risk) grade, so the bounds of a grade are ``(low, high]`` (``[0, high]``
for the first one).

Example:
    >>> scale = GradeScale()
    >>> scale.grade(0.03), scale.grade(0.031), scale.grade(0.5)
    ('A', 'B', 'E')
    >>> scale.grade(np.array([0.01, 0.08, 0.2])).tolist()
    ['A', 'B', 'D']
    >>> scale.bounds("B")
    (0.03, 0.08)
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
    cutoffs: tuple[float, ...] = (0.03, 0.08, 0.15, 0.30)

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

        A probability exactly on a cut-off goes to the better grade (0.03 -> "A" by default).

        Args:
            p: probability of late payment, or an array of them, each in [0, 1].

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
