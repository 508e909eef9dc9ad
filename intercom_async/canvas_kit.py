"""Canvas Kit: verify the requests Intercom sends to an app's Canvas Kit URLs, read them, build the answers.

Intercom POSTs JSON to the app's initialize / submit / configure / live-canvas URLs, signed with
``X-Body-Signature: <hex>``, the HMAC-SHA256 of the raw body keyed with the app's client secret, and shows
the canvas the app answers with.

* ``verify(body, signature_header, secret)`` (constant time, typed ``SignatureError`` as for webhooks) and
  ``sign(body, secret)`` for tests.
* ``parse_request(body, version="2.12")`` gives a ``CanvasRequest``: ``workspace_id``, ``workspace_region``,
  ``admin``, ``conversation``, ``contact``, ``user`` (the version's ``Admin``/``Conversation``/``Contact``
  models), ``context`` (``CanvasContext``), ``current_canvas``, ``component_id``, ``input_values``,
  ``card_creation_options``, ``stored_data``; ``raw`` keeps the whole object.
* Answers: ``canvas(components, stored_data=...)`` -> ``{"canvas": {"content": {"components": [...]},
  "stored_data": {...}}}``; ``live_canvas(content_url)``; ``content(components)`` for live-canvas requests;
  ``results(values)`` to end a configure flow; component builders ``text``, ``button``, ``text_input``,
  ``spacer``, ``divider`` and actions ``submit_action``, ``url_action``, ``sheet_action``. Intercom caps a
  canvas at 64 KB; a bigger one raises ``CanvasKitError`` here rather than failing in the Inbox.
* ``aiohttp_handler(handler, secret=...)`` / ``starlette_endpoint(handler, secret=...)``: verify (401),
  parse (400), ``await handler(request)`` and answer its dict as JSON. Canvas Kit expects the canvas in the
  response, so the handler runs before the answer (keep it quick).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._errors import IntercomError
from ._json import loads
from ._signatures import Secrets, SignatureError, check, digest_hex, keys
from ._versions import DEFAULT_VERSION
from .webhooks import _models

if TYPE_CHECKING:
    from aiohttp import web

__all__ = [
    "SIGNATURE_HEADER",
    "MAX_CANVAS_BYTES",
    "sign",
    "verify",
    "parse_request",
    "CanvasRequest",
    "CanvasContext",
    "CanvasKitError",
    "canvas",
    "live_canvas",
    "content",
    "results",
    "text",
    "button",
    "text_input",
    "spacer",
    "divider",
    "submit_action",
    "url_action",
    "sheet_action",
    "aiohttp_handler",
    "starlette_endpoint",
]

SIGNATURE_HEADER = "X-Body-Signature"
MAX_CANVAS_BYTES = 64 * 1024


class CanvasKitError(IntercomError, ValueError):
    """A Canvas Kit request body that is not a JSON object, or an answer that Intercom would refuse."""


def sign(body: bytes, secret: str | bytes) -> str:
    """The ``X-Body-Signature`` Intercom would send for ``body`` (hex HMAC-SHA256), for tests."""
    return digest_hex("sha256", secret, body)


def verify(body: bytes, signature_header: str | None, secret: Secrets) -> None:
    """Check ``X-Body-Signature`` against the raw ``body`` in constant time, or raise a ``SignatureError``
    (``MissingSignatureError``, ``MalformedSignatureError``, ``SignatureMismatchError``)."""
    check(body, signature_header, secret, algorithm="sha256", scheme=None, header=SIGNATURE_HEADER)


# ---------------------------------------------------------------------------------------------- requests


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _obj(value: Any) -> dict[str, Any]:
    return value if type(value) is dict else {}


class CanvasContext:
    """Where the app is shown: ``location`` (``conversation``, ``home``, ``message``, ``operator``),
    ``conversation_id``, ``locale``, ``messenger_action_colour``, ``messenger_background_colour``,
    ``referrer``. ``raw`` is the object received."""

    __slots__ = (
        "location",
        "conversation_id",
        "locale",
        "messenger_action_colour",
        "messenger_background_colour",
        "referrer",
        "raw",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.location: str | None = _str(raw.get("location"))
        self.conversation_id: Any = raw.get("conversation_id")
        self.locale: str | None = _str(raw.get("locale"))
        self.messenger_action_colour: str | None = _str(raw.get("messenger_action_colour"))
        self.messenger_background_colour: str | None = _str(raw.get("messenger_background_colour"))
        self.referrer: str | None = _str(raw.get("referrer"))

    def __repr__(self) -> str:
        return f"CanvasContext(location={self.location!r}, conversation_id={self.conversation_id!r})"


class CanvasRequest:
    """One Canvas Kit request. Objects Intercom documents as its API objects are the version's models
    (``admin`` -> ``Admin``, ``conversation`` -> ``Conversation``, ``contact`` and ``user`` -> ``Contact``);
    absent ones are ``None``. ``input_values``, ``card_creation_options`` and ``stored_data`` are dicts
    (empty when absent); ``stored_data`` is the one sent back in ``current_canvas``."""

    __slots__ = (
        "workspace_id",
        "workspace_region",
        "admin",
        "conversation",
        "contact",
        "user",
        "context",
        "current_canvas",
        "component_id",
        "input_values",
        "card_creation_options",
        "stored_data",
        "version",
        "raw",
    )

    def __init__(self, raw: dict[str, Any], *, version: str) -> None:
        models = _models(version)
        self.raw = raw
        self.version = version
        # "app_id" is the attribute's name in the 1.x Canvas Kit
        self.workspace_id: str | None = _str(raw.get("workspace_id")) or _str(raw.get("app_id"))
        self.workspace_region: str | None = _str(raw.get("workspace_region"))
        self.admin = _model(models, "Admin", raw.get("admin"))
        self.conversation = _model(models, "Conversation", raw.get("conversation"))
        self.contact = _model(models, "Contact", raw.get("contact") or raw.get("customer"))
        self.user = _model(models, "Contact", raw.get("user"))
        self.context = CanvasContext(_obj(raw.get("context")))
        current = raw.get("current_canvas")
        self.current_canvas: dict[str, Any] | None = current if type(current) is dict else None
        self.component_id: str | None = _str(raw.get("component_id"))
        self.input_values: dict[str, Any] = _obj(raw.get("input_values"))
        self.card_creation_options: dict[str, Any] = _obj(raw.get("card_creation_options"))
        self.stored_data: dict[str, Any] = _obj(_obj(current).get("stored_data"))

    def __repr__(self) -> str:
        return (
            f"CanvasRequest(workspace_id={self.workspace_id!r}, component_id={self.component_id!r},"
            f" location={self.context.location!r})"
        )


def _model(models: Any, name: str, value: Any) -> Any:
    if type(value) is not dict:
        return None if value is None else value
    cls = getattr(models, name, None)
    return cls.from_dict(value) if cls is not None else value


def parse_request(body: bytes | str | Mapping[str, Any], version: str = DEFAULT_VERSION) -> CanvasRequest:
    """A ``CanvasRequest`` from the raw body (or a decoded object); ``CanvasKitError`` if not a JSON object."""
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        try:
            data = loads(bytes(body) if not isinstance(body, str) else body)  # bounded: nesting, UTF-8
        except ValueError:
            raise CanvasKitError("the Canvas Kit request body is not valid JSON") from None
    else:
        data = dict(body) if isinstance(body, Mapping) else body
    if type(data) is not dict:
        raise CanvasKitError(f"the Canvas Kit request body must be a JSON object, got {type(data).__name__}")
    return CanvasRequest(data, version=version)


# ---------------------------------------------------------------------------------------------- answers

Component = dict[str, Any]


def _components(components: Sequence[Mapping[str, Any]]) -> list[Any]:
    if isinstance(components, (str, bytes)) or not isinstance(components, Sequence):
        raise CanvasKitError("components must be a list of component objects")
    out = []
    for i, component in enumerate(components):
        if not isinstance(component, Mapping) or not isinstance(component.get("type"), str):
            raise CanvasKitError(f"component {i} must be an object with a 'type' (e.g. canvas_kit.text('...'))")
        out.append(dict(component))
    return out


def _sized(answer: dict[str, Any]) -> dict[str, Any]:
    try:
        size = len(json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError) as exc:
        raise CanvasKitError(f"the canvas is not JSON-serialisable: {exc}") from None
    if size > MAX_CANVAS_BYTES:
        raise CanvasKitError(f"the canvas is {size} bytes; Intercom accepts at most {MAX_CANVAS_BYTES}")
    return answer


def canvas(components: Sequence[Mapping[str, Any]], *, stored_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The answer showing ``components``: ``{"canvas": {"content": {"components": [...]}, "stored_data": ...}}``.
    ``stored_data`` comes back in the next request (``CanvasRequest.stored_data``)."""
    body: dict[str, Any] = {"content": {"components": _components(components)}}
    if stored_data is not None:
        body["stored_data"] = dict(stored_data)
    return _sized({"canvas": body})


