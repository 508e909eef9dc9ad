"""``Workspace``: the data of a simulated Intercom workspace, for ``FakeIntercom(workspace=...)``.

It holds contacts, conversations (with parts), tickets (with parts) and companies with ``created_at`` /
``updated_at``, a clock (real time, or manual once a test calls ``set_time`` / ``advance``), the workspace's
time zone, and a *search index* that lags the data by ``index_delay`` seconds, as Intercom's search does:

* ``add(kind, n, ...)``: bulk records, deterministic ids (id order is creation order), indexed at once (the
  data a workspace already has when a test starts);
* ``create`` / ``update``: live writes; search sees them ``index_delay`` clock seconds later (until then it
  serves the previous indexed version, or nothing for a new record); lists and ``GET`` by id see them at once;
* ``merge`` (contacts) and ``delete``: the record leaves lists and search at once; a deleted conversation is
  listed by ``deleted_conversations``; contact events feed ``activities`` (Preview's ``/contacts/activities``).

The index keeps two lists per kind sorted by ``(created_at, id)`` and ``(updated_at, id)``, so a range query
and a cursor are ``bisect`` steps, not scans: a 100,000-record export is served page by page in
microseconds. Records are small slot objects (fields beyond the defaults only when set); bodies in the
version's shapes are rendered by ``_served`` when answered. Nothing here does I/O.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .._errors import InvalidRequestError

__all__ = ["KINDS", "Rec", "Workspace"]

KINDS = ("contacts", "conversations", "tickets", "companies")
_ID_BASE = {"contacts": 0x6A00000000000000, "companies": 0x6C00000000000000}
_NUMERIC_BASE = {"conversations": 10**11, "tickets": 2 * 10**11}
_RESERVED = frozenset({"id", "created_at", "updated_at", "type"})


class Rec:
    """One version of a record: immutable once made (an update makes a new one). ``fields`` holds what the
    test set (``None``: the defaults derived from ``n``, the creation number)."""

    __slots__ = ("created_at", "fields", "id", "kind", "n", "parts", "updated_at")

    def __init__(
        self,
        kind: str,
        n: int,
        rid: str,
        created_at: int,
        updated_at: int,
        fields: dict[str, Any] | None,
        parts: int,
    ) -> None:
        self.kind = kind
        self.n = n
        self.id = rid
        self.created_at = created_at
        self.updated_at = updated_at
        self.fields = fields
        self.parts = parts

    def value(self, path: str) -> Any:
        """The value of a (dotted) field for search: ``id``, the timestamps, a set field or a default."""
        if path == "id":
            return self.id
        if path == "created_at":
            return self.created_at
        if path == "updated_at":
            return self.updated_at
        head, _, rest = path.partition(".")
        if self.fields is not None and head in self.fields:
            node: Any = self.fields[head]
        else:
            node = _defaults(self.kind, self.n).get(head)
        if not rest:
            return node
        for part in rest.split("."):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def data(self) -> dict[str, Any]:
        """The record's own fields (defaults, then what the test set), without id and timestamps."""
        out = _defaults(self.kind, self.n)
        if self.fields:
            out.update(self.fields)
        return out

    def with_changes(self, updated_at: int, fields: dict[str, Any], parts: int | None) -> Rec:
        merged = dict(self.fields or {})
        merged.update(fields)
        return Rec(
            self.kind,
            self.n,
            self.id,
            self.created_at,
            updated_at,
            merged,
            self.parts if parts is None else parts,
        )

    def __repr__(self) -> str:
        return f"<Rec {self.kind} {self.id} created {self.created_at} updated {self.updated_at}>"


def _defaults(kind: str, n: int) -> dict[str, Any]:
    if kind == "contacts":
        return {"email": f"contact{n}@example.com", "name": f"Contact {n}", "role": "user", "external_id": f"ext-{n}"}
    if kind == "conversations":
        return {"state": "open", "open": True, "title": f"Conversation {n}"}
    if kind == "tickets":
        return {"open": True, "ticket_id": str(n + 1)}
    return {"name": f"Company {n}", "company_id": f"company-{n}"}


def created_key(rec: Rec) -> tuple[int, str]:
    return (rec.created_at, rec.id)


def updated_key(rec: Rec) -> tuple[int, str]:
    return (rec.updated_at, rec.id)


SORT_KEYS: dict[str, Callable[[Rec], tuple[int, str]]] = {"created_at": created_key, "updated_at": updated_key}


