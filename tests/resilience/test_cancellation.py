"""Cancellation (task.cancel, asyncio.timeout, anyio cancel scopes) at every stage of a call: waiting for the
pool, for headers, mid-body, in a retry sleep, in a limiter wait, on the concurrency cap. Afterwards the
connection pool holds no acquired or half-read connection, nothing keeps running, no request is sent late,
and later calls succeed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio
import pytest
from aiohttp import web

from intercom_async._ratelimit import InProcessRateLimiter
from intercom_async._transport import RetryPolicy

from .conftest import ADMIN, FaultServer, SleepRecorder, hold, ok, slow_body, status


def assert_pool_clean(client: Any) -> int:
    """No connection is checked out or waited for, and every pooled one is idle and fully read. Returns the
    number of pooled connections. (Reads aiohttp's connector internals; pinned aiohttp in dev deps.)"""
    session = client._transport._session
    assert session is not None and not session.closed
    connector = session.connector
    assert not connector._acquired, f"{len(connector._acquired)} connections still checked out"
    assert all(not waiters for waiters in connector._waiters.values()), "requests still queued for the pool"
    pooled = 0
    for conns in connector._conns.values():
        for proto, _ in conns:
            assert proto.is_connected() and not proto.should_close, "a half-read connection went back to the pool"
            pooled += 1
    return pooled


async def test_pool_check_detects_a_checked_out_connection(server: FaultServer, make_client: Any) -> None:
    """``assert_pool_clean`` is not vacuous: a half-read response holds its connection and is reported."""
    client = make_client()
    await client.admins.identify()
    server.default = slow_body(30.0)
    session = client._transport._session
    resp = await session.get(server.url + "/me")  # headers and half the body in; not released
    try:
        with pytest.raises(AssertionError, match="checked out"):
            assert_pool_clean(client)
    finally:
        resp.release()  # closes it: a half-read connection is never pooled
    assert assert_pool_clean(client) == 0
    await _until(lambda: server.in_flight == 0)


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.005)


def _other_tasks() -> set[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return {t for t in asyncio.all_tasks() if t is not current and not t.done()}


def _stall(event: asyncio.Event) -> Any:
    """Odd requests: no headers until ``event``. Even ones: headers and half the body, the rest after it."""
    count = 0
    body = b'{"type": "admin", "id": "991", "email": "ops@example.com", "name": "Ops"}'

    async def act(request: web.Request) -> web.StreamResponse:
        nonlocal count
        count += 1
        if count % 2:
            await event.wait()
            return web.json_response(ADMIN)
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.content_length = len(body)
        await resp.prepare(request)
        await resp.write(body[:20])
        await event.wait()
        await resp.write(body[20:])
        await resp.write_eof()
        return resp

    return act


async def test_cancel_500_in_flight_calls(server: FaultServer, make_client: Any) -> None:
    release = asyncio.Event()
    server.default = _stall(release)
    server.script("GET", "/me", ok())
    client = make_client()
    await client.admins.identify()  # open the session and one pooled connection
    baseline = _other_tasks()
    served_before = server.count()

    tasks = [asyncio.create_task(client.admins.identify()) for _ in range(500)]
    # mid-way: 100 on the wire (aiohttp's pool size), half of those mid-body, 400 queued for a connection
    await _until(lambda: server.in_flight == 100)
    assert server.count() - served_before == 100
    for t in tasks:
        t.cancel()
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)

    assert_pool_clean(client)
    await _until(lambda: server.in_flight == 0)  # the server saw every connection go
    release.set()
    await asyncio.sleep(0.05)
    assert server.count() - served_before == 100  # no late retry, nothing sent after the cancel
    assert _other_tasks() <= baseline  # nothing left running (no sleeping retry, no reader)

    server.default = ok()
    later = await asyncio.wait_for(asyncio.gather(*(client.admins.identify() for _ in range(200))), 10)
    assert all(me.id == ADMIN["id"] for me in later)
    assert server.count() - served_before == 300
    assert assert_pool_clean(client) > 0


