"""Fixtures for the resilience suite: a scriptable fault-injection server on 127.0.0.1, client factories,
log capture that fails any test whose logs contain the token, and leak checks after every test.

``FaultServer`` answers every method and path. By default it returns a small JSON object (an admin for
``/me``, a contact for ``/contacts``); ``server.script(method, path, action, ...)`` queues actions that the
next requests to that route consume in order (``ok``, ``status``, ``reset``, ``truncate``, ``slow_body``,
``slow_headers``, ``raw``, ``hold``). Every request is recorded in ``server.hits`` *before* the action runs,
so a test can count exactly how many requests reached the server.

``fake`` is the testing kit's ``FakeIntercom`` (what users get), for the tests whose faults it offers (statuses,
``429`` hints, dropped connections, slow bodies and headers): ``test_retries.py`` runs on it. ``FaultServer``
stays for what a fake Intercom should not offer: scripted hostile headers, held requests, arbitrary windows.
"""

from __future__ import annotations

import asyncio
import gc
import heapq
import json
import logging
import subprocess
import sys
import time
from collections import Counter, defaultdict, deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import intercom_async
from intercom_async._transport import RetryPolicy
from intercom_async.testing import FakeIntercom

TOKEN = "tok_SECRET_7f3c9a1e55d04b"
Action = Callable[[web.Request], Awaitable[web.StreamResponse]]

ADMIN = {"type": "admin", "id": "991", "email": "ops@example.com", "name": "Ops"}
CONTACT = {"type": "contact", "id": "c-1", "role": "user", "email": "x@example.com"}
ERROR_LIST = {"type": "error.list", "request_id": "req-body-1", "errors": [{"code": "server_error", "message": "boom"}]}


def _default_body(path: str) -> dict[str, Any]:
    if path.startswith("/contacts"):
        return CONTACT
    return ADMIN


# ---------------------------------------------------------------------------------------------- actions


def ok(body: Any = None, *, status: int = 200, headers: dict[str, str] | None = None) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.json_response(_default_body(request.path) if body is None else body, status=status, headers=headers)

    return act


def status(code: int, body: Any = ERROR_LIST, *, headers: dict[str, str] | None = None) -> Action:
    return ok(body, status=code, headers={"X-Request-Id": f"req-hdr-{code}", **(headers or {})})


def raw(code: int, content: bytes, content_type: str = "text/html", headers: dict[str, str] | None = None) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, body=content, content_type=content_type, headers=headers)

    return act


