"""Per-request cost of intercom_async against raw aiohttp, measured in the same run.

    .venv/bin/python benchmarks/bench_client.py [--quick] [--rounds N] [--json out.json]

A local aiohttp server (its own process, so this process's CPU time is the client's alone) serves a
~2 KB contact on ``GET /contacts/{id}`` and a ~50 KB, 100-part conversation on ``GET /conversations/{id}``.
Two clients fetch them:

* raw:  one shared ``aiohttp.ClientSession``; ``GET`` (same headers the SDK sends) + ``read()`` + ``json.loads``
* raw+model (sequential only, to split the difference): raw, then the 2.12 model's ``from_dict`` on the dict
* sdk:  ``intercom_async.Intercom("tok", version="2.12", base_url=...)``;
        ``client.contacts.find(id=...)`` / ``client.conversations.find(id=...)``
        (URL building, auth/version headers, retry wrapper, ``APIResponse``, ``json.loads``, typed model)

Sequential: one request at a time; wall time and process CPU time (``time.process_time``) per request.
Concurrent: a fixed number of requests through a fixed number of workers; throughput and CPU per request.
Raw and SDK phases are interleaved over several rounds. Other load on the machine only ever adds time, so by
default the table shows each client's best round (lowest time / CPU, highest req/s): the least disturbed
estimate. ``--stat median`` shows the median round instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import _common
import aiohttp

import intercom_async

Fetch = Callable[[], Awaitable[Any]]


async def server_cpu(session: aiohttp.ClientSession, base: str) -> float:
    async with session.get(base + "/_stats") as resp:
        return json.loads(await resp.read())["cpu"]


async def sequential(fetch: Fetch, n: int) -> tuple[float, float]:
    """(wall s, cpu s) per request over ``n`` sequential requests."""
    c0, t0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        await fetch()
    return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n


async def concurrent(fetch: Fetch, total: int, workers: int) -> tuple[float, float]:
    """(requests/s, cpu s per request) for ``total`` requests through ``workers`` concurrent workers."""
    cpu, wall = await _common.run_workers(fetch, total, workers)
    return total / wall, cpu / total


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def fmt_x(ratio: float) -> str:
    return f"{ratio:.2f}x"


async def run(args: argparse.Namespace, base: str) -> dict[str, Any]:
    low, high = (min, max) if args.stat == "best" else (_common.median, _common.median)
    headers = {
        "Authorization": "Bearer tok",
        "Intercom-Version": "2.12",
        "Accept": "application/json",
        "User-Agent": "raw-aiohttp-bench",
    }
    contact_url = f"{base}/contacts/{_common.CONTACT_ID}"
    conversation_url = f"{base}/conversations/{_common.CONVERSATION_ID}"

    results: dict[str, Any] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        client = intercom_async.Intercom("tok", version="2.12", base_url=base)
        async with client:

            async def raw_get(url: str) -> Any:
                async with session.get(url, headers=headers) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"raw GET {url}: {resp.status}")
                return json.loads(body)

            def raw_contact() -> Awaitable[Any]:
                return raw_get(contact_url)

            def raw_conversation() -> Awaitable[Any]:
                return raw_get(conversation_url)

            from intercom_async.v2_12.models import Contact, Conversation

            async def raw_contact_model() -> Any:
                return Contact.from_dict(await raw_get(contact_url))

            async def raw_conversation_model() -> Any:
                return Conversation.from_dict(await raw_get(conversation_url))

            def sdk_contact() -> Awaitable[Any]:
                return client.contacts.find(id=_common.CONTACT_ID)

            def sdk_conversation() -> Awaitable[Any]:
                return client.conversations.find(id=_common.CONVERSATION_ID)

            # correctness + warm-up (connections open, lazy model imports done, caches filled)
            contact = await sdk_contact()
            conversation = await sdk_conversation()
            assert type(contact).__name__ == "Contact" and contact.email == "joe@bloggs.com", contact
            parts = conversation.conversation_parts.conversation_parts
            assert type(conversation).__name__ == "Conversation" and len(parts) == _common.N_PARTS
            assert (await raw_conversation())["id"] == str(_common.CONVERSATION_ID)
            for fetch in (raw_contact, sdk_contact, raw_conversation, sdk_conversation):
                await sequential(fetch, 50)
            await concurrent(raw_contact, 300, args.concurrency)
            await concurrent(sdk_contact, 300, args.concurrency)

            scenarios = [
                ("GET /contacts/{id}", raw_contact, raw_contact_model, sdk_contact, args.seq_contact),
                (
                    "GET /conversations/{id} (50 KB)",
                    raw_conversation,
                    raw_conversation_model,
                    sdk_conversation,
                    args.seq_conversation,
                ),
            ]
            for label, raw, raw_model, sdk, n in scenarios:
                rounds: dict[str, list[tuple[float, float]]] = {"raw": [], "model": [], "sdk": []}
                for _ in range(args.rounds):
                    for name, fetch in (("raw", raw), ("model", raw_model), ("sdk", sdk)):
                        rounds[name].append(await sequential(fetch, n))
                results[f"sequential {label}"] = {"n": n} | {
                    f"{name}_{metric}": low([r[i] for r in rounds[name]])
                    for name in rounds
                    for i, metric in enumerate(("wall", "cpu"))
                }
            for (label, raw, _raw_model, sdk, _n), total in zip(
                scenarios, (args.total, args.total_conversation), strict=True
            ):
                rounds = {"raw": [], "sdk": []}
                server_busy: dict[str, list[float]] = {"raw": [], "sdk": []}
                for _ in range(args.rounds):
                    for name, fetch in (("raw", raw), ("sdk", sdk)):
                        s0, t0 = await server_cpu(session, base), time.perf_counter()
                        rounds[name].append(await concurrent(fetch, total, args.concurrency))
                        s1, t1 = await server_cpu(session, base), time.perf_counter()
                        server_busy[name].append((s1 - s0) / (t1 - t0))
                results[f"concurrent {label}"] = {
                    "total": total,
                    "concurrency": args.concurrency,
                    "raw_rps": high([r[0] for r in rounds["raw"]]),
                    "raw_cpu": low([r[1] for r in rounds["raw"]]),
                    "sdk_rps": high([r[0] for r in rounds["sdk"]]),
                    "sdk_cpu": low([r[1] for r in rounds["sdk"]]),
                    "server_busy_raw": _common.median(server_busy["raw"]),
                    "server_busy_sdk": _common.median(server_busy["sdk"]),
                }
    return results


def report(results: dict[str, Any], args: argparse.Namespace, elapsed: float) -> None:
    print(f"intercom_async vs raw aiohttp {aiohttp.__version__} ({_common.machine_note()})")
    pinned = ", client and server pinned to separate CPUs" if args.pin else ""
    shown = "best round shown" if args.stat == "best" else "median round shown"
    print(f"rounds={args.rounds} ({shown}), server in a separate process on 127.0.0.1{pinned}\n")

    rows = []
    for key, r in results.items():
        if not key.startswith("sequential"):
            continue
        label = key.removeprefix("sequential ")
        rows.append([f"{label}  [n={r['n']}]", "raw", fmt_ms(r["raw_wall"]), fmt_ms(r["raw_cpu"])])
        rows.append(["", "raw+model", fmt_ms(r["model_wall"]), fmt_ms(r["model_cpu"])])
        rows.append(["", "sdk", fmt_ms(r["sdk_wall"]), fmt_ms(r["sdk_cpu"])])
        rows.append(["", "sdk/raw", fmt_x(r["sdk_wall"] / r["raw_wall"]), fmt_x(r["sdk_cpu"] / r["raw_cpu"])])
        rows.append(["", "sdk-raw", fmt_ms(r["sdk_wall"] - r["raw_wall"]), fmt_ms(r["sdk_cpu"] - r["raw_cpu"])])
    print("Sequential (one request at a time)")
    print(_common.table(rows, ["request", "client", "wall/req", "client CPU/req"]))

    rows = []
    for key, r in results.items():
        if not key.startswith("concurrent"):
            continue
        label = key.removeprefix("concurrent ")
        rows.append(
            [
                f"{label}  [{r['total']} @ {r['concurrency']}]",
                "raw",
                f"{r['raw_rps']:.0f}",
                fmt_ms(r["raw_cpu"]),
                f"{r['server_busy_raw']:.0%}",
            ]
        )
        rows.append(["", "sdk", f"{r['sdk_rps']:.0f}", fmt_ms(r["sdk_cpu"]), f"{r['server_busy_sdk']:.0%}"])
        rows.append(
            [
                "",
                "sdk/raw",
                fmt_x(r["sdk_rps"] / r["raw_rps"]) + " thr",
                fmt_x(r["sdk_cpu"] / r["raw_cpu"]),
                "",
            ]
        )
    print("\nConcurrent")
    print(_common.table(rows, ["request", "client", "req/s", "client CPU/req", "server CPU"]))
    print(
        "\nserver CPU = server process CPU time / wall time during the phase; near 100% means the server, not"
        " the client, limited throughput."
    )
    print(f"total run time {elapsed:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (smoke run, ~10 s)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved raw/sdk rounds (default 5, quick 2)")
    parser.add_argument("--total", type=int, default=None, help="contacts per concurrent phase (default 2000)")
    parser.add_argument(
        "--total-conversation", type=int, default=None, help="conversations per concurrent phase (default 1000)"
    )
    parser.add_argument("--stat", choices=("best", "median"), default="best", help="which round to show")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--pin", action="store_true", help="pin this process to CPU 0 and the server to CPU 1")
    parser.add_argument("--json", metavar="PATH", help="also write the raw numbers as JSON")
    args = parser.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.total = args.total or (500 if args.quick else 2000)
    args.total_conversation = args.total_conversation or (250 if args.quick else 1000)
    args.seq_contact = 200 if args.quick else 400
    args.seq_conversation = 100 if args.quick else 200

    started = time.perf_counter()
    server_cpu_id = None
    if args.pin and hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2:
        first, second = sorted(os.sched_getaffinity(0))[:2]
        os.sched_setaffinity(0, {first})
        server_cpu_id = second
    with _common.ServerProcess(cpu=server_cpu_id) as base:
        results = asyncio.run(run(args, base))
    report(results, args, time.perf_counter() - started)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
