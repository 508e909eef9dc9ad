"""Registry-driven: every operation the codegen marks paginated really paginates over HTTP, in every version,
and no operation whose response carries paging fields is left unmarked (checked against the spec, read
here independently of the generator)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from codegen.pagination import NOT_PAGINATED, TABLE
from intercom_async._codec import dump
from intercom_async._pagination import AsyncPager
from tests.pagination import fake
from tests.support import spec

PER_PAGE = 3
REGISTRIES = {v: importlib.import_module(f"intercom_async.{m}.operations").OPERATIONS for v, m in spec.VERSIONS.items()}
PAGINATED = [
    pytest.param(version, op.operation_id, id=f"{version}-{op.operation_id}")
    for version, registry in REGISTRIES.items()
    for op in registry.paginated()
]

# The shapes the issue names (A-E), checked wherever the operation exists.
ISSUE_SHAPES = {
    "ListContacts": "cursor",
    "listConversations": "cursor",
    "listMacros": "cursor",
    "listDataConnectors": "cursor",
    "getWhatsAppMessageStatus": "cursor",
    "ListAttachedContacts": "cursor",
    "SearchContacts": "body_cursor",
    "searchConversations": "body_cursor",
    "searchTickets": "body_cursor",
    "retrieveCompany": "page",
    "listAllCompanies": "page",
    "listArticles": "page",
    "listAllCollections": "page",
    "listNotes": "page",
    "listActivityLogs": "page",
    "listNewsItems": "page",
    "listNewsfeeds": "page",
    "listLiveNewsfeedItems": "page",
    "listInternalArticles": "page",
    "listCalls": "page",
    "listFolders": "page",
    "listCompanyNotes": "page",
    "listContentSnippets": "page",
    "searchActivityLogs": "body_page",
    "scrollOverAllCompanies": "scroll",
    "listCompaniesForAContact": "link",
    "lisDataEvents": "link",
    "listExternalPages": "link",
    "listContentImportSources": "link",
    "listDeletedConversationIds": "link",
}


def _meta(op: Any) -> str:
    steps = op.pagination.page or ()
    return ".".join(key for key, _ in steps[:-1])


def _mount(server: fake.Recorder, op: Any, items: list[Any]) -> fake.Scroll | None:
    p = op.pagination
    path = p.items_path
    handlers = {
        "cursor": lambda: fake.cursor(items, items_path=path, default_per_page=PER_PAGE),
        "body_cursor": lambda: fake.cursor(items, items_path=path, body=True, default_per_page=PER_PAGE),
        "page": lambda: fake.page(items, items_path=path, meta=_meta(op), default_per_page=PER_PAGE),
        "body_page": lambda: fake.page(items, items_path=path, body=True, default_per_page=PER_PAGE),
        "link": lambda: fake.link(items, items_path=path, default_per_page=PER_PAGE),
    }
    if p.shape == "scroll":
        scroll = fake.Scroll(items, page_size=PER_PAGE)
        server.route(op.method, op.path, scroll.handler)
        return scroll
    server.route(op.method, op.path, handlers[p.shape]())
    return None


def _arguments(method: Any, op: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(method).parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if name == "body":
            if op.pagination.shape == "body_cursor":
                kwargs["body"] = {
                    "query": {"field": "id", "operator": "=", "value": "1"},
                    "pagination": {"per_page": PER_PAGE},
                }
            elif op.pagination.shape == "body_page":
                kwargs["body"] = {"created_at_after": "1", "per_page": PER_PAGE}
            elif op.body_required:
                kwargs["body"] = {}
        elif name == "filter_":
            kwargs[name] = {"user_id": "u1"}
        elif name == "per_page":
            kwargs[name] = PER_PAGE
        elif param.default is inspect.Parameter.empty and name != "self":
            kwargs[name] = "x1"
    return kwargs


@pytest.mark.parametrize(("version", "operation_id"), PAGINATED)
async def test_every_paginated_operation_walks_every_page(server, connect, version, operation_id):
    op = REGISTRIES[version][operation_id]
    items = fake.make_items(2 * PER_PAGE + 1, prefix=operation_id)
    scroll = _mount(server, op, items)
    client = connect(version, await server.start())
    method = op.bind(client)
    pager = method(**_arguments(method, op))
    assert isinstance(pager, AsyncPager)
    got = [item async for item in pager]
    assert [dump(item)["id"] for item in got] == [item["id"] for item in items]
    assert all(hasattr(item, "to_dict") for item in got), "items are typed models"
    if op.pagination.item_model:
        cls = getattr(REGISTRIES[version].models, op.pagination.item_model)
        assert all(isinstance(item, cls) for item in got)
    assert len(server.requests) == (4 if scroll else 3)
    assert {(r["method"], r["authorization"]) for r in server.requests} == {(op.method, "Bearer tok-pagination-secret")}
    for name in op.pagination.undeclared:  # the table's undeclared parameters are keyword arguments
        assert name in inspect.signature(method).parameters
    if "per_page" in inspect.signature(method).parameters:
        assert server.requests[0]["query"].get("per_page") == str(PER_PAGE)


def _top_level_keys(version: str, schema: Any, depth: int = 0) -> set[str]:
    document = spec.load(version)
    schema = spec.resolve(document, schema)
    if not isinstance(schema, dict) or depth > 10:
        return set()
    keys = set(schema.get("properties") or {})
    for part in schema.get("allOf") or ():
        keys |= _top_level_keys(version, part, depth + 1)
    return keys


def _answers_with_paging_fields(version: str, op: dict[str, Any]) -> bool:
    document = spec.load(version)
    for status, response in op["responses"].items():
        if not status.startswith("2"):
            continue
        media = spec.resolve(document, response).get("content", {}).get("application/json", {})
        keys = _top_level_keys(version, media.get("schema", {}))
        for example in media.get("examples", {}).values():
            value = spec.resolve(document, example).get("value")
            keys |= set(value) if isinstance(value, dict) else set()
        if keys & {"pages", "total_pages", "scroll_param"}:
            return True
    return False


@pytest.mark.parametrize("version", list(spec.VERSIONS))
def test_no_operation_with_paging_fields_is_left_unmarked(version):
    registry = REGISTRIES[version]
    unmarked = [
        op["operationId"]
        for _path, _method, op in spec.operations(version)
        if _answers_with_paging_fields(version, op)
        and registry[op["operationId"]].pagination is None
        and op["operationId"] not in NOT_PAGINATED
    ]
    assert unmarked == []
    for _path, _method, op in spec.operations(version):
        paged = registry[op["operationId"]].pagination is not None
        assert paged == (_answers_with_paging_fields(version, op) or op["operationId"] in TABLE), op["operationId"]


def test_every_table_entry_exists_in_some_version():
    present = {op_id for registry in REGISTRIES.values() for op_id in registry}
    assert sorted(set(TABLE) - present) == []


def test_the_issue_shapes():
    for version, registry in REGISTRIES.items():
        for op_id, shape in ISSUE_SHAPES.items():
            if op_id in registry:
                assert registry[op_id].pagination.shape == shape, (version, op_id)
    assert REGISTRIES["Unstable"]["searchActivityLogs"].pagination.shape == "body_page"
