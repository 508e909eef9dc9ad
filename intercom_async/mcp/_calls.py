"""Tool calls: arguments -> one SDK ``Request`` -> the client's send path -> a bounded text answer for the model.

Nothing here speaks MCP (``_server`` does). ``Caller.call(tool, arguments)``:

1. refuses a tool the policy does not offer, before anything is built (``_catalog.Policy``);
2. checks the arguments against the tool's input schema (the body is checked by the SDK itself,
   ``_codec.check_request``, as for any ``body=`` dict) and builds
   ``Request(op, path=..., query=..., headers=..., body=...)``: no generated method is called, so the server
   follows the registry, not method signatures;
3. sends it with ``client._send`` (a paginated operation through ``AsyncPager``, one page): the client's
   retries, pacing (or the configured ``RedisRateLimiter``), bounded reads and redaction apply unchanged;
4. answers with the JSON the SDK received when it fits in ``max_bytes``, else a trimmed view that says so;
   a paged answer is ``{"items": [...], "next_cursor": ...}`` where the cursor also records how far into the
   API page the model has read, so a ``limit`` smaller than the page (or a page cut to fit) loses nothing.

Every failure becomes one short line (``ToolError``): an Intercom error as its class, HTTP status, Intercom's
code and message and the request id; a bad argument naming the argument. No traceback, and the token is
redacted from every text that leaves (``_errors.redact``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import orjson
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # a dependency of mcp

from .. import _json
from .._client import BaseClient
from .._codec import dump
from .._errors import APIError, IntercomError, RateLimitError, redact
from .._pagination import AsyncPager
from .._request import Request
from .._types import UNSET
from ._catalog import DEFAULT_LIMIT, Catalog, ToolSpec

__all__ = ["DEFAULT_MAX_BYTES", "Caller", "ToolError", "describe_error"]

DEFAULT_MAX_BYTES = 24_000  # characters of one tool answer (about 6,000 tokens)
_MESSAGE = 300  # characters of Intercom's error message kept
_PASSES = ((2000, 50, 8), (500, 20, 6), (200, 10, 4), (100, 5, 3), (80, 3, 2), (60, 2, 1))


class ToolError(Exception):
    """A tool call that failed; ``str(exc)`` is the one line the model sees."""


def describe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """One short line for ``exc``: ``NotFoundError: HTTP 404 not_found: Resource Not Found (request_id ...)``."""
    if isinstance(exc, APIError):
        parts = [f"{type(exc).__name__}: HTTP {exc.status_code}"]
        detail = exc.errors[0] if exc.errors else None
        if detail is not None:
            text = f"{detail.code}: {detail.message}" if detail.code else str(detail.message)
            parts.append(text if len(text) <= _MESSAGE else text[: _MESSAGE - 1] + "…")
        if isinstance(exc, RateLimitError):
            wait = exc.retry_after
            parts.append("rate limited" + (f", retry after {wait:.0f} s" if wait is not None else ""))
        if exc.request_id:
            parts.append(f"request_id {exc.request_id}")
        line = " | ".join(parts)
    elif isinstance(exc, IntercomError):
        text = str(exc).split(" (to send a field the spec does not declare", 1)[0]  # Python-only advice
        line = f"{type(exc).__name__}: {text if len(text) <= 2 * _MESSAGE else text[: 2 * _MESSAGE - 1] + '…'}"
    else:
        line = f"internal error ({type(exc).__name__})"
    return redact(line, secrets)


def _encode_cursor(position: Any, offset: int, page_size: int) -> str:
    """The model's cursor: the API's position, the items of that page already returned, and the page size the
    walk started with (a page number means something only with the same ``per_page``)."""
    raw = orjson.dumps([position, offset, page_size])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, int, int]:
    bad = "invalid cursor: pass next_cursor from the previous result unchanged"
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position, offset, page_size = orjson.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        raise ToolError(bad) from None
    if not isinstance(position, (str, int, type(None))) or isinstance(position, bool):
        raise ToolError(bad)
    for number in (offset, page_size):
        if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 10_000:
            raise ToolError(bad)
    return position, offset, page_size


def _shrink(value: Any, text: int, items: int, depth: int) -> Any:
    """A copy of ``value`` with strings cut to ``text`` characters, lists to ``items`` and nesting to ``depth``."""
    if isinstance(value, str):
        return value if len(value) <= text else value[:text] + f"…(+{len(value) - text} chars)"
    if isinstance(value, dict):
        if depth <= 0:
            return f"<object with {len(value)} keys omitted>"
        return {k: _shrink(v, text, items, depth - 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth <= 0:
            return f"<list of {len(value)} items omitted>"
        out = [_shrink(v, text, items, depth - 1) for v in value[:items]]
        if len(value) > items:
            out.append(f"<{len(value) - items} more items omitted>")
        return out
    return value


def _dumps(value: Any) -> bytes:
    """``value`` as JSON. orjson refuses integers beyond 64 bits, which the SDK's decoder keeps exact (``_json``):
    such a value goes through the standard library, so the model sees the number the server sent."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def fit(value: Any, max_bytes: int) -> tuple[bytes, bool]:
    """``value`` as JSON within ``max_bytes``: as is, else trimmed by the first pass that fits. ``(json, trimmed)``."""
    data = _dumps(value)
    if len(data) <= max_bytes:
        return data, False
    for text, items, depth in _PASSES:
        small = _dumps(_shrink(value, text, items, depth))
        if len(small) <= max_bytes:
            return small, True
    keys = list(value)[:50] if isinstance(value, dict) else None
    return _dumps({"omitted": f"{len(data)} bytes", "keys": keys}), True


