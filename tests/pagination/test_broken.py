"""Servers that page wrongly: every walk still ends, with a clear ``PaginationError`` where it cannot be
followed safely, and the token never leaves the configured base URL.

The broken servers are private (``tests/pagination/fake.py``: the testing kit models Intercom, not protocol
failures); the scroll errors Intercom really sends (a second scroll, an expired one) come from the kit.
"""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

import intercom_async
from intercom_async._codec import dump
from intercom_async._pagination import MAX_SCROLL_RESTARTS, PaginationError
from tests.pagination import fake
from tests.pagination.conftest import TOKEN


def ids(items):
    return [dump(item)["id"] for item in items]


def page_json(items, pages, key="data"):
    return web.json_response({"type": "list", key: items, "pages": pages})


async def test_a_repeated_query_cursor_raises(server, connect):
    async def stuck(request: web.Request) -> web.Response:
        index = int(request.query.get("n", 0))
        pages = {"type": "pages", "next": {"starting_after": "same-cursor"}}
        return page_json(fake.make_items(2, prefix=f"p{index}-{len(server.requests)}"), pages)

    server.route("GET", "/contacts", stuck)
    client = connect("2.12", await server.start())
    with pytest.raises(PaginationError, match="same-cursor.*again"):
        async for _ in client.contacts.list(per_page=2):
            pass
    assert len(server.requests) == 2


async def test_a_repeated_body_cursor_raises(server, connect):
    async def echo(request: web.Request) -> web.Response:
        sent = (await request.json()).get("pagination", {}).get("starting_after")
        pages = {"type": "pages", "next": {"starting_after": sent or "c1"}}  # sends back what it got
        return page_json(fake.make_items(2, prefix=f"r{len(server.requests)}"), pages, key="tickets")

    server.route("POST", "/tickets/search", echo)
    client = connect("Unstable", await server.start())
    body = {"query": {"field": "id", "operator": "=", "value": "1"}}
    with pytest.raises(PaginationError, match="again"):
        async for _ in client.tickets.search(request_body=body):
            pass
    assert len(server.requests) == 2


async def test_a_repeated_next_link_raises(server, connect):
    async def loop(request: web.Request) -> web.Response:
        following = f"{request.url.origin()}/contacts/c1/companies?page=2"
        return page_json(fake.make_items(1, prefix=str(len(server.requests))), {"next": following}, key="companies")

    server.route("GET", "/contacts/{id}/companies", loop)
    client = connect("2.10", await server.start())
    with pytest.raises(PaginationError, match="again"):
        async for _ in client.contacts.list_attached_companies("c1"):
            pass
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "target",
    [
        "{evil}/contacts/c1/companies?page=2",  # another host
        "//{evil_host}/contacts/c1/companies?page=2",  # protocol-relative
        "http://127.0.0.1:{port}@{evil_host}/contacts?page=2",  # user-info trick
        "https://127.0.0.1:{port}/contacts/c1/companies?page=2",  # another scheme
        "http://127.0.0.1:1/contacts/c1/companies?page=2",  # another port
    ],
)
async def test_a_next_link_off_the_base_url_is_refused(server, connect, target):
    evil = fake.Recorder()
    evil.route("*", "/{tail:.*}", fake.cursor([]))
    evil_url = await evil.start()
    try:

        async def lure(request: web.Request) -> web.Response:
            following = target.format(evil=evil_url, evil_host=evil_url[7:], port=request.url.port)
            return page_json(fake.make_items(1), {"next": following}, key="companies")

        server.route("GET", "/contacts/{id}/companies", lure)
        client = connect("2.12", await server.start())
        got = []
        with pytest.raises(PaginationError, match="refusing to send the access token") as info:
            async for company in client.contacts.list_attached_companies("c1"):
                got.append(company)
        assert len(got) == 1 and evil.requests == []
        assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    finally:
        await evil.close()


async def test_resume_from_a_foreign_link_is_refused_before_any_request(server, connect):
    client = connect("2.12", await server.start())
    with pytest.raises(PaginationError):
        client.contacts.list_attached_companies("c1").resume("https://example.com/contacts/c1/companies")
    assert server.requests == []


async def test_a_base_url_with_a_path_prefix_keeps_links_under_it(server, connect):
    items = fake.make_items(5)
    server.route("GET", "/proxy/contacts/{id}/companies", fake.link(items, items_path="companies"))

    async def outside(request: web.Request) -> web.Response:
        return page_json(fake.make_items(1), {"next": f"{request.url.origin()}/elsewhere"}, key="companies")

    server.route("GET", "/other/contacts/{id}/companies", outside)
    base = await server.start()
    client = connect("2.12", base + "/proxy")
    assert ids([c async for c in client.contacts.list_attached_companies("c1", per_page=2)]) == ids(items)
    stray = connect("2.12", base + "/other")
    with pytest.raises(PaginationError):
        async for _ in stray.contacts.list_attached_companies("c1"):
            pass


async def test_total_pages_that_lies_high_stops_on_the_empty_page(server, connect):
    items = fake.make_items(10)
    server.route("GET", "/companies", fake.page(items, total_pages=lambda _page: 1000))
    client = connect("2.12", await server.start())
    got = [c async for c in client.companies.retrieve(per_page=4)]
    assert ids(got) == ids(items)
    assert len(server.requests) == 4  # 3 pages and the empty one that ends it


async def test_total_pages_that_keeps_growing_ends_at_the_empty_page(server, connect):
    items = fake.make_items(6)
    server.route("GET", "/articles", fake.page(items, total_pages=lambda page: page + 1))
    client = connect("2.10", await server.start())
    assert ids([a async for a in client.articles.list(per_page=2)]) == ids(items)
    assert len(server.requests) == 4


