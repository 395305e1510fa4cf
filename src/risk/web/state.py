"""What the pages read: one ``Snapshot`` per ledger version of the service, kept up to date.

The first snapshot is built from the service's current scores (``risk.serving.cache``: every
customer and open invoice scored at the ledger's cut-off for that ledger version) when they are
there, else by scoring. When the service's ledger changes, ``advance`` decides again only the
customers an event batch touched (their scores come from the service's refreshed cache); a
reload, or a moved cut-off, rebuilds the snapshot. A collector's action is a ledger event
(reminder rows through the service's ``POST /ledger/events`` path, ``record``) and changes that
customer's next action at once; without a ledger-events path (pages on their own), actions are
applied from their own table (``risk.web.actions.apply_actions``).

The month-end grade history (24 scorings of the portfolio) runs in a background thread, so that
the customer sheet shows it as soon as it is there and never waits for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from risk.decisions.worklist import (
    DecisionConfig,
    WorklistFilters,
    build_worklist,
    decide_worklist,
    scored_items,
)
from risk.features.sector import naf_section
from risk.ledger import Ledger, subset_ledger
from risk.scoring import Scorer
from risk.web.actions import ActionLog, CollectionAction, action_events, apply_actions
from risk.web.alerts import (
    Alerts,
    broken_promises,
    claims_to_declare,
    grade_worsened,
    limits_exceeded,
    recent_legal_events,
)
from risk.web.cached import covers, decided_from_cache
from risk.web.dashboard import Dashboard, build_dashboard, grade_counts, refreshed
from risk.web.figures import LedgerFigures, ledger_figures, overview, with_customers
from risk.web.history import history_from_batch
from risk.web.lookup import indexed, warm
from risk.web.worklist import PreparedWorklist, customer_rows, prepare, step_numbers

logger = logging.getLogger(__name__)

HISTORY_MONTHS = 24

# the service's ledger-events path: table -> text rows; returns the customers touched, the new
# ledger, its version and the service's score cache for it
Events = Callable[[Mapping[str, pd.DataFrame]], tuple[frozenset[str], Ledger, str, Any]]


@dataclass
class Snapshot:
    """Everything the pages show at one view date."""

    as_of: pd.Timestamp
    ledger: Ledger  # the ledger with the recorded actions applied
    scores: pd.DataFrame  # score_customers rows, indexed by customer_id
    invoices: pd.DataFrame  # build_worklist rows (every open invoice)
    customers: pd.DataFrame  # web worklist rows, indexed by customer_id
    dashboard: Dashboard
    alerts: Alerts
    previous_as_of: pd.Timestamp | None
    base: Ledger | None = None  # the ledger as loaded (without the recorded actions)
    history: pd.DataFrame | None = None  # customer_id, month_end, probability, grade
    sections: pd.Series = field(default_factory=lambda: pd.Series(dtype="object"))
    version: str = ""  # the service's ledger version these figures are of
    before: pd.Series | None = None  # grades at the previous month end
    figures: LedgerFigures | None = None  # the dashboard's amounts, per customer
    worklist: PreparedWorklist | None = None  # ``customers`` prepared for paging
    built_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def prepared(self) -> PreparedWorklist:
        """``customers`` ready for paging: prepared once per version (when the state builds
        or updates the rows), prepared here only if the rows were replaced without it."""
        found = self.worklist
        if found is None or found.rows is not self.customers:
            found = self.worklist = prepare(self.customers)
        return found


def warm_lookups(snap: Snapshot) -> None:
    """Group, by customer (reminders: by invoice), the tables the customer sheet reads its rows
    from (``risk.web.lookup``): grouping a whole table costs about 0.6 s of CPU at 20,000
    customers, paid here in the background after a version is published instead of by the
    first sheet asked for."""
    try:
        snap.prepared()  # the worklist's paging view, when an update left it to be prepared
        ledger, base = snap.ledger, snap.base or snap.ledger
        # a ledger with its index of row positions (the service's) is read through it: only
        # the pages' own frames are grouped (regrouping the reminders after each recorded
        # action cost about a second of CPU at 100,000 customers)
        tables = [] if indexed(ledger) and indexed(base) else [
            (ledger.customers, "customer_id"),
            (ledger.invoices, "customer_id"),
            (base.reminders, "invoice_id"),
            (ledger.legal_events, "customer_id"),
        ]  # fmt: skip
        for frame, column in (
            (snap.invoices, "customer_id"),
            *tables,
            (snap.history, "customer_id"),
        ):
            warm(frame, column)
    except Exception:  # only a head start: a page groups what it needs itself
        logger.exception("web pages: grouping the tables in advance failed")


def _warm_in_background(snap: Snapshot) -> None:
    threading.Thread(
        target=warm_lookups, args=(snap,), name="risk-web-lookups", daemon=True
    ).start()


def cached_scores(cache: Any, as_of: pd.Timestamp) -> pd.DataFrame | None:
    """The service's cached customer scores at ``as_of`` (index customer_id), or None."""
    if cache is None or getattr(cache, "as_of", None) != as_of:
        return None
    customers: pd.DataFrame = cache.customers
    return customers.drop(columns=["customer_id"], errors="ignore")


