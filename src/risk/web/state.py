"""What the pages read, computed once from the service's scorer and ledger and kept up to date
when a collector records an action (only that customer's rows are decided again).

Scores, the invoice worklist and the dashboard are computed when first needed; the month-end
grade history (24 scorings of the portfolio) runs in a background thread, so that the customer
sheet shows it as soon as it is there and never waits for it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace

import pandas as pd

from risk.decisions.worklist import DecisionConfig, WorklistFilters, build_worklist, decide_worklist
from risk.features.sector import naf_section
from risk.ledger import Ledger
from risk.portfolio import portfolio_overview
from risk.scoring import Scorer
from risk.web.actions import ActionLog, CollectionAction, apply_actions
from risk.web.alerts import (
    Alerts,
    broken_promises,
    claims_to_declare,
    grade_worsened,
    limits_exceeded,
    recent_legal_events,
)
from risk.web.dashboard import Dashboard, build_dashboard
from risk.web.history import history_from_batch
from risk.web.worklist import customer_rows, step_numbers

logger = logging.getLogger(__name__)

HISTORY_MONTHS = 24


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


def previous_month_end(as_of: pd.Timestamp) -> pd.Timestamp:
    """The month end before ``as_of`` (the previous monthly rescoring)."""
    return (pd.Timestamp(as_of) - pd.offsets.MonthEnd(1)).normalize()


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
    ) -> None:
        self.scorer = scorer
        self.base = ledger
        self.actions = actions
        self.as_of = pd.Timestamp(as_of) if as_of is not None else ledger.cutoff
        self.config = config or DecisionConfig()
        self.steps = step_numbers(self.config.scenario)
        self._lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._history_wanted = history
        self.scores_url = scores_url
        self._history_thread: threading.Thread | None = None

    # ------------------------------------------------------------ build

    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._build()
                if self._history_wanted and self._history_thread is None:
                    self._history_thread = threading.Thread(
                        target=self._build_history, name="risk-web-history", daemon=True
                    )
                    self._history_thread.start()
            return self._snapshot

    def _build(self) -> Snapshot:
        ledger = apply_actions(self.base, self.actions.read())
        as_of, scorer = self.as_of, self.scorer
        scores = scorer.score_customers(ledger, as_of, explain=False).set_index("customer_id")
        before_at = previous_month_end(as_of)
        before = None
        if before_at >= ledger.date_range[0]:
            before = scorer.score_customers(ledger, before_at, explain=False).set_index(
                "customer_id"
            )["grade"]
        invoices = build_worklist(scorer, ledger, as_of, WorklistFilters(top=None), self.config)
        sections = self._sections()
        overview = portfolio_overview(self.base, as_of)
        dashboard = build_dashboard(
            self.base, overview, scores["grade"], before, before_at, scorer.scale,
            scorer.timing_model,
        )  # fmt: skip
        alerts = Alerts(
            grade_worsened=grade_worsened(scores["grade"], before, list(scorer.scale.letters)),
            legal_events=recent_legal_events(ledger, as_of),
            broken_promises=broken_promises(ledger, as_of),
            limits_exceeded=limits_exceeded(scores.reset_index()),
            claims_to_declare=claims_to_declare(invoices, as_of),
        )
        return Snapshot(
            as_of=as_of,
            ledger=ledger,
            scores=scores,
            invoices=invoices,
            customers=customer_rows(invoices, ledger.customers, sections, as_of, self.steps),
            dashboard=dashboard,
            alerts=alerts,
            previous_as_of=before_at if before is not None else None,
            base=self.base,
            sections=sections,
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
                self._set_history(found)
                logger.info("month-end history from the batch outputs")
                return
            ends = [
                e
                for e in pd.date_range(end=self.as_of, periods=HISTORY_MONTHS, freq="ME")
                if e >= ledger.date_range[0]
            ]
            frames = []
            for end in ends:
                scored = self.scorer.score_customers(ledger, end, explain=False)
                frames.append(scored[["customer_id", "probability", "grade"]].assign(month_end=end))
            self._set_history(pd.concat(frames, ignore_index=True) if frames else None)
            logger.info("month-end history ready (%d scorings)", len(frames))
        except Exception:  # a failed history must not take the pages down
            logger.exception("month-end history failed")

    def _set_history(self, history: pd.DataFrame | None) -> None:
        with self._lock:
            self._history = history
            if self._snapshot is not None:
                self._snapshot.history = history

    def wait_history(self, timeout: float | None = None) -> None:
        """Block until the history thread ends (benchmarks and tests)."""
        self.snapshot()
        if self._history_thread is not None:
            self._history_thread.join(timeout)

    # ------------------------------------------------------------ actions

    def record(self, action: CollectionAction) -> Snapshot:
        """Store an action and decide that customer's invoices again on the updated ledger."""
        with self._lock:
            snap = self.snapshot()
            self.actions.write(action)
            ledger = apply_actions(snap.ledger, [action])
            mine = snap.invoices["customer_id"] == action.customer_id
            items = snap.invoices[mine].reset_index(drop=True)
            others = snap.invoices[~mine]
            if not items.empty:
                decided = decide_worklist(self.scorer, ledger, self.as_of, items, self.config)
                invoices = pd.concat([others, decided], ignore_index=True)
            else:
                invoices = snap.invoices
            customers = customer_rows(
                invoices, ledger.customers, snap.sections, self.as_of, self.steps
            )
            alerts = replace(
                snap.alerts,
                broken_promises=broken_promises(ledger, self.as_of),
                claims_to_declare=claims_to_declare(invoices, self.as_of),
            )
            self._snapshot = replace(
                snap, ledger=ledger, invoices=invoices, customers=customers, alerts=alerts
            )
            return self._snapshot
