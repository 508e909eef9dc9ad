"""Intercom webhooks: verify a notification's signature, parse it into a version's models, receive it.

A notification is a ``POST`` whose JSON body is ``{"type": "notification_event", "id": "notif_...", "topic":
"conversation.user.created", "app_id": ..., "created_at": ..., "delivery_attempts": ..., "first_sent_at": ...,
"data": {"type": "notification_event_data", "item": {...}}}``, signed with ``X-Hub-Signature: sha1=<hex>``,
the HMAC-SHA1 of the raw body keyed with the app's client secret (or the subscription's ``hub_secret``).

* ``verify(body, signature_header, secret)`` checks it in constant time and raises a typed
  ``SignatureError`` (``MissingSignatureError``, ``SignatureSchemeError``, ``MalformedSignatureError``,
  ``SignatureMismatchError``); ``sign(body, secret)`` makes one, for tests.
* ``parse(body, version="2.12")`` returns a ``Notification`` whose ``item`` is the version's generated model
  chosen by the item's ``type`` (``ITEM_MODELS``: conversation, contact/user/lead, ticket, company, admin,
  visitor, event, ...). Unknown topics and item types are kept as plain data; models are tolerant and
  lossless, so ``notification.item.to_dict()`` is the item JSON received.
* ``WebhookReceiver`` verifies, parses, deduplicates (``Deduplicator``, ``InMemoryDeduplicator``) and hands
  the notification to your ``async`` function, behind an aiohttp handler (``aiohttp_handler``,
  ``attach_aiohttp``) or a Starlette/FastAPI route (``starlette_endpoint``, ``starlette_route``,
  ``fastapi_router``; Starlette is imported only there).

Answering fast: Intercom waits 5 seconds for an answer, retries a failed delivery once a minute later, and
delivers at least once. By default (``background=True``) the receiver answers ``200`` as soon as the
notification is verified, parsed and claimed by the deduplicator, and runs your function in a task it
tracks (``aclose()`` waits for those tasks). The notification is then acknowledged before your function
has run: if the process dies in between, Intercom does not redeliver it. If that matters, make the function
put the notification on a durable queue (quick), or use ``background=False``: the receiver then awaits your
function before answering (``500`` if it raises, so Intercom retries) and the function must finish well
within the 5 seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args, runtime_checkable

from ._codec import dump
from ._errors import IntercomError, InvalidRequestError
from ._json import loads
from ._signatures import (
    MalformedSignatureError,
    MissingSignatureError,
    Secrets,
    SignatureError,
    SignatureInputError,
    SignatureMismatchError,
    SignatureSchemeError,
    check,
    digest_hex,
    keys,
)
from ._versions import DEFAULT_VERSION, VERSIONS

if TYPE_CHECKING:
    from aiohttp import web

__all__ = [
    "SIGNATURE_HEADER",
    "Topic",
    "TOPICS",
    "ITEM_MODELS",
    "sign",
    "verify",
    "parse",
    "decode_item",
    "model_for",
    "Notification",
    "NotificationData",
    "Deduplicator",
    "InMemoryDeduplicator",
    "Receipt",
    "WebhookReceiver",
    "WebhookError",
    "WebhookPayloadError",
    "SignatureError",
    "MissingSignatureError",
    "SignatureSchemeError",
    "MalformedSignatureError",
    "SignatureMismatchError",
    "SignatureInputError",
]

SIGNATURE_HEADER = "X-Hub-Signature"

# The topics of Intercom's webhook documentation (API 2.x). A notification with a topic not listed here is
# parsed all the same: handlers should treat ``notification.topic`` as ``Topic | str``.
Topic = Literal[
    "ping",
    "admin.added_to_workspace",
    "admin.away_mode_updated",
    "admin.activity_log_event.created",
    "admin.removed_from_workspace",
    "admin.logged_in",
    "admin.logged_out",
    "article.created",
    "article.updated",
    "article.published",
    "article.unpublished",
    "article.deleted",
    "call.started",
    "call.ended",
    "call.transcription_available",
    "call.recording_available",
    "company.created",
    "company.deleted",
    "company.updated",
    "company.contact.attached",
    "company.contact.detached",
    "contact.archived",
    "contact.deleted",
    "contact.email.updated",
    "contact.lead.added_email",
    "contact.lead.created",
    "contact.lead.signed_up",
    "contact.lead.tag.created",
    "contact.lead.tag.deleted",
    "contact.lead.updated",
    "contact.merged",
    "contact.subscribed",
    "contact.unarchive",
    "contact.unsubscribed",
    "contact.user.created",
    "contact.user.tag.created",
    "contact.user.tag.deleted",
    "contact.user.updated",
    "content_stat.banner",
    "content_stat.carousel",
    "content_stat.chat",
    "content_stat.checklist",
    "content_stat.custom_bot",
    "content_stat.email",
    "content_stat.news_item",
    "content_stat.post",
    "content_stat.push",
    "content_stat.series",
    "content_stat.series.webhook",
    "content_stat.sms",
    "content_stat.survey",
    "content_stat.tooltip_group",
    "content_stat.tour",
    "conversation.admin.assigned",
    "conversation.admin.closed",
    "conversation.admin.noted",
    "conversation.admin.open.assigned",
    "conversation.admin.opened",
    "conversation.admin.replied",
    "conversation.admin.replied.translated",
    "conversation.admin.single.created",
    "conversation.admin.snoozed",
    "conversation.admin.unsnoozed",
    "conversation.contact.attached",
    "conversation.contact.detached",
    "conversation.deleted",
    "conversation.operator.replied",
    "conversation.priority.updated",
    "conversation.rating.added",
    "conversation.read",
    "conversation.user.created",
    "conversation.user.replied",
    "conversation_part.redacted",
    "conversation_part.tag.created",
    "data_connector.execution.completed",
    "event.created",
    "granular.subscribe",
    "granular.unsubscribe",
    "job.completed",
    "procedure.hitl_notification.created",
    "ticket.admin.assigned",
    "ticket.admin.replied",
    "ticket.admin.replied.translated",
    "ticket.attribute.updated",
    "ticket.closed",
    "ticket.contact.attached",
    "ticket.contact.detached",
    "ticket.contact.replied",
    "ticket.created",
    "ticket.note.created",
    "ticket.rating.provided",
    "ticket.resolved",
    "ticket.state.updated",
    "ticket.team.assigned",
    "visitor.signed_up",
]
TOPICS: frozenset[str] = frozenset(get_args(Topic))

# ``data.item["type"]`` -> the generated model class name, looked up in the requested version's models (a
# version without that class keeps the item as plain data). ``user`` and ``lead`` are the item types of the
# 1.x webhooks, the same object as ``contact`` today. Anything else (``contact_tag``, ``content_stat.*``,
# ``subscription``, ``job``, ``ping``, ``data_connector.execution``, ...) stays a dict.
ITEM_MODELS: Mapping[str, str] = {
    "conversation": "Conversation",
    "contact": "Contact",
    "user": "Contact",
    "lead": "Contact",
    "ticket": "Ticket",
    "company": "Company",
    "admin": "Admin",
    "visitor": "Visitor",
    "event": "DataEvent",
    "conversation_part": "ConversationPart",
    "ticket_part": "TicketPart",
    "article": "Article",
    "call": "Call",
    "note": "Note",
    "tag": "Tag",
    "team": "Team",
    "segment": "Segment",
    "news-item": "NewsItem",
}

_log = logging.getLogger("intercom_async.webhooks")


class WebhookError(IntercomError):
    """Base class of the webhook errors that are not signature failures."""


class WebhookPayloadError(WebhookError, ValueError):
    """The (verified) body is not a JSON object: answer 400."""


# ---------------------------------------------------------------------------------------------- signatures


def sign(body: bytes, secret: str | bytes) -> str:
    """The ``X-Hub-Signature`` value Intercom would send for ``body``: ``sha1=<hex>`` (for tests and fakes)."""
    return "sha1=" + digest_hex("sha1", secret, body)


def verify(body: bytes, signature_header: str | None, secret: Secrets) -> None:
    """Check ``X-Hub-Signature`` against the raw ``body`` in constant time, or raise a ``SignatureError``.

    ``secret`` is the app's client secret (or the subscription's ``hub_secret``), or a sequence of secrets
    any of which may match (rotation). The error text never contains the secret or the expected signature.
    """
    check(body, signature_header, secret, algorithm="sha1", scheme="sha1", header=SIGNATURE_HEADER)


# ---------------------------------------------------------------------------------------------- parsing


def _models(version: str) -> Any:
    info = VERSIONS.get(version)
    if info is None:
        raise InvalidRequestError(f"unknown Intercom API version {version!r}; this SDK has {list(VERSIONS)}")
    return info.load().models


@functools.lru_cache(maxsize=512)
def _model_class(version: str, item_type: str) -> Any:
    name = ITEM_MODELS.get(item_type)
    if name is None:
        return None
    return getattr(_models(version), name, None)


def model_for(item_type: object, version: str = DEFAULT_VERSION) -> type | None:
    """The model class that ``parse`` decodes an item of ``item_type`` into, for ``version`` (or ``None``)."""
    _models(version)  # an unknown version is an error even for an unknown item type
    return _model_class(version, item_type) if isinstance(item_type, str) else None


def decode_item(item: Any, version: str = DEFAULT_VERSION) -> Any:
    """``item`` as ``version``'s model for its ``type``; anything else (unknown type, not an object) unchanged."""
    if type(item) is not dict:
        return item
    cls = model_for(item.get("type"), version)
    if cls is None:
        return item
    try:
        return cls.from_dict(item)  # type: ignore[attr-defined]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:  # models are tolerant; never fail a delivery
        _log.warning("webhook item of type %r kept as plain data: %s", item.get("type"), type(exc).__name__)
        return item


