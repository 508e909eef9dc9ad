"""The rate limiter: explicit budget, pacing, adaptive X-RateLimit-* tracking, 429 pauses, concurrency caps,
sharing between clients and threads, cancellation. Unit tests run on a virtual clock (no real waiting);
integration tests use the fault server with short windows."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from intercom_async import APIConnectionError, RateLimitError
from intercom_async._ratelimit import InProcessRateLimiter, RateLimiter

from .conftest import FaultServer, VirtualClock, WindowLimit, fast_policy, hold, ok, reset, slow_headers, status


def _limiter(clock: VirtualClock, *args: Any, **kwargs: Any) -> InProcessRateLimiter:
    return InProcessRateLimiter(*args, clock=clock.monotonic, wall_clock=clock.wall, sleep=clock.sleep, **kwargs)


def _max_in_window(times: list[float], span: float) -> int:
    times = sorted(times)
    best = lo = 0
    for hi, t in enumerate(times):
        while t - times[lo] >= span:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def _burst(clock: VirtualClock, limiter: InProcessRateLimiter, n: int, hold_for: float = 0.0) -> list[float]:
    """``n`` concurrent requests through ``limiter``; returns the virtual time each was let through."""
    sent: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        sent.append(clock.now)
        try:
            if hold_for:
                await clock.sleep(hold_for)
        finally:
            limiter.release()

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    await clock.run(tasks)
    for t in tasks:
        t.result()
    return sent


# ------------------------------------------------------------------------------------------ explicit budget


async def test_explicit_budget_whole_window_burst() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock, 10, 1.0, burst=10, headroom=0.0, adaptive=False)
    sent = await _burst(clock, limiter, 25)
    t0 = 1000.0
    assert sorted(sent) == [t0] * 10 + [t0 + 1.0] * 10 + [t0 + 2.0] * 5
    assert limiter.stats.acquired == 25 and limiter.stats.in_flight == 0


async def test_explicit_budget_paced_and_never_over_limit_in_any_window() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock, 50, 1.0, adaptive=False)  # burst 5, headroom 50 ms
    sent = await _burst(clock, limiter, 400, hold_for=0.003)
    span = 1.05
    assert _max_in_window(sent, 1.0) <= 50
    assert _max_in_window(sent, span) <= 50
    assert _max_in_window(sent, span * 5 / 50) <= 5  # never more than `burst` back to back
    elapsed = max(sent) - min(sent)
    assert elapsed == pytest.approx((400 - 5) * span / 50, rel=0.02)  # and no slower than the budget allows


async def test_cancelled_waiters_give_their_reservations_back() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock, 10, 1.0, burst=10, headroom=0.0, adaptive=False)
    first = await _burst(clock, limiter, 10)  # the whole budget for [1000, 1001)
    assert first == [1000.0] * 10
    waiters = [asyncio.create_task(limiter.acquire()) for _ in range(20)]  # 10 booked at 1001, 10 at 1002
    await clock.settle()
    assert sorted(limiter._log) == [1000.0] * 10 + [1001.0] * 10 + [1002.0] * 10
    for w in waiters[10:]:
        w.cancel()
    await clock.settle()
    assert all(w.cancelled() for w in waiters[10:])
    assert sorted(limiter._log) == [1000.0] * 10 + [1001.0] * 10  # the cancelled bookings are gone
    # A newcomer gets a freed 1002 slot, not 1003: nothing was leaked by the cancellations.
    newcomer = asyncio.create_task(limiter.acquire())
    await clock.run([newcomer, *waiters[:10]])
    assert clock.now == 1002.0
    assert limiter.stats.in_flight == 11 and limiter.stats.acquired == 21
    for _ in range(11):
        limiter.release()
    assert limiter.stats.in_flight == 0

    # Cancelling every waiter leaves the budget as if they had never asked.
    tasks = [asyncio.create_task(limiter.acquire()) for _ in range(25)]
    await clock.settle()
    done = [t for t in tasks if t.done()]
    assert len(done) == 9  # room left in the 1002 window; 10 more booked at 1003, 6 at 1004
    for t in tasks:
        t.cancel()
    await clock.settle()
    assert sorted(limiter._log) == [1002.0] * 10
    late = asyncio.create_task(limiter.acquire())
    await clock.run([late])
    assert clock.now == 1003.0  # not 1004: the cancelled 1003 bookings were returned
    for _ in range(10):
        limiter.release()
    assert limiter.stats.in_flight == 0


# ------------------------------------------------------------------------------------------ adaptive


def _headers(clock: VirtualClock, remaining: int, reset_in: float, limit: int | None = None) -> dict[str, str]:
    h = {"X-RateLimit-Remaining": str(remaining), "X-RateLimit-Reset": str(clock.wall() + reset_in)}
    if limit is not None:
        h["X-RateLimit-Limit"] = str(limit)
    return h


async def test_adaptive_waits_for_reset_when_window_nearly_spent() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock, reset_margin=0.01)
    await limiter.acquire()
    await limiter.observe(200, _headers(clock, remaining=2, reset_in=4.0))
    limiter.release()
    sent = await _burst(clock, limiter, 3)
    assert sent[:2] == [1000.0, 1000.0]  # the two left in the window go now
    assert sent[2] == pytest.approx(1004.01)  # the third waits for the reset


async def test_adaptive_reserve_and_in_flight_are_subtracted() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock, reserve=1, reset_margin=0.0)
    for _ in range(3):
        await limiter.acquire()  # three in flight
    await limiter.observe(200, _headers(clock, remaining=5, reset_in=2.0))
    # 5 left per the server, 2 others in flight not necessarily counted yet, keep 1 in reserve: 2 may go
    assert limiter._srv_remaining == 3
    for _ in range(3):
        limiter.release()
    sent = await _burst(clock, limiter, 3)
    assert sorted(sent) == [1000.0, 1000.0, 1002.0]


async def test_429_pauses_every_user_until_reset_then_predicts_next_window() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock, window=10.0, reset_margin=0.0)
    await limiter.acquire()
    await limiter.observe(429, _headers(clock, remaining=0, reset_in=3.0, limit=4))
    limiter.release()
    assert limiter.stats.server_pauses == 1
    sent = await _burst(clock, limiter, 9)
    # paused until the reset at 1003; then the per-window limit (4) with the window predicted as 10 s
    assert sorted(sent) == [1003.0] * 4 + [1013.0] * 4 + [1023.0]


async def test_retry_after_only_429_pauses() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock)
    await limiter.acquire()
    await limiter.observe(429, {"Retry-After": "2.5"})
    limiter.release()
    sent = await _burst(clock, limiter, 2)
    assert sent == [1002.5, 1002.5]


async def test_stale_and_garbage_headers_ignored() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock)
    await limiter.acquire()
    await limiter.observe(200, _headers(clock, remaining=0, reset_in=-1.0))  # a window already over
    await limiter.observe(200, {"X-RateLimit-Remaining": "lots", "X-RateLimit-Reset": "soon"})
    await limiter.observe(200, {})
    limiter.release()
    assert await _burst(clock, limiter, 3) == [1000.0] * 3


async def test_not_adaptive_ignores_headers() -> None:
    clock = VirtualClock()
    limiter = _limiter(clock, adaptive=False)
    await limiter.acquire()
    await limiter.observe(429, _headers(clock, remaining=0, reset_in=5.0))
    limiter.release()
    assert await _burst(clock, limiter, 2) == [1000.0, 1000.0]


def test_invalid_arguments() -> None:
    for kwargs in ({"limit": 0}, {"window": 0}, {"max_concurrency": 0}, {"reserve": -1}, {"limit": 5, "burst": 0}):
        with pytest.raises(ValueError):
            InProcessRateLimiter(**kwargs)
    assert InProcessRateLimiter(1000, 10).burst == 100
    assert InProcessRateLimiter(3, 10).burst == 1
    assert "limit=1000" in repr(InProcessRateLimiter(1000, 10))


# ------------------------------------------------------------------------------------------ concurrency cap


async def test_concurrency_cap_and_cancelled_waiters_do_not_lose_slots() -> None:
    limiter = InProcessRateLimiter(max_concurrency=3, adaptive=False)
    active = 0
    peak = 0
    gate = asyncio.Event()

    async def one() -> None:
        nonlocal active, peak
        await limiter.acquire()
        try:
            active += 1
            peak = max(peak, active)
            await gate.wait()
        finally:
            active -= 1
            limiter.release()

    tasks = [asyncio.create_task(one()) for _ in range(12)]
    for _ in range(5):
        await asyncio.sleep(0)
    assert active == 3
    for t in tasks[3:8]:  # cancel five of the nine waiting ones
        t.cancel()
    gate.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 2)
    assert sum(isinstance(r, asyncio.CancelledError) for r in results) == 5
    assert peak == 3 and active == 0
    assert limiter._slots is not None and limiter._slots._free == 3 and not limiter._slots._waiters


async def test_waiter_cancelled_right_after_being_woken_passes_the_slot_on() -> None:
    limiter = InProcessRateLimiter(max_concurrency=1, adaptive=False)
    await limiter.acquire()  # held
    first = asyncio.create_task(limiter.acquire())
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    limiter.release()  # wakes `first`...
    first.cancel()  # ...which is cancelled before it gets to run
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the wake-up went on to `second`; the slot was not lost
    limiter.release()
    assert limiter._slots is not None and limiter._slots._free == 1


async def test_cap_shared_across_threads_with_their_own_loops() -> None:
    limiter = InProcessRateLimiter(max_concurrency=2, adaptive=False)
    lock = threading.Lock()
    state = {"active": 0, "peak": 0, "done": 0}

    async def worker() -> None:
        async def one() -> None:
            await limiter.acquire()
            try:
                with lock:
                    state["active"] += 1
                    state["peak"] = max(state["peak"], state["active"])
                await asyncio.sleep(0.002)
                with lock:
                    state["active"] -= 1
                    state["done"] += 1
            finally:
                limiter.release()

        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(20))), 10)

    threads = [threading.Thread(target=asyncio.run, args=(worker(),)) for _ in range(3)]
    for t in threads:
        t.start()
    await asyncio.to_thread(lambda: [t.join(15) for t in threads])
    assert state["done"] == 60 and state["peak"] == 2 and state["active"] == 0


# ------------------------------------------------------------------------------------------ with the client


async def test_429_burst_without_limiter_recovers_via_reset_hints(server: FaultServer, make_client: Any) -> None:
    window = WindowLimit(5, 0.3)
    server.default = window
    client = make_client(retry_policy=fast_policy(2, max_retry_wait=1.0), rate_limiter=False)  # no default pacing
    responses = await asyncio.gather(*(client.admins.with_raw_response.identify() for _ in range(12)))
    retries = sorted(r.retries for r in responses)
    # window 1: 5 pass, 7 get 429 and sleep until its reset; window 2: 5 of them pass; window 3: the last 2
    assert retries == [0] * 5 + [1] * 5 + [2] * 2
    assert window.rejected == 9 and server.count() == 12 + 9


async def test_adaptive_limiter_prevents_most_429s_of_a_burst(server: FaultServer, make_client: Any) -> None:
    window = WindowLimit(5, 0.3)
    server.default = window
    limiter = InProcessRateLimiter(window=0.3, reset_margin=0.01)
    client = make_client(rate_limiter=limiter, retry_policy=fast_policy(2, max_retry_wait=1.0))
    first = await client.admins.with_raw_response.identify()  # learn the window
    assert first.retries == 0
    responses = await asyncio.gather(*(client.admins.with_raw_response.identify() for _ in range(11)))
    assert window.rejected == 0  # it waited for the resets instead of being told to
    assert all(r.retries == 0 for r in responses)
    assert window.max_per_window() <= 5
    assert limiter.stats.waits > 0


async def test_shared_limiter_between_two_clients_of_one_app(server: FaultServer, make_client: Any) -> None:
    window = WindowLimit(10, 0.25, phase=0.1)
    server.default = window
    shared = InProcessRateLimiter(10, 0.25, headroom=0.05)
    a = make_client(rate_limiter=shared, max_retries=0)
    b = make_client(rate_limiter=shared, max_retries=0)
    await asyncio.gather(*(c.admins.identify() for _ in range(20) for c in (a, b)))
    assert window.rejected == 0 and server.count() == 40
    assert window.max_per_sliding_window() <= 10
    assert shared.stats.acquired == 40


async def test_client_max_concurrency(server: FaultServer, make_client: Any) -> None:
    server.default = slow_headers(0.01)
    client = make_client(max_concurrency=4)
    await asyncio.gather(*(client.admins.identify() for _ in range(24)))
    assert server.max_in_flight == 4 and server.count() == 24


async def test_limiter_concurrency_cap_spans_clients(server: FaultServer, make_client: Any) -> None:
    server.default = slow_headers(0.01)
    shared = InProcessRateLimiter(max_concurrency=3)
    clients = [make_client(rate_limiter=shared) for _ in range(3)]
    await asyncio.gather(*(c.admins.identify() for c in clients for _ in range(8)))
    assert server.max_in_flight == 3 and server.count() == 24
    assert shared.stats.max_in_flight == 3 and shared.stats.in_flight == 0


class CountingLimiter(RateLimiter):
    """A minimal third-party limiter: the interface a Redis-backed one would implement."""

    def __init__(self) -> None:
        self.acquired = self.released = 0
        self.observed: list[tuple[int, str | None]] = []

    async def acquire(self) -> None:
        await asyncio.sleep(0)
        self.acquired += 1

    def release(self) -> None:
        self.released += 1

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        self.observed.append((status, headers.get("X-RateLimit-Remaining")))


async def test_custom_limiter_sees_every_attempt(server: FaultServer, make_client: Any) -> None:
    server.script("GET", "/me", status(503, headers={"X-RateLimit-Remaining": "7"}), reset())
    limiter = CountingLimiter()
    client = make_client(rate_limiter=limiter)
    await client.admins.identify()
    assert limiter.acquired == limiter.released == 3  # released after the connection failure too
    assert [s for s, _ in limiter.observed] == [503, 200]  # observed only when a response arrived
    assert limiter.observed[0][1] == "7"


async def test_elapsed_is_the_exchange_without_limiter_waits(server: FaultServer, make_client: Any) -> None:
    class Slow(CountingLimiter):
        async def acquire(self) -> None:
            await asyncio.sleep(0.5)

    client = make_client(rate_limiter=Slow())
    started = time.monotonic()
    response = await client.admins.with_raw_response.identify()
    assert time.monotonic() - started >= 0.5  # the call waited for the limiter...
    assert response.elapsed < 0.4  # ...but the response's elapsed is its exchange alone (loopback: milliseconds)


async def test_failing_limiter_holds_nothing(server: FaultServer, make_client: Any) -> None:
    class Broken(CountingLimiter):
        async def acquire(self) -> None:
            raise ConnectionError("redis down")

    limiter = Broken()
    client = make_client(rate_limiter=limiter, max_concurrency=1)
    for _ in range(3):  # the client's own cap is released each time, or the 2nd call would hang
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(client.admins.identify(), 2)
    assert limiter.released == 0 and server.count() == 0


async def test_rate_limit_error_reaches_caller_only_when_retries_exhausted(
    server: FaultServer, make_client: Any
) -> None:
    server.default = WindowLimit(1, 30.0)  # one request per long window
    limiter = InProcessRateLimiter(window=30.0, max_wait=0.05)  # but never wait more than 50 ms
    client = make_client(rate_limiter=limiter, retry_policy=fast_policy(1, max_retry_wait=0.05))
    await client.admins.identify()
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        await client.admins.identify()
    assert info.value.retries == 1 and info.value.remaining == 0 and info.value.reset_at is not None
    assert time.monotonic() - started < 1.0  # all waits capped


async def test_connection_error_with_limiter_releases(server: FaultServer, make_client: Any) -> None:
    server.default = reset()
    limiter = InProcessRateLimiter(100, 1.0, max_concurrency=2)
    client = make_client(rate_limiter=limiter)
    with pytest.raises(APIConnectionError):
        await client.admins.identify()
    assert limiter.stats.in_flight == 0 and limiter.stats.acquired == 3
    assert limiter._slots is not None and limiter._slots._free == 2
    event = asyncio.Event()
    event.set()
    server.default = hold(event, ok())
    await client.admins.identify()
