"""Open-invoice snapshot rows: dates, state features checked by hand, weights, point in time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tiny import tiny_ledger

from risk.errors import ConfigError
from risk.ledger import Ledger
from risk.timing.snapshots import (
    SnapshotConfig,
    open_invoice_queries,
    snapshot_features,
    snapshot_frame,
    snapshot_queries,
)

END = pd.Timestamp("2024-06-01")
STATE = [
    "days_since_issue", "days_past_due", "open_share", "n_reminders_sent", "last_reminder_step",
    "promise_to_pay_pending", "n_promises_broken", "invoice_disputed",
]  # fmt: skip


def rows_of(frame: pd.DataFrame, invoice_id: str) -> pd.DataFrame:
    return frame[frame["invoice_id"] == invoice_id].set_index("as_of")


def test_snapshot_dates_weekly_while_open() -> None:
    queries = snapshot_queries(tiny_ledger(), END)
    i1 = queries[queries["invoice_id"] == "I1"]
    # issued 2024-01-01, settled 2024-03-10 (day 69): open at days 0, 7, ..., 63 (10 snapshots)
    assert list(i1["as_of"]) == list(pd.date_range("2024-01-01", periods=10, freq="7D"))
    assert list(i1["snapshot_index"]) == list(range(10))
    i2 = queries[queries["invoice_id"] == "I2"]
    # issued 2024-01-15, settled 2024-01-29 (day 14): still open on the 29th, not known yet
    assert list(i2["as_of"]) == [
        pd.Timestamp(d) for d in ("2024-01-15", "2024-01-22", "2024-01-29")
    ]
    i3 = queries[queries["invoice_id"] == "I3"]  # never settled: every week until END
    assert i3["as_of"].max() < END and i3["as_of"].max() + pd.Timedelta(days=7) >= END


def test_monthly_snapshots_are_configurable() -> None:
    queries = snapshot_queries(tiny_ledger(), END, SnapshotConfig(every_days=30))
    assert list(queries.loc[queries["invoice_id"] == "I1", "as_of"]) == [
        pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"), pd.Timestamp("2024-03-01"),
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="every_days"):
        SnapshotConfig(every_days=0)


def test_state_features_by_hand() -> None:
    frame = snapshot_frame(tiny_ledger(), END)
    i1 = rows_of(frame, "I1")
    at = i1.loc[pd.Timestamp("2024-01-29")]  # day 28: 400 paid on the 20th
    assert at["days_since_issue"] == 28 and at["days_past_due"] == -2
    assert at["open_share"] == pytest.approx(0.6)
    assert at["n_reminders_sent"] == 0 and at["last_reminder_step"] == 0
    at = i1.loc[pd.Timestamp("2024-02-12")]  # credit note of 100 on 02-05, promise for 02-15
    assert at["open_share"] == pytest.approx(0.5)
    assert at["n_reminders_sent"] == 1 and at["promise_to_pay_pending"] == 1
    assert at["n_promises_broken"] == 0 and at["days_since_last_reminder"] == 7
    at = i1.loc[pd.Timestamp("2024-02-19")]  # the promised 15th passed unpaid
    assert at["days_past_due"] == 19
    assert at["promise_to_pay_pending"] == 0 and at["n_promises_broken"] == 1
    assert at["invoice_disputed"] == 0  # the dispute is dated 02-20
    at = i1.loc[pd.Timestamp("2024-02-26")]
    assert at["n_reminders_sent"] == 2 and at["last_reminder_step"] == 2
    assert at["invoice_disputed"] == 1
    first = i1.loc[pd.Timestamp("2024-01-01")]  # at issue: nothing happened yet
    assert first["days_since_issue"] == 0 and first["open_share"] == 1.0
    assert first["snapshot_weight"] == 1.0
    assert list(i1["snapshot_weight"]) == pytest.approx([1 / (1 + j) for j in range(10)])


def test_open_invoices_at_a_date() -> None:
    queries = open_invoice_queries(tiny_ledger(), pd.Timestamp("2024-01-29"))
    # I2 is settled on the 29th: not known on the 29th, so still open; I3 not issued yet
    assert sorted(queries["invoice_id"]) == ["I1", "I2"]
    assert sorted(
        open_invoice_queries(tiny_ledger(), pd.Timestamp("2024-01-30"))["invoice_id"]
    ) == ["I1"]


def _with_future(ledger: Ledger, t: pd.Timestamp, shift: int, data: st.DataObject) -> Ledger:
    """The ledger with records dated on or after ``t`` added or moved (never before ``t``)."""
    when = t + pd.Timedelta(days=shift)
    ids = list(ledger.invoices["invoice_id"])
    inv = ledger.invoices.copy()
    open_at_t = ~(inv["paid_on"] < t)
    moved = data.draw(st.lists(st.sampled_from(ids), max_size=3))
    chosen = open_at_t & inv["invoice_id"].isin(moved)
    inv.loc[chosen, "paid_on"] = when
    payments = pd.concat(
        [ledger.payments, pd.DataFrame({"payment_id": ["FP"], "invoice_id": [data.draw(st.sampled_from(ids))],
                                         "paid_on": [when], "amount": [123.0]})],
        ignore_index=True,
    ).astype(ledger.payments.dtypes.to_dict())  # fmt: skip
    notes = pd.concat(
        [ledger.credit_notes, pd.DataFrame({"credit_note_id": ["FN"], "customer_id": ["C1"],
                                            "invoice_id": [data.draw(st.sampled_from(ids))],
                                            "issued_on": [when], "amount": [50.0]})],
        ignore_index=True,
    ).astype(ledger.credit_notes.dtypes.to_dict())  # fmt: skip
    outcome = data.draw(st.sampled_from(["none", "dispute", "promise_to_pay"]))
    reminders = pd.concat(
        [ledger.reminders, pd.DataFrame({"invoice_id": [data.draw(st.sampled_from(ids))],
                                         "sent_on": [when], "step": [3], "channel": ["phone"],
                                         "outcome": [outcome],
                                         "promised_on": [when + pd.Timedelta(days=3)]})],
        ignore_index=True,
    ).astype(ledger.reminders.dtypes.to_dict())  # fmt: skip
    return ledger.with_tables(
        invoices=inv, payments=payments, credit_notes=notes, reminders=reminders
    )


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(offset=st.integers(0, 120), shift=st.integers(0, 60), data=st.data())
def test_records_dated_after_the_snapshot_never_change_its_row(
    offset: int, shift: int, data: st.DataObject
) -> None:
    ledger = _peer_ledger()  # the tiny ledger and two more invoices of C1 (peer dues)
    t = pd.Timestamp("2024-01-01") + pd.Timedelta(days=offset)
    queries = open_invoice_queries(ledger, t)
    before = snapshot_features(ledger, queries)
    after = snapshot_features(_with_future(ledger, t, shift, data), queries)
    columns = [c for c in before.columns if c not in ("customer_id", "issued_on")]
    assert set(PEERS) <= set(columns)  # the peer-dues features are checked too
    pd.testing.assert_frame_equal(before[columns], after[columns], check_dtype=False)
    assert np.isfinite(before["open_share"]).all()


def _peer_ledger(i4_paid_on: str = "2024-03-20") -> Ledger:
    """The tiny ledger with two more invoices of C1: I4 due 02-09 paid on ``i4_paid_on``, I5 due
    02-19 still open."""
    import io

    from tiny import TABLES

    from risk.validation import validate_tables

    tables = dict(TABLES)
    tables["invoices"] = (
        TABLES["invoices"]
        + f"I4,C1,2024-01-10,2024-02-09,200.00,{i4_paid_on},200.00,false,paper\n"
        + "I5,C1,2024-01-20,2024-02-19,300.00,,0.00,false,paper\n"
    )
    tables["payments"] = TABLES["payments"] + f"P4,I4,{i4_paid_on},200.00\n"
    raw = {name: pd.read_csv(io.StringIO(text), dtype=str) for name, text in tables.items()}
    result = validate_tables(raw)
    assert result.n_quarantined == 0, result
    return result.ledger


PEERS = ["peer_paid_share_same_due", "peer_unpaid_share_due_60d", "peer_days_late_so_far_due_90d"]


def test_peer_dues_by_hand() -> None:
    t = pd.Timestamp("2024-03-01")
    queries = pd.DataFrame({"invoice_id": ["I1", "I3"], "as_of": t})
    rows = snapshot_features(_peer_ledger(), queries).set_index("invoice_id")
    # I1 (C1, due 01-31). Its customer's other invoices due within 15 days of 01-31 and before
    # t: I2 (due 02-14, settled 01-29) and I4 (due 02-09, settled 03-20: not known at t): 1 of 2
    assert rows.loc["I1", "peer_paid_share_same_due"] == pytest.approx(1 / 2)
    # due in [t - 60, t): I2 settled; I4 and I5 (due 02-19, open) unpaid at t: 2 of 3
    assert rows.loc["I1", "peer_unpaid_share_due_60d"] == pytest.approx(2 / 3)
    # days late counted up to t (2024 is a leap year): I2 01-29 - 02-14 = -16; I4 and I5 open
    # at t: 03-01 - 02-09 = 21 and 03-01 - 02-19 = 11
    assert rows.loc["I1", "peer_days_late_so_far_due_90d"] == pytest.approx((-16 + 21 + 11) / 3)
    # C2 has no other invoice: nothing to say
    assert rows.loc["I3", PEERS].isna().all()
    # a payment dated on t itself is not known at t: the row does not change
    same_day = snapshot_features(_peer_ledger("2024-03-01"), queries).set_index("invoice_id")
    pd.testing.assert_frame_equal(rows[PEERS], same_day[PEERS])
    # ... one dated the day before is
    before = snapshot_features(_peer_ledger("2024-02-29"), queries).set_index("invoice_id")
    assert before.loc["I1", "peer_paid_share_same_due"] == 1.0