class NotificationData:
    """``data`` of a notification: ``type`` (``notification_event_data``) and ``item``, the decoded model or,
    for item types without a model, the JSON object as received. Other keys stay in ``raw``."""

    __slots__ = ("type", "item", "raw")

    def __init__(self, raw: dict[str, Any], item: Any) -> None:
        self.raw = raw
        self.type: str | None = raw.get("type")
        self.item = item

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.raw)
        if "item" in self.raw:
            out["item"] = dump(self.item)
        return out

    def __repr__(self) -> str:
        return f"NotificationData(type={self.type!r}, item={type(self.item).__name__})"


class Notification:
    """A webhook notification. ``topic`` tells what happened, ``item`` is what it happened to.

    ``raw`` is the JSON object received; ``to_dict()`` rebuilds it from the parsed parts (lossless).
    Fields take the values received, whatever their JSON type; a missing field is ``None``."""

    __slots__ = (
        "type",
        "id",
        "topic",
        "app_id",
        "created_at",
        "delivery_attempts",
        "first_sent_at",
        "self_",
        "data",
        "version",
        "raw",
    )

    type: str | None
    id: str | None
    topic: Topic | str
    app_id: str | None
    created_at: int | None
    delivery_attempts: int | None
    first_sent_at: int | None
    self_: str | None
    data: NotificationData | None
    version: str
    raw: dict[str, Any]

    def __init__(self, raw: dict[str, Any], *, version: str) -> None:
        self.raw = raw
        self.version = version
        self.type = raw.get("type")
        self.id = raw.get("id")
        topic = raw.get("topic")
        self.topic = topic if isinstance(topic, str) else ""
        self.app_id = raw.get("app_id")
        self.created_at = raw.get("created_at")
        self.delivery_attempts = raw.get("delivery_attempts")
        self.first_sent_at = raw.get("first_sent_at")
        self.self_ = raw.get("self")
        data = raw.get("data")
        self.data = NotificationData(data, decode_item(data.get("item"), version)) if type(data) is dict else None

    @property
    def item(self) -> Any:
        """``data.item``: the version's model for the item's type, else the JSON received (``None`` if absent)."""
        return self.data.item if self.data is not None else None

    @property
    def item_type(self) -> str | None:
        """``data.item.type`` as received (``"conversation"``, ``"contact"``, ``"contact_tag"``, ...)."""
        item = self.data.raw.get("item") if self.data is not None else None
        value = item.get("type") if isinstance(item, dict) else None
        return value if isinstance(value, str) else None

    @property
    def known_topic(self) -> bool:
        """Whether ``topic`` is one of ``TOPICS`` (the documented ones)."""
        return self.topic in TOPICS

    def to_dict(self) -> dict[str, Any]:
        out = dict(self.raw)
        if self.data is not None:
            out["data"] = self.data.to_dict()
        return out

    def __repr__(self) -> str:
        return f"Notification(id={self.id!r}, topic={self.topic!r}, item={type(self.item).__name__}, version={self.version!r})"


