"""Bulk work for async workers: full exports at the rate limit and incremental syncs, crash-safe.

::

    from intercom_async.sync import export, sync, FileCheckpointStore

    store = FileCheckpointStore("checkpoints/")
    async for contact in export(client, "contacts", store=store, name="nightly"):
        ...                                   # every contact once; a restart with the same store resumes
    s = sync(client, "contacts", store=store, name="contacts")
    async for event in s:                     # models changed since the stored checkpoint, Deleted, Merged
        ...

The pieces, for other schedulers (task queues): ``plan(client, resource)`` returns JSON-serialisable
``Partition`` values; ``run_partition(client, partition, store)`` walks one of them, resumable.

Modules, each importing only the ones listed before it (and the core): ``_errors`` (exceptions), ``_rules``
(what Intercom's rules are per version and resource), ``_partition`` (partitions, positions, date math),
``_store`` (checkpoint stores), ``_progress`` (progress snapshots), ``_walk`` (one partition, the delivered
boundary), ``_export`` (planning, concurrent export), ``_sync`` (incremental sync, deletion/merge feeds),
``_locks`` (the scroll lock across processes, Redis). See ``docs/recipes/exports-and-syncs.md``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, TypeVar, overload

from ._errors import CheckpointError, ExportIncomplete, PartitionFailed, SyncError, UnknownResourceError
from ._export import DEFAULT_CONCURRENCY, Export, plan, workspace_timezone
from ._locks import redis_scroll_lock
from ._partition import Partition, Position
from ._progress import Progress, ProgressCallback
from ._rules import RESOURCES, Rules, rules_for
from ._store import CheckpointStore, FileCheckpointStore, MemoryCheckpointStore, RedisCheckpointStore
from ._sync import DEFAULT_LAG, Deleted, Merged, Sync, SyncCheckpoint
from ._walk import run_partition

if sys.version_info >= (3, 11):
    from typing import Unpack
else:  # pragma: no cover
    from typing_extensions import Unpack

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable

    from .._client import BaseClient
    from .._pagination import AsyncPager

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_LAG",
    "RESOURCES",
    "CheckpointError",
    "CheckpointStore",
    "Deleted",
    "Export",
    "ExportIncomplete",
    "FileCheckpointStore",
    "MemoryCheckpointStore",
    "Merged",
    "Partition",
    "PartitionFailed",
    "Position",
    "Progress",
    "ProgressCallback",
    "RedisCheckpointStore",
    "Rules",
    "Sync",
    "SyncCheckpoint",
    "SyncError",
    "UnknownResourceError",
    "export",
    "plan",
    "redis_scroll_lock",
    "rules_for",
    "run_partition",
    "sync",
    "workspace_timezone",
]

T = TypeVar("T")


class _Searchable(Protocol[T]):
    def search(self, *, request_body: Any = ...) -> AsyncPager[Any, T]: ...


class _Scrollable(Protocol[T]):
    def scroll(self) -> AsyncPager[Any, T]: ...


class _HasContacts(Protocol[T]):
    @property
    def contacts(self) -> _Searchable[T]: ...


class _HasConversations(Protocol[T]):
    @property
    def conversations(self) -> _Searchable[T]: ...


class _HasTickets(Protocol[T]):
    @property
    def tickets(self) -> _Searchable[T]: ...


class _HasCompanies(Protocol[T]):
    @property
    def companies(self) -> _Scrollable[T]: ...


class ExportOptions(TypedDict, total=False):
    """The keyword arguments of ``export`` (see ``Export``)."""

    store: CheckpointStore | None
    name: str | None
    concurrency: int
    enrich: bool
    enrich_concurrency: int
    created_after: int | None
    created_before: int | None
    on_progress: ProgressCallback | None
    progress_interval: float
    raise_on_failure: bool
    per_page: int
    partition_size: int | None
    scroll_lock: contextlib.AbstractAsyncContextManager[Any] | None
    clock: Callable[[], float]


class SyncOptions(TypedDict, total=False):
    """The keyword arguments of ``sync`` (see ``Sync``)."""

    lag: int
    store: CheckpointStore | None
    name: str | None
    enrich: bool
    enrich_concurrency: int
    feeds: bool
    on_progress: ProgressCallback | None
    per_page: int
    clock: Callable[[], float]
    concurrency: int


@overload
def export(client: _HasContacts[T], resource: Literal["contacts"], **options: Unpack[ExportOptions]) -> Export[T]: ...
@overload
def export(
    client: _HasConversations[T], resource: Literal["conversations"], **options: Unpack[ExportOptions]
) -> Export[T]: ...
@overload
def export(client: _HasTickets[T], resource: Literal["tickets"], **options: Unpack[ExportOptions]) -> Export[T]: ...
@overload
def export(client: _HasCompanies[T], resource: Literal["companies"], **options: Unpack[ExportOptions]) -> Export[T]: ...
@overload
def export(client: BaseClient, resource: str, **options: Unpack[ExportOptions]) -> Export[Any]: ...
def export(client: Any, resource: str, **options: Unpack[ExportOptions]) -> Export[Any]:
    """Every record of ``resource`` ("contacts", "conversations", "tickets", "companies"), walked
    concurrently: ``async for item in export(client, "contacts"): ...``. Yields the client's version's models.
    See ``Export`` for the options and ``intercom_async.sync._export`` for how partitions are planned."""
    return Export(client, resource, **options)


@overload
def sync(
    client: _HasContacts[T],
    resource: Literal["contacts"],
    checkpoint: SyncCheckpoint | dict[str, Any] | None = None,
    **options: Unpack[SyncOptions],
) -> Sync[T]: ...
@overload
def sync(
    client: _HasConversations[T],
    resource: Literal["conversations"],
    checkpoint: SyncCheckpoint | dict[str, Any] | None = None,
    **options: Unpack[SyncOptions],
) -> Sync[T]: ...
@overload
def sync(
    client: _HasTickets[T],
    resource: Literal["tickets"],
    checkpoint: SyncCheckpoint | dict[str, Any] | None = None,
    **options: Unpack[SyncOptions],
) -> Sync[T]: ...
@overload
def sync(
    client: _HasCompanies[T],
    resource: Literal["companies"],
    checkpoint: SyncCheckpoint | dict[str, Any] | None = None,
    **options: Unpack[SyncOptions],
) -> Sync[T]: ...
@overload
def sync(
    client: BaseClient,
    resource: str,
    checkpoint: SyncCheckpoint | dict[str, Any] | None = None,
    **options: Unpack[SyncOptions],
) -> Sync[Any]: ...
def sync(
    client: Any,
    resource: str,
    checkpoint: SyncCheckpoint | dict[str, Any] | None = None,
    **options: Unpack[SyncOptions],
) -> Sync[Any]:
    """Everything of ``resource`` created or updated since ``checkpoint`` (``None``: the one stored under
    ``name`` in ``store``, else everything), plus ``Deleted``/``Merged`` events where the version has a feed;
    ``s.next_checkpoint`` once iterated. See ``intercom_async.sync._sync``."""
    return Sync(client, resource, checkpoint, **options)
