"""Planning and running a full export: partitions on ``created_at``, walked concurrently at the rate limit.

``plan`` splits the resource's ``created_at`` range into partitions (see ``_partition``). A first probe, a
one-item search (``per_page=1``), reads ``total_count`` (and, where search sorts, the earliest record, where
the range starts) and the server's budget (``X-RateLimit-Limit`` per 10-second window). The walks that keep
that budget busy are its rate times the probe's round trip, times 1.5 (at most ``concurrency``): with
Intercom's default private-app limit (166 requests a second) at 300 ms, 75, so the default ``concurrency``
(50) applies; on a test server answering at once, 4. The target is two partitions per such walk, but no
more than ``concurrency``: every partition is walked from the start, so all progress at the same pace
through the limiter and end together (a partition left waiting for a slot would end alone, at the latency's
pace). Where search cannot be sorted a partition holds at most ten pages (a restart of such
a partition walks it again and skips the ids its checkpoint lists). A partition over the target is split
into ``ceil(count / target)`` equal time slices (whole days where dates are days), each probed in turn
(split again past 1.5 times the target; empty ones dropped).

In ``export`` those lower probes fetch a whole first page (sorted as the walk will be), and the walk of a
partition that is not split further starts from that page: planning costs the first probe and the probes
of slices split again, nothing per partition.

``export`` plans (or reloads the plan saved in the store by an interrupted run), then runs up to
``concurrency`` partitions at once, largest first. The client's rate limiter (default pacing or a
``RedisRateLimiter``) is the budget: with enough walks in flight the limiter, not the latency, bounds the
rate. Pages go through one bounded queue to the caller, so memory stays flat whatever the number of items
(at most about two pages per walk are held); a page is checkpointed once the caller has consumed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._errors import IntercomError, InvalidRequestError
from .._ratelimit_headers import parse_count
from ._errors import CheckpointError, ExportIncomplete, PartitionFailed
from ._partition import FORMAT, Partition, day_start, next_day_start
from ._progress import Progress, ProgressCallback, Tracker
from ._rules import check_enrich, rules_for
from ._store import CheckpointStore, MemoryCheckpointStore
from ._walk import PER_PAGE, Walker, check_per_page, item_value, search_body

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["DEFAULT_CONCURRENCY", "Export", "plan", "workspace_timezone"]

T = TypeVar("T")
logger = logging.getLogger("intercom_async")

DEFAULT_CONCURRENCY = 50
PARTITIONS_PER_WALK = 2
SLACK = 1.5  # a probed partition is split again only when it holds more than SLACK x the target
UNSORTED_MAX_PAGES = 10
MAX_SPLIT = 256


async def workspace_timezone(client: BaseClient) -> str:
    """The workspace's time zone (``GET /me`` -> ``app.timezone``), ``"UTC"`` when it does not say."""
    response = await client.request("GET", "/me")
    data = response.parsed
    app = data.get("app") if isinstance(data, dict) else None
    tz = app.get("timezone") if isinstance(app, dict) else None
    return tz if isinstance(tz, str) and tz else "UTC"


class _Probe:
    """What one probe learnt: ``total`` (``total_count``), the ``page`` itself, and its round trip."""

    __slots__ = ("elapsed", "page", "total")

    def __init__(self, total: int, page: Any, elapsed: float) -> None:
        self.total = total
        self.page = page
        self.elapsed = elapsed

    @property
    def first(self) -> Any:
        return self.page.items[0] if self.page.items else None


async def _probe(client: BaseClient, part: Partition, tracker: Tracker, *, per_page: int = 1) -> _Probe:
    """The first page of ``part``'s query, ``per_page`` items of it (sorted as its walk is), and its count."""
    group = getattr(client, part.resource)
    started = time.monotonic()
    pager = group.search(request_body=search_body(part, per_page))
    async with contextlib.aclosing(pager.pages(max_pages=1)) as pages:
        page = await anext(pages)
    tracker.request(page.response.headers)
    total = getattr(page.data, "total_count", None)
    return _Probe(total if isinstance(total, int) else len(page.items), page, time.monotonic() - started)


def _walks_needed(probe: _Probe, concurrency: int) -> int:
    """How many walks keep the server's budget busy: its rate (``X-RateLimit-Limit`` per 10-second window)
    times the probe's round trip, with half again for slack; at most ``concurrency``, at least 4."""
    limit = parse_count(probe.page.response.headers.get("X-RateLimit-Limit"))
    if not limit:
        return concurrency
    return max(4, min(concurrency, math.ceil(limit / 10.0 * probe.elapsed * 1.5)))


