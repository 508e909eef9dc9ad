"""The search query language of Intercom's ``POST /<kind>/search``, as the fake workspace understands it.

``compile_query(query, dates=...)`` checks a query (single filters ``{"field", "operator", "value"}`` and
``{"operator": "AND"|"OR", "value": [...]}`` groups, at most 2 levels of groups and 15 filters per group) and
returns a ``Compiled`` query: a predicate over ``Rec`` and the half-open ``[lo, hi)`` ranges the top-level AND
puts on ``created_at`` / ``updated_at`` (the fake serves those from its sorted index with ``bisect``).

How date fields (``*_at``, ``waiting_since``, ``snoozed_until``) are matched depends on the endpoint, which
the caller says with a ``DateRules``:

* ``DateRules.days(tz)``: contact search on the stable versions: by calendar day in the workspace's time zone
  (``=`` the whole day, ``>`` from the start of the next day, ``<`` before the start of the day); ``>=``,
  ``<=``, ``!=``, ``IN``, ``NIN`` are errors;
* ``DateRules.seconds(...)``: the exact second (UTC): ``>``/``<`` strict, ``>=``/``<=`` accepted; ``IN``/``NIN``
  on dates allowed or not per endpoint. (The conversation and ticket search docs call ``>`` "Greater (or equal)
  than"; the fake keeps it strict, as Preview's contact docs define it: a client that bounds a range with
  ``>``/``<`` and dedupes by id is right either way.)

A query the API would refuse raises ``QueryError`` (status 400, an Intercom error code, a message naming the
field or operator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from ._workspace import Rec

__all__ = ["Compiled", "DateRules", "QueryError", "compile_query", "is_date_field"]

OPERATORS = frozenset({"=", "!=", "IN", "NIN", ">", "<", ">=", "<=", "~", "!~", "^", "$"})
MAX_DEPTH = 2  # levels of AND/OR groups
MAX_FILTERS = 15  # filters per group
INDEXED = ("created_at", "updated_at")
Predicate = Callable[[Rec], bool]
Range = tuple[int | None, int | None]  # [lo, hi): None is unbounded


class QueryError(Exception):
    """A query the API refuses: ``status``, ``code`` and ``message`` for Intercom's error body."""

    def __init__(self, message: str, code: str = "parameter_invalid", status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class DateRules:
    """How an endpoint matches date fields: by ``tz`` calendar day (``tz`` set), or by the second."""

    __slots__ = ("in_on_dates", "tz")

    def __init__(self, tz: ZoneInfo | None, in_on_dates: bool) -> None:
        self.tz = tz
        self.in_on_dates = in_on_dates

    @classmethod
    def days(cls, tz: ZoneInfo) -> DateRules:
        return cls(tz, False)

    @classmethod
    def seconds(cls, *, in_on_dates: bool) -> DateRules:
        return cls(None, in_on_dates)

    def day_bounds(self, value: int) -> tuple[int, int]:
        """The unix times of the start of ``value``'s day and of the next day, in the time zone."""
        assert self.tz is not None
        local = dt.datetime.fromtimestamp(value, self.tz).date()
        start = dt.datetime(local.year, local.month, local.day, tzinfo=self.tz)
        following = local + dt.timedelta(days=1)
        end = dt.datetime(following.year, following.month, following.day, tzinfo=self.tz)
        return int(start.timestamp()), int(end.timestamp())


class Compiled:
    """A checked query: ``matches(rec)``; ``ranges`` on the indexed fields; ``exact`` when the ranges say it all."""

    __slots__ = ("exact", "matches", "ranges")

    def __init__(self, matches: Predicate, ranges: dict[str, Range], exact: bool) -> None:
        self.matches = matches
        self.ranges = ranges
        self.exact = exact


def is_date_field(field: str) -> bool:
    leaf = field.rsplit(".", 1)[-1]
    return leaf.endswith("_at") or leaf in ("waiting_since", "snoozed_until")


def compile_query(query: Any, dates: DateRules) -> Compiled:
    """Check ``query`` and compile it (raises ``QueryError``)."""
    if not isinstance(query, dict):
        raise QueryError("query must be an object: a filter or an AND/OR group")
    ranges: dict[str, Range] = {}
    exact = False
    if _is_group(query):
        matches = _group(query, dates, 1)
        if query["operator"] == "AND":
            consumed = [_range_of(child, dates) for child in query["value"]]
            exact = all(found is not None for found in consumed)
            for found in consumed:
                if found is not None:
                    ranges[found[0]] = _intersect(ranges.get(found[0], (None, None)), found[1])
    else:
        matches = _filter(query, dates)
        found = _range_of(query, dates)
        if found is not None:
            ranges[found[0]] = found[1]
            exact = True
    return Compiled(matches, ranges, exact)


def _is_group(node: dict[str, Any]) -> bool:
    return node.get("operator") in ("AND", "OR") and "field" not in node


def _group(node: dict[str, Any], dates: DateRules, depth: int) -> Predicate:
    if depth > MAX_DEPTH:
        raise QueryError(f"queries nest at most {MAX_DEPTH} levels of AND/OR groups")
    children = node.get("value")
    if not isinstance(children, list) or not children:
        raise QueryError(f"an {node['operator']} group needs a non-empty list of filters in value")
    if len(children) > MAX_FILTERS:
        raise QueryError(f"an {node['operator']} group takes at most {MAX_FILTERS} filters, got {len(children)}")
    parts: list[Predicate] = []
    for child in children:
        if not isinstance(child, dict):
            raise QueryError("every member of an AND/OR group must be an object")
        parts.append(_group(child, dates, depth + 1) if _is_group(child) else _filter(child, dates))
    if node["operator"] == "AND":
        return lambda rec: all(part(rec) for part in parts)
    return lambda rec: any(part(rec) for part in parts)


def _timestamp(field: str, value: Any) -> int:
    if isinstance(value, bool):
        raise QueryError(f"{field} is a date: the value must be a unix timestamp, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise QueryError(f"{field} is a date: the value must be a unix timestamp, not {value!r}")


def _date_range(field: str, op: str, value: Any, dates: DateRules) -> Range | None:
    """``[lo, hi)`` for a date filter with ``=``, ``>``, ``<``, ``>=``, ``<=`` (``None`` for other operators);
    raises for an operator the endpoint refuses on dates."""
    if dates.tz is not None:
        if op not in ("=", ">", "<"):
            raise QueryError(
                f"the {op} operator is not supported on the date field {field} (use =, > or <: dates are matched "
                "by calendar day in the workspace's time zone)"
            )
        start, end = dates.day_bounds(_timestamp(field, value))
        return {"=": (start, end), ">": (end, None), "<": (None, start)}[op]
    if op in ("IN", "NIN"):
        if not dates.in_on_dates:
            raise QueryError(f"the {op} operator is not supported on the date field {field}")
        return None
    if op not in ("=", ">", "<", ">=", "<="):
        if op in ("~", "!~", "^", "$"):
            raise QueryError(f"the {op} operator is for strings, not the date field {field}")
        return None
    stamp = _timestamp(field, value)
    return {
        "=": (stamp, stamp + 1),
        ">": (stamp + 1, None),
        ">=": (stamp, None),
        "<": (None, stamp),
        "<=": (None, stamp + 1),
    }[op]


def _range_of(node: Any, dates: DateRules) -> tuple[str, Range] | None:
    if not isinstance(node, dict) or _is_group(node) or node.get("field") not in INDEXED:
        return None
    found = _date_range(node["field"], node["operator"], node.get("value"), dates)
    return None if found is None else (node["field"], found)


def _intersect(a: Range, b: Range) -> Range:
    lo = b[0] if a[0] is None else a[0] if b[0] is None else max(a[0], b[0])
    hi = b[1] if a[1] is None else a[1] if b[1] is None else min(a[1], b[1])
    return lo, hi


def _norm(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value)


def _number(field: str, value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        raise QueryError(f"the value for {field} must be a number for this operator, not {value!r}") from None


def _filter(node: dict[str, Any], dates: DateRules) -> Predicate:
    field, op = node.get("field"), node.get("operator")
    if not isinstance(field, str) or not field:
        raise QueryError("a filter needs a field (a string)")
    if op not in OPERATORS:
        raise QueryError(f"unknown operator {op!r} for {field}; Intercom accepts {sorted(OPERATORS)}")
    if "value" not in node:
        raise QueryError(f"the filter on {field} has no value")
    value = node["value"]
    if op in ("IN", "NIN") and not isinstance(value, list):
        raise QueryError(f"{op} takes a list of values (the filter on {field})")
    if is_date_field(field):
        bounds = _date_range(field, op, value, dates)
        if bounds is not None:
            lo, hi = bounds

            def in_range(rec: Rec) -> bool:
                got = rec.value(field)
                if not isinstance(got, int) or isinstance(got, bool):
                    return False
                return (lo is None or got >= lo) and (hi is None or got < hi)

            return in_range
        if op == "!=":
            stamp = _timestamp(field, value)
            return lambda rec: rec.value(field) != stamp
        stamps = {_timestamp(field, v) for v in value}
        if op == "IN":
            return lambda rec: rec.value(field) in stamps
        return lambda rec: rec.value(field) not in stamps
    return _plain(field, op, value)


def _plain(field: str, op: str, value: Any) -> Predicate:
    if op in ("=", "!="):
        want = _norm(value)
        if op == "=":
            return lambda rec: _norm(rec.value(field)) == want
        return lambda rec: _norm(rec.value(field)) != want
    if op in ("IN", "NIN"):
        wanted = {_norm(v) for v in value}
        if op == "IN":
            return lambda rec: _norm(rec.value(field)) in wanted
        return lambda rec: _norm(rec.value(field)) not in wanted
    if op in (">", "<", ">=", "<="):
        bound = _number(field, value)

        def compare(rec: Rec) -> bool:
            got = rec.value(field)
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                return False
            number = float(got)
            return {">": number > bound, "<": number < bound, ">=": number >= bound, "<=": number <= bound}[op]

        return compare
    if not isinstance(value, str):
        raise QueryError(f"the {op} operator takes a string value (the filter on {field})")
    text = value

    def string_test(rec: Rec) -> bool:
        got = rec.value(field)
        if not isinstance(got, str):
            return op == "!~"
        if op == "~":
            return text in got
        if op == "!~":
            return text not in got
        if op == "^":
            return got.startswith(text)
        return got.endswith(text)

    return string_test