async def test_cancel_mid_body_closes_the_connection(server: FaultServer, make_client: Any) -> None:
    server.default = slow_body(30.0)
    client = make_client()
    task = asyncio.create_task(client.admins.identify())
    await _until(lambda: server.in_flight == 1)
    await asyncio.sleep(0.02)  # headers and half the body are in
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert assert_pool_clean(client) == 0  # closed, not pooled half-read
    await _until(lambda: server.in_flight == 0)
    server.default = ok()
    assert (await client.admins.identify()).id == ADMIN["id"]


async def test_cancel_during_retry_sleep(server: FaultServer, make_client: Any) -> None:
    server.default = status(503)
    policy = RetryPolicy(2, backoff_base=30.0, backoff_cap=30.0, max_retry_wait=30.0, rng=lambda a, b: b)
    client = make_client(retry_policy=policy)
    server.script("GET", "/me", ok())
    await client.admins.identify()  # session and keep-alive connection (and its server task) exist
    baseline = _other_tasks()
    task = asyncio.create_task(client.admins.identify())
    await _until(lambda: server.count() == 2)
    await asyncio.sleep(0.02)  # now in the 30 s backoff sleep
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.5
    await asyncio.sleep(0.1)
    assert server.count() == 2  # the retry never happens
    assert _other_tasks() <= baseline
    assert_pool_clean(client)


async def test_cancel_during_limiter_wait_returns_the_booking(server: FaultServer, make_client: Any) -> None:
    limiter = InProcessRateLimiter(1, 30.0, headroom=0.0)
    client = make_client(rate_limiter=limiter)
    await client.admins.identify()  # uses the window's only slot
    task = asyncio.create_task(client.admins.identify())
    await asyncio.sleep(0.02)
    assert len(limiter._log) == 2  # booked for the next window, sleeping
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(limiter._log) == 1 and limiter.stats.in_flight == 0
    # asyncio.wait_for / asyncio.timeout around a limiter wait: same clean exit
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.admins.identify(), 0.05)
    assert len(limiter._log) == 1 and limiter.stats.in_flight == 0 and limiter.stats.acquired == 1
    assert server.count() == 1


async def test_cancel_while_queued_on_concurrency_cap(server: FaultServer, make_client: Any) -> None:
    release = asyncio.Event()
    server.default = hold(release)
    client = make_client(max_concurrency=1)
    first = asyncio.create_task(client.admins.identify())
    await _until(lambda: server.in_flight == 1)
    queued = [asyncio.create_task(client.admins.identify()) for _ in range(10)]
    await asyncio.sleep(0.02)
    for t in queued:
        t.cancel()
    await asyncio.gather(*queued, return_exceptions=True)
    release.set()
    await first
    server.default = ok()
    await asyncio.wait_for(client.admins.identify(), 2)  # the cap's slot was not leaked
    assert server.count() == 2
    assert client._transport._semaphore._value == 1


async def test_asyncio_timeout_around_a_call(server: FaultServer, make_client: Any) -> None:
    server.default = slow_body(30.0)
    client = make_client()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await client.admins.identify()
    assert time.monotonic() - started < 0.5
    assert_pool_clean(client)
    await _until(lambda: server.in_flight == 0)
    assert server.count() == 1  # the caller's deadline is not a retryable failure
    server.default = ok()
    await client.admins.identify()


async def test_anyio_cancel_scopes_around_calls(server: FaultServer, make_client: Any) -> None:
    server.default = slow_body(30.0)
    recorder = SleepRecorder(scale=1.0)
    client = make_client(retry_policy=RetryPolicy(2, backoff_base=0.01, sleep=recorder))
    with anyio.move_on_after(0.1) as scope:
        await client.admins.identify()
    assert scope.cancelled_caught
    with pytest.raises(TimeoutError):
        with anyio.fail_after(0.1):
            await client.admins.identify()
    # a scope cancelled from outside while several calls run in a task group
    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(client.admins.identify)
        await _until(lambda: server.in_flight == 20)
        tg.cancel_scope.cancel()
    assert_pool_clean(client)
    await _until(lambda: server.in_flight == 0)
    assert server.count() == 22 and recorder.calls == []  # no retries were started by the cancellations
    server.default = ok()
    await client.admins.identify()
