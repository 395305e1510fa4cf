"""Disputes, public buyers and performing obligors in the default event (issue 13).

Rules, as the credit policy applies them (``default_disputes_suspend``,
``default_past_due_days_public``, ``default_probation_days``):

* EBA/GL/2016/07, counting of days past due: the count may be suspended while the repayment is
  the subject of a dispute. A dispute is open on day ``d`` when ``opened_on < d <= resolved_on``
  (the project's rule, ``risk.features.dated``); on those days the invoice is not past due and
  its own day count pauses. The customer's count of days with a material amount past due
  restarts when the amount falls to or under a threshold (EBA/GL/2016/07, materiality).
* EBA/GL/2016/07, exposures to central governments, local authorities and public sector
  entities: their count runs to 180 days instead of 90.
* A PD is estimated on obligors performing at the start of the year (EBA/GL/2017/16): a
  customer in default at the snapshot, or cured fewer than 90 days before it (EBA/GL/2016/07,
  at least three months of probation), or with a collective proceeding opened in the year
  before it, is left out of the sample.

Every expected day below is worked out by hand in the comments, from those rules.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.labels import default_labels
from risk.ledger import Ledger
from risk.materiality import DefaultDefinition, material_past_due_spells

T = pd.Timestamp("2024-01-01")  # snapshot; the window is [T, T + 365)
CUTOFF = pd.Timestamp("2025-06-01")
EU = DefaultDefinition(90, 500.0, 0.01)
EBA = DefaultDefinition(
    90, 500.0, 0.01, public_past_due_days=180, disputes_suspend=True, probation_days=90
)


def day(offset: int) -> pd.Timestamp:
    return T + pd.Timedelta(days=offset)


def book(
    invoices: list[tuple[float, int, int | None]],
    disputes: list[tuple[int, int, int | None]] | None = None,
    legal_form: str = "SARL",
    events: list[tuple[int, str]] | None = None,
) -> Ledger:
    """One customer; invoices (amount, due day, paid day); disputes (invoice, opened, resolved)."""
    inv = pd.DataFrame(
        {
            "invoice_id": [f"I{k}" for k in range(len(invoices))],
            "customer_id": "C1",
            "issued_on": [day(due - 30) for _, due, _ in invoices],
            "due_on": [day(due) for _, due, _ in invoices],
            "paid_on": pd.to_datetime([day(p) if p is not None else pd.NaT for *_, p in invoices]),
            "amount": [a for a, _, _ in invoices],
            "amount_paid": [a if p is not None else 0.0 for a, _, p in invoices],
        }
    )
    table = None
    if disputes is not None:
        table = pd.DataFrame(
            {
                "invoice_id": [f"I{k}" for k, _, _ in disputes],
                "opened_on": [day(o) for _, o, _ in disputes],
                "resolved_on": pd.to_datetime(
                    [day(r) if r is not None else pd.NaT for *_, r in disputes]
                ),
                "reason": "quality",
            }
        )
    legal = None
    if events:
        legal = pd.DataFrame(
            {
                "customer_id": "C1",
                "published_on": [day(d) for d, _ in events],
                "kind": [k for _, k in events],
            }
        )
    customers = pd.DataFrame({"customer_id": ["C1"], "legal_form": [legal_form]})
    return Ledger(customers=customers, invoices=inv, disputes=table, legal_events=legal)


def spells(ledger: Ledger, definition: DefaultDefinition = EBA) -> list[tuple[int, int | None]]:
    """Default spells as (first day, first day no longer in default or None), offsets from T."""
    found = material_past_due_spells(ledger, CUTOFF, definition)
    return [
        (int((s - T).days), None if pd.isna(e) else int((e - T).days))
        for s, e in zip(found["start"], found["end"], strict=True)
    ]


def labels(ledger: Ledger, definition: DefaultDefinition = EBA) -> pd.Series:
    queries = pd.DataFrame({"customer_id": ["C1"], "as_of": [T]})
    return default_labels(ledger, queries, CUTOFF, materiality=definition).iloc[0]


def test_a_dispute_before_day_90_takes_the_invoice_out_and_the_count_restarts() -> None:
    # 600 due day 10, unpaid: past due from day 11. Without the dispute rule the 91st day past
    # due is 11 + 90 = 101.
    ledger = book([(600.0, 10, None)], disputes=[(0, 50, 100)])
    assert spells(ledger, EU) == [(101, None)]
    # Disputed on days 51..100 (opened 50 < d <= resolved 100): past due 600 on days 11..50
    # (40 days), 0 on 51..100, 600 again from 101. The customer's count restarts on day 101
    # and exceeds 90 days on 101 + 90 = 191; the invoice's own count (40 days, paused, resumed
    # on 101) passes 90 days on 101 + 50 = 151, earlier. In default from day 191.
    assert spells(ledger) == [(191, None)]


def test_a_dispute_open_at_the_cutoff_keeps_the_invoice_out() -> None:
    # disputed from day 51 and never resolved: 40 days past due, never more than 90
    ledger = book([(600.0, 10, None)], disputes=[(0, 50, None)])
    assert spells(ledger) == []
    assert labels(ledger)["label_default"] == 0
    # a dispute opened on or after the cut-off is not known at the cut-off: no effect
    late = book([(600.0, 10, None)], disputes=[(0, (CUTOFF - T).days, None)])
    assert spells(late) == [(101, None)]


def test_a_dispute_after_default_interrupts_it() -> None:
    # 600 due day 0, unpaid: in default from day 0 + 1 + 90 = 91. Disputed on days 121..150
    # (opened 120, resolved 150): not past due then, so the default ends on day 121. From day
    # 151 the amount is past due again; the customer's count restarts and exceeds 90 days on
    # 151 + 90 = 241 (the invoice's own count is already above 90: 120 undisputed days).
    ledger = book([(600.0, 0, None)], disputes=[(0, 120, 150)])
    assert spells(ledger, EU) == [(91, None)]
    assert spells(ledger) == [(91, 121), (241, None)]


def test_an_undisputed_invoice_keeps_the_customer_material() -> None:
    # two invoices of 600 due day 10, unpaid; the second is disputed on days 31..200.
    # The first alone is 600 > 500 and > 1 % of the exposure 1,200 (12): material from day 11,
    # more than 90 days on 11 + 90 = 101, the same day as without the dispute rule.
    ledger = book([(600.0, 10, None), (600.0, 10, None)], disputes=[(1, 30, 200)])
    assert spells(ledger) == [(101, None)]
    # with 400 instead of 600 on the undisputed one: 400 <= 500 while the other is disputed,
    # so the count restarts when the dispute ends: 800 past due from day 201, default on 291
    small = book([(400.0, 10, None), (600.0, 10, None)], disputes=[(1, 30, 200)])
    assert spells(small, EU) == [(101, None)]
    assert spells(small) == [(291, None)]


def test_public_buyers_count_180_days() -> None:
    # a commune owes 600 due day 10: past due from day 11, the 181st day is 11 + 180 = 191
    public = [(600.0, 10, None)]
    assert spells(book(public, legal_form="COMMUNE")) == [(191, None)]
    assert spells(book(public, legal_form="SARL")) == [(101, None)]
    # paid on day 10 + 150: 150 days late, a default for a company, not for a commune
    paid = [(600.0, 10, 160)]
    assert labels(book(paid, legal_form="SARL"))["label_default"] == 1
    assert labels(book(paid, legal_form="COMMUNE"))["label_default"] == 0
    # without the public treatment, 90 days for everyone
    assert spells(book(public, legal_form="COMMUNE"), EU) == [(101, None)]


def test_a_customer_in_default_at_the_snapshot_is_left_out_of_the_pd_sample() -> None:
    # 600 due day -200, paid day 5: in default from -200 + 91 = -109 to day 5 (settled day 6):
    # in default at T. The old reading labelled it 1; it is not a performing obligor at T.
    ledger = book([(600.0, -200, 5)])
    row = labels(ledger)
    assert row["label_default_past_due"] == 1
    assert bool(row["label_default_at_start"])
    assert pd.isna(row["label_default"])


def test_probation_of_three_months_after_a_cure() -> None:
    # due -200, paid -60: default spell [-109, -59) (paid day -60 is still past due). On T the
    # customer has been cured for 59 days < 90: still in probation, left out.
    assert pd.isna(labels(book([(600.0, -200, -60)]))["label_default"])
    # paid day -100: spell [-109, -99), last day in default -100, 100 days before T; the
    # probation covers days [T - 90, T], which the spell does not reach: performing at T, and
    # nothing happens in the window: 0
    row = labels(book([(600.0, -200, -100)]))
    assert not bool(row["label_default_at_start"])
    assert row["label_default"] == 0
    # with no probation (0 days) the cure 59 days before is enough
    assert labels(book([(600.0, -200, -60)]), EU)["label_default"] == 0


def test_a_proceeding_in_the_year_before_leaves_the_snapshot_out() -> None:
    invoices = [(100.0, 10, 20)]
    assert pd.isna(labels(book(invoices, events=[(-200, "safeguard")]))["label_default"])
    # opened 400 days before: more than a year, performing again (nothing in the window)
    assert labels(book(invoices, events=[(-400, "safeguard")]))["label_default"] == 0
    # a proceeding inside the window is the event itself
    assert labels(book(invoices, events=[(100, "receivership")]))["label_default"] == 1


def day_by_day(
    invoices: list[tuple[float, int, int | None]],
    disputes: list[tuple[int, int, int | None]],
    public: bool,
) -> list[tuple[int, int | None]]:
    """The rules as written, walked one day at a time up to the cut-off: an invoice is disputed
    on ``opened < d <= resolved``; on the other days it is past due from ``due + 1`` until paid
    and counts one more day past due; the customer is in default on a day when its undisputed
    past-due amount has been above EUR 500 and 1 % of its exposure on more than D consecutive
    days and one of its invoices has more than D undisputed days past due (D = 180 for a
    public buyer, else 90)."""
    limit = 180 if public else 90
    dispute = {k: (o, r) for k, o, r in disputes}
    run, counts, flags = 0, [0] * len(invoices), []
    for d in range(-400, (CUTOFF - T).days):
        owed = due = 0.0
        delinquent = False
        for k, (amount, due_on, paid) in enumerate(invoices):
            if not (due_on - 30 <= d and (paid is None or d <= paid)):
                continue
            owed += amount
            opened, resolved = dispute.get(k, (None, None))
            disputed = opened is not None and opened < d and (resolved is None or d <= resolved)
            if d > due_on and not disputed:
                due += amount
                counts[k] += 1
                delinquent |= counts[k] > limit
        run = run + 1 if due > 500 and due > 0.01 * owed else 0
        flags.append((d, run > limit and delinquent))
    found, start = [], None
    for d, flag in flags:
        if flag and start is None:
            start = d
        elif not flag and start is not None:
            found.append((start, d))
            start = None
    return [*found, (start, None)] if start is not None else found


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([300.0, 600.0, 5_000.0]),
            st.integers(-200, 200),
            st.one_of(st.none(), st.integers(0, 300)),
        ),
        min_size=1,
        max_size=3,
    ),
    opened=st.lists(
        st.one_of(
            st.none(),
            st.tuples(st.integers(-250, 300), st.one_of(st.none(), st.integers(1, 150))),
        ),
        min_size=3,
        max_size=3,
    ),
    public=st.booleans(),
)
def test_spells_match_a_day_by_day_reading(
    rows: list[tuple[float, int, int | None]],
    opened: list[tuple[int, int | None] | None],
    public: bool,
) -> None:
    invoices = [(a, due, None if k is None else due + k) for a, due, k in rows]
    disputes = [
        (k, o, None if length is None else o + length)
        for k, item in enumerate(opened[: len(invoices)])
        if item is not None
        for o, length in [item]
    ]
    ledger = book(invoices, disputes=disputes or None, legal_form="COMMUNE" if public else "SARL")
    found = [(s, e) for s, e in spells(ledger) if s < (CUTOFF - T).days]
    assert found == day_by_day(invoices, disputes, public)
