"""``FakeIntercom(workspace=Workspace(...))`` knows Intercom's rules: each test fails when the fake ignores one.

Every test runs a real fake on 127.0.0.1 and talks to it through the public client (``fake.client()``), as a
user's test of their own worker would. Clocks are manual where time matters, so nothing waits on real minutes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import intercom_async
from intercom_async.testing import FakeIntercom, Workspace

LA = ZoneInfo("America/Los_Angeles")
T0 = 1_700_000_000  # 2023-11-14 22:13:20 UTC
NOON = int(dt.datetime(2024, 3, 5, 12, 0, tzinfo=LA).timestamp())  # noon in Los Angeles
HOUR = 3600


def q(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": op, "value": value}


def AND(*filters: dict[str, Any]) -> dict[str, Any]:
    return {"operator": "AND", "value": list(filters)}


async def ids(pager: Any) -> list[str]:
    return [item.id async for item in pager]


@pytest.fixture
def ws() -> Workspace:
    return Workspace(timezone="America/Los_Angeles", now=NOON + 10 * 86400)


async def started(ws: Workspace, version: str = "2.16", **options: Any) -> FakeIntercom:
    fake = FakeIntercom(version, workspace=ws, **options)
    await fake.start()
    return fake


@pytest.fixture
async def fakes() -> AsyncIterator[list[FakeIntercom]]:
    made: list[FakeIntercom] = []
    yield made
    for fake in made:
        await fake.close()


def around_noon(ws: Workspace) -> dict[str, str]:
    """Contacts updated at known times around NOON (Los Angeles): name -> id."""
    out = {}
    for name, at in {
        "day_before_late": NOON - 13 * HOUR,  # 23:00 the day before
        "morning": NOON - 11 * HOUR,  # 01:00 the same day
        "noon": NOON,
        "evening": NOON + 11 * HOUR,  # 23:00 the same day
        "next_day": NOON + 13 * HOUR,  # 01:00 the next day
    }.items():
        ws.set_time(at)
        out[name] = ws.create("contacts", name=name)["id"]
    ws.set_time(NOON + 10 * 86400)
    return out


# ---------------------------------------------------------------------------------------------- date rules


async def test_stable_contact_search_matches_dates_by_calendar_day_in_the_workspace_time_zone(ws, fakes):
    made = around_noon(ws)
    names = {v: k for k, v in made.items()}
    fakes.append(fake := await started(ws, "2.16"))
    client = fake.client()

    async def found(op: str) -> set[str]:
        return {names[i] for i in await ids(client.contacts.search(query=q("updated_at", op, NOON)))}

    assert await found(">") == {"next_day"}  # from the start of the next day, not from noon
    assert await found("<") == {"day_before_late"}  # before the start of the day
    assert await found("=") == {"morning", "noon", "evening"}  # the whole day

    utc = Workspace(timezone="UTC", now=NOON + 10 * 86400)  # the same data, another time zone
    around_noon(utc)
    fakes.append(other := await started(utc, "2.16"))
    in_utc = {
        item.name async for item in other.client().contacts.search(query=q("updated_at", "=", NOON))
    }  # NOON is 20:00 UTC; that UTC day runs from 16:00 the day before to 16:00 in Los Angeles
    assert in_utc == {"day_before_late", "morning", "noon"}


async def test_preview_contact_search_filters_by_the_exact_second(ws, fakes):
    made = around_noon(ws)
    names = {v: k for k, v in made.items()}
    fakes.append(fake := await started(ws, "Preview"))
    client = fake.client()

    async def found(op: str) -> set[str]:
        return {names[i] for i in await ids(client.contacts.search(query=q("updated_at", op, NOON)))}

    assert await found(">") == {"evening", "next_day"}
    assert await found(">=") == {"noon", "evening", "next_day"}
    assert await found("<") == {"day_before_late", "morning"}
    assert await found("<=") == {"day_before_late", "morning", "noon"}
    assert await found("=") == {"noon"}


@pytest.mark.parametrize("op", [">=", "<=", "!=", "IN", "NIN"])
async def test_stable_contact_date_operators_other_than_eq_gt_lt_are_a_400(ws, fakes, op):
    fakes.append(fake := await started(ws, "2.16"))
    value = [NOON] if op in ("IN", "NIN") else NOON
    with pytest.raises(intercom_async.BadRequestError) as info:
        await fake.client(max_retries=0).contacts.search(query=q("created_at", op, value))
    assert info.value.status_code == 400 and "created_at" in str(info.value)


async def test_conversations_and_tickets_are_filtered_by_the_second_on_stable_versions(ws, fakes):
    for at in (NOON - 1, NOON, NOON + 1):
        ws.set_time(at)
        ws.create("conversations")
        ws.create("tickets")
    fakes.append(fake := await started(ws, "2.16"))
    client = fake.client()
    after = await ids(client.conversations.search(query=q("created_at", ">", NOON)))
    assert len(after) == 1
    assert len(await ids(client.conversations.search(query=q("created_at", ">=", NOON)))) == 2
    assert len(await ids(client.tickets.search(query=q("created_at", "<", NOON)))) == 1
    assert len(await ids(client.tickets.search(query=q("created_at", "<=", NOON)))) == 2


# ---------------------------------------------------------------------------------------------- consistency


async def test_a_write_is_searchable_only_index_delay_seconds_later_while_lists_see_it_at_once(fakes):
    ws = Workspace(index_delay=120, now=T0)
    ws.add("contacts", 10, created_from=T0 - 86400 * 3, created_to=T0 - 86400 * 2)
    fakes.append(fake := await started(ws, "Preview"))
    client = fake.client()
    everyone = q("created_at", ">", 0)
    new = ws.create("contacts", email="new@example.com")["id"]
    old = ws.ids("contacts")[0]
    ws.update("contacts", old, name="Renamed")
    assert new not in await ids(client.contacts.search(query=everyone))
    stale = [c async for c in client.contacts.search(query=q("id", "=", old))]
    assert stale[0].name != "Renamed" and stale[0].updated_at < T0  # the index still has the old version
    assert new in await ids(client.contacts.list())  # lists read the data, not the index
    assert (await client.contacts.find(old)).name == "Renamed"
    ws.advance(119)
    assert len(await ids(client.contacts.search(query=q("updated_at", ">=", T0)))) == 0
    ws.advance(1)
    assert set(await ids(client.contacts.search(query=q("updated_at", ">=", T0)))) == {new, old}
    assert [c.name async for c in client.contacts.search(query=q("id", "=", old))] == ["Renamed"]


async def test_a_merged_contact_leaves_updated_at_queries_and_shows_as_a_preview_activity(fakes):
    ws = Workspace(now=T0)
    ws.add("contacts", 5, created_from=T0 - 1000, created_to=T0 - 500)
    lead, user = ws.ids("contacts")[:2]
    fakes.append(fake := await started(ws, "Preview"))
    client = fake.client()
    since = q("updated_at", ">", T0 - 10_000)
    assert lead in await ids(client.contacts.search(query=since))
    ws.advance(60)
    ws.merge(lead, user)
    found = await ids(client.contacts.search(query=since))
    assert lead not in found and user in found and len(found) == 4
    changed = [c async for c in client.contacts.search(query=q("updated_at", ">", T0))]
    assert [c.id for c in changed] == [user]  # the merge shows only as an update of the contact merged into
    events = [(e.event_type, e.contact_id) async for e in client.contacts.list_activities()]
    assert events == [("contact.merged", user)]  # the contact merged into, as Intercom's example shows
    ws.delete("contacts", user)
    assert user not in await ids(client.contacts.search(query=since))
    assert [e.event_type async for e in client.contacts.list_activities()][-1] == "contact.deleted"


async def test_records_created_and_updated_during_a_walk_are_found_by_the_next_query(fakes):
    ws = Workspace(now=T0)
    ws.add("conversations", 300, created_from=T0 - 3000, created_to=T0 - 1)
    fakes.append(fake := await started(ws, "2.16"))
    client = fake.client()
    seen: list[str] = []
    pager = client.conversations.search(query=q("created_at", ">", 0), pagination={"per_page": 100})
    async for conv in pager:
        seen.append(conv.id)
        if len(seen) == 50:
            ws.advance(10)
            ws.update("conversations", seen[0], title="touched")  # behind the cursor
            ws.create("conversations")  # ahead of the cursor (newest created_at): this walk sees it
    assert len(seen) == len(set(seen)) == 301  # the cursor names the last item: no page shifts, no repeats
    touched = await ids(client.conversations.search(query=q("updated_at", ">", T0)))
    assert seen[0] in touched and len(touched) == 2


# ---------------------------------------------------------------------------------------------- paging and sort


async def test_search_pages_total_count_per_page_cap_and_sort_with_ties_broken_by_id(fakes):
    ws = Workspace(now=T0)
    ws.add("contacts", 400, created_from=T0 - 200, created_to=T0)  # two contacts per second: ties
    fakes.append(fake := await started(ws, "2.16"))
    client = fake.client()
    page = await client.contacts.search(query=q("created_at", ">", 0), pagination={"per_page": 500})
    assert page.total_count == 400 and len(page.data) == 150  # capped at 150
    walked = [
        (c.created_at, c.id)
        async for c in client.contacts.search(
            query=q("created_at", ">", 0), sort={"field": "created_at", "order": "descending"}
        )
    ]
    assert walked == sorted(walked, reverse=True) and len(set(walked)) == 400
    with pytest.raises(intercom_async.BadRequestError) as info:
        await client.contacts.search(query=q("created_at", ">", 0), sort={"field": "created_at", "order": "down"})
    assert info.value.code == "invalid_sort_order"


async def test_sort_is_refused_where_the_version_has_none(fakes):
    ws = Workspace(now=T0)
    fakes.append(fake := await started(ws, "2.14"))
    with pytest.raises(intercom_async.UnprocessableEntityError):
        await fake.client().contacts.search(
            query=q("created_at", ">", 0), request_options={"extra_body": {"sort": {"field": "created_at"}}}
        )


async def test_nested_and_or_queries_and_their_limits(fakes):
    ws = Workspace(now=T0)
    ws.add("contacts", 30, created_from=T0 - 30, created_to=T0)
    ws.add("contacts", 3, created_from=T0 - 30, created_to=T0, role="lead")
    fakes.append(fake := await started(ws, "Preview"))
    client = fake.client(max_retries=0)
    leads_or_late = AND(  # the spec's groups hold filters or groups, not both
        AND(q("created_at", ">", 0)),
        {"operator": "OR", "value": [q("role", "=", "lead"), q("created_at", ">=", T0 - 2)]},
    )
    assert len(await ids(client.contacts.search(query=leads_or_late))) == 5
    too_deep = AND({"operator": "OR", "value": [AND(q("role", "=", "lead"))]})
    with pytest.raises(intercom_async.BadRequestError):
        await client.contacts.search(query=too_deep)
    with pytest.raises(intercom_async.BadRequestError):
        await client.contacts.search(query=AND(*[q("role", "=", "lead")] * 16))


# ---------------------------------------------------------------------------------------------- companies


async def test_get_companies_stops_at_10000_results(fakes):
    ws = Workspace(now=T0)
    ws.add("companies", 10_050, created_from=T0 - 10_050, created_to=T0)
    fakes.append(fake := await started(ws, "2.16"))
    client = fake.client(max_retries=0)
    walked = await ids(client.companies.retrieve(per_page=150))
    assert len(walked) == len(set(walked)) == 10_000 and walked == ws.ids("companies")[:10_000]
    with pytest.raises(intercom_async.BadRequestError):
        await client.companies.retrieve(per_page=50, page=201)
    assert ws.count("companies") == 10_050


async def test_one_scroll_per_workspace_expiry_and_restart_after_a_500(fakes):
    ws = Workspace(now=T0)
    ws.add("companies", 120, created_from=T0 - 100, created_to=T0)
    fakes.append(fake := await started(ws, "2.16", scroll_ttl=60))  # fake.per_page (50) companies a page
    client = fake.client(max_retries=0)
    other_app = fake.client(token=fake.new_token(), max_retries=0)
    first = await client.companies.scroll()
    with pytest.raises(intercom_async.BadRequestError) as info:
        await other_app.companies.scroll()  # the slot is the workspace's, not the app's
    assert info.value.code == "scroll_exists"
    ws.advance(59)
    await client.companies.scroll(scroll_param=first.scroll_param)  # used: idle time starts again
    ws.advance(60)
    with pytest.raises(intercom_async.NotFoundError):
        await client.companies.scroll(scroll_param=first.scroll_param)  # expired
    # a 500 in the middle of a walk: the scroll is over, a new one starts from the beginning
    fake.fail("companies.scroll", status=500, match=lambda r: bool(r.query.get("scroll_param")))
    seen: list[str] = []
    with pytest.raises(intercom_async.ServerError):
        async for company in other_app.companies.scroll():
            seen.append(company.id)
    assert len(seen) == 50
    with pytest.raises(intercom_async.NotFoundError):  # the old scroll_param does not resume
        await other_app.companies.scroll(scroll_param=fake.requests[-1].query["scroll_param"])
    assert await ids(client.companies.scroll()) == ws.ids("companies")  # restarted: all of them, once


async def test_preview_companies_search(fakes):
    ws = Workspace(now=T0)
    ws.add("companies", 20, created_from=T0 - 20, created_to=T0)
    fakes.append(fake := await started(ws, "Preview"))
    client = fake.client()
    found = [
        c.id
        async for c in client.companies.search(
            query=q("created_at", ">=", T0 - 10), sort={"field": "created_at", "order": "ascending"}
        )
    ]
    assert found == ws.ids("companies")[10:]


# ---------------------------------------------------------------------------------------------- records


async def test_single_records_carry_their_parts_lists_do_not_and_deleted_conversations_are_listed(fakes):
    ws = Workspace(timezone="Europe/Dublin", now=T0)
    ws.add("conversations", 3, created_from=T0 - 300, created_to=T0, parts=4)
    ws.add("tickets", 2, created_from=T0 - 300, created_to=T0, parts=3)
    fakes.append(fake := await started(ws, "2.16"))
    client = fake.client()
    listed = [c async for c in client.conversations.list()]
    assert [c.id for c in listed] == ws.ids("conversations")
    assert "conversation_parts" not in fake.requests[-1].response["conversations"][0]
    full = await client.conversations.find(listed[0].id)
    assert len(full.conversation_parts.conversation_parts) == 4 == full.conversation_parts.total_count
    ticket = await client.tickets.get(ws.ids("tickets")[1])
    assert len(ticket.ticket_parts.ticket_parts) == 3
    ws.delete("conversations", listed[1].id)
    deleted = [c async for c in client.conversations.list_deleted_ids()]
    assert [(c.id, c.deleted_at) for c in deleted] == [(listed[1].id, T0)]
    with pytest.raises(intercom_async.NotFoundError):
        await client.conversations.find(listed[1].id)
    assert (await client.admins.identify()).app.timezone == "Europe/Dublin"


# ---------------------------------------------------------------------------------------------- limits


async def test_per_app_and_per_workspace_windows_with_headers_and_429s(fakes):
    ws = Workspace()
    fakes.append(fake := await started(ws, "2.16", rate_limit=3, rate_window=2, workspace_limit=5))
    a = fake.client(max_retries=0, rate_limiter=False)
    b = fake.client(token=fake.new_token(), max_retries=0, rate_limiter=False)
    window_end = fake._windows.origin + 2
    if window_end - time.time() < 1:  # keep the whole test inside one window
        await asyncio.sleep(window_end - time.time() + 0.01)
    raw = await a.admins.with_raw_response.identify()
    assert raw.headers["X-RateLimit-Limit"] == "3" and raw.headers["X-RateLimit-Remaining"] == "2"
    await a.admins.identify()
    await a.admins.identify()
    with pytest.raises(intercom_async.RateLimitError) as info:  # the app's 4th in the window
        await a.admins.identify()
    assert info.value.code == "rate_limit_exceeded" and info.value.remaining == 0
    raw = await b.admins.with_raw_response.identify()  # another app: its own window, but the workspace's 5th
    assert raw.headers["X-RateLimit-Remaining"] == "0"
    with pytest.raises(intercom_async.RateLimitError) as info:  # the workspace's 6th
        await b.admins.identify()
    assert "5 in 2 seconds for this workspace" in info.value.body["errors"][0]["message"]
    assert fake.stats.limited == 2 and fake.stats.max_window == 6 and fake.stats.max_app_window == 4


async def test_latency_delays_every_answer(fakes):
    ws = Workspace()
    fakes.append(fake := await started(ws, "2.16", latency=0.25))
    client = fake.client()
    started_at = time.perf_counter()
    await asyncio.gather(client.admins.identify(), client.admins.identify(), client.admins.identify())
    elapsed = time.perf_counter() - started_at
    assert 0.25 <= elapsed < 2  # concurrent requests wait side by side, each at least the latency


async def test_bad_workspace_input_is_a_typed_error():
    with pytest.raises(intercom_async.InvalidRequestError, match="time zone"):
        Workspace(timezone="Mars/Olympus")
    ws = Workspace()
    with pytest.raises(intercom_async.InvalidRequestError, match="kind"):
        ws.add("users", 1, created_from=0, created_to=1)
    with pytest.raises(intercom_async.InvalidRequestError, match="no live"):
        ws.update("contacts", "nope")
    with pytest.raises(intercom_async.InvalidRequestError, match="set by the workspace"):
        ws.create("contacts", updated_at=5)


def test_add_is_deterministic_for_a_seed_and_stats_reset():
    def updated(seed: int) -> list[int]:
        ws = Workspace(seed=seed)
        ws.add("tickets", 50, created_from=T0 - 5000, created_to=T0 - 4000, updated_to=T0)
        return [r["updated_at"] for r in ws.records("tickets")]

    assert updated(1) == updated(1) != updated(2)
    assert all(T0 - 5000 <= at <= T0 for at in updated(3))
    fake = FakeIntercom("2.16", workspace=Workspace())
    fake.stats.requests, fake.stats.windows[0] = 3, 3
    fake.stats.reset()
    assert (fake.stats.requests, fake.stats.windows, fake.stats.max_window) == (0, {}, 0)


@pytest.mark.parametrize(
    ("query", "pagination", "named"),
    [
        (q("created_at", ">", "foobar"), None, "created_at"),
        (q("email", "LIKE", "x"), None, "LIKE"),  # the spec's enum: the body check's 422
        (q("created_at", "~", "1"), None, "created_at"),
        (q("role", "IN", "lead"), None, "IN"),
        (q("created_at", ">", 0), {"starting_after": "not-a-cursor"}, "starting_after"),
    ],
)
async def test_a_query_the_api_refuses_is_a_4xx_naming_what_was_wrong(fakes, query, pagination, named):
    fakes.append(fake := await started(Workspace(now=T0), "Preview"))
    kwargs = {"pagination": pagination} if pagination else {}
    with pytest.raises((intercom_async.BadRequestError, intercom_async.UnprocessableEntityError)) as info:
        await fake.client(max_retries=0).contacts.search(query=query, **kwargs)
    assert named in info.value.body["errors"][0]["message"]
