"""One worker process of the multi-process RedisRateLimiter test (and ``benchmarks/bench_redis_fleet.py``).

    python tests/resilience/redis_worker.py '<json config>'

Creates a 2.12 client with a ``RedisRateLimiter`` (same token, Redis and budget as its sibling processes),
prints ``ready``, waits for a line on stdin (so all workers start together), makes ``calls`` calls of
``admins.identify`` through ``concurrency`` workers, and prints one JSON line with what its callers saw.
Bounded: every call has the client's timeouts and retries, and the whole run ``deadline`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's intercom_async

import intercom_async
from intercom_async.ratelimit_redis import RedisRateLimiter


async def main(config: dict[str, Any]) -> dict[str, Any]:
    limiter: Any = None  # "default": each process paces alone (the client's default), for comparison
    if config.get("limiter", "redis") == "redis":
        limiter = RedisRateLimiter(
            config["redis_url"],
            token=config["token"],
            limit=config["limit"],
            window=config["window"],
            headroom=config.get("headroom"),
            redis_timeout=config.get("redis_timeout", 1.0),
            retry_interval=config.get("retry_interval", 5.0),
            fallback_limit=config.get("fallback_limit"),
        )
    client = intercom_async.Intercom(
        config["token"], version="2.12", base_url=config["base_url"], rate_limiter=limiter, timeout=30
    )
    limiter = client._transport.rate_limiter
    left = config["calls"]
    ok = retries = 0
    errors: Counter[str] = Counter()

    async def worker() -> None:
        nonlocal left, ok, retries
        while left > 0:
            left -= 1
            try:
                response = await client.admins.with_raw_response.identify()
            except intercom_async.IntercomError as exc:
                errors[type(exc).__name__] += 1
            else:
                ok += 1
                retries += response.retries

    try:
        await client.admins.identify()  # connections and lazy imports ready before the start line
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(config["concurrency"]))), config["deadline"])
    finally:
        await client.aclose()
        if isinstance(limiter, RedisRateLimiter):
            await limiter.aclose()
    stats = {name: getattr(limiter.stats, name) for name in limiter.stats.__slots__}
    if isinstance(limiter, RedisRateLimiter):
        stats["processes"] = limiter.processes
        stats["fallback_limit"] = limiter.fallback.limit
    return {"ok": ok, "errors": dict(errors), "retries": retries, "stats": stats}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))), flush=True)
