"""Incremental syncs against the simulated workspace: the stable day rule, Preview's seconds, the indexing
lag, records updated during a sync, deletion and merge events, crash-safe runs with a store, bad checkpoints."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest

from intercom_async.sync import (
    DEFAULT_LAG,
    CheckpointError,
    Deleted,
    FileCheckpointStore,
    MemoryCheckpointStore,
    Merged,
    SyncCheckpoint,
    UnknownResourceError,
    _partition,
    export,
    sync,
)
from intercom_async.sync._partition import day_start

from .conftest import DAY, LA, T0, workspace


async def _collect(s: Any) -> list[Any]:
    return [e async for e in s]


def _ids(events: list[Any]) -> set[str]:
    return {str(e.id) for e in events if not isinstance(e, (Deleted, Merged))}


async def _day_scenario(version: str) -> tuple[set[str], dict[str, str], list[Any], Any]:
    """Contacts updated before, at and after ``since`` (3 pm, local) on the same day, and the next day."""
    async with workspace(version) as (fake, ws, client):
        midnight = day_start(T0, LA)
        ws.add("contacts", 50, created_from=midnight - 20 * DAY, created_to=midnight - 10 * DAY)
        since = midnight + 15 * 3600
        names = {}
        for label, at in (
            ("morning", midnight + 10 * 3600),
            ("at", since),
            ("evening", since + 3600),
            ("next", midnight + DAY + 60),
        ):
            ws.set_time(at)
            names[label] = ws.create("contacts", email=f"{label}@example.com")["id"]
        ws.set_time(midnight + DAY + 3600)
        s = sync(client, "contacts", SyncCheckpoint("contacts", client.VERSION, since), clock=ws.now)
        got = _ids(await _collect(s))
        served = [
            item["id"] for r in fake.requests_for("SearchContacts") for item in (r.response or {}).get("data", [])
        ]
        return got, names, served, s


async def test_stable_contact_search_matches_by_day_and_the_sync_requeries_the_whole_day():
    got, names, served, s = await _day_scenario("2.16")
    assert {names["at"], names["evening"], names["next"]} <= got  # the rest of since's day is not skipped
    assert names["morning"] not in got  # filtered client-side: updated before the checkpoint
    assert names["morning"] in served  # ... though the day-granular query had to fetch it
    assert s.next_checkpoint.since == s.started_at - 600


async def test_ignoring_the_day_rule_loses_the_rest_of_the_day(monkeypatch):
    """The test above fails when the rule is ignored: asking ``updated_at > since - 1`` by the second."""
    real = _partition.Partition.query

    def by_the_second(self: Any, lo: int | None = None) -> dict[str, Any]:
        return real(_partition._replace(self, granularity="second"), lo)

    monkeypatch.setattr(_partition.Partition, "query", by_the_second)
    got, names, _, _ = await _day_scenario("2.16")
    assert names["evening"] not in got and names["at"] not in got  # silently skipped by the server


async def test_preview_filters_by_the_second():
    got, names, served, _ = await _day_scenario("Preview")
    assert {names["at"], names["evening"], names["next"]} <= got and names["morning"] not in got
    assert names["morning"] not in served  # asked by the second: the server never sends it


async def _lag_scenario(lag: int) -> tuple[bool, bool]:
    """A conversation written just before a sync is not searchable yet (index delay 120 s)."""
    async with workspace("2.16", index_delay=120) as (fake, ws, client):
        ws.add("conversations", 20, created_from=T0 - 5 * DAY, created_to=T0 - DAY)
        late = ws.create("conversations")["id"]  # written at T0, searchable at T0 + 120
        ws.advance(10)
        first = sync(client, "conversations", SyncCheckpoint("conversations", "2.16", T0 - 60), lag=lag, clock=ws.now)
        in_first = late in _ids(await _collect(first))
        ws.advance(600)
        second = sync(client, "conversations", first.next_checkpoint, lag=lag, clock=ws.now)
        in_second = late in _ids(await _collect(second))
        return in_first, in_second


async def test_the_safety_lag_delivers_records_indexed_late():
    assert await _lag_scenario(600) == (False, True)


async def test_without_the_lag_a_record_indexed_late_is_lost():
    assert await _lag_scenario(0) == (False, False)


@pytest.mark.parametrize(
    ("version", "resource"), [("2.16", "contacts"), ("Preview", "contacts"), ("2.16", "tickets"), ("2.16", "companies")]
)
async def test_a_record_updated_during_a_sync_is_delivered_by_that_sync_or_the_next(version, resource):
    async with workspace(version) as (fake, ws, client):
        ws.add(resource, 300, created_from=T0 - 10 * DAY, created_to=T0 - DAY, updated_to=T0 - 3600)
        everything = sorted(r["id"] for r in ws.records(resource))
        ws.advance(60)
        first = sync(
            client, resource, SyncCheckpoint(resource, client.VERSION, T0 - 5 * DAY), per_page=25, clock=ws.now
        )
        changed: dict[str, int] = {}
        delivered: dict[str, list[int]] = {}
        n = 0
        async for item in first:
            delivered.setdefault(item.id, []).append(item.updated_at)
            n += 1
            if n % 20 == 0:  # the workspace changes while the sync runs
                ws.advance(5)
                rid = everything[(n * 37) % len(everything)]
                changed[rid] = ws.update(resource, rid, name=f"v{n}")["updated_at"]
        ws.advance(3600)
        async for item in sync(client, resource, first.next_checkpoint, clock=ws.now):
            delivered.setdefault(item.id, []).append(item.updated_at)
        assert changed
        for rid, at in changed.items():
            assert at in delivered.get(rid, []), rid  # the updated version came, in this sync or the next
        expected = {r["id"] for r in ws.records(resource) if r["updated_at"] >= T0 - 5 * DAY}
        assert expected <= set(delivered)


async def test_deleted_conversations_come_as_events():
    async with workspace("2.16") as (fake, ws, client):
        ws.add("conversations", 30, created_from=T0 - 5 * DAY, created_to=T0 - DAY)
        old, new = [r["id"] for r in ws.records("conversations")][:2]
        ws.delete("conversations", old)  # before the checkpoint
        ws.advance(100)
        ws.delete("conversations", new)
        events = await _collect(
            sync(client, "conversations", SyncCheckpoint("conversations", "2.16", T0 + 50), clock=ws.now)
        )
        deleted = [e for e in events if isinstance(e, Deleted)]
        assert [(d.resource, d.id) for d in deleted] == [("conversations", new)]


async def test_preview_contact_merges_and_deletions_come_as_events():
    async with workspace("Preview") as (fake, ws, client):
        ws.add("contacts", 10, created_from=T0 - 5 * DAY, created_to=T0 - DAY)
        a, b, c = [r["id"] for r in ws.records("contacts")][:3]
        ws.advance(10)
        ws.merge(a, b)
        ws.delete("contacts", c)
        events = await _collect(sync(client, "contacts", SyncCheckpoint("contacts", "Preview", T0), clock=ws.now))
        assert Merged(a, b, int(ws.now())) in events or any(
            isinstance(e, Merged) and (e.from_id, e.into_id) == (a, b) for e in events
        )
        assert any(isinstance(e, Deleted) and e.id == c for e in events)
        assert b in _ids(events) and a not in _ids(events)  # the merge updated b; a left search


async def test_a_sync_with_a_store_resumes_after_a_crash_and_saves_the_next_checkpoint(tmp_path):
    async with workspace("2.16") as (fake, ws, client):
        ws.add("tickets", 400, created_from=T0 - 10 * DAY, created_to=T0 - DAY, updated_to=T0 - 60)
        wanted = {r["id"] for r in ws.records("tickets") if r["updated_at"] >= T0 - 4 * DAY}
        store = FileCheckpointStore(tmp_path)
        await store.save("tickets-sync/checkpoint", SyncCheckpoint("tickets", "2.16", T0 - 4 * DAY).to_json())
        first: list[str] = []
        hold = asyncio.Event()

        async def crashing() -> None:
            async for t in sync(client, "tickets", store=store, name="tickets-sync", per_page=30, clock=ws.now):
                first.append(t.id)
                if len(first) == 100:
                    hold.set()
                    await asyncio.sleep(3600)

        task = asyncio.ensure_future(crashing())
        await hold.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert (await store.load("tickets-sync/checkpoint"))["since"] == T0 - 4 * DAY  # not advanced by a crash
        ws.advance(30)
        s = sync(client, "tickets", store=store, name="tickets-sync", per_page=30, clock=ws.now)
        second = _ids(await _collect(s))
        assert set(first) | second == wanted
        assert len(set(first) & second) <= 30  # at most the page being consumed
        assert s.started_at == T0  # the interrupted run's start: its position still applied
        assert (await store.load("tickets-sync/checkpoint"))["since"] == T0 - 600
        assert await store.load("tickets-sync/run") is None


async def test_a_checkpoint_of_another_resource_or_version_is_refused_and_left_alone(tmp_path):
    async with workspace("2.16") as (fake, ws, client):
        with pytest.raises(CheckpointError, match="'tickets', not 'contacts'"):
            sync(client, "contacts", SyncCheckpoint("tickets", "2.16", 0))
        with pytest.raises(CheckpointError, match="'Preview'; this client speaks '2.16'"):
            sync(client, "contacts", {"resource": "contacts", "version": "Preview", "since": 5})
        store = FileCheckpointStore(tmp_path)
        await store.save("s/checkpoint", SyncCheckpoint("tickets", "2.16", 7).to_json())
        before = [p.read_bytes() for p in sorted(tmp_path.iterdir())]
        with pytest.raises(CheckpointError, match="s/checkpoint"):
            await _collect(sync(client, "contacts", store=store, name="s"))
        assert [p.read_bytes() for p in sorted(tmp_path.iterdir())] == before
        (tmp_path / next(p.name for p in tmp_path.iterdir())).write_text("{not json")
        with pytest.raises(CheckpointError, match="not valid JSON"):
            await _collect(sync(client, "tickets", store=store, name="s"))
        with pytest.raises(ValueError, match="lag"):
            sync(client, "tickets", lag=-1)
    mem = MemoryCheckpointStore()
    assert json.loads(json.dumps(SyncCheckpoint("a", "b", 1).to_json())) == {
        "format": 1,
        "resource": "a",
        "version": "b",
        "since": 1,
    }
    assert await mem.keys() == []


async def test_a_sync_from_the_exports_start_picks_up_what_the_export_could_not_see_yet():
    async with workspace("2.16", index_delay=120) as (fake, ws, client):
        ws.add("tickets", 200, created_from=T0 - 5 * DAY, created_to=T0 - DAY)
        late = ws.create("tickets")["id"]  # written at T0: not searchable before T0 + 120
        ws.advance(5)
        ex = export(client, "tickets", clock=ws.now)
        exported = {t.id async for t in ex}
        assert late not in exported and len(exported) == 200
        ws.advance(900)
        s = sync(client, "tickets", SyncCheckpoint("tickets", "2.16", ex.started_at - DEFAULT_LAG), clock=ws.now)
        assert late in _ids(await _collect(s))


async def test_a_long_sync_is_split_into_concurrent_partitions():
    async with workspace("Preview") as (fake, ws, client):
        ws.add("contacts", 1500, created_from=T0 - 90 * DAY, created_to=T0 - 60 * DAY, updated_to=T0 - 60)
        seen: list[Any] = []
        s = sync(
            client,
            "contacts",
            SyncCheckpoint("contacts", "Preview", T0 - 30 * DAY),
            concurrency=4,
            on_progress=seen.append,
            clock=ws.now,
        )
        got = _ids(await _collect(s))
        assert got == {r["id"] for r in ws.records("contacts") if r["updated_at"] >= T0 - 30 * DAY}
        assert seen[-1].finished and seen[-1].partitions_total >= 3  # split, plus the open-ended one
        assert seen[-1].partitions_done == seen[-1].partitions_total


async def test_sync_refuses_an_unknown_resource():
    async with workspace("2.16") as (fake, ws, client):
        with pytest.raises(UnknownResourceError, match="'users'"):
            sync(client, "users")  # type: ignore[call-overload]


async def test_the_activity_feed_is_read_on_from_where_the_last_sync_stopped():
    async with workspace("Preview") as (fake, ws, client):
        for i in range(400):  # 400 contact.created activities: three pages of the feed
            ws.create("contacts", email=f"c{i}@example.com")
        ids = [r["id"] for r in ws.records("contacts")]
        first = sync(client, "contacts", SyncCheckpoint("contacts", "Preview", T0 - DAY), clock=ws.now)
        await _collect(first)
        assert first.next_checkpoint.feed_cursor is not None
        assert len(fake.requests_for("ListContactActivities")) == 3
        fake.clear()
        ws.advance(3600)
        ws.merge(ids[0], ids[1])
        second = sync(client, "contacts", first.next_checkpoint.to_json(), clock=ws.now)
        events = await _collect(second)
        assert [(e.from_id, e.into_id) for e in events if isinstance(e, Merged)] == [(ids[0], ids[1])]
        assert len(fake.requests_for("ListContactActivities")) == 1  # the last page again, not the whole feed
        fake.clear()
        broken = SyncCheckpoint("contacts", "Preview", second.next_checkpoint.since, feed_cursor="not-a-cursor")
        events = await _collect(sync(client, "contacts", broken, clock=ws.now))
        assert [(e.from_id, e.into_id) for e in events if isinstance(e, Merged)] == [(ids[0], ids[1])]
        assert len(fake.requests_for("ListContactActivities")) == 1 + 3  # refused, then from the beginning
