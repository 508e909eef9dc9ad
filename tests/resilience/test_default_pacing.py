"""Default pacing (issue 9, item 10): a client built with default settings follows ``X-RateLimit-*``, shares
that knowledge with the other clients of the same token in the process, and keeps 429s from reaching callers
under a load that, unpaced, surfaces dozens of ``RateLimitError``s. ``rate_limiter=False`` opts out."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

import pytest

import intercom_async
from intercom_async import InProcessRateLimiter, IntercomError, RateLimitError
from intercom_async._pacing import _shared

from .conftest import TOKEN, FaultServer, WindowLimit

CALLS, CONCURRENCY = 2000, 100


def _limiter_of(client: Any) -> Any:
    return client._transport.rate_limiter  # one place to change if the client's internals move


async def _drive(client: Any, calls: int, concurrency: int) -> tuple[int, list[BaseException]]:
    left = calls
    ok = 0
    errors: list[BaseException] = []

    async def worker() -> None:
        nonlocal left, ok
        while left > 0:
            left -= 1
            try:
                await client.admins.identify()
            except IntercomError as exc:  # counted, not raised: the test asserts on the totals
                errors.append(exc)
            else:
                ok += 1

    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), 90)
    return ok, errors


async def test_default_settings_2000_calls_no_rate_limit_errors(server: FaultServer) -> None:
    """The issue's scenario: 2,000 calls at concurrency 100, the server allowing 200 a second. Before default
    pacing, 23-96 ``RateLimitError``s reached callers per run and a third of all requests were 429s."""
    n, window_s = 200, 1.0
    window = WindowLimit(n, window_s, phase=window_s * 0.37)
    server.default = window
    # Default settings: the default RetryPolicy (2 retries, real backoff) and the default limiter.
    async with intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url) as client:
        assert isinstance(_limiter_of(client), InProcessRateLimiter)
        started = time.monotonic()
        ok, errors = await _drive(client, CALLS, CONCURRENCY)
        elapsed = time.monotonic() - started
        stats = _limiter_of(client).stats
    print(
        f"\n[default pacing] calls={CALLS} ok={ok} errors={len(errors)} server_429={window.rejected} "
        f"({window.rejected / server.count():.1%}) busiest_window={window.max_per_window()} allowed={n}/{window_s}s "
        f"limiter_waits={stats.waits} elapsed={elapsed:.2f}s"
    )
    assert not [e for e in errors if isinstance(e, RateLimitError)], errors[:3]
    assert errors == [] and ok == CALLS
    assert server.count() == CALLS + window.rejected
    # Before the first answer nothing is known, so the opening burst can overrun a window; after that the
    # limiter waits for each reset instead of being told to with a 429.
    assert window.rejected <= CONCURRENCY
    assert stats.waits > 0 and stats.in_flight == 0


async def test_without_pacing_the_same_load_draws_429s(server: FaultServer) -> None:
    """The control: ``rate_limiter=False`` under the same load (fewer calls); the server refuses many."""
    n, window_s = 200, 1.0
    window = WindowLimit(n, window_s, phase=window_s * 0.37)
    server.default = window
    async with intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url, rate_limiter=False) as client:
        assert _limiter_of(client) is None
        ok, errors = await _drive(client, 600, CONCURRENCY)
    print(f"\n[no pacing] calls=600 ok={ok} errors={len(errors)} server_429={window.rejected}")
    assert window.rejected > CONCURRENCY  # more than the paced run ever allows
    assert all(isinstance(e, RateLimitError) for e in errors)


async def test_default_limiter_is_shared_per_token_and_base_url(server: FaultServer) -> None:
    def make(token: Any = TOKEN, **kwargs: Any) -> Any:
        return intercom_async.Intercom(token, version="2.12", base_url=server.url, **kwargs)

    a, b = make(), make()
    other_token = make("tok_other_0123456789")
    other_url = intercom_async.Intercom(TOKEN, version="2.12", base_url="http://127.0.0.1:9")
    rotating_1, rotating_2 = make(lambda: TOKEN), make(lambda: TOKEN)
    explicit = InProcessRateLimiter(100, 10)
    try:
        assert _limiter_of(a) is _limiter_of(b)  # one app, one budget in this process
        assert _limiter_of(other_token) is not _limiter_of(a)
        assert _limiter_of(other_url) is not _limiter_of(a)
        assert _limiter_of(rotating_1) is not _limiter_of(rotating_2)  # nothing stable to key a callable on
        assert _limiter_of(make(rate_limiter=explicit)) is explicit
        assert _limiter_of(make(rate_limiter=True)) is _limiter_of(a)
        assert _limiter_of(make(rate_limiter=False)) is None
        assert all(TOKEN not in key for key in _shared.keys())  # keyed by a hash, never the token
        with pytest.raises(TypeError, match="rate_limiter must be"):
            make(rate_limiter="redis://localhost")
        # What one client learns paces the other: A sees the window spent, B's next call waits for the reset.
        reset = f"{time.time() + 0.3:.3f}"
        server.script("GET", "/me", *[_ok_with({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})])
        await a.admins.identify()
        waits = _limiter_of(a).stats.waits
        await asyncio.wait_for(b.admins.identify(), 10)
        assert _limiter_of(b).stats.waits == waits + 1
    finally:
        for client in (a, b, other_token, other_url, rotating_1, rotating_2):
            await client.aclose()
    key_count = len(_shared)
    del a, b, other_token, other_url, rotating_1, rotating_2
    gc.collect()
    assert len(_shared) < key_count  # held weakly: gone with the clients that used them


def _ok_with(headers: dict[str, str]) -> Any:
    from .conftest import ok

    return ok(headers=headers)
