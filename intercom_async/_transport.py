"""HTTP transport: one aiohttp session per client, retries with backoff, timeouts, limits, typed failures.

``Transport.send`` performs one logical request, retrying where it is safe:

* retried: 408, 429, 5xx, connection failures (refused, reset, closed mid-body) and timeouts, up to
  ``max_retries`` times (default 2, so at most 3 attempts);
* never retried: any other 4xx, a certificate failure, an invalid URL;
* a POST/PUT/PATCH is retried only when the request cannot have been acted on: the connection was never
  established (refused, DNS, connect timeout), or the server answered 429 or 503;
* the wait before retry ``n`` (0-based) is full jitter, ``uniform(0, min(backoff_cap, backoff_base * 2**n))``,
  unless the server said when to come back (``Retry-After`` seconds or HTTP date, or ``X-RateLimit-Reset``
  Unix seconds on a 429): then that, plus up to 10% jitter so a fleet of workers does not return at once,
  capped at ``max_retry_wait``;
* aiohttp's own silent one-shot retry of idempotent requests on a dropped keep-alive connection is turned off
  on the sessions created here, so ``max_retries`` is the exact number of extra requests the server can see.

Every attempt goes, in order, through the client's concurrency cap (``max_concurrency``), the optional
``RateLimiter`` (``intercom_async._ratelimit``), then the token callable, then aiohttp. The body is always
read completely inside ``async with``: an exception or a cancellation releases or closes the connection, so
a half-read connection never goes back to the pool. Waits (retry backoff, limiter) are plain awaits in the
caller's task: cancelling the call cancels them, and nothing keeps running in the background.

Bounded reads: a body is read in chunks and counted after decompression; past ``max_response_size`` bytes
(default 32 MiB, ``None``: no limit) reading stops, the connection is closed and ``ResponseTooLargeError``
is raised (not retried); a ``Content-Length`` above the limit fails before any of the body is read. A
streamed call (``stream=True``, for ``with_streaming_response``) returns a 2xx response with its body still
unread (``RawResult.stream``): the caller reads it in chunks, without the limit; its timeout then bounds each
read (``sock_read``), not the whole transfer. It is retried like any call until the 2xx headers arrive, never
after.

``aclose()`` does not wait for calls in flight: it closes the connections, and those calls raise
``APIConnectionError`` ("closed while in flight"), without a retry; a call started after ``aclose()`` raises
``RuntimeError`` (a programming error). ``trace_configs`` (aiohttp ``TraceConfig``) are installed on the
session created here; on a session with trace configs every attempt passes a ``RequestTrace`` (operation,
method, path, attempt number) as aiohttp's ``trace_request_ctx``, so a trace config sees SDK retries as
attempts 1, 2, ... (without trace configs aiohttp ignores it, and none is built).

The session is created lazily inside the running event loop, reused for every call and closed once by
``aclose()``; a session passed in by the user is used as is and never closed here. Each attempt logs one
DEBUG line on ``logging.getLogger("intercom_async")`` (method, path, status or error, elapsed, retry number,
``X-RateLimit-Remaining``); headers, and so the token, are never logged.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import hdrs

from ._errors import APIConnectionError, APITimeoutError, ResponseTooLargeError
from ._ratelimit_headers import HeaderReader, parse_count
from ._types import UNSET, Unset
from ._urls import request_url

if TYPE_CHECKING:
    from ._ratelimit import RateLimiter

logger = _DEFAULT_LOGGER = logging.getLogger("intercom_async")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
SAFE_TO_REPEAT_STATUSES = frozenset({429, 503})  # the request was not processed: retry even a POST
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
DEFAULT_MAX_RESPONSE_SIZE = 32 * 1024 * 1024  # bytes of decoded body read into memory per response
_READ_CHUNK = 64 * 1024

# Failures after which the request provably never left: safe to repeat whatever the method.
_NOT_SENT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorError,)
if hasattr(aiohttp, "ConnectionTimeoutError"):  # aiohttp >= 3.10: timeout while connecting / waiting for the pool
    _NOT_SENT_ERRORS += (aiohttp.ConnectionTimeoutError,)
# Failures that no retry can fix.
_PERMANENT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ClientConnectorCertificateError, aiohttp.InvalidURL)
# Everything an attempt can fail with that becomes an ``APIConnectionError``/``APITimeoutError``.
_CAUGHT_ERRORS: tuple[type[Exception], ...] = (asyncio.TimeoutError, aiohttp.ClientError, OSError)
# Connection-level failures worth another attempt (for an idempotent request).
_TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
    OSError,
)


class RawResult:
    """What one exchange returned: everything needed to build an ``APIResponse``. ``stream`` is the open
    aiohttp response of a streamed 2xx (its body unread, ``body`` empty); the caller must close it."""

    __slots__ = ("body", "elapsed", "headers", "reason", "retries", "status", "stream", "url")

    def __init__(
        self,
        status: int,
        reason: str | None,
        headers: Any,
        body: bytes,
        url: str,
        elapsed: float,
        retries: int,
        stream: aiohttp.ClientResponse | None = None,
    ):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.url = url
        self.elapsed = elapsed
        self.retries = retries
        self.stream = stream


class RequestTrace:
    """What an aiohttp ``TraceConfig`` callback finds as ``trace_config_ctx.trace_request_ctx`` for an attempt
    of an SDK call: the operation id, method, path (no query string) and the attempt number (0: the first
    try, n: the n-th retry). Never any header or token."""

    __slots__ = ("attempt", "method", "operation", "path")

    def __init__(self, operation: str, method: str, path: str, attempt: int) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.attempt = attempt

    def __repr__(self) -> str:
        return f"RequestTrace({self.operation!r}, {self.method} {self.path}, attempt={self.attempt})"


class RetryPolicy:
    """When and how long to wait before trying again.

    Args:
        max_retries: retries after the first attempt (default 2; 0 disables).
        backoff_base / backoff_cap: full-jitter exponential backoff, ``uniform(0, min(cap, base * 2**n))``.
        max_retry_wait: cap on any single wait, including server hints (``Retry-After``, ``X-RateLimit-Reset``).
        clock: Unix seconds (to turn ``X-RateLimit-Reset`` into a delay); rng: ``uniform(a, b)``;
        sleep: the async sleep used between attempts. All three are injectable for tests.
    """

    def __init__(
        self,
        max_retries: int = 2,
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_wait: float = 60.0,
        clock: Callable[[], float] = time.time,
        rng: Callable[[float, float], float] = random.uniform,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ) -> None:
        _check_retries(max_retries)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_wait = max_retry_wait
        self.clock = clock
        self.rng = rng
        self.sleep = sleep
        self._header_reader = HeaderReader("RetryPolicy")
        # a subclass may retry any status; this class never retries one below 400 (the transport skips the call)
        self._checks_every_status = type(self).should_retry_status is not RetryPolicy.should_retry_status

    def __repr__(self) -> str:
        return (
            f"RetryPolicy(max_retries={self.max_retries}, backoff_base={self.backoff_base}, "
            f"backoff_cap={self.backoff_cap}, max_retry_wait={self.max_retry_wait})"
        )

    def with_max_retries(self, max_retries: int) -> RetryPolicy:
        """A copy of this policy (subclass and injected clock/rng/sleep kept) with another retry count."""
        _check_retries(max_retries)
        clone = copy.copy(self)
        clone.max_retries = max_retries
        return clone

    def should_retry_status(self, method: str, status: int) -> bool:
        if status not in RETRY_STATUSES and status < 500:
            return False
        return method in IDEMPOTENT_METHODS or status in SAFE_TO_REPEAT_STATUSES

    def should_retry_error(self, method: str, exc: BaseException) -> bool:
        if isinstance(exc, _PERMANENT_ERRORS):
            return False
        if isinstance(exc, _NOT_SENT_ERRORS):
            return True
        if method in IDEMPOTENT_METHODS:
            return isinstance(exc, (*_TRANSIENT_ERRORS, asyncio.TimeoutError))
        return False  # the request may have been processed: repeating a POST/PUT could duplicate it

    def wait(self, attempt: int, headers: Mapping[str, str] | None = None, status: int | None = None) -> float:
        """Seconds to sleep before retry number ``attempt`` (0-based)."""
        hinted = self._server_hint(headers, status) if headers is not None else None
        if hinted is not None and hinted > 0:
            return min(hinted + self.rng(0.0, 0.1 * hinted), self.max_retry_wait)
        # No hint, or one already in the past (clock skew): back off rather than hammer the server.
        return min(self.rng(0.0, min(self.backoff_cap, self.backoff_base * (2**attempt))), self.max_retry_wait)

    def _server_hint(self, headers: Mapping[str, str], status: int | None) -> float | None:
        # nan, inf, negative or absurd values are ignored (logged once per policy and header): backoff instead
        reader = self._header_reader
        now = self.clock()
        hint = reader.retry_after(headers, now)
        if hint is None and status == 429:
            hint = reader.reset_delay(headers, "X-RateLimit-Reset", now)
        return hint


def _check_retries(max_retries: int) -> None:
    if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
        raise ValueError(f"max_retries must be an int >= 0, got {max_retries!r}")


class Transport:
    """Owns (or borrows) the aiohttp session and performs requests with limits and retries."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = 10.0,
        connector_limit: int = 100,
        sleep: Callable[[float], Any] = asyncio.sleep,
        rate_limiter: RateLimiter | None = None,
        max_concurrency: int | None = None,
        logger: logging.Logger | None = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1 (or None), got {max_concurrency}")
        check_max_response_size(max_response_size)
        if trace_configs is not None and session is not None:
            raise ValueError("trace_configs= applies to the session the client creates; add them to your own session")
        self.max_response_size = max_response_size
        self._trace_configs = list(trace_configs) if trace_configs is not None else None
        self._session = session
        self._owns_session = session is None
        # Headers every request carries (the client's version, Accept, User-Agent and a string token's
        # Authorization): the default headers of the session created here, added to each request on a borrowed
        # session. A call's own headers are sent besides, and replace one of these with the same name.
        self._headers = dict(headers or {})
        self._merged_headers = self._headers if session is not None and self._headers else None
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        # Sent with every request on a borrowed session, whose own defaults (aiohttp: 5 minutes) would
        # otherwise silently replace the client's ``timeout``/``connect_timeout``.
        self._default_timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=connect_timeout)
        self._connector_limit = max(connector_limit, max_concurrency or 0)
        self._sleep = sleep
        self._limiter = rate_limiter
        self._semaphore = asyncio.Semaphore(max_concurrency) if max_concurrency is not None else None
        self._logger = logger if logger is not None else _DEFAULT_LOGGER
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._close_task: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._session is not None else "idle")
        return f"<Transport {state} timeout={self._timeout} limiter={self._limiter!r}>"

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def rate_limiter(self) -> RateLimiter | None:
        return self._limiter

    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this Intercom client is closed; create a new one")
        session = self._session
        if session is None:
            # Created on first use, inside the running loop (aiohttp binds a session to its loop).
            self._loop = asyncio.get_running_loop()
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connector_limit),
                timeout=self._default_timeout,
                auto_decompress=True,
                trace_configs=self._trace_configs,
                headers=self._headers,
            )
            if "_retry_connection" in getattr(aiohttp.ClientSession, "ATTRS", ()):
                # aiohttp >= 3.10 silently resends an idempotent request once when a kept-alive connection
                # drops; our RetryPolicy owns retries (and counts them), so that hidden attempt is disabled.
                session._retry_connection = False
        elif self._loop is not None and self._loop is not asyncio.get_running_loop():
            raise RuntimeError(
                "this Intercom client was first used in another event loop; create one client per loop "
                "(e.g. in your app's startup hook) and close it in that loop"
            )
        return session

    async def aclose(self) -> None:
        """Close the owned session exactly once; concurrent and later calls wait for / skip it.

        A borrowed session is left open. The close runs shielded, so cancelling ``aclose()`` (a shutdown
        timeout, say) does not leave the connector half closed.
        """
        if not self._closed:
            self._closed = True
            session, self._session = self._session, None
            if session is not None and self._owns_session and not session.closed:
                self._close_task = asyncio.ensure_future(session.close())
        if self._close_task is not None:
            await asyncio.shield(self._close_task)

    def client_timeout(self, timeout: float | None, connect_timeout: float | None) -> aiohttp.ClientTimeout | None:
        """The per-call ``ClientTimeout`` for overrides, or ``None`` to use the session's."""
        if timeout is None and connect_timeout is None:
            return None
        return aiohttp.ClientTimeout(
            total=self._timeout if timeout is None else timeout,
            sock_connect=self._connect_timeout if connect_timeout is None else connect_timeout,
        )

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | Callable[[], Any],
        params: Sequence[tuple[str, str]] | None,
        data: bytes | None,
        policy: RetryPolicy,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        log_path: str = "",
        max_response_size: int | None | Unset = UNSET,
        stream: bool = False,
        operation_id: str = "",
    ) -> RawResult:
        """One logical request: attempts until one may be returned, waiting between them (see the module
        docstring for what is retried). ``headers`` are the call's own, sent with every attempt besides the
        transport's (a dict never changed here, or a callable producing it before every attempt: token rotation).
        ``max_response_size`` overrides the transport's limit for this call; ``stream=True`` leaves a 2xx body
        unread (``RawResult.stream``)."""
        if self._closed:
            raise RuntimeError("this Intercom client is closed; create a new one")
        limit = self.max_response_size if max_response_size is UNSET else check_max_response_size(max_response_size)
        if stream:  # the timeout bounds each read of the body, not the whole (possibly long) transfer
            call_timeout: aiohttp.ClientTimeout | None = aiohttp.ClientTimeout(
                total=None,
                sock_connect=self._connect_timeout if connect_timeout is None else connect_timeout,
                sock_read=self._timeout if timeout is None else timeout,
            )
        elif timeout is None and connect_timeout is None and self._owns_session:
            call_timeout = None  # the usual call: the owned session's own timeout applies
        else:
            call_timeout = self._call_timeout(timeout, connect_timeout)
        exchange = _Exchange(method, url, headers, params, data, call_timeout, limit, log_path, stream, operation_id)
        log = self._logger
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                result = await self._attempt(exchange, attempt)
            except _ExchangeFailed as failed:
                cause = failed.cause
                elapsed = time.monotonic() - started
                if self._closed:  # aclose() while this call was in flight: typed, and never retried
                    error = APIConnectionError(
                        f"{method} {log_path}: the client was closed (aclose()) while this call was in flight; "
                        "the request may or may not have reached the server"
                    )
                    error.retries = attempt
                    raise error from None
                error = _map_error(method, log_path, cause, elapsed, attempt)
                retry = attempt < policy.max_retries and policy.should_retry_error(method, cause)
                if log.isEnabledFor(logging.DEBUG):
                    log.debug(
                        "%s %s -> %s in %.3fs (retry %d%s)",
                        method,
                        log_path,
                        type(error).__name__,
                        elapsed,
                        attempt,
                        ", will retry" if retry else "",
                    )
                if not retry:
                    raise error from None
                await (policy.sleep or self._sleep)(policy.wait(attempt))
                attempt += 1
                continue

            status = result.status
            retry = (
                attempt < policy.max_retries
                and (status >= 400 or policy._checks_every_status)
                and policy.should_retry_status(method, status)
            )
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "%s %s -> %d in %.3fs (retry %d%s, ratelimit remaining %s)",
                    method,
                    log_path,
                    result.status,
                    result.elapsed,
                    attempt,
                    ", will retry" if retry else "",
                    _logged_remaining(result.headers),
                )
            if not retry:
                return result
            await (policy.sleep or self._sleep)(policy.wait(attempt, result.headers, result.status))
            attempt += 1

    def _call_timeout(self, timeout: float | None, connect_timeout: float | None) -> aiohttp.ClientTimeout | None:
        client_timeout = self.client_timeout(timeout, connect_timeout)
        if client_timeout is None and not self._owns_session:
            return self._default_timeout  # a borrowed session's own default would otherwise apply
        return client_timeout

    async def _attempt(self, exchange: _Exchange, attempt: int) -> RawResult:
        """One attempt: the concurrency cap, then the rate limiter, then the token, then the exchange; every slot
        taken is given back however the attempt ends (answer, error or cancellation)."""
        if self._closed:  # closed during a backoff or limiter wait of a call in flight
            raise _ExchangeFailed(RuntimeError("closed"))
        session = self._session
        if session is None or self._loop is not None and self._loop is not asyncio.get_running_loop():
            session = self.session()  # creates it, or raises for use from another event loop
        semaphore = self._semaphore
        limiter = self._limiter
        if semaphore is not None:
            await semaphore.acquire()
        try:
            if limiter is not None and not limiter.try_acquire():
                await limiter.acquire()
            try:
                request_headers: Any = exchange.headers
                if callable(request_headers):
                    request_headers = request_headers()  # the token callable, per attempt
                    if type(request_headers) is not dict:
                        request_headers = await _maybe_await(request_headers)
                merged = self._merged_headers
                if merged is not None:  # a borrowed session: its defaults are the user's, not these
                    request_headers = {**merged, **request_headers} if request_headers else merged
                if self._closed:
                    raise _ExchangeFailed(RuntimeError("closed"))
                try:
                    result = await exchange.run(session, request_headers, attempt)
                except _CAUGHT_ERRORS as exc:
                    raise _ExchangeFailed(exc) from None
                except RuntimeError as exc:  # aiohttp: "Session is closed", when aclose() won the race
                    if not self._closed:
                        raise
                    raise _ExchangeFailed(exc) from None
                if limiter is not None and not limiter.try_observe(result.status, result.headers):
                    await limiter.observe(result.status, result.headers)
                return result
            finally:
                if limiter is not None:
                    limiter.release()
        finally:
            if semaphore is not None:
                semaphore.release()