async def plan(
    client: BaseClient,
    resource: str,
    *,
    created_after: int | None = None,
    created_before: int | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    per_page: int = PER_PAGE,
    partition_size: int | None = None,
    tracker: Tracker | None = None,
    clock: Callable[[], float] = time.time,
    field: str = "created_at",
    first_pages: dict[str, Any] | None = None,
) -> list[Partition]:
    """The partitions of an export of ``resource`` created in ``[created_after, created_before)`` (default:
    everything created before now). Plain values: ``Partition.to_json()`` / ``Partition.from_json``.
    Where dates are days, a range without an end runs to the end of today in the workspace's time zone.
    (``field="updated_at"``: the same over update times, as ``sync`` plans its range.) With ``first_pages``
    (a dict; what ``export`` passes) the probes below the first one fetch a whole first page, which is kept
    under the partition's key for its walk to start from: the probe costs no request of its own.

    ``partition_size`` overrides the target number of records per partition (see the module docstring);
    ``clock`` is where "now" comes from (a simulated workspace's clock in tests)."""
    rules = rules_for(client.VERSION, resource)
    tracker = tracker or Tracker(resource)
    if rules.method == "scroll":
        return [Partition(resource=resource, version=client.VERSION, method="scroll")]
    granularity = "day" if rules.day_granular else "second"
    lo = created_after if created_after is not None else 0
    version = client.VERSION

    def part_of(lo: int, hi: int, tz: str) -> Partition:
        return Partition(
            resource=resource,
            version=version,
            field=field,
            lo=lo,
            hi=hi,
            granularity=granularity,
            timezone=tz,
            sort=rules.sortable,
        )

    if granularity == "second":
        tz = "UTC"
        root = part_of(lo, created_before if created_before is not None else int(clock()) + 1, tz)
        probe = await _probe(client, root, tracker)
    elif lo > 0:  # whole days from a given start: the time zone first
        tz = await workspace_timezone(client)
        hi = created_before if created_before is not None else next_day_start(int(clock()), tz)
        root = part_of(lo, hi, tz)
        probe = await _probe(client, root, tracker)
    else:  # from the beginning: count everything (no time zone needed) while the time zone is asked
        everything = Partition(resource=resource, version=version, field=field, sort=rules.sortable)
        tz_task = asyncio.ensure_future(workspace_timezone(client))
        try:
            probe = await _probe(client, everything, tracker)
        finally:
            tz = await tz_task
        hi = created_before if created_before is not None else next_day_start(int(clock()), tz)
        root = part_of(0, hi, tz)
    total = probe.total
    if total == 0:
        return []
    if rules.sortable and lo == 0 and probe.first is not None:  # start at the earliest record, not the epoch
        earliest = item_value(probe.first, field)
        if earliest is not None and earliest > lo:
            root = part_of(day_start(earliest, tz) if granularity == "day" else earliest, root.hi or 0, tz)
    walks = _walks_needed(probe, concurrency)
    # all partitions walked at once where concurrency allows: they progress evenly and end together
    count = min(concurrency, walks * PARTITIONS_PER_WALK)
    target = partition_size or max(per_page * 2, math.ceil(total / count))
    if not rules.sortable:
        target = min(target, per_page * UNSORTED_MAX_PAGES)
    slots = asyncio.Semaphore(max(1, concurrency))

    async def settle(part: Partition, count: int, parent: int = 0) -> list[Partition]:
        if count == 0:
            return []
        slack = SLACK if count <= parent / 2 else 1  # a split that left most records together gets no slack
        if count <= target * slack or not part.splittable():
            return [dataclasses.replace(part, estimate=count)]
        children = part.split(min(MAX_SPLIT, math.ceil(count / target)))
        if len(children) < 2:  # nothing to gain (cannot happen for a splittable partition; never loop)
            return [dataclasses.replace(part, estimate=count)]

        async def probe(child: Partition) -> int:
            async with slots:
                found = await _probe(client, child, tracker, per_page=per_page if first_pages is not None else 1)
            if first_pages is not None and found.total:
                first_pages[child.key] = found.page  # the walk starts from it, if the child is not split
            return found.total

        counts = await asyncio.gather(*(probe(c) for c in children))
        nested = await asyncio.gather(*(settle(c, n, count) for c, n in zip(children, counts, strict=True)))
        return [p for group in nested for p in group]

    parts = await settle(root, total)
    if first_pages is not None:
        leaves = {p.key for p in parts}
        for key in [k for k in first_pages if k not in leaves]:
            del first_pages[key]
    logger.info(
        "planned %d partitions of %s (%d records, target %d per partition)", len(parts), resource, total, target
    )
    return parts


