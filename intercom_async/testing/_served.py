"""The endpoints ``FakeIntercom(workspace=...)`` answers from its ``Workspace``, in the version's shapes.

``WorkspaceAPI(version, operations, models, workspace).answer(operation_id, request)`` returns
``(status, json)`` for the operations it serves (``None`` for the others, which the fake answers as before):

* search (``SearchContacts``, ``searchConversations``, ``searchTickets``, Preview ``searchCompanies``): the query
  language of ``_query`` with the endpoint's date rules (stable versions' contact search by calendar day in the
  workspace's time zone, everything else by the second), ``sort`` where the version's request model has it
  (ties broken by id), ``pagination.per_page`` (capped at 150) and ``starting_after`` cursors that name the
  last item's sort key, ``total_count``; served from the lagging index;
* lists: ``ListContacts`` and ``listConversations`` (cursor, id order), ``retrieveCompany`` (``GET /companies``,
  pages, stopping at 10,000 results), ``scrollOverAllCompanies`` (one open scroll per workspace, idle expiry,
  closed by a 5xx), ``listDeletedConversationIds``, ``ListContactActivities``;
* single records: ``ShowContact``, ``retrieveConversation`` / ``getTicket`` (with their parts),
  ``RetrieveACompanyById``; ``identifyAdmin`` (``GET /me``) with ``app.timezone``.

Item bodies start from the version's documented example of the single-record operation (or a minimal valid
body), so the SDK parses them into the version's models.
"""

from __future__ import annotations

import bisect
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .._operation import Operation, Registry
from . import _data
from ._data import PagingError as _Refusal  # a request the API refuses: status, code, message
from ._query import INDEXED, DateRules, QueryError, compile_query
from ._workspace import SORT_KEYS, Rec, Workspace, _defaults, _Table

__all__ = ["COMPANY_LIST_CAP", "WorkspaceAPI"]

COMPANY_LIST_CAP = 10_000  # GET /companies returns no company beyond this many
MAX_PER_PAGE = 150
SEARCHES = {
    "SearchContacts": "contacts",
    "searchConversations": "conversations",
    "searchTickets": "tickets",
    "searchCompanies": "companies",
}
DEFAULT_PER_PAGE = {"contacts": 50, "conversations": 20, "tickets": 20, "companies": 15}
ITEM_OPERATIONS = {
    "contacts": "ShowContact",
    "conversations": "retrieveConversation",
    "tickets": "getTicket",
    "companies": "RetrieveACompanyById",
}
PARTS = {"conversations": ("conversation_parts", "conversation_part"), "tickets": ("ticket_parts", "ticket_part")}
Reply = tuple[int, Any]


_encode = _data.pack


def _decode(cursor: Any) -> Any:
    return _data.unpack(str(cursor))


def _tuple(value: Any) -> Any:
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def _size(value: Any, default: int, cap: int = MAX_PER_PAGE) -> int:
    if value is None or value == "":
        return default
    return min(_data._int(value, "per_page", 1), cap)


def _generic_key(field: str) -> Callable[[Rec], tuple[Any, ...]]:
    def key(rec: Rec) -> tuple[Any, ...]:
        value = rec.value(field)
        if value is None:
            return ((0, 0, ""), rec.id)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return ((1, value, ""), rec.id)
        return ((2, 0, str(value)), rec.id)

    return key


