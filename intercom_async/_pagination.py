"""Pagination: one ``async for`` over every paginated operation, whatever Intercom's paging shape.

The generated method of a paginated operation is a plain ``def`` returning an ``AsyncPager``::

    first = await client.contacts.list(per_page=150)        # the first page's typed model
    async for contact in client.contacts.list(per_page=150):  # every item of every page
        ...
    async for page in client.contacts.list(per_page=150).pages():
        page.data, page.items, page.response, page.next_cursor

``op.pagination`` (a ``Pagination``, generated from ``codegen/pagination.py``; see ``intercom_async._paging``)
says how the operation pages: its ``Strategy`` puts the position of the next page into the ``Request``
(query cursor, body cursor, page number in the query or the body, scroll parameter, next-page URL) and reads
the next position from a page; the descriptor says where a page keeps its items. Items come from the typed page model; where the API puts them under a key the spec does not
declare they are read raw and decoded with the item model, so they are typed models either way.

Termination: a walk stops on a page without a next cursor or link, on an empty page, and on
``page >= total_pages``. A cursor or link the server sends twice, a page number the server does not honour,
two identical pages in a row and a scroll that stops advancing raise ``PaginationError`` instead of looping.
A next-page link is followed only when it points at the client's base URL (scheme, host, port, path
prefix): the access token is never sent anywhere else.

A scroll (``GET /companies/scroll``) that the API asks to restart (a 500 saying so) is started again, at
most ``MAX_SCROLL_RESTARTS`` times, skipping the companies already handed out (by id), so each comes once.

A position (``pager.cursor``, ``Page.cursor``) is what ``pager.resume(position)`` starts from: the
``starting_after`` cursor, the page number, the ``scroll_param`` or the next-page URL, by shape. It is
page-granular: resuming re-reads the page that was being processed.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.parse import urljoin

from ._codec import dump
from ._errors import APIError, PaginationError
from ._paging import Pagination, pluck
from ._request import Request
from ._types import UNSET, RequestOptions
from ._urls import describe, resolve_link

if TYPE_CHECKING:
    from ._client import BaseClient
    from ._response import APIResponse

__all__ = ["AsyncPager", "Page", "PaginationError"]

T = TypeVar("T")
I = TypeVar("I")

MAX_SCROLL_RESTARTS = 3


def _sent_body(request: Request) -> Any:
    """The body as sent: body fields given as keyword arguments merged over ``body=`` (as ``Request.payload``
    does), so a paging strategy reads and moves the position where the request really carries it."""
    if not request.fields:
        return request.body
    base = {} if request.body is UNSET else dump(request.body)
    return {**base, **dump(dict(request.fields))} if isinstance(base, dict) else request.body


def _item_id(item: Any) -> Any:
    value = item.get("id") if isinstance(item, dict) else pluck(item, (("id", "id"),))
    return value if isinstance(value, (str, int)) else None


class Page(Generic[T, I]):
    """One fetched page: ``data`` (the typed page model), ``items`` (typed), ``response`` (``APIResponse``),
    ``cursor`` (the position it was fetched from, ``None`` for the first) and ``next_cursor`` (``None`` at
    the end). ``number`` counts pages from 1 within one walk."""

    __slots__ = ("cursor", "data", "items", "next_cursor", "number", "response")

    def __init__(
        self, data: T, items: list[I], response: APIResponse[T], cursor: Any, next_cursor: Any, number: int
    ) -> None:
        self.data = data
        self.items = items
        self.response = response
        self.cursor = cursor
        self.next_cursor = next_cursor
        self.number = number

    def __repr__(self) -> str:
        return f"<Page {self.number}: {len(self.items)} items, next_cursor={self.next_cursor!r}>"


class AsyncPager(Generic[T, I]):
    """What a paginated method returns: awaitable (the first page) and async-iterable (every item).

    ``await pager`` -> the first page's typed model (``APIResponse`` under ``with_raw_response``).
    ``async for item in pager`` / ``pager.items(max_items=, max_pages=, read_ahead=)`` -> every item.
    ``pager.pages(max_pages=, read_ahead=)`` -> every ``Page``.
    ``pager.resume(position)`` -> a pager starting from a saved position; ``pager.cursor`` is the position
    of the next page not yet handed out (``None`` with ``pager.done`` once the walk has ended).

    ``read_ahead=True`` fetches page n+1 while the caller works on page n; order and results are the same.
    """

    def __init__(self, client: BaseClient, request: Request, *, raw: bool = False) -> None:
        paging = request.operation.pagination
        if paging is None:
            raise TypeError(f"{request.operation.operation_id} is not paginated")
        self._client = client
        self._raw = raw
        self._op = request.operation
        self._paging: Pagination = paging
        self._strategy = paging.strategy
        self._request = self._lift_extra_query(request)
        self._start = self._strategy.start(self._request.query or {}, _sent_body(self._request))
        self._cursor: Any = self._start
        self._done = False

    # ------------------------------------------------------------------ public surface

    @property
    def pagination(self) -> Pagination:
        return self._paging

    @property
    def cursor(self) -> Any:
        """Position of the next page not yet handed out: pass it to ``resume`` to carry on from there."""
        return self._cursor

    @property
    def done(self) -> bool:
        """True once a walk has handed out its last page."""
        return self._done

    def resume(self, cursor: Any) -> AsyncPager[T, I]:
        """A pager over the same request starting at ``cursor`` (a saved ``pager.cursor`` or ``Page.cursor``)."""
        if cursor is not None and self._paging.shape == "link":
            self._resolve_link(cursor)
        elif cursor is not None:
            cursor = self._strategy.coerce(cursor)
        clone = copy.copy(self)
        clone._start = clone._cursor = cursor
        clone._done = False
        return clone

    def __await__(self) -> Generator[Any, None, T]:
        return self._first().__await__()

    def __aiter__(self) -> AsyncIterator[I]:
        return self.items()

    async def items(
        self, *, max_items: int | None = None, max_pages: int | None = None, read_ahead: bool = False
    ) -> AsyncGenerator[I, None]:
        """Every item of every page, in order; at most ``max_items`` items from at most ``max_pages`` pages."""
        if max_items is not None and max_items <= 0:
            return
        count = 0
        async with contextlib.aclosing(self.pages(max_pages=max_pages, read_ahead=read_ahead)) as pages:
            async for page in pages:
                if max_items is None:
                    for item in page.items:
                        yield item
                    continue
                for item in page.items:
                    yield item
                    count += 1
                    if count >= max_items:
                        return

    async def pages(
        self, *, max_pages: int | None = None, read_ahead: bool = False
    ) -> AsyncGenerator[Page[T, I], None]:
        """Every page, in order, from the pager's start position; at most ``max_pages`` pages."""
        walk = _Walk(self)
        position = self._start
        pending: asyncio.Future[APIResponse[T]] | None = None
        handed_out = 0
        try:
            while max_pages is None or handed_out < max_pages:
                try:
                    response = await (pending if pending is not None else self._fetch(position))
                except APIError as exc:
                    pending = None
                    if not walk.restart(exc):
                        raise
                    position = None
                    continue
                pending = None
                page = walk.page(response, position, handed_out + 1)
                if page is None:  # a scroll catching up after a restart: every item already handed out
                    position = walk.last_next
                    continue
                handed_out += 1
                self._cursor, self._done = page.next_cursor, page.next_cursor is None
                if page.next_cursor is not None and read_ahead and (max_pages is None or handed_out < max_pages):
                    pending = asyncio.ensure_future(self._fetch(page.next_cursor))
                yield page
                if page.next_cursor is None:
                    return
                position = page.next_cursor
        finally:
            if pending is not None:
                await _discard(pending)

    def __repr__(self) -> str:
        return f"<AsyncPager {self._op.operation_id} ({self._paging.shape}) cursor={self._cursor!r}>"

    # ------------------------------------------------------------------ requests

    async def _first(self) -> Any:
        response = await self._fetch(self._start)
        return response if self._raw else response.parsed

    def _lift_extra_query(self, request: Request) -> Request:
        """Paging parameters passed through ``extra_query`` become regular ones, so the walk can move them."""
        options = request.options
        if not options or not options.get("extra_query"):
            return request
        extra = options["extra_query"]
        keys = {"per_page", self._strategy.query_param}
        lifted = {k: v for k, v in extra.items() if k in keys}
        if not lifted:
            return request
        rest = cast("RequestOptions", {**options, "extra_query": {k: v for k, v in extra.items() if k not in keys}})
        return request.replace(query={**(request.query or {}), **lifted}, options=rest)

    async def _fetch(self, position: Any) -> APIResponse[T]:
        request = self._request
        if position is not None:
            if self._paging.shape == "link":
                position = self._resolve_link(position)
            if request.fields:  # keyword body fields (pagination=...) would override the position set in the body
                request = request.replace(body=_sent_body(request), fields=None)
            query, body, url = self._strategy.locate(position, dict(request.query or {}), request.body)
            request = request.replace(query=query, body=body, url=url)
        response: APIResponse[T] = await self._client._send(request)
        return response

    def _resolve_link(self, link: Any) -> str:
        """The absolute next-page URL, refused unless it lies under the configured base URL once normalised
        (scheme, host, port, path prefix; no credentials): see ``intercom_async._urls.resolve_link``."""
        if not isinstance(link, str) or not link:
            raise PaginationError(f"{self._where}: the next-page link is not a URL ({type(link).__name__})")
        base = self._client.base_url
        url = resolve_link(base, link)
        if url is None:
            raise PaginationError(
                f"{self._where}: the next-page link points to {describe(_join(base, link))}, outside the configured "
                f"base URL {base}; refusing to send the access token there"
            )
        return url

    @property
    def _where(self) -> str:
        return f"{self._op.method} {self._op.path}"

    def _typed(self, values: list[Any]) -> list[I]:
        models = self._op._models
        cls = getattr(models, self._paging.item_model) if self._paging.item_model else None
        for value in values:
            if type(value) is not cls:
                break
        else:
            return values  # the page model decoded them already (the usual case): no copy
        decode = self._paging.item_decoder(models)
        out = []
        for value in values:
            if type(value) is cls:
                pass
            elif type(value) is dict:
                value = decode(value)
            elif cls is not None and not isinstance(value, cls) and hasattr(value, "to_dict"):
                value = decode(value.to_dict())  # decoded as the spec's (wrong) item model: re-decode losslessly
            out.append(value)
        return out


