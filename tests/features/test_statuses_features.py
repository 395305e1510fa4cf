"""E-invoicing statuses as dated facts: customer and open-invoice features, by hand and
point-in-time (statuses dated on or after the as-of date never change a feature)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.contracts import INVOICE_STATUSES
from risk.features import customer_features_as_of
from risk.features.frames import build_invoice_frame
from risk.ledger import Ledger
from risk.timing.snapshots import snapshot_features
from risk.validation import validate_tables

TABLES = {
    "customers": "customer_id,naf_code\nC1,47.11F\nC2,43.21A\n",
    "invoices": """invoice_id,customer_id,issued_on,due_on,amount,paid_on,amount_paid,channel
I1,C1,2024-01-01,2024-01-31,1000.00,2024-03-10,1000.00,electronic
I2,C1,2024-01-15,2024-02-14,500.00,2024-02-20,500.00,electronic
I3,C2,2024-02-01,2024-03-17,800.00,,0.00,electronic
""",
    "invoice_statuses": """invoice_id,status,status_on,reason
I1,submitted,2024-01-01,
I1,disputed,2024-01-05,PU_ERR
I1,approved,2024-02-10,
I1,payment_transmitted,2024-03-07,
I1,cashed,2024-03-10,
I2,submitted,2024-01-15,
I2,approved,2024-01-20,
I2,payment_transmitted,2024-02-17,
I2,cashed,2024-02-20,
I3,submitted,2024-02-01,
I3,suspended,2024-02-04,JUSTIF_ABS
""",
}
STATE = ["status_disputed", "days_to_approval", "payment_transmitted"]


def ledger() -> Ledger:
    raw = {name: pd.read_csv(io.StringIO(text), dtype=str) for name, text in TABLES.items()}
    result = validate_tables(raw)
    assert result.n_quarantined == 0
    return result.ledger


def snapshot(book: Ledger, invoice_id: str, day: str) -> pd.Series:
    queries = pd.DataFrame({"invoice_id": [invoice_id], "as_of": [pd.Timestamp(day)]})
    return snapshot_features(book, queries).iloc[0]


@pytest.mark.parametrize(
    ("invoice_id", "day", "disputed", "approval_days", "transmitted"),
    [
        ("I1", "2024-01-05", 0, np.nan, 0),  # the dispute is dated the 5th: not known yet
        ("I1", "2024-01-06", 1, np.nan, 0),
        ("I1", "2024-02-10", 1, np.nan, 0),  # approval of the 10th not known on the 10th
        ("I1", "2024-02-11", 0, 40, 0),  # approved 40 days after its date: dispute over
        ("I1", "2024-03-07", 0, 40, 0),
        ("I1", "2024-03-08", 0, 40, 1),  # payment transmitted on the 7th: cash imminent
        ("I2", "2024-01-21", 0, 5, 0),
        ("I3", "2024-02-04", 0, np.nan, 0),
        ("I3", "2024-02-05", 1, np.nan, 0),  # suspended (documents asked) blocks too
    ],
)
def test_open_invoice_status_features_by_hand(
    invoice_id: str, day: str, disputed: int, approval_days: float, transmitted: int
) -> None:
    row = snapshot(ledger(), invoice_id, day)
    assert row["status_disputed"] == disputed
    assert row["payment_transmitted"] == transmitted
    if np.isnan(approval_days):
        assert np.isnan(row["days_to_approval"])
    else:
        assert row["days_to_approval"] == approval_days


def test_a_dispute_and_an_approval_on_the_same_day_leave_the_invoice_disputed() -> None:
    book = ledger()
    statuses = book.invoice_statuses
    same_day = pd.DataFrame(
        {"invoice_id": ["I3"], "status": ["approved"], "status_on": [pd.Timestamp("2024-02-04")],
         "reason": [pd.NA]}
    ).astype(statuses.dtypes.to_dict())  # fmt: skip
    book = book.with_tables(invoice_statuses=pd.concat([same_day, statuses], ignore_index=True))
    assert snapshot(book, "I3", "2024-02-05")["status_disputed"] == 1


def test_customer_status_features_by_hand() -> None:
    queries = pd.DataFrame(
        {"customer_id": ["C1", "C2", "C1"],
         "as_of": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-01-06"])}
    )  # fmt: skip
    frame = customer_features_as_of(ledger(), queries)
    assert frame["n_status_disputes_12m"].tolist() == [1, 1, 1]
    mean = frame["approval_days_mean_12m"].to_numpy()
    assert mean[0] == pytest.approx((40 + 5) / 2)  # I1 approved after 40 days, I2 after 5
    assert np.isnan(mean[1]) and np.isnan(mean[2])  # C2 approved nothing; C1 not yet on 01-06


def test_invoice_model_rows_carry_the_customer_status_features() -> None:
    frame = build_invoice_frame(ledger())
    row = frame.set_index("invoice_id").loc["I3"]  # as of its issue date, 2024-02-01
    assert row["n_status_disputes_12m"] == 0  # C2's suspension comes later
    assert "status_disputed" not in frame  # open-invoice state: snapshot rows only


def test_without_the_table_the_features_are_listed_missing() -> None:
    book = ledger().with_tables(invoice_statuses=None)
    frame = build_invoice_frame(book)
    assert {"n_status_disputes_12m", "approval_days_mean_12m"} <= set(
        frame.attrs["missing_features"]
    )
    assert "status_disputed" not in snapshot(book, "I1", "2024-02-01")


statuses_strategy = st.lists(
    st.tuples(
        st.sampled_from(["I1", "I2", "I3"]),
        st.sampled_from(INVOICE_STATUSES),
        st.integers(0, 120),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(drawn=statuses_strategy, offset=st.integers(0, 120), later=statuses_strategy)
def test_statuses_dated_on_or_after_the_as_of_never_change_features(
    drawn: list[tuple[str, str, int]], offset: int, later: list[tuple[str, str, int]]
) -> None:
    start = pd.Timestamp("2024-01-01")
    t = start + pd.Timedelta(days=offset)

    def frame(rows: list[tuple[str, str, pd.Timestamp]]) -> pd.DataFrame:
        return pd.DataFrame(
            {"invoice_id": [r[0] for r in rows], "status": [r[1] for r in rows],
             "status_on": pd.to_datetime([r[2] for r in rows]), "reason": pd.NA}
        ).astype({"invoice_id": "str", "status": "str", "reason": "str"})  # fmt: skip

    known = [(i, s, start + pd.Timedelta(days=d)) for i, s, d in drawn]
    future = [(i, s, t + pd.Timedelta(days=d)) for i, s, d in later]  # on or after t
    base = ledger()
    past = base.with_tables(invoice_statuses=frame([r for r in known if r[2] < t]))
    everything = base.with_tables(invoice_statuses=frame(known + future))
    queries = pd.DataFrame({"invoice_id": ["I1", "I2", "I3"], "as_of": t})
    names = [*STATE, "n_status_disputes_12m", "approval_days_mean_12m"]
    before = snapshot_features(past, queries)[names]
    after = snapshot_features(everything, queries)[names]
    pd.testing.assert_frame_equal(before, after)


def test_latest_decisive_status_before_the_date() -> None:
    from risk.features.statuses import latest_status_at

    ids = pd.Series(["I1", "I2", "I3", "I9"])
    got = latest_status_at(ledger(), ids, pd.Timestamp("2024-02-18"))
    # I1: disputed 01-05, approved 02-10 -> approved; I2: payment transmitted 02-17;
    # I3: suspended 02-04; I9: no status ("submitted" is not decisive)
    assert got["status"].tolist()[:3] == ["approved", "payment_transmitted", "suspended"]
    assert pd.isna(got["status"].iloc[3]) and pd.isna(got["status_on"].iloc[3])
    assert got["status_on"].iloc[1] == pd.Timestamp("2024-02-17")
    earlier = latest_status_at(ledger(), ids, pd.Timestamp("2024-02-10"))
    assert earlier["status"].iloc[0] == "disputed"  # the approval of the 10th is not known


def test_no_decisive_status_known_yet_gives_missing_values() -> None:
    from risk.features.statuses import latest_status_at

    ids = pd.Series(["I1", "I2", "I3", "I9"])
    # before the first decisive status of any invoice: none known, none guessed
    got = latest_status_at(ledger(), ids, pd.Timestamp("2023-01-01"))
    assert got["status"].isna().all() and got["status_on"].isna().all()
    assert list(got.index) == list(ids.index)


def test_worklist_pauses_and_stops_on_platform_statuses() -> None:
    from risk.decisions.worklist import DecisionConfig, decide_rows

    book = ledger()
    as_of = pd.Timestamp("2024-03-09")  # I1: payment transmitted 03-07; I3: suspended 02-04
    items = pd.DataFrame(
        {"invoice_id": ["I1", "I3"], "customer_id": ["C1", "C2"],
         "due_on": pd.to_datetime(["2024-01-31", "2024-03-17"]), "open_amount": [1000.0, 800.0],
         "grade": ["C", "C"], "probability": [0.3, 0.3], "expected_at_risk": [300.0, 240.0],
         "days_past_due": [38, -8], "model_versions": "test"}
    )  # fmt: skip
    rows = decide_rows(book, as_of, items, DecisionConfig()).set_index("invoice_id")
    assert rows.loc["I1", "action"] == "none"
    assert "payment_transmitted (211) on 2024-03-07" in rows.loc["I1", "action_reason"]
    assert rows.loc["I3", "action"] == "dispute_resolution"
    assert "suspended (208) on 2024-02-04" in rows.loc["I3", "action_reason"]