_DONE = object()


class _Entry:
    __slots__ = ("commit", "items")

    def __init__(self, items: list[Any], commit: Callable[[], Awaitable[None]]) -> None:
        self.items = items
        self.commit = commit


class Export(Generic[T]):
    """A full export (what ``export()`` returns): ``async for item in ex`` yields every record once.

    Attributes while or after iterating: ``partitions`` (the plan), ``failures`` (``PartitionFailed`` of the
    partitions that stopped), ``progress`` (the latest ``Progress``), ``started_at`` (Unix seconds when the
    plan was made: a later ``sync`` from ``SyncCheckpoint(since=started_at - lag)`` picks up what changed
    since, including records indexed late). With ``raise_on_failure`` (default) the iteration ends with
    ``ExportIncomplete`` when some partitions failed, after every other partition was delivered.

    With ``store`` and ``name`` (default ``"export:<resource>"``) the plan and the positions are kept under
    ``<name>/``: a run that stops (crash, failed partitions) is resumed by the next run of the same name. Once
    an export has delivered everything its keys are deleted, so the next run under that name is a new export.
    """

    def __init__(
        self,
        client: BaseClient,
        resource: str,
        *,
        store: CheckpointStore | None = None,
        name: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        enrich: bool = False,
        enrich_concurrency: int = DEFAULT_CONCURRENCY,
        created_after: int | None = None,
        created_before: int | None = None,
        on_progress: ProgressCallback | None = None,
        progress_interval: float = 1.0,
        raise_on_failure: bool = True,
        per_page: int = PER_PAGE,
        partition_size: int | None = None,
        scroll_lock: contextlib.AbstractAsyncContextManager[Any] | None = None,
        clock: Callable[[], float] = time.time,
        field: str = "created_at",
        open_end: bool = False,
    ) -> None:
        self.rules = rules_for(client.VERSION, resource)  # UnknownResourceError before anything else
        check_enrich(resource, enrich)
        check_per_page(per_page)
        if store is not None and not isinstance(store, CheckpointStore):
            raise InvalidRequestError(f"store must be a checkpoint store, not {type(store).__name__}")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidRequestError(f"concurrency must be >= 1, got {concurrency}")
        self.client = client
        self.resource = resource
        self.store: CheckpointStore = store if store is not None else MemoryCheckpointStore()
        self.name = name if name is not None else f"export:{resource}"
        self.concurrency = concurrency
        self.enrich = enrich
        self.enrich_concurrency = enrich_concurrency
        self.created_after = created_after
        self.created_before = created_before
        self.raise_on_failure = raise_on_failure
        self.per_page = per_page
        self.partition_size = partition_size
        self.scroll_lock = scroll_lock
        self.clock = clock
        self.field = field
        self.open_end = open_end  # sync: one more partition from created_before on, without an end
        self.report_end = True
        self.tracker = Tracker(resource, on_progress, interval=progress_interval)
        self.partitions: list[Partition] = []
        self.failures: list[PartitionFailed] = []
        self.started_at: int | None = None
        self._first_pages: dict[str, Any] = {}  # partition key -> the first page its probe fetched

    @property
    def progress(self) -> Progress:
        return self.tracker.snapshot()

    @property
    def plan_key(self) -> str:
        return f"{self.name}/plan"

    async def _load_or_plan(self) -> list[Partition]:
        stored = await self.store.load(self.plan_key)
        version = self.client.VERSION
        if stored is not None:
            if stored.get("format") != FORMAT or not isinstance(stored.get("partitions"), list):
                raise CheckpointError("not an export plan of this format", key=self.plan_key)
            if stored.get("resource") != self.resource or stored.get("version") != version:
                raise CheckpointError(
                    f"the stored plan exports {stored.get('resource')!r} on API {stored.get('version')!r}, not "
                    f"{self.resource!r} on {version!r}; use another name= or delete it",
                    key=self.plan_key,
                )
            try:
                parts = [Partition.from_json(p) for p in stored["partitions"]]
            except CheckpointError as exc:
                raise CheckpointError(str(exc), key=self.plan_key) from None
            started = stored.get("started_at")
            self.started_at = started if isinstance(started, int) else None
            logger.info("resuming export %r: %d partitions", self.name, len(parts))
            return parts
        self.started_at = int(self.clock())
        self._first_pages = {}
        parts = await plan(
            self.client,
            self.resource,
            created_after=self.created_after,
            created_before=self.created_before,
            concurrency=self.concurrency,
            per_page=self.per_page,
            partition_size=self.partition_size,
            tracker=self.tracker,
            clock=self.clock,
            field=self.field,
            first_pages=self._first_pages,
        )
        if self.open_end and self.rules.method == "search":
            last = max((p.hi for p in parts if p.hi is not None), default=self.created_before)
            template = parts[-1] if parts else None
            parts.append(
                Partition(
                    resource=self.resource,
                    version=version,
                    field=self.field,
                    lo=last,
                    hi=None,
                    granularity=template.granularity if template else ("day" if self.rules.day_granular else "second"),
                    timezone=template.timezone if template else await self._timezone(),
                    sort=self.rules.sortable,
                )
            )
        await self.store.save(
            self.plan_key,
            {
                "format": FORMAT,
                "resource": self.resource,
                "version": version,
                "started_at": self.started_at,
                "partitions": [p.to_json() for p in parts],
            },
        )
        return parts

    async def _timezone(self) -> str:
        return await workspace_timezone(self.client) if self.rules.day_granular else "UTC"

    def __aiter__(self) -> AsyncIterator[T]:
        return self._run()

    async def _run(self) -> AsyncIterator[T]:
        self.partitions = parts = await self._load_or_plan()
        tracker = self.tracker
        tracker.total = len(parts)
        queue: asyncio.Queue[Any] = asyncio.Queue()  # pages are bounded by page_slots, messages are not
        page_slots = asyncio.Semaphore(max(2, self.concurrency))
        slots = asyncio.Semaphore(self.concurrency)
        enrich_slots = asyncio.Semaphore(self.enrich_concurrency)

        async def walk(part: Partition) -> None:
            async with slots:
                try:
                    walker = Walker(
                        self.client,
                        part,
                        self.store,
                        namespace=f"{self.name}/",
                        per_page=self.per_page,
                        enrich=self.enrich,
                        enrich_slots=enrich_slots,
                        tracker=tracker,
                        scroll_lock=self.scroll_lock,
                        first_page=self._first_pages.pop(part.key, None),
                    )
                    async with contextlib.aclosing(walker.pages()) as batches:  # type: ignore[type-var]
                        async for items, commit in batches:
                            await page_slots.acquire()
                            queue.put_nowait(_Entry(items, commit))
                except (PartitionFailed, CheckpointError) as exc:
                    queue.put_nowait(exc)
                    return
                except IntercomError as exc:
                    queue.put_nowait(PartitionFailed(part, exc))
                    return
            queue.put_nowait(_Finished(part))

        async def run_all() -> None:
            try:  # the largest first (by the planner's estimate), so the last ones to finish are small
                order = sorted(parts, key=lambda p: -(p.estimate or 0))
                await asyncio.gather(*(walk(p) for p in order))
            finally:
                queue.put_nowait(_DONE)

        runner = asyncio.ensure_future(run_all())
        try:
            while True:
                entry = await queue.get()
                if entry is _DONE:
                    break
                if isinstance(entry, CheckpointError):
                    raise entry
                if isinstance(entry, PartitionFailed):
                    self.failures.append(entry)
                    tracker.failed += 1
                    logger.warning("%s", entry)
                    tracker.tick(force=True)
                    continue
                if isinstance(entry, _Finished):
                    tracker.done += 1
                    tracker.tick()
                    continue
                try:
                    for item in entry.items:
                        yield item
                    await entry.commit()
                finally:
                    page_slots.release()
            await runner  # re-raise what is not a partition's failure (a bug, a cancellation)
        finally:
            if not runner.done():
                runner.cancel()
                with contextlib.suppress(BaseException):
                    await runner
        if self.report_end:
            tracker.tick(force=True, finished=True)
        if self.failures:
            if self.raise_on_failure:
                raise ExportIncomplete(self.failures)
            return
        for key in await self.store.keys(f"{self.name}/"):  # finished: the next run under this name starts afresh
            await self.store.delete(key)


class _Finished:
    __slots__ = ("partition",)

    def __init__(self, partition: Partition) -> None:
        self.partition = partition