def parse(body: bytes | str | Mapping[str, Any], version: str = DEFAULT_VERSION) -> Notification:
    """A ``Notification`` from the body (raw bytes, text, or an already decoded object).

    ``version`` is the API version your app's webhooks are set to in the Developer Hub; the item is decoded
    into that version's models. Raises ``WebhookPayloadError`` when the body is not a JSON object; anything
    inside one (unknown topic, unknown item type, off-spec fields) parses.
    """
    _models(version)
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        try:
            data = loads(bytes(body) if not isinstance(body, str) else body)  # bounded: nesting, UTF-8
        except ValueError:
            raise WebhookPayloadError("the webhook body is not valid JSON") from None
    else:
        data = body
    if isinstance(data, Mapping) and type(data) is not dict:
        data = dict(data)
    if type(data) is not dict:
        raise WebhookPayloadError(f"the webhook body must be a JSON object, got {type(data).__name__}")
    return Notification(data, version=version)


# ---------------------------------------------------------------------------------------------- deduplication


@runtime_checkable
class Deduplicator(Protocol):
    """Remembers notification ids so an at-least-once delivery is handled once.

    ``claim(key)`` returns ``True`` the first time it sees ``key`` (handle the notification) and ``False``
    for a repeat (skip it); ``release(key)`` forgets a claim whose handling failed, so a redelivery is
    handled. A shared implementation (a database, Redis ``SET key 1 NX EX ttl`` / ``DEL key``) deduplicates
    across processes."""

    async def claim(self, key: str) -> bool: ...

    async def release(self, key: str) -> None: ...


