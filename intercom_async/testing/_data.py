"""What the fake Intercom answers, without any HTTP: documented examples, minimal bodies, pages, error shapes.

* ``examples(version)``: the documented 2xx example of each operation, from the version package's
  ``examples.json`` (written by ``make generate``, see ``codegen/examples.py``), loaded on first use.
* ``sample(descriptor, models)``: a minimal value that passes strict validation for a strict descriptor of the
  generated field tables (``"str"``, ``("model", "Contact")``, ``("list", ...)``, ...): required fields only,
  type-correct placeholders, the first member of an enum. ``sample_body(op)`` is one for a request body.
* ``Pager``: serves a list of items as the pages of one paginated operation, in the operation's own paging
  style (``op.pagination.shape``), so the SDK's pager walks them exactly as it walks Intercom's.
* ``error_body(...)``: Intercom's error shape, ``{"type": "error.list", "request_id", "errors": [...]}``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import math
import time
import types
import uuid
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from .._codec import dump
from .._errors import InvalidRequestError
from .._json import loads
from .._operation import Operation
from .._paging import pluck
from .._versions import VERSIONS

__all__ = ["Pager", "PagingError", "error_body", "examples", "sample", "sample_body"]


# ---------------------------------------------------------------------------------------------- examples


@functools.cache
def examples(version: str) -> Mapping[str, tuple[int, Any]]:
    """``{operationId: (status, example)}``: the documented 2xx JSON example of every operation that has one
    (read-only and shared: ``FakeIntercom.example(operation)`` gives a copy to change)."""
    info = VERSIONS.get(version)
    if info is None:
        raise InvalidRequestError(f"unknown Intercom API version {version!r}; this SDK has {list(VERSIONS)}")
    data = loads(resources.files(info.module).joinpath("examples.json").read_bytes())
    return types.MappingProxyType(
        {key: (int(entry["status"]), entry["example"]) for key, entry in data["responses"].items()}
    )


def example(version: str, operation_id: str) -> tuple[int, Any] | None:
    found = examples(version).get(operation_id)
    return None if found is None else (found[0], copy.deepcopy(found[1]))


# ---------------------------------------------------------------------------------------------- minimal bodies

_PLACEHOLDERS: dict[str, Any] = {"str": "string", "int": 0, "float": 0.0, "bool": False}
_MAX_DEPTH = 12  # required fields nest rarely; a cycle of required fields stops here with an empty object


def sample(desc: Any, models: Any, depth: int = 0) -> Any:
    """A minimal value of strict descriptor ``desc``: what ``_codec.validate_descriptor`` accepts."""
    if desc == "any":
        return {}
    if isinstance(desc, str):
        return _PLACEHOLDERS[desc]
    kind, arg = desc
    if kind == "model":
        return _sample_model(getattr(models, arg), models, depth)
    if kind == "enum":
        return next(iter(getattr(models, arg))).value
    if kind in ("list", "list?"):
        return []
    if kind == "union":
        return sample(arg[0], models, depth)
    raise ValueError(f"unknown descriptor {desc!r}")


def _sample_model(cls: Any, models: Any, depth: int) -> dict[str, Any]:
    if depth >= _MAX_DEPTH:
        return {}
    return {  # required fields, and the identity fields Intercom always returns (``Model._PRESENT``: id, type)
        json_name: sample(d, models, depth + 1)
        for json_name, attr, required, _nullable, d in cls._FIELDS
        if required or attr in cls._PRESENT
    }


def sample_body(op: Operation) -> dict[str, Any] | None:
    """A minimal valid request body for ``op`` (its first body model), or ``None`` when it takes no JSON object."""
    classes = op.body_models()
    if not classes:
        return None
    return _sample_model(classes[0], op._models, 0)


# ---------------------------------------------------------------------------------------------- errors


def request_id() -> str:
    return "req_" + uuid.uuid4().hex[:20]


def error_body(code: str, message: str, *, field: str | None = None, rid: str | None = None) -> dict[str, Any]:
    """Intercom's error shape: ``{"type": "error.list", "request_id": ..., "errors": [{"code", "message"}]}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"type": "error.list", "request_id": rid or request_id(), "errors": [error]}


# ---------------------------------------------------------------------------------------------- pages


