"""Many worker processes, one Intercom budget: RedisRateLimiter against per-process pacing.

    .venv/bin/python benchmarks/bench_redis_fleet.py [--processes 4] [--calls 1000] [--concurrency 50]
                                                     [--n 300] [--window 0.5] [--headroom 0.25]
                                                     [--limiter redis|default|both]
                                                     [--outage 3 [--outage-at 1.5] [--fallback share|whole|both]]

Starts a ``redis-server`` on a free loopback port (the binary must be on PATH), the rate-limiting server of
``_window_server.py`` (its own process) allowing ``--n`` requests per ``--window`` seconds, and
``--processes`` workers (``tests/resilience/redis_worker.py``), each making ``--calls`` calls of
``identify_admin`` through ``--concurrency`` concurrent tasks, all started together. ``redis``: every worker
uses a ``RedisRateLimiter`` (limit N per window, the same token); ``default``: every worker uses the client's
default pacing alone (what a fleet gets without Redis). Printed per run: calls that succeeded, errors that
reached callers, requests and 429s the server saw, its busiest fixed and sliding window against N, elapsed.

``--outage S``: Redis is killed (SIGKILL) ``--outage-at`` seconds into each ``redis`` run and started again
(empty) ``S`` seconds later, with ``retry_interval=0.5``; ``--fallback share`` is the limiter's default
fallback (each process paces at ``limit // processes`` while Redis is out), ``whole`` the old default
(``fallback_limit=limit``: each process paces at the whole budget).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common
import _window_server
import aiohttp

sys.path.insert(0, str(_common.ROOT))
from tests.resilience.redis_server import RedisServer, redis_binary

WORKER = _common.ROOT / "tests" / "resilience" / "redis_worker.py"
TOKEN = "tok_fleet_benchmark_0123456789"


async def _stats(base: str, n: int | None = None, window: float | None = None) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        if n is not None and window is not None:
            await _window_server.configure(session, base, n, window)
            return {}
        return await _window_server.stats(session, base)


def _outage(redis: RedisServer, at: float, seconds: float) -> threading.Thread:
    """Kill Redis ``at`` seconds from now and start it again (empty, same port) ``seconds`` later."""

    def cycle() -> None:
        time.sleep(at)
        if redis.proc is not None:
            redis.proc.kill()
            redis.proc.wait(10)
            redis.proc = None
        time.sleep(seconds)
        redis.restart_same_port()

    thread = threading.Thread(target=cycle, daemon=True)
    thread.start()
    return thread


def run(
    args: argparse.Namespace, limiter: str, base: str, redis: RedisServer, fallback: str = "share"
) -> dict[str, Any]:
    import asyncio

    redis_url = redis.url

    asyncio.run(_stats(base, args.n, args.window))
    config = {
        "base_url": base,
        "redis_url": redis_url,
        "token": TOKEN,
        "limit": args.n,
        "window": args.window,
        "headroom": args.headroom,
        "calls": args.calls,
        "concurrency": args.concurrency,
        "deadline": args.deadline,
        "limiter": limiter,
    }
    if args.outage:
        config.update(redis_timeout=0.25, retry_interval=0.5)
        if fallback == "whole":
            config["fallback_limit"] = args.n
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(args.processes)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line != "ready\n":
                raise RuntimeError(f"worker did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        warm = asyncio.run(_stats(base))["requests"]
        asyncio.run(_stats(base, args.n, args.window))  # the run is judged alone: counters restart here
        t0 = time.perf_counter()
        for proc in procs:  # all start together
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        outage = _outage(redis, args.outage_at, args.outage) if args.outage and limiter == "redis" else None
        outputs = [proc.communicate(timeout=args.deadline + 30) for proc in procs]
        elapsed = time.perf_counter() - t0
        if outage is not None:
            outage.join(30)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    reports = []
    for (out, err), proc in zip(outputs, procs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"worker failed: {err[-2000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    srv = asyncio.run(_stats(base))
    errors: dict[str, int] = {}
    for r in reports:
        for name, count in r["errors"].items():
            errors[name] = errors.get(name, 0) + count
    return {
        "limiter": limiter + (f", Redis out {args.outage:g} s, fallback: {fallback}" if outage else ""),
        "warm_up_requests": warm,
        "ok": sum(r["ok"] for r in reports),
        "errors": errors,
        "requests": srv["requests"],
        "server_429": srv["rejected"],
        "busiest_window": srv["busiest_window"],
        "busiest_sliding_window": srv["busiest_sliding_window"],
        "retries": sum(r["retries"] for r in reports),
        "elapsed": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--calls", type=int, default=1000, help="per process")
    parser.add_argument("--concurrency", type=int, default=50, help="per process")
    parser.add_argument("--n", type=int, default=300, help="requests the server allows per window")
    parser.add_argument("--window", type=float, default=0.5, help="seconds")
    parser.add_argument("--headroom", type=float, default=0.25, help="RedisRateLimiter headroom, seconds")
    parser.add_argument("--limiter", choices=["redis", "default", "both"], default="both")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds per worker run")
    parser.add_argument("--outage", type=float, default=0.0, help="seconds Redis is down in each redis run")
    parser.add_argument("--outage-at", type=float, default=1.5, help="seconds into the run Redis is killed")
    parser.add_argument("--fallback", choices=["share", "whole", "both"], default="both")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    print(_common.machine_note())
    results = []
    with tempfile.TemporaryDirectory(prefix="fleet-redis-") as directory:
        redis = RedisServer(redis_binary(), directory)
        redis.start()
        try:
            with _window_server.WindowServer() as base:
                for limiter in ("redis", "default") if args.limiter == "both" else (args.limiter,):
                    fallbacks = ["share", "whole"] if args.fallback == "both" else [args.fallback]
                    for fallback in fallbacks if limiter == "redis" and args.outage else ["share"]:
                        results.append(run(args, limiter, base, redis, fallback))
        finally:
            redis.stop()
    print(
        f"\n{args.processes} processes x {args.calls} calls, concurrency {args.concurrency} each; the server "
        f"allows {args.n} per {args.window:g} s window\n"
    )
    rows = [
        [
            r["limiter"],
            str(r["ok"]),
            str(sum(r["errors"].values())),
            str(r["requests"]),
            f"{r['server_429']} ({r['server_429'] / max(r['requests'], 1):.2%})",
            f"{r['busiest_window']} / {args.n}",
            str(r["busiest_sliding_window"]),
            str(r["retries"]),
            f"{r['elapsed']:.1f} s",
        ]
        for r in results
    ]
    header = ["limiter", "ok", "errors", "requests", "server 429s", "busiest window", "sliding", "retries", "elapsed"]
    print(_common.table(rows, header))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
