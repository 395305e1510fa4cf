"""Template contexts of the pages: figures turned into labels, charts and rows."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from risk.portfolio import AGING_BUCKETS
from risk.web.cashin import FORECAST
from risk.web.charts import bar_chart, line_chart
from risk.web.i18n import Translator
from risk.web.lookup import rows_of
from risk.web.sheet import Sheet
from risk.web.state import HistoryProgress, Snapshot
from risk.web.worklist import PAGE_SIZE, SORTS, Query

PROMISE_DAYS = 7


def default_promise(as_of: pd.Timestamp) -> str:
    return (pd.Timestamp(as_of) + pd.Timedelta(days=PROMISE_DAYS)).date().isoformat()


class CustomerNames:
    """Customer name by id for the few customers a page lists (``get`` as a mapping's), looked
    up through the customers table's grouping (``risk.web.lookup``) instead of indexing the
    whole table per request."""

    def __init__(self, customers: pd.DataFrame) -> None:
        self.customers = customers

    def get(self, customer_id: str, default: Any = None) -> Any:
        if "name" not in self.customers:
            return default
        found = rows_of(self.customers, "customer_id", customer_id)
        return found["name"].iloc[0] if len(found) else default


def dashboard_view(snap: Snapshot, t: Translator) -> dict[str, Any]:
    board = snap.dashboard
    ov = board.overview
    aged = ov.aged_balance
    aged_labels = [t(f"bucket_{b}") for b, _, _ in AGING_BUCKETS]
    aged_chart = bar_chart(
        aged_labels, list(aged["amount"]), [t.money(v) for v in aged["amount"]], t("aged_balance")
    )
    dso = board.dso_by_month
    dso_chart = line_chart(
        [t.date(d) for d in dso["month_end"]],
        list(dso["dso_days"]),
        [t.number(v, 1) for v in dso["dso_days"]],
        t("dso_by_month"),
        y_min=0.0,
    )
    grades = board.grades
    grade_chart = bar_chart(
        list(grades["grade"]),
        list(grades["n_now"].astype(float)),
        [
            f"{n} ({'+' if n - b >= 0 else ''}{n - b})"
            for n, b in zip(grades["n_now"], grades["n_before"], strict=True)
        ],
        t("grades"),
    )
    cash = board.cash_in
    weeks = cash.weeks
    cash_labels = [f"{t('week_of')} {t.date(d)}" for d in weeks["starts_on"]]
    cash_values = [float(v) for v in weeks["amount"]]
    lows, highs = [float(v) for v in weeks["low"]], [float(v) for v in weeks["high"]]
    if cash.basis == FORECAST:
        cash_title = t("cash_in_forecast")
        cash_texts = [
            f"{t.money(v)} ({t.money(lo)} – {t.money(hi)})"
            for v, lo, hi in zip(cash_values, lows, highs, strict=True)
        ]
        cash_chart = bar_chart(cash_labels, cash_values, cash_texts, cash_title, band=(lows, highs))
    else:
        cash_title = t("cash_in")
        cash_labels = [t("already_overdue"), *cash_labels]
        cash_values = [cash.overdue, *cash_values]
        cash_texts = [t.money(v) for v in cash_values]
        cash_chart = bar_chart(cash_labels, cash_values, cash_texts, cash_title)
    return {
        "snap": snap,
        "ov": ov,
        "aged_rows": list(zip(aged_labels, aged.itertuples(), strict=True)),
        "aged_chart": aged_chart,
        "dso_chart": dso_chart,
        "dso_rows": list(dso.itertuples()),
        "grade_chart": grade_chart,
        "grade_rows": list(grades.itertuples()),
        "cash_chart": cash_chart,
        "cash_rows": list(zip(cash_labels, cash_texts, strict=True)),
        "cash_title": cash_title,
        "cash_basis": cash.basis,
        "cash_beyond": cash.beyond,
        "board": board,
        "alerts": snap.alerts,
        "names": CustomerNames(snap.ledger.customers),
        "max_alerts": 10,
    }


def freshness(snap: Snapshot, loading: str | None, t: Translator) -> dict[str, Any]:
    """What the page's figures are of: the ledger version, when they were computed (UTC), and
    whether a newer version is being loaded meanwhile (the page shows the last complete one)."""
    return {
        "version": snap.version,
        "built_at": snap.built_at.strftime("%H:%M:%S UTC"),
        "built_on": t.date(pd.Timestamp(snap.built_at.date())),
        "loading": loading if loading and loading != snap.version else None,
    }


def history_note(progress: HistoryProgress, t: Translator) -> str:
    """The customer sheet's line on the month-end history: how far its scorings are, or when
    and on which ledger version it was computed."""
    if progress.failed:
        return t("history_failed").format(error=progress.failed)
    if progress.finished_at is None:
        if progress.total:
            return t("history_progress").format(done=progress.done, total=progress.total)
        return t("history_pending")
    stamp = progress.finished_at.strftime("%H:%M UTC")
    return t("history_" + (progress.source or "pages")).format(
        date=t.date(pd.Timestamp(progress.finished_at.date())), time=stamp,
        version=progress.version or "-",
    )  # fmt: skip


def _options(values: pd.Series) -> list[str]:
    return sorted(str(v) for v in values.dropna().unique() if str(v))


def worklist_view(
    snap: Snapshot, rows: pd.DataFrame, matched: int, query: Query, params: Any
) -> dict[str, Any]:
    options = snap.prepared().options
    pages = max((matched + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    base = [(k, v) for k, v in params.multi_items() if k != "page"]

    def page_url(number: int) -> str:
        return "?" + urlencode([*base, ("page", str(number))])

    return {
        "rows": rows,
        "matched": matched,
        "query": query,
        "page": min(query.page, pages),
        "pages": pages,
        "page_url": page_url,
        "sorts": list(SORTS),
        "grade_options": list(snap.scores["grade"].cat.categories)
        if hasattr(snap.scores["grade"], "cat")
        else _options(snap.scores["grade"]),
        "sector_options": options["sector"],
        "action_options": options["action"],
        "owner_options": options["owner"],
        "as_of": snap.as_of,
        "default_promise": default_promise(snap.as_of),
    }


def with_reasons(sheet: Sheet, scored: pd.Series) -> Sheet:
    """The sheet with reasons scored on demand (customers outside the worklist)."""
    split = lambda text: [p for p in str(text or "").split("; ") if p]  # noqa: E731
    return dataclasses.replace(
        sheet, reasons_en=split(scored["reasons_en"]), reasons_fr=split(scored["reasons_fr"])
    )


def customer_view(snap: Snapshot, sheet: Sheet, t: Translator) -> dict[str, Any]:
    chart = None
    if sheet.history is not None and len(sheet.history):
        hist = sheet.history
        chart = line_chart(
            [t.date(d) for d in hist["month_end"]],
            list(hist["probability"] * 100),
            [
                f"{t.percent(p)} ({g})"
                for p, g in zip(hist["probability"], hist["grade"], strict=True)
            ],
            t("history"),
            y_min=0.0,
        )
    return {
        "sheet": sheet,
        "history_chart": chart,
        "as_of": snap.as_of,
        "default_promise": default_promise(snap.as_of),
        "row": sheet.row,
        "customer_id": sheet.customer_id,
    }
