"""Client-side rate limiting: keep a client (or many clients of one Intercom app) under the API's limits.

Intercom limits each app per 10-second window and reports the state of the current window on every
authenticated response (``X-RateLimit-Limit`` per window, ``X-RateLimit-Remaining``, ``X-RateLimit-Reset``
as Unix seconds). A client that only reacts to ``429`` wastes requests and stalls; this module lets the
client *avoid* them.

``RateLimiter`` is the small interface the transport talks to, once per HTTP attempt::

    await limiter.acquire()          # wait until one request may be sent (may raise CancelledError)
    try:
        ...send, read the response...
        await limiter.observe(status, headers)   # feed the X-RateLimit-* headers back (normal path only)
    finally:
        limiter.release()            # synchronous, exactly once per successful acquire()

``acquire`` must leave nothing behind when it raises (cancellation included); ``release`` is synchronous
so it can run in a ``finally`` under any cancellation (asyncio tasks, anyio cancel scopes). A shared backend
(e.g. Redis, for many worker processes) implements the same three methods; the in-process one ships here.
A limiter that can decide without waiting or I/O may also implement ``try_acquire()`` and ``try_observe()``
(synchronous, ``True`` when done): the transport tries them first and awaits ``acquire``/``observe`` only when
they return ``False``, which saves two coroutines per request (the in-process limiter always can observe, and can
acquire whenever the server's window has budget).

``InProcessRateLimiter`` combines, all optional:

* an explicit budget, ``limit`` requests per ``window`` seconds, enforced as a sliding window over send
  times (any ``window + headroom`` seconds contain at most ``limit`` sends, so a server counting fixed
  windows of unknown alignment never sees more than ``limit`` in one), and paced: at most ``burst``
  requests leave back to back, the rest are spread at the average rate ``limit / (window + headroom)``
  instead of in window-sized bursts that pile up on the network. Waiters get FIFO reservations, so a burst
  does not wake every waiter at once, and a cancelled waiter gives its reservation back;
* adaptive pacing from the response headers: the remaining budget of the server's current window is
  tracked (minus requests still in flight), and once it is down to ``reserve`` every new request waits for
  the window's reset; a ``429`` pauses every user of the limiter until the reset (or ``Retry-After``);
* a concurrency cap, ``max_concurrency`` requests in flight at once.

One instance may be shared by any number of clients (that is how several clients of one app share a
budget), also across threads each running its own event loop: state is guarded by a ``threading.Lock`` and
waiting never binds the limiter to a loop. A client built with default settings uses an adaptive instance
shared by the clients of its token (``intercom_async._pacing``); ``rate_limiter=False`` means none at all.
Header values are read by ``intercom_async._ratelimit_headers``: nan, inf, negative or absurd numbers are
ignored (logged once per limiter and header), never an exception or a stall.
"""

from __future__ import annotations

import abc
import asyncio
import bisect
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from multidict import istr

from ._ratelimit_headers import HeaderReader

__all__ = ["InProcessRateLimiter", "LimiterStats", "RateLimiter"]

# header names as multidict ``istr``: a case-insensitive lookup of one skips folding the name (every response)
_RESET = istr("X-RateLimit-Reset")
_REMAINING = istr("X-RateLimit-Remaining")


class RateLimiter(abc.ABC):
    """Decides when a request may be sent, and learns from the responses. See the module docstring."""

    @abc.abstractmethod
    async def acquire(self) -> None:
        """Wait until one request may be sent and take one unit of the budget.

        If this raises (including ``asyncio.CancelledError``) nothing is held and ``release`` is not called.
        """

    def release(self) -> None:
        """The request taken by ``acquire`` is over (answered, failed or cancelled). Synchronous."""

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """A response arrived for an acquired request (called before ``release``)."""

    # Optional synchronous fast paths (the transport tries them first; a coroutine per request is measurable):
    def try_acquire(self) -> bool:
        """Take one unit now if that needs no wait and no I/O, and return True; False: ``await acquire()``."""
        return False

    def try_observe(self, status: int, headers: Mapping[str, str]) -> bool:
        """Handle ``observe`` now if that needs no I/O, and return True; False: ``await observe(...)``."""
        return False