def _names(ledger: Ledger) -> pd.Series:
    customers = ledger.customers
    if "name" not in customers:
        return pd.Series(dtype="object")
    return pd.Series(customers["name"].to_numpy(), index=customers["customer_id"].to_numpy())


def previous_month_end(as_of: pd.Timestamp) -> pd.Timestamp:
    """The month end before ``as_of`` (the previous monthly rescoring)."""
    return (pd.Timestamp(as_of) - pd.offsets.MonthEnd(1)).normalize()


@dataclass
class HistoryProgress:
    """How far the month-end history is: scorings done of those to do, and when it was done
    (UTC) on which ledger version; read by the customer sheet to say how fresh it is."""

    done: int = 0
    total: int = 0
    finished_at: dt.datetime | None = None
    version: str = ""
    source: str = ""  # "batch" (the nightly batch's outputs) or "pages" (scored here)
    failed: str = ""  # the error's kind when the history could not be computed (none: "")


class PortfolioState:
    """The pages' data for one scorer and ledger; thread-safe."""

    def __init__(
        self,
        scorer: Scorer,
        ledger: Ledger,
        actions: ActionLog,
        as_of: pd.Timestamp | None = None,
        config: DecisionConfig | None = None,
        history: bool = True,
        scores_url: str | None = None,
        version: str = "",
        cache: Any = None,
        events: Events | None = None,
    ) -> None:
        self.scorer = scorer
        self.base = ledger
        self.actions = actions
        self.version = version
        self.cache = cache
        self.events = events
        self.as_of = pd.Timestamp(as_of) if as_of is not None else ledger.cutoff
        self.config = config or DecisionConfig()
        self.steps = step_numbers(self.config.scenario)
        self._lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._history_wanted = history
        self.scores_url = scores_url
        self._history_thread: threading.Thread | None = None
        self.history_progress = HistoryProgress()

    # ------------------------------------------------------------ build

    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._build()
                _warm_in_background(self._snapshot)
                if self._history_wanted and self._history_thread is None:
                    self._history_thread = threading.Thread(
                        target=self._build_history, name="risk-web-history", daemon=True
                    )
                    self._history_thread.start()
            return self._snapshot

    def _build(self) -> Snapshot:
        # with the ledger-events path, recorded actions are already reminder rows of the ledger
        ledger = self.base if self.events else apply_actions(self.base, self.actions.read())
        as_of, scorer = self.as_of, self.scorer
        scores = cached_scores(self.cache, as_of)
        if scores is None:
            scores = scorer.score_customers(ledger, as_of, explain=False).set_index("customer_id")
        before_at = previous_month_end(as_of)
        before = None
        if before_at >= ledger.date_range[0]:
            before = scorer.score_customers(ledger, before_at, explain=False).set_index(
                "customer_id"
            )["grade"]
        if self.events is not None and covers(self.cache, as_of, None):
            invoices = decided_from_cache(ledger, as_of, self.cache, self.config)
        else:
            invoices = build_worklist(scorer, ledger, as_of, WorklistFilters(top=None), self.config)
        sections = self._sections()
        figures = ledger_figures(self.base, as_of)
        dashboard = build_dashboard(
            self.base, overview(figures, len(self.base.customers), _names(self.base)),
            scores["grade"], before, before_at, scorer.scale, scorer.timing_model,
        )  # fmt: skip
        alerts = Alerts(
            grade_worsened=grade_worsened(scores["grade"], before, list(scorer.scale.letters)),
            legal_events=recent_legal_events(ledger, as_of),
            broken_promises=broken_promises(ledger, as_of),
            limits_exceeded=limits_exceeded(scores.reset_index()),
            claims_to_declare=claims_to_declare(invoices, as_of),
        )
        customers = customer_rows(invoices, ledger.customers, sections, as_of, self.steps)
        return Snapshot(
            as_of=as_of,
            ledger=ledger,
            scores=scores,
            invoices=invoices,
            customers=customers,
            worklist=prepare(customers),
            dashboard=dashboard,
            alerts=alerts,
            previous_as_of=before_at if before is not None else None,
            base=self.base,
            sections=sections,
            version=self.version,
            before=before,
            figures=figures,
        )

    def _sections(self) -> pd.Series:
        customers = self.base.customers.set_index("customer_id")
        if "naf_code" not in customers:
            return pd.Series("", index=customers.index, dtype="object")
        return naf_section(customers["naf_code"]).astype("object")

    def _build_history(self) -> None:
        """Month-end scores of the portfolio over the last 24 months (one scoring per month)."""
        try:
            ledger = self.base
            start = self.as_of - pd.DateOffset(months=HISTORY_MONTHS)
            if (
                self.scores_url
                and (found := history_from_batch(self.scores_url, start, self.as_of)) is not None
            ):
                self._set_history(found, "batch")
                logger.info("month-end history from the batch outputs")
                return
            ends = [
                e
                for e in pd.date_range(end=self.as_of, periods=HISTORY_MONTHS, freq="ME")
                if e >= ledger.date_range[0]
            ]
            progress = self.history_progress
            progress.total, version = len(ends), self.version
            frames = []
            for end in ends:
                scored = self.scorer.score_customers(ledger, end, explain=False)
                frames.append(scored[["customer_id", "probability", "grade"]].assign(month_end=end))
                progress.done += 1
            self._set_history(pd.concat(frames, ignore_index=True) if frames else None, "pages",
                              version)  # fmt: skip
            logger.info("month-end history ready (%d scorings)", len(frames))
        except Exception as exc:  # a failed history must not take the pages down
            logger.exception("month-end history failed")
            # the sheet says so instead of "being computed" for ever (the error's kind only:
            # its message may hold ledger values)
            self.history_progress.failed = type(exc).__name__

    def _set_history(
        self, history: pd.DataFrame | None, source: str, version: str | None = None
    ) -> None:
        warm(history, "customer_id")  # before it is shown, outside the lock
        with self._lock:
            self._history = history
            progress = self.history_progress
            progress.finished_at = dt.datetime.now(dt.UTC)
            progress.version = self.version if version is None else version
            progress.source = source
            if self._snapshot is not None:
                self._snapshot.history = history

    def wait_history(self, timeout: float | None = None) -> None:
        """Block until the history thread ends (benchmarks and tests)."""
        self.snapshot()
        if self._history_thread is not None:
            self._history_thread.join(timeout)

    # ------------------------------------------------------------ changes

    def advance(
        self, ledger: Ledger, version: str, cache: Any, changed: Collection[str]
    ) -> Snapshot:
        """The snapshot of a new ledger version whose events touched only ``changed`` customers
        (same cut-off date): their scores (the service's cache when it has them), invoice rows,
        next action and alerts are computed again, the rest is kept."""
        with self._lock:
            snap = self.snapshot()
            if version == self.version and version:
                return snap  # already there (a recorded action advanced it)
            self.base, self.version, self.cache = ledger, version, cache
            ids = sorted(set(changed) & set(ledger.customers["customer_id"].astype("str")))
            if not ids:
                self._snapshot = replace(snap, ledger=ledger, base=ledger, version=version)
                return self._snapshot
            self._snapshot = self._update(snap, ledger, ids, cache)
            _warm_in_background(self._snapshot)
            return self._snapshot

    def _update(self, snap: Snapshot, ledger: Ledger, ids: list[str], cache: Any) -> Snapshot:
        """``snap`` with the customers ``ids`` decided again on ``ledger``: their scores and
        reasons from ``cache`` (the service's, refreshed for them) when it holds them, else
        scored here; the dashboard's amounts refreshed for them."""
        as_of, scorer = self.as_of, self.scorer
        sub = subset_ledger(ledger, ids)  # customer features read only their own rows
        if covers(cache, as_of, ids):
            mine = cached_scores(cache, as_of).loc[ids]  # type: ignore[union-attr]
            decided = decided_from_cache(sub, as_of, cache, self.config, ids)
        else:
            mine = scorer.score_customers(sub, as_of, ids, explain=False).set_index("customer_id")
            items = scored_items(scorer, sub, as_of) if len(sub.invoices) else pd.DataFrame()
            decided = (
                decide_worklist(scorer, sub, as_of, items, self.config) if len(items) else items
            )
        scores = pd.concat([snap.scores[~snap.scores.index.isin(ids)], mine])
        kept = snap.invoices[~snap.invoices["customer_id"].isin(ids)]
        invoices = pd.concat([kept, decided], ignore_index=True) if len(decided) else kept
        rows = customer_rows(decided, ledger.customers, snap.sections, as_of, self.steps)
        customers = snap.customers[~snap.customers.index.isin(ids)]
        if len(rows):
            customers = pd.concat([customers, rows]) if len(customers.columns) else rows
        alerts = snap.alerts
        promises = alerts.broken_promises
        alerts = replace(
            alerts,
            grade_worsened=grade_worsened(scores["grade"], snap.before, list(scorer.scale.letters)),
            broken_promises=pd.concat(
                [promises[~promises["customer_id"].isin(ids)], broken_promises(sub, as_of)],
                ignore_index=True,
            ).sort_values("promised_on", ascending=False),
            limits_exceeded=limits_exceeded(scores.reset_index()),
            claims_to_declare=claims_to_declare(invoices, as_of),
        )
        grades = grade_counts(scores["grade"], snap.before, scorer.scale)
        figures = snap.figures
        if figures is None:
            dashboard = replace(snap.dashboard, grades=grades)
        else:
            figures = with_customers(figures, ledger_figures(sub, as_of), ids)
            amounts = overview(figures, len(ledger.customers), _names(ledger))
            dashboard = refreshed(snap.dashboard, amounts, figures.items, grades)
        return replace(
            snap, ledger=ledger, base=ledger, scores=scores, invoices=invoices,
            customers=customers, alerts=alerts, dashboard=dashboard, version=self.version,
            figures=figures, worklist=None, built_at=dt.datetime.now(dt.UTC),
        )  # fmt: skip  # the paging view: prepared in the background (``warm_lookups``)

    def record(self, action: CollectionAction) -> Snapshot:
        """Store an action and decide that customer's invoices again on the updated ledger.

        With the service's ledger-events path the action becomes reminder rows of the ledger
        (a new ledger version, the customer rescored by the service); else it is applied from
        the pages' own table.
        """
        with self._lock:
            snap = self.snapshot()
            if self.events is not None:
                touched, ledger, version, cache = self.events(action_events(action))
                self.actions.write(action)  # the note and who recorded it
                return self.advance(ledger, version, cache, {action.customer_id, *touched})
            self.actions.write(action)
            ledger = apply_actions(snap.ledger, [action])
            self._snapshot = self._update(
                replace(snap, ledger=ledger), ledger, [action.customer_id], None
            )
            self._snapshot = replace(self._snapshot, base=self.base)
            _warm_in_background(self._snapshot)
            return self._snapshot