async def test_total_pages_zero_with_items_still_yields_them(server, connect):
    """Intercom's own examples answer ``total_pages: 0`` on page 1."""
    server.route("GET", "/companies", fake.page(fake.make_items(3), total_pages=lambda _page: 0))
    client = connect("2.12", await server.start())
    assert len([c async for c in client.companies.retrieve()]) == 3
    assert len(server.requests) == 1


async def test_a_server_that_ignores_the_page_number_raises(server, connect):
    async def always_first(request: web.Request) -> web.Response:
        pages = {"type": "pages", "page": 1, "per_page": 2, "total_pages": 50}
        return page_json(fake.make_items(2), pages)

    server.route("GET", "/news/news_items", always_first)
    client = connect("2.12", await server.start())
    with pytest.raises(PaginationError, match="asked for page 2, the server answered page 1"):
        async for _ in client.news.items.list(per_page=2):
            pass
    assert len(server.requests) == 2


async def test_the_same_page_twice_raises_even_without_page_numbers(server, connect):
    async def same(request: web.Request) -> web.Response:
        return page_json(fake.make_items(2), {"type": "pages", "total_pages": 50})

    server.route("GET", "/help_center/collections", same)
    client = connect("2.12", await server.start())
    with pytest.raises(PaginationError, match="same page twice"):
        async for _ in client.help_centers.collections.list():
            pass
    assert len(server.requests) == 2


async def test_a_link_where_a_cursor_belongs_raises_instead_of_losing_data(server, connect):
    async def linky(request: web.Request) -> web.Response:
        return page_json(fake.make_items(2), {"type": "pages", "next": f"{request.url.origin()}/contacts?page=2"})

    server.route("GET", "/contacts", linky)
    client = connect("2.12", await server.start())
    with pytest.raises(PaginationError, match="not a starting_after cursor"):
        async for _ in client.contacts.list():
            pass


async def test_items_that_are_not_a_list_raise(server, connect):
    async def odd(request: web.Request) -> web.Response:
        return web.json_response({"type": "list", "data": {"oops": 1}, "pages": {}})

    server.route("GET", "/contacts", odd)
    client = connect("2.12", await server.start())
    with pytest.raises(PaginationError, match="expected a list at 'data'"):
        async for _ in client.contacts.list():
            pass


async def test_scroll_restart_500_starts_again_and_yields_each_company_once(server, connect):
    items = fake.make_items(25)
    scroll = fake.Scroll(items, page_size=5, fail_on=(3,))  # the third request answers "please restart"
    server.route("GET", "/companies/scroll", scroll.handler)
    client = connect("2.12", await server.start())
    got = [c async for c in client.companies.scroll()]
    assert ids(got) == ids(items)
    assert scroll.started == 2
    restart = [r for r in server.requests if "scroll_param" not in r["query"]]
    assert len(restart) == 2


async def test_scroll_restart_survives_transport_retries_of_the_dead_scroll(server, connect):
    items = fake.make_items(12)
    scroll = fake.Scroll(items, page_size=4, fail_on=(2,))
    server.route("GET", "/companies/scroll", scroll.handler)
    policy = intercom_async.RetryPolicy(2, backoff_base=0.001)
    client = connect("Unstable", await server.start(), retry_policy=policy)
    got = [c async for c in client.companies.scroll().items(read_ahead=True)]
    assert ids(got) == ids(items) and scroll.started == 2


async def test_scroll_restarts_are_bounded(server, connect):
    scroll = fake.Scroll(fake.make_items(50), page_size=5, fail_on=tuple(range(2, 100, 2)))
    server.route("GET", "/companies/scroll", scroll.handler)
    client = connect("2.10", await server.start())
    got = []
    with pytest.raises(intercom_async.ServerError, match="restart the scroll"):
        async for company in client.companies.scroll():
            got.append(company)
    assert ids(got) == ids(fake.make_items(5))
    assert scroll.started == MAX_SCROLL_RESTARTS + 1


async def test_a_scroll_that_does_not_advance_raises(server, connect):
    async def stuck(request: web.Request) -> web.Response:
        return web.json_response({"type": "list", "data": fake.make_items(3), "scroll_param": "s1"})

    server.route("GET", "/companies/scroll", stuck)
    client = connect("2.12", await server.start())
    with pytest.raises(PaginationError, match="same page twice|not advancing"):
        async for _ in client.companies.scroll():
            pass
    assert len(server.requests) == 2


@pytest.mark.intercom_version("2.12")
async def test_a_second_scroll_while_one_is_open_surfaces_the_api_error(intercom_fake):
    intercom_fake.items("companies.scroll", fake.make_items(20), per_page=5)
    client = intercom_fake.client(max_retries=0)
    first = client.companies.scroll()
    async for _ in first.pages():
        break  # scroll left open
    with pytest.raises(intercom_async.BadRequestError, match="scroll_exists"):
        await client.companies.scroll()
    rest = [c async for c in first.resume(first.cursor)]  # the open scroll can still be finished
    assert ids(rest) == ids(fake.make_items(20)[5:])


@pytest.mark.intercom_version("2.12")
async def test_an_expired_scroll_is_reported(intercom_fake):
    intercom_fake.items("companies.scroll", fake.make_items(20), per_page=5)
    intercom_fake.scroll_ttl = 0.05
    pager = intercom_fake.client(max_retries=0).companies.scroll()
    with pytest.raises(intercom_async.NotFoundError, match="expired"):
        async for page in pager.pages():
            await asyncio.sleep(0.1)  # a consumer slower than the scroll's idle expiry
            assert page.number == 1
