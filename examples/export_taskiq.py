"""Many processes, one export: taskiq workers walk the SDK's partitions under one Intercom budget in Redis.

The SDK plans an export into partitions (plain JSON values), walks each one and checkpoints it; the job queue
only schedules them. Here the queue is taskiq with taskiq-redis' stream broker (a Redis stream read by a
consumer group), every worker process paces through one ``RedisRateLimiter``, and the checkpoints live in
Redis (``RedisCheckpointStore``)::

    pip install 'intercom-async[redis]' taskiq taskiq-redis
    export INTERCOM_TOKEN=... REDIS_URL=redis://localhost:6379/0
    # 1. plan the export and queue one task per partition (again later: queues what is not done yet)
    python examples/export_taskiq.py queue contacts nightly
    # 2. workers: as many processes and machines as you like (the budget is shared, not multiplied)
    taskiq worker examples.export_taskiq:broker --workers 4 --max-async-tasks 16
    # 3. follow it: partitions done, items delivered
    python examples/export_taskiq.py status nightly

Delivery is at least once. An item is delivered when ``deliver()`` returns; the position after a page is saved
once its last item is delivered. A task's message is acknowledged when the task returns; a worker killed
mid-task (``kill -9``, a lost machine) leaves it pending, and another worker claims it after
``EXPORT_CLAIM_AFTER`` seconds and resumes the partition from its checkpoint: nothing is lost, and at most the
page being delivered is delivered again. While a partition runs its worker holds a lease on it in Redis
(renewed; it expires ``EXPORT_LEASE`` seconds after a crash), so a message claimed again from a worker that
is slow, not dead, waits instead of walking the partition twice. Keep ``EXPORT_CLAIM_AFTER`` above the time a
task can wait for a worker slot (with ``--max-async-tasks``, a worker reads a message only when it has one).

Throughput: the limiter, not the latency, should bound the export, so run at least ``requests per second x
latency x 1.5`` partitions at once across all workers (a private app's 166 requests/s at 300 ms: 75, e.g. 4
processes x ``--max-async-tasks 20``). The plan makes about two partitions per concurrent walk
(``EXPORT_CONCURRENCY``).

Settings (environment): ``INTERCOM_TOKEN``; ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``);
``INTERCOM_VERSION`` (default 2.16); ``INTERCOM_BASE_URL`` (optional: a region's URL, or a test server);
``EXPORT_LIMIT`` requests per ``EXPORT_WINDOW`` seconds for the app (default 1666 per 10); ``EXPORT_CONCURRENCY``
(default 80); ``EXPORT_PER_PAGE`` (default 150); ``EXPORT_ENRICH=1`` (conversations and tickets in full);
``EXPORT_CLAIM_AFTER`` (default 600 s); ``EXPORT_LEASE`` (default 60 s); ``EXPORT_QUEUE`` (the stream's name).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import AsyncGenerator
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio import Redis
from taskiq import AckableMessage, TaskiqEvents, TaskiqState
from taskiq_redis import RedisStreamBroker

import intercom_async
from intercom_async.ratelimit_redis import RedisRateLimiter
from intercom_async.sync import Partition, RedisCheckpointStore, plan, redis_scroll_lock, rules_for, run_partition


@dataclasses.dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    token: str = ""
    version: str = "2.16"
    base_url: str | None = None
    limit: int = 1666
    window: float = 10.0
    concurrency: int = 80
    per_page: int = 150
    enrich: bool = False
    claim_after: float = 600.0
    lease: float = 60.0
    queue: str = "intercom-export"
    prefix: str = "intercom-export:"  # checkpoints, leases and the delivered counts in Redis

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = dict(os.environ if env is None else env)
        return cls(
            redis_url=e.get("REDIS_URL", cls.redis_url),
            token=e.get("INTERCOM_TOKEN", ""),
            version=e.get("INTERCOM_VERSION", cls.version),
            base_url=e.get("INTERCOM_BASE_URL") or None,
            limit=int(e.get("EXPORT_LIMIT", cls.limit)),
            window=float(e.get("EXPORT_WINDOW", cls.window)),
            concurrency=int(e.get("EXPORT_CONCURRENCY", cls.concurrency)),
            per_page=int(e.get("EXPORT_PER_PAGE", cls.per_page)),
            enrich=e.get("EXPORT_ENRICH", "") == "1",
            claim_after=float(e.get("EXPORT_CLAIM_AFTER", cls.claim_after)),
            lease=float(e.get("EXPORT_LEASE", cls.lease)),
            queue=e.get("EXPORT_QUEUE", cls.queue),
        )


SETTINGS = Settings.from_env()


class StreamBroker(RedisStreamBroker):
    """taskiq-redis' stream broker, also claiming the messages of dead workers when the stream has nothing new.

    ``RedisStreamBroker.listen`` (taskiq-redis 1.2.4) looks for messages left pending by a dead consumer only
    after a read that returned new messages, so the partitions of a worker killed near the end of an export
    would wait for the next one. Here every read, empty or not, is followed by one ``XAUTOCLAIM``: a message
    idle for ``idle_timeout`` ms moves to this consumer (atomically: one claimer wins) and runs again."""

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                fetched = await redis.xreadgroup(
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    count=self.count,
                    block=self.block,
                )
                claimed = await redis.xautoclaim(
                    self.queue_name, self.consumer_group_name, self.consumer_name, self.idle_timeout, count=1
                )
                for stream, messages in [*(fetched or []), (self.queue_name, claimed[1])]:
                    for message_id, fields in messages:
                        if fields:  # None: deleted from the stream meanwhile
                            ack = self._ack_generator(id=message_id, queue_name=stream)
                            yield AckableMessage(data=fields[b"data"], ack=ack)


broker = StreamBroker(
    SETTINGS.redis_url,
    queue_name=SETTINGS.queue,
    consumer_group_name=SETTINGS.queue,
    idle_timeout=int(SETTINGS.claim_after * 1000),  # a message unacknowledged this long is claimed again
    xread_count=1,  # one message per read: partitions spread over the workers instead of the first one
    xread_block=min(2000, int(SETTINGS.claim_after * 250)),  # claims are looked for after each read
    unacknowledged_lock_timeout=max(1.0, SETTINGS.claim_after / 2),
)


@dataclasses.dataclass
class Worker:
    """What a worker process holds: one Redis client, one limiter (the shared budget), one Intercom client."""

    settings: Settings
    redis: aioredis.Redis
    limiter: RedisRateLimiter
    client: Any
    store: RedisCheckpointStore

    @classmethod
    def open(cls, settings: Settings) -> Worker:
        redis = aioredis.Redis.from_url(settings.redis_url)
        limiter = RedisRateLimiter(redis, token=settings.token, limit=settings.limit, window=settings.window)
        options: dict[str, Any] = {"version": settings.version, "rate_limiter": limiter}
        if settings.base_url:
            options["base_url"] = settings.base_url
        client = intercom_async.Intercom(settings.token, **options)
        return cls(settings, redis, limiter, client, RedisCheckpointStore(redis, prefix=settings.prefix + "cp:"))

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.limiter.aclose()
        await self.redis.aclose()


_worker: Worker | None = None


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _startup(state: TaskiqState) -> None:
    global _worker
    _worker = Worker.open(SETTINGS)


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _shutdown(state: TaskiqState) -> None:
    if _worker is not None:
        await _worker.aclose()


async def deliver(worker: Worker, export: str, item: Any) -> None:
    """Your code: handle one record (idempotently: an upsert by id, since delivery is at least once).
    Here each record's id is counted in a Redis hash, so that ``status`` can report duplicates."""
    await worker.redis.hincrby(f"{worker.settings.prefix}{export}/delivered", str(item.id), 1)


