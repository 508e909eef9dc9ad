"""Paging facts and paging styles: what ``Operation.pagination`` holds, below the pager that follows it.

``Pagination`` is generated into each version's ``OPERATIONS`` (from ``codegen/pagination.py``): where a page
keeps its items and its paging fields, and which of Intercom's six paging styles the operation uses. Each
style is a small ``Strategy`` that knows three things, and nothing about HTTP or clients:

* ``start(query, body)``: the position a request already asks for (``None`` for the first page);
* ``locate(position, query, body)``: the query, body and URL that ask for the page at ``position``;
* ``next(data, position, paging, where)``: the position of the page after ``data`` (``None`` at the end).

=============  ===================================================================================
style          request side / response side
=============  ===================================================================================
cursor         ``?starting_after=``; next cursor at ``pages.next.starting_after``
body_cursor    ``{"pagination": {"starting_after"}}`` in the JSON body; same response
page           ``?page=``; ``pages{page, total_pages}``; the next page is ``page + 1``
body_page      ``{"page"}`` in the JSON body; same response
scroll         ``?scroll_param=``; the next one is the response's ``scroll_param``
link           ``pages.next`` is the URL of the next page (the pager checks it against the base URL)
=============  ===================================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ._codec import dump, value_decoder
from ._errors import InvalidRequestError, PaginationError
from ._types import UNSET

__all__ = ["SHAPES", "STRATEGIES", "Pagination", "Steps", "Strategy", "pluck"]

Steps = tuple[tuple[str, "str | None"], ...]  # ((JSON key, model attribute or None when undeclared), ...)


def pluck(obj: Any, steps: Steps | None) -> Any:
    """The value at ``steps`` in a typed model or plain JSON (``None`` when any step is missing)."""
    if steps is None:
        return None
    for key, attr in steps:
        if obj is None or obj is UNSET:
            return None
        if isinstance(obj, dict):
            obj = obj.get(key)
            continue
        value = getattr(obj, attr, UNSET) if attr else UNSET
        if value is UNSET:
            extra = getattr(obj, "additional_properties", None)
            value = extra.get(key) if isinstance(extra, dict) else None
        obj = value
    return None if obj is UNSET else obj


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _set_in_body(body: Any, keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of the JSON body with ``keys`` (a path) set to ``value``."""
    data = dump(body) if body is not UNSET else {}
    if not isinstance(data, dict):
        raise InvalidRequestError(f"a paginated request body must be a JSON object, not {type(data).__name__}")
    out = dict(data)
    node = out
    for key in keys[:-1]:
        child = node.get(key)
        node[key] = dict(child) if isinstance(child, dict) else {}
        node = node[key]
    node[keys[-1]] = value
    return out


Located = tuple["dict[str, Any] | None", Any, "str | None"]  # (query, body, absolute URL or None)


class Strategy:
    """One paging style. Subclasses override what differs; positions are opaque to the pager."""

    name: ClassVar[str]
    query_param: ClassVar[str | None] = None  # the query parameter that carries the position, if any
    repeats_allowed: ClassVar[bool] = False  # may the same position come back (scroll)?

    def start(self, query: Mapping[str, Any], body: Any) -> Any:
        value = query.get(self.query_param) if self.query_param else None
        return None if value is UNSET or value == "" else value

    def coerce(self, position: Any) -> Any:
        """A saved position as ``resume`` accepts it."""
        return position

    def locate(self, position: Any, query: dict[str, Any], body: Any) -> Located:
        assert self.query_param is not None
        return {**query, self.query_param: position}, body, None

    def next(self, data: Any, position: Any, paging: Pagination, where: str) -> Any:
        value = pluck(data, paging.next)
        if value is None or value == "":
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise PaginationError(f"{where}: unexpected next cursor of type {type(value).__name__}")
        return value


class QueryCursor(Strategy):
    name = "cursor"
    query_param: ClassVar[str | None] = "starting_after"

    def next(self, data: Any, position: Any, paging: Pagination, where: str) -> Any:
        value = super().next(data, position, paging, where)
        if value is None and paging.next:
            holder = pluck(data, paging.next[:-1])
            if isinstance(holder, str) and holder:  # a link where a cursor belongs: stopping would lose data
                raise PaginationError(f"{where}: pages.next is a link, not a starting_after cursor")
        return value


