"""Walking one partition: fetch its pages, drop what another partition owns or the position already covers,
optionally fetch each item in full, and checkpoint the position once a page is delivered.

``run_partition(client, partition, store)`` is the public entry point (an async generator of the version's
models); ``export`` runs many ``Walker``s at once through the same code.

The delivered boundary: a page counts as delivered when the caller asks for the item after its last one (in
``async for item in run_partition(...)``: when the loop body has returned for the page's last item), or when
the iteration ends. Only then is the position after that page saved. A crash (even ``kill -9``) at any moment
therefore loses nothing and re-delivers at most the page that was being consumed, per partition.

A walk follows Intercom's ``starting_after`` cursor from page to page within one run; a restart never uses a
cursor: it queries from the saved position (see ``intercom_async.sync._partition``).

Companies without search use ``GET /companies/scroll``, one per workspace: the walk holds ``scroll_lock``
(an async context manager; default one ``asyncio.Lock`` per base URL in this process, ``redis_scroll_lock``
for many processes) from the first page to the last. The pager restarts the scroll after Intercom's
"please restart the scroll" 500 and skips companies already handed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .._errors import BadRequestError, IntercomError, InvalidRequestError, NotFoundError, ServerError
from ._errors import CheckpointError, PartitionFailed
from ._partition import FORMAT, Partition, Position
from ._progress import Tracker
from ._rules import check_enrich
from ._store import CheckpointStore, MemoryCheckpointStore

if TYPE_CHECKING:
    from .._client import BaseClient

__all__ = ["PER_PAGE", "Walker", "run_partition", "scroll_lock_for"]

PER_PAGE = 150  # Intercom's largest search page
MAX_SCROLL_RESTARTS = 3
SCROLL_WAIT = 75.0  # seconds to wait for another scroll of the workspace to close (Intercom: 1 minute unused)
SCROLL_POLL = 1.0

logger = logging.getLogger("intercom_async")

Commit = Callable[[], Awaitable[None]]

_scroll_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def scroll_lock_for(client: BaseClient) -> contextlib.AbstractAsyncContextManager[Any]:
    """The in-process lock guarding the workspace's single scroll (one per event loop and base URL)."""
    locks = _scroll_locks.setdefault(asyncio.get_running_loop(), {})
    lock = locks.get(client.base_url)
    if lock is None:
        lock = locks[client.base_url] = asyncio.Lock()
    return lock


def check_per_page(per_page: Any) -> None:
    if not isinstance(per_page, int) or isinstance(per_page, bool) or not 1 <= per_page <= PER_PAGE:
        raise InvalidRequestError(f"per_page must be an int from 1 to {PER_PAGE}, got {per_page!r}")


def item_id(item: Any) -> str | None:
    value = item.get("id") if isinstance(item, dict) else getattr(item, "id", None)
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def item_value(item: Any, name: str) -> int | None:
    value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def search_body(part: Partition, per_page: int, lo: int | None = None) -> dict[str, Any]:
    """The search request body of ``part`` (from ``lo`` when given), as both its planning probe and its walk
    send it: the probe's page is the walk's first page, so the two must not differ."""
    body: dict[str, Any] = {"query": part.query(lo), "pagination": {"per_page": per_page}}
    if part.sort:
        body["sort"] = {"field": part.field, "order": "ascending"}
    return body


def record(partition: Partition, position: Position) -> dict[str, Any]:
    return {"format": FORMAT, "partition": partition.to_json(), "position": position.to_json()}


def read_record(key: str, value: dict[str, Any], partition: Partition) -> Position:
    """The position stored under ``key`` for ``partition``; ``CheckpointError`` when it belongs elsewhere."""
    if value.get("format") != FORMAT:
        raise CheckpointError(f"unknown checkpoint format {value.get('format')!r} (expected {FORMAT})", key=key)
    try:
        stored = Partition.from_json(value.get("partition"))
        position = Position.from_json(value.get("position"))
    except CheckpointError as exc:
        raise CheckpointError(str(exc), key=key) from None
    mine, theirs = partition.to_json(), stored.to_json()
    mine.pop("estimate")
    theirs.pop("estimate")
    if mine != theirs:
        raise CheckpointError(f"it belongs to {stored.describe()}, not to {partition.describe()}", key=key)
    return position


