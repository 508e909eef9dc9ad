"""The Redis pieces against a real ``redis-server`` (started by the test on a free loopback port): the
checkpoint store (an export resumed from it) and the scroll lock shared by two "processes"."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter

import pytest
import redis.asyncio as aioredis

from intercom_async.sync import CheckpointError, RedisCheckpointStore, export, redis_scroll_lock
from tests.resilience.redis_server import RedisServer, redis_server  # noqa: F401  (fixture)

from .conftest import DAY, T0, workspace


async def test_the_redis_store_keeps_checkpoints_and_refuses_garbage(redis_server: RedisServer):  # noqa: F811
    r = aioredis.Redis.from_url(redis_server.url)
    try:
        store = RedisCheckpointStore(r, prefix="t:")
        assert await store.load("a/b") is None
        await store.save("a/b", {"x": 1})
        await store.save("a/c*", {"x": 2})
        assert await store.load("a/b") == {"x": 1}
        assert await store.keys("a/") == ["a/b", "a/c*"] and await store.keys("a/c*") == ["a/c*"]
        await r.set("t:bad", b"\xff{")
        with pytest.raises(CheckpointError, match="'t:bad'.*not valid JSON"):
            await store.load("bad")
        assert await r.get("t:bad") == b"\xff{"  # left as it was
        await store.delete("a/b")
        assert await store.load("a/b") is None
    finally:
        await r.aclose()


async def test_an_export_resumes_from_the_redis_store(redis_server: RedisServer):  # noqa: F811
    r = aioredis.Redis.from_url(redis_server.url)
    try:
        async with workspace("2.16") as (fake, ws, client):
            ws.add("conversations", 500, created_from=T0 - 10 * DAY, created_to=T0)
            first: list[str] = []
            hold = asyncio.Event()

            async def crashing() -> None:
                store = RedisCheckpointStore(r, prefix="job:")
                async for c in export(client, "conversations", store=store, concurrency=4, per_page=40, clock=ws.now):
                    first.append(c.id)
                    if len(first) == 222:
                        hold.set()
                        await asyncio.sleep(3600)

            task = asyncio.ensure_future(crashing())
            await hold.wait()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            store = RedisCheckpointStore(r, prefix="job:")
            second = [c.id async for c in export(client, "conversations", store=store, per_page=40)]
            assert set(first) | set(second) == {x["id"] for x in ws.records("conversations")}
            assert len(set(first) & set(second)) <= 40 and len(second) == len(set(second))
    finally:
        await r.aclose()


async def test_the_redis_scroll_lock_serialises_two_processes(redis_server: RedisServer):  # noqa: F811
    async with workspace("2.16") as (fake, ws, client):
        ws.add("companies", 60, created_from=T0 - DAY, created_to=T0)
        other = fake.client()  # another process: its own client, so the in-process lock does not apply
        r1, r2 = aioredis.Redis.from_url(redis_server.url), aioredis.Redis.from_url(redis_server.url)
        try:

            async def run(c: object, r: aioredis.Redis) -> Counter[str]:
                lock = redis_scroll_lock(r, "acme", ttl=5.0, poll=0.05)
                return Counter([x.id async for x in export(c, "companies", scroll_lock=lock)])  # type: ignore[call-overload]

            a, b = await asyncio.gather(run(client, r1), run(other, r2))
            everything = Counter(x["id"] for x in ws.records("companies"))
            assert a == everything == b
            assert [x.status for x in fake.requests_for("scrollOverAllCompanies") if x.status != 200] == []
            assert await r1.get("intercom_async:scroll:acme") is None  # released
        finally:
            await r1.aclose()
            await r2.aclose()