class PagingError(Exception):
    """A paging request the real API would refuse: ``status``, ``code`` and ``message`` for the error body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _keys(steps: Sequence[tuple[str, Any]] | None) -> tuple[str, ...]:
    return tuple(key for key, _ in steps or ())


def _set(target: dict[str, Any], keys: Sequence[str], value: Any) -> None:
    for key in keys[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    target[keys[-1]] = value


def _int(value: Any, name: str, minimum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PagingError(400, "parameter_invalid", f"{name} must be an integer") from None
    if number < minimum:
        raise PagingError(400, "parameter_invalid", f"{name} must be at least {minimum}")
    return number


def pack(value: Any) -> str:
    """An opaque ``starting_after`` cursor like Intercom's: unpadded url-safe base64 of compact JSON."""
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def unpack(cursor: str) -> Any:
    """The JSON value of a ``pack`` cursor; anything else is a 400 ``parameter_invalid``."""
    try:
        # bounded: a cursor nested 100,000 levels deep is a 400, not a RecursionError
        return loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise PagingError(400, "parameter_invalid", "starting_after is not a valid cursor") from None


def encode_cursor(offset: int, last_id: Any) -> str:
    """An opaque ``starting_after`` cursor like Intercom's (base64 of a small JSON array)."""
    return pack([offset, str(last_id)])


def cursor_for(items: Sequence[Any], offset: int) -> str:
    """The cursor of the page starting at ``items[offset]`` (it names the item before it, like Intercom's)."""
    last = items[offset - 1]
    return encode_cursor(offset, last.get("id") if isinstance(last, dict) else offset)


def decode_cursor(cursor: str) -> int:
    try:
        offset = unpack(cursor)[0]
    except (TypeError, IndexError, KeyError):
        raise PagingError(400, "parameter_invalid", "starting_after is not a valid cursor") from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise PagingError(400, "parameter_invalid", "starting_after is not a valid cursor")
    return offset


class _Scroll:
    __slots__ = ("done", "offset", "used")

    def __init__(self) -> None:
        self.offset = 0
        self.used = time.monotonic()
        self.done = False


def _classes(desc: Any, models: Any) -> list[Any]:
    if isinstance(desc, tuple) and desc[0] == "model":
        return [getattr(models, desc[1])]
    if isinstance(desc, tuple) and desc[0] == "union":
        return [cls for alt in desc[1] for cls in _classes(alt, models)]
    return []


def declared_keys(op: Operation, keys: Sequence[str]) -> frozenset[str] | None:
    """The JSON keys the response model of ``op`` declares for the object at ``keys`` (``None`` when the spec
    does not say: an undeclared container, a free-form object)."""
    spec = op.response_spec(200)
    if spec is None or spec[1] != "json":
        return None
    descs = [spec[2]]
    for key in keys:
        rows = [f for cls in (c for d in descs for c in _classes(d, op._models)) for f in cls._FIELDS if f[0] == key]
        if not rows:
            return None
        descs = [row[4] for row in rows]
    classes = [cls for d in descs for cls in _classes(d, op._models)]
    if not classes or any(cls._ADDITIONAL is not None for cls in classes):
        return None
    return frozenset(f[0] for cls in classes for f in cls._FIELDS)


