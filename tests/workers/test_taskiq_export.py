"""Many processes, one export, on a real job queue: ``examples/export_taskiq.py`` (taskiq + taskiq-redis) with real
``taskiq worker`` processes, a real ``redis-server`` and a simulated workspace (``FakeIntercom``) served from the
test process, all on free loopback ports (issue 17, items 5 and 4).

* every contact is delivered, exactly once when no worker dies, and the fleet stays within the app's limit
  (one ``RedisRateLimiter`` budget for all processes);
* ``kill -9`` of a worker at a random moment (several seeds): a restart resumes the partitions in flight from
  their checkpoints, nothing is lost, and the items delivered twice are at most one page per partition that was
  in flight in the killed process.

Scaled down to stay within the CI budget: 2,400 contacts, pages of 25, 1-second rate windows.
Without ``redis-server`` on PATH the tests skip locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis

from intercom_async.testing import FakeIntercom, Workspace

from ..resilience.redis_server import RedisServer, redis_server  # noqa: F401  (fixture)
from .harness import fleet, recipe

LA = "America/Los_Angeles"
DAY = 86400
T0 = 1_760_000_000
CONTACTS = 2400
PER_PAGE = 25
LIMIT = 60  # requests per 1-second window, for the app (all worker processes together)
SLOTS = 2  # --max-async-tasks: partitions one worker process walks at once


def _env(fake: FakeIntercom, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "INTERCOM_TOKEN": fake.token,
        "INTERCOM_BASE_URL": fake.base_url,
        "INTERCOM_VERSION": "2.16",
        "EXPORT_LIMIT": str(LIMIT),
        "EXPORT_WINDOW": "1",
        "EXPORT_CONCURRENCY": "6",
        "EXPORT_PER_PAGE": str(PER_PAGE),
        "EXPORT_QUEUE": f"export-{uuid.uuid4().hex[:8]}",
        **extra,
    }


async def _delivered(redis_url: str, settings: Any, export: str) -> dict[str, int]:
    r = aioredis.Redis.from_url(redis_url)
    try:
        raw = await r.hgetall(f"{settings.prefix}{export}/delivered")
    finally:
        await r.aclose()
    return {k.decode(): int(v) for k, v in raw.items()}


def _workspace() -> Workspace:
    ws = Workspace(timezone=LA, seed=0)
    ws.set_time(T0)
    ws.add("contacts", CONTACTS, created_from=T0 - 30 * DAY, created_to=T0 - 60)
    return ws


async def test_three_worker_processes_share_one_export_and_one_budget(redis_server: RedisServer) -> None:  # noqa: F811
    ws = _workspace()
    async with FakeIntercom("2.16", workspace=ws, latency=0.02, rate_limit=LIMIT, rate_window=1.0) as fake:
        async with fleet(_env(fake, redis_server.url, EXPORT_CLAIM_AFTER="60", EXPORT_LEASE="10")) as f:
            queued = await f.queue("contacts", "e1")
            assert queued.startswith("queued ") and int(queued.split()[1]) >= 6, queued
            fake.stats.reset()
            started = time.monotonic()
            for _ in range(3):
                await f.start_worker(SLOTS)
            state = await f.wait_done("e1", timeout=90)
            elapsed = time.monotonic() - started
            delivered = await _delivered(redis_server.url, f.settings, "e1")
            assert await f.queue("contacts", "e1") == "queued 0 partitions"  # queueing again: only what is not done
    expected = {r["id"] for r in ws.records("contacts")}
    print(
        f"\n[taskiq fleet] 3 workers x {SLOTS} slots, {state['partitions']} partitions, {len(expected)} contacts: "
        f"delivered {sum(delivered.values())} ({len(delivered)} distinct) in {elapsed:.1f} s; requests "
        f"{fake.stats.requests}, busiest window {fake.stats.max_app_window} / {LIMIT}, 429s {fake.stats.limited}"
    )
    assert set(delivered) == expected  # every contact, and nothing else
    assert max(delivered.values()) == 1 and state["duplicates"] == 0  # no worker died: exactly once
    assert state["checkpointed"] == len(expected)  # the checkpoints account for every delivery
    assert fake.stats.max_app_window <= LIMIT  # one budget for the three processes
    assert fake.stats.limited <= 2  # paced, not refused (a window or two of jitter on a busy machine at most)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_kill_9_of_a_worker_loses_nothing_and_redelivers_at_most_a_page_per_partition_in_flight(
    redis_server: RedisServer,  # noqa: F811
    seed: int,
) -> None:
    rng = random.Random(seed)
    ws = _workspace()
    # a killed worker's messages are claimed by another after 2 s; its leases expire after 3 s
    env_extra = {"EXPORT_CLAIM_AFTER": "2", "EXPORT_LEASE": "3"}
    async with FakeIntercom("2.16", workspace=ws, latency=0.02, rate_limit=LIMIT, rate_window=1.0) as fake:
        async with fleet(_env(fake, redis_server.url, **env_extra)) as f:
            await f.queue("contacts", "k")
            fake.stats.reset()  # count the walk's requests only (the plan's probes were before)
            workers = [await f.start_worker(SLOTS) for _ in range(3)]
            settings = f.settings
            kills = 0
            r = aioredis.Redis.from_url(redis_server.url)
            try:
                for _ in range(2):  # two kills at random moments of the walk, of random workers
                    target = rng.uniform(150, 1700)  # items delivered (of 2,400) before the kill
                    deadline = time.monotonic() + 60
                    seen = 0
                    while True:  # past the target, and while some page is being delivered (the count moves)
                        count = await r.hlen(f"{settings.prefix}k/delivered")
                        if count >= target and count != seen:
                            break
                        assert time.monotonic() < deadline, "the export stalled before the kill"
                        seen = count
                        await asyncio.sleep(0.001)
                    if await f.kill_worker_child(rng.choice(workers)) is not None:
                        kills += 1
            finally:
                await r.aclose()
            state = await f.wait_done("k", timeout=120)
            delivered = await _delivered(redis_server.url, settings, "k")
    expected = {r["id"] for r in ws.records("contacts")}
    duplicates = sum(delivered.values()) - len(delivered)
    bound = kills * SLOTS * PER_PAGE  # one page per partition in flight in each killed process
    print(
        f"\n[taskiq kill -9, seed {seed}] {kills} kills, {state['partitions']} partitions: "
        f"{len(expected - set(delivered))} lost, {duplicates} re-delivered (bound {bound}); requests "
        f"{fake.stats.requests} (about 101 without a kill), 429s {fake.stats.limited}"
    )
    assert kills == 2
    assert set(delivered) == expected  # nothing lost
    assert duplicates <= bound  # resumed from the checkpoints, not from the start of each partition
    assert state["done"] == state["partitions"]


def test_recipe_settings_read_the_environment() -> None:
    settings = recipe().Settings.from_env({"EXPORT_LIMIT": "500", "EXPORT_ENRICH": "1", "EXPORT_WINDOW": "2.5"})
    assert (settings.limit, settings.enrich, settings.window, settings.claim_after) == (500, True, 2.5, 600.0)