class Caller:
    """Calls the tools of ``catalog`` with ``client`` (a versioned ``Intercom`` client of the same version)."""

    def __init__(self, catalog: Catalog, client: BaseClient, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.catalog = catalog
        self.client = client
        self.max_bytes = max_bytes
        self._validators: dict[str, Draft202012Validator] = {}

    async def call(self, tool: ToolSpec, arguments: Mapping[str, Any] | None) -> str:
        """The answer text, or ``ToolError`` with the one line to show."""
        refusal = self.catalog.refusal(tool)
        if refusal is not None:
            raise ToolError(refusal)
        args = dict(arguments or {})
        self._check(tool, args)
        cursor = _decode_cursor(args["cursor"]) if tool.paged and args.get("cursor") else None
        limit = int(args.get("limit", DEFAULT_LIMIT))
        page_size = cursor[2] if cursor else limit
        request = self._request(tool, args, page_size)
        try:
            if tool.paged:
                return await self._page(request, limit, page_size, cursor)
            response = await self.client._send(request)
            return self._answer(tool, response.content, response.headers.get("Content-Type", ""))
        except IntercomError as exc:
            raise ToolError(describe_error(exc, self._secrets())) from None

    def _secrets(self) -> tuple[str, ...]:
        token = getattr(self.client, "_token", None)
        return (token,) if isinstance(token, str) else ()

    # ------------------------------------------------------------------ arguments

    def _check(self, tool: ToolSpec, args: dict[str, Any]) -> None:
        validator = self._validators.get(tool.name)
        if validator is None:
            schema = dict(tool.input_schema)
            if "body" in schema.get("properties", {}):  # the SDK checks the body against the request model
                schema["properties"] = {**schema["properties"], "body": {"type": ["object", "array"]}}
            validator = self._validators[tool.name] = Draft202012Validator(schema)
        error = next(iter(validator.iter_errors(args)), None)
        if error is not None:
            where = ".".join(str(p) for p in error.absolute_path) or "arguments"
            message = error.message if len(error.message) <= 200 else error.message[:199] + "…"
            raise ToolError(f"invalid arguments for {tool.name}: {where}: {message}")

    def _request(self, tool: ToolSpec, args: dict[str, Any], page_size: int) -> Request:
        path: dict[str, Any] = {}
        query: dict[str, Any] = {}
        headers: dict[str, Any] = {}
        for name, (json_name, where) in tool.params.items():
            if name in args and args[name] is not None:
                {"path": path, "query": query, "header": headers}[where][json_name] = args[name]
        body = args.get("body", UNSET)
        if tool.page_size_in == "query":
            query["per_page"] = page_size
        elif tool.page_size_in == "body" and (body is UNSET or isinstance(body, dict)):  # else the SDK refuses it
            data = dict(body) if isinstance(body, dict) else {}
            paging = data.get("pagination")
            data["pagination"] = {**(paging if isinstance(paging, dict) else {}), "per_page": page_size}
            body = data
        return Request(tool.op, path=path, query=query, headers=headers or None, body=body)

    # ------------------------------------------------------------------ answers

    def _answer(self, tool: ToolSpec, content: bytes, content_type: str) -> str:
        if not content:
            return '{"ok": true}'
        if tool.op.accept == "application/octet-stream" or (content_type and "json" not in content_type.lower()):
            if tool.op.accept == "application/octet-stream" or content_type.startswith(("image/", "application/oct")):
                return _dumps({"binary": f"{len(content)} bytes, not shown"}).decode()
            text = content.decode("utf-8", "replace")
            return text if len(text) <= self.max_bytes else text[: self.max_bytes] + f"…(+{len(text) - self.max_bytes})"
        if len(content) <= self.max_bytes:
            return content.decode("utf-8", "replace")
        try:
            value = _json.loads(content)
        except _json.JSONDecodeError:
            return content[: self.max_bytes].decode("utf-8", "ignore") + "…(cut)"
        data, _ = fit(value, self.max_bytes - 200)
        note = f"trimmed from {len(content)} bytes: long strings and lists cut; fetch nested objects by id"
        return '{"trimmed":' + _dumps(note).decode() + ',"value":' + data.decode() + "}"

    async def _page(self, request: Request, limit: int, page_size: int, cursor: tuple[Any, int, int] | None) -> str:
        position, offset = (cursor[0], cursor[1]) if cursor else (None, 0)
        pager: AsyncPager[Any, Any] = AsyncPager(self.client, request)
        if position is not None:
            pager = pager.resume(position)
        page = None
        async for fetched in pager.pages(max_pages=1):
            page = fetched
        if page is None:
            return '{"items": [], "next_cursor": null}'
        chosen = [dump(item) for item in page.items[offset : offset + limit]]  # only what may be shown
        extra: dict[str, Any] = {}
        raw = page.response.parsed
        if hasattr(raw, "to_dict"):
            raw = raw.to_dict()
        if isinstance(raw, dict):
            extra = {  # the page's counters (total_count, ...), not its items or paging objects
                k: v
                for k, v in raw.items()
                if isinstance(v, (int, float, bool)) or (isinstance(v, str) and len(v) <= 200 and k != "type")
            }
        budget = self.max_bytes - len(_dumps(extra)) - 300
        kept: list[Any] = []
        used = 0
        trimmed = False
        for item in chosen:
            data = _dumps(item)
            if used + len(data) > budget:
                if not kept:  # one item larger than the budget: shown trimmed, the cursor moves past it
                    small, _ = fit(item, budget)
                    kept.append(_json.loads(small))
                    trimmed = True
                break
            kept.append(item)
            used += len(data) + 1
        end = offset + len(kept)
        if end < len(page.items):
            next_cursor: str | None = _encode_cursor(page.cursor, end, page_size)
        elif page.next_cursor is not None:
            next_cursor = _encode_cursor(page.next_cursor, 0, page_size)
        else:
            next_cursor = None
        out: dict[str, Any] = {"items": kept, "next_cursor": next_cursor, **extra}
        if trimmed:
            out["trimmed"] = "an item was larger than the answer size cap and is shown trimmed"
        return _dumps(out).decode()
