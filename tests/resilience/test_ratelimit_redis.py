"""RedisRateLimiter against a real ``redis-server`` started by the tests on a free loopback port (issue 9,
item 11): the budget and the 429 pause shared between limiters (processes), keys named by a hash of the
token, local fallback with one warning when Redis is down or slow and recovery when it is back, and the
fleet figure: 4 worker processes x 1,000 calls at concurrency 50 against one rate-limiting server.

Without ``redis-server`` on PATH the tests that need it skip locally and fail in CI (``CI=true``)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

import intercom_async
from intercom_async.ratelimit_redis import RedisRateLimiter, key_hash

from .conftest import TOKEN, FaultServer, SleepRecorder, WindowLimit, assert_no_token
from .redis_server import RedisServer, redis_server  # noqa: F401  (fixture)

WORKER = Path(__file__).with_name("redis_worker.py")


def _limiter(url: str, **kwargs: Any) -> RedisRateLimiter:
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("limit", 5)
    kwargs.setdefault("window", 10.0)
    return RedisRateLimiter(url, **kwargs)


def _records(logs: Any, level: int, text: str) -> list[str]:
    return [r.getMessage() for r in logs.records if r.levelno == level and text in r.getMessage()]


async def _until(predicate: Any, what: str, steps: int = 200, pause: float = 0.02) -> None:
    for _ in range(steps):
        if predicate():
            return
        await asyncio.sleep(pause)
    raise AssertionError(f"gave up waiting for {what}")


# ------------------------------------------------------------------------------------------ basics


def test_public_import_paths() -> None:
    assert intercom_async.RedisRateLimiter is RedisRateLimiter
    assert issubclass(RedisRateLimiter, intercom_async.RateLimiter)


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # as if redis-py were not installed
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    monkeypatch.delitem(sys.modules, "intercom_async.ratelimit_redis")
    import importlib

    with pytest.raises(ImportError, match=r"intercom-async\[redis\]"):
        importlib.import_module("intercom_async.ratelimit_redis")


def test_invalid_arguments() -> None:
    url = "redis://127.0.0.1:1/0"
    bad: list[dict[str, Any]] = [
        {"token": TOKEN, "key": "app-1"},
        {"token": None},
        {"token": ""},
        {"limit": 0},
        {"limit": 2.5},
        {"window": float("nan")},
        {"window": 0},
        {"redis_timeout": -1},
        {"burst": 0},
        {"reserve": -1},
    ]
    for kwargs in bad:
        with pytest.raises(ValueError):
            _limiter(url, **kwargs)
    with pytest.raises(TypeError):
        RedisRateLimiter(object(), token=TOKEN, limit=5)  # type: ignore[arg-type]
    limiter = _limiter(url, key="app-1", token=None)
    assert limiter.log_key == f"intercom_async:rl:{{{key_hash('app-1')}}}:log"


# ------------------------------------------------------------------------------------------ sharing


async def test_budget_is_shared_booked_fifo_and_cancelled_waiters_give_slots_back(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    a = _limiter(redis_server.url, burst=5, headroom=0.0)
    b = _limiter(redis_server.url, burst=5, headroom=0.0)  # another "process": its own client and state
    admin = aioredis.Redis.from_url(redis_server.url)
    try:
        tasks = [asyncio.create_task((a if i % 2 else b).acquire()) for i in range(12)]
        await _until(lambda: sum(t.done() for t in tasks) >= 5, "the first five")
        await asyncio.sleep(0.05)
        assert sum(t.done() for t in tasks) == 5  # the window's budget, across both limiters
        scores = sorted(s for _, s in await admin.zrange(a.log_key, 0, -1, withscores=True))
        assert len(scores) == 12
        first = scores[0]
        assert all(s - first < 1.0 for s in scores[:5])  # now
        assert all(s - scores[0] == pytest.approx(10.0, abs=1e-3) for s in scores[5:6])
        assert all(9.0 < s - first < 11.0 for s in scores[5:10])  # one window later
        assert all(19.0 < s - first < 21.0 for s in scores[10:])  # two windows later
        waiting = [t for t in tasks if not t.done()]
        for t in waiting:
            t.cancel()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        await a.aclose()
        await b.aclose()  # waits for the slots to be handed back
        assert await admin.zcard(a.log_key) == 5
        assert a.stats.shared + b.stats.shared == 5 and a.stats.local == b.stats.local == 0
    finally:
        await admin.aclose()


async def test_429_pause_and_spent_window_are_shared(redis_server: RedisServer) -> None:  # noqa: F811
    a = _limiter(redis_server.url, limit=100)
    sleeps = SleepRecorder(scale=1.0)
    b = _limiter(redis_server.url, limit=100, sleep=sleeps)
    try:
        await b.acquire()
        assert sleeps.calls == []  # nothing paused yet
        await a.observe(429, {"Retry-After": "0.3"})
        await b.acquire()
        assert len(sleeps.calls) == 1 and 0.15 < sleeps.calls[0] <= 0.33, sleeps.calls  # waited for A's pause
        reset = f"{time.time() + 0.3:.3f}"
        await a.observe(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})  # window spent
        await b.acquire()
        assert len(sleeps.calls) == 2 and 0.1 < sleeps.calls[1] <= 0.33, sleeps.calls
        # hostile or stale values publish no pause
        await a.observe(429, {"Retry-After": "nan", "X-RateLimit-Reset": "inf"})
        await a.observe(200, {"X-RateLimit-Remaining": "-1", "X-RateLimit-Reset": reset})
        await a.observe(200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{time.time() - 5:.3f}"})
        await b.acquire()
        assert len(sleeps.calls) == 2
        assert a.stats.pauses == 2 and b.stats.waits == 2
    finally:
        await a.aclose()
        await b.aclose()


async def test_keys_are_a_hash_of_the_token(redis_server: RedisServer, logs: Any) -> None:  # noqa: F811
    limiter = _limiter(redis_server.url)
    admin = aioredis.Redis.from_url(redis_server.url)
    try:
        await limiter.acquire()
        await limiter.observe(429, {"Retry-After": "1"})
        keys = sorted(k.decode() for k in await admin.keys("*"))
        assert keys == [limiter.log_key, limiter.pause_key, limiter.procs_key] and key_hash(TOKEN) in limiter.log_key
        stored = [await admin.get(limiter.pause_key), *(await admin.zrange(limiter.log_key, 0, -1))]
        stored += await admin.zrange(limiter.procs_key, 0, -1)
        assert_no_token(*keys, *(v.decode() for v in stored), repr(limiter), limiter.stats)
    finally:
        await limiter.aclose()
        await admin.aclose()


# ------------------------------------------------------------------------------------------ Redis down / slow


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


async def test_redis_down_from_the_start_paces_locally_with_one_warning(
    server: FaultServer, make_client: Any, logs: Any
) -> None:
    window = WindowLimit(3, 0.3)
    server.default = window
    limiter = _limiter(f"redis://127.0.0.1:{_closed_port()}/0", limit=3, window=0.3, headroom=0.05, retry_interval=60)
    client = make_client(rate_limiter=limiter, max_retries=0)
    try:
        for _ in range(7):  # sequential: no calls race the first failure
            await asyncio.wait_for(client.admins.identify(), 10)
    finally:
        await limiter.aclose()
    assert limiter.stats.local == 7 and limiter.stats.shared == 0 and limiter.stats.outages == 1
    assert not limiter.shared and "local" in repr(limiter)
    assert limiter.fallback.stats.waits > 0  # the local budget (3 per window) paced them
    assert window.rejected == 0 and window.max_per_window() <= 3
    warnings = _records(logs, logging.WARNING, "Redis unavailable")
    assert len(warnings) == 1 and "pacing this process locally" in warnings[0], warnings


async def test_outage_then_recovery(redis_server: RedisServer, logs: Any) -> None:  # noqa: F811
    limiter = _limiter(redis_server.url, limit=1000, redis_timeout=0.5, retry_interval=0.05)
    try:
        await limiter.acquire()
        limiter.release()
        assert limiter.stats.shared == 1
        redis_server.stop()
        for _ in range(5):
            await limiter.acquire()
            limiter.release()
        assert limiter.stats.local == 5 and limiter.stats.outages == 1 and not limiter.shared
        assert limiter.fallback.stats.in_flight == 0  # every local acquire was released to the fallback
        redis_server.restart_same_port()

        async def step() -> None:
            await limiter.acquire()
            limiter.release()

        for _ in range(200):  # bounded: Redis is tried again every retry_interval
            await step()
            if limiter.shared:
                break
            await asyncio.sleep(0.02)
        assert limiter.shared and limiter.stats.outages == 1
        shared_before = limiter.stats.shared
        await step()
        assert limiter.stats.shared == shared_before + 1  # booked in Redis again
        admin = aioredis.Redis.from_url(redis_server.url)
        try:
            assert await admin.zcard(limiter.log_key) >= 1
        finally:
            await admin.aclose()
    finally:
        await limiter.aclose()
    assert len(_records(logs, logging.WARNING, "Redis unavailable")) == 1
    assert len(_records(logs, logging.INFO, "shared pacing resumed")) == 1


async def test_slow_redis_times_out_to_local_pacing(redis_server: RedisServer, logs: Any) -> None:  # noqa: F811
    limiter = _limiter(redis_server.url, limit=1000, redis_timeout=0.1, retry_interval=0.05)
    admin = aioredis.Redis.from_url(redis_server.url)
    try:
        await limiter.acquire()  # connected and working
        await admin.execute_command("CLIENT", "PAUSE", "700", "ALL")  # Redis stops answering for 0.7 s
        await asyncio.wait_for(limiter.acquire(), 5)  # does not wait for Redis: falls back after 0.1 s
        assert limiter.stats.local == 1 and limiter.stats.redis_errors >= 1
        assert "timed out" in _records(logs, logging.WARNING, "Redis unavailable")[0]
        for _ in range(200):  # bounded; the pause ends by itself
            await limiter.acquire()
            if limiter.shared:
                break
            await asyncio.sleep(0.02)
        assert limiter.shared and limiter.stats.shared >= 2
    finally:
        await limiter.aclose()
        await admin.aclose()


class _ManualTime:
    """A monotonic clock that moves only when told (or when something sleeps on it)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


