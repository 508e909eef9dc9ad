"""The pager: awaitable first page, raw access, pages, resuming, caps, read-ahead, cancellation, retries,
and the spec-vs-API facts of the table (undeclared parameters, items under undeclared keys)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect

from aiohttp import web

import intercom_async
from intercom_async._codec import dump
from intercom_async._pagination import AsyncPager, Page
from intercom_async._response import APIResponse
from intercom_async.unstable import models as munstable
from intercom_async.v2_12 import models as m212
from tests.pagination import fake


def ids(items):
    return [dump(item)["id"] for item in items]


async def test_await_gives_the_first_page_typed(server, connect):
    server.route("GET", "/contacts", fake.cursor(fake.make_items(5)))
    client = connect("2.12", await server.start())
    pager = client.contacts.list(per_page=2)
    assert isinstance(pager, AsyncPager)
    first = await pager
    assert isinstance(first, m212.ContactList)
    assert ids(first.data) == ["item-00000", "item-00001"]
    assert first.pages.next_.starting_after == fake.encode_cursor(2)
    assert len(server.requests) == 1


async def test_with_raw_response_awaits_to_the_api_response(server, connect):
    server.route("GET", "/contacts", fake.cursor(fake.make_items(5)))
    client = connect("2.12", await server.start())
    raw = await client.contacts.with_raw_response.list(per_page=2)
    assert isinstance(raw, APIResponse) and raw.status_code == 200
    assert isinstance(raw.parsed, m212.ContactList)
    items = [c async for c in client.contacts.with_raw_response.list(per_page=2)]
    assert ids(items) == [f"item-{i:05d}" for i in range(5)] and isinstance(items[0], m212.Contact)


async def test_pages_give_typed_page_and_raw_response(server, connect):
    server.route("GET", "/contacts", fake.cursor(fake.make_items(5)))
    client = connect("2.12", await server.start())
    pages = [p async for p in client.contacts.list(per_page=2).pages()]
    assert [len(p.items) for p in pages] == [2, 2, 1]
    assert all(isinstance(p, Page) and isinstance(p.data, m212.ContactList) for p in pages)
    assert all(isinstance(p.response, APIResponse) and p.response.status_code == 200 for p in pages)
    assert [p.cursor for p in pages] == [None, fake.encode_cursor(2), fake.encode_cursor(4)]
    assert [p.next_cursor for p in pages] == [fake.encode_cursor(2), fake.encode_cursor(4), None]
    assert [p.number for p in pages] == [1, 2, 3]


def test_paginated_methods_are_plain_functions_the_others_coroutines():
    from intercom_async.v2_12.resources.contacts import ContactsResource

    assert not inspect.iscoroutinefunction(ContactsResource.list)
    assert inspect.iscoroutinefunction(ContactsResource.find)
    assert "AsyncPager[ContactList, Contact]" in str(inspect.signature(ContactsResource.list).return_annotation)


async def test_resume_from_the_cursor_of_a_crashed_worker(server, connect):
    items = fake.make_items(9)
    server.route("GET", "/contacts", fake.cursor(items))
    client = connect("2.12", await server.start())
    pager = client.contacts.list(per_page=4)
    assert pager.cursor is None and not pager.done
    async for page in pager.pages():
        saved = pager.cursor
        assert saved == page.next_cursor == fake.encode_cursor(4)
        break  # the worker "crashes" after its first page
    rest = [c async for c in client.contacts.list(per_page=4).resume(saved)]
    assert ids(rest) == [i["id"] for i in items[4:]]
    # the same through the method's own (undeclared in the spec) keyword argument
    again = [c async for c in client.contacts.list(per_page=4, starting_after=saved)]
    assert ids(again) == ids(rest)
    assert server.requests[-1]["query"] == {"per_page": "4", "starting_after": fake.encode_cursor(8)}


async def test_resume_every_shape(server, connect):
    items = fake.make_items(9)
    server.route("GET", "/companies", fake.page(items))
    server.route("POST", "/contacts/search", fake.cursor(items, body=True))
    server.route("GET", "/contacts/{id}/companies", fake.link(items, items_path="companies"))
    server.route("POST", "/admins/activity_logs/search", fake.page(items, body=True, items_path="activity_logs"))
    base = await server.start()
    client = connect("Unstable", base)
    expected = [i["id"] for i in items[4:]]

    by_page = client.companies.retrieve(per_page=2)
    assert ids([c async for c in by_page.resume(3)]) == expected
    assert ids([c async for c in client.companies.retrieve(per_page=2, page=3)]) == expected
    assert ids([c async for c in by_page.resume("3")]) == expected  # a position saved as text

    search = client.contacts.search(body={"query": fake_query(), "pagination": {"per_page": 2}})
    assert ids([c async for c in search.resume(fake.encode_cursor(4))]) == expected
    body = {"query": fake_query(), "pagination": {"per_page": 2, "starting_after": fake.encode_cursor(4)}}
    assert ids([c async for c in client.contacts.search(body=body)]) == expected

    linked = client.contacts.list_attached_companies(id="c1", per_page=2)
    pages = [p async for p in linked.pages(max_pages=2)]
    assert ids([c async for c in linked.resume(pages[-1].next_cursor)]) == expected

    logs = client.admins.search_activity_logs(body={"created_at_after": "1", "per_page": 2})
    assert ids([c async for c in logs.resume(3)]) == expected
    assert server.requests[-1]["body"] == {"created_at_after": "1", "per_page": 2, "page": 5}


def fake_query():
    return {"field": "id", "operator": "=", "value": "x"}


async def test_caps_on_items_and_pages(server, connect):
    items = fake.make_items(30)
    server.route("GET", "/contacts", fake.cursor(items))
    client = connect("2.10", await server.start())
    assert ids([c async for c in client.contacts.list(per_page=4).items(max_items=6)]) == ids(items[:6])
    assert len(server.requests) == 2
    server.requests.clear()
    pager = client.contacts.list(per_page=4)
    got = [c async for c in pager.items(max_pages=3, read_ahead=True)]
    assert ids(got) == ids(items[:12]) and len(server.requests) == 3  # no read-ahead past the cap
    assert pager.cursor == fake.encode_cursor(12) and not pager.done
    assert [c async for c in pager.items(max_items=0)] == []


async def test_read_ahead_fetches_the_next_page_while_the_caller_works(server, connect):
    items = fake.make_items(6)
    handler = fake.cursor(items)
    asked: list[int] = []

    async def tracking(request: web.Request) -> web.Response:
        asked.append(len(asked))
        return await handler(request)

    server.route("GET", "/contacts", tracking)
    client = connect("2.12", await server.start())
    seen_before_second_page: list[int] = []
    async for page in client.contacts.list(per_page=2).pages(read_ahead=True):
        if page.number == 1:
            for _ in range(50):  # the caller "works"; the next page arrives meanwhile
                if len(asked) >= 2:
                    break
                await asyncio.sleep(0.01)
            seen_before_second_page.append(len(asked))
    assert seen_before_second_page == [2]


async def test_breaking_out_cancels_the_read_ahead_and_releases_the_connection(server, connect):
    items = fake.make_items(10)
    handler = fake.cursor(items)
    gate = asyncio.Event()
    closed = asyncio.Event()

    async def slow_second_page(request: web.Request) -> web.StreamResponse:
        if request.query.get("starting_after"):
            response = web.StreamResponse()
            await response.prepare(request)
            for _ in range(300):  # until the client goes away (bounded: 3 s)
                if request.transport is None or request.transport.is_closing():
                    closed.set()
                    break
                await asyncio.sleep(0.01)
            gate.set()
            return response
        return await handler(request)

    server.route("GET", "/contacts", slow_second_page)
    client = connect("2.12", await server.start())
    async with contextlib.aclosing(client.contacts.list(per_page=5).items(read_ahead=True)) as it:
        async for _ in it:
            await asyncio.sleep(0.05)  # let the read-ahead request reach the server
            break
    await asyncio.wait_for(closed.wait(), 2)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and "AsyncPager._fetch" in repr(t)]
    assert pending == []


async def test_plain_break_without_aclosing_also_cleans_up(server, connect):
    server.route("GET", "/contacts", fake.cursor(fake.make_items(10)))
    client = connect("2.12", await server.start())
    async for _ in client.contacts.list(per_page=5).items(read_ahead=True):
        break
    for _ in range(20):  # the event loop's async-generator finaliser closes the walk
        await asyncio.sleep(0.01)
    assert [t for t in asyncio.all_tasks() if "AsyncPager._fetch" in repr(t)] == []


async def test_cancelling_the_consumer_propagates(server, connect):
    server.route("GET", "/contacts", fake.cursor(fake.make_items(50)))
    client = connect("2.12", await server.start())

    async def consume():
        async for _ in client.contacts.list(per_page=5).items(read_ahead=True):
            await asyncio.sleep(1)

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_retries_happen_inside_a_walk(server, connect):
    items = fake.make_items(9)
    handler = fake.cursor(items)
    failed: list[str] = []

    async def flaky(request: web.Request) -> web.Response:
        cursor = request.query.get("starting_after")
        if cursor and cursor not in failed:
            failed.append(cursor)
            return web.json_response({"type": "error.list", "errors": []}, status=503, headers={"Retry-After": "0"})
        return await handler(request)

    server.route("GET", "/contacts", flaky)
    client = connect("2.12", await server.start(), max_retries=2)
    got = [c async for c in client.contacts.list(per_page=4).items(read_ahead=True)]
    assert ids(got) == ids(items)
    assert len(failed) == 2 and len(server.requests) == 5


async def test_an_error_mid_walk_keeps_the_position(server, connect):
    items = fake.make_items(9)
    handler = fake.cursor(items)

    async def broken_third_page(request: web.Request) -> web.Response:
        if request.query.get("starting_after") == fake.encode_cursor(8):
            return web.json_response({"type": "error.list", "errors": [{"code": "x", "message": "y"}]}, status=400)
        return await handler(request)

    server.route("GET", "/contacts", broken_third_page)
    client = connect("2.12", await server.start())
    pager = client.contacts.list(per_page=4)
    got = []
    try:
        async for contact in pager:
            got.append(contact)
    except intercom_async.BadRequestError:
        pass
    assert ids(got) == ids(items[:8]) and pager.cursor == fake.encode_cursor(8) and not pager.done


async def test_paging_parameters_given_through_extra_query_still_move(server, connect):
    items = fake.make_items(7)
    server.route("GET", "/contacts", fake.cursor(items))
    client = connect("2.12", await server.start())
    options = {"extra_query": {"per_page": 3, "tag": "x"}}
    got = [c async for c in client.contacts.list(request_options=options)]
    assert ids(got) == ids(items)
    assert server.requests[1]["query"] == {"per_page": "3", "tag": "x", "starting_after": fake.encode_cursor(3)}


async def test_conversations_under_conversations_are_typed_in_every_version(server, connect):
    items = [{"type": "conversation", "id": f"{i}", "title": f"t{i}"} for i in range(5)]
    server.route("GET", "/conversations", fake.cursor(items, items_path="conversations"))
    base = await server.start()
    for version, module in (("2.10", "v2_10"), ("2.12", "v2_12"), ("Unstable", "unstable")):
        client = connect(version, base)
        got = [c async for c in client.conversations.list(per_page=2)]
        cls = intercom_async.__getattr__(module).models.Conversation
        assert [c.id for c in got] == [str(i) for i in range(5)]
        assert all(isinstance(c, cls) and c.title.startswith("t") for c in got)


async def test_content_snippets_keep_page_fields_at_the_top_level(server, connect):
    items = fake.make_items(5)
    server.route("GET", "/content_snippets", fake.page(items, meta=""))
    client = connect("Unstable", await server.start())
    got = [s async for s in client.content_snippets.list(per_page=2)]
    assert ids(got) == ids(items) and len(server.requests) == 3
    assert all(isinstance(s, munstable.ContentSnippet) for s in got)


async def test_events_are_data_events_followed_by_link(server, connect):
    items = [{"type": "event", "event_name": f"e{i}", "created_at": i, "id": f"ev{i}"} for i in range(5)]
    server.route("GET", "/events", fake.link(items, items_path="events"))
    client = connect("2.12", await server.start())
    pager = client.events.list(filter_={"user_id": "u1"}, type_="user", per_page=2)
    got = [e async for e in pager]
    assert [e.event_name for e in got] == [f"e{i}" for i in range(5)]
    assert all(isinstance(e, m212.DataEvent) and e.created_at == int(e.event_name[1:]) for e in got)
    assert server.requests[0]["query"] == {"user_id": "u1", "type": "user", "per_page": "2"}
    assert server.requests[2]["query"] == {"user_id": "u1", "type": "user", "per_page": "2", "page": "3"}


async def test_article_search_items_nested_under_data(server, connect):
    items = [{"type": "article", "id": f"a{i}", "title": "t"} for i in range(5)]
    server.route("GET", "/articles/search", fake.link(items, items_path="data.articles"))
    client = connect("2.12", await server.start())
    got = [a async for a in client.articles.search(phrase="x", per_page=2)]
    assert [a.id for a in got] == [f"a{i}" for i in range(5)]
    assert all(isinstance(a, m212.Article) for a in got)


async def test_segments_without_next_are_a_single_page(server, connect):
    async def segments(request: web.Request) -> web.Response:
        return web.json_response({"type": "segment.list", "segments": fake.make_items(3), "pages": {}})

    server.route("GET", "/segments", segments)
    client = connect("2.10", await server.start())
    assert len([s async for s in client.segments.list()]) == 3
    assert len(server.requests) == 1
