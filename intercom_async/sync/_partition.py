"""Partitions and positions: plain, JSON-serialisable values (a plan can travel through any task queue).

A ``Partition`` is a half-open range ``[lo, hi)`` of Unix seconds on one field (``created_at`` for exports,
``updated_at`` for syncs) of one resource on one API version, with what the walk needs to know to query it:
the granularity of the version's date filters (``"day"`` in the workspace's time zone for stable contact
search, ``"second"`` elsewhere), whether the search can be sorted, and the method (``"search"`` or the single
``"scroll"`` for companies without search). Every record belongs to exactly one partition of a plan: the one
whose range holds its field's value (a partition drops what the server returns outside its range), which is
how an export delivers each record once across partition boundaries without remembering ids.

A ``Position`` is how far a partition has been delivered, as a query rather than a server cursor:

* sorted walks (ascending on the field): every record with ``field < after`` was delivered, and so were
  ``ids`` (the records whose value equals ``after``). A restart queries from ``after`` (from the start of
  ``after``'s day where dates are day-granular) and skips what the position covers;
* unsorted walks and the scroll: the ids delivered so far, stored page by page in ``chunks`` records beside
  the position (so a save writes one page's ids, not all of them). A restart walks the partition again and skips
  them (the planner splits unsorted partitions until each fits one page, so ``ids`` stays empty or small
  unless one day or one second holds more than a page).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._errors import CheckpointError
from ._rules import RESOURCES

__all__ = ["Partition", "Position", "day_start", "next_day_start"]

FORMAT = 1


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def day_start(ts: int, tz: str) -> int:
    """The Unix time of the start (local midnight) of the day holding ``ts`` in time zone ``tz``."""
    zone = _zone(tz)
    local = dt.datetime.fromtimestamp(ts, zone)
    midnight = dt.datetime(local.year, local.month, local.day, tzinfo=zone)
    return int(midnight.timestamp())


def next_day_start(ts: int, tz: str) -> int:
    """The start of the day after the one holding ``ts`` (DST-safe: 36 hours on, back to midnight)."""
    return day_start(day_start(ts, tz) + 36 * 3600, tz)


@dataclass(frozen=True)
class Partition:
    """One independently walkable slice of a resource; see the module docstring. ``lo``/``hi`` are Unix
    seconds (``None``: open); ``estimate`` is the planner's ``total_count``."""

    resource: str
    version: str
    method: str = "search"  # "search" | "scroll"
    field: str = "created_at"
    lo: int | None = None
    hi: int | None = None
    granularity: str = "second"  # "second" | "day"
    timezone: str = "UTC"
    sort: bool = False
    estimate: int | None = None

    @property
    def key(self) -> str:
        """A stable name for this partition's checkpoint."""
        if self.method == "scroll":
            return f"{self.resource}:{self.version}:scroll"
        return f"{self.resource}:{self.version}:{self.field}:{_b(self.lo)}-{_b(self.hi)}"

    def describe(self) -> str:
        if self.method == "scroll":
            return f"{self.resource} ({self.version}) scroll"
        return f"{self.resource} ({self.version}) {self.field} in [{_t(self.lo)}, {_t(self.hi)})"

    def owns(self, value: Any) -> bool:
        """True when a record whose field is ``value`` belongs to this partition."""
        if not isinstance(value, int) or isinstance(value, bool):
            return self.lo is None  # no value: the first partition takes it, so it is delivered once
        return (self.lo is None or value >= self.lo) and (self.hi is None or value < self.hi)

    def splittable(self) -> bool:
        if self.method != "search" or self.lo is None or self.hi is None:
            return False
        if self.granularity == "day":
            return next_day_start(self.lo, self.timezone) < self.hi
        return self.hi - self.lo > 1

    def split(self, parts: int) -> list[Partition]:
        """``parts`` (at most) contiguous partitions covering this one, day-aligned where dates are days."""
        assert self.lo is not None and self.hi is not None
        step = (self.hi - self.lo) / max(2, parts)
        cuts = [self.lo]
        for i in range(1, max(2, parts)):
            cut = int(self.lo + step * i)
            if self.granularity == "day":
                cut = day_start(cut, self.timezone)
            if cut > cuts[-1] and cut < self.hi:
                cuts.append(cut)
        if len(cuts) == 1 and self.splittable():  # e.g. a day-granular range across one midnight
            cuts.append(next_day_start(self.lo, self.timezone) if self.granularity == "day" else self.lo + 1)
        cuts.append(self.hi)
        return [_replace(self, lo=a, hi=b, estimate=None) for a, b in zip(cuts, cuts[1:], strict=False)]

    def query(self, lo: int | None = None) -> dict[str, Any]:
        """The search query of this partition (from ``lo`` instead of ``self.lo`` when given).

        By the second: ``field > start - 1 AND field < hi``. By day (stable contact search): ``> T`` matches
        from the start of the day after T's day and ``< T`` ends before T's day, so the query asks for
        ``> (start of start's day) - 1`` and ``< start of the day after hi - 1``: whole days covering the range,
        never fewer; the walk drops what lies outside ``[lo, hi)`` (``owns``)."""
        start = self.lo if lo is None else lo
        end = self.hi
        if self.granularity == "day":
            start = None if start is None else day_start(start, self.timezone)
            end = None if end is None else next_day_start(end - 1, self.timezone)
        rules: list[dict[str, Any]] = []
        if start is not None and start > 0:
            rules.append({"field": self.field, "operator": ">", "value": start - 1})
        if end is not None:
            rules.append({"field": self.field, "operator": "<", "value": end})
        if not rules:  # an open range: every record has a time after the epoch
            rules.append({"field": self.field, "operator": ">", "value": 0})
        return rules[0] if len(rules) == 1 else {"operator": "AND", "value": rules}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Partition:
        """A partition from ``to_json``'s output; ``CheckpointError`` naming the problem otherwise."""
        if not isinstance(data, dict):
            raise CheckpointError(f"a partition must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise CheckpointError(f"a partition has unknown fields {sorted(unknown)}")
        try:
            part = cls(**data)
        except TypeError as exc:
            raise CheckpointError(f"a partition is missing fields: {exc}") from None
        problems = []
        if part.resource not in RESOURCES:
            problems.append(f"resource {part.resource!r}")
        if part.method not in ("search", "scroll"):
            problems.append(f"method {part.method!r}")
        if part.granularity not in ("second", "day"):
            problems.append(f"granularity {part.granularity!r}")
        if part.field not in ("created_at", "updated_at"):
            problems.append(f"field {part.field!r}")
        for name in ("lo", "hi", "estimate"):
            value = getattr(part, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                problems.append(f"{name} {value!r}")
        if not isinstance(part.version, str) or not isinstance(part.timezone, str) or not isinstance(part.sort, bool):
            problems.append("version/timezone/sort types")
        if problems:
            raise CheckpointError(f"a partition has invalid {', '.join(problems)}")
        return part


@dataclass
class Position:
    """How far a partition was delivered; see the module docstring."""

    after: int | None = None
    ids: list[str] = field(default_factory=list)
    done: bool = False
    delivered: int = 0
    chunks: int = 0  # id-set walks: the ids are stored page by page in this many chunk records

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Position:
        if not isinstance(data, dict) or set(data) - {"after", "ids", "done", "delivered", "chunks"}:
            raise CheckpointError("a position must be an object with after, ids, done, delivered, chunks")
        after, ids, done, delivered, chunks = (
            data.get("after"),
            data.get("ids", []),
            data.get("done", False),
            data.get("delivered", 0),
            data.get("chunks", 0),
        )
        if (
            (after is not None and (not isinstance(after, int) or isinstance(after, bool)))
            or not isinstance(ids, list)
            or not all(isinstance(i, str) for i in ids)
            or not isinstance(done, bool)
            or not isinstance(delivered, int)
            or not isinstance(chunks, int)
            or isinstance(chunks, bool)
            or chunks < 0
        ):
            raise CheckpointError(f"a position has invalid values: {data!r:.200}")
        return cls(after=after, ids=list(ids), done=done, delivered=delivered, chunks=chunks)


def _replace(part: Partition, **changes: Any) -> Partition:
    return Partition(**{**asdict(part), **changes})


def _b(value: int | None) -> str:
    return "*" if value is None else str(value)


def _t(value: int | None) -> str:
    if value is None:
        return "open"
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