class InMemoryDeduplicator:
    """A per-process ``Deduplicator``: ids are remembered for ``ttl`` seconds (default 3 hours: Intercom
    retries within a minute and may hold throttled deliveries for up to 2 hours), at most ``max_entries``
    of them (the oldest are forgotten first)."""

    def __init__(
        self, ttl: float = 3 * 3600, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be > 0 seconds, got {ttl!r}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries!r}")
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._seen: dict[str, float] = {}  # key -> expiry; insertion order is expiry order (one ttl)

    def __len__(self) -> int:
        return len(self._seen)

    def _expire(self, now: float) -> None:
        seen = self._seen
        while seen:
            key = next(iter(seen))
            if seen[key] > now and len(seen) <= self.max_entries:
                break
            del seen[key]

    async def claim(self, key: str) -> bool:
        now = self._clock()
        self._expire(now)
        expiry = self._seen.get(key)
        if expiry is not None and expiry > now:
            return False
        self._seen.pop(key, None)
        self._seen[key] = now + self.ttl
        self._expire(now)
        return True

    async def release(self, key: str) -> None:
        self._seen.pop(key, None)


# ---------------------------------------------------------------------------------------------- receiving

Handler = Callable[[Notification], Awaitable[Any]]
ErrorHook = Callable[[Notification, BaseException], Any]


class Receipt:
    """What the receiver answers: ``status`` and a small JSON ``body``; ``notification`` when one was parsed,
    ``duplicate`` when the deduplicator had seen it."""

    __slots__ = ("status", "body", "notification", "duplicate")

    def __init__(
        self, status: int, body: dict[str, Any], notification: Notification | None = None, duplicate: bool = False
    ) -> None:
        self.status = status
        self.body = body
        self.notification = notification
        self.duplicate = duplicate

    def __repr__(self) -> str:
        return f"Receipt(status={self.status}, body={self.body!r}, duplicate={self.duplicate})"


