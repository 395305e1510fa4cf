"""Vectorised construction of identifiers, SIREN numbers and string columns."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

_ZERO = ord("0")


def _digits(numbers: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.uint8]:
    """Return the zero-padded decimal digits of ``numbers`` as ASCII codes, shape (n, width)."""
    by_position = np.empty((width, numbers.size), dtype=np.uint8)
    rest = numbers.astype(np.int64, copy=True)
    for position in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        by_position[position] = digit
    by_position += _ZERO
    return np.ascontiguousarray(by_position.T)


def make_ids(prefix: str, numbers: npt.NDArray[np.int64], width: int) -> pd.Series:
    """Build identifiers such as ``INV00000042`` without a Python loop over rows.

    Args:
        prefix: ASCII prefix.
        numbers: non-negative integers to format.
        width: number of digits (zero-padded).

    Returns:
        A pandas ``str`` Series of ``prefix`` + digits.

    Example:
        >>> make_ids("C", np.array([1, 42]), 4).tolist()
        ['C0001', 'C0042']
    """
    numbers = np.asarray(numbers, dtype=np.int64)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    codes = np.empty((numbers.size, head.size + width), dtype=np.uint8)
    codes[:, : head.size] = head
    codes[:, head.size :] = _digits(numbers, width)
    return _fixed_width_strings(codes)


def _fixed_width_strings(codes: npt.NDArray[np.uint8]) -> pd.Series:
    """Wrap an (n, width) matrix of ASCII codes as a pandas ``str`` Series, zero-copy."""
    rows, width = codes.shape
    offsets = np.arange(0, rows * width + 1, width, dtype=np.int64)
    array = pa.Array.from_buffers(
        pa.large_string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(codes.ravel())]
    )
    return pd.Series(array, dtype="str")


def luhn_key(body: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Return the Luhn check digit that completes 8-digit SIREN bodies.

    Doubled are the digits at even distance from the check digit's right neighbour, i.e. the
    2nd, 4th, 6th and 8th digits from the left of the 9-digit number.

    Example:
        >>> int(luhn_key(np.array([73282932]))[0])  # SIREN 732829320
        0
    """
    digits = _digits(np.asarray(body, dtype=np.int64), 8).astype(np.int64) - _ZERO
    doubled = digits[:, 1::2] * 2
    total = digits[:, 0::2].sum(axis=1) + (doubled // 10 + doubled % 10).sum(axis=1)
    return (10 - total % 10) % 10


def luhn_valid(siren: pd.Series) -> pd.Series:
    """Return True where a 9-digit string passes the Luhn check (missing values count False)."""
    text = siren.fillna("").astype(str)
    ok = text.str.fullmatch(r"\d{9}")
    numbers = pd.to_numeric(text.where(ok, "0"), errors="coerce").fillna(0).astype(np.int64)
    body = numbers.to_numpy() // 10
    return ok & (luhn_key(body) == numbers.to_numpy() % 10)


def strings_from_codes(codes: npt.ArrayLike, choices: tuple[str, ...] | list[str]) -> pd.Series:
    """Return ``choices[codes]`` as a pandas ``str`` Series (vectorised, via Arrow).

    Example:
        >>> strings_from_codes(np.array([1, 0, 1]), ("a", "b")).tolist()
        ['b', 'a', 'b']
    """
    indices = pa.array(np.asarray(codes, dtype=np.int32))
    dictionary = pa.array(list(choices), type=pa.large_string())
    array = pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.large_string())
    return pd.Series(array, dtype="str")