class WorkspaceAPI:
    """Serves a ``Workspace`` for one API version (see the module docstring)."""

    def __init__(
        self,
        version: str,
        operations: Registry,
        models: Any,
        workspace: Workspace,
        *,
        use_examples: bool = True,
        scroll_ttl: Callable[[], float] = lambda: 60.0,
        scroll_size: Callable[[], int] = lambda: 50,
    ) -> None:
        self.version = version
        self.operations = operations
        self.models = models
        self.ws = workspace
        self.use_examples = use_examples
        self.scroll_ttl = scroll_ttl
        self.scroll_size = scroll_size
        self._templates: dict[str, dict[str, Any]] = {}
        self._url = ""
        self._handlers: dict[str, Callable[[Operation, Any], Reply]] = {
            "ListContacts": self._list_contacts,
            "listConversations": self._list_conversations,
            "retrieveCompany": self._list_companies,
            "scrollOverAllCompanies": self._scroll,
            "listDeletedConversationIds": self._deleted,
            "ListContactActivities": self._activities,
            "identifyAdmin": self._me,
        }
        for op_id in SEARCHES:
            self._handlers[op_id] = self._search
        for kind, op_id in ITEM_OPERATIONS.items():
            self._handlers[op_id] = self._single(kind)

    def serves(self, operation_id: str) -> bool:
        return operation_id in self._handlers and operation_id in self.operations

    def answer(self, op: Operation, request: Any, url: str) -> Reply | None:
        """``(status, json)`` for a request of ``op`` (``request``: a ``RecordedRequest``; ``url``: its URL without
        the query, for next-page links), or ``None`` when the workspace does not serve ``op``."""
        handler = self._handlers.get(op.operation_id)
        if handler is None:
            return None
        self._url = url
        try:
            return handler(op, request)
        except QueryError as exc:
            return exc.status, _data.error_body(exc.code, exc.message)
        except _Refusal as exc:
            return exc.status, _data.error_body(exc.code, exc.message)

    def scroll_failed(self, request: Any) -> None:
        """A 5xx was answered to a scroll request: that scroll is over (the walk must restart)."""
        param = request.query.get("scroll_param")
        state = self.ws.scroll
        if state is not None and (not param or param == state["param"]):
            self.ws.scroll = None

    # ------------------------------------------------------------------------------------------ bodies

    def _template(self, kind: str) -> dict[str, Any]:
        found = self._templates.get(kind)
        if found is None:
            op = self.operations.get(ITEM_OPERATIONS[kind])
            documented = _data.example(self.version, op.operation_id) if op is not None and self.use_examples else None
            if documented is not None and isinstance(documented[1], dict):
                found = documented[1]
            elif op is not None and (spec := op.response_spec(200)) is not None and spec[1] == "json":
                found = _data.sample(spec[2], self.models)
            else:
                found = {"type": kind[:-1]}
            self._templates[kind] = found
        return found

    def render(self, rec: Rec, full: bool = False) -> dict[str, Any]:
        """The JSON of ``rec`` as the version's single-record operation returns it; lists and search results
        (``full=False``) carry no conversation or ticket parts."""
        template = self._template(rec.kind)
        body = {**template, **_defaults(rec.kind, rec.n)}
        if rec.fields:
            body.update(rec.fields)
        body["id"] = rec.id
        body["created_at"] = rec.created_at
        body["updated_at"] = rec.updated_at
        parts = PARTS.get(rec.kind)
        if parts is not None:
            key, part_type = parts
            body.pop(key, None)
            if full:
                body[key] = self._parts(rec, template.get(key), key, part_type)
        return body

    @staticmethod
    def _parts(rec: Rec, documented: Any, key: str, part_type: str) -> dict[str, Any]:
        listed = documented.get(key) if isinstance(documented, dict) else None
        model = dict(listed[0]) if isinstance(listed, list) and listed and isinstance(listed[0], dict) else {}
        numeric = isinstance(model.get("id"), int)
        out = []
        for i in range(rec.parts):
            part = dict(model)
            part["type"] = part_type
            part["id"] = int(rec.id) * 1000 + i if numeric else f"{rec.id}-{i}"
            stamp = rec.created_at + (rec.updated_at - rec.created_at) * (i + 1) // max(rec.parts, 1)
            part["created_at"] = part["updated_at"] = stamp
            if "body" in part or not model:
                part["body"] = f"<p>part {i} of {rec.id}</p>"
            out.append(part)
        return {"type": f"{part_type}.list", key: out, "total_count": len(out)}

    def _envelope(self, op: Operation, items: list[dict[str, Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
        documented = _data.example(self.version, op.operation_id) if self.use_examples else None
        out: dict[str, Any] = dict(documented[1]) if documented is not None and isinstance(documented[1], dict) else {}
        out.setdefault("type", "list")
        assert op.pagination is not None
        out[op.pagination.items[0][0]] = items
        out.update(extra)
        return out

    def _pages(self, op: Operation, pages: dict[str, Any], keys: tuple[str, ...] = ("pages",)) -> dict[str, Any]:
        declared = _data.declared_keys(op, keys)
        if declared is None:
            return pages
        return {k: v for k, v in pages.items() if k in declared or k == "next"}

    # ------------------------------------------------------------------------------------------ search

    def _date_rules(self, kind: str) -> DateRules:
        if kind == "contacts":
            if self.version == "Preview":
                return DateRules.seconds(in_on_dates=False)
            return DateRules.days(self.ws.tz)
        return DateRules.seconds(in_on_dates=kind != "companies")

    def _search(self, op: Operation, request: Any) -> Reply:
        kind = SEARCHES[op.operation_id]
        body = request.json if isinstance(request.json, dict) else {}
        if "query" not in body:
            raise _Refusal(400, "parameter_not_found", "query is required")
        compiled = compile_query(body["query"], self._date_rules(kind))
        paging = body.get("pagination") or {}
        if not isinstance(paging, dict):
            raise _Refusal(400, "parameter_invalid", "pagination must be an object")
        size = _size(paging.get("per_page"), DEFAULT_PER_PAGE[kind])
        field, descending = "created_at", False
        sort = body.get("sort")
        if sort is not None:
            if not any(f[0] == "sort" for cls in op.body_models() for f in cls._FIELDS):
                raise _Refusal(400, "parameter_invalid", f"{op.path} takes no sort in API {self.version}")
            if not isinstance(sort, dict) or not isinstance(sort.get("field", "created_at"), str):
                raise _Refusal(400, "parameter_invalid", "sort must be an object with a field (a string)")
            order = sort.get("order", "descending")
            if order not in ("ascending", "descending"):
                raise _Refusal(400, "invalid_sort_order", f"sort order must be ascending or descending, not {order!r}")
            field, descending = sort.get("field", "created_at"), order == "descending"
        page_number, after = 1, None
        if paging.get("starting_after") not in (None, ""):
            decoded = _decode(paging["starting_after"])
            if not (isinstance(decoded, list) and len(decoded) == 4 and decoded[0] == kind):
                raise _Refusal(400, "parameter_invalid", "starting_after is not a valid cursor for this search")
            page_number, after = int(decoded[1]) + 1, _tuple(decoded[3])
            if decoded[2] != [field, descending]:
                raise _Refusal(400, "parameter_invalid", "starting_after belongs to a search with another sort")
        items, total, key = self._matches(self.ws.table(kind), compiled, field, descending, after, size)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": page_number,
            "per_page": size,
            "total_pages": math.ceil(total / size),
        }
        if items and (page_number - 1) * size + len(items) < total:
            cursor = _encode([kind, page_number, [field, descending], key(items[-1])])
            pages["next"] = self._pages(op, {"per_page": size, "starting_after": cursor}, ("pages", "next"))
        rendered = [self.render(rec) for rec in items]
        return 200, self._envelope(op, rendered, {"total_count": total, "pages": self._pages(op, pages)})

    @staticmethod
    def _matches(
        table: _Table, compiled: Any, field: str, descending: bool, after: Any, size: int
    ) -> tuple[list[Rec], int, Callable[[Rec], Any]]:
        """One page of matches in (``field``, id) order after the key ``after``, the number of matches, the key."""
        ranges: dict[str, tuple[int | None, int | None]] = compiled.ranges
        spans = {}
        for name in INDEXED:
            lo, hi = ranges.get(name, (None, None))
            ordered = table.by[name]
            k = SORT_KEYS[name]
            start = 0 if lo is None else bisect.bisect_left(ordered, (lo, ""), key=k)
            end = len(ordered) if hi is None else bisect.bisect_left(ordered, (hi, ""), key=k)
            spans[name] = (start, max(start, end))
        if field in SORT_KEYS and compiled.exact and set(ranges) <= {field}:  # the index answers: no scan
            key: Callable[[Rec], Any] = SORT_KEYS[field]
            ordered = table.by[field]
            start, end = spans[field]
            total = end - start
            if not descending:
                if after is not None:
                    start = max(start, bisect.bisect_right(ordered, after, key=key))
                return ordered[start : min(end, start + size)], total, key
            if after is not None:
                end = min(end, bisect.bisect_left(ordered, after, key=key))
            return ordered[max(start, end - size) : end][::-1], total, key
        # otherwise: the candidates of the narrowest indexed range, filtered and ordered
        source = min(INDEXED, key=lambda name: spans[name][1] - spans[name][0])
        start, end = spans[source]
        found = [rec for rec in table.by[source][start:end] if compiled.matches(rec)]
        key = SORT_KEYS[field] if field in SORT_KEYS else _generic_key(field)
        found.sort(key=key, reverse=descending)
        if after is None:
            return found[:size], len(found), key
        if descending:
            at = len(found) - bisect.bisect_left(found[::-1], after, key=key)
        else:
            at = bisect.bisect_right(found, after, key=key)
        return found[at : at + size], len(found), key

    # ------------------------------------------------------------------------------------------ lists

    def _cursor_list(self, op: Operation, request: Any, kind: str, default: int) -> Reply:
        size = _size(request.query.get("per_page"), default)
        after = request.query.get("starting_after") or None
        page_number = 1
        if after is not None:
            decoded = _decode(after)
            if not (isinstance(decoded, list) and len(decoded) == 3 and decoded[0] == kind):
                raise _Refusal(400, "parameter_invalid", "starting_after is not a valid cursor")
            page_number, after = int(decoded[1]) + 1, str(decoded[2])
        items: list[Rec] = []
        walk = self.ws.iter_live(kind, after)
        for rec in walk:
            items.append(rec)
            if len(items) == size:
                break
        more = next(walk, None) is not None
        total = self.ws.count(kind)
        pages: dict[str, Any] = {
            "type": "pages",
            "page": page_number,
            "per_page": size,
            "total_pages": math.ceil(total / size),
        }
        if more:
            cursor = _encode([kind, page_number, items[-1].id])
            pages["next"] = self._pages(op, {"per_page": size, "starting_after": cursor}, ("pages", "next"))
        rendered = [self.render(rec) for rec in items]
        return 200, self._envelope(op, rendered, {"total_count": total, "pages": self._pages(op, pages)})

    def _list_contacts(self, op: Operation, request: Any) -> Reply:
        return self._cursor_list(op, request, "contacts", 50)

    def _list_conversations(self, op: Operation, request: Any) -> Reply:
        return self._cursor_list(op, request, "conversations", 20)

    def _list_companies(self, op: Operation, request: Any) -> Reply:
        query = request.query
        table = self.ws.table("companies")
        for name in ("company_id", "name"):
            if query.get(name):
                found = [r for r in table.live.values() if r.data().get(name) == query[name]]
                if not found:
                    raise _Refusal(404, "company_not_found", "Company Not Found")
                return 200, self._envelope(op, [self.render(r) for r in found], {"total_count": len(found)})
        size = _size(query.get("per_page"), 15)
        number = _data._int(query.get("page") or 1, "page", 1)
        start = (number - 1) * size
        if start >= COMPANY_LIST_CAP:
            raise _Refusal(
                400,
                "parameter_invalid",
                f"GET /companies returns at most {COMPANY_LIST_CAP:,} companies: use the scroll API beyond them",
            )
        total = len(table.ids)
        reachable = min(total, COMPANY_LIST_CAP)
        end = min(start + size, reachable)
        items = [table.live[rid] for rid in table.ids[start:end]]
        pages: dict[str, Any] = {
            "type": "pages",
            "page": number,
            "per_page": size,
            "total_pages": math.ceil(reachable / size),
        }
        rendered = [self.render(rec) for rec in items]
        return 200, self._envelope(op, rendered, {"total_count": total, "pages": self._pages(op, pages)})

    def _scroll(self, op: Operation, request: Any) -> Reply:
        param = request.query.get("scroll_param") or None
        now = self.ws.now()
        state = self.ws.scroll
        if state is not None and now - state["used"] >= self.scroll_ttl():
            self.ws.scroll = state = None  # expired
        if param is None:
            if state is not None:
                raise _Refusal(400, "scroll_exists", "A scroll is already open for this workspace")
            state = self.ws.scroll = {"param": str(uuid.uuid4()), "after": None, "used": now}
        elif state is None or state["param"] != param:
            raise _Refusal(404, "scroll_param_not_found", "scroll_param not found or expired")
        state["used"] = now
        items: list[Rec] = []
        walk = self.ws.iter_live("companies", state["after"])
        for rec in walk:
            items.append(rec)
            if len(items) == self.scroll_size():
                break
        if items:
            state["after"] = items[-1].id
        else:
            self.ws.scroll = None  # the end: the parameter expires
        rendered = [self.render(rec) for rec in items]
        return 200, self._envelope(op, rendered, {"scroll_param": state["param"], "pages": None, "total_count": None})

    def _deleted(self, op: Operation, request: Any) -> Reply:
        query = request.query
        size = _size(query.get("per_page"), 20, cap=60)
        order = query.get("order") or "desc"
        if order not in ("asc", "desc"):
            raise _Refusal(400, "parameter_invalid", f"order must be asc or desc, not {order!r}")
        try:
            number = max(int(query.get("page") or 1), 1)
        except ValueError:
            raise _Refusal(400, "parameter_invalid", "page must be an integer") from None
        rows = sorted(self.ws.deleted_conversations, key=lambda row: (len(row[0]), row[0]), reverse=order == "desc")
        chunk = rows[(number - 1) * size : number * size]
        total_pages = math.ceil(len(rows) / size)
        pages: dict[str, Any] = {"type": "pages", "page": number, "per_page": size, "total_pages": total_pages}
        if number < total_pages:
            pages["next"] = f"{self._url}?per_page={size}&order={order}&page={number + 1}"
        items = [{"type": "conversation", "id": rid, "metrics_retained": False, "deleted_at": at} for rid, at in chunk]
        extra = {"type": "conversations.list", "total_count": len(rows), "pages": self._pages(op, pages)}
        return 200, self._envelope(op, items, extra)

    def _activities(self, op: Operation, request: Any) -> Reply:
        size = _size(request.query.get("per_page"), 50)
        after = request.query.get("starting_after") or None
        events = self.ws.activities
        start = 0
        if after is not None:
            ids = [event["id"] for event in events]
            if after not in ids:
                raise _Refusal(400, "parameter_invalid", "starting_after is not a known activity id")
            start = ids.index(after) + 1
        chunk = [dict(event) for event in events[start : start + size]]
        pages: dict[str, Any] = {"type": "pages", "per_page": size}
        if start + size < len(events):
            pages["next"] = {"starting_after": chunk[-1]["id"]}
        return 200, self._envelope(op, chunk, {"pages": self._pages(op, pages)})

    # ------------------------------------------------------------------------------------------ single records

    def _single(self, kind: str) -> Callable[[Operation, Any], Reply]:
        def handler(op: Operation, request: Any) -> Reply:
            rid = next(iter(request.path_params.values()), "")
            rec = self.ws.live(kind, rid)
            if rec is None:
                raise _Refusal(404, "not_found", f"{kind[:-1].capitalize()} Not Found")
            return 200, self.render(rec, full=True)

        return handler

    def _me(self, op: Operation, request: Any) -> Reply:
        documented = _data.example(self.version, op.operation_id) if self.use_examples else None
        body: dict[str, Any] = documented[1] if documented is not None else {"type": "admin", "id": "1"}
        app = dict(body.get("app") or {"type": "app", "id_code": "fakeapp1", "name": "Fake workspace"})
        app["timezone"] = self.ws.timezone
        body["app"] = app
        return 200, body
