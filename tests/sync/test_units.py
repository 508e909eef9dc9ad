"""intercom_async.sync without a server: partitions and positions as JSON, date math and queries per the
version's rules, the rules table against the generated request models, checkpoint stores (atomic file writes,
corrupted files), the delivered boundary of ``run_partition`` and the package's internal layering."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import attrs
import pytest

from intercom_async._errors import IntercomError
from intercom_async.sync import (
    RESOURCES,
    CheckpointError,
    FileCheckpointStore,
    MemoryCheckpointStore,
    Partition,
    Position,
    SyncCheckpoint,
    UnknownResourceError,
    rules_for,
)
from intercom_async.sync._partition import day_start, next_day_start
from intercom_async.sync._store import _file_name, _key_of
from intercom_async.sync._walk import Walker, read_record, record

LA = "America/Los_Angeles"


def ts(y: int, m: int, d: int, hh: int = 0, mm: int = 0, tz: str = "UTC") -> int:
    from zoneinfo import ZoneInfo

    return int(dt.datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz)).timestamp())


# ------------------------------------------------------------------ partitions


def test_a_partition_round_trips_through_json_and_names_its_bounds():
    part = Partition(
        "contacts", "2.16", lo=ts(2024, 1, 1), hi=ts(2024, 2, 1), granularity="day", timezone=LA, sort=True
    )
    text = json.dumps(part.to_json())
    assert Partition.from_json(json.loads(text)) == part
    assert "2024-01-01T00:00:00Z" in part.describe() and "created_at" in part.describe()
    assert part.key == f"contacts:2.16:created_at:{ts(2024, 1, 1)}-{ts(2024, 2, 1)}"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("nope", "JSON object"),
        ({"resource": "contacts"}, "missing"),
        ({"resource": "users", "version": "2.16"}, "resource 'users'"),
        ({"resource": "contacts", "version": "2.16", "granularity": "hour"}, "granularity 'hour'"),
        ({"resource": "contacts", "version": "2.16", "lo": "yesterday"}, "lo 'yesterday'"),
        ({"resource": "contacts", "version": "2.16", "colour": 1}, "unknown fields ['colour']"),
    ],
)
def test_a_bad_partition_is_a_checkpoint_error_naming_the_problem(data, problem):
    with pytest.raises(CheckpointError, match=problem.replace("[", r"\[").replace("]", r"\]")) as info:
        Partition.from_json(data)
    assert isinstance(info.value, IntercomError)


def test_day_math_follows_the_workspace_time_zone_across_dst():
    # 2024-03-10 is 23 hours long in Los Angeles (DST starts)
    noon = ts(2024, 3, 10, 12, tz=LA)
    assert day_start(noon, LA) == ts(2024, 3, 10, tz=LA)
    assert next_day_start(noon, LA) == ts(2024, 3, 11, tz=LA)
    assert next_day_start(noon, LA) - day_start(noon, LA) == 23 * 3600
    assert day_start(noon, "UTC") == ts(2024, 3, 10, 0) and day_start(noon, "Not/AZone") == ts(2024, 3, 10, 0)


def test_day_granular_partitions_split_on_local_midnights():
    part = Partition(
        "contacts", "2.14", lo=ts(2024, 1, 1, tz=LA), hi=ts(2024, 1, 31, tz=LA), granularity="day", timezone=LA
    )
    children = part.split(7)
    assert children[0].lo == part.lo and children[-1].hi == part.hi
    assert all(a.hi == b.lo for a, b in zip(children, children[1:], strict=False))
    for child in children:
        assert day_start(child.lo, LA) == child.lo  # every cut a local midnight
    one_day = Partition(
        "contacts", "2.14", lo=ts(2024, 1, 1, tz=LA), hi=ts(2024, 1, 2, tz=LA), granularity="day", timezone=LA
    )
    assert not one_day.splittable()
    assert Partition("conversations", "2.16", lo=10, hi=12).splittable()
    assert not Partition("conversations", "2.16", lo=10, hi=11).splittable()


def test_queries_by_the_second_and_by_day():
    second = Partition("conversations", "2.16", lo=1000, hi=2000)
    assert second.query() == {
        "operator": "AND",
        "value": [
            {"field": "created_at", "operator": ">", "value": 999},
            {"field": "created_at", "operator": "<", "value": 2000},
        ],
    }
    # by day: ">" any second of the previous day = from the start of lo's day; "<" the midnight after hi - 1
    mid = ts(2024, 5, 3, 15, tz=LA)
    day = Partition("contacts", "2.16", field="updated_at", lo=mid, hi=None, granularity="day", timezone=LA)
    rule = day.query()
    assert rule == {"field": "updated_at", "operator": ">", "value": ts(2024, 5, 3, tz=LA) - 1}
    assert day_start(rule["value"], LA) == ts(2024, 5, 2, tz=LA)  # the server truncates to May 2nd: ">" = from May 3rd
    bounded = Partition("contacts", "2.16", lo=ts(2024, 5, 3, tz=LA), hi=mid, granularity="day", timezone=LA)
    assert bounded.query()["value"][1] == {"field": "created_at", "operator": "<", "value": ts(2024, 5, 4, tz=LA)}
    for q in (second.query(), rule, bounded.query()):
        assert ">=" not in json.dumps(q) and "<=" not in json.dumps(q)  # errors on stable contact search


def test_ownership_is_half_open():
    part = Partition("tickets", "2.16", lo=10, hi=20)
    assert [part.owns(v) for v in (9, 10, 19, 20, None)] == [False, True, True, False, False]
    assert Partition("tickets", "2.16", lo=None, hi=20).owns(None)


# ------------------------------------------------------------------ rules


def test_rules_per_version_and_resource():
    assert rules_for("2.16", "contacts").day_granular and rules_for("2.10", "contacts").day_granular
    assert not rules_for("Preview", "contacts").day_granular
    assert not rules_for("2.16", "conversations").day_granular
    assert rules_for("2.16", "companies").method == "scroll" and rules_for("Preview", "companies").method == "search"
    assert rules_for("2.16", "conversations").deleted_feed and not rules_for("2.14", "conversations").deleted_feed
    assert rules_for("Preview", "contacts").activities_feed and not rules_for("2.16", "contacts").activities_feed
    with pytest.raises(
        UnknownResourceError, match="unknown resource 'users'.*contacts, conversations, tickets, companies"
    ):
        rules_for("2.16", "users")


@pytest.mark.parametrize("module", ["v2_10", "v2_12", "v2_14", "v2_16", "unstable", "preview"])
def test_the_sortable_table_matches_the_generated_request_models(module):
    import importlib

    package = importlib.import_module(f"intercom_async.{module}")
    models = package.models
    version = package.VERSION
    for resource, model in (("contacts", "ContactSearchRequest"), ("companies", "CompanySearchRequest")):
        cls = getattr(models, model, None)
        has_sort = cls is not None and "sort" in {f.name for f in attrs.fields(cls)}
        assert rules_for(version, resource).sortable == has_sort, (version, resource)
    for resource in ("conversations", "tickets"):
        assert not rules_for(version, resource).sortable  # they share SearchRequest, which has no sort
        assert "sort" not in {f.name for f in attrs.fields(models.SearchRequest)}


def test_the_feed_table_matches_the_generated_operations():
    import importlib

    for module in ("v2_10", "v2_12", "v2_14", "v2_16", "unstable", "preview"):
        package = importlib.import_module(f"intercom_async.{module}")
        ops = package.OPERATIONS
        assert rules_for(package.VERSION, "conversations").deleted_feed == ("listDeletedConversationIds" in ops)
        assert rules_for(package.VERSION, "contacts").activities_feed == ("ListContactActivities" in ops)
        assert (rules_for(package.VERSION, "companies").method == "search") == (
            any(op.path == "/companies/search" for op in ops.values())
        )


# ------------------------------------------------------------------ checkpoints


def test_sync_checkpoints_round_trip_and_refuse_garbage():
    cp = SyncCheckpoint("contacts", "2.16", 1_700_000_000)
    assert SyncCheckpoint.from_json(json.loads(json.dumps(cp.to_json()))) == cp
    for bad, words in (
        ([], "JSON object"),
        ({"resource": "contacts", "version": "2.16", "since": "now"}, "since"),
        ({"format": 9, "resource": "contacts", "version": "2.16", "since": 1}, "format"),
    ):
        with pytest.raises(CheckpointError, match=words):
            SyncCheckpoint.from_json(bad)


def test_a_stored_position_must_belong_to_the_partition():
    part = Partition("tickets", "2.16", lo=10, hi=20)
    other = Partition("tickets", "2.16", lo=20, hi=30)
    value = record(part, Position(after=None, ids=["a"], done=False, delivered=1))
    assert read_record("k", value, part).ids == ["a"]
    with pytest.raises(CheckpointError, match="belongs to tickets"):
        read_record("k", value, other)
    with pytest.raises(CheckpointError, match="format"):
        read_record("k", {**value, "format": 2}, part)
    with pytest.raises(CheckpointError, match="position"):
        read_record("k", {**value, "position": {"ids": "abc"}}, part)


def test_file_names_are_reversible_and_stay_in_the_directory():
    for key in ("export:contacts/plan", "../../etc/passwd", "a%b c", "é/ü"):
        name = _file_name(key)
        assert "/" not in name and not name.startswith("..") and _key_of(name) == key


async def test_file_store_saves_atomically_and_lists_keys(tmp_path):
    store = FileCheckpointStore(tmp_path / "cp")
    assert await store.load("x/y") is None
    await store.save("x/y", {"a": 1})
    await store.save("x/y", {"a": 2})
    await store.save("z", {"b": [1, 2]})
    assert await store.load("x/y") == {"a": 2}
    assert await store.keys("x/") == ["x/y"] and await store.keys() == ["x/y", "z"]
    assert sorted(os.listdir(tmp_path / "cp")) == sorted([_file_name("x/y"), _file_name("z")])  # no temp left
    await store.delete("x/y")
    await store.delete("x/y")
    assert await store.load("x/y") is None


async def test_a_failed_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    store = FileCheckpointStore(tmp_path)
    await store.save("k", {"v": 1})

    def boom(*args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        await store.save("k", {"v": 2})
    monkeypatch.undo()
    assert await store.load("k") == {"v": 1}
    assert os.listdir(tmp_path) == [_file_name("k")]  # the temporary file was removed


async def test_a_corrupted_checkpoint_file_is_a_typed_error_and_is_left_untouched(tmp_path):
    store = FileCheckpointStore(tmp_path)
    path = tmp_path / _file_name("export:contacts/plan")
    path.write_bytes(b'{"format": 1, "partitions": [')  # cut mid-write by something else
    with pytest.raises(CheckpointError, match=r"export:contacts/plan.*not valid JSON") as info:
        await store.load("export:contacts/plan")
    assert isinstance(info.value, ValueError)
    assert path.read_bytes() == b'{"format": 1, "partitions": ['
    path.write_bytes(b"[1, 2]")
    with pytest.raises(CheckpointError, match="holds list"):
        await store.load("export:contacts/plan")


async def test_memory_store_copies_values():
    store = MemoryCheckpointStore()
    value = {"ids": ["a"]}
    await store.save("k", value)
    value["ids"].append("b")
    assert await store.load("k") == {"ids": ["a"]}
    with pytest.raises(CheckpointError):
        await store.save("k", ["not", "a", "dict"])  # type: ignore[arg-type]


# ------------------------------------------------------------------ the delivered boundary (no server)


class _Page:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.response = type("R", (), {"headers": {}})()


class _FakeWalker(Walker):
    """A Walker over scripted pages (a sorted, second-granular partition)."""

    pages_script: list[list[dict[str, Any]]] = []

    def _search_pages(self):  # type: ignore[override]
        async def gen():
            for items in self.pages_script:
                yield _Page(items)

        return gen()


def _items(values: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"id": i, "created_at": v} for i, v in values]


async def test_a_page_is_saved_only_once_the_caller_asks_past_its_last_item():
    client = type("C", (), {"VERSION": "Preview", "base_url": "http://x"})()
    part = Partition("contacts", "Preview", lo=0, hi=100, sort=True)
    store = MemoryCheckpointStore()
    walker = _FakeWalker(client, part, store)  # type: ignore[arg-type]
    walker.pages_script = [_items([("a", 1), ("b", 2)]), _items([("c", 2), ("d", 3)])]
    seen: list[str] = []
    saved_when: list[Any] = []
    async for items, commit in walker.pages():
        for item in items:
            seen.append(item["id"])
            saved_when.append((item["id"], await store.load(walker.key)))
        await commit()
    assert seen == ["a", "b", "c", "d"]
    assert saved_when[0][1] is None and saved_when[1][1] is None  # nothing saved while page 1 is consumed
    assert saved_when[2][1]["position"] == {"after": 2, "ids": ["b"], "done": False, "delivered": 2, "chunks": 0}
    final = await store.load(walker.key)
    assert final["position"]["done"] is True and final["position"]["delivered"] == 4


async def test_a_restart_skips_what_the_position_covers_and_drops_other_partitions_records():
    client = type("C", (), {"VERSION": "Preview", "base_url": "http://x"})()
    part = Partition("contacts", "Preview", lo=0, hi=10, sort=True)
    store = MemoryCheckpointStore()
    await store.save(part.key, record(part, Position(after=5, ids=["e1"], delivered=7)))
    walker = _FakeWalker(client, part, store)  # type: ignore[arg-type]
    # the server answers from `after`'s second (inclusive): e1 was delivered, e2 was not; 12 is not ours
    walker.pages_script = [_items([("e1", 5), ("e2", 5), ("f", 6), ("x", 12)])]
    await walker.load()
    assert walker._body()["query"]["value"][0] == {"field": "created_at", "operator": ">", "value": 4}
    got = []
    async for items, commit in walker.pages():
        got += [i["id"] for i in items]
        await commit()
    assert got == ["e2", "f"]


async def test_unsorted_positions_store_one_chunk_of_ids_per_page():
    client = type("C", (), {"VERSION": "2.16", "base_url": "http://x"})()
    part = Partition("conversations", "2.16", lo=0, hi=100)
    store = MemoryCheckpointStore()
    walker = _FakeWalker(client, part, store)  # type: ignore[arg-type]
    walker.pages_script = [_items([("c", 5), ("a", 1)]), _items([("d", 9), ("b", 2)]), _items([("e", 3)])]
    pages = walker.pages()
    for _ in range(2):  # two pages delivered, then the worker dies
        items, commit = await anext(pages)
        await commit()
    await pages.aclose()
    assert (await store.load(part.key))["position"]["chunks"] == 2
    assert await store.load(part.key + "#1") == {"ids": ["d", "b"]}  # one page's ids, not everything so far
    again = _FakeWalker(client, part, store)  # type: ignore[arg-type]
    again.pages_script = walker.pages_script  # an unsorted walk starts over and skips what was delivered
    got = []
    async for items, commit in again.pages():
        got += [i["id"] for i in items]
        await commit()
    assert got == ["e"]
    assert await store.keys() == [part.key]  # done: the chunks are gone
    await store.save(part.key, record(part, Position(delivered=2, chunks=3)))
    with pytest.raises(CheckpointError, match="id chunk 0 of 3"):
        await again.load()


# ------------------------------------------------------------------ layering inside the package


def test_sync_modules_import_only_earlier_ones():
    order = [
        "_errors",
        "_rules",
        "_partition",
        "_store",
        "_progress",
        "_walk",
        "_export",
        "_sync",
        "_locks",
        "__init__",
    ]
    package = Path(__file__).resolve().parents[2] / "intercom_async" / "sync"
    assert {p.stem for p in package.glob("*.py")} == set(order)
    for name in order:
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                target = node.module.split(".")[0]
                assert order.index(target) < order.index(name), f"{name} imports {target}"
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                assert node.module.startswith("_") or node.module == "ratelimit_redis", node.module  # the core only


def test_every_resource_is_covered():
    assert RESOURCES == ("contacts", "conversations", "tickets", "companies")
    asyncio.get_event_loop_policy()  # (keeps the asyncio import honest for the async tests above)


def test_a_day_granular_range_across_one_midnight_splits_there():
    lo, hi = ts(2024, 1, 1, 10, tz=LA), ts(2024, 1, 2, 5, tz=LA)
    part = Partition("contacts", "2.16", field="updated_at", lo=lo, hi=hi, granularity="day", timezone=LA)
    assert part.splittable()
    for parts in (2, 3, 7):
        children = part.split(parts)
        assert [(c.lo, c.hi) for c in children] == [(lo, ts(2024, 1, 2, tz=LA)), (ts(2024, 1, 2, tz=LA), hi)]
    assert [(c.lo, c.hi) for c in Partition("tickets", "2.16", lo=5, hi=7).split(9)] == [(5, 6), (6, 7)]


async def test_the_file_store_removes_temporary_files_left_by_a_crash(tmp_path):
    old, fresh = tmp_path / ".tmp-old.part", tmp_path / ".tmp-fresh.part"
    old.write_text("{")
    fresh.write_text("{")
    os.utime(old, (1, 1))
    store = FileCheckpointStore(tmp_path)
    assert not old.exists() and fresh.exists()  # a fresh one may be another process's save in progress
    assert await store.keys() == []