async def test_outage_paces_at_the_share_of_the_processes_last_seen_then_rejoins(
    redis_server: RedisServer,  # noqa: F811
    logs: Any,
) -> None:
    t = _ManualTime()
    kw: dict[str, Any] = {"limit": 30, "burst": 30, "headroom": 0.0, "retry_interval": 60, "redis_timeout": 1.0}
    a, b, c = (_limiter(redis_server.url, clock=t.clock, sleep=t.sleep, **kw) for _ in range(3))
    admin = aioredis.Redis.from_url(redis_server.url)
    try:
        for limiter in (a, b, c):
            await limiter.acquire()
            limiter.release()
        assert (a.processes, c.processes) == (1, 3)  # each counted itself and those registered before it
        assert await admin.zcard(a.procs_key) == 3
        t.now += 6  # past (window + headroom) / 2: the next booking carries a heartbeat again
        for _ in range(4):
            await a.acquire()
            a.release()
        assert a.processes == 3 and a.stats.shared == 5 and t.sleeps == []
        await b.aclose()  # a process that stops leaves the count
        assert await admin.zcard(a.procs_key) == 2

        redis_server.stop()
        for _ in range(5):  # the share, 30 // 3, less its own 5 sends of this window: 5 go at once
            await a.acquire()
            a.release()
        assert a.fallback.limit == 10 and a.stats.local == 5 and t.sleeps == []
        await a.acquire()  # the 11th of this window waits for the first one (at t=1000) to leave it
        a.release()
        assert t.sleeps == [pytest.approx(4.0)]
        warnings = _records(logs, logging.WARNING, "Redis unavailable")
        assert len(warnings) == 1 and "10 requests per 10 s, 1/3 of 30: 3 processes last seen" in warnings[0]

        redis_server.restart_same_port()
        t.now += 61  # past retry_interval: the next request tries Redis
        for _ in range(10):
            await a.acquire()
            a.release()
        assert a.shared and a.stats.shared == 15 and len(t.sleeps) == 1
        await a.acquire()  # Redis has room (30), but while rejoining a request also takes a local slot: waits
        a.release()
        assert len(t.sleeps) == 2 and a.processes == 3  # the count does not shrink while rejoining
        t.now += 60 + 10.0  # past retry_interval + window: every process is back in Redis
        for _ in range(15):  # more than the share, within Redis' budget (on Redis' real clock: 26 of 30)
            await a.acquire()
            a.release()
        assert len(t.sleeps) == 2 and a.stats.shared == 31 and a.fallback.stats.in_flight == 0
    finally:
        for limiter in (a, c):
            await limiter.aclose()
        await admin.aclose()


