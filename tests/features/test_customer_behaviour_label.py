"""The customer label measures behaviour (issue 19): the amount-weighted share of the invoices
due in the horizon paid more than L days late exceeds S; no invoice due -> out of scope.

Expected values are computed here from the rule as written in ``risk.labels``, invoice by
invoice, never copied from the code's output.
"""

from __future__ import annotations

import pandas as pd
from handbuilt import tiny_ledger
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.features import FeatureConfig, customer_training_frame
from risk.labels import customer_label_maturity_days, customer_labels
from risk.ledger import Ledger

ORIGIN = pd.Timestamp("2024-01-01")


def _ledger(rows: list[tuple[str, int, float, int | None]]) -> Ledger:
    """Invoices (customer, due day, amount, days late when paid or None) for C1 and C2."""
    customers = pd.DataFrame({"customer_id": ["C1", "C2"]}).astype({"customer_id": "str"})
    invoices = pd.DataFrame(
        {
            "invoice_id": [f"I{k}" for k in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "issued_on": [ORIGIN + pd.Timedelta(days=r[1] - 30) for r in rows],
            "due_on": [ORIGIN + pd.Timedelta(days=r[1]) for r in rows],
            "amount": [r[2] for r in rows],
            "paid_on": pd.to_datetime(
                pd.Series(
                    [
                        ORIGIN + pd.Timedelta(days=r[1] + r[3]) if r[3] is not None else None
                        for r in rows
                    ],
                    dtype="object",
                )
            ),
        }
    ).astype({"invoice_id": "str", "customer_id": "str"})
    return Ledger(customers, invoices)


def _expected(
    rows: list[tuple[str, int, float, int | None]],
    customer: str,
    as_of: pd.Timestamp,
    cutoff: pd.Timestamp,
    config: FeatureConfig,
) -> tuple[bool, bool, object]:
    """(known, in scope, label) of one snapshot from the rule, invoice by invoice."""
    L, H, S = config.late_after_days, config.horizon_days, config.late_share_threshold  # noqa: N806
    known = as_of + pd.Timedelta(days=H + L) <= cutoff
    due_amount = late_amount = 0.0
    n_due = 0
    for owner, due_day, amount, days_late in rows:
        due = ORIGIN + pd.Timedelta(days=due_day)
        if owner != customer or not (as_of <= due < as_of + pd.Timedelta(days=H)):
            continue
        n_due += 1
        due_amount += amount
        paid = due + pd.Timedelta(days=days_late) if days_late is not None else None
        if paid is not None and paid >= cutoff:
            paid = None  # a payment on or after the cut-off is not known
        if (paid is not None and (paid - due).days > L) or (
            paid is None and cutoff > due + pd.Timedelta(days=L)
        ):
            late_amount += amount
    if not known or n_due == 0:
        return known, n_due > 0, None
    return known, True, int(late_amount / due_amount > S)


rows_st = st.lists(
    st.tuples(
        st.sampled_from(["C1", "C2"]),
        st.integers(0, 400),
        st.sampled_from([100.0, 250.5, 1000.0, 3333.33]),
        st.one_of(st.none(), st.integers(-10, 120)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(
    rows=rows_st,
    snapshots=st.lists(st.integers(0, 400), min_size=1, max_size=6),
    cutoff_day=st.integers(100, 700),
    horizon=st.sampled_from([30, 60, 180]),
    threshold=st.sampled_from([0.0, 0.25, 0.5]),
)
def test_customer_label_matches_the_rule(
    rows: list[tuple[str, int, float, int | None]],
    snapshots: list[int],
    cutoff_day: int,
    horizon: int,
    threshold: float,
) -> None:
    config = FeatureConfig(horizon_days=horizon, late_share_threshold=threshold)
    cutoff = ORIGIN + pd.Timedelta(days=cutoff_day)
    queries = pd.DataFrame(
        [(c, ORIGIN + pd.Timedelta(days=s)) for s in snapshots for c in ("C1", "C2")],
        columns=["customer_id", "as_of"],
    )
    got = customer_labels(_ledger(rows), queries, cutoff, config)
    for k, (customer, as_of) in enumerate(queries.itertuples(index=False)):
        known, in_scope, label = _expected(rows, customer, as_of, cutoff, config)
        assert bool(got["label_known"].iloc[k]) is known
        assert bool(got["label_in_scope"].iloc[k]) is in_scope
        value = got["label_event"].iloc[k]
        assert (pd.isna(value) and label is None) or value == label, (customer, as_of)


def test_volume_does_not_make_a_customer_bad() -> None:
    """Many invoices with one of them late is good; one invoice, late, is bad."""
    config = FeatureConfig(horizon_days=60)
    rows = [("C1", 10 + k, 100.0, 0) for k in range(20)] + [("C1", 20, 100.0, 45)]
    rows += [("C2", 15, 100.0, 45)]
    as_of = ORIGIN
    cutoff = ORIGIN + pd.Timedelta(days=customer_label_maturity_days(config))
    queries = pd.DataFrame({"customer_id": ["C1", "C2"], "as_of": [as_of, as_of]})
    got = customer_labels(_ledger(rows), queries, cutoff, config)
    assert got["label_late_invoice"].tolist() == [1, 1]  # the former label: both bad
    assert got["label_event"].tolist() == [0, 1]  # 1/21 of C1's amount late; all of C2's
    assert got["label_n_due"].tolist() == [21, 1]
    assert got["label_known"].tolist() == [True, True]


def test_label_known_only_once_the_last_due_invoice_could_be_late() -> None:
    config = FeatureConfig(horizon_days=60, late_after_days=30)
    rows = [("C1", 59, 100.0, None)]  # due on the last day of the window, never paid
    queries = pd.DataFrame({"customer_id": ["C1"], "as_of": [ORIGIN]})
    ready = ORIGIN + pd.Timedelta(days=90)  # H + L
    assert customer_labels(_ledger(rows), queries, ready, config)["label_event"].tolist() == [1]
    early = customer_labels(_ledger(rows), queries, ready - pd.Timedelta(days=1), config)
    assert early["label_known"].tolist() == [False]


def test_customers_without_invoice_due_are_excluded_not_good() -> None:
    ledger = tiny_ledger()  # C1's invoices are due 2023-02-09 .. 2024-07-31
    config = FeatureConfig(horizon_days=30)
    cutoff = pd.Timestamp("2024-12-31")
    frame = customer_training_frame(ledger, config, cutoff)
    dues = ledger.invoices["due_on"]
    for as_of in frame["as_of"]:
        assert ((dues >= as_of) & (dues < as_of + pd.Timedelta(days=30))).any()
    assert frame.attrs["label_out_of_scope"] > 0  # e.g. the snapshots between 2023-02 and 2024-01
    assert (frame["as_of"] + pd.Timedelta(days=60) <= cutoff).all()
