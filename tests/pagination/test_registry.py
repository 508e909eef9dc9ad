"""Registry-driven: every operation the codegen marks paginated really paginates over HTTP (against the testing
kit's fake Intercom, which pages each operation in its own style), in every version, and no operation whose
response carries paging fields is left unmarked (checked against the spec, read here independently of the
generator)."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from codegen.pagination import NOT_PAGINATED, TABLE
from intercom_async._codec import dump
from intercom_async._pagination import AsyncPager
from intercom_async.testing import sample_body
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


def _arguments(method: Any, op: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(method).parameters.items():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if name == "request_body":
            if op.pagination.shape == "body_cursor":
                kwargs["request_body"] = {
                    "query": {"field": "id", "operator": "=", "value": "1"},
                    "pagination": {"per_page": PER_PAGE},
                }
            elif op.pagination.shape == "body_page":
                kwargs["request_body"] = {**sample_body(op), "per_page": PER_PAGE}
            elif op.body_required:
                kwargs["request_body"] = sample_body(op)  # the least body the spec accepts
        elif name == "filter_":
            kwargs[name] = {"user_id": "u1"}
        elif name == "per_page":
            kwargs[name] = PER_PAGE
        elif param.default is inspect.Parameter.empty and name != "self":
            kwargs[name] = "x1"
    return kwargs


@pytest.mark.parametrize(("intercom_version", "operation_id"), PAGINATED)
async def test_every_paginated_operation_walks_every_page(intercom_fake, intercom_version, operation_id):
    op = REGISTRIES[intercom_version][operation_id]
    items = fake.make_items(2 * PER_PAGE + 1, prefix=operation_id)
    intercom_fake.items(operation_id, items, per_page=PER_PAGE)
    method = op.bind(intercom_fake.client(max_retries=0))
    pager = method(**_arguments(method, op))
    assert isinstance(pager, AsyncPager)
    got = [item async for item in pager]
    assert [dump(item)["id"] for item in got] == [item["id"] for item in items]
    assert all(hasattr(item, "to_dict") for item in got), "items are typed models"
    if op.pagination.item_model:
        cls = getattr(REGISTRIES[intercom_version].models, op.pagination.item_model)
        assert all(isinstance(item, cls) for item in got)
    requests = intercom_fake.requests
    assert len(requests) == (4 if op.pagination.shape == "scroll" else 3)
    assert {(r.method, r.operation_id, r.status) for r in requests} == {(op.method, operation_id, 200)}
    assert {r.authorization for r in requests} == {f"Bearer {intercom_fake.token}"}
    for name in op.pagination.undeclared:  # the table's undeclared parameters are keyword arguments
        assert name in inspect.signature(method).parameters
    if "per_page" in inspect.signature(method).parameters:
        assert requests[0].query.get("per_page") == str(PER_PAGE)


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
