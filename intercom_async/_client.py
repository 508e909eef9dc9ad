"""``BaseClient``: configuration, lifecycle and the one request path every operation goes through.

A versioned client (``intercom_async.v2_12.Intercom``, generated) subclasses it and adds one typed
attribute per resource group. ``_send`` takes a ``Request`` (built by a generated method, a pager or
``request()``), adds what only the client knows (base URL, ``Authorization``, ``Intercom-Version``, retry
policy), sends it through the ``Transport`` and returns an ``APIResponse`` or raises the typed error.
``_send_stream`` does the same for a streamed call and returns a ``StreamedResponse`` with the 2xx body unread.

Every ``IntercomError`` raised from a call goes through ``_errors.scrub`` with the tokens this client sent
recently (the last 8 a token callable produced), so no fragment of 8+ characters of a token survives in an
error's text, whatever server data it quotes. With ``strict="warn"`` each response is validated as in strict
mode, but a difference is logged once (WARNING) and counted in ``client.drift`` instead of raised.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, TypeVar
from urllib.parse import quote

import aiohttp

from ._errors import IntercomError, InvalidRequestError, StrictValidationError, error_for, redact, scrub
from ._operation import Operation
from ._pacing import resolve_rate_limiter
from ._request import Request, check_header
from ._response import APIResponse
from ._streaming import StreamedResponse
from ._transport import DEFAULT_MAX_RESPONSE_SIZE, RawResult, RetryPolicy, Transport
from ._types import UNSET, RequestOptions, TokenSource, Unset
from ._urls import normalise_base_url, resolve_link

if TYPE_CHECKING:
    from types import TracebackType

    from ._ratelimit import RateLimiter

_C = TypeVar("_C", bound="BaseClient")

REGIONS: dict[str, str] = {
    "us": "https://api.intercom.io",
    "eu": "https://api.eu.intercom.io",
    "au": "https://api.au.intercom.io",
}
USER_AGENT = "intercom-async/1.0.0"
RECENT_TOKENS = 8  # tokens of a token callable remembered to scrub them from error texts
MAX_DRIFT_KINDS = 1000  # distinct (operation, path, problem) entries kept in client.drift


class Drift(NamedTuple):
    """One kind of difference between a response and the spec (``strict="warn"``): the operation id, the
    JSON path with list indices as ``[*]``, and the problem (as ``StrictValidationError`` words it)."""

    operation: str
    path: str
    problem: str


_INDEX = re.compile(r"\[\d+\]")


class VersionInfo:
    """One pinned API version: header value, generated module, and the spec pin it was generated from."""

    __slots__ = ("name", "module", "commit", "path", "sha256")

    def __init__(self, *, name: str, module: str, commit: str, path: str, sha256: str) -> None:
        self.name = name
        self.module = module
        self.commit = commit
        self.path = path
        self.sha256 = sha256

    def load(self) -> Any:
        """Import and return the version package (``intercom_async.v2_12``)."""
        return importlib.import_module(self.module)

    def __repr__(self) -> str:
        return f"<VersionInfo {self.name} -> {self.module} @ {self.commit[:10]}>"


def load_client_class(versions: Mapping[str, VersionInfo], version: str) -> type[BaseClient]:
    info = versions.get(version)
    if info is None:
        raise ValueError(f"unknown Intercom API version {version!r}; this SDK has {list(versions)}")
    client_class: type[BaseClient] = importlib.import_module(info.module + ".client").Intercom
    return client_class


class BaseClient:
    """Shared core of the versioned clients. Construct through ``intercom_async.Intercom(...)``.

    Args:
        token: access token, or a sync/async callable returning one (called per attempt, for rotation).
            Defaults to the ``INTERCOM_TOKEN`` environment variable.
        version: API version; must match the class (``intercom_async.Intercom`` picks the class from it).
        region: ``"us"`` (default), ``"eu"`` or ``"au"``.
        base_url: overrides ``region`` (tests, proxies), e.g. ``"http://127.0.0.1:4010"``.
        timeout: total seconds per attempt (default 30); ``connect_timeout`` for establishing the connection
            (default 10). Either can be overridden per call (``request_options={"timeout": ..., "connect_timeout":
            ...}``); expiry raises ``APITimeoutError``.
        max_retries: retries after a retryable failure (default 2; see ``intercom_async._transport``).
        retry_policy: a ``RetryPolicy`` (backoff, caps); when given it replaces ``max_retries``.
        rate_limiter: ``None`` (default): adaptive pacing by ``X-RateLimit-*``, shared by the clients of one
            token in this process (``intercom_async._pacing``); a ``RateLimiter`` (``InProcessRateLimiter`` with
            an explicit budget, ``RedisRateLimiter`` for many processes) to use instead; ``False``: none.
        max_concurrency: at most this many requests of this client in flight at once. Default: no cap
            (aiohttp's pool allows 100 connections).
        logger: where the per-attempt DEBUG lines go (default ``logging.getLogger("intercom_async")``).
        session: an ``aiohttp.ClientSession`` to use (proxies, custom connectors); it is never closed here.
        strict: ``True``: validate every response against the spec and raise ``StrictValidationError`` on drift
            (and refuse undeclared fields in dict bodies). ``"warn"``: validate, but log each kind of drift once
            at WARNING on ``logger`` and count it in ``client.drift`` (a ``Counter`` of ``Drift``); never raise.
        max_response_size: the most bytes of (decoded) body one response may bring into memory (default 32
            MiB; ``None``: no limit); beyond it ``ResponseTooLargeError``, without reading further. Per call:
            ``request_options={"max_response_size": ...}``. Streamed reads (``with_streaming_response``) are
            not limited.
        trace_configs: aiohttp ``TraceConfig`` objects for the session the client creates (metrics,
            OpenTelemetry's aiohttp instrumentation); each attempt's ``trace_request_ctx`` is a
            ``RequestTrace`` (operation, method, path, attempt number). Not with ``session=``.
    """

    VERSION: ClassVar[str]
    MODULE: ClassVar[str]

    def __init__(
        self,
        token: TokenSource | None = None,
        *,
        version: str | None = None,
        region: str = "us",
        base_url: str | None = None,
        timeout: float | None = 30.0,
        connect_timeout: float | None = 10.0,
        max_retries: int = 2,
        session: aiohttp.ClientSession | None = None,
        strict: bool | Literal["warn"] = False,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        rate_limiter: RateLimiter | bool | None = None,
        max_concurrency: int | None = None,
        logger: logging.Logger | None = None,
        max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
        trace_configs: Sequence[aiohttp.TraceConfig] | None = None,
    ) -> None:
        if version is not None and version != self.VERSION:
            raise ValueError(
                f"{type(self).__module__}.{type(self).__name__} speaks Intercom API {self.VERSION}, not {version!r}; "
                "use intercom_async.Intercom(version=...) to pick the client for a version"
            )
        if token is None:
            token = os.environ.get("INTERCOM_TOKEN")
        if token is None or token == "":
            raise ValueError("an Intercom access token is required: pass token=... or set INTERCOM_TOKEN")
        if not isinstance(token, str) and not callable(token):
            raise TypeError(f"token must be a str or a callable returning one, not {type(token).__name__}")
        if base_url is None:
            key = region.lower() if isinstance(region, str) else region
            if key not in REGIONS:
                raise ValueError(f"unknown region {region!r}; expected one of {sorted(REGIONS)} (or pass base_url=)")
            base_url = REGIONS[key]
        if strict not in (True, False, "warn"):
            raise ValueError(f"strict must be True, False or 'warn', got {strict!r}")
        checked_headers = dict(
            check_header(name, value, "default_headers") for name, value in (default_headers or {}).items()
        )
        self._token = token
        self.region = region
        self.base_url = normalise_base_url(base_url)
        self.strict = strict
        self._strict = strict is True  # raise on drift; "warn" only observes
        # What every request carries. With a plain-string token that includes the Authorization header: the
        # transport sends them all (as its session's default headers), and a call adds only its own headers.
        static_headers = {
            "Intercom-Version": self.VERSION,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            **checked_headers,
        }
        self._token_is_fixed = isinstance(token, str)
        if self._token_is_fixed:
            static_headers["Authorization"] = f"Bearer {token}"
        self._policy = retry_policy or RetryPolicy(max_retries)
        self._transport = Transport(
            session=session,
            timeout=timeout,
            connect_timeout=connect_timeout,
            rate_limiter=resolve_rate_limiter(rate_limiter, token, self.base_url),  # default: adaptive pacing
            max_concurrency=max_concurrency,
            logger=logger,
            max_response_size=max_response_size,
            trace_configs=trace_configs,
            headers=static_headers,
        )
        self._logger = logger if logger is not None else logging.getLogger("intercom_async")
        # only to scrub them from error texts; never shown
        self._recent_tokens: deque[str] = deque(maxlen=RECENT_TOKENS)
        self.drift: Counter[Drift] = Counter()  # strict="warn": how often each kind of drift was seen

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self: _C) -> _C:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session (if this client created it). Safe to call more than once."""
        await self._transport.aclose()

    @property
    def closed(self) -> bool:
        return self._transport.closed

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} version={self.VERSION!r} base_url={self.base_url!r}>"

    # ------------------------------------------------------------------ requests

    async def _auth_headers(self) -> dict[str, str]:
        """The Authorization header for the next attempt, from the token callable (a string token's header is
        one of the transport's fixed headers)."""
        source = self._token
        assert not isinstance(source, str)  # a string token's header is the transport's: never asked for here
        produced = source()
        token = produced if isinstance(produced, str) else await produced
        if not isinstance(token, str) or not token:
            raise TypeError("the token callable must return a non-empty str")
        recent = self._recent_tokens
        if not recent or recent[-1] != token:
            if token in recent:
                recent.remove(token)
            recent.append(token)
        return {"Authorization": f"Bearer {token}"}

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        headers: Mapping[str, str] | None = None,
        request_options: RequestOptions | None = None,
    ) -> APIResponse[Any]:
        """Call an endpoint this version does not describe, through the same auth, version header, retries,
        rate limiter, logging and typed errors: ``await client.request("GET", "/contacts/123/notes")``.

        ``path`` is a path under the base URL (``/...``; percent-encode values you insert into it, or build
        it with ``urllib.parse.quote``); ``query`` and ``body`` are encoded as for any operation (the body as
        JSON, unchecked). Non-2xx raises the typed ``APIError``; the result is the ``APIResponse`` (``.json()``,
        ``.parsed`` is the decoded JSON).
        """
        verb = method.upper() if isinstance(method, str) else method
        if verb not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            raise InvalidRequestError(f"request(): unsupported HTTP method {method!r}")
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("//") or "?" in path or "#" in path:
            raise InvalidRequestError(
                f"request(): path must be an absolute path such as '/contacts' (no host, query or fragment), got {path!r}"
            )
        encoded = quote(path, safe="/%:@!$&'()*+,;=-._~")
        url = resolve_link(self.base_url, "./" + encoded[1:])  # under the base URL's path, as operations are
        if url is None or url.rstrip("/") == self.base_url:
            raise InvalidRequestError(f"request(): {path!r} does not stay under the base URL {self.base_url}")
        op = Operation(
            operation_id="request",
            method=verb,
            path=url[len(self.base_url) :],
            tag="",
            resource="",
            name="request",
            responses=(),
        )
        response: APIResponse[Any] = await self._send(
            Request(op, query=query, headers=headers, body=body, options=request_options)
        )
        return response

    async def _send(self, request: Request, parsed: bool = False) -> Any:
        """Send ``request`` and return the ``APIResponse`` (``parsed=True``: its parsed result); non-2xx raises
        the typed ``APIError``. The body is parsed before returning, so a bad body fails the call, not a later
        attribute access."""
        used: list[str] = []  # the tokens this call sent (a token callable may rotate between attempts)
        try:
            sending, path = self._transmit(request, used, False)
            result = await sending
            status = result.status
            response: APIResponse[Any] | None = None
            if not (parsed and 200 <= status < 300 and self.strict != "warn"):
                # the usual call skips this: its parsed result is all the caller gets, so no APIResponse
                response = self._response(request, result, path)
                if not 200 <= status < 300 and not _documented_redirect(request.operation, status):
                    raise error_for(response)
                if self.strict == "warn":
                    self._observe_drift(response)
            try:
                if response is None:
                    return request.operation.parse(status, result.body, strict=self._strict)
                value = response.parsed
            except IntercomError as exc:
                if getattr(exc, "response", UNSET) is None:
                    if response is None:
                        response = self._response(request, result, path)
                    exc.response = response  # type: ignore[attr-defined]
                raise
            return value if parsed else response
        except IntercomError as exc:
            self._scrubbed(exc, used)
            raise

    async def _send_stream(self, request: Request) -> StreamedResponse[Any]:
        """Send ``request`` and return its 2xx response with the body unread (retries happen only before the
        headers of a 2xx arrive); non-2xx raises the typed ``APIError``. The caller closes the response."""
        used: list[str] = []
        try:
            sending, path = self._transmit(request, used, True)
            result = await sending
            if result.stream is None:  # an error (raised below) or a documented redirect (its body is read)
                response = self._response(request, result, path)
                if not 200 <= result.status < 300 and not _documented_redirect(request.operation, result.status):
                    raise error_for(response)
        except IntercomError as exc:
            self._scrubbed(exc, used)
            raise
        options = request.options or {}
        limit = options["max_response_size"] if "max_response_size" in options else self._transport.max_response_size
        return StreamedResponse(
            status_code=result.status,
            reason=result.reason,
            headers=result.headers,
            method=request.operation.method,
            path=path,
            url=result.url,
            elapsed=result.elapsed,
            retries=result.retries,
            operation=request.operation if request.operation.responses else None,
            stream=result.stream,
            content=result.body,
            max_response_size=limit,
            strict=self._strict,
            scrub=lambda exc: self._scrubbed(exc, used),
        )

    def _transmit(self, request: Request, used: list[str], stream: bool) -> tuple[Awaitable[RawResult], str]:
        """Prepare ``request`` (no I/O) and return the transport's send of it, to await, and the request path (for
        messages). With a token callable, the token of every attempt is appended to ``used`` (to scrub it from
        this call's errors). The headers every request carries (a string token's included) are the transport's:
        a call passes only its own."""
        op = request.operation
        path, params, data, extra_headers = request.prepare(strict=self._strict)
        headers: Mapping[str, str] | Callable[[], Awaitable[dict[str, str]]]
        if self._token_is_fixed:  # a string token: the transport adds it; no callable, no await per attempt
            headers = extra_headers
        else:

            async def headers() -> dict[str, str]:
                h = await self._auth_headers()
                used.append(h["Authorization"][7:])  # after "Bearer ": scrubbed from this call's errors
                h.update(extra_headers)
                return h

        url = request.url or self.base_url + path
        options = request.options
        policy = self._policy
        timeout = connect_timeout = None
        limit: int | None | Unset = UNSET
        if options is not None:  # per-call overrides; else the client's policy, timeouts and size limit
            if "max_retries" in options:
                policy = policy.with_max_retries(options["max_retries"])
            timeout = options.get("timeout")
            connect_timeout = options.get("connect_timeout")
            if "max_response_size" in options:
                limit = options["max_response_size"]
        sending = self._transport.send(
            op.method,
            url,
            headers=headers,
            params=params,
            data=data,
            policy=policy,
            timeout=timeout,
            connect_timeout=connect_timeout,
            log_path=path,
            max_response_size=limit,
            stream=stream,
            operation_id=op.operation_id,
        )
        return sending, path

    def _response(self, request: Request, result: RawResult, path: str) -> APIResponse[Any]:
        op = request.operation
        return APIResponse(
            result.status,
            result.reason,
            result.headers,
            result.body,
            op.method,
            path,
            result.url,
            result.elapsed,
            result.retries,
            op,
            self._strict,
        )

    def _observe_drift(self, response: APIResponse[Any]) -> None:
        """``strict="warn"``: validate the body as strict mode would; a difference is recorded, never raised.
        A body that validates keeps the result of that parse (no second decode)."""
        op = response.operation
        if not isinstance(op, Operation) or not op.responses or not response.content:
            return
        if not 200 <= response.status_code < 300:
            return  # a documented redirect: its result is the Location, nothing to validate
        try:
            parsed = op.parse(response.status_code, response.content, strict=True)
        except StrictValidationError as exc:
            self._record_drift(op, exc.path, exc.problem)
            return
        except IntercomError:
            return  # not JSON at all: the tolerant parse raises its own InvalidResponseError
        response._parsed = parsed

    def _record_drift(self, op: Operation, path: str, problem: str) -> None:
        secrets = self._secrets()
        key = Drift(op.operation_id, _INDEX.sub("[*]", redact(path, secrets)), redact(problem, secrets))
        drift = self.drift
        if key not in drift and len(drift) >= MAX_DRIFT_KINDS:
            key = Drift(op.operation_id, "*", f"more than {MAX_DRIFT_KINDS} kinds of drift; not itemised")
        drift[key] += 1
        if drift[key] == 1:
            self._logger.warning(
                "response drift from the spec: %s (%s %s) %s: %s (logged once per kind; counted in client.drift)",
                key.operation,
                op.method,
                op.path,
                key.path,
                key.problem,
            )

    def _secrets(self, used: Sequence[str] = ()) -> list[str]:
        recent = [*used, *self._recent_tokens]
        return [self._token, *recent] if isinstance(self._token, str) else recent

    def _scrubbed(self, exc: IntercomError, used: Sequence[str] = ()) -> IntercomError:
        """``exc`` with the token (and anything shaped like credentials) removed from its text, partial tokens
        included: a proxy's error page, a malformed status line or a strict-mode message may quote the
        request's ``Authorization`` header. ``used``: the tokens the call sent, besides the recent ones."""
        scrub(exc, self._secrets(used))
        return exc


def _documented_redirect(op: Operation, status: int) -> bool:
    """A 3xx the operation documents (Unstable ``GET /calls/{id}/recording`` answers 302 with the recording's
    URL) is its result, not an error; redirects are never followed, so the token stays on our host."""
    if not 300 <= status < 400:
        return False
    spec = op.response_spec(status)
    return spec is not None and spec[0] != "default"
