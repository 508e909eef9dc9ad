"""The pager: awaitable first page, raw access, pages, resuming, caps, read-ahead, cancellation, retries,
and the spec-vs-API facts of the table (undeclared parameters, items under undeclared keys).

Served by the testing kit's fake Intercom (``intercom_fake``; ``FakeIntercom`` where one test needs several
versions): items registered per operation, faults and slow pages injected on the requests that carry a cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect

import pytest
from aiohttp import web

import intercom_async
from intercom_async._codec import dump
from intercom_async._pagination import AsyncPager, Page
from intercom_async._response import APIResponse
from intercom_async.testing import FakeIntercom, RecordedRequest
from intercom_async.unstable import models as munstable
from intercom_async.v2_12 import models as m212
from tests.pagination import fake

pytestmark = pytest.mark.intercom_version("2.12")


def ids(items):
    return [dump(item)["id"] for item in items]


def next_cursors(api):
    """The ``pages.next.starting_after`` of every page the fake answered, in order."""
    return [(r.response.get("pages") or {}).get("next", {}).get("starting_after") for r in api.requests]


async def test_await_gives_the_first_page_typed(intercom_fake):
    intercom_fake.items("contacts.list", fake.make_items(5))
    pager = intercom_fake.client(max_retries=0).contacts.list(per_page=2)
    assert isinstance(pager, AsyncPager)
    first = await pager
    assert isinstance(first, m212.ContactList)
    assert ids(first.data) == ["item-00000", "item-00001"]
    assert (
        first.pages.next_.starting_after
        == intercom_fake.cursor_at("contacts.list", 2)
        == next_cursors(intercom_fake)[0]
    )
    assert len(intercom_fake.requests) == 1


async def test_with_raw_response_awaits_to_the_api_response(intercom_fake):
    intercom_fake.items("contacts.list", fake.make_items(5))
    client = intercom_fake.client(max_retries=0)
    raw = await client.contacts.with_raw_response.list(per_page=2)
    assert isinstance(raw, APIResponse) and raw.status_code == 200
    assert isinstance(raw.parsed, m212.ContactList)
    items = [c async for c in client.contacts.with_raw_response.list(per_page=2)]
    assert ids(items) == [f"item-{i:05d}" for i in range(5)] and isinstance(items[0], m212.Contact)


async def test_pages_give_typed_page_and_raw_response(intercom_fake):
    intercom_fake.items("contacts.list", fake.make_items(5))
    pages = [p async for p in intercom_fake.client(max_retries=0).contacts.list(per_page=2).pages()]
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert all(isinstance(p, Page) and isinstance(p.data, m212.ContactList) for p in pages)
    assert all(isinstance(p.response, APIResponse) and p.response.status_code == 200 for p in pages)
    cursor = [intercom_fake.cursor_at("contacts.list", i) for i in (2, 4)]
    assert [p.cursor for p in pages] == [None, *cursor]
    assert [p.next_cursor for p in pages] == [*cursor, None] == next_cursors(intercom_fake)
    assert [r.query.get("starting_after") for r in intercom_fake.requests] == [None, *cursor]
    assert [p.number for p in pages] == [1, 2, 3]


def test_paginated_methods_are_plain_functions_the_others_coroutines():
    from intercom_async.v2_12.resources.contacts import ContactsResource

    assert not inspect.iscoroutinefunction(ContactsResource.list)
    assert inspect.iscoroutinefunction(ContactsResource.find)
    assert "AsyncPager[ContactList, Contact]" in str(inspect.signature(ContactsResource.list).return_annotation)


async def test_resume_from_the_cursor_of_a_crashed_worker(intercom_fake):
    items = fake.make_items(9)
    intercom_fake.items("contacts.list", items)
    client = intercom_fake.client(max_retries=0)
    pager = client.contacts.list(per_page=4)
    assert pager.cursor is None and not pager.done
    async for page in pager.pages():
        saved = pager.cursor
        assert saved == page.next_cursor == intercom_fake.cursor_at("contacts.list", 4)
        break  # the worker "crashes" after its first page
    rest = [c async for c in client.contacts.list(per_page=4).resume(saved)]
    assert ids(rest) == [i["id"] for i in items[4:]]
    # the same through the method's own (undeclared in the spec) keyword argument
    again = [c async for c in client.contacts.list(per_page=4, starting_after=saved)]
    assert ids(again) == ids(rest)
    last = intercom_fake.cursor_at("contacts.list", 8)
    assert intercom_fake.requests[-1].query == {"per_page": "4", "starting_after": last}


@pytest.mark.intercom_version("Unstable")
async def test_resume_every_shape(intercom_fake):
    items = fake.make_items(9)
    for operation in ("companies.retrieve", "contacts.search", "contacts.list_attached_companies"):
        intercom_fake.items(operation, items)
    intercom_fake.items("admins.search_activity_logs", items)
    client = intercom_fake.client(max_retries=0)
    expected = [i["id"] for i in items[4:]]

    by_page = client.companies.retrieve(per_page=2)
    assert ids([c async for c in by_page.resume(3)]) == expected
    assert ids([c async for c in client.companies.retrieve(per_page=2, page=3)]) == expected
    assert ids([c async for c in by_page.resume("3")]) == expected  # a position saved as text

    cursor = intercom_fake.cursor_at("contacts.search", 4)
    search = client.contacts.search(request_body={"query": fake_query(), "pagination": {"per_page": 2}})
    assert ids([c async for c in search.resume(cursor)]) == expected
    body = {"query": fake_query(), "pagination": {"per_page": 2, "starting_after": cursor}}
    assert ids([c async for c in client.contacts.search(request_body=body)]) == expected

    linked = client.contacts.list_attached_companies("c1", per_page=2)
    pages = [p async for p in linked.pages(max_pages=2)]
    assert ids([c async for c in linked.resume(pages[-1].next_cursor)]) == expected

    logs = client.admins.search_activity_logs(request_body={"created_at_after": "1", "per_page": 2})
    assert ids([c async for c in logs.resume(3)]) == expected
    assert intercom_fake.requests[-1].json == {"created_at_after": "1", "per_page": 2, "page": 5}


def fake_query():
    return {"field": "id", "operator": "=", "value": "x"}


@pytest.mark.intercom_version("2.10")
async def test_caps_on_items_and_pages(intercom_fake):
    items = fake.make_items(30)
    intercom_fake.items("contacts.list", items)
    client = intercom_fake.client(max_retries=0)
    assert ids([c async for c in client.contacts.list(per_page=4).items(max_items=6)]) == ids(items[:6])
    assert len(intercom_fake.requests) == 2
    intercom_fake.clear()
    pager = client.contacts.list(per_page=4)
    got = [c async for c in pager.items(max_pages=3, read_ahead=True)]
    assert ids(got) == ids(items[:12]) and len(intercom_fake.requests) == 3  # no read-ahead past the cap
    assert pager.cursor == intercom_fake.cursor_at("contacts.list", 12) and not pager.done
    assert [c async for c in pager.items(max_items=0)] == []


async def test_read_ahead_fetches_the_next_page_while_the_caller_works(intercom_fake):
    intercom_fake.items("contacts.list", fake.make_items(6))
    client = intercom_fake.client(max_retries=0)
    seen_before_second_page: list[int] = []
    async for page in client.contacts.list(per_page=2).pages(read_ahead=True):
        if page.number == 1:
            for _ in range(50):  # the caller "works"; the next page arrives meanwhile
                if intercom_fake.count("contacts.list") >= 2:
                    break
                await asyncio.sleep(0.01)
            seen_before_second_page.append(intercom_fake.count("contacts.list"))
    assert seen_before_second_page == [2]


async def test_breaking_out_cancels_the_read_ahead_and_releases_the_connection(intercom_fake):
    intercom_fake.items("contacts.list", fake.make_items(10))
    gate = asyncio.Event()
    closed = asyncio.Event()

    async def slow_second_page(rec: RecordedRequest) -> web.StreamResponse:
        request = rec.raw
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            for _ in range(300):  # until the client goes away (bounded: 3 s)
                if request.transport is None or request.transport.is_closing():
                    closed.set()
                    break
                await asyncio.sleep(0.01)
        except asyncio.CancelledError:  # the fake cancels a handler when its connection is lost
            closed.set()
            raise
        finally:
            gate.set()
        return response

    intercom_fake.respond("contacts.list", handler=slow_second_page, match=lambda r: "starting_after" in r.query)
    client = intercom_fake.client(max_retries=0)
    async with contextlib.aclosing(client.contacts.list(per_page=5).items(read_ahead=True)) as it:
        async for _ in it:
            await asyncio.sleep(0.05)  # let the read-ahead request reach the server
            break
    await asyncio.wait_for(closed.wait(), 2)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and "AsyncPager._fetch" in repr(t)]
    assert pending == []


async def test_plain_break_without_aclosing_also_cleans_up(intercom_fake):
    intercom_fake.items("contacts.list", fake.make_items(10))
    async for _ in intercom_fake.client(max_retries=0).contacts.list(per_page=5).items(read_ahead=True):
        break
    for _ in range(20):  # the event loop's async-generator finaliser closes the walk
        await asyncio.sleep(0.01)
    assert [t for t in asyncio.all_tasks() if "AsyncPager._fetch" in repr(t)] == []


async def test_cancelling_the_consumer_propagates(intercom_fake):
    intercom_fake.items("contacts.list", fake.make_items(50))
    client = intercom_fake.client(max_retries=0)

    async def consume():
        async for _ in client.contacts.list(per_page=5).items(read_ahead=True):
            await asyncio.sleep(1)

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_retries_happen_inside_a_walk(intercom_fake):
    items = fake.make_items(9)
    intercom_fake.items("contacts.list", items)
    flaky = [
        intercom_fake.fail(
            "contacts.list",
            status=503,
            retry_after=0,
            match={"starting_after": intercom_fake.cursor_at("contacts.list", offset)},
        )
        for offset in (4, 8)
    ]
    client = intercom_fake.client(max_retries=2)
    got = [c async for c in client.contacts.list(per_page=4).items(read_ahead=True)]
    assert ids(got) == ids(items)
    assert [rule.used for rule in flaky] == [1, 1] and len(intercom_fake.requests) == 5
    assert [r.status for r in intercom_fake.requests] == [200, 503, 200, 503, 200]


async def test_an_error_mid_walk_keeps_the_position(intercom_fake):
    items = fake.make_items(9)
    intercom_fake.items("contacts.list", items)
    third = intercom_fake.cursor_at("contacts.list", 8)
    intercom_fake.fail("contacts.list", status=400, code="x", message="y", match={"starting_after": third})
    pager = intercom_fake.client(max_retries=0).contacts.list(per_page=4)
    got = []
    try:
        async for contact in pager:
            got.append(contact)
    except intercom_async.BadRequestError:
        pass
    assert ids(got) == ids(items[:8]) and pager.cursor == third and not pager.done


async def test_paging_parameters_given_through_extra_query_still_move(intercom_fake):
    items = fake.make_items(7)
    intercom_fake.items("contacts.list", items)
    options = {"extra_query": {"per_page": 3, "tag": "x"}}
    got = [c async for c in intercom_fake.client(max_retries=0).contacts.list(request_options=options)]
    assert ids(got) == ids(items)
    second = intercom_fake.cursor_at("contacts.list", 3)
    assert intercom_fake.requests[1].query == {"per_page": "3", "tag": "x", "starting_after": second}


async def test_conversations_under_conversations_are_typed_in_every_version():
    items = [{"type": "conversation", "id": f"{i}", "title": f"t{i}"} for i in range(5)]
    for version, module in (("2.10", "v2_10"), ("2.12", "v2_12"), ("Unstable", "unstable")):
        async with FakeIntercom(version) as api:
            api.items("conversations.list", items)
            got = [c async for c in api.client(max_retries=0).conversations.list(per_page=2)]
            cls = intercom_async.__getattr__(module).models.Conversation
            assert [c.id for c in got] == [str(i) for i in range(5)]
            assert all(isinstance(c, cls) and c.title.startswith("t") for c in got)
            assert all("conversations" in r.response for r in api.requests) and len(api.requests) == 3


@pytest.mark.intercom_version("Unstable")
async def test_content_snippets_keep_page_fields_at_the_top_level(intercom_fake):
    items = fake.make_items(5)
    intercom_fake.items("content_snippets.list", items)
    got = [s async for s in intercom_fake.client(max_retries=0).content_snippets.list(per_page=2)]
    assert ids(got) == ids(items) and len(intercom_fake.requests) == 3
    assert all(isinstance(s, munstable.ContentSnippet) for s in got)
    assert [(r.response["page"], r.response["total_pages"]) for r in intercom_fake.requests] == [(1, 3), (2, 3), (3, 3)]
    assert all("pages" not in r.response for r in intercom_fake.requests)


async def test_events_are_data_events_followed_by_link(intercom_fake):
    items = [{"type": "event", "event_name": f"e{i}", "created_at": i, "id": f"ev{i}"} for i in range(5)]
    intercom_fake.items("events.list", items)
    pager = intercom_fake.client(max_retries=0).events.list(filter_={"user_id": "u1"}, type_="user", per_page=2)
    got = [e async for e in pager]
    assert [e.event_name for e in got] == [f"e{i}" for i in range(5)]
    assert all(isinstance(e, m212.DataEvent) and e.created_at == int(e.event_name[1:]) for e in got)
    assert intercom_fake.requests[0].query == {"user_id": "u1", "type": "user", "per_page": "2"}
    assert intercom_fake.requests[2].query == {"user_id": "u1", "type": "user", "per_page": "2", "page": "3"}


async def test_article_search_items_nested_under_data(intercom_fake):
    items = [{"type": "article", "id": f"a{i}", "title": "t"} for i in range(5)]
    intercom_fake.items("articles.search", items)
    got = [a async for a in intercom_fake.client(max_retries=0).articles.search(phrase="x", per_page=2)]
    assert [a.id for a in got] == [f"a{i}" for i in range(5)]
    assert all(isinstance(a, m212.Article) for a in got)
    assert all(isinstance(r.response["data"]["articles"], list) for r in intercom_fake.requests)


@pytest.mark.intercom_version("2.10")
async def test_segments_without_next_are_a_single_page(intercom_fake):
    intercom_fake.respond("segments.list", {"type": "segment.list", "segments": fake.make_items(3), "pages": {}})
    assert len([s async for s in intercom_fake.client(max_retries=0).segments.list()]) == 3
    assert len(intercom_fake.requests) == 1


@pytest.mark.parametrize("intercom_version", ["2.12", intercom_async.DEFAULT_VERSION])
async def test_a_body_cursor_moves_when_the_body_is_given_as_keyword_fields(intercom_fake):
    """``pagination=`` passed as a body field must not pin every request to the first page's position."""
    items = fake.make_items(7)
    intercom_fake.items("contacts.search", items)
    client = intercom_fake.client(max_retries=0)
    got = [c async for c in client.contacts.search(query=fake_query(), pagination={"per_page": 3})]
    assert ids(got) == ids(items)
    cursors = [intercom_fake.cursor_at("contacts.search", i) for i in (3, 6)]
    sent = [r.json for r in intercom_fake.requests]
    assert [b["pagination"] for b in sent] == [{"per_page": 3}] + [
        {"per_page": 3, "starting_after": c} for c in cursors
    ]
    assert all(b["query"] == fake_query() for b in sent)
    later = client.contacts.search(query=fake_query(), pagination={"per_page": 3, "starting_after": cursors[0]})
    assert later.cursor == cursors[0]  # the position given as a field is where the walk starts
    assert ids([c async for c in later]) == ids(items[3:])
