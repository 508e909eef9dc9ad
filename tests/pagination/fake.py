"""Local aiohttp servers that page *wrongly* on purpose, for ``test_broken.py``.

Well-behaved paging in every style is the testing kit's job (``intercom_async.testing``: the other pagination
tests use it). What stays here is what the kit must not do, because Intercom does not: a page-number server
whose ``total_pages`` lies (``page(total_pages=...)``), link pages on a server mounted under a path prefix
(``link``), a catch-all "evil" server (``cursor``), and ``Scroll``, whose "please restart" 500 kills the scroll
so that even a transport retry of it fails. Every request is recorded in ``Recorder.requests``.
"""

from __future__ import annotations

import base64
import json
import math
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

Handler = Callable[[web.Request], Any]
RESTART_MESSAGE = "Request failed due to an internal network error. Please restart the scroll operation."


def make_items(n: int, prefix: str = "item") -> list[dict[str, Any]]:
    return [{"type": "thing", "id": f"{prefix}-{i:05d}", "name": f"n{i}"} for i in range(n)]


def encode_cursor(index: int) -> str:
    return base64.b64encode(json.dumps([index, "x"]).encode()).decode()


def decode_cursor(cursor: str) -> int:
    return int(json.loads(base64.b64decode(cursor))[0])


def set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def envelope(items: list[Any], items_path: str, meta: str, pages: dict[str, Any], total: int) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "list", "total_count": total}
    set_path(out, items_path, items)
    if meta:
        set_path(out, meta, pages)
    else:
        out.update({k: v for k, v in pages.items() if k in ("page", "per_page", "total_pages")})
    return out


def error(status: int, code: str, message: str) -> web.Response:
    body = {"type": "error.list", "request_id": "req-1", "errors": [{"code": code, "message": message}]}
    return web.json_response(body, status=status)


class Recorder:
    """The server side of a test: routes, and every request received."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.requests: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def route(self, method: str, path: str, handler: Handler) -> None:
        async def recorded(request: web.Request) -> Any:
            body = await request.read()
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "query": dict(request.query),
                    "body": json.loads(body) if body else None,
                    "authorization": request.headers.get("Authorization"),
                }
            )
            return await handler(request)

        self.app.router.add_route(method, path, recorded)

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _per_page(value: Any, default: int, cap: int) -> int:
    try:
        return max(1, min(int(value), cap))
    except (TypeError, ValueError):
        return default


def cursor(
    items: list[Any],
    *,
    items_path: str = "data",
    body: bool = False,
    max_per_page: int = 1000,
    default_per_page: int = 50,
    meta: str = "pages",
) -> Handler:
    n = len(items)

    async def handler(request: web.Request) -> web.Response:
        if body:
            paging = (await request.json()).get("pagination") or {}
        else:
            paging = request.query
        per_page = _per_page(paging.get("per_page"), default_per_page, max_per_page)
        after = paging.get("starting_after")
        try:
            start = decode_cursor(after) if after else 0
        except ValueError:
            return error(400, "parameter_invalid", "invalid starting_after")
        chunk = items[start : start + per_page]
        end = start + len(chunk)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": start // per_page + 1,
            "per_page": per_page,
            "total_pages": math.ceil(n / per_page),
        }
        if end < n:
            pages["next"] = {"page": start // per_page + 2, "starting_after": encode_cursor(end)}
        return web.json_response(envelope(chunk, items_path, meta, pages, n))

    return handler


def page(
    items: list[Any],
    *,
    items_path: str = "data",
    body: bool = False,
    meta: str = "pages",
    max_per_page: int = 1000,
    default_per_page: int = 50,
    total_pages: Callable[[int], int] | None = None,
) -> Handler:
    """``total_pages`` overrides the count the server reports (a server that lies)."""
    n = len(items)

    async def handler(request: web.Request) -> web.Response:
        params = (await request.json()) if body else request.query
        per_page = _per_page(params.get("per_page"), default_per_page, max_per_page)
        number = int(params.get("page") or 1)
        chunk = items[(number - 1) * per_page : number * per_page]
        count = math.ceil(n / per_page) if total_pages is None else total_pages(number)
        following = None
        if number < count:
            following = f"{request.url.origin()}{request.path}?{urlencode({'page': number + 1, 'per_page': per_page})}"
        pages = {"type": "pages", "page": number, "per_page": per_page, "total_pages": count, "next": following}
        return web.json_response(envelope(chunk, items_path, meta, pages, n))

    return handler


def link(
    items: list[Any],
    *,
    items_path: str = "data",
    max_per_page: int = 1000,
    default_per_page: int = 50,
    host: str | None = None,
) -> Handler:
    """``host`` overrides the origin of the next links (a server pointing elsewhere)."""
    n = len(items)

    async def handler(request: web.Request) -> web.Response:
        per_page = _per_page(request.query.get("per_page"), default_per_page, max_per_page)
        number = int(request.query.get("page") or 1)
        chunk = items[(number - 1) * per_page : number * per_page]
        pages: dict[str, Any] = {"type": "pages", "page": number, "per_page": per_page}
        if number * per_page < n:
            query = {k: v for k, v in request.query.items() if k not in ("page", "per_page")}
            query.update({"per_page": per_page, "page": number + 1})
            pages["next"] = f"{host or request.url.origin()}{request.path}?{urlencode(query)}"
        return web.json_response(envelope(chunk, items_path, "pages", pages, n))

    return handler


class Scroll:
    """``GET /companies/scroll``: one scroll per app at a time; ``fail_on`` serves the restart 500 once on
    each listed request number (1-based, counted over all requests), and the failed scroll stays dead."""

    def __init__(
        self, items: list[Any], *, page_size: int = 100, ttl: float = 60.0, fail_on: tuple[int, ...] = ()
    ) -> None:
        self.items = items
        self.page_size = page_size
        self.ttl = ttl
        self.fail_on = set(fail_on)
        self.scrolls: dict[str, dict[str, Any]] = {}  # scroll_param -> {"offset", "used", "dead"}
        self.served = 0
        self.started = 0

    def _active(self) -> str | None:
        now = time.monotonic()
        for key, state in self.scrolls.items():
            if not state["dead"] and now - state["used"] < self.ttl:
                return key
        return None

    async def handler(self, request: web.Request) -> web.Response:
        self.served += 1
        param = request.query.get("scroll_param")
        if param is None:
            if self._active() is not None:
                return error(400, "scroll_exists", "A scroll is already in progress for this app")
            param = str(uuid.uuid4())
            self.scrolls[param] = {"offset": 0, "used": time.monotonic(), "dead": False}
            self.started += 1
        state = self.scrolls.get(param)
        if state is None or time.monotonic() - state["used"] >= self.ttl:
            return error(404, "scroll_param_not_found", "scroll_param not found or expired")
        if state["dead"] or self.served in self.fail_on:
            state["dead"] = True
            return error(500, "server_error", RESTART_MESSAGE)
        chunk = self.items[state["offset"] : state["offset"] + self.page_size]
        state["offset"] += len(chunk)
        state["used"] = time.monotonic()
        if not chunk:
            state["dead"] = True  # the end: the scroll parameter expires
        body = {"type": "list", "data": chunk, "pages": None, "total_count": None, "scroll_param": param}
        return web.json_response(body)