class _Table:
    """One kind: the current records (``live``, id order) and the search index (sorted lists, lagging)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.live: dict[str, Rec] = {}
        self.ids: list[str] = []  # live ids, sorted (ids are fixed-width, so string order is creation order)
        self.indexed: dict[str, Rec] = {}
        self.by: dict[str, list[Rec]] = {field: [] for field in SORT_KEYS}
        self.pending: deque[tuple[float, str, Rec]] = deque()  # (visible at, id, version) in write order
        self.counter = 0

    def index_put(self, rec: Rec) -> None:
        self.index_drop(rec.id)
        self.indexed[rec.id] = rec
        for field, key in SORT_KEYS.items():
            bisect.insort(self.by[field], rec, key=key)

    def index_drop(self, rid: str) -> None:
        old = self.indexed.pop(rid, None)
        if old is None:
            return
        for field, key in SORT_KEYS.items():
            items = self.by[field]
            at = bisect.bisect_left(items, key(old), key=key)
            if at < len(items) and items[at] is old:
                del items[at]

    def flush(self, now: float) -> None:
        """Index the writes whose delay has passed (a write superseded or deleted since is skipped)."""
        while self.pending and self.pending[0][0] <= now:
            _at, rid, rec = self.pending.popleft()
            if rid in self.live:  # deleted or merged since: it left the index already
                self.index_put(rec)


class Workspace:
    """A simulated Intercom workspace (see the module docstring).

    Args:
        timezone: the workspace's IANA time zone: ``GET /me``'s ``app.timezone`` and the day boundaries of
            stable versions' contact search (default ``"UTC"``).
        index_delay: seconds (workspace clock) between a ``create``/``update`` and search seeing it.
        seed: seeds the spread of ``updated_at`` in ``add(..., updated_to=...)`` (ids, defaults and
            ``created_at`` are deterministic without it).
        now: start a manual clock at this unix time (default: real time until ``set_time``/``advance``).
    """

    def __init__(
        self, *, timezone: str = "UTC", index_delay: float = 0.0, seed: int = 0, now: float | None = None
    ) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidRequestError(f"unknown time zone {timezone!r} (an IANA name such as 'Europe/Paris')") from None
        if not index_delay >= 0:
            raise InvalidRequestError(f"index_delay must be >= 0 seconds, got {index_delay!r}")
        self.timezone = timezone
        self.index_delay = float(index_delay)
        self.seed = seed
        self._manual: float | None = None if now is None else float(now)
        self._tables = {kind: _Table(kind) for kind in KINDS}
        self.deleted_conversations: list[tuple[str, int]] = []  # (id, deleted_at), in deletion order
        self.activities: list[dict[str, Any]] = []  # contact events, oldest first
        self._activity_seq = itertools.count(1)
        self.scroll: dict[str, Any] | None = None  # the workspace's one open companies scroll (see _served)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{len(t.live)} {k}" for k, t in self._tables.items())
        return f"<Workspace {self.timezone} {sizes}, index_delay {self.index_delay:g}s>"

    # ------------------------------------------------------------------------------------------ clock

    def now(self) -> float:
        """The workspace clock: ``time.time()``, or the manual time once ``set_time``/``advance`` was called."""
        return time.time() if self._manual is None else self._manual

    def set_time(self, t: float) -> None:
        """Switch to (or move) the manual clock: ``now()`` is ``t`` until changed again."""
        self._manual = float(t)

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (freezing it first if it was real time); returns the new time."""
        if seconds < 0:
            raise InvalidRequestError("advance() takes seconds >= 0 (the clock does not go back)")
        self._manual = self.now() + float(seconds)
        return self._manual

    # ------------------------------------------------------------------------------------------ writes

    def _table(self, kind: str) -> _Table:
        table = self._tables.get(kind)
        if table is None:
            raise InvalidRequestError(f"unknown record kind {kind!r}; a workspace holds {list(KINDS)}")
        return table

    @staticmethod
    def _new_id(kind: str, n: int) -> str:
        if kind in _ID_BASE:
            return f"{_ID_BASE[kind] + n:024x}"
        return str(_NUMERIC_BASE[kind] + n)

    @staticmethod
    def _fields(fields: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(_RESERVED & set(fields))
        if bad:
            raise InvalidRequestError(f"{bad} are set by the workspace (id, created_at/updated_at from its clock)")
        return fields

    def add(
        self,
        kind: str,
        count: int,
        *,
        created_from: float,
        created_to: float,
        updated_to: float | None = None,
        parts: int = 2,
        **fields: Any,
    ) -> None:
        """Add ``count`` existing records of ``kind``, ``created_at`` spread evenly over
        ``[created_from, created_to)`` (whole seconds), already indexed. ``updated_at`` is ``created_at``, or
        spread over ``[created_at, updated_to]`` when given. ``fields`` are set on every record; ``parts`` is
        the number of parts of each conversation or ticket."""
        table = self._table(kind)
        if not isinstance(count, int) or count < 0:
            raise InvalidRequestError(f"count must be an int >= 0, got {count!r}")
        if not created_to > created_from:
            raise InvalidRequestError("created_to must be after created_from")
        extra = dict(self._fields(fields)) or None
        span = created_to - created_from
        spread = random.Random(f"{self.seed}:{kind}:{table.counter}")
        recs = []
        for i in range(count):
            n = table.counter + i
            created = int(created_from + span * i / count)
            updated = created
            if updated_to is not None and updated_to > created:
                updated = created + int((updated_to - created) * spread.random())
            recs.append(Rec(kind, n, self._new_id(kind, n), created, updated, extra, parts))
        table.counter += count
        for rec in recs:
            table.live[rec.id] = rec
            table.indexed[rec.id] = rec
        table.ids.extend(rec.id for rec in recs)
        for field, key in SORT_KEYS.items():
            table.by[field].extend(recs)
            table.by[field].sort(key=key)

    def _write(self, table: _Table, rec: Rec) -> None:
        table.live[rec.id] = rec
        if self.index_delay <= 0:
            table.index_put(rec)
        else:
            table.pending.append((self.now() + self.index_delay, rec.id, rec))

    def create(self, kind: str, *, parts: int = 2, **fields: Any) -> dict[str, Any]:
        """Create a record now (``created_at = updated_at = int(now())``); searchable ``index_delay`` later.
        Returns its id, timestamps and fields."""
        table = self._table(kind)
        n = table.counter
        table.counter += 1
        stamp = int(self.now())
        rec = Rec(kind, n, self._new_id(kind, n), stamp, stamp, dict(self._fields(fields)), parts)
        table.ids.append(rec.id)  # the largest id so far
        self._write(table, rec)
        if kind == "contacts":
            self._activity("contact.created", rec, stamp)
        return self.describe(rec)

    def update(self, kind: str, rid: str, *, parts: int | None = None, **fields: Any) -> dict[str, Any]:
        """Change ``fields`` of a live record (``updated_at = int(now())``; ``parts`` sets the number of parts of
        a conversation or ticket); searchable ``index_delay`` later."""
        table = self._table(kind)
        current = table.live.get(rid)
        if current is None:
            raise InvalidRequestError(f"no live {kind[:-1]} {rid!r} in this workspace")
        rec = current.with_changes(int(self.now()), self._fields(fields), parts)
        self._write(table, rec)
        return self.describe(rec)

    def _remove(self, table: _Table, rid: str) -> Rec:
        rec = table.live.pop(rid)
        at = bisect.bisect_left(table.ids, rid)
        if at < len(table.ids) and table.ids[at] == rid:
            del table.ids[at]
        table.index_drop(rid)
        return rec

    def merge(self, from_id: str, into_id: str) -> dict[str, Any]:
        """Merge contact ``from_id`` into ``into_id``: ``from_id`` leaves lists and search at once (it appears in
        no ``updated_at`` query any more); ``into_id`` is updated now. Returns the merged-into contact."""
        table = self._table("contacts")
        if from_id == into_id or from_id not in table.live or into_id not in table.live:
            raise InvalidRequestError(f"merge needs two different live contacts, got {from_id!r} -> {into_id!r}")
        self._remove(table, from_id)
        merged = self.update("contacts", into_id)
        target = table.live[into_id]
        self._activity("contact.merged", target, target.updated_at, merge_source_id=from_id, merge_target_id=into_id)
        return merged

    def delete(self, kind: str, rid: str) -> None:
        """Delete a live record: gone from lists and search at once; a conversation is listed by
        ``GET /conversations/deleted``, a contact feeds a ``contact.deleted`` activity."""
        table = self._table(kind)
        if rid not in table.live:
            raise InvalidRequestError(f"no live {kind[:-1]} {rid!r} in this workspace")
        rec = self._remove(table, rid)
        stamp = int(self.now())
        if kind == "conversations":
            self.deleted_conversations.append((rid, stamp))
        elif kind == "contacts":
            self._activity("contact.deleted", rec, stamp)

    def _activity(self, event: str, rec: Rec, stamp: int, **extra: Any) -> None:
        seq = next(self._activity_seq)
        data = rec.data()
        self.activities.append(
            {
                "type": "contact_activity",
                "id": f"{stamp * 1000:013d}.{seq:06x}",
                "event_type": event,
                "contact_id": rec.id,
                "external_id": data.get("external_id"),
                "role": data.get("role"),
                "created_at": stamp,
                **extra,
            }
        )

    # ------------------------------------------------------------------------------------------ reads

    @staticmethod
    def describe(rec: Rec) -> dict[str, Any]:
        return {"id": rec.id, "created_at": rec.created_at, "updated_at": rec.updated_at, **rec.data()}

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Ground truth for tests: every live record of ``kind`` (current values, not the index), id order."""
        table = self._table(kind)
        return [self.describe(table.live[rid]) for rid in table.ids]

    def ids(self, kind: str) -> list[str]:
        """The ids of the live records of ``kind``, in id (creation) order."""
        return list(self._table(kind).ids)

    def get(self, kind: str, rid: str) -> dict[str, Any] | None:
        rec = self._table(kind).live.get(rid)
        return None if rec is None else self.describe(rec)

    def count(self, kind: str) -> int:
        return len(self._table(kind).live)

    # ------------------------------------------------------------------------------------------ for the server

    def live(self, kind: str, rid: str) -> Rec | None:
        return self._table(kind).live.get(rid)

    def table(self, kind: str) -> _Table:
        """The table of ``kind`` with its index brought up to the clock (for the fake's search)."""
        table = self._table(kind)
        table.flush(self.now())
        return table

    def iter_live(self, kind: str, after: str | None) -> Iterator[Rec]:
        """Live records in id order, from just after id ``after``."""
        table = self._table(kind)
        at = 0 if after is None else bisect.bisect_right(table.ids, after)
        while at < len(table.ids):
            yield table.live[table.ids[at]]
            at += 1