class BodyCursor(QueryCursor):
    name = "body_cursor"
    query_param = None

    def start(self, query: Mapping[str, Any], body: Any) -> Any:
        data = dump(body) if body is not UNSET else None
        value = (data.get("pagination") or {}).get("starting_after") if isinstance(data, dict) else None
        return None if value is UNSET or value == "" else value

    def locate(self, position: Any, query: dict[str, Any], body: Any) -> Located:
        return query, _set_in_body(body, ("pagination", "starting_after"), position), None


class QueryPage(Strategy):
    name = "page"
    query_param: ClassVar[str | None] = "page"

    def coerce(self, position: Any) -> Any:
        try:
            return int(position)
        except (TypeError, ValueError):
            raise InvalidRequestError(f"a page position must be a page number, got {position!r}") from None

    def next(self, data: Any, position: Any, paging: Pagination, where: str) -> Any:
        requested = position if position is not None else 1
        reported = pluck(data, paging.page)
        if _is_int(reported) and reported != requested:
            raise PaginationError(f"{where}: asked for page {requested}, the server answered page {reported}")
        total = pluck(data, paging.total_pages)
        if _is_int(total) and requested >= total:
            return None
        return requested + 1


class BodyPage(QueryPage):
    name = "body_page"
    query_param = None

    def start(self, query: Mapping[str, Any], body: Any) -> Any:
        data = dump(body) if body is not UNSET else None
        value = data.get("page") if isinstance(data, dict) else None
        return None if value is UNSET or value == "" else value

    def locate(self, position: Any, query: dict[str, Any], body: Any) -> Located:
        return query, _set_in_body(body, ("page",), position), None


class Scroll(Strategy):
    name = "scroll"
    query_param: ClassVar[str | None] = "scroll_param"
    repeats_allowed = True  # the same scroll_param may come back page after page; progress is checked by items


class Link(Strategy):
    name = "link"

    def locate(self, position: Any, query: dict[str, Any], body: Any) -> Located:
        return None, body, position  # the link carries the whole query

    def next(self, data: Any, position: Any, paging: Pagination, where: str) -> Any:
        value = pluck(data, paging.next)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise PaginationError(f"{where}: the next-page link is not a URL ({type(value).__name__})")
        return value


STRATEGIES: dict[str, Strategy] = {
    s.name: s for s in (QueryCursor(), BodyCursor(), QueryPage(), BodyPage(), Scroll(), Link())
}
SHAPES = tuple(STRATEGIES)


class Pagination:
    """How one operation pages; generated into ``OPERATIONS`` as ``Operation.pagination``."""

    __slots__ = (
        "_decode",
        "item",
        "item_model",
        "items",
        "next",
        "note",
        "page",
        "shape",
        "strategy",
        "total_pages",
        "undeclared",
    )

    def __init__(
        self,
        *,
        shape: str,
        items: Steps,
        item: Any,
        item_model: str | None = None,
        next: Steps | None = None,
        page: Steps | None = None,
        total_pages: Steps | None = None,
        undeclared: tuple[str, ...] = (),
        note: str = "",
    ) -> None:
        strategy = STRATEGIES.get(shape)
        if strategy is None:
            raise ValueError(f"unknown paging shape {shape!r}")
        self.shape = shape
        self.strategy = strategy
        self.items = items  # where a page keeps its items
        self.item = item  # the type descriptor of one item (see intercom_async._codec.decoder)
        self._decode: Callable[[Any], Any] | None = None
        self.item_model = item_model  # the item class when the spec's is missing or wrong
        self.next = next  # cursor / link / scroll_param of the next page
        self.page = page  # page-number shapes: current page ...
        self.total_pages = total_pages  # ... and page count
        self.undeclared = undeclared  # paging parameters the generated method adds to the spec's
        self.note = note  # where the real API differs from the spec

    def item_decoder(self, models: Any) -> Callable[[Any], Any]:
        """Decodes one raw item into its typed model (built on first use)."""
        decode = self._decode
        if decode is None:
            decode = self._decode = value_decoder(self.item, models)
        return decode

    @property
    def items_path(self) -> str:
        return ".".join(key for key, _ in self.items)

    def __repr__(self) -> str:
        return f"<Pagination {self.shape}: items at {self.items_path}>"
