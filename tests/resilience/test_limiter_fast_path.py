"""The synchronous fast paths of ``InProcessRateLimiter`` (``try_acquire``/``try_observe``, which the transport
tries before awaiting ``acquire``/``observe``) decide exactly as the full paths do."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from intercom_async import InProcessRateLimiter


class Clock:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = 1_700_000_000.0

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.wall += seconds


def limiter(clock: Clock) -> InProcessRateLimiter:
    return InProcessRateLimiter(clock=lambda: clock.mono, wall_clock=lambda: clock.wall)


def headers(clock: Clock, remaining: str, reset_in: float, limit: str = "100") -> dict[str, str]:
    return {
        "X-RateLimit-Limit": limit,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": str(int(clock.wall + reset_in)),
    }


class FullPathOnly(InProcessRateLimiter):
    """Overrides ``observe`` (as a user subclass might): the transport must then await it, never bypass it."""

    observed = 0

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        FullPathOnly.observed += 1
        self._observe_headers(status, headers)


def test_fast_and_full_observation_track_the_same_window() -> None:
    clock = Clock()
    fast, full = limiter(clock), FullPathOnly(clock=lambda: clock.mono, wall_clock=lambda: clock.wall)
    assert fast.try_observe(200, {}) and not full.try_observe(200, {})
    sequence = [("90", 8), ("85", 8), ("not-a-number", 8), ("80", 7), ("79", 7), ("100", 18), ("99", 18), ("5", 18)]
    for remaining, reset_in in sequence:
        for lim in (fast, full):
            assert lim.try_acquire()
        h = headers(clock, remaining, reset_in)
        assert fast.try_observe(200, h)
        asyncio.run(full.observe(200, h))
        for lim in (fast, full):
            lim.release()
        assert (fast._srv_remaining, fast._srv_reset, fast._srv_limit) == (
            full._srv_remaining,
            full._srv_reset,
            full._srv_limit,
        )
        clock.advance(0.5)
    assert fast.stats.acquired == full.stats.acquired == len(sequence) and fast.stats.in_flight == 0
    assert FullPathOnly.observed == len(sequence)


def test_try_acquire_refuses_once_the_window_is_spent_and_after_a_429() -> None:
    clock = Clock()
    lim = limiter(clock)
    assert lim.try_acquire()
    assert lim.try_observe(200, headers(clock, "0", 5))
    lim.release()
    assert not lim.try_acquire()  # the server's window is spent until its reset: acquire() waits
    clock.advance(6)
    assert lim.try_acquire()  # a new window
    assert lim.try_observe(429, {"Retry-After": "3"})
    lim.release()
    assert lim.stats.server_pauses == 1 and not lim.try_acquire()


def test_a_subclass_overriding_acquire_or_observe_is_never_bypassed() -> None:
    class Counting(InProcessRateLimiter):
        async def acquire(self) -> None:
            await super().acquire()

    assert not Counting().try_acquire() and not FullPathOnly().try_observe(200, {})
    assert InProcessRateLimiter(limit=10).try_acquire() is False  # an explicit budget always books a slot