class _ExchangeFailed(Exception):
    """Carries the network error of one exchange out of ``_attempt``, apart from errors of the limiter or the
    token callable, which are the caller's and propagate unchanged."""

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause


class _Exchange:
    """One HTTP request/response exchange, repeatable: everything an attempt sends, fixed once per call."""

    __slots__ = ("headers", "kwargs", "limit", "method", "operation_id", "params", "path", "stream", "text", "url")

    def __init__(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Callable[[], Any],
        params: Sequence[tuple[str, str]] | None,
        data: bytes | None,
        timeout: aiohttp.ClientTimeout | None,
        limit: int | None = None,
        path: str = "",
        stream: bool = False,
        operation_id: str = "",
    ) -> None:
        self.method = method
        self.text = url
        self.url = request_url(url)  # taken as already encoded (see intercom_async._urls)
        self.headers = headers  # the dict sent, or the token callable producing it per attempt
        self.params = params
        self.limit = limit  # max_response_size for a body read into memory
        self.path = path  # for messages: the request path, without query string
        self.stream = stream
        self.operation_id = operation_id
        # what every attempt passes to aiohttp besides headers and trace context (no timeout: the session's)
        self.kwargs: dict[str, Any] = {"params": params, "data": data, "allow_redirects": False}
        if timeout is not None:
            self.kwargs["timeout"] = timeout

    async def run(self, session: aiohttp.ClientSession, request_headers: Any, attempt: int) -> RawResult:
        """Send and read the whole body inside ``async with``: on any exception or cancellation the connection
        is released or closed, never returned to the pool half read. A streamed 2xx is returned open."""
        started = time.monotonic()  # the result's elapsed: the exchange alone, without limiter waits
        # a RequestTrace only for a session with trace configs (aiohttp ignores it otherwise)
        trace = RequestTrace(self.operation_id, self.method, self.path, attempt) if session.trace_configs else None
        context = session.request(
            self.method, self.url, headers=request_headers, trace_request_ctx=trace, **self.kwargs
        )
        if not self.stream:
            async with context as resp:
                if _fits(resp, self.limit, self.method, self.path):
                    body = await resp.read()  # the usual answer: read in one go, no further coroutine
                else:
                    body = await _read_chunks(resp, self.limit, self.method, self.path)
                # redirects are not followed: without a query string the URL is the one requested, as given
                url = self.text if self.params is None else str(resp.url)
                return RawResult(resp.status, resp.reason, resp.headers, body, url, time.monotonic() - started, attempt)
        resp = await context
        try:
            if 200 <= resp.status < 300:
                return RawResult(
                    resp.status,
                    resp.reason,
                    resp.headers,
                    b"",
                    str(resp.url),
                    time.monotonic() - started,
                    attempt,
                    resp,
                )
            # an error or a redirect: read as usual, then retried or raised
            body = await read_limited(resp, self.limit, self.method, self.path)
        except BaseException:
            resp.close()
            raise
        resp.release()
        return RawResult(
            resp.status, resp.reason, resp.headers, body, str(resp.url), time.monotonic() - started, attempt
        )


