"""Membership and position lookups of text keys through Arrow's hash tables.

pandas 3's ``Series.isin`` and ``Index.get_indexer`` on ``str`` columns go through Python
objects and are about 30x slower than Arrow on millions of ids; these are the same operations
on Arrow arrays. Missing values are never found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _text(values: pd.Series | pd.Index | np.ndarray) -> pa.Array:
    array = pa.array(pd.Series(values).astype("str"))
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _text_chunks(values: pd.Series | pd.Index | np.ndarray) -> pa.Array | pa.ChunkedArray:
    """Values as Arrow text; a ``str`` column is taken as it is held (its chunks, no copy)."""
    return pa.array(pd.Series(values).astype("str"))


def fast_isin(values: pd.Series, allowed: pd.Series) -> pd.Series:
    """``values.isin(allowed)`` (as text), aligned with ``values``.

    Both sides are read in place: neither the values' chunks are joined nor ``allowed`` made
    unique first (the hash table keeps one entry per distinct value anyway), which held two
    more copies of the ids while the ledger's foreign keys were checked.
    """
    found = pc.is_in(
        _text_chunks(values), value_set=_text_chunks(allowed), skip_nulls=True
    )  # skip_nulls: a missing value is never found, even when ``allowed`` has one
    return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index)


def positions_in(values: pd.Series | np.ndarray, keys: pd.Series | pd.Index) -> np.ndarray:
    """Position in ``keys`` (unique) of each value, -1 when absent: ``Index.get_indexer``."""
    # the keys as they are held (their chunks): joining a ledger column's chunks copied every
    # invoice id for each lookup of an event's few ids
    return arrow_positions(_text(values), _text_chunks(keys))


#: hash the values instead of the keys when the keys are this many times more numerous
FEW_VALUES_RATIO = 4


def arrow_positions(values: pa.Array, keys: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Position of each value in ``keys`` (first match), -1 when absent or missing.

    Hashing is the costly half of a lookup, so a few values (a table's disputes or credit
    notes) looked up among many keys (the invoices) are hashed themselves and the keys are
    probed against them, instead of hashing every key for a few probes.
    """
    if len(keys) <= FEW_VALUES_RATIO * len(values):
        if isinstance(keys, pa.ChunkedArray):  # a value set is one array
            keys = keys.combine_chunks()
        found = pc.index_in(values, value_set=keys)
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    distinct = pc.drop_null(pc.unique(values))
    which = pc.index_in(keys, value_set=distinct).fill_null(-1)
    which = which.to_numpy(zero_copy_only=False).astype(np.int64)
    hits = np.flatnonzero(which >= 0)  # ascending: np.unique's first index is the first key
    first_key = np.full(len(distinct) + 1, -1, dtype=np.int64)  # last slot: not found
    matched, first = np.unique(which[hits], return_index=True)
    first_key[matched] = hits[first]
    slot = pc.index_in(values, value_set=distinct).fill_null(-1)
    return first_key[slot.to_numpy(zero_copy_only=False).astype(np.int64)]
