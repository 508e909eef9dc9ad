"""Exports against the simulated workspace: every record once, partitions as plain values, a 500 stopping
one partition only, resume after an interrupted run, the scroll's single slot, enrichment, progress."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from typing import Any

import pytest

from intercom_async.sync import (
    CheckpointError,
    ExportIncomplete,
    FileCheckpointStore,
    MemoryCheckpointStore,
    Partition,
    UnknownResourceError,
    _walk,
    export,
    plan,
    run_partition,
)
from intercom_async.sync._partition import day_start

from .conftest import DAY, LA, T0, ids_of, workspace

CASES = [
    ("2.16", "contacts"),  # day-granular, sorted
    ("2.14", "contacts"),  # day-granular, unsorted
    ("Preview", "contacts"),  # by the second, sorted
    ("2.16", "conversations"),  # by the second, unsorted
    ("2.16", "tickets"),
    ("2.16", "companies"),  # the scroll
    ("Preview", "companies"),  # Preview's company search
]


@pytest.mark.parametrize(("version", "resource"), CASES)
async def test_every_record_that_existed_at_the_start_is_delivered_exactly_once(version, resource):
    async with workspace(version) as (fake, ws, client):
        ws.add(resource, 700, created_from=T0 - 40 * DAY, created_to=T0 - 60)
        before = {r["id"] for r in ws.records(resource)}
        ex = export(client, resource, concurrency=6, partition_size=90, clock=ws.now)
        got: list[Any] = []

        async def churn() -> None:  # the workspace keeps changing while the export runs
            for i in range(40):
                ws.advance(1)
                if i % 2:
                    ws.create(resource, name=f"new {i}")
                else:
                    ws.update(resource, sorted(before)[i * 7], name=f"changed {i}")
                await asyncio.sleep(0)

        async def consume() -> None:
            async for item in ex:
                got.append(item)
                if len(got) % 50 == 0:
                    await asyncio.sleep(0)

        await asyncio.gather(consume(), churn())
        counts = Counter(ids_of(got))
        assert before <= set(counts), f"missing: {sorted(before - set(counts))[:5]}"
        assert max(counts.values()) == 1, [i for i, n in counts.items() if n > 1][:5]
        if resource != "companies" or version == "Preview":
            assert len(ex.partitions) > 3  # the probe split it
        assert ex.progress.items == len(got) and ex.failures == []


async def test_stable_contact_partitions_sit_on_local_midnights_and_preview_ones_need_not():
    async with workspace("2.16") as (fake, ws, client):
        ws.add("contacts", 500, created_from=T0 - 10 * DAY, created_to=T0)
        parts = await plan(client, "contacts", partition_size=60, clock=ws.now)
        assert len(parts) >= 5
        for part in parts:
            assert part.granularity == "day" and part.timezone == LA
            assert day_start(part.lo, LA) == part.lo and day_start(part.hi, LA) == part.hi
        bodies = [json.dumps(r.json) for r in fake.requests_for("SearchContacts")]
        assert all(">=" not in b and "<=" not in b for b in bodies)  # errors on stable contact search
    async with workspace("Preview") as (fake, ws, client):
        ws.add("contacts", 500, created_from=T0 - 2 * DAY, created_to=T0)
        parts = await plan(client, "contacts", partition_size=60, clock=ws.now)
        assert parts[0].granularity == "second"
        assert any(day_start(p.lo, "UTC") != p.lo for p in parts[1:])  # split by the second


async def test_partitions_travel_as_json_and_run_on_separate_workers():
    async with workspace("2.16") as (fake, ws, client):
        ws.add("conversations", 400, created_from=T0 - 5 * DAY, created_to=T0)
        parts = await plan(client, "conversations", partition_size=80, clock=ws.now)
        wire = json.dumps([p.to_json() for p in parts])  # what a task queue carries
        store = MemoryCheckpointStore()
        other = fake.client()  # a second "worker" with its own client
        got: list[str] = []

        async def worker(c: Any, jobs: list[dict[str, Any]]) -> None:
            for job in jobs:
                async for item in run_partition(c, job, store, namespace="job1/"):
                    got.append(item.id)

        jobs = json.loads(wire)
        await asyncio.gather(worker(client, jobs[::2]), worker(other, jobs[1::2]))
        assert Counter(got) == Counter(r["id"] for r in ws.records("conversations"))
        again = [i for p in jobs async for i in run_partition(client, p, store, namespace="job1/")]
        assert again == []  # every partition is marked done


async def test_a_500_mid_partition_stops_only_that_partition_and_a_rerun_finishes_it():
    async with workspace("Preview") as (fake, ws, client):
        ws.add("contacts", 600, created_from=T0 - 6 * DAY, created_to=T0)
        store = MemoryCheckpointStore()
        parts = await plan(client, "contacts", partition_size=200, clock=ws.now)
        victim = parts[1]
        assert victim.estimate and victim.estimate > 20

        def second_page_of_victim(request: Any) -> bool:
            body = request.json or {}
            query = body.get("query", {})
            rules = query["value"] if query.get("operator") == "AND" else [query]
            lo = next((r["value"] for r in rules if r.get("operator") == ">"), None)
            return lo == victim.lo - 1 and bool(body.get("pagination", {}).get("starting_after"))

        fake.fail("contacts.search", status=500, times=None, match=second_page_of_victim)
        got: list[str] = []
        ex = export(client, "contacts", store=store, name="x", partition_size=200, per_page=20, clock=ws.now)
        with pytest.raises(ExportIncomplete) as info:
            async for item in ex:
                got.append(item.id)
        (failure,) = info.value.failures
        assert failure.partition == victim or failure.partition.key == victim.key
        assert victim.describe() in str(info.value)  # reported with the partition's bounds
        everything = {r["id"] for r in ws.records("contacts")}
        victim_ids = {r["id"] for r in ws.records("contacts") if victim.lo <= r["created_at"] < victim.hi}
        assert set(got) == (everything - victim_ids) | (set(got) & victim_ids)
        assert len(set(got) & victim_ids) == 20  # its first page was delivered, then it stopped
        kept = await store.load(f"x/{victim.key}")
        assert kept["position"]["delivered"] == 20 and kept["position"]["done"] is False

        fake.clear_faults()
        rest = [item.id async for item in export(client, "contacts", store=store, name="x", per_page=20)]
        assert set(rest) == victim_ids - set(got) and len(rest) == len(set(rest))


async def test_resume_after_an_interrupted_run_loses_nothing_and_repeats_at_most_a_page(tmp_path):
    async with workspace("2.16") as (fake, ws, client):
        ws.add("contacts", 900, created_from=T0 - 30 * DAY, created_to=T0)
        everything = {r["id"] for r in ws.records("contacts")}
        store = FileCheckpointStore(tmp_path)
        first: list[str] = []
        stop = asyncio.Event()

        async def crashing_run() -> None:
            async for item in export(
                client,
                "contacts",
                store=store,
                name="nightly",
                concurrency=5,
                partition_size=100,
                per_page=25,
                clock=ws.now,
            ):
                first.append(item.id)
                if len(first) == 333:
                    stop.set()
                    await asyncio.sleep(3600)  # "killed" here, in the middle of a page

        task = asyncio.ensure_future(crashing_run())
        await stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        second = [
            item.id
            async for item in export(
                client, "contacts", store=FileCheckpointStore(tmp_path), name="nightly", per_page=25
            )
        ]
        assert set(first) | set(second) == everything  # nothing lost
        repeated = set(first) & set(second)
        assert 1 <= len(repeated) <= 25  # the page being consumed (1 item of it was in the body), nothing more
        assert len(second) == len(set(second))


async def test_the_scroll_has_a_single_slot():
    async with workspace("2.16") as (fake, ws, client):
        ws.add("companies", 120, created_from=T0 - DAY, created_to=T0)
        everything = Counter(r["id"] for r in ws.records("companies"))

        async def run() -> Counter[str]:
            return Counter([c.id async for c in export(client, "companies")])

        a, b = await asyncio.gather(run(), run())
        assert a == everything and b == everything
        scrolls = fake.requests_for("scrollOverAllCompanies")
        assert [r.status for r in scrolls if r.status != 200] == []  # never "scroll_exists"


async def test_without_the_lock_two_exports_collide_on_the_scroll(monkeypatch):
    """The rule the test above checks matters: two scrolls at once are refused by the workspace."""
    monkeypatch.setattr(_walk, "SCROLL_WAIT", 0.0)
    async with workspace("2.16") as (fake, ws, client):
        ws.add("companies", 120, created_from=T0 - DAY, created_to=T0)

        async def run() -> list[Any]:
            ex = export(client, "companies", scroll_lock=contextlib.nullcontext(), raise_on_failure=False)
            [c async for c in ex]
            return ex.failures

        failures = sum(await asyncio.gather(run(), run()), [])
        assert failures and "scroll_exists" in str(failures[0])


async def test_a_500_mid_scroll_restarts_it_and_each_company_comes_once():
    async with workspace("2.16") as (fake, ws, client):
        ws.add("companies", 100, created_from=T0 - DAY, created_to=T0)
        fake.fail("companies.scroll", status=500, times=1, match=lambda r: bool(r.query.get("scroll_param")))
        got = [c.id async for c in export(client, "companies")]
        assert Counter(got) == Counter(r["id"] for r in ws.records("companies"))
        opens = [r for r in fake.requests_for("scrollOverAllCompanies") if not r.query.get("scroll_param")]
        statuses = [(bool(r.query.get("scroll_param")), r.status) for r in fake.requests_for("scrollOverAllCompanies")]
        assert len(opens) == 2, statuses  # restarted from the beginning once


async def test_enrichment_fetches_each_conversation_in_full():
    async with workspace("2.16") as (fake, ws, client):
        ws.add("conversations", 60, created_from=T0 - DAY, created_to=T0, parts=3)
        got = [c async for c in export(client, "conversations", enrich=True, enrich_concurrency=4)]
        assert len(got) == 60
        for conv in got:
            parts = conv.conversation_parts.conversation_parts
            assert len(parts) == 3
        assert len(fake.requests_for("retrieveConversation")) == 60


async def test_progress_is_reported_and_logged(caplog):
    caplog.set_level(logging.INFO, logger="intercom_async")
    async with workspace("2.16") as (fake, ws, client):
        ws.add("tickets", 300, created_from=T0 - 3 * DAY, created_to=T0)
        seen: list[Any] = []
        ex = export(client, "tickets", partition_size=50, on_progress=seen.append, progress_interval=0.0)
        n = len([t async for t in ex])
        final = seen[-1]
        assert final.finished and final.items == n == 300
        assert final.partitions_done == final.partitions_total == len(ex.partitions) > 1
        assert final.requests >= len(ex.partitions) and final.limit is not None
        assert any(s.items < n for s in seen)  # reported along the way
        assert any("finished: tickets: 300 items" in r.getMessage() for r in caplog.records)


async def test_bad_input_is_a_typed_error_and_the_stored_checkpoint_is_untouched(tmp_path):
    async with workspace("2.16") as (fake, ws, client):
        ws.add("contacts", 30, created_from=T0 - DAY, created_to=T0)
        with pytest.raises(UnknownResourceError, match="'users'"):
            export(client, "users")  # type: ignore[call-overload]
        store = FileCheckpointStore(tmp_path)
        async with contextlib.aclosing(export(client, "contacts", store=store, name="job").__aiter__()) as it:
            await anext(it)  # stopped after one item: the plan stays for a resume
        plan_file = next(p for p in tmp_path.iterdir() if "plan" in p.name)
        saved = plan_file.read_bytes()
        with pytest.raises(CheckpointError, match="exports 'contacts'.*not 'tickets'"):
            [c async for c in export(client, "tickets", store=store, name="job")]
        assert plan_file.read_bytes() == saved
        plan_file.write_bytes(saved[: len(saved) // 2])  # corrupted
        with pytest.raises(CheckpointError, match="not valid JSON"):
            [c async for c in export(client, "contacts", store=store, name="job")]
        assert plan_file.read_bytes() == saved[: len(saved) // 2]
        preview_part = Partition("contacts", "Preview", lo=0, hi=T0)
        with pytest.raises(CheckpointError, match="'Preview'.*'2.16'"):
            [c async for c in run_partition(client, preview_part.to_json(), store)]
        with pytest.raises(CheckpointError, match="resource 'users'"):
            [c async for c in run_partition(client, {**preview_part.to_json(), "resource": "users"}, store)]


async def test_a_finished_export_clears_its_keys_and_the_next_run_starts_afresh(tmp_path):
    async with workspace("2.16") as (fake, ws, client):
        ws.add("tickets", 120, created_from=T0 - 3 * DAY, created_to=T0)
        store = FileCheckpointStore(tmp_path)
        first = [t.id async for t in export(client, "tickets", store=store, name="daily", partition_size=30)]
        assert await store.keys() == []
        ws.advance(10)
        ws.create("tickets")
        second = [t.id async for t in export(client, "tickets", store=store, name="daily", clock=ws.now)]
        assert len(first) == 120 and len(second) == 121


async def test_bad_options_are_typed_errors():
    from intercom_async import InvalidRequestError

    async with workspace("2.16") as (fake, ws, client):
        with pytest.raises(
            InvalidRequestError, match="enrich=True fetches conversations or tickets in full, not contacts"
        ):
            export(client, "contacts", enrich=True)
        with pytest.raises(InvalidRequestError, match="per_page must be an int from 1 to 150, got 500"):
            export(client, "tickets", per_page=500)
        with pytest.raises(InvalidRequestError, match="concurrency"):
            export(client, "tickets", concurrency=0)
        with pytest.raises(InvalidRequestError, match="store must be a checkpoint store"):
            export(client, "tickets", store={})  # type: ignore[typeddict-item]
        part = Partition("tickets", "2.16", lo=0, hi=10)
        with pytest.raises(InvalidRequestError, match="store must be a checkpoint store"):
            [t async for t in run_partition(client, part, "checkpoints/")]  # type: ignore[arg-type]
        with pytest.raises(CheckpointError, match="a partition must be a JSON object"):
            [t async for t in run_partition(client, "tickets:2.16:created_at:0-10")]  # type: ignore[arg-type]