class LimiterStats:
    """Counters of an ``InProcessRateLimiter`` (monotonic, for metrics and tests)."""

    __slots__ = ("acquired", "in_flight", "max_in_flight", "server_pauses", "waited_seconds", "waits")

    def __init__(self) -> None:
        self.acquired = 0  # requests let through
        self.waits = 0  # times a request had to wait (budget, server window or concurrency)
        self.waited_seconds = 0.0  # total seconds spent waiting for budget / server windows
        self.server_pauses = 0  # 429s that paused the limiter
        self.in_flight = 0  # requests between acquire() and release() right now
        self.max_in_flight = 0

    def __repr__(self) -> str:
        return (
            f"LimiterStats(acquired={self.acquired}, waits={self.waits}, waited_seconds={self.waited_seconds:.3f}, "
            f"server_pauses={self.server_pauses}, in_flight={self.in_flight}, max_in_flight={self.max_in_flight})"
        )


class _Slots:
    """A counting semaphore usable from several event loops (one per thread); FIFO, cancellation-safe.

    A release wakes the first waiter; a woken waiter takes a free slot if there is one, otherwise it queues
    again at the front. A waiter that is cancelled after being woken passes the wake-up on, so no slot and
    no wake-up is ever lost.
    """

    def __init__(self, size: int, lock: threading.Lock) -> None:
        self._free = size
        self._lock = lock
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> bool:
        """Take a slot; returns True when it had to wait."""
        with self._lock:
            if self._free > 0 and not self._waiters:
                self._free -= 1
                return False
        loop = asyncio.get_running_loop()
        front = False
        while True:
            with self._lock:
                if self._free > 0 and (front or not self._waiters):
                    self._free -= 1
                    return True
                fut: asyncio.Future[None] = loop.create_future()
                if front:
                    self._waiters.appendleft(fut)
                else:
                    self._waiters.append(fut)
            try:
                await fut
            except BaseException:
                with self._lock:
                    try:
                        self._waiters.remove(fut)
                    except ValueError:  # already woken by a release: hand the wake-up to the next waiter
                        self._wake_next_locked()
                raise
            front = True

    def release(self) -> None:
        with self._lock:
            self._free += 1
            self._wake_next_locked()

    def _wake_next_locked(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        while self._waiters:
            fut = self._waiters.popleft()
            if fut.done():  # cancelled, its owner will find it gone and pass the wake-up on
                return
            loop = fut.get_loop()
            if loop is running:
                fut.set_result(None)
                return
            try:
                loop.call_soon_threadsafe(_wake, fut)
                return
            except RuntimeError:  # that loop is closed; its waiter is gone, try the next one
                continue


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class InProcessRateLimiter(RateLimiter):
    """Explicit budget + adaptive pacing from ``X-RateLimit-*`` + concurrency cap, shared in-process.

    Args:
        limit: at most this many requests per ``window`` (``None``: no explicit budget). For a private app
            allowed 10,000 calls a minute that is ``limit=1666, window=10``.
        window: the length of the server's rate-limit window in seconds (Intercom: 10). Used by the
            explicit budget and to predict the next window's reset from the last one.
        burst: at most this many sends back to back under the explicit budget (default ``limit // 10``, at
            least 1; ``burst=limit`` allows the whole window's budget at once).
        max_concurrency: at most this many requests in flight at once (``None``: no cap).
        adaptive: follow ``X-RateLimit-Remaining`` / ``X-RateLimit-Reset`` / 429s (default True).
        reserve: stop at this many requests left in the server's window and wait for its reset (default 0;
            raise it when something outside this limiter uses the same app).
        headroom: extra seconds added to ``window`` by the explicit budget to absorb jitter between sending
            and the server counting (default 5% of ``window``, at least 50 ms).
        reset_margin: seconds to wait past a server reset before sending again (clock granularity).
        max_wait: a single wait never exceeds this many seconds, whatever the headers say.
        clock / wall_clock / sleep: injectable for tests (monotonic seconds, Unix seconds, async sleep).
    """

    def __init__(
        self,
        limit: int | None = None,
        window: float = 10.0,
        *,
        burst: int | None = None,
        max_concurrency: int | None = None,
        adaptive: bool = True,
        reserve: int = 0,
        headroom: float | None = None,
        reset_margin: float = 0.02,
        max_wait: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1 (or None), got {limit}")
        if window <= 0:
            raise ValueError(f"window must be > 0, got {window}")
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1 (or None), got {max_concurrency}")
        if reserve < 0:
            raise ValueError(f"reserve must be >= 0, got {reserve}")
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be >= 1 (or None), got {burst}")
        self.limit = limit
        self.burst = None if limit is None else min(limit, burst if burst is not None else max(1, limit // 10))
        self.window = float(window)
        self.max_concurrency = max_concurrency
        self.adaptive = adaptive
        self.reserve = reserve
        self.headroom = max(0.05 * self.window, 0.05) if headroom is None else float(headroom)
        self.reset_margin = reset_margin
        self.max_wait = max_wait
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._slots = _Slots(max_concurrency, self._lock) if max_concurrency is not None else None
        self._gated = limit is not None or adaptive
        # acquire() without a wait in the common case: the same checks as _server_gate_locked, inline. The
        # synchronous fast paths stay off for a subclass that overrides acquire/observe (its code must run).
        cls = type(self)
        self._fast = limit is None and max_concurrency is None and cls.acquire is InProcessRateLimiter.acquire
        self._fast_observe = cls.observe is InProcessRateLimiter.observe
        # explicit budget: sorted monotonic send times (past sends and future reservations)
        self._span = self.window + self.headroom
        self._burst_span = 0.0 if limit is None else self._span * self.burst / limit  # type: ignore[operator]
        self._log: deque[float] = deque()
        # adaptive state: the server's current window as last reported
        self._srv_reset: float | None = None  # monotonic time the server's current window ends
        self._srv_remaining: int | None = None  # requests left in it, minus what we sent since
        self._srv_limit: int | None = None  # per-window capacity (X-RateLimit-Limit, else largest seen)
        self._pause_until = 0.0  # monotonic; set by a 429 carrying only Retry-After
        self._tolerance = min(0.01, self.window / 4)  # two resets this close are the same window
        self._seen_reset: tuple[str | None, float] = (None, 0.0)  # last X-RateLimit-Reset text, as monotonic time
        self._header_reader = HeaderReader("InProcessRateLimiter")
        self.stats = LimiterStats()

    def __repr__(self) -> str:
        return (
            f"<InProcessRateLimiter limit={self.limit} window={self.window} max_concurrency={self.max_concurrency} "
            f"adaptive={self.adaptive} remaining={self._srv_remaining}>"
        )

    # ------------------------------------------------------------------ RateLimiter

    def try_acquire(self) -> bool:
        if not self._fast:
            return False
        # adaptive only, no cap: no wait unless the server's window is spent or paused
        lock = self._lock
        lock.acquire()
        try:
            now = self._clock()
            reset = self._srv_reset
            remaining = self._srv_remaining
            if not (
                self._pause_until <= now
                and (reset is None or (now < reset and (remaining is None or remaining > self.reserve)))
            ):  # paused, spent, or the window we knew is over (the gate predicts the next one)
                if self._server_gate_locked(now) is not None:
                    return False
                remaining = self._srv_remaining
            stats = self.stats
            stats.acquired += 1
            in_flight = stats.in_flight = stats.in_flight + 1
            if in_flight > stats.max_in_flight:
                stats.max_in_flight = in_flight
            if remaining is not None:
                self._srv_remaining = remaining - 1
            return True
        finally:
            lock.release()

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        slots = self._slots
        waited = False
        if slots is not None:
            waited = await slots.acquire()
        try:
            if self._gated:
                waited = await self._acquire_budget() or waited
            else:
                with self._lock:
                    self._take_locked()
        except BaseException:
            if slots is not None:
                slots.release()
            raise
        if waited:
            with self._lock:
                self.stats.waits += 1

    def release(self) -> None:
        # On the per-request paths the lock is taken with acquire()/release() rather than `with`: half the cost.
        lock = self._lock
        lock.acquire()
        try:
            self.stats.in_flight -= 1
        finally:
            lock.release()
        slots = self._slots
        if slots is not None:
            slots.release()

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        self._observe_now(status, headers)

    def try_observe(self, status: int, headers: Mapping[str, str]) -> bool:
        if not self._fast_observe:
            return False
        self._observe_now(status, headers)  # this limiter never waits or does I/O to observe
        return True

    def _observe_now(self, status: int, headers: Mapping[str, str]) -> None:
        if not self.adaptive:
            return
        if status != 429:
            # Fast path, most answers: the same X-RateLimit-Reset text as the last answer (same window, already
            # validated), and a plain count in X-RateLimit-Remaining. Anything else takes the full path below.
            get = headers.get
            reset_text = get(_RESET)
            seen_text, seen_reset = self._seen_reset
            if reset_text is not None and reset_text == seen_text:
                text = get(_REMAINING)
                if text is not None and len(text) <= 7 and text.isdigit() and text.isascii():
                    now = self._clock()
                    lock = self._lock
                    lock.acquire()
                    try:
                        self._update_window_locked(seen_reset, int(text), now)
                    finally:
                        lock.release()
                    return
        self._observe_headers(status, headers)

    def _observe_headers(self, status: int, headers: Mapping[str, str]) -> None:
        # Hostile or broken values (nan, inf, negative, absurd) are ignored, logged once per header.
        reader = self._header_reader
        wall = self._wall_clock()
        remaining = reader.count(headers, "X-RateLimit-Remaining")
        reset = reader.reset_delay(headers, "X-RateLimit-Reset", wall)  # seconds from now
        retry_after = reader.retry_after(headers, wall) if status == 429 else None
        if remaining is None and reset is None and retry_after is None:
            return
        limit = reader.count(headers, "X-RateLimit-Limit")
        now = self._clock()
        with self._lock:
            if status == 429:
                self.stats.server_pauses += 1
                remaining = 0
                if reset is None and retry_after is not None and retry_after > 0:
                    self._pause_until = max(self._pause_until, now + min(retry_after, self.max_wait))
            if limit is not None and limit >= 1:
                self._srv_limit = limit
            elif remaining is not None and (self._srv_limit is None or remaining + 1 > self._srv_limit):
                self._srv_limit = remaining + 1
            if reset is None or remaining is None:
                return
            reset_mono = now + min(max(reset, 0.0), self.max_wait)
            # Remember this window for the fast path (not when max_wait clipped the reset: that moves with time;
            # a reset in the past stays in the past).
            clipped = reset > self.max_wait
            self._seen_reset = (None, 0.0) if clipped else (headers.get("X-RateLimit-Reset"), reset_mono)
            self._update_window_locked(reset_mono, remaining, now)

    def _update_window_locked(self, reset_mono: float, remaining: int, now: float) -> None:
        """Record the server's window (its reset, as monotonic time, and the requests left in it)."""
        tolerance = self._tolerance
        if reset_mono <= now + tolerance:
            return  # the window this answer belongs to is already over
        # requests in flight besides this one may not have been counted by the server yet
        in_flight = self.stats.in_flight
        estimate = remaining - in_flight + 1 if in_flight > 1 else remaining
        current = self._srv_reset
        if current is None or abs(reset_mono - current) > tolerance or self._srv_remaining is None:
            self._srv_reset = reset_mono
            self._srv_remaining = estimate
        elif estimate < self._srv_remaining:
            self._srv_remaining = estimate

    # ------------------------------------------------------------------ internals

    async def _acquire_budget(self) -> bool:
        """Wait for the explicit budget and the server window; returns True when it had to wait."""
        slot: float | None = None
        waited = False
        while True:
            with self._lock:
                now = self._clock()
                gate = self._server_gate_locked(now)
                if gate is None:
                    if slot is None and self.limit is not None:
                        slot = self._reserve_locked(now)
                    if slot is None or slot <= now:
                        self._take_locked()
                        return waited
                    delay = slot - now
                else:
                    if slot is not None:
                        self._unreserve_locked(slot)
                        slot = None
                    delay = gate - now
                delay = delay if delay <= self.max_wait else self.max_wait  # also when delay is nan
                self.stats.waited_seconds += delay
            waited = True
            try:
                await self._sleep(delay)
            except BaseException:
                if slot is not None:
                    with self._lock:
                        self._unreserve_locked(slot)
                raise

    def _take_locked(self) -> None:
        stats = self.stats
        stats.acquired += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        if self._srv_remaining is not None:
            self._srv_remaining -= 1

    def _server_gate_locked(self, now: float) -> float | None:
        """``None`` if the server's window allows a request now, else the monotonic time to retry at."""
        if not self.adaptive:
            return None
        if self._pause_until > now:
            return self._pause_until
        reset = self._srv_reset
        if reset is None:
            return None
        if now >= reset:
            # The window we knew is over: predict the next one; answers will correct it.
            periods = int((now - reset) // self.window) + 1
            reset = self._srv_reset = reset + periods * self.window
            self._srv_remaining = self._srv_limit
        if self._srv_remaining is None or self._srv_remaining > self.reserve:
            return None
        return reset + self.reset_margin

    def _reserve_locked(self, now: float) -> float:
        """Book the earliest send time >= now such that every ``window + headroom`` interval holds at most
        ``limit`` sends and every ``burst * (window + headroom) / limit`` interval at most ``burst``."""
        log = self._log
        cutoff = now - self._span
        while log and log[0] <= cutoff:
            log.popleft()
        limit, burst = self.limit, self.burst
        assert limit is not None and burst is not None
        size = len(log)
        if size < burst:
            # Fewer sends in the window than one burst: any time works, keep the log sorted.
            if log and log[-1] > now:
                log.insert(bisect.bisect_right(log, now), now)
            else:
                log.append(now)
            return now
        slot = max(now, log[-1], log[-burst] + self._burst_span)
        if size >= limit:
            slot = max(slot, log[-limit] + self._span)
        log.append(slot)
        return slot

    def _unreserve_locked(self, slot: float) -> None:
        try:
            self._log.remove(slot)
        except ValueError:
            pass  # already pruned