class _Walk:
    """The state of one walk: positions seen, the previous page, scroll restarts."""

    def __init__(self, pager: AsyncPager[Any, Any]) -> None:
        self.pager = pager
        self.paging = pager._paging
        self.seen: set[Any] = set() if pager._start is None else {pager._start}
        self.previous: Any = None  # fingerprint of the previous page
        self.last_next: Any = None
        self.restarts = 0
        self.ids: set[Any] = set()  # scroll: item ids handed out, to skip them after a restart
        self.pages_this_scroll = 0
        self.catch_up = 0  # scroll: pages of already-seen items still acceptable after a restart

    def restart(self, exc: APIError) -> bool:
        """True when ``exc`` is the scroll's "please restart the scroll" 500 and another restart is allowed."""
        if self.paging.shape != "scroll" or exc.status_code != 500 or self.restarts >= MAX_SCROLL_RESTARTS:
            return False
        text = " ".join(str(e.message or "") for e in exc.errors) or str(exc.body or "")
        if "restart" not in text.lower():
            return False
        self.restarts += 1
        self.catch_up = self.pages_this_scroll + 1
        self.pages_this_scroll = 0
        self.previous = None
        self.seen.clear()
        return True

    def page(self, response: APIResponse[Any], position: Any, number: int) -> Page[Any, Any] | None:
        pager, paging = self.pager, self.paging
        data = response.parsed
        raw = pluck(data, paging.items)
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise PaginationError(f"{pager._where}: expected a list at {paging.items_path!r}, got {type(raw).__name__}")
        items = pager._typed(raw)
        next_cursor = self._next(data, position) if items else None
        self.last_next = next_cursor
        fingerprint = (len(items), _item_id(items[0]), _item_id(items[-1])) if items else None
        if fingerprint is not None and fingerprint[1] is not None and fingerprint == self.previous:
            raise PaginationError(f"{pager._where}: the server returned the same page twice (at {position!r})")
        self.previous = fingerprint
        if paging.shape == "scroll":
            self.pages_this_scroll += 1
            fresh = [item for item in items if _item_id(item) is None or _item_id(item) not in self.ids]
            self.ids.update(_item_id(item) for item in fresh)
            if items and not fresh and next_cursor is not None:
                if self.catch_up <= 0:
                    raise PaginationError(f"{pager._where}: the scroll is not advancing")
                self.catch_up -= 1
                return None
            items = fresh
        return Page(data, items, response, position, next_cursor, number)

    def _next(self, data: Any, position: Any) -> Any:
        """The position of the next page, ``None`` at the end; raises on a position that repeats."""
        pager = self.pager
        strategy = pager._strategy
        value = strategy.next(data, position, self.paging, pager._where)
        if value is None:
            return None
        if self.paging.shape == "link":
            value = _join(pager._client.base_url, value)  # checked against the base URL when followed
        if strategy.repeats_allowed:
            return value
        if value in self.seen:
            shown = value if len(str(value)) <= 80 else str(value)[:77] + "..."
            raise PaginationError(f"{pager._where}: the server sent the cursor {shown!r} again; stopping, not looping")
        self.seen.add(value)
        return value


def _join(base: str, link: str) -> str:
    try:
        return urljoin(base + "/", link)
    except ValueError:  # e.g. a malformed IPv6 host: kept as is, refused when followed
        return link


async def _discard(task: asyncio.Future[Any]) -> None:
    """Cancel a read-ahead request and wait for it, so its connection is released before we return."""
    if not task.done():
        task.cancel()
    try:
        await asyncio.wait({task})
    finally:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" noise