class Pager:
    """The pages of one paginated operation over ``items``, as Intercom serves them for its paging style.

    ``per_page`` is the page size when the request names none, ``max_per_page`` the cap the API applies to
    a larger one (a client must not take the short page for the last). ``template`` is the documented page
    (its other fields are kept). Scrolls follow the API: one open scroll at a time, the same
    ``scroll_param`` page after page, an empty page at the end, expiry after ``scroll_ttl()`` idle seconds.
    """

    def __init__(
        self,
        op: Operation,
        items: Sequence[Any],
        *,
        per_page: int,
        max_per_page: int,
        template: Any = None,
        scroll_ttl: Callable[[], float] = lambda: 60.0,
    ) -> None:
        if op.pagination is None:
            raise InvalidRequestError(f"{op.operation_id} is not paginated")
        self.op = op
        self.paging = op.pagination
        self.items = [dump(item) for item in items]
        self.per_page = per_page
        self.max_per_page = max_per_page
        self.template = template if isinstance(template, dict) else {"type": "list"}
        self.scroll_ttl = scroll_ttl
        self.scrolls: dict[str, _Scroll] = {}

    def _pages(self, keys: Sequence[str], pages: dict[str, Any], needed: Sequence[str]) -> dict[str, Any]:
        """``pages`` without the informational fields (``type``, ``per_page``, ...) that the response model does
        not declare at ``keys``, so a strict client accepts the page; ``needed`` (paging) fields stay."""
        declared = declared_keys(self.op, keys)
        if declared is None:
            return pages
        return {k: v for k, v in pages.items() if k in declared or k in needed}

    def _size(self, value: Any) -> int:
        if value is None or value == "":
            return self.per_page
        return min(_int(value, "per_page", 1), self.max_per_page)

    def _envelope(self, chunk: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = dump(self.template)  # a deep copy of the JSON template
        _set(out, _keys(self.paging.items), chunk)
        if "total_count" in out:
            out["total_count"] = len(self.items)
        return out

    def page(self, query: Mapping[str, str], body: Any, url: str) -> dict[str, Any]:
        """The JSON of the page a request asks for. ``url`` is the request's URL without its query (for the
        next-page links). Raises ``PagingError`` for a request the API would refuse."""
        shape = self.paging.shape
        body = body if isinstance(body, dict) else {}
        if shape in ("cursor", "body_cursor"):
            source = query if shape == "cursor" else (body.get("pagination") or {})
            if not isinstance(source, Mapping):
                raise PagingError(400, "parameter_invalid", "pagination must be an object")
            size = self._size(source.get("per_page"))
            after = source.get("starting_after")
            start = decode_cursor(str(after)) if after not in (None, "") else 0
            return self._cursor_page(start, size)
        if shape in ("page", "body_page", "link"):
            source = body if shape == "body_page" else query
            size = self._size(source.get("per_page"))
            number = _int(source.get("page") or 1, "page", 1)
            return self._numbered_page(number, size, query, url)
        if shape == "scroll":
            return self._scroll_page(query.get("scroll_param"))
        raise AssertionError(f"unknown paging shape {shape!r}")

    def _cursor_page(self, start: int, size: int) -> dict[str, Any]:
        chunk = self.items[start : start + size]
        end = start + len(chunk)
        out = self._envelope(chunk)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": start // size + 1,
            "per_page": size,
            "total_pages": math.ceil(len(self.items) / size),
        }
        container = _keys(self.paging.next)[:-2]  # pages.next.starting_after -> pages
        if end < len(self.items):
            following = {"page": start // size + 2, "starting_after": cursor_for(self.items, end)}
            pages["next"] = self._pages((*container, "next"), following, ("starting_after",))
        _set(out, container, self._pages(container, pages, ("next",)))
        return out

    def _numbered_page(self, number: int, size: int, query: Mapping[str, str], url: str) -> dict[str, Any]:
        chunk = self.items[(number - 1) * size : number * size]
        total = math.ceil(len(self.items) / size)
        out = self._envelope(chunk)
        if self.paging.shape == "link":
            pages: dict[str, Any] = {"type": "pages", "page": number, "per_page": size, "total_pages": total}
            if number < total:
                following = {k: v for k, v in query.items() if k not in ("page", "per_page")}
                following.update({"per_page": str(size), "page": str(number + 1)})
                pages["next"] = f"{url}?{urlencode(following)}"
            container = _keys(self.paging.next)[:-1]  # pages.next -> pages
            _set(out, container, self._pages(container, pages, ("next",)))
            return out
        page_keys, total_keys = _keys(self.paging.page), _keys(self.paging.total_pages)
        if len(page_keys) > 1:  # pages.page: a fresh pages object
            pages = {"type": "pages", "page": number, "per_page": size, "total_pages": total}
            _set(out, page_keys[:-1], self._pages(page_keys[:-1], pages, (page_keys[-1], *total_keys[-1:])))
        elif "per_page" in (declared_keys(self.op, ()) or ()):  # page fields at the top level
            out["per_page"] = size
        if page_keys:
            _set(out, page_keys, number)
        if total_keys:
            _set(out, total_keys, total)
        return out

    def _scroll_page(self, param: str | None) -> dict[str, Any]:
        now = time.monotonic()
        ttl = self.scroll_ttl()
        if param is None or param == "":
            for other in self.scrolls.values():
                if not other.done and now - other.used < ttl:
                    raise PagingError(400, "scroll_exists", "A scroll is already in progress for this app")
            param = uuid.uuid4().hex
            self.scrolls[param] = _Scroll()
        state = self.scrolls.get(param)
        if state is None or state.done or now - state.used >= ttl:
            raise PagingError(404, "scroll_param_not_found", "scroll_param not found or expired")
        chunk = self.items[state.offset : state.offset + self.per_page]
        state.offset += len(chunk)
        state.used = now
        if not chunk:
            state.done = True  # the end: the scroll parameter expires
        out = self._envelope(chunk)
        _set(out, _keys(self.paging.next), param)
        return out


def template_items(op: Operation, template: Any) -> list[Any]:
    """The items of a documented page (``[]`` when it has none where the operation keeps them)."""
    if op.pagination is None:
        return []
    found = pluck(template, op.pagination.items)
    return list(found) if isinstance(found, list) else []
