"""Incremental sync: everything created or updated since a checkpoint, then the next checkpoint.

``sync(client, resource, checkpoint)`` plans and walks ``updated_at`` like an export plans ``created_at``:
partitions over ``[since, start)``, walked concurrently, plus one partition from ``start`` on without an end
(a record updated while the sync runs moves to a later ``updated_at``: it comes in this sync or, thanks to
the lag below, in the next). The date rules are the client version's (``_rules``):

* by the second (Preview contacts, conversations, tickets, Preview companies): ``updated_at > since - 1``;
* by day (contact search on the stable versions and Unstable): the query starts at the beginning of
  ``since``'s day in the workspace's time zone (``GET /me``) and records updated before ``since`` are dropped
  client-side. (Asking ``updated_at > since`` there would skip the rest of ``since``'s day.)
* companies without search: the whole scroll, keeping those with ``updated_at >= since``.

The next checkpoint is the sync's start time minus ``lag`` (default ``DEFAULT_LAG`` = 10 minutes). Search is
eventually consistent: a record written shortly before the sync may not be searchable yet, and a record
updated while the sync runs may or may not be seen. Starting the next sync ``lag`` before this one started
delivers both then (at least once: some records come twice across syncs). Intercom documents the delay as
"a few minutes"; raise ``lag`` if your workspace indexes more slowly.

Deletions and merges come as their own events where the version has a feed: ``Deleted("conversations", id,
at)`` from ``GET /conversations/deleted`` (2.16, Unstable, Preview), ``Deleted("contacts", ...)`` and
``Merged(from_id, into_id, at)`` from Preview's ``GET /contacts/activities``. Merged contacts disappear
from ``updated_at`` queries, so without the feed a merge is invisible to a sync; a webhook subscription
(``contact.merged``, ``contact.deleted``, ``conversation.deleted``) delivers them on other versions, in
real time.

With ``store=`` (and ``name=``), the sync is crash-safe like an export: the run in progress (its ``since`` and
start time) and its partition's position are stored, a restart resumes them, and the next checkpoint is
saved (under ``<name>/checkpoint``) only once the whole sync was delivered.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._errors import APIError, IntercomError, InvalidRequestError
from ._errors import CheckpointError, PartitionFailed
from ._export import DEFAULT_CONCURRENCY, Export
from ._partition import FORMAT, Partition
from ._progress import Progress, ProgressCallback, Tracker
from ._rules import check_enrich, check_resource, rules_for
from ._store import CheckpointStore, MemoryCheckpointStore
from ._walk import PER_PAGE, Walker, item_id, item_value

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["DEFAULT_LAG", "Deleted", "Merged", "Sync", "SyncCheckpoint"]

T = TypeVar("T")

DEFAULT_LAG = 600  # seconds: Intercom's "a few minutes" of search indexing delay, with room to spare


@dataclass(frozen=True)
class SyncCheckpoint:
    """Where the next sync starts: every record of ``resource`` updated before ``since`` (Unix seconds) was
    delivered by an earlier sync or export (made with the client of API ``version``)."""

    resource: str
    version: str
    since: int
    feed_cursor: str | None = None  # Preview contacts: where the activity feed was last read (it has no time filter)

    def to_json(self) -> dict[str, Any]:
        data = {"format": FORMAT, **asdict(self)}
        if self.feed_cursor is None:
            del data["feed_cursor"]
        return data

    @classmethod
    def from_json(cls, data: Any, *, key: str | None = None) -> SyncCheckpoint:
        if not isinstance(data, dict):
            raise CheckpointError(f"a sync checkpoint must be a JSON object, got {type(data).__name__}", key=key)
        if data.get("format", FORMAT) != FORMAT:
            raise CheckpointError(f"unknown sync checkpoint format {data.get('format')!r}", key=key)
        resource, version, since = data.get("resource"), data.get("version"), data.get("since")
        if not isinstance(resource, str) or not isinstance(version, str):
            raise CheckpointError("a sync checkpoint needs resource and version strings", key=key)
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            raise CheckpointError(f"a sync checkpoint needs since as Unix seconds, got {since!r}", key=key)
        cursor = data.get("feed_cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise CheckpointError(f"a sync checkpoint's feed_cursor must be a string, got {cursor!r:.80}", key=key)
        return cls(resource=resource, version=version, since=since, feed_cursor=cursor)


@dataclass(frozen=True)
class Deleted:
    """A record deleted at ``at`` (Unix seconds, when the feed says)."""

    resource: str
    id: str
    at: int | None = None


@dataclass(frozen=True)
class Merged:
    """Contact ``from_id`` was merged into ``into_id`` (``from_id`` no longer exists)."""

    from_id: str
    into_id: str
    at: int | None = None


class Sync(Generic[T]):
    """An incremental sync (what ``sync()`` returns); see the module docstring.

    ``async for event in s`` yields the version's models (created or updated since the checkpoint) and
    ``Deleted`` / ``Merged`` events; ``s.next_checkpoint`` is set once the iteration has ended."""

    def __init__(
        self,
        client: BaseClient,
        resource: str,
        checkpoint: SyncCheckpoint | dict[str, Any] | None = None,
        *,
        lag: int = DEFAULT_LAG,
        store: CheckpointStore | None = None,
        name: str | None = None,
        enrich: bool = False,
        enrich_concurrency: int = 32,
        feeds: bool = True,
        on_progress: ProgressCallback | None = None,
        per_page: int = PER_PAGE,
        clock: Callable[[], float] = time.time,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.rules = rules_for(client.VERSION, check_resource(resource))
        check_enrich(resource, enrich)
        if not isinstance(lag, int) or lag < 0:
            raise InvalidRequestError(f"lag must be a number of seconds >= 0, got {lag!r}")
        self.client = client
        self.resource = resource
        self.checkpoint = None if checkpoint is None else self._check(checkpoint, None)
        self.lag = lag
        self.store: CheckpointStore = store if store is not None else MemoryCheckpointStore()
        self.name = name if name is not None else f"sync:{resource}"
        self.enrich = enrich
        self.enrich_concurrency = enrich_concurrency
        self.feeds = feeds
        self.per_page = per_page
        self.clock = clock
        self.concurrency = concurrency
        self.tracker = Tracker(resource, on_progress)
        self.next_checkpoint: SyncCheckpoint | None = None
        self._feed_cursor: str | None = None
        self._resumed_feed = False
        self.started_at: int | None = None

    @property
    def progress(self) -> Progress:
        return self.tracker.snapshot()

    def _check(self, value: SyncCheckpoint | dict[str, Any], key: str | None) -> SyncCheckpoint:
        cp = value if isinstance(value, SyncCheckpoint) else SyncCheckpoint.from_json(value, key=key)
        if cp.resource != self.resource:
            raise CheckpointError(f"it is a checkpoint of {cp.resource!r}, not {self.resource!r}", key=key)
        if cp.version != self.client.VERSION:
            raise CheckpointError(
                f"it was made with API version {cp.version!r}; this client speaks {self.client.VERSION!r}", key=key
            )
        return cp

    def __aiter__(self) -> AsyncIterator[T | Deleted | Merged]:
        return self._run()

    async def _start(self) -> tuple[int, int]:
        """``(since, started_at)`` of this run: a stored unfinished run is resumed as it was."""
        run_key, cp_key = f"{self.name}/run", f"{self.name}/checkpoint"
        stored_cp = await self.store.load(cp_key)
        checkpoint = self.checkpoint
        if checkpoint is None and stored_cp is not None:
            checkpoint = self._check(stored_cp, cp_key)
        since = checkpoint.since if checkpoint is not None else 0
        self._feed_cursor = checkpoint.feed_cursor if checkpoint is not None else None
        run = await self.store.load(run_key)
        if run is not None:
            if (
                run.get("format") != FORMAT
                or not isinstance(run.get("since"), int)
                or not isinstance(run.get("started_at"), int)
            ):
                raise CheckpointError("not a sync run record of this format", key=run_key)
            if run.get("resource") != self.resource or run.get("version") != self.client.VERSION:
                raise CheckpointError(
                    f"the unfinished run syncs {run.get('resource')!r} on {run.get('version')!r}", key=run_key
                )
            if run["since"] == since:
                return since, run["started_at"]
            for key in await self.store.keys(f"{self.name}/{run['started_at']}/"):  # another checkpoint: drop it
                await self.store.delete(key)
        started = int(self.clock())
        record = {
            "format": FORMAT,
            "resource": self.resource,
            "version": self.client.VERSION,
            "since": since,
            "started_at": started,
        }
        await self.store.save(run_key, record)
        return since, started

    async def _run(self) -> AsyncIterator[Any]:
        since, started = await self._start()
        self.started_at = started
        rules = self.rules
        client = self.client
        if rules.method == "scroll":
            async for item in self._scroll(since, started):
                yield item
        else:
            ex: Export[Any] = Export(
                client,
                self.resource,
                store=self.store,
                name=f"{self.name}/{started}",
                concurrency=self.concurrency,
                enrich=self.enrich,
                enrich_concurrency=self.enrich_concurrency,
                created_after=since,
                created_before=started,
                per_page=self.per_page,
                clock=self.clock,
                field="updated_at",
                open_end=True,
            )
            ex.tracker = self.tracker
            ex.report_end = False  # the sync reports its end, after the feeds
            async for item in ex:
                yield item
        if self.feeds:
            async for event in self._feeds(since):
                yield event
        self.next_checkpoint = SyncCheckpoint(
            self.resource, client.VERSION, max(0, started - self.lag), feed_cursor=self._feed_cursor
        )
        await self.store.save(f"{self.name}/checkpoint", self.next_checkpoint.to_json())
        for key in await self.store.keys(f"{self.name}/{started}/"):
            await self.store.delete(key)
        await self.store.delete(f"{self.name}/run")
        self.tracker.tick(force=True, finished=True)

    async def _scroll(self, since: int, started: int) -> AsyncIterator[Any]:
        """Companies without search: the whole scroll, keeping those updated since the checkpoint."""
        part = Partition(resource=self.resource, version=self.client.VERSION, method="scroll", field="updated_at")
        walker = Walker(
            self.client,
            part,
            self.store,
            namespace=f"{self.name}/{started}/",
            per_page=self.per_page,
            tracker=self.tracker,
        )
        self.tracker.total = 1
        async with contextlib.aclosing(walker.pages()) as batches:  # type: ignore[type-var]
            async for items, commit in batches:
                for item in items:
                    updated = item_value(item, "updated_at")
                    if updated is None or updated >= since:
                        yield item
                await commit()
        self.tracker.done = 1

    async def _activity_pages(self) -> AsyncIterator[Any]:
        """Preview's contact activity feed (oldest first, no time filter): from the page where the previous
        sync stopped reading (``feed_cursor``; that page is read again), else from the beginning, filtered by
        time. A cursor the API no longer accepts means reading from the beginning."""
        pager: Any = self.client.contacts.list_activities(per_page=150)  # type: ignore[attr-defined]
        self._resumed_feed = False
        if self._feed_cursor is not None:
            try:
                async for page in pager.resume(self._feed_cursor).pages():
                    self._resumed_feed = True
                    yield page
                return
            except APIError:
                if self._resumed_feed:
                    raise
        async for page in pager.pages():
            yield page

    async def _feeds(self, since: int) -> AsyncIterator[Deleted | Merged]:
        client: Any = self.client
        rules = self.rules
        part = Partition(resource=self.resource, version=client.VERSION, field="updated_at", lo=since)
        try:
            if rules.deleted_feed:
                pager = client.conversations.list_deleted_ids(order="desc", per_page=150)
                async for page in pager.pages():
                    self.tracker.request(page.response.headers)
                    oldest = None
                    for entry in page.items:
                        at = item_value(entry, "deleted_at")
                        ident = item_id(entry)
                        if at is not None and at < since:
                            oldest = at
                            continue
                        if ident is not None:
                            yield Deleted("conversations", ident, at)
                    if oldest is not None:
                        break  # newest first: the rest was deleted before the checkpoint
            if rules.activities_feed:
                async for page in self._activity_pages():
                    self.tracker.request(page.response.headers)
                    if page.cursor is not None:
                        self._feed_cursor = str(page.cursor)
                    for entry in page.items:
                        at = item_value(entry, "created_at")
                        if not self._resumed_feed and at is not None and at < since:
                            continue
                        kind = str(
                            getattr(getattr(entry, "event_type", None), "value", getattr(entry, "event_type", ""))
                        )
                        contact = getattr(entry, "contact_id", None)
                        if kind == "contact.deleted" and isinstance(contact, str):
                            yield Deleted("contacts", contact, at)
                        elif kind == "contact.merged":
                            source, target = (
                                getattr(entry, "merge_source_id", None),
                                getattr(entry, "merge_target_id", None),
                            )
                            if isinstance(source, str) and isinstance(target, str):
                                yield Merged(source, target, at)
        except IntercomError as exc:
            raise PartitionFailed(part, exc) from exc
