"""The current ledger of a long-running process: read once, swapped whole when it changes.

Readers take ``state.snapshot`` once per request and keep it: a reload or an event batch builds
a new snapshot and replaces the reference in one assignment, so in-flight requests finish on the
version they started with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

import pandas as pd

from risk.errors import LedgerError
from risk.ledger_index import index_ledger
from risk.store.events import EventCheck, check_events
from risk.store.snapshot import LedgerSnapshot, LedgerSource

logger = logging.getLogger(__name__)

Listener = Callable[[LedgerSnapshot, frozenset[str] | None, object], object]
Completer = Callable[[LedgerSnapshot, object], object]


class LedgerState:
    """The current ``LedgerSnapshot`` of a source, reloaded on change, fed by events.

    Args:
        source: where the ledger lives.
        prepare: called with each new snapshot, the customers it changed (None: all) and the
            previous result, before the snapshot is published; the result is published with it
            in ``view`` (e.g. cached scores).
        complete: after an event batch is published, called in a background thread with the
            snapshot and its ``prepare`` result; its result replaces that one while the
            snapshot is still the current one (e.g. scores that can wait: open invoices).
    """

    def __init__(
        self,
        source: LedgerSource,
        prepare: Listener | None = None,
        complete: Completer | None = None,
    ) -> None:
        self.source = source
        self.prepare = prepare
        self.complete = complete
        self._completing: threading.Thread | None = None
        self.view: tuple[LedgerSnapshot | None, object] = (None, None)
        self.error = ""
        self._fingerprint = ""
        self._write = threading.Lock()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def _publish(self, snapshot: LedgerSnapshot, changed: frozenset[str] | None) -> None:
        previous = self.view[1] if changed is not None else None
        derived = self.prepare(snapshot, changed, previous) if self.prepare is not None else None
        self.view = (snapshot, derived)  # one assignment: readers see both or neither

    @property
    def snapshot(self) -> LedgerSnapshot | None:
        return self.view[0]

    def refresh(self) -> bool:
        """Reload when the source changed; True when a new version was published."""
        with self._write:
            try:
                fingerprint = self.source.fingerprint()
                if fingerprint == self._fingerprint and self.snapshot is not None:
                    return False
                ledger, version = self.source.read()
            except (LedgerError, OSError) as exc:
                self.error = f"no ledger to score by id ({self.source.description}): {exc}"
                logger.warning("%s", self.error)
                return False
            except Exception as exc:  # a database error must not kill the watcher
                self.error = (
                    f"ledger {self.source.description} unreadable: {type(exc).__name__}: {exc}"
                )
                logger.error("%s", self.error)
                return False
            # each customer's row positions, once per version read: an event's customers are
            # then cut by a take (risk.ledger_index), and the index follows the events
            index_ledger(ledger)
            self._fingerprint = version
            self._publish(LedgerSnapshot.of(ledger, version, self.source.description), None)
            self.error = ""
            logger.info("ledger %s version %s loaded", self.source.description, version)
            return True

    def append(self, batch: Mapping[str, pd.DataFrame]) -> tuple[EventCheck, LedgerSnapshot]:
        """Check, persist and publish a batch of events.

        Raises:
            LedgerError: no ledger is loaded, or the source cannot store the rows.
            risk.errors.SchemaError: a table or column of the batch is unknown / missing.
        """
        with self._write:
            current = self.snapshot
            if current is None:
                raise LedgerError(self.error or "no ledger loaded")
            check = check_events(current.ledger, batch)
            if not any(check.kept.values()):
                return check, current
            version = self.source.persist(
                check.accepted, check.ledger, check.upserted, rows=check.rows
            )
            self._fingerprint = version
            snapshot = LedgerSnapshot.of(check.ledger, version, self.source.description)
            self._publish(snapshot, check.customers)
            self._complete_later(snapshot)
            logger.info(
                "ledger events: %s kept, %s quarantined; version %s",
                sum(check.kept.values()),
                sum(check.quarantined.values()),
                version,
            )
            return check, snapshot

    def _complete_later(self, snapshot: LedgerSnapshot) -> None:
        """Run ``complete`` for ``snapshot`` off the caller's thread (caller holds the lock)."""
        if self.complete is None:
            return
        complete, derived = self.complete, self.view[1]

        def run() -> None:
            try:
                done = complete(snapshot, derived)
            except Exception:  # the published view stays valid; the next event retries
                logger.exception("completing ledger %s failed", snapshot.version)
                return
            with self._write:
                if self.view[0] is snapshot:  # not replaced meanwhile by a newer version
                    self.view = (snapshot, done)

        self._completing = threading.Thread(target=run, name="ledger-complete", daemon=True)
        self._completing.start()

    def settle(self, timeout_s: float | None = None) -> None:
        """Wait for the background completion of the last event batch (tests, benchmarks)."""
        thread = self._completing
        if thread is not None:
            thread.join(timeout_s)

    def watch(self, every_s: float = 1.0) -> None:
        """Poll the source in a daemon thread and reload on change, until ``stop()``."""

        def loop() -> None:
            while not self._stop.wait(every_s):
                self.refresh()

        self._watcher = threading.Thread(target=loop, name="ledger-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