def live_canvas(content_url: str, *, stored_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A live canvas (Messenger only): Intercom fetches its content from ``content_url`` each time it is shown."""
    if not isinstance(content_url, str) or not content_url.startswith(("https://", "http://")):
        raise CanvasKitError("content_url must be an http(s) URL")
    body: dict[str, Any] = {"content_url": content_url}
    if stored_data is not None:
        body["stored_data"] = dict(stored_data)
    return _sized({"canvas": body})


def content(components: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The answer to a live-canvas content request: ``{"content": {"components": [...]}}``."""
    return _sized({"content": {"components": _components(components)}})


def results(values: Mapping[str, Any]) -> dict[str, Any]:
    """Ends a configure flow: ``{"results": {...}}``; Intercom sends them as ``card_creation_options``."""
    return _sized({"results": dict(values)})


def _drop_none(**fields: Any) -> Component:
    return {k: v for k, v in fields.items() if v is not None}


def text(
    text: str,
    *,
    id: str | None = None,
    style: str | None = None,
    align: str | None = None,
    bottom_margin: str | None = None,
) -> Component:
    """A text component (``style``: ``header``, ``paragraph``, ``muted``, ``error``; ``align``: ``left``, ...)."""
    return _drop_none(type="text", id=id, text=text, style=style, align=align, bottom_margin=bottom_margin)


def button(
    label: str,
    *,
    id: str,
    action: Mapping[str, Any] | None = None,
    style: str | None = None,
    disabled: bool | None = None,
) -> Component:
    """A button; by default it sends a submit request with ``component_id == id``."""
    return _drop_none(
        type="button", id=id, label=label, action=dict(action or submit_action()), style=style, disabled=disabled
    )


def text_input(
    id: str,
    *,
    label: str | None = None,
    placeholder: str | None = None,
    value: str | None = None,
    action: Mapping[str, Any] | None = None,
    disabled: bool | None = None,
) -> Component:
    """A text input; its value arrives in ``input_values[id]`` of the next submit request."""
    return _drop_none(
        type="input",
        id=id,
        label=label,
        placeholder=placeholder,
        value=value,
        action=dict(action) if action is not None else None,
        disabled=disabled,
    )


def spacer(size: str = "s") -> Component:
    """Vertical space (``xs``, ``s``, ``m``, ``l``, ``xl``)."""
    return {"type": "spacer", "size": size}


def divider() -> Component:
    return {"type": "divider"}


def submit_action() -> dict[str, Any]:
    return {"type": "submit"}


def url_action(url: str) -> dict[str, Any]:
    """Opens ``url`` in a new tab."""
    return {"type": "url", "url": url}


def sheet_action(url: str) -> dict[str, Any]:
    """Opens a sheet (Messenger) that loads ``url``."""
    return {"type": "sheet", "url": url}


# ---------------------------------------------------------------------------------------------- receivers

CanvasHandler = Callable[[CanvasRequest], Awaitable[Mapping[str, Any]]]


async def _answer(
    handler: CanvasHandler, body: bytes, signature: str | None, secret: Secrets, version: str
) -> tuple[int, Any]:
    try:
        verify(body, signature, secret)
    except SignatureError:
        return 401, {"error": "invalid signature"}
    try:
        request = parse_request(body, version)
    except CanvasKitError:
        return 400, {"error": "invalid body"}
    answer = await handler(request)
    if not isinstance(answer, Mapping):
        raise CanvasKitError(
            f"the Canvas Kit handler must return a dict (e.g. canvas_kit.canvas(...)), got {type(answer).__name__}"
        )
    return 200, dict(answer)


def aiohttp_handler(
    handler: CanvasHandler, *, secret: Secrets, version: str = DEFAULT_VERSION
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler for one Canvas Kit URL: ``app.router.add_post("/canvas/submit", aiohttp_handler(fn,
    secret=...))``; ``fn(request: CanvasRequest)`` returns the answer (``canvas(...)``)."""
    from aiohttp import web

    keys(secret)
    _models(version)

    async def handle(request: web.Request) -> web.Response:
        status, payload = await _answer(
            handler, await request.read(), request.headers.get(SIGNATURE_HEADER), secret, version
        )
        return web.json_response(payload, status=status)

    return handle


def starlette_endpoint(
    handler: CanvasHandler, *, secret: Secrets, version: str = DEFAULT_VERSION
) -> Callable[[Any], Awaitable[Any]]:
    """A Starlette/FastAPI endpoint for one Canvas Kit URL (``app.add_route(path, endpoint, methods=["POST"])``)."""
    keys(secret)
    _models(version)

    async def endpoint(request: Any) -> Any:
        try:
            from starlette.responses import JSONResponse
        except ImportError:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the Starlette endpoint needs starlette: pip install 'intercom-async[starlette]'"
            ) from None
        status, payload = await _answer(
            handler, await request.body(), request.headers.get(SIGNATURE_HEADER), secret, version
        )
        return JSONResponse(payload, status_code=status)

    return endpoint
