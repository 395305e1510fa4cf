"""Dashboard figures, alerts, recorded actions and the customer worklist on tiny ledgers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk.decisions.dunning import load_dunning_scenario
from risk.decisions.worklist import dunning_history
from risk.grades import GradeScale
from risk.io import load_ledger
from risk.portfolio import days_sales_outstanding, open_amounts, portfolio_overview
from risk.web.actions import ActionError, ActionLog, CollectionAction, apply_actions
from risk.web.alerts import broken_promises, grade_worsened, limits_exceeded, recent_legal_events
from risk.web.cashin import cash_in_by_week, overdue_amount
from risk.web.dashboard import dso_by_month, grade_counts, top_share
from risk.web.worklist import Query, customer_rows, select, step_numbers

AS_OF = pd.Timestamp("2024-06-30")

REMINDERS = """\
invoice_id,sent_on,step,channel,outcome,promised_on
I3,2024-05-10,1,email,promise_to_pay,2024-06-15
I4,2024-06-01,1,email,promise_to_pay,2024-07-15
"""
LEGAL = """\
customer_id,published_on,kind,source
C2,2024-06-20,receivership,BODACC
C1,2024-01-05,director_change,BODACC
"""


@pytest.fixture
def ledger(write_ledger):
    return load_ledger(write_ledger(reminders=REMINDERS, legal_events=LEGAL))


def test_cash_in_by_due_week() -> None:
    items = pd.DataFrame(
        {
            "due_on": pd.to_datetime(
                ["2024-06-20", "2024-07-01", "2024-07-07", "2024-07-08", "2024-12-31"]
            ),
            "open_amount": [100.0, 10.0, 20.0, 40.0, 1000.0],
        }
    )
    weeks = cash_in_by_week(items, AS_OF, weeks=13)
    # week 1 = July 1-7 (days 1-7 after June 30), week 2 starts July 8
    assert weeks.loc[0, "amount"] == 30.0 and weeks.loc[1, "amount"] == 40.0
    assert weeks["starts_on"].iloc[0] == pd.Timestamp("2024-07-01")
    assert weeks["amount"].sum() == 70.0  # December is after the 13 weeks
    assert overdue_amount(items, AS_OF) == 100.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(-200, 200), st.floats(0, 1e6)), min_size=0, max_size=30))
def test_cash_in_reconciles(rows) -> None:
    items = pd.DataFrame(
        {
            "due_on": [AS_OF + pd.Timedelta(days=d) for d, _ in rows],
            "open_amount": [a for _, a in rows],
        }
    )
    weeks = cash_in_by_week(items, AS_OF, weeks=13)
    later = sum(a for d, a in rows if d > 91)
    total = weeks["amount"].sum() + overdue_amount(items, AS_OF) + later
    assert total == pytest.approx(sum(a for _, a in rows), rel=1e-9, abs=1e-6)


def test_dso_by_month_ends_with_the_overview(ledger) -> None:
    frame = dso_by_month(ledger, AS_OF, months=24)
    overview = portfolio_overview(ledger, AS_OF)
    assert frame["month_end"].iloc[-1] == AS_OF
    assert frame["dso_days"].iloc[-1] == pytest.approx(overview.dso_days, nan_ok=True)
    may = frame[frame["month_end"] == pd.Timestamp("2024-05-31")]["dso_days"].iloc[0]
    total = open_amounts(ledger, pd.Timestamp("2024-05-31"))["open_amount"].sum()
    assert may == pytest.approx(days_sales_outstanding(ledger, total, pd.Timestamp("2024-05-31")))
    assert frame["month_end"].min() >= ledger.date_range[0]  # no month before the ledger


def test_top_share_and_grade_counts() -> None:
    items = pd.DataFrame({"customer_id": [f"C{i}" for i in range(12)] + ["C0"],
                          "open_amount": [10.0] * 12 + [10.0]})  # fmt: skip
    # C0 owes 20, eleven others 10: top 10 = 20 + 9 x 10 = 110 of 130
    assert top_share(items, 10) == pytest.approx(110 / 130)
    counts = grade_counts(pd.Series(["A", "E", "E"]), pd.Series(["A", "A", "E"]), GradeScale())
    assert counts.set_index("grade")["n_now"].to_dict() == {"A": 1, "B": 0, "C": 0, "D": 0, "E": 2}
    assert counts.set_index("grade").loc["A", "n_before"] == 2


def test_alerts(ledger) -> None:
    now = pd.Series({"C1": "B", "C2": "E", "C3": "A"})
    before = pd.Series({"C1": "A", "C2": "E", "C3": "B"})
    assert grade_worsened(now, before, list("ABCDE"))["customer_id"].tolist() == ["C1"]
    assert grade_worsened(now, None, list("ABCDE")).empty
    assert recent_legal_events(ledger, AS_OF)["customer_id"].tolist() == ["C2"]
    # I3 promised for June 15 and still open on June 30: broken; I4's promise runs to July 15
    assert broken_promises(ledger, AS_OF)["invoice_id"].tolist() == ["I3"]
    scores = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "exposure": [5.0, 6000.0, 9.0],
                           "current_limit": [10.0, 5000.0, float("nan")]})  # fmt: skip
    assert limits_exceeded(scores)["customer_id"].tolist() == ["C2"]


def test_actions_become_reminders_and_disputes(ledger, tmp_path: Path) -> None:
    day = dt.date(2024, 6, 30)
    promise = CollectionAction(
        "C3", ["I4"], "promise", day, "ops", promised_on=dt.date(2024, 7, 20)
    )
    reminder = CollectionAction("C1", ["I2"], "reminder", day, "ops", channel="letter", step=3)
    dispute = CollectionAction("C1", ["I1"], "dispute", day, "ops", note="goods damaged")
    log = ActionLog(f"sqlite:///{tmp_path}/a/actions.db")
    for action in (promise, reminder, dispute):
        log.write(action)
    stored = log.read()
    assert [a.kind for a in stored] == ["promise", "reminder", "dispute"]
    assert log.read("C3")[0].promised_on == dt.date(2024, 7, 20)
    view = apply_actions(ledger, stored)
    history = dunning_history(view, AS_OF)
    assert history.loc["I4", "promise_to_pay_until"] == pd.Timestamp("2024-07-20")
    # reminders are read by what was done (reminder_history.yaml): a letter whose label is not
    # 4-6 is a first reminder sent by post, the scenario's e-mail reminder step
    first_reminder = load_dunning_scenario().step_number("email_reminder")
    assert history.loc["I2", "last_step_done"] == first_reminder
    assert bool(view.invoices.set_index("invoice_id").loc["I1", "disputed"])
    assert len(view.reminders) == len(ledger.reminders) + 2
    assert apply_actions(ledger, []) is ledger


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "promise", "promised_on": dt.date(2024, 6, 1)}, "promised_on"),
        ({"kind": "promise"}, "promised_on"),
        ({"kind": "reminder", "channel": "pigeon"}, "channel"),
        ({"kind": "dispute", "note": " "}, "reason"),
        ({"kind": "wave"}, "kind"),
    ],
)
def test_bad_actions_are_refused(kwargs, message) -> None:
    with pytest.raises(ActionError, match=message):
        CollectionAction("C1", ["I1"], effective_on=dt.date(2024, 6, 30), key_name="k", **kwargs)


def _invoice_rows() -> pd.DataFrame:
    rows = [
        # customer, invoice, action, action_date, open, at risk, dpd, grade
        ("C1", "I1", "email_reminder", "2024-06-30", 100.0, 10.0, 10, "B"),
        ("C1", "I2", "formal_notice", "2024-06-30", 50.0, 5.0, 60, "B"),
        ("C1", "I3", "second_email", "2024-07-10", 500.0, 50.0, 5, "B"),
        ("C2", "I4", "declare_claim", "2024-06-30", 10.0, 9.0, 100, "E"),
        ("C2", "I5", "formal_notice", "2024-06-30", 900.0, 90.0, 60, "E"),
        ("C3", "I6", "courtesy_reminder", "2024-07-20", 300.0, 30.0, -25, "D"),
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "invoice_id", "action", "action_date",
                                        "open_amount", "expected_at_risk", "days_past_due",
                                        "grade"])  # fmt: skip
    frame["action_date"] = pd.to_datetime(frame["action_date"])
    owners = {"formal_notice": "credit_manager", "declare_claim": "credit_manager"}
    return frame.assign(
        action_en=frame["action"], action_fr=frame["action"], channel="email",
        owner=frame["action"].map(owners).fillna("collector"), deadline=pd.NaT,
        customer_reasons_en="r", customer_reasons_fr="r",
    )  # fmt: skip


def test_customer_rows_take_the_most_urgent_action() -> None:
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "name": ["A", "B", "C"]})
    steps = step_numbers(load_dunning_scenario())
    rows = customer_rows(
        _invoice_rows(), customers, pd.Series({"C1": "G", "C2": "F"}), AS_OF, steps
    )
    # C1: two actions due now, the formal notice (step 6) before the e-mail (step 2)
    assert rows.loc["C1", "action"] == "formal_notice" and rows.loc["C1", "action_invoices"] == [
        "I2"
    ]
    assert rows.loc["C1", "total_owed"] == 650.0 and rows.loc["C1", "at_risk"] == 65.0
    assert rows.loc["C2", "action"] == "declare_claim"  # a legal deadline beats everything
    assert rows.loc["C3", "action"] == "courtesy_reminder" and rows.loc["C3", "sector"] == ""
    assert rows.loc["C1", "step"] == steps["formal_notice"]


def test_filters_sort_and_paging() -> None:
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "name": ["A", "B", "C"]})
    steps = step_numbers(load_dunning_scenario())
    rows = customer_rows(
        _invoice_rows(), customers, pd.Series({"C1": "G", "C2": "F"}), AS_OF, steps
    )
    page, n = select(rows, Query(grades=("E", "D")))
    assert n == 2 and page.index.tolist() == ["C2", "C3"]  # at risk 99 then 30
    assert select(rows, Query(owner="credit_manager"))[0].index.tolist() == ["C2", "C1"]
    assert select(rows, Query(min_amount=600))[0].index.tolist() == ["C2", "C1"]
    assert select(rows, Query(sector="G"))[0].index.tolist() == ["C1"]
    assert select(rows, Query(sort="name"))[0].index.tolist() == ["C1", "C2", "C3"]
    seen = [select(rows, Query(sort="total_owed", page=p), page_size=2)[0] for p in (1, 2, 3)]
    assert [list(p.index) for p in seen] == [["C2", "C1"], ["C3"], []]


def test_history_from_batch_outputs(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    from risk.web.history import history_from_batch

    url = f"sqlite:///{tmp_path}/scores.db"
    assert history_from_batch(url, AS_OF - pd.DateOffset(months=24), AS_OF) is None  # no table
    rows = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2"],
            "as_of": pd.to_datetime(["2024-04-30", "2024-05-15", "2024-05-31", "2024-05-31"]),
            "probability": [0.1, 0.2, 0.3, 0.05],
            "grade": ["C", "D", "E", "B"],
            "model_versions": "v1",
        }
    )
    engine = create_engine(url)
    rows.iloc[1:].to_sql("customer_scores", engine, index=False)
    assert history_from_batch(url, AS_OF - pd.DateOffset(months=24), AS_OF) is None  # one month
    rows.iloc[:1].to_sql("customer_scores", engine, index=False, if_exists="append")
    engine.dispose()
    found = history_from_batch(url, AS_OF - pd.DateOffset(months=24), AS_OF)
    c1 = found[found["customer_id"] == "C1"]
    assert c1["grade"].tolist() == ["C", "E"]  # the last run of May is kept
    assert c1["month_end"].tolist() == [pd.Timestamp("2024-04-30"), pd.Timestamp("2024-05-31")]


def _reference_page(rows: pd.DataFrame, query: Query, page_size: int) -> tuple[list[str], int]:
    """Filters then sort of the whole table, written from the worklist's rules: every filter
    is an exact match (grades: any of them; amount: total owed at least), sorted by the chosen
    column then the amount at risk (largest first), ties in table order."""
    from risk.web.worklist import SORTS

    keep = pd.Series(True, index=rows.index)
    if query.grades:
        keep &= rows["grade"].isin(query.grades)
    for column in ("sector", "action", "owner"):
        if getattr(query, column):
            keep &= rows[column] == getattr(query, column)
    if query.min_amount > 0:
        keep &= rows["total_owed"] >= query.min_amount
    column, ascending = SORTS[query.sort]
    matched = rows[keep].sort_values(
        [column, "at_risk"], ascending=[ascending, False], kind="stable"
    )
    start = (query.page - 1) * page_size
    return matched.index[start : start + page_size].tolist(), len(matched)


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 60),
    seed=st.integers(0, 2**31 - 1),
    categorical=st.booleans(),
    grades=st.lists(st.sampled_from("ABCDEZ"), max_size=3, unique=True),
    sector=st.sampled_from(["", "G", "F", "Q"]),
    action=st.sampled_from(["", "courtesy_reminder", "formal_notice", "none"]),
    owner=st.sampled_from(["", "collector", "credit_manager"]),
    min_amount=st.sampled_from([0.0, 100.0, 500.0]),
    sort=st.sampled_from(["at_risk", "total_owed", "grade", "dpd", "action_date", "name"]),
    page=st.integers(1, 5),
    page_size=st.integers(1, 12),
)
def test_prepared_pages_equal_filtering_then_sorting_the_whole_table(
    n, seed, categorical, grades, sector, action, owner, min_amount, sort, page, page_size
) -> None:
    """Paging over the prepared view (orders computed once per version) gives the rows and the
    match count of filtering then sorting the whole table, for any filters, sort and page."""
    import numpy as np

    from risk.web.worklist import prepare

    rng = np.random.default_rng(seed)
    grade = rng.choice(list("ABCDE"), n)
    rows = pd.DataFrame(
        {
            "grade": pd.Categorical(grade, categories=list("ABCDE")) if categorical else grade,
            "sector": rng.choice(["", "G", "F"], n).astype(object),
            "action": rng.choice(["courtesy_reminder", "formal_notice", "call"], n),
            "owner": rng.choice(["collector", "credit_manager"], n),
            # few distinct amounts: ties on the sort column and on the amount at risk
            "total_owed": rng.choice([50.0, 100.0, 500.0, 900.0], n),
            "at_risk": rng.choice([0.0, 5.0, 5.0, 30.0], n),
            "max_days_past_due": rng.integers(-10, 90, n),
            "action_date": pd.to_datetime(
                rng.choice(["2024-06-01", "2024-07-01", None], n), errors="coerce"
            ),
            "name": rng.choice(["Alpha", "Beta", "Gamma"], n),
        },
        index=pd.Index([f"C{i}" for i in range(n)], name="customer_id"),
    )
    query = Query(grades=tuple(grades), sector=sector, action=action, owner=owner,
                  min_amount=min_amount, sort=sort, page=page)  # fmt: skip
    prepared = prepare(rows)
    for _ in range(2):  # the same prepared view answers several requests
        found, matched = prepared.page(query, page_size)
        assert (found.index.tolist(), matched) == _reference_page(rows, query, page_size)