async def read_limited(resp: aiohttp.ClientResponse, limit: int | None, method: str, path: str) -> bytes:
    """``resp``'s body, decoded (aiohttp decompresses as it reads), read in chunks and never more than ``limit``
    bytes of it: beyond, the response is closed and ``ResponseTooLargeError`` (naming ``method`` and ``path``)
    raised. A declared ``Content-Length`` above the limit (on a body sent as is) fails before any of the body
    is read; one within it is read in one go (aiohttp never reads past the declared length)."""
    if _fits(resp, limit, method, path):
        return await resp.read()
    return await _read_chunks(resp, limit, method, path)


def _fits(resp: aiohttp.ClientResponse, limit: int | None, method: str, path: str) -> bool:
    """True when the whole body may be read in one go: no limit, or a ``Content-Length`` within it on a body
    sent as is. A declared length above the limit closes the response and raises ``ResponseTooLargeError``;
    an undeclared length or an encoded body is ``False``: read it with ``_read_chunks``."""
    if limit is None:
        return True
    declared = resp.content_length
    if declared is None:
        return False
    encoding = resp.headers.get(hdrs.CONTENT_ENCODING)
    if encoding is not None and encoding.strip().lower() not in ("", "identity"):
        return False
    if declared <= limit:
        return True
    resp.close()
    raise _too_large(f"{method} {path}", resp.status, limit, 0, declared)


