"""A rate-limiting Intercom look-alike for the pacing benchmarks, in its own process on 127.0.0.1.

Not a test helper and not part of the SDK. ``GET /me`` answers a small admin with Intercom-like
``X-RateLimit-Limit/Remaining/Reset`` headers, counting arrivals in fixed windows of ``window`` seconds (aligned
to the last ``POST /_config``) and answering 429 ``rate_limit_exceeded`` beyond ``n`` per window.
``POST /_config?n=..&window=..`` resets the counters; ``GET /_stats`` returns the arrivals, the 429s, the
busiest fixed window, the busiest sliding window of ``window`` seconds, and the server's CPU time.
"""

from __future__ import annotations

import json
from typing import Any

import _common


def _serve(conn: Any, cpu: int | None = None) -> None:
    import asyncio
    import time
    from collections import Counter

    from aiohttp import web

    admin = json.dumps({"type": "admin", "id": "991", "email": "ops@example.com", "name": "Ops"}).encode()
    state: dict[str, Any] = {}

    def configure(n: int, window: float) -> None:
        state.update(n=n, window=window, t0=time.monotonic(), wall0=time.time(), counts=Counter(), arrivals=[])
        state["rejected"] = 0

    configure(10**9, 10.0)

    async def me(request: web.Request) -> web.Response:
        now = time.monotonic()
        n, window = state["n"], state["window"]
        k = int((now - state["t0"]) // window)
        counts = state["counts"]
        counts[k] += 1
        state["arrivals"].append(now)
        headers = {
            "X-Request-Id": "000f0bench",
            "X-RateLimit-Limit": str(n),
            "X-RateLimit-Remaining": str(max(n - counts[k], 0)),
            "X-RateLimit-Reset": f"{state['wall0'] + (k + 1) * window:.3f}",
        }
        if counts[k] > n:
            state["rejected"] += 1
            body = {"type": "error.list", "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded"}]}
            return web.json_response(body, status=429, headers=headers)
        return web.Response(body=admin, content_type="application/json", headers=headers)

    async def config(request: web.Request) -> web.Response:
        configure(int(request.query["n"]), float(request.query["window"]))
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        times = sorted(state["arrivals"])
        best = lo = 0
        for hi, t in enumerate(times):
            while t - times[lo] >= state["window"]:
                lo += 1
            best = max(best, hi - lo + 1)
        body = {
            "requests": len(times),
            "rejected": state["rejected"],
            "busiest_window": max(state["counts"].values(), default=0),
            "busiest_sliding_window": best,
            "span": times[-1] - times[0] if len(times) > 1 else 0.0,
            "cpu": time.process_time(),
        }
        return web.json_response(body)

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/me", me)
        app.router.add_post("/_config", config)
        app.router.add_get("/_stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=2048)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_reader(conn.fileno(), stop.set)
        conn.send(runner.addresses[0][1])
        await stop.wait()
        loop.remove_reader(conn.fileno())
        await runner.cleanup()

    asyncio.run(main())


def WindowServer() -> _common.ServerProcess:
    """``with WindowServer() as base_url:`` the server above in a fresh process."""
    return _common.ServerProcess(serve=_serve, name="window server")


async def configure(session: Any, base_url: str, n: int, window: float) -> None:
    async with session.post(f"{base_url}/_config", params={"n": str(n), "window": str(window)}) as resp:
        resp.raise_for_status()


async def stats(session: Any, base_url: str) -> dict[str, Any]:
    async with session.get(f"{base_url}/_stats") as resp:
        return json.loads(await resp.read())
