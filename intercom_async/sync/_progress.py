"""Progress of an export or a sync: a snapshot the caller's callback receives, also logged at INFO.

The tracker counts items delivered, partitions done / failed / total and the requests the walk sent (pages,
probes, enrichment fetches), and reads the server's budget from ``X-RateLimit-Limit`` (requests per 10-second
window). ``Progress.rate`` is the request rate over the last 10 seconds, ``Progress.limit`` the budget in
requests per second (``None`` until a response has said it). The callback runs at most every ``interval``
seconds and once at the end (``finished=True``); it must not block (a tqdm ``update`` is fine).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._ratelimit_headers import parse_count

__all__ = ["Progress", "ProgressCallback"]

logger = logging.getLogger("intercom_async")

WINDOW = 10.0  # Intercom's rate-limit window, seconds


@dataclass(frozen=True)
class Progress:
    """One progress snapshot (see the module docstring)."""

    resource: str
    items: int
    partitions_done: int
    partitions_failed: int
    partitions_total: int
    requests: int
    rate: float  # requests per second, last 10 s
    limit: float | None  # requests per second the server allows (X-RateLimit-Limit / 10)
    elapsed: float
    finished: bool = False

    def __str__(self) -> str:
        limit = f"/{self.limit:.0f}" if self.limit else ""
        failed = f", {self.partitions_failed} failed" if self.partitions_failed else ""
        return (
            f"{self.resource}: {self.items} items, partitions {self.partitions_done}/{self.partitions_total}{failed}, "
            f"{self.rate:.1f}{limit} req/s, {self.elapsed:.1f}s"
        )


ProgressCallback = Callable[[Progress], Any]


class Tracker:
    """Counts what a run does and reports it (callback + INFO log), throttled to ``interval`` seconds."""

    def __init__(
        self, resource: str, callback: ProgressCallback | None = None, *, interval: float = 1.0, log_every: float = 10.0
    ) -> None:
        self.resource = resource
        self.callback = callback
        self.interval = interval
        self.log_every = log_every
        self.items = 0
        self.done = 0
        self.failed = 0
        self.total = 0
        self.requests = 0
        self.limit: float | None = None
        self.started = time.monotonic()
        self._sent: deque[float] = deque()
        self._last_emit = 0.0
        self._last_log = self.started

    def request(self, headers: Mapping[str, str] | None = None) -> None:
        now = time.monotonic()
        self.requests += 1
        self._sent.append(now)
        if headers is not None:
            value = parse_count(headers.get("X-RateLimit-Limit"))
            if value:
                self.limit = value / WINDOW
        self.tick()

    def delivered(self, n: int) -> None:
        self.items += n
        self.tick()

    def snapshot(self, finished: bool = False) -> Progress:
        now = time.monotonic()
        while self._sent and self._sent[0] < now - WINDOW:
            self._sent.popleft()
        span = min(WINDOW, max(now - self.started, 1e-6))
        return Progress(
            resource=self.resource,
            items=self.items,
            partitions_done=self.done,
            partitions_failed=self.failed,
            partitions_total=self.total,
            requests=self.requests,
            rate=len(self._sent) / span,
            limit=self.limit,
            elapsed=now - self.started,
            finished=finished,
        )

    def tick(self, force: bool = False, finished: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_emit < self.interval:
            return
        self._last_emit = now
        snap = self.snapshot(finished)
        if self.callback is not None:
            self.callback(snap)
        if force or now - self._last_log >= self.log_every:
            self._last_log = now
            logger.info("%s%s", "finished: " if finished else "", snap)