# ------------------------------------------------------------------------------------------ many processes


async def _fleet(
    server: FaultServer, window: WindowLimit, config: dict[str, Any], processes: int, during: Any = None
) -> tuple[list[dict[str, Any]], int, float]:
    """Run ``processes`` workers together (``during()``, if given, runs beside them); their reports, the requests
    the server saw during the run and the elapsed seconds."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line == b"ready\n", (line, await proc.stderr.read() if proc.stderr else b"")
        warm = server.count()
        window.counts.clear()  # judge the run itself; the warm-up calls were before the start line
        window.arrivals.clear()
        started = time.monotonic()
        runs = [p.communicate(b"go\n") for p in procs]
        outputs = await asyncio.wait_for(asyncio.gather(*runs, *([during()] if during else [])), 55)
        elapsed = time.monotonic() - started
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    reports = []
    for (out, err), proc in zip(outputs, procs, strict=False):
        assert proc.returncode == 0, err.decode()[-2000:]
        assert_no_token(out.decode(), err.decode())
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    return reports, server.count() - warm, elapsed


async def test_four_processes_share_one_budget(server: FaultServer, redis_server: RedisServer) -> None:  # noqa: F811
    """4 worker processes x 1,000 calls at concurrency 50, one server allowing N per window: no error reaches
    a caller, 429s stay under 1% of requests, and no window of the server ever sees more than N."""
    n, window_s, headroom = 300, 0.5, 0.25
    processes, calls, concurrency = 4, 1000, 50
    window = WindowLimit(n, window_s, phase=window_s * 0.37)
    server.default = window
    config = {
        "base_url": server.url,
        "redis_url": redis_server.url,
        "token": TOKEN,
        "limit": n,
        "window": window_s,
        "headroom": headroom,
        "calls": calls,
        "concurrency": concurrency,
        "deadline": 45,
        "redis_timeout": 3.0,  # no outage on a busy machine (an event loop can stall for a second there)
    }
    reports, requests, elapsed = await _fleet(server, window, config, processes)
    print(
        f"\n[redis fleet] {processes} processes x {calls} calls, concurrency {concurrency} each; server allows "
        f"{n} per {window_s} s: ok={sum(r['ok'] for r in reports)} errors={[r['errors'] for r in reports]} "
        f"requests={requests} server_429={window.rejected} ({window.rejected / requests:.2%}) "
        f"busiest_window={window.max_per_window()} busiest_sliding={window.max_per_sliding_window()} "
        f"retries={sum(r['retries'] for r in reports)} local={sum(r['stats']['local'] for r in reports)} "
        f"waits={sum(r['stats']['waits'] for r in reports)} elapsed={elapsed:.1f}s"
    )
    assert all(r["errors"] == {} and r["ok"] == calls for r in reports), reports
    assert window.rejected < 0.01 * requests
    assert window.max_per_window() <= n
    assert requests == processes * calls + window.rejected  # every call sent once, plus its retries
    assert sum(r["stats"]["shared"] for r in reports) == requests + processes  # every send (and warm-up) booked
    assert sum(r["stats"]["waits"] for r in reports) > processes * calls // 2  # the budget, not luck, held it
    assert all(r["stats"]["processes"] == processes for r in reports)  # each saw the whole fleet


async def test_redis_killed_mid_run_the_fleet_falls_back_to_its_share(
    server: FaultServer,
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """4 processes at full speed; Redis is killed (SIGKILL) for 3 s mid-run and comes back empty. Each process
    paces at its share (limit // 4, counted through Redis before the outage): no window of the server sees more
    than N, and no 429. (With ``fallback_limit=N``, the old default, this run saw 423 in a window and 10% 429s.)"""
    n, window_s, processes, calls = 300, 0.5, 4, 1000
    window = WindowLimit(n, window_s, phase=window_s * 0.37)
    server.default = window
    config = {
        "base_url": server.url,
        "redis_url": redis_server.url,
        "token": TOKEN,
        "limit": n,
        "window": window_s,
        "headroom": 0.25,  # as above: room for the delay from a slot to the server on a busy machine
        "calls": calls,
        "concurrency": 50,
        "deadline": 45,
        "redis_timeout": 1.0,  # no outage but the one the test makes (calls are slow on a busy machine)
        "retry_interval": 0.5,
    }
    marks: dict[str, float] = {}

    async def outage() -> tuple[bytes, bytes]:
        await asyncio.sleep(1.5)
        assert redis_server.proc is not None
        marks["down"] = time.monotonic()
        redis_server.proc.kill()  # no goodbye to the clients
        await asyncio.to_thread(redis_server.proc.wait, 10)
        redis_server.proc = None
        await asyncio.sleep(3.0)
        await asyncio.to_thread(redis_server.restart_same_port)
        marks["up"] = time.monotonic()
        return b"", b""

    reports, requests, elapsed = await _fleet(server, window, config, processes, outage)
    down = [t for t in window.arrivals if marks["down"] <= t <= marks["up"]]
    print(
        f"\n[redis outage] {processes} processes x {calls} calls; server allows {n} per {window_s} s; Redis down "
        f"3 s: requests={requests} during outage={len(down)} server_429={window.rejected} "
        f"busiest_window={window.max_per_window()} busiest_sliding={window.max_per_sliding_window()} "
        f"local={sum(r['stats']['local'] for r in reports)} outages={[r['stats']['outages'] for r in reports]} "
        f"fallback_limits={[r['stats']['fallback_limit'] for r in reports]} elapsed={elapsed:.1f}s"
    )
    assert all(r["errors"] == {} and r["ok"] == calls for r in reports), reports
    assert all(r["stats"]["outages"] >= 1 and r["stats"]["local"] > 0 for r in reports), reports
    assert all(r["stats"]["fallback_limit"] == n // processes for r in reports), reports  # the share
    assert len(down) > 3 * n  # the fleet kept working through the outage (about 4.5 windows' worth)
    assert window.max_per_window() <= n and window.rejected == 0
