"""Per-client-address limit on failed API-key attempts (a sliding one-minute window)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque

MAX_ADDRESSES = 10_000


class FailureLimiter:
    """At most ``max_failures`` failed attempts per address within ``window_s`` seconds.

    Memory is bounded: past ``max_addresses`` addresses, the least recently seen is forgotten.

    >>> limiter = FailureLimiter(max_failures=2, window_s=60)
    >>> limiter.record("10.0.0.1", now=0.0); limiter.record("10.0.0.1", now=1.0)
    >>> limiter.retry_after("10.0.0.1", now=2.0)
    58
    >>> limiter.retry_after("10.0.0.1", now=61.0) is None
    True
    """

    def __init__(
        self, max_failures: int, window_s: float = 60.0, max_addresses: int = MAX_ADDRESSES
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[address]
            return None
        return times

    def retry_after(self, address: str, now: float | None = None) -> int | None:
        """Seconds the address must wait before its next attempt, or None when it may try."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            if times is None or len(times) < self.max_failures:
                return None
            return max(1, math.ceil(times[0] + self.window_s - now))

    def record(self, address: str, now: float | None = None) -> None:
        """Count one failed attempt of ``address``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now) or deque()
            times.append(now)
            self._failures[address] = times
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
