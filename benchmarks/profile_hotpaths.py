"""cProfile of the two hot paths: the per-request CPU path and the conversation parse path.

    .venv/bin/python benchmarks/profile_hotpaths.py [--top N] [--requests N] [--parses N]

* request path: ``--requests`` sequential ``client.contacts.find`` calls against the local server
  process (the server's CPU is not in this profile); time spent blocked in ``epoll.poll`` (waiting for the
  server) is left out of the totals and the table;
* conversation request: the same for ``client.conversations.find`` (50 KB, 100 parts);
* parse path: ``--parses`` calls of ``OPERATIONS["retrieveConversation"].parse(200, body)``.

For each, the functions with the highest own time (``tottime``) and the SDK's functions by cumulative time.
Profiling inflates small Python functions; use the bench_* scripts for absolute numbers. cProfile counts
every resumption of a coroutine as a call, so ``async def`` functions show about 2 calls per request.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import sys

import _common

import intercom_async


def show(profile: cProfile.Profile, title: str, top: int, calls: int) -> None:
    stats = pstats.Stats(profile, stream=io.StringIO())
    entries = []
    waiting = 0.0
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        if name == "<method 'poll' of 'select.epoll' objects>":
            waiting += tottime
            continue
        short = filename.replace(str(_common.ROOT) + "/", "")
        if "site-packages/" in short:
            short = short.split("site-packages/", 1)[1]
        elif "/lib/python" in short:
            short = "stdlib:" + short.rsplit("/", 1)[-1]
        entries.append((tottime, cumtime, ncalls, f"{short}:{line}({name})"))
    total = stats.total_tt - waiting
    print(f"\n=== {title}: {total * 1e3:.0f} ms profiled, {total / calls * 1e3:.3f} ms per call (inflated by cProfile)")

    def rows(items: list[tuple[float, float, int, str]]) -> list[list[str]]:
        return [
            [where, f"{n / calls:.1f}", f"{tt / calls * 1e6:.1f}", f"{tt / total:.1%}", f"{ct / calls * 1e6:.1f}"]
            for tt, ct, n, where in items
        ]

    header = ["function", "calls/op", "own us/op", "own %", "cum us/op"]
    print(f"-- top {top} by own time")
    print(_common.table(rows(sorted(entries, reverse=True)[:top]), header))
    sdk = [e for e in entries if e[3].startswith("intercom_async/")]
    print(f"-- intercom_async functions by cumulative time (top {top})")
    print(_common.table(rows(sorted(sdk, key=lambda e: -e[1])[:top]), header))


async def profile_requests(base: str, n: int, top: int) -> None:
    async with intercom_async.Intercom("tok", version="2.12", base_url=base) as client:
        for _ in range(50):  # warm-up: connection, lazy imports, caches
            await client.contacts.find(id=_common.CONTACT_ID)
            await client.conversations.find(id=_common.CONVERSATION_ID)

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(n):
            await client.contacts.find(id=_common.CONTACT_ID)
        profile.disable()
        show(profile, f"request path: {n} x show_contact (2 KB contact)", top, n)

        n_conv = max(1, n // 4)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(n_conv):
            await client.conversations.find(id=_common.CONVERSATION_ID)
        profile.disable()
        show(profile, f"request path: {n_conv} x retrieve_conversation (50 KB)", top, n_conv)


def profile_parse(n: int, top: int) -> None:
    from intercom_async.v2_12 import OPERATIONS

    body = _common.encode(_common.make_conversation())
    op = OPERATIONS["retrieveConversation"]
    for _ in range(20):
        op.parse(200, body)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        op.parse(200, body)
    profile.disable()
    show(profile, f"parse path: {n} x Operation.parse(200, 50 KB conversation)", top, n)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--parses", type=int, default=200)
    args = parser.parse_args()
    with _common.ServerProcess() as base:
        asyncio.run(profile_requests(base, args.requests, args.top))
    profile_parse(args.parses, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