class Walker:
    """One partition's walk (see the module docstring). ``pages()`` yields ``(items, commit)``: deliver the
    items, then await ``commit()`` to save the position after them. The last pair has no items: its commit
    marks the partition done (so a caller committing in order never marks done before the last page)."""

    def __init__(
        self,
        client: BaseClient,
        partition: Partition,
        store: CheckpointStore,
        *,
        namespace: str = "",
        per_page: int = PER_PAGE,
        enrich: bool = False,
        enrich_slots: asyncio.Semaphore | None = None,
        tracker: Tracker | None = None,
        scroll_lock: contextlib.AbstractAsyncContextManager[Any] | None = None,
        first_page: Any = None,
    ) -> None:
        if partition.version != client.VERSION:
            raise CheckpointError(
                f"the partition {partition.describe()} was planned for API version {partition.version!r}; "
                f"this client speaks {client.VERSION!r}"
            )
        if not isinstance(store, CheckpointStore):
            raise InvalidRequestError(
                f"store must be a checkpoint store (async load, save, delete, keys), not {type(store).__name__}"
            )
        check_per_page(per_page)
        check_enrich(partition.resource, enrich)
        self.client = client
        self.partition = partition
        self.store = store
        self.key = f"{namespace}{partition.key}"
        self.per_page = per_page
        self.enrich = enrich
        self.enrich_slots = enrich_slots or asyncio.Semaphore(8)
        self.tracker = tracker or Tracker(partition.resource)
        self.scroll_lock = scroll_lock
        self.first_page = first_page  # the planner's probe of this partition: its first page (export only)
        self.position = Position()

    def _chunk_key(self, n: int) -> str:
        return f"{self.key}#{n}"

    async def load(self) -> Position:
        stored = await self.store.load(self.key)
        position = Position() if stored is None else read_record(self.key, stored, self.partition)
        if position.chunks and not position.done:
            ids: list[str] = []
            for n in range(position.chunks):
                chunk = await self.store.load(self._chunk_key(n))
                got = chunk.get("ids") if chunk is not None else None
                if not isinstance(got, list) or not all(isinstance(i, str) for i in got):
                    raise CheckpointError(f"the id chunk {n} of {position.chunks} is missing or invalid", key=self.key)
                ids += got
            position.ids = ids
        self.position = position
        return position

    async def pages(self) -> AsyncIterator[tuple[list[Any], Commit]]:
        position = await self.load()
        if position.done:
            return
        part = self.partition
        try:
            if part.method == "scroll":
                lock = self.scroll_lock if self.scroll_lock is not None else scroll_lock_for(self.client)
                async with lock:
                    async for batch in self._walk(self._scroll_pages()):
                        yield batch
            else:
                async for batch in self._walk(self._search_pages()):
                    yield batch
        except IntercomError as exc:
            if isinstance(exc, CheckpointError):
                raise
            raise PartitionFailed(part, exc) from exc
        yield [], self._finish

    async def _finish(self) -> None:
        """Mark the partition done: called once its last page has been delivered and committed."""
        last = self.position
        final = Position(after=last.after, ids=[], done=True, delivered=last.delivered)
        await self.store.save(self.key, record(self.partition, final))
        self.position = final
        for n in range(last.chunks):
            await self.store.delete(self._chunk_key(n))

    def _body(self) -> dict[str, Any]:
        part, pos = self.partition, self.position
        lo = part.lo
        if part.sort and pos.after is not None:  # resume: from the position (its day, where dates are days)
            lo = max(pos.after, part.lo) if part.lo is not None else pos.after
        return search_body(part, self.per_page, lo)

    async def _search_pages(self) -> AsyncIterator[Any]:
        """The partition's pages; a fresh walk starts from the page its planning probe fetched, if any."""
        group = getattr(self.client, self.partition.resource)
        pager = group.search(request_body=self._body())
        first, self.first_page = self.first_page, None
        pos = self.position
        if first is not None and pos.after is None and not pos.ids and not pos.chunks and not pos.delivered:
            yield first
            if first.next_cursor is None:
                return
            pager = pager.resume(first.next_cursor)
        async with contextlib.aclosing(pager.pages()) as pages:
            async for page in pages:
                yield page

    async def _scroll_pages(self) -> AsyncIterator[Any]:
        """The scroll's pages; started again from the beginning (at most ``MAX_SCROLL_RESTARTS`` times) when it
        fails in the middle: a 5xx closes an Intercom scroll, and its ``scroll_param`` is then unknown (404).
        Opening waits while another scroll of the workspace is open (400 ``scroll_exists``, e.g. one left by
        a crashed process, which Intercom closes after a minute unused), up to ``SCROLL_WAIT`` seconds."""
        restarts = 0
        waited = 0.0
        while True:
            started = False
            try:
                async for page in self.client.companies.scroll().pages():  # type: ignore[attr-defined]
                    started = True
                    yield page
                return
            except BadRequestError as exc:
                if started or exc.code != "scroll_exists" or waited >= SCROLL_WAIT:
                    raise
                await asyncio.sleep(SCROLL_POLL)
                waited += SCROLL_POLL
            except (ServerError, NotFoundError):
                if not started or restarts >= MAX_SCROLL_RESTARTS:
                    raise
                restarts += 1
                logger.warning("the companies scroll failed mid-walk; restarting it (%d)", restarts)

    async def _walk(self, pages: AsyncIterator[Any]) -> AsyncIterator[tuple[list[Any], Commit]]:
        part = self.partition
        pos = self.position
        search = part.method == "search"
        sorted_walk = search and part.sort
        field = part.field
        probed = self.first_page
        after = pos.after
        seen = set(pos.ids)
        async with contextlib.aclosing(pages) as stream:  # type: ignore[type-var]
            async for page in stream:
                if page is not probed:  # the probe was counted when the planner sent it
                    self.tracker.request(page.response.headers)
                fresh = []
                for item in page.items:
                    ident = item_id(item)
                    value = item_value(item, field) if search else None
                    if search and not part.owns(value):
                        continue  # another partition's record
                    if sorted_walk and after is not None and value is not None and value < after:
                        continue  # delivered before the restart
                    if ident is not None and ident in seen:
                        continue
                    fresh.append(item)
                    if sorted_walk and value is not None:
                        if after is None or value > after:
                            after, seen = value, set()
                    if ident is not None:
                        seen.add(ident)
                if not fresh:
                    continue
                if self.enrich:
                    fresh = await self._enrich(fresh)
                delivered = pos.delivered + len(fresh)
                if sorted_walk:  # the ids sharing the last value: a handful, kept in the position itself
                    new = Position(after=after, ids=sorted(seen), delivered=delivered, chunks=pos.chunks)
                    chunk = None
                else:  # every id so far: this page's go into one more chunk
                    new = Position(delivered=delivered, chunks=pos.chunks + 1)
                    chunk = [i for i in (item_id(item) for item in fresh) if i is not None]
                pos = new
                yield fresh, self._committer(new, len(fresh), chunk)

    def _committer(self, position: Position, count: int, chunk: list[str] | None) -> Commit:
        async def commit() -> None:
            if chunk is not None:  # the chunk first: a crash in between leaves an unreferenced chunk, no gap
                await self.store.save(self._chunk_key(position.chunks - 1), {"ids": chunk})
            await self.store.save(self.key, record(self.partition, position))
            self.position = position
            self.tracker.delivered(count)

        return commit

    async def _enrich(self, items: list[Any]) -> list[Any]:
        """Each item fetched in full (``GET /conversations/{id}``, ``GET /tickets/{id}``), at most
        ``enrich_slots`` at once, in order; one deleted meanwhile (404) is dropped (the deletion feed has it)."""
        raw = getattr(self.client, self.partition.resource).with_raw_response
        fetch = raw.find if self.partition.resource == "conversations" else raw.get

        async def one(item: Any) -> Any:
            ident = item_id(item)
            if ident is None:
                return item
            arg: Any = int(ident) if self.partition.resource == "conversations" and ident.isdigit() else ident
            async with self.enrich_slots:
                try:
                    response = await fetch(arg)
                except NotFoundError:
                    return None
            self.tracker.request(response.headers)
            return response.parsed

        full = await asyncio.gather(*(one(item) for item in items))
        return [item for item in full if item is not None]