def _reject(status: int, error: str) -> Receipt:
    return Receipt(status, {"error": error})


class WebhookReceiver:
    """Verify, parse, deduplicate and hand off Intercom notifications to ``handler`` (an async function).

    Args:
        handler: ``async def handler(notification: Notification) -> None``.
        secret: the app's client secret (or the subscription's ``hub_secret``), or a sequence of secrets.
        version: the API version set for the app's webhooks; items are decoded into its models.
        deduplicator: e.g. ``InMemoryDeduplicator()``; repeats of a notification id answer 200 and are not
            handed off. Default: none (every delivery is handled).
        background: ``True`` (default): answer 200 at once and run ``handler`` in a tracked task; ``False``:
            await ``handler`` first (500 if it raises, so Intercom redelivers). See the module docstring.
        max_pending: background handlers allowed to run at once; beyond that deliveries answer 429 (Intercom
            then slows its deliveries down) until some finish.
        max_body_size: larger bodies answer 413 (default 5 MiB). aiohttp applies its own
            ``client_max_size`` (1 MiB by default) before this.
        on_error: called with the notification and the exception when ``handler`` raises (it is logged to
            ``intercom_async.webhooks`` either way, with the notification id and topic, never the body).

    Answers: 200 handled or handed off (``{"ok": true}``), 200 duplicate, 400 body not a JSON object, 401
    signature missing or wrong, 413 too large, 429 too many pending, 500 handler failed (``background=False``),
    503 the receiver is closed.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        secret: Secrets,
        version: str = DEFAULT_VERSION,
        deduplicator: Deduplicator | None = None,
        background: bool = True,
        max_pending: int = 1000,
        max_body_size: int = 5 * 1024 * 1024,
        on_error: ErrorHook | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        if not callable(handler):
            raise TypeError("handler must be an async function taking a Notification")
        keys(secret)  # fail at start-up, not on the first delivery
        _models(version)
        if max_pending < 1:
            raise ValueError(f"max_pending must be >= 1, got {max_pending!r}")
        self._handler = handler
        self._secret = secret
        self.version = version
        self.deduplicator = deduplicator
        self.background = background
        self.max_pending = max_pending
        self.max_body_size = max_body_size
        self._on_error = on_error
        self._log = logger or _log
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"<WebhookReceiver version={self.version!r} background={self.background} pending={self.pending}>"

    @property
    def pending(self) -> int:
        """Background handlers still running."""
        return len(self._tasks)

    @property
    def closed(self) -> bool:
        return self._closed

    async def receive(self, body: bytes, signature: str | None) -> Receipt:
        """Handle one delivery (the raw body and the ``X-Hub-Signature`` header); framework adapters call this."""
        if self._closed:
            return _reject(503, "receiver closed")
        if len(body) > self.max_body_size:
            return _reject(413, "body too large")
        try:
            verify(body, signature, self._secret)
        except SignatureError as exc:
            self._log.warning("webhook rejected: %s", exc)
            return _reject(401, "invalid signature")
        try:
            notification = parse(body, self.version)
        except WebhookPayloadError as exc:
            self._log.warning("webhook rejected: %s", exc)
            return _reject(400, "invalid body")
        key = notification.id if isinstance(notification.id, str) and notification.id else None
        if key is not None and self.deduplicator is not None:
            if not await self.deduplicator.claim(key):
                self._log.debug("webhook %s (%s) is a repeat: skipped", key, notification.topic)
                return Receipt(200, {"ok": True, "duplicate": True}, notification, duplicate=True)
        if not self.background:
            try:
                await self._handler(notification)
            except Exception as exc:
                await self._failed(notification, key, exc)
                return Receipt(500, {"error": "handler failed"}, notification)
            return Receipt(200, {"ok": True}, notification)
        if len(self._tasks) >= self.max_pending:
            if key is not None and self.deduplicator is not None:
                await self.deduplicator.release(key)
            return _reject(429, "too many notifications pending")
        task = asyncio.get_running_loop().create_task(self._run(notification, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Receipt(200, {"ok": True}, notification)

    async def _run(self, notification: Notification, key: str | None) -> None:
        try:
            await self._handler(notification)
        except Exception as exc:
            await self._failed(notification, key, exc)

    async def _failed(self, notification: Notification, key: str | None, exc: Exception) -> None:
        self._log.error(
            "webhook handler failed for %s (%s): %s", notification.id, notification.topic, type(exc).__name__
        )
        if key is not None and self.deduplicator is not None:
            await self.deduplicator.release(key)
        if self._on_error is not None:
            try:
                result = self._on_error(notification, exc)
                if asyncio.iscoroutine(result):
                    await result
            except Exception as hook_exc:  # the hook must not take the receiver down
                self._log.error("webhook on_error hook failed: %s", type(hook_exc).__name__)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until the background handlers running now have finished; ``False`` if ``timeout`` expired."""
        if not self._tasks:
            return True
        _done, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        return not pending

    async def aclose(self, timeout: float | None = 10.0) -> None:
        """Stop accepting deliveries (503), wait up to ``timeout`` seconds for background handlers, then
        cancel those still running. Safe to call more than once."""
        self._closed = True
        if not await self.drain(timeout):
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> WebhookReceiver:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ aiohttp

    def aiohttp_handler(self) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp request handler: ``app.router.add_post("/intercom/webhooks", receiver.aiohttp_handler())``."""
        from aiohttp import web

        async def handle(request: web.Request) -> web.Response:
            body = await request.read()  # limited by the app's client_max_size (413 beyond it)
            receipt = await self.receive(body, request.headers.get(SIGNATURE_HEADER))
            return web.json_response(receipt.body, status=receipt.status)

        return handle

    def attach_aiohttp(self, app: web.Application, path: str = "/intercom/webhooks") -> None:
        """Add the POST route to ``app`` and close the receiver (draining its handlers) on app shutdown."""
        app.router.add_post(path, self.aiohttp_handler())

        async def on_shutdown(_app: web.Application) -> None:
            await self.aclose()

        app.on_shutdown.append(on_shutdown)

    # ------------------------------------------------------------------ Starlette / FastAPI

    async def starlette_endpoint(self, request: Any) -> Any:
        """A Starlette endpoint (also for FastAPI: ``app.add_route(path, receiver.starlette_endpoint,
        methods=["POST"])``). Starlette is imported here, on the first delivery, not before."""
        try:
            from starlette.responses import JSONResponse
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the Starlette receiver needs starlette: pip install 'intercom-async[starlette]' (FastAPI includes it)"
            ) from None
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body_size:
                return JSONResponse({"error": "body too large"}, status_code=413)
            chunks.append(chunk)
        receipt = await self.receive(b"".join(chunks), request.headers.get(SIGNATURE_HEADER))
        return JSONResponse(receipt.body, status_code=receipt.status)

    def starlette_route(self, path: str = "/intercom/webhooks") -> Any:
        """A ``starlette.routing.Route`` (POST) for ``Starlette(routes=[...])``."""
        try:
            from starlette.routing import Route
        except ImportError:
            raise ImportError(
                "starlette_route needs starlette: pip install 'intercom-async[starlette]' (FastAPI includes it)"
            ) from None
        return Route(path, self.starlette_endpoint, methods=["POST"], name="intercom_webhooks")

    def fastapi_router(self, path: str = "/intercom/webhooks") -> Any:
        """A ``fastapi.APIRouter`` with the POST route: ``app.include_router(receiver.fastapi_router())``.
        Close the receiver in the app's lifespan (``async with receiver: yield``) to drain its handlers."""
        try:
            from fastapi import APIRouter
        except ImportError:
            raise ImportError("fastapi_router needs FastAPI: pip install fastapi") from None
        router = APIRouter()
        router.add_route(path, self.starlette_endpoint, methods=["POST"], include_in_schema=False)
        return router