async def _read_chunks(resp: aiohttp.ClientResponse, limit: int | None, method: str, path: str) -> bytes:
    """The body read chunk by chunk, counted after decompression; past ``limit`` the response is closed and
    ``ResponseTooLargeError`` raised."""
    assert limit is not None
    declared = resp.content_length
    chunks: list[bytes] = []
    received = 0
    content = resp.content
    while True:
        chunk = await content.readany()
        if not chunk:
            break
        received += len(chunk)
        if received > limit:
            resp.close()
            raise _too_large(f"{method} {path}", resp.status, limit, received, declared)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(what: str, status: int, limit: int, received: int, declared: int | None) -> ResponseTooLargeError:
    if declared is not None and received == 0:
        detail = f"Content-Length {declared}"
    else:
        detail = f"stopped after {received} bytes"
    return ResponseTooLargeError(
        f"{what}: the {status} response body exceeds max_response_size ({limit} bytes; {detail}); "
        "read large bodies with with_streaming_response, or raise the limit",
        limit=limit,
        received=received,
        status_code=status,
        content_length=declared,
    )


def check_max_response_size(value: Any) -> int | None:
    """``value`` when it is a usable ``max_response_size`` (an int >= 1, or ``None`` for no limit)."""
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"max_response_size must be an int >= 1 (bytes) or None (no limit), got {value!r}")
    return value


def _map_error(method: str, path: str, exc: BaseException, elapsed: float, attempt: int) -> APIConnectionError:
    if isinstance(exc, asyncio.TimeoutError):
        error: APIConnectionError = APITimeoutError(f"{method} {path}: timed out after {elapsed:.2f}s")
    else:
        error = APIConnectionError(f"{method} {path}: {type(exc).__name__}: {_safe_reason(exc)}")
    error.retries = attempt
    return error


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


def _logged_remaining(headers: Mapping[str, str]) -> str:
    """``X-RateLimit-Remaining`` for the DEBUG line: the number only, never the raw header text."""
    remaining = parse_count(headers.get("X-RateLimit-Remaining"))
    return "-" if remaining is None else str(remaining)


def _safe_reason(exc: BaseException) -> str:
    """The exception text without anything that could echo request headers."""
    text = str(exc) or type(exc).__name__
    return text.split("\n", 1)[0][:200]
