"""``FakeIntercom``: a fake Intercom REST API on 127.0.0.1 for one API version, for your tests.

It routes every request to its operation through the version's ``OPERATIONS`` registry and answers:

1. a fault registered with ``fail`` / ``slow`` / ``drop_connection``, in the order registered;
2. ``429 rate_limit_exceeded`` beyond ``rate_limit`` requests per ``rate_window`` seconds (every answer
   carries ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` and ``X-Request-Id``, like Intercom's);
3. ``401`` without ``Authorization: Bearer <fake.token>``, ``400`` for another ``Intercom-Version``,
   ``404`` for a route the version does not have, ``400`` for a missing required query parameter;
4. ``422`` with Intercom's error shape (``errors[0].field`` naming it) for a JSON body that does not match the
   spec: an undeclared or misspelt field, a wrong type, an unknown enum value, a missing required field;
5. what the test registered with ``respond`` (a body, or a handler), newest first;
6. for a paginated operation, the page the request asks for, over the items registered with ``items`` (by
   default the documented page's items), in the operation's paging style;
7. otherwise the spec's documented example, or a minimal valid body built from the model's field table.

Every request is recorded (``fake.requests``, ``requests_for(operation)``) before it is answered, so a test can
count exactly what reached the server. ``deliver`` posts a signed webhook notification to your receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

import orjson
from aiohttp import ClientSession, ClientTimeout, web

from .._codec import dump, validate_descriptor
from .._codec import validate as validate_model
from .._errors import InvalidRequestError, StrictValidationError
from .._json import loads
from .._operation import Operation, Registry
from .._versions import DEFAULT_VERSION, VERSIONS, ClientFactory, VersionT
from ..webhooks import SIGNATURE_HEADER, sign
from . import _data
from ._limits import Stats, Windows, _number, _unix

if TYPE_CHECKING:
    from .._client import BaseClient
    from ._served import WorkspaceAPI
    from ._workspace import Workspace

__all__ = ["Delivery", "FakeIntercom", "Handler", "RecordedRequest", "Rule"]

Handler = Callable[["RecordedRequest"], Awaitable[Any]]
# which requests a registration applies to: path/query parameter values, or a predicate on the request
Match = Mapping[str, Any] | Callable[["RecordedRequest"], bool]
_UNSET: Any = object()
_PAGING_PARAMS = frozenset({"page", "per_page", "starting_after", "scroll_param"})
_ERROR_CODES = {
    400: "parameter_invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    422: "parameter_invalid",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class RecordedRequest:
    """One request the fake received. ``operation_id`` is ``None`` for a route the version does not have.

    ``query`` keeps the last value of each parameter (``query_items`` all of them), ``json`` the decoded body
    (``None`` when empty or not JSON); ``status`` and ``response`` are what the fake answered (``status`` is
    ``None`` when the connection was dropped). The repr never shows headers (they hold the token)."""

    __slots__ = (
        "at",
        "body",
        "fault",
        "headers",
        "json",
        "method",
        "operation",
        "operation_id",
        "path",
        "path_params",
        "query",
        "query_items",
        "raw",
        "response",
        "status",
    )

    def __init__(self, raw: web.Request, body: bytes, operation: Operation | None, path_params: dict[str, str]):
        self.raw = raw  # the aiohttp request (for handlers that need the transport)
        self.method = raw.method
        self.path = raw.path
        self.query_items = list(raw.query.items())
        self.query = dict(self.query_items)  # the last value of a repeated parameter
        self.headers: Mapping[str, str] = raw.headers  # case-insensitive
        self.body = body
        try:
            self.json: Any = loads(body) if body else None  # bounded: hostile nesting is not JSON here
        except ValueError:
            self.json = None
        self.operation = operation
        self.operation_id = operation.operation_id if operation is not None else None
        self.path_params = path_params
        self.at = time.monotonic()
        self.status: int | None = None
        self.response: Any = None
        self.fault: str | None = None

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.path} {self.operation_id} -> {self.status}>"


class Delivery:
    """What ``deliver`` sent and what the receiver answered."""

    __slots__ = ("body", "notification", "response_body", "signature", "status")

    def __init__(self, notification: dict[str, Any], body: bytes, signature: str | None, status: int, answer: bytes):
        self.notification = notification  # the JSON object sent
        self.body = body  # its exact bytes (what the signature covers)
        self.signature = signature  # the X-Hub-Signature value sent (None: unsigned)
        self.status = status  # the receiver's answer
        self.response_body = answer

    def __repr__(self) -> str:
        return f"<Delivery {self.notification.get('topic')} {self.notification.get('id')} -> {self.status}>"


class _Reply:
    __slots__ = ("body", "content_type", "headers", "recorded", "status")

    def __init__(self, status: int, body: bytes, content_type: str | None, headers: Mapping[str, str] | None = None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.recorded: Any = None


def _json_reply(status: int, value: Any, headers: Mapping[str, str] | None = None) -> _Reply:
    data = dump(value)
    reply = _Reply(status, json.dumps(data).encode(), "application/json; charset=utf-8", headers)
    reply.recorded = data
    return reply


def _fast_json_reply(status: int, value: Any) -> _Reply:
    """A JSON answer of plain JSON data (the workspace's bodies: no models to dump, encoded once)."""
    reply = _Reply(status, orjson.dumps(value), "application/json; charset=utf-8")
    reply.recorded = value
    return reply


def _content(value: Any, status: int, content_type: str | None, headers: Mapping[str, str] | None) -> _Reply:
    if isinstance(value, (bytes, bytearray)):
        reply = _Reply(status, bytes(value), content_type or "application/octet-stream", headers)
        reply.recorded = bytes(value)
        return reply
    if isinstance(value, str) and content_type is not None:
        reply = _Reply(status, value.encode(), content_type, headers)
        reply.recorded = value
        return reply
    return _json_reply(status, value, headers)


class Rule:
    """A registered answer or fault. ``remaining`` is ``None`` for "every time"; ``used`` counts the requests
    it answered."""

    __slots__ = ("kind", "match", "op_id", "options", "predicate", "remaining", "used")

    def __init__(self, kind: str, op_id: str | None, times: int | None, match: Match | None, **options: Any) -> None:
        if times is not None and (not isinstance(times, int) or times < 1):
            raise InvalidRequestError(f"times must be a positive int or None (every time), got {times!r}")
        self.kind = kind
        self.op_id = op_id
        self.remaining = times
        self.predicate = match if callable(match) else None
        self.match = dict(match) if match is not None and not callable(match) else {}
        self.options = options
        self.used = 0

    def applies(self, rec: RecordedRequest) -> bool:
        if self.remaining == 0:
            return False
        if self.op_id is not None and rec.operation_id != self.op_id:
            return False
        if self.predicate is not None:
            return bool(self.predicate(rec))
        for key, value in self.match.items():
            got = rec.path_params.get(key, rec.query.get(key))
            if got != str(value):
                return False
        return True

    def take(self) -> None:
        self.used += 1
        if self.remaining is not None:
            self.remaining -= 1

    def __repr__(self) -> str:
        left = "always" if self.remaining is None else f"{self.remaining} left"
        return f"<Rule {self.kind} {self.op_id or '*'} ({left}, used {self.used})>"


def _route_regex(template: str) -> tuple[re.Pattern[str], list[str]]:
    names: list[str] = []
    parts = []
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            names.append(piece[1:-1])
            parts.append(f"(?P<p{len(names) - 1}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("^" + "".join(parts) + "/?$"), names


class FakeIntercom(ClientFactory[VersionT]):
    """A fake Intercom API for ``version`` on 127.0.0.1 (see the module docstring for what it answers).

    Use it as an async context manager (or ``await fake.start()`` / ``await fake.close()``); ``fake.client()``
    gives a client pointed at it, closed with the fake, typed per version as ``Intercom(version=...)`` is
    (``FakeIntercom("2.12").client()`` is an ``intercom_async.v2_12.Intercom``; annotate a fake of any
    version as ``FakeIntercom[str]``). The pytest plugin's ``intercom_fake`` fixture is one.

    Args:
        version: API version to serve (default ``intercom_async.DEFAULT_VERSION``).
        token: the access token it accepts (default: a random one, ``fake.token``); ``accept_any_token``: let
            in any ``Bearer`` token (tests of token rotation).
        validate: check request bodies and required query parameters against the spec (default True).
        use_examples: answer with the documented examples (default); False: minimal valid bodies only (they
            pass a strict client's validation, which some of Intercom's own examples do not).
        rate_limit / rate_window: requests allowed per app (per bearer token) per fixed window of seconds
            (default 10,000 per 60 s); ``workspace_limit``: requests allowed in the same window to all apps
            together (default: no such limit). ``stats`` counts requests per window and the 429s answered.
        latency: seconds the fake waits before answering each request (default 0).
        workspace: a ``Workspace`` whose records the fake serves (search, lists, single records, the
            companies scroll, ``/me``; see ``intercom_async.testing.Workspace``); ``scroll_ttl``: seconds
            (workspace clock) before an unused companies scroll expires (default 60).
        per_page / max_per_page: page size when a paginated request names none (50), and the cap Intercom
            applies to ``per_page`` (150).
    """

    def __init__(
        self,
        version: VersionT | None = None,
        *,
        token: str | None = None,
        accept_any_token: bool = False,
        validate: bool = True,
        use_examples: bool = True,
        rate_limit: int = 10_000,
        rate_window: float = 60.0,
        workspace_limit: int | None = None,
        latency: float = 0.0,
        workspace: Workspace | None = None,
        scroll_ttl: float = 60.0,
        per_page: int = 50,
        max_per_page: int = 150,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        name: str = DEFAULT_VERSION if version is None else version
        info = VERSIONS.get(name)
        if info is None:
            raise InvalidRequestError(f"unknown Intercom API version {name!r}; this SDK has {list(VERSIONS)}")
        if rate_limit < 1 or not rate_window > 0:
            raise InvalidRequestError("rate_limit must be >= 1 and rate_window > 0")
        if workspace_limit is not None and workspace_limit < 1:
            raise InvalidRequestError("workspace_limit must be >= 1 (or None: no workspace limit)")
        if not latency >= 0 or not scroll_ttl > 0:
            raise InvalidRequestError("latency must be >= 0 and scroll_ttl > 0 seconds")
        self.version = name
        package = info.load()
        self.operations: Registry = package.OPERATIONS
        self.models: Any = package.models
        self.token = token if token is not None else "tok_fake_" + secrets.token_hex(12)
        self.validate = validate
        self.accept_any_token = accept_any_token
        self.use_examples = use_examples
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.per_page = per_page
        self.max_per_page = max_per_page
        self.scroll_ttl = scroll_ttl  # an open scroll expires after this many idle seconds, like Intercom's
        self.workspace_limit = workspace_limit
        self.latency = latency
        self.workspace = workspace
        self._tokens = {self.token}  # the apps (private app tokens) on this workspace: see new_token()
        self._served: WorkspaceAPI | None = None
        if workspace is not None:
            from ._served import WorkspaceAPI

            self._served = WorkspaceAPI(
                name,
                self.operations,
                self.models,
                workspace,
                use_examples=use_examples,
                scroll_ttl=lambda: self.scroll_ttl,
                scroll_size=lambda: self.per_page,
            )
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.deliveries: list[Delivery] = []
        self._rules: list[Rule] = []  # faults, in registration order
        self._answers: list[Rule] = []  # registered answers, newest last (searched newest first)
        self._pagers: dict[str, _data.Pager] = {}
        self._routes = self._build_routes()
        self._runner: web.AppRunner | None = None
        self._clients: list[BaseClient] = []
        self._session: ClientSession | None = None
        self._windows = Windows(
            lambda: self.rate_window, lambda: self.rate_limit, lambda: self.workspace_limit, time.time()
        )  # windows start at the fake's start

    def __repr__(self) -> str:
        state = self.base_url if self._runner is not None else "not started"
        return f"<FakeIntercom {self.version} {state}, {len(self.requests)} requests>"

    # ------------------------------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("the fake Intercom is not started: use `async with FakeIntercom(...)` or await start()")
        return f"http://{self.host}:{self.port}"

    async def start(self) -> str:
        """Listen on ``host`` (a free port unless ``port`` was given); returns the base URL."""
        if self._runner is None:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
            await runner.setup()
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            self._runner = runner
            self.port = int(runner.addresses[0][1])
            self._windows.restart(time.time())
        return self.base_url

    async def close(self) -> None:
        """Close the clients made by ``client()``, the delivery session, then the server."""
        clients, self._clients = self._clients, []
        for client in clients:
            await client.aclose()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeIntercom[VersionT]:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def stats(self) -> Stats:
        """Request counters: ``max_window`` (most requests in one rate window, all apps), ``max_app_window``,
        ``windows``, ``limited`` (429s answered by the limits), ``requests``; ``stats.reset()`` clears them."""
        return self._windows.stats

    def new_token(self) -> str:
        """Accept one more access token: another private app on the same workspace, with its own per-app
        window (the ``workspace_limit`` is shared). Returns the token."""
        token = "tok_fake_" + secrets.token_hex(12)
        self._tokens.add(token)
        return token

    def _client(self, **options: Any) -> BaseClient:  # ``fake.client(...)``, typed per version by ClientFactory
        """An ``intercom_async.Intercom`` client of this version pointed at the fake (closed by ``close()``);
        ``options`` are the client's own (``max_retries``, ``retry_policy``, ``strict``, ...)."""
        from .._versions import Intercom

        options.setdefault("base_url", self.base_url)
        client = Intercom(options.pop("token", self.token), version=self.version, **options)
        self._clients.append(client)
        return client

    # ------------------------------------------------------------------------------------------ registration

    def operation(self, ref: str | Operation) -> Operation:
        """The operation named by operationId (``"ShowContact"``), SDK name (``"contacts.find"``) or itself."""
        if isinstance(ref, Operation):
            return self.operations[ref.operation_id]
        if not isinstance(ref, str):
            raise InvalidRequestError(f"an operation is named by a str or an Operation, not {type(ref).__name__}")
        if ref in self.operations:
            return self.operations[ref]
        for op in self.operations.values():
            if op.qualname == ref:
                return op
        raise InvalidRequestError(f"Intercom API {self.version} has no operation {ref!r} (operationId or SDK name)")

    def _op_id(self, ref: str | Operation | None, match: Match | None = None) -> str | None:
        """The operationId of ``ref`` (``None``: any operation); checks that ``match`` names its parameters."""
        if ref is None:
            return None
        op = self.operation(ref)
        if match is not None and not callable(match):
            known = {name for _py, name, _where, _required in op.params} | _PAGING_PARAMS
            unknown = sorted(str(key) for key in match if key not in known)
            if unknown:
                raise InvalidRequestError(
                    f"match names {unknown}, not parameters of {op.operation_id} ({op.method} {op.path}): "
                    f"{sorted(known)}"
                )
        return op.operation_id

    def example(self, operation: str | Operation) -> Any:
        """A copy of the documented example the fake answers ``operation`` with (``None`` when it has none)."""
        found = _data.example(self.version, self.operation(operation).operation_id)
        return None if found is None else found[1]

    def respond(
        self,
        operation: str | Operation,
        body: Any = _UNSET,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        handler: Handler | None = None,
        match: Match | None = None,
        times: int | None = None,
    ) -> Rule:
        """Answer ``operation`` with ``body`` (JSON data or a model; ``bytes``, or ``str`` with a
        ``content_type``, as is) and ``status`` (default: the operation's documented success status), or with
        ``handler(recorded_request)``, an async function returning an ``aiohttp.web.StreamResponse`` or JSON
        data. ``match`` limits it to requests with these path or query parameter values (a mapping), or for
        which ``match(recorded_request)`` is true; ``times`` to the next so many requests (default: every
        one). The newest matching registration wins."""
        op_id = self._op_id(operation, match)
        if (body is _UNSET) == (handler is None):
            raise InvalidRequestError("respond() takes a body or a handler (one of them)")
        rule = Rule(
            "respond",
            op_id,
            times,
            match,
            body=body,
            status=status,
            headers=headers,
            content_type=content_type,
            handler=handler,
        )
        self._answers.append(rule)
        return rule

    def items(
        self,
        operation: str | Operation,
        items: Sequence[Any],
        *,
        per_page: int | None = None,
        max_per_page: int | None = None,
    ) -> None:
        """Serve ``items`` (JSON objects or models) as the pages of the paginated ``operation``."""
        op = self.operation(operation)
        if op.pagination is None:
            raise InvalidRequestError(f"{op.operation_id} (client.{op.qualname}) is not paginated")
        self._pagers[op.operation_id] = self._pager(op, items, per_page, max_per_page)

    def cursor_at(self, operation: str | Operation, offset: int) -> str:
        """The ``starting_after`` cursor the fake hands out for the page of ``operation`` (a cursor-paged one)
        that starts at ``items[offset]`` (``offset`` from 1 to the number of items; the first page has none)."""
        op = self.operation(operation)
        if op.pagination is None or op.pagination.shape not in ("cursor", "body_cursor"):
            raise InvalidRequestError(f"{op.operation_id} (client.{op.qualname}) is not cursor-paged")
        pager = self._pagers.get(op.operation_id)
        if pager is None:
            pager = self._pagers[op.operation_id] = self._pager(op, None, None, None)
        if not 0 < offset <= len(pager.items):
            raise InvalidRequestError(f"offset must be in 1..{len(pager.items)} (the items of {op.operation_id})")
        return _data.cursor_for(pager.items, offset)

    def _pager(self, op: Operation, items: Sequence[Any] | None, per_page: int | None, cap: int | None) -> _data.Pager:
        documented = _data.example(self.version, op.operation_id) if self.use_examples else None
        if documented is not None:
            template = documented[1]
        else:  # a minimal page of the documented response model
            spec = op.response_spec(_success_status(op, self.version, False))
            template = _data.sample(spec[2], self.models) if spec is not None and spec[1] == "json" else None
        if items is None:
            items = _data.template_items(op, template)
        return _data.Pager(
            op,
            items,
            per_page=per_page or self.per_page,
            max_per_page=self.max_per_page if cap is None else cap,
            template=template,
            scroll_ttl=lambda: self.scroll_ttl,
        )

    # ------------------------------------------------------------------------------------------ faults

    def fail(
        self,
        operation: str | Operation | None = None,
        *,
        status: int = 500,
        times: int | None = 1,
        code: str | None = None,
        message: str | None = None,
        reset_in: float | None = None,
        retry_after: float | None = None,
        body: Any = _UNSET,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        match: Match | None = None,
    ) -> Rule:
        """Answer the next ``times`` requests of ``operation`` (``None``: any) with an error: Intercom's error
        shape with ``code`` (default by status: ``rate_limit_exceeded`` for 429, ``server_error`` for 500, ...)
        and ``message``, or ``body`` as given. A 429 carries ``X-RateLimit-Remaining: 0`` and
        ``X-RateLimit-Reset`` ``reset_in`` seconds ahead (default 1; the exact time, where Intercom rounds
        to whole seconds); ``retry_after`` adds ``Retry-After``."""
        rule = Rule(
            "fail",
            self._op_id(operation, match),
            times,
            match,
            status=status,
            code=code or _ERROR_CODES.get(status, "server_error" if status >= 500 else "parameter_invalid"),
            message=message,
            reset_in=reset_in,
            retry_after=retry_after,
            body=body,
            headers=headers,
            content_type=content_type,
        )
        self._rules.append(rule)
        return rule

    def slow(
        self,
        operation: str | Operation | None = None,
        *,
        delay: float,
        where: Literal["body", "headers"] = "body",
        times: int | None = 1,
        match: Match | None = None,
    ) -> Rule:
        """Answer the next ``times`` requests normally but slowly: ``where="body"`` sends the headers and half
        the body, then the rest after ``delay`` seconds; ``"headers"`` waits ``delay`` before answering."""
        if where not in ("body", "headers"):
            raise InvalidRequestError(f"where must be 'body' or 'headers', not {where!r}")
        rule = Rule("slow", self._op_id(operation, match), times, match, delay=delay, where=where)
        self._rules.append(rule)
        return rule

    def drop_connection(
        self,
        operation: str | Operation | None = None,
        *,
        where: Literal["before_response", "mid_body"] = "before_response",
        times: int | None = 1,
        match: Match | None = None,
    ) -> Rule:
        """Close the connection of the next ``times`` requests: before anything is sent back, or
        (``"mid_body"``) after the headers and part of the body."""
        if where not in ("before_response", "mid_body"):
            raise InvalidRequestError(f"where must be 'before_response' or 'mid_body', not {where!r}")
        rule = Rule("drop", self._op_id(operation, match), times, match, where=where)
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forget the recorded requests and deliveries (registrations and faults stay)."""
        self.requests.clear()
        self.deliveries.clear()

    def clear_faults(self) -> None:
        self._rules.clear()

    # ------------------------------------------------------------------------------------------ records

    def requests_for(self, operation: str | Operation) -> list[RecordedRequest]:
        """The recorded requests of ``operation``, oldest first."""
        op_id = self.operation(operation).operation_id
        return [r for r in self.requests if r.operation_id == op_id]

    def count(self, operation: str | Operation | None = None) -> int:
        """How many requests reached the fake (of ``operation``, if given)."""
        return len(self.requests) if operation is None else len(self.requests_for(operation))

    # ------------------------------------------------------------------------------------------ webhooks

    async def deliver(
        self,
        url: str,
        topic: str,
        item: Any,
        secret: str | bytes | None,
        *,
        notification_id: str | None = None,
        app_id: str = "fakeapp1",
        delivery_attempts: int = 1,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Delivery:
        """POST a webhook notification about ``item`` (JSON object or model) with ``topic`` to ``url``, as
        Intercom does: compact JSON, ``X-Hub-Signature: sha1=`` HMAC of the body with ``secret`` (the app's
        client secret; ``None`` sends it unsigned). Returns the ``Delivery`` (the receiver's status)."""
        now = int(time.time())
        notification = {
            "type": "notification_event",
            "app_id": app_id,
            "data": {"type": "notification_event_data", "item": dump(item)},
            "links": {},
            "id": notification_id or "notif_" + secrets.token_hex(16),
            "topic": topic,
            "delivery_status": "pending",
            "delivery_attempts": delivery_attempts,
            "delivered_at": 0,
            "first_sent_at": now,
            "created_at": now,
            "self": None,
        }
        body = json.dumps(notification, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        sent = {"Content-Type": "application/json", "User-Agent": "intercom-async-fake-webhooks"}
        signature = sign(body, secret) if secret is not None else None
        if signature is not None:
            sent[SIGNATURE_HEADER] = signature
        sent.update(headers or {})
        if self._session is None:
            self._session = ClientSession()
        async with self._session.post(url, data=body, headers=sent, timeout=ClientTimeout(total=timeout)) as resp:
            answer = await resp.read()
            delivery = Delivery(notification, body, signature, resp.status, answer)
        self.deliveries.append(delivery)
        return delivery

    # ------------------------------------------------------------------------------------------ serving

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], list[str], Operation]]:
        routes = []
        for op in self.operations.values():
            regex, names = _route_regex(op.path)
            routes.append((op.method, regex, names, op))
        # literal segments before parameters: /companies/scroll wins over /companies/{company_id}
        routes.sort(key=lambda r: (r[3].path.count("{"), -r[3].path.count("/"), r[3].path))
        return routes

    def _route(self, method: str, raw_path: str) -> tuple[Operation | None, dict[str, str]]:
        """The operation of a request and its path parameters (decoded), or ``(None, {})``."""
        for op_method, regex, names, op in self._routes:
            found = regex.match(raw_path) if op_method == method else None
            if found is not None:
                return op, {name: unquote(found.group(f"p{i}")) for i, name in enumerate(names)}
        return None, {}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        raw_path = request.raw_path.split("?", 1)[0]
        op, path_params = self._route(request.method, raw_path)
        rec = RecordedRequest(request, body, op, path_params)
        self.requests.append(rec)
        rid = _data.request_id()
        limits, over = self._windows.count(rec.authorization or "", time.time())
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        rule = next((r for r in self._rules if r.applies(rec)), None)
        if rule is not None:
            rule.take()
            rec.fault = rule.kind if rule.kind != "fail" else f"fail {rule.options['status']}"
            if rule.kind == "drop":
                return await self._drop(request, rec, rule.options["where"], rid)
        if rule is not None and rule.kind == "fail":
            reply = self._failure(rule, rid)
            if self._served is not None and op is not None and reply.status >= 500:
                if op.operation_id == "scrollOverAllCompanies":
                    self._served.scroll_failed(rec)  # Intercom: "Please restart the scroll operation"
        elif over:
            limit = self.rate_limit if over == "app" else self.workspace_limit
            message = f"Exceeded rate limit of {limit} in {_number(self.rate_window)} seconds"
            if over == "workspace":
                message += " for this workspace (all its apps)"
            reply = self._error(429, "rate_limit_exceeded", message, rid)
        else:
            try:
                reply = await self._answer(rec, op, rid)
            except _Direct as direct:
                rec.status = direct.response.status
                return direct.response
        for key, value in limits.items():
            reply.headers.setdefault(key, value)
        if rule is not None and rule.kind == "slow":
            return await self._send(request, rec, reply, rid, slow=(rule.options["delay"], rule.options["where"]))
        return await self._send(request, rec, reply, rid)

    def _failure(self, rule: Rule, rid: str) -> _Reply:
        o = rule.options
        status: int = o["status"]
        headers = {"X-Request-Id": rid}
        if status == 429:
            reset_in = 1.0 if o["reset_in"] is None else float(o["reset_in"])
            headers.update(
                {
                    "X-RateLimit-Limit": str(self.rate_limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": _unix(time.time() + reset_in),
                }
            )
        if o["retry_after"] is not None:
            headers["Retry-After"] = _number(float(o["retry_after"]))
        headers.update(o["headers"] or {})
        if o["body"] is not _UNSET:
            return _content(o["body"], status, o["content_type"], headers)
        message = o["message"] or _default_message(status, o["code"], self.rate_limit)
        return _json_reply(status, _data.error_body(o["code"], message, rid=rid), headers)

    def _error(self, status: int, code: str, message: str, rid: str, field: str | None = None) -> _Reply:
        return _json_reply(status, _data.error_body(code, message, field=field, rid=rid))

    async def _answer(self, rec: RecordedRequest, op: Operation | None, rid: str) -> _Reply:
        if self.accept_any_token:
            if not (rec.authorization or "").startswith("Bearer ") or len(rec.authorization or "") <= 7:
                return self._error(401, "unauthorized", "Access Token Invalid", rid)
        elif not (rec.authorization or "").startswith("Bearer ") or (rec.authorization or "")[7:] not in self._tokens:
            return self._error(401, "unauthorized", "Access Token Invalid", rid)
        asked = rec.headers.get("Intercom-Version")
        if asked is not None and asked != self.version:
            message = f"this fake Intercom serves API {self.version}; the request asked for {asked!r}"
            return self._error(400, "intercom_version_invalid", message, rid)
        if op is None:
            return self._error(
                404, "not_found", f"no route {rec.method} {rec.path} in Intercom API {self.version}", rid
            )
        if self.validate:
            problem = self._check(rec, op, rid)
            if problem is not None:
                return problem
        answer = next((r for r in reversed(self._answers) if r.applies(rec)), None)
        if answer is not None:
            answer.take()
            return await self._registered(answer, rec, op)
        if self._served is not None and op.operation_id not in self._pagers:
            served = self._served.answer(op, rec, f"{self.base_url}{rec.raw.raw_path.split('?', 1)[0]}")
            if served is not None:
                return _fast_json_reply(*served)
        if op.pagination is not None:
            pager = self._pagers.get(op.operation_id)
            if pager is None:
                pager = self._pagers[op.operation_id] = self._pager(op, None, None, None)
            url = f"{self.base_url}{rec.raw.raw_path.split('?', 1)[0]}"
            try:
                return _json_reply(200, pager.page(rec.query, rec.json, url))
            except _data.PagingError as exc:
                return self._error(exc.status, exc.code, exc.message, rid)
        return self._default(op)

    def _check(self, rec: RecordedRequest, op: Operation, rid: str) -> _Reply | None:
        declared = {name for _py, name, _where, _required in op.params}
        exploded = any(key not in declared for key in rec.query)  # an object parameter is sent as its members
        for _py, name, where, required in op.params:
            if where == "query" and required and name not in rec.query and not exploded:
                return self._error(400, "parameter_not_found", f"{name} is required", rid, field=name)
        if op.body is None:
            return None
        if not rec.body:
            if op.body_required:
                return self._error(400, "parameter_not_found", "a request body is required", rid)
            return None
        if rec.json is None:
            return self._error(400, "parameter_invalid", "the request body is not valid JSON", rid)
        classes = op.body_models()
        sort = rec.json.get("sort") if isinstance(rec.json, dict) else None
        if isinstance(sort, dict) and sort.get("order", "descending") not in ("ascending", "descending"):
            if any(f[0] == "sort" for cls in classes for f in cls._FIELDS):  # documented: a 400, not a 422
                message = f"sort order must be ascending or descending, not {sort.get('order')!r}"
                return self._error(400, "invalid_sort_order", message, rid, field="sort.order")
        try:
            if len(classes) == 1:
                validate_model(classes[0], rec.json)
            elif classes:
                validate_descriptor(("union", tuple(("model", name) for name in op.body)), rec.json, self.models)
        except StrictValidationError as exc:
            field = exc.path[2:] if exc.path.startswith("$.") else None
            code = "parameter_not_found" if exc.problem.startswith("required field missing") else "parameter_invalid"
            return self._error(422, code, f"{field or 'body'}: {exc.problem}", rid, field=field)
        return None

    async def _registered(self, rule: Rule, rec: RecordedRequest, op: Operation) -> _Reply:
        o = rule.options
        status = o["status"] if o["status"] is not None else _success_status(op, self.version, self.use_examples)
        if o["handler"] is not None:
            result = await o["handler"](rec)
            if isinstance(result, web.StreamResponse):
                raise _Direct(result)
            return _content(result, status, o["content_type"], o["headers"])
        return _content(o["body"], status, o["content_type"], o["headers"])

    def _default(self, op: Operation) -> _Reply:
        documented = _data.examples(self.version).get(op.operation_id) if self.use_examples else None
        if documented is not None:  # the shared example: _json_reply's dump() copies it
            return _json_reply(documented[0], documented[1])
        status = _success_status(op, self.version, False)
        spec = op.response_spec(status)
        kind, desc = (spec[1], spec[2]) if spec is not None else ("none", "any")
        if kind == "json":
            return _json_reply(status, _data.sample(desc, self.models))
        if kind == "text":
            return _Reply(status, b"fake text", "text/plain; charset=utf-8")
        if kind == "bytes":
            return _Reply(status, b"\x00fake bytes", "application/octet-stream")
        return _Reply(status, b"", None)

    async def _send(
        self,
        request: web.Request,
        rec: RecordedRequest,
        reply: _Reply,
        rid: str,
        slow: tuple[float, str] | None = None,
    ) -> web.StreamResponse:
        rec.status = reply.status
        rec.response = reply.recorded
        headers = {"X-Request-Id": rid, **reply.headers}
        if reply.content_type is not None:
            headers["Content-Type"] = reply.content_type
        if slow is None:
            return web.Response(status=reply.status, body=reply.body, headers=headers)
        delay, where = slow
        if where == "headers":
            await asyncio.sleep(delay)
            return web.Response(status=reply.status, body=reply.body, headers=headers)
        response = web.StreamResponse(status=reply.status, headers=headers)
        response.content_length = len(reply.body)
        await response.prepare(request)
        half = len(reply.body) // 2
        with contextlib.suppress(ConnectionError):
            await response.write(reply.body[:half])
            await asyncio.sleep(delay)
            await response.write(reply.body[half:])
            await response.write_eof()
        return response

    async def _drop(self, request: web.Request, rec: RecordedRequest, where: str, rid: str) -> web.StreamResponse:
        transport = request.transport
        if where == "mid_body":
            reply = _json_reply(200, {"type": "fake", "padding": "x" * 256}, {"X-Request-Id": rid})
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            response.content_length = len(reply.body) + 1024
            await response.prepare(request)
            with contextlib.suppress(ConnectionError):
                await response.write(reply.body[: len(reply.body) // 2])
                await asyncio.sleep(0.005)
        if transport is not None:
            transport.close()
        await asyncio.sleep(5)  # cancelled by the server as the connection goes (handler_cancellation)
        raise web.HTTPServiceUnavailable()


class _Direct(Exception):
    """A handler's own ``web.StreamResponse``: sent as is."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response


def _default_message(status: int, code: str, limit: int) -> str:
    if status == 429:
        return f"Exceeded rate limit of {limit} in 60 seconds"
    return {
        "server_error": "Server Error",
        "service_unavailable": "Sorry, the API service is temporarily unavailable",
        "bad_gateway": "Bad Gateway",
        "gateway_timeout": "Gateway Timeout",
        "unauthorized": "Access Token Invalid",
        "forbidden": "Forbidden",
        "not_found": "Resource Not Found",
        "conflict": "Conflict",
    }.get(code, code.replace("_", " ").capitalize())


def _success_status(op: Operation, version: str, use_examples: bool) -> int:
    documented = _data.examples(version).get(op.operation_id) if use_examples else None
    if documented is not None:
        return documented[0]
    for pattern, *_ in op.responses:
        if pattern[:1] == "2":
            return int(pattern) if pattern.isdigit() else 200
    return 200