async def run_partition(
    client: BaseClient,
    partition: Partition | dict[str, Any],
    store: CheckpointStore | None = None,
    *,
    namespace: str = "",
    enrich: bool = False,
    enrich_concurrency: int = 32,
    per_page: int = PER_PAGE,
    tracker: Tracker | None = None,
    scroll_lock: contextlib.AbstractAsyncContextManager[Any] | None = None,
) -> AsyncIterator[Any]:
    """Every record of ``partition`` not yet delivered according to ``store``, as the version's models.

    ``partition`` may be a ``Partition`` or its ``to_json()`` dict (from a task queue). The position is saved
    under ``namespace + partition.key`` after each page is delivered (see the module docstring), and the
    partition marked done at the end; running a done partition yields nothing. An Intercom error after the
    client's retries raises ``PartitionFailed`` (the checkpoint keeps the last delivered page)."""
    part = partition if isinstance(partition, Partition) else Partition.from_json(partition)
    walker = Walker(
        client,
        part,
        store if store is not None else MemoryCheckpointStore(),
        namespace=namespace,
        per_page=per_page,
        enrich=enrich,
        enrich_slots=asyncio.Semaphore(enrich_concurrency),
        tracker=tracker,
        scroll_lock=scroll_lock,
    )
    async with contextlib.aclosing(walker.pages()) as batches:  # type: ignore[type-var]
        async for items, commit in batches:
            for item in items:
                yield item
            await commit()
