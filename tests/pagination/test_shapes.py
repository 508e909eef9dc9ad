"""Every paging shape, every version, odd sizes: every item exactly once, in order, typed, with the request
count the shape implies; read-ahead changes nothing but timing. Served by the testing kit's fake Intercom."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Any

import pytest

import intercom_async
from intercom_async._codec import dump
from tests.pagination import fake
from tests.pagination.conftest import VERSIONS

SEARCH = {"field": "created_at", "operator": ">", "value": 0}
MODULES = {name: info.module.rpartition(".")[2] for name, info in intercom_async.VERSIONS.items()}


def mount(shape: str, api: Any, items: list[Any], per_page: int) -> tuple[Callable[[Any], Any], str]:
    """Give the shape's operation its items on the fake; return (client -> pager, item model name)."""
    if shape == "cursor":
        api.items("contacts.list", items, max_per_page=1000)
        return (lambda c: c.contacts.list(per_page=per_page)), "Contact"
    if shape == "body_cursor":
        api.items("contacts.search", items, max_per_page=1000)
        body = {"query": SEARCH, "pagination": {"per_page": per_page}}
        return (lambda c: c.contacts.search(request_body=body)), "Contact"
    if shape == "page":
        api.items("companies.list", items, max_per_page=1000)
        return (lambda c: c.companies.list(per_page=per_page, order="asc")), "Company"
    if shape == "body_page":
        api.items("searchActivityLogs", items, max_per_page=1000)
        body = {"created_at_after": since(api.version), "per_page": per_page}
        return (lambda c: c.admins.search_activity_logs(request_body=body)), "ActivityLog"
    if shape == "scroll":
        api.items("companies.scroll", items, per_page=per_page)
        return (lambda c: c.companies.scroll()), "Company"
    assert shape == "link"
    api.items("contacts.list_attached_companies", items, max_per_page=1000)
    return (lambda c: c.contacts.list_attached_companies("c 1", per_page=per_page)), "Company"


def since(version: str) -> Any:
    """``created_at_after`` as the version's spec types it (a string in Unstable, an integer later)."""
    (body_model,) = intercom_async.VERSIONS[version].load().OPERATIONS["searchActivityLogs"].body_models()
    kind = next(f[4] for f in body_model._FIELDS if f[0] == "created_at_after")
    return 1677253093 if kind == "int" else "1677253093"


def expected_requests(shape: str, n: int, per_page: int) -> int:
    pages = max(1, math.ceil(n / per_page))
    return pages + 1 if shape == "scroll" and n else pages  # a scroll ends on an empty page


SHAPES = ("cursor", "body_cursor", "page", "body_page", "scroll", "link")


def _has_body_page(version: str) -> bool:
    op = intercom_async.VERSIONS[version].load().OPERATIONS.get("searchActivityLogs")
    return op is not None and op.pagination is not None and op.pagination.shape == "body_page"


CASES = [
    pytest.param(version, shape, id=f"{version}-{shape}")
    for version in VERSIONS
    for shape in SHAPES
    if shape != "body_page" or _has_body_page(version)  # C2 exists only in some versions
]
PER_PAGE = 7


@pytest.mark.parametrize("read_ahead", [False, True], ids=["sequential", "read-ahead"])
@pytest.mark.parametrize("n", [0, 1, PER_PAGE, PER_PAGE + 1, 3 * PER_PAGE + 2])
@pytest.mark.parametrize(("intercom_version", "shape"), CASES)
async def test_every_item_once_in_order(intercom_fake, intercom_version, shape, n, read_ahead):
    items = fake.make_items(n)
    call, model = mount(shape, intercom_fake, items, PER_PAGE)
    client = intercom_fake.client(max_retries=0)
    got = [item async for item in call(client).items(read_ahead=read_ahead)]
    assert [dump(item)["id"] for item in got] == [item["id"] for item in items]
    cls = getattr(importlib.import_module(f"intercom_async.{MODULES[intercom_version]}.models"), model)
    assert all(isinstance(item, cls) for item in got)
    assert len(intercom_fake.requests) == expected_requests(shape, n, PER_PAGE)
    assert {r.authorization for r in intercom_fake.requests} == {f"Bearer {intercom_fake.token}"}
    assert {r.status for r in intercom_fake.requests} == {200}


@pytest.mark.parametrize(("intercom_version", "shape"), CASES)
async def test_ten_thousand_items(intercom_fake, shape):
    items = fake.make_items(10_000)
    call, _ = mount(shape, intercom_fake, items, 500)
    pager = call(intercom_fake.client(max_retries=0))
    got = [dump(item)["id"] async for item in pager.items(read_ahead=True)]
    assert got == [item["id"] for item in items]
    assert len(intercom_fake.requests) == expected_requests(shape, 10_000, 500)
    assert pager.done and pager.cursor is None


@pytest.mark.intercom_version("2.12")
async def test_body_cursor_sends_the_cursor_just_received(intercom_fake):
    items = fake.make_items(20)
    call, _ = mount("body_cursor", intercom_fake, items, 6)
    assert len([i async for i in call(intercom_fake.client(max_retries=0))]) == 20
    sent = [r.json for r in intercom_fake.requests]
    received = [r.response["pages"].get("next", {}).get("starting_after") for r in intercom_fake.requests]
    assert [b["pagination"].get("starting_after") for b in sent] == [None, *received[:-1]]
    assert received[-1] is None and len(set(received[:-1])) == 3
    assert received[:-1] == [intercom_fake.cursor_at("contacts.search", i) for i in (6, 12, 18)]
    assert all(b["query"] == SEARCH and b["pagination"]["per_page"] == 6 for b in sent)


@pytest.mark.intercom_version("2.10")
async def test_query_paging_keeps_the_other_parameters(intercom_fake):
    items = fake.make_items(10)
    call, _ = mount("page", intercom_fake, items, 4)
    assert len([i async for i in call(intercom_fake.client(max_retries=0))]) == 10
    assert [r.query for r in intercom_fake.requests] == [
        {"per_page": "4", "order": "asc"},
        {"per_page": "4", "order": "asc", "page": "2"},
        {"per_page": "4", "order": "asc", "page": "3"},
    ]


@pytest.mark.intercom_version("2.12")
async def test_a_page_shorter_than_asked_is_not_the_last(intercom_fake):
    """The API caps per_page (150 for contacts): a short page must not end the walk."""
    items = fake.make_items(400)
    intercom_fake.items("contacts.list", items, max_per_page=150)
    client = intercom_fake.client(max_retries=0)
    got = [dump(c)["id"] async for c in client.contacts.list(per_page=200)]
    assert got == [i["id"] for i in items]
    assert len(intercom_fake.requests) == 3
    assert [len(r.response["data"]) for r in intercom_fake.requests] == [150, 150, 100]