def reset() -> Action:
    """Close the connection before sending anything back (the client sees a disconnect)."""

    async def act(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(30)  # cancelled by the server when the connection goes (handler_cancellation)
        raise AssertionError("unreachable")

    return act


def truncate(declared: int = 400, sent: bytes = b'{"type": "admin", "id": "9') -> Action:
    """Send headers announcing ``declared`` bytes, a few of them, then close mid-body."""

    async def act(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.content_length = declared
        await resp.prepare(request)
        await resp.write(sent)
        await asyncio.sleep(0.005)
        assert request.transport is not None
        request.transport.close()
        await asyncio.sleep(30)
        return resp

    return act


def slow_body(delay: float, body: bytes = json.dumps(ADMIN).encode()) -> Action:
    """Headers and half the body at once, the rest after ``delay`` seconds."""

    async def act(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.content_length = len(body)
        await resp.prepare(request)
        await resp.write(body[: len(body) // 2])
        await asyncio.sleep(delay)
        await resp.write(body[len(body) // 2 :])
        await resp.write_eof()
        return resp

    return act


def slow_headers(delay: float, then: Action | None = None) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(delay)
        return await (then or ok())(request)

    return act


def hold(event: asyncio.Event, then: Action | None = None) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        await event.wait()
        return await (then or ok())(request)

    return act


class WindowLimit:
    """An action enforcing ``n`` requests per fixed ``window`` (aligned to its creation), like Intercom: it
    reports ``X-RateLimit-Limit/Remaining/Reset`` (Reset in fractional Unix seconds) and answers 429
    ``rate_limit_exceeded`` beyond the budget. It records every arrival to measure the observed rate."""

    def __init__(self, n: int, window: float, then: Action | None = None, phase: float = 0.0) -> None:
        self.n = n
        self.window = window
        self.then = then or ok()
        # window boundaries at t0 + k * window; ``phase`` shifts them against the client's first burst
        self.t0 = time.monotonic() - phase
        self.wall0 = time.time() - phase
        self.counts: Counter[int] = Counter()
        self.arrivals: list[float] = []
        self.rejected = 0

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        now = time.monotonic()
        k = int((now - self.t0) // self.window)
        self.counts[k] += 1
        self.arrivals.append(now)
        headers = {
            "X-RateLimit-Limit": str(self.n),
            "X-RateLimit-Remaining": str(max(self.n - self.counts[k], 0)),
            "X-RateLimit-Reset": f"{self.wall0 + (k + 1) * self.window:.6f}",
        }
        if self.counts[k] > self.n:
            self.rejected += 1
            body = {
                "type": "error.list",
                "request_id": f"req-429-{self.rejected}",
                "errors": [{"code": "rate_limit_exceeded", "message": f"Exceeded rate limit of {self.n}"}],
            }
            return web.json_response(body, status=429, headers=headers)
        response = await self.then(request)
        response.headers.update(headers)
        return response

    def max_per_window(self) -> int:
        """The most arrivals in one of the server's fixed windows."""
        return max(self.counts.values(), default=0)

    def max_per_sliding_window(self) -> int:
        """The most arrivals in any interval of ``window`` seconds (stricter than the fixed windows)."""
        times = sorted(self.arrivals)
        best = lo = 0
        for hi, t in enumerate(times):
            while t - times[lo] >= self.window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best


# ---------------------------------------------------------------------------------------------- server


class Hit:
    __slots__ = ("at", "authorization", "body", "method", "path", "peer")

    def __init__(self, method: str, path: str, authorization: str | None, body: bytes, at: float, peer: Any) -> None:
        self.method = method
        self.path = path
        self.authorization = authorization
        self.body = body
        self.at = at
        self.peer = peer  # the client's (host, port): one per TCP connection

    def __repr__(self) -> str:  # never show the Authorization value
        return f"<Hit {self.method} {self.path} {len(self.body)}B>"


class FaultServer:
    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.scripts: dict[tuple[str, str], deque[Action]] = defaultdict(deque)
        self.default: Action = ok()
        self.in_flight = 0
        self.max_in_flight = 0
        self.finished = 0
        self.runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, method: str, path: str, *actions: Action) -> None:
        self.scripts[(method, path)].extend(actions)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for h in self.hits if (method is None or h.method == method) and (path is None or h.path == path))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        auth = request.headers.get("Authorization")
        self.hits.append(Hit(request.method, request.path, auth, body, time.monotonic(), peer))
        queue = self.scripts.get((request.method, request.path))
        action = queue.popleft() if queue else self.default
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await action(request)
        finally:
            self.in_flight -= 1
            self.finished += 1

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def server() -> Any:
    srv = FaultServer()
    await srv.start()
    yield srv
    await srv.stop()


# ---------------------------------------------------------------------------------------------- clients


class SleepRecorder:
    """An async sleep that records each requested delay and sleeps ``scale`` times as long (0: not at all)."""

    def __init__(self, scale: float = 0.0) -> None:
        self.calls: list[float] = []
        self.scale = scale

    async def __call__(self, delay: float) -> None:
        self.calls.append(delay)
        await asyncio.sleep(delay * self.scale)


def fast_policy(max_retries: int = 2, **kwargs: Any) -> RetryPolicy:
    """The default backoff shape, 100x shorter, so fault tests finish in milliseconds."""
    kwargs.setdefault("backoff_base", 0.005)
    kwargs.setdefault("backoff_cap", 0.08)
    kwargs.setdefault("max_retry_wait", 2.0)
    return RetryPolicy(max_retries, **kwargs)


async def _clients(base_url: str) -> Any:
    """``factory(**kwargs)``: 2.12 clients on ``base_url``, fast backoff; closed (and checked) at teardown."""
    clients: list[Any] = []

    def factory(**kwargs: Any) -> Any:
        kwargs.setdefault("version", "2.12")
        kwargs.setdefault("base_url", base_url)
        kwargs.setdefault("timeout", 10.0)  # a hung test fails in seconds, not after 3 x 30 s
        if "retry_policy" not in kwargs:
            kwargs["retry_policy"] = fast_policy(kwargs.pop("max_retries", 2))
        client = intercom_async.Intercom(kwargs.pop("token", TOKEN), **kwargs)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()
        assert client.closed


@pytest.fixture
async def make_client(server: FaultServer) -> Any:
    """``make_client(**kwargs)``: a 2.12 client on the fault server, fast backoff, closed at teardown."""
    async for factory in _clients(server.url):
        yield factory


@pytest.fixture
async def fake() -> Any:
    """The testing kit's fake Intercom (API 2.12, accepting ``TOKEN``), answering ``/me`` with ``ADMIN`` and
    the contact operations with ``CONTACT`` (the bodies the assertions name); faults are injected per test."""
    async with FakeIntercom("2.12", token=TOKEN) as api:
        api.respond("admins.identify", ADMIN)
        for operation in ("contacts.create", "contacts.update", "contacts.find"):
            api.respond(operation, CONTACT)
        yield api


@pytest.fixture
async def make_fake_client(fake: FakeIntercom) -> Any:
    """``make_fake_client(**kwargs)``: like ``make_client``, on the fake Intercom."""
    async for factory in _clients(fake.base_url):
        yield factory


# ---------------------------------------------------------------------------------------------- virtual time


class VirtualClock:
    """Deterministic time for limiter unit tests: ``sleep`` parks the caller until ``advance`` reaches its
    wake-up time; ``monotonic``/``wall`` read the virtual now. No real time passes."""

    WALL_OFFSET = 1_700_000_000.0

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self.WALL_OFFSET

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now + max(delay, 0.0), self._seq, fut))
        self._seq += 1
        await fut

    async def settle(self) -> None:
        for _ in range(30):
            await asyncio.sleep(0)

    async def advance(self) -> bool:
        """Let runnable tasks run, then jump to the next wake-up time and wake everyone due; False if none."""
        await self.settle()
        while self._heap and self._heap[0][2].done():
            heapq.heappop(self._heap)
        if not self._heap:
            return False
        self.now = max(self.now, self._heap[0][0])
        while self._heap and self._heap[0][0] <= self.now:
            _, _, fut = heapq.heappop(self._heap)
            if not fut.done():
                fut.set_result(None)
        await self.settle()
        return True

    async def run(self, tasks: list[asyncio.Task[Any]], max_steps: int = 100_000) -> None:
        for _ in range(max_steps):
            if all(t.done() for t in tasks):
                return
            if not await self.advance() and not all(t.done() for t in tasks):
                await self.settle()
                if not all(t.done() for t in tasks):
                    raise AssertionError("virtual clock: tasks blocked with no pending sleep")
        raise AssertionError("virtual clock: too many steps")


# ---------------------------------------------------------------------------------------------- logs and leaks


class LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for r in self.records:
            out.append(r.getMessage())
            if r.exc_info and r.exc_info[1] is not None:
                out.append(repr(r.exc_info[1]) + str(r.exc_info[1]))
            if r.exc_text:
                out.append(r.exc_text)
        return out

    def lines(self, logger: str = "intercom_async") -> list[str]:
        return [r.getMessage() for r in self.records if r.name == logger]


def assert_no_token(*texts: Any, token: str = TOKEN) -> None:
    """No text contains the token, nor its secret tail."""
    tail = token[-12:]
    for text in texts:
        s = text if isinstance(text, str) else f"{text!s} {text!r}"
        assert token not in s and tail not in s, f"token leaked into: {s[:300]!r}"


@pytest.fixture(autouse=True)
def logs() -> Any:
    """Capture every log record (all loggers, DEBUG and up) and fail the test if the token appears in any."""
    capture = LogCapture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(previous)
    assert_no_token(*capture.texts())


@pytest.fixture(autouse=True)
def _collect_garbage() -> Any:
    """Collect after each test so an unclosed session/connector warns (an error here) in the test that leaked."""
    yield
    gc.collect()


def run_rss_client(scenario: str, url: str, *extra: str, timeout: float = 120) -> dict[str, Any]:
    """Run ``tests/resilience/rss_client.py`` (one SDK call in a fresh process) and return its JSON report."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.resilience.rss_client", scenario, url, *extra],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report
