"""HTTP transport: one aiohttp session per client, retries with backoff, timeouts, typed failures.

``Transport.send`` performs one logical request, retrying where it is safe:

* retried: 408, 429, 5xx, connection failures and timeouts, up to ``max_retries`` times (default 2);
* a POST/PUT/PATCH is retried only when the request cannot have been acted on: the connection was never
  established, or the server answered 429 or 503;
* the wait before retry ``n`` (0-based) is full jitter, ``uniform(0, min(cap, base * 2**n))``, unless the
  server said when to come back (``Retry-After`` seconds, or ``X-RateLimit-Reset`` Unix seconds on a 429),
  which is honoured up to ``max_retry_wait``;
* the body is always read completely inside ``async with``, so an exception or a cancellation releases
  (or closes) the connection rather than leaving a half-read one in the pool.

The session is created lazily inside the running event loop and closed once by ``aclose()``; a session
passed in by the user is used as is and never closed here.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp

from ._errors import APIConnectionError, APITimeoutError

logger = logging.getLogger("intercom_async")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
SAFE_TO_REPEAT_STATUSES = frozenset({429, 503})  # the request was not processed: retry even a POST
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class RawResult:
    """What one exchange returned: everything needed to build an ``APIResponse``."""

    __slots__ = ("status", "reason", "headers", "body", "url", "elapsed", "retries")

    def __init__(self, status: int, reason: str | None, headers: Any, body: bytes, url: str, elapsed: float, retries: int):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.url = url
        self.elapsed = elapsed
        self.retries = retries


class RetryPolicy:
    """When and how long to wait before trying again."""

    def __init__(
        self,
        max_retries: int = 2,
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_wait: float = 60.0,
        clock: Callable[[], float] = time.time,
        rng: Callable[[float, float], float] = random.uniform,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_wait = max_retry_wait
        self.clock = clock
        self.rng = rng

    def should_retry_status(self, method: str, status: int) -> bool:
        if status not in RETRY_STATUSES and status < 500:
            return False
        return method in IDEMPOTENT_METHODS or status in SAFE_TO_REPEAT_STATUSES

    def should_retry_error(self, method: str, exc: BaseException) -> bool:
        if method in IDEMPOTENT_METHODS:
            return True
        # Non-idempotent: only when the request provably never reached the server.
        return isinstance(exc, aiohttp.ClientConnectorError)

    def wait(self, attempt: int, headers: Mapping[str, str] | None = None, status: int | None = None) -> float:
        """Seconds to sleep before retry number ``attempt`` (0-based)."""
        hinted = self._server_hint(headers, status) if headers is not None else None
        if hinted is not None:
            return min(max(hinted, 0.0), self.max_retry_wait)
        return self.rng(0.0, min(self.backoff_cap, self.backoff_base * (2**attempt)))

    def _server_hint(self, headers: Mapping[str, str], status: int | None) -> float | None:
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            try:
                return float(retry_after)
            except ValueError:
                pass
        if status == 429:
            reset = headers.get("X-RateLimit-Reset")
            if reset is not None:
                try:
                    return float(reset) - self.clock()
                except ValueError:
                    pass
        return None


class Transport:
    """Owns (or borrows) the aiohttp session and performs requests with retries."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = 10.0,
        connector_limit: int = 100,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._connector_limit = connector_limit
        self._sleep = sleep
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this Intercom client is closed; create a new one")
        if self._session is None:
            # Created on first use, inside the running loop (aiohttp binds a session to its loop).
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connector_limit),
                timeout=aiohttp.ClientTimeout(total=self._timeout, connect=self._connect_timeout),
                auto_decompress=True,
            )
        return self._session

    async def aclose(self) -> None:
        """Close the owned session once; later calls are no-ops. A borrowed session is left open."""
        if self._closed:
            return
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Callable[[], Any],
        params: Sequence[tuple[str, str]] | None,
        data: bytes | None,
        policy: RetryPolicy,
        timeout: float | None = None,
        log_path: str = "",
    ) -> RawResult:
        """Send with retries. ``headers`` is called before every attempt (token rotation)."""
        session = self.session()
        extra: dict[str, Any] = {}
        if timeout is not None:
            extra["timeout"] = aiohttp.ClientTimeout(total=timeout, connect=self._connect_timeout)
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                request_headers = await _maybe_await(headers())
                async with session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=request_headers,
                    allow_redirects=False,
                    **extra,
                ) as resp:
                    body = await resp.read()
                    result = RawResult(
                        resp.status, resp.reason, resp.headers, body, str(resp.url), time.monotonic() - started, attempt
                    )
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
                error: Exception = APITimeoutError(f"{method} {log_path}: timed out after {time.monotonic() - started:.2f}s")
                retry = attempt < policy.max_retries and policy.should_retry_error(method, exc)
                _log_failure(method, log_path, started, attempt, error, retry)
                if not retry:
                    raise error from None
                await self._sleep(policy.wait(attempt))
                attempt += 1
                continue
            except aiohttp.ClientError as exc:
                error = APIConnectionError(f"{method} {log_path}: {type(exc).__name__}: {_safe_reason(exc)}")
                retry = attempt < policy.max_retries and policy.should_retry_error(method, exc)
                _log_failure(method, log_path, started, attempt, error, retry)
                if not retry:
                    raise error from None
                await self._sleep(policy.wait(attempt))
                attempt += 1
                continue
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %d in %.3fs (retry %d, ratelimit remaining %s)",
                    method,
                    log_path,
                    result.status,
                    result.elapsed,
                    attempt,
                    result.headers.get("X-RateLimit-Remaining", "-"),
                )
            if attempt < policy.max_retries and policy.should_retry_status(method, result.status):
                await self._sleep(policy.wait(attempt, result.headers, result.status))
                attempt += 1
                continue
            return result


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


def _safe_reason(exc: BaseException) -> str:
    """The exception text without anything that could echo request headers."""
    text = str(exc) or type(exc).__name__
    return text.split("\n", 1)[0][:200]


def _log_failure(method: str, path: str, started: float, attempt: int, error: Exception, retry: bool) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s -> %s after %.3fs (retry %d%s)",
            method,
            path,
            type(error).__name__,
            time.monotonic() - started,
            attempt,
            ", will retry" if retry else "",
        )
