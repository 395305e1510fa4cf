"""The pages' row lookup by key gives the rows a boolean filter gives, in frame order."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.web.lookup import rows_of, rows_of_any

keys = st.one_of(st.none(), st.sampled_from(["C1", "C2", "C3", "C10"]))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(keys, max_size=40), wanted=st.sampled_from(["C1", "C2", "C9"]),
       several=st.lists(st.sampled_from(["C1", "C3", "C9"]), max_size=3))  # fmt: skip
def test_rows_of_is_the_filter(values, wanted, several) -> None:
    frame = pd.DataFrame({"customer_id": values, "n": range(len(values))})
    expected = frame[frame["customer_id"] == wanted]
    pd.testing.assert_frame_equal(rows_of(frame, "customer_id", wanted), expected)
    pd.testing.assert_frame_equal(
        rows_of_any(frame, "customer_id", several), frame[frame["customer_id"].isin(several)]
    )


def test_a_new_frame_is_grouped_again() -> None:
    first = pd.DataFrame({"customer_id": ["C1", "C2"], "n": [1, 2]})
    assert list(rows_of(first, "customer_id", "C1")["n"]) == [1]
    second = pd.DataFrame({"customer_id": ["C2", "C1", "C1"], "n": [3, 4, 5]})
    assert list(rows_of(second, "customer_id", "C1")["n"]) == [4, 5]
    assert list(rows_of(first, "customer_id", "C1")["n"]) == [1]


@settings(max_examples=50, deadline=None)
@given(values=st.lists(st.sampled_from(["C1", "C2", "C3"]), min_size=1, max_size=30),
       cut=st.integers(0, 30), wanted=st.sampled_from(["C1", "C2", "C9"]))  # fmt: skip
def test_rows_of_arrow_columns_in_chunks(values, cut, wanted) -> None:
    """Text columns as Parquet gives them (Arrow, several chunks) are looked up from one
    combined chunk: the rows and the dtypes are those of the filter, the frame is unchanged."""
    import pyarrow as pa

    cut = min(cut, len(values))
    chunks = pa.chunked_array([values[:cut], values[cut:]], type=pa.large_string())
    dtype = pd.StringDtype("pyarrow")
    frame = pd.DataFrame({"customer_id": pd.array(chunks, dtype=dtype), "n": range(len(values))})
    expected = frame[frame["customer_id"] == wanted]
    found = rows_of(frame, "customer_id", wanted)
    pd.testing.assert_frame_equal(found, expected)
    assert frame["customer_id"].array._pa_array.num_chunks == 2  # the ledger's frame as it was
    pd.testing.assert_frame_equal(
        rows_of_any(frame, "customer_id", ["C2", "C1"]),
        frame[frame["customer_id"].isin(["C1", "C2"])],
    )
