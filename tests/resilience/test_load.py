"""Load: 2,000 calls at concurrency 100 against a server enforcing N requests per short window.

The server (``WindowLimit``) counts every arrival in fixed windows whose boundaries are deliberately out of
phase with the client's first burst, answers 429 beyond N, and reports X-RateLimit-* like Intercom. The
figures (429s seen by callers and by the server, busiest fixed and sliding window vs N, duration) are
printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from intercom_async import IntercomError, RateLimitError
from intercom_async._ratelimit import InProcessRateLimiter

from .conftest import FaultServer, WindowLimit, fast_policy

CALLS = 2000
CONCURRENCY = 100
N = 200  # requests allowed per window
WINDOW = 0.25  # seconds


async def _drive(clients: list[Any], calls: int, concurrency: int) -> tuple[list[Any], list[BaseException]]:
    """``calls`` calls spread over ``clients`` by ``concurrency`` workers; results and errors, in call order."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(calls):
        queue.put_nowait(i)
    results: list[Any] = []
    errors: list[BaseException] = []

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                results.append(await clients[i % len(clients)].admins.with_raw_response.identify())
            except IntercomError as exc:  # counted, not raised: the test asserts on the totals
                errors.append(exc)

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), 60)
    return results, errors


def _report(name: str, window: WindowLimit, results: list[Any], errors: list[BaseException], elapsed: float) -> None:
    caller_429 = sum(isinstance(e, RateLimitError) for e in errors)
    arrivals = sorted(window.arrivals)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    print(
        f"\n[load:{name}] calls={len(results) + len(errors)} ok={len(results)} errors={len(errors)} "
        f"caller_429={caller_429} server_429={window.rejected} retries={sum(r.retries for r in results)} "
        f"busiest_fixed_window={window.max_per_window()} busiest_sliding_window={window.max_per_sliding_window()} "
        f"allowed={window.n}/{window.window}s observed_rate={len(arrivals) / span if span else 0:.0f}/s "
        f"allowed_rate={window.n / window.window:.0f}/s elapsed={elapsed:.2f}s"
    )


async def test_load_explicit_limit_no_429s_and_rate_under_limit(server: FaultServer, make_client: Any) -> None:
    window = WindowLimit(N, WINDOW, phase=WINDOW * 0.37)
    server.default = window
    # The app's budget. The headroom must exceed the worst delay between the limiter letting a request go
    # and the server counting it; client and server share one loop on a small, busy CI box here, so 0.1 s
    # (the default, 50 ms or 5% of the window, is sized for Intercom's 10 s windows over a network).
    limiter = InProcessRateLimiter(N, WINDOW, headroom=0.1)
    client = make_client(rate_limiter=limiter, retry_policy=fast_policy(2, max_retry_wait=2.0))
    started = time.monotonic()
    results, errors = await _drive([client], CALLS, CONCURRENCY)
    elapsed = time.monotonic() - started
    _report("explicit", window, results, errors, elapsed)

    assert errors == [] and len(results) == CALLS, errors[:3]  # all complete; so zero 429s reached a caller
    assert server.count() == CALLS  # nothing lost, nothing sent twice
    assert window.rejected == 0  # prevented, not retried: the server never had to say 429
    assert window.max_per_window() <= N
    assert window.max_per_sliding_window() <= N  # under the limit whatever the window alignment
    # the limiter was what kept it there: unthrottled this runs far faster than N per window
    assert limiter.stats.waits > CALLS // 2
    assert elapsed >= (CALLS / N - 1) * WINDOW
    assert limiter.stats.in_flight == 0


async def test_load_adaptive_only_shared_by_two_clients(server: FaultServer, make_client: Any) -> None:
    """No explicit budget: two clients sharing one limiter follow the server's X-RateLimit-* headers."""
    n, calls = 60, 600  # fewer per window than there are workers: the opening burst overruns
    window = WindowLimit(n, WINDOW, phase=WINDOW * 0.61)
    server.default = window
    shared = InProcessRateLimiter(window=WINDOW, reset_margin=0.005)
    clients = [make_client(rate_limiter=shared, retry_policy=fast_policy(2, max_retry_wait=2.0)) for _ in range(2)]
    started = time.monotonic()
    results, errors = await _drive(clients, calls, CONCURRENCY)
    elapsed = time.monotonic() - started
    _report("adaptive", window, results, errors, elapsed)

    assert errors == [] and len(results) == calls
    # Before the first answer nothing is known, so the opening burst of 100 can overrun one window; after
    # that the limiter waits for each reset. Retries absorb the opening 429s: none reaches a caller.
    assert window.rejected <= CONCURRENCY
    assert server.count() == calls + window.rejected
    assert window.max_per_window() <= n + window.rejected


async def test_control_without_limiter_the_server_does_reject(server: FaultServer, make_client: Any) -> None:
    """The same server and load without a limiter and without retries: 429s reach callers. This is what the
    tests above would see if the limiter did nothing."""
    n = 50  # per second: any machine that can run this suite sends faster than that unthrottled
    window = WindowLimit(n, 1.0)
    server.default = window
    client = make_client(max_retries=0, rate_limiter=False)  # no limiter: opt out of the default pacing
    started = time.monotonic()
    results, errors = await _drive([client], 300, CONCURRENCY)
    _report("control", window, results, errors, time.monotonic() - started)
    assert window.rejected > 0
    assert sum(isinstance(e, RateLimitError) for e in errors) == window.rejected
    assert window.max_per_window() > n