@broker.task(task_name="intercom_async.export_partition")
async def export_partition(partition: dict[str, Any], export: str) -> int:
    """Walk one partition of ``export`` from its checkpoint; returns the items delivered by this run."""
    worker = _worker
    if worker is None:
        raise RuntimeError("the worker's startup hook did not run")
    part = Partition.from_json(partition)
    s = worker.settings
    delivered = 0
    async with redis_scroll_lock(worker.redis, f"{export}/{part.key}", ttl=s.lease, prefix=s.prefix + "lease:"):
        enrich = s.enrich and rules_for(part.version, part.resource).enrichable
        # companies without search: one scroll per workspace, whatever else uses it (another export, a sync)
        scroll = None
        if part.method == "scroll":
            scroll = redis_scroll_lock(worker.redis, "workspace", prefix=s.prefix + "scroll:")
        items = run_partition(
            worker.client,
            part,
            worker.store,
            namespace=f"{export}/",
            enrich=enrich,
            per_page=s.per_page,
            scroll_lock=scroll,
        )
        async for item in items:
            await deliver(worker, export, item)
            delivered += 1
    return delivered


async def queue_export(settings: Settings, resource: str, export: str) -> int:
    """Plan the export (or reload its plan) and queue a task for every partition not done; returns how many."""
    worker = Worker.open(settings)
    try:
        key = f"{export}/tasks"  # the plan, saved once: queueing again resumes the same partitions
        stored = await worker.store.load(key)
        if stored is None:
            parts = await plan(worker.client, resource, concurrency=settings.concurrency, per_page=settings.per_page)
            await worker.store.save(key, {"resource": resource, "partitions": [p.to_json() for p in parts]})
        else:
            parts = [Partition.from_json(p) for p in stored["partitions"]]
        todo = [p for p in parts if not await _done(worker.store, export, p)]
        await broker.startup()
        try:
            for part in todo:
                await export_partition.kiq(part.to_json(), export)
        finally:
            await broker.shutdown()
        return len(todo)
    finally:
        await worker.aclose()


async def _position(store: RedisCheckpointStore, export: str, part: Partition) -> dict[str, Any]:
    stored = await store.load(f"{export}/{part.key}")  # what run_partition saved under its namespace
    position = (stored or {}).get("position")
    return position if isinstance(position, dict) else {}


async def _done(store: RedisCheckpointStore, export: str, part: Partition) -> bool:
    return bool((await _position(store, export, part)).get("done"))


async def status(settings: Settings, export: str) -> dict[str, Any]:
    """Partitions (total, done), items delivered per the checkpoints, and per the sink (distinct, duplicates)."""
    redis = aioredis.Redis.from_url(settings.redis_url)
    try:
        store = RedisCheckpointStore(redis, prefix=settings.prefix + "cp:")
        stored = await store.load(f"{export}/tasks")
        parts = [] if stored is None else [Partition.from_json(p) for p in stored["partitions"]]
        positions = [await _position(store, export, p) for p in parts]
        counts = [int(n) for n in (await redis.hgetall(f"{settings.prefix}{export}/delivered")).values()]
        return {
            "partitions": len(parts),
            "done": sum(1 for pos in positions if pos.get("done")),
            "checkpointed": sum(int(pos.get("delivered", 0)) for pos in positions),
            "distinct": len(counts),
            "duplicates": sum(counts) - len(counts),
        }
    finally:
        await redis.aclose()


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "queue":
        print(f"queued {asyncio.run(queue_export(SETTINGS, argv[1], argv[2]))} partitions")
        return 0
    if len(argv) == 2 and argv[0] == "status":
        print(json.dumps(asyncio.run(status(SETTINGS, argv[1]))))
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
