"""Rows of one key in a large frame without scanning it on every page view.

``rows_of(frame, column, key)`` groups ``frame`` by ``column`` once (positions per key) and
keeps the grouping while the frame object lives: a ledger version that did not touch a table
keeps the same frame, so its grouping is reused across versions. A few groupings are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np
import pandas as pd

KEPT = 8

_groups: OrderedDict[tuple[int, str], tuple[pd.DataFrame, dict[object, np.ndarray]]] = OrderedDict()
_lock = threading.Lock()


def _positions(frame: pd.DataFrame, column: str) -> dict[object, np.ndarray]:
    slot = (id(frame), column)
    with _lock:
        found = _groups.get(slot)
        if found is not None and found[0] is frame:
            _groups.move_to_end(slot)
            return found[1]
    codes, uniques = pd.factorize(frame[column], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    positions = {key: order[bounds[i] : bounds[i + 1]] for i, key in enumerate(uniques.tolist())}
    with _lock:
        _groups[slot] = (frame, positions)  # the frame is held: its id is not reused meanwhile
        while len(_groups) > KEPT:
            _groups.popitem(last=False)
    return positions


def rows_of(frame: pd.DataFrame, column: str, key: object) -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` equals ``key`` (in frame order)."""
    found = _positions(frame, column).get(key)
    return frame.iloc[found if found is not None else np.zeros(0, dtype=np.intp)]


def rows_of_any(frame: pd.DataFrame, column: str, keys: Iterable[object]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` is one of ``keys`` (in frame order)."""
    positions = _positions(frame, column)
    parts = [positions[k] for k in dict.fromkeys(keys) if k in positions]
    found = np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.intp)
    return frame.iloc[found]


def warm(frame: pd.DataFrame | None, column: str) -> None:
    """Group ``frame`` by ``column`` now (e.g. in a background thread when a new ledger version
    is published), so that the first page view of that version finds the grouping ready."""
    if frame is not None and column in frame:
        _positions(frame, column)
