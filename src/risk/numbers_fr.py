"""Numbers written the French way in sentences: ``1 234,56``, ``12,5 %``.

French typography separates thousands with a space (here a no-break space, so that a number is
never cut at the end of a line, as ``risk.decisions.messages.format_amount`` does for amounts
in euros), uses a decimal comma and puts a space before ``%``. :class:`FrenchNumber` keeps
Python's format specifications (``{value:,.0f}``, ``{value:.2%}``) and writes their result in
French, so one template serves both languages' number formats.

Example:
    >>> f"{fr(1234567.891):,.2f} | {fr(0.125):.1%} | {fr(0.3):g}"
    '1\\xa0234\\xa0567,89 | 12,5\\xa0% | 0,3'
"""

from __future__ import annotations

#: no-break space: the French thousands separator and the space before "%" or "€"
NBSP = "\u00a0"


class FrenchNumber:
    """A number whose ``format`` output is French: ``,`` -> no-break space, ``.`` -> ``,``,
    ``%`` -> no-break space + ``%``. The number keeps its own type (an integer formats as one)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        text = format(self.value, spec)
        return text.replace(",", NBSP).replace(".", ",").replace("%", f"{NBSP}%")

    def __str__(self) -> str:
        return format(self, "")


def fr(value: float) -> FrenchNumber:
    """``value`` to be formatted the French way (see :class:`FrenchNumber`)."""
    return FrenchNumber(value)
