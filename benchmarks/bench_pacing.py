"""Default pacing: what it prevents under load and what it costs per call.

    .venv/bin/python benchmarks/bench_pacing.py [--quick] [--repeats N] [--json out.json]

A rate-limiting server (``_window_server.py``, its own process, so this process's CPU time is the client's
alone) answers ``GET /me`` like Intercom, with ``X-RateLimit-*`` headers and 429 beyond N per window.

1. Load: ``--calls`` (2,000) ``identify_admin`` calls through ``--concurrency`` (100) workers against N=200 per
   1-second window, with the default ``RetryPolicy``, for three settings: ``rate_limiter=False`` (no pacing:
   the behaviour before default pacing), the default (``rate_limiter=None``: adaptive, shared per token), and
   an explicit ``InProcessRateLimiter(200, 1.0)``. Printed: ``RateLimitError``s that reached callers, 429s the
   server sent, the busiest fixed and sliding window, elapsed time.
2. Cost: the same call against a server that never limits (remaining in the millions, reset in the
   future, so the limiter runs its whole path); CPU time per call (``time.process_time``), sequential and
   with 100 concurrent workers, with and without default pacing, interleaved over many rounds; the median
   and quartiles of each, and of the paired per-round difference (noisy on a busy machine).
3. The default limiter's own methods, without HTTP: the cost the first table's difference estimates.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import _common
import _window_server
import aiohttp

import intercom_async


async def drive(client: Any, calls: int, concurrency: int) -> tuple[int, int, list[BaseException]]:
    """(ok, retries, errors) for ``calls`` calls through ``concurrency`` workers."""
    left = calls
    ok = retries = 0
    errors: list[BaseException] = []

    async def worker() -> None:
        nonlocal left, ok, retries
        while left > 0:
            left -= 1
            try:
                response = await client.admins.with_raw_response.identify()
            except intercom_async.IntercomError as exc:
                errors.append(exc)
            else:
                ok += 1
                retries += response.retries

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return ok, retries, errors


def limiter_for(setting: str, n: int, window: float) -> Any:
    if setting == "off":
        return False
    if setting == "default":
        return None
    return intercom_async.InProcessRateLimiter(n, window)


async def load(args: argparse.Namespace, base: str, session: aiohttp.ClientSession) -> list[dict[str, Any]]:
    rows = []
    for rep in range(args.repeats):
        for setting in ("off", "default", "explicit"):
            await _window_server.configure(session, base, args.n, args.window)
            token = f"tok-load-{setting}-{rep}"
            limiter = limiter_for(setting, args.n, args.window)
            async with intercom_async.Intercom(token, version="2.12", base_url=base, rate_limiter=limiter) as client:
                t0 = time.perf_counter()
                ok, retries, errors = await drive(client, args.calls, args.concurrency)
                elapsed = time.perf_counter() - t0
            srv = await _window_server.stats(session, base)
            rows.append(
                {
                    "setting": setting,
                    "ok": ok,
                    "caller_429": sum(isinstance(e, intercom_async.RateLimitError) for e in errors),
                    "other_errors": sum(not isinstance(e, intercom_async.RateLimitError) for e in errors),
                    "server_429": srv["rejected"],
                    "server_429_share": srv["rejected"] / max(srv["requests"], 1),
                    "retries": retries,
                    "busiest_window": srv["busiest_window"],
                    "busiest_sliding_window": srv["busiest_sliding_window"],
                    "elapsed": elapsed,
                }
            )
    return rows


async def cpu_per_call(client: Any, calls: int, concurrency: int) -> float:
    c0 = time.process_time()
    ok, _, errors = await drive(client, calls, concurrency)
    assert ok == calls and not errors, errors[:3]
    return (time.process_time() - c0) / calls


async def cost(args: argparse.Namespace, base: str, session: aiohttp.ClientSession) -> dict[str, Any]:
    await _window_server.configure(session, base, 9_000_000, 3600.0)  # never limits; reset an hour ahead
    clients = {
        "off": intercom_async.Intercom("tok-cost", version="2.12", base_url=base, rate_limiter=False),
        "default": intercom_async.Intercom("tok-cost", version="2.12", base_url=base),
    }
    samples: dict[tuple[str, str], list[float]] = {}
    try:
        for client in clients.values():  # warm-up: connections, lazy imports
            await cpu_per_call(client, 200, 1)
            await cpu_per_call(client, 500, args.concurrency)
        for r in range(args.rounds):
            order = list(clients.items())
            for name, client in order if r % 2 == 0 else order[::-1]:  # alternate: no order bias
                samples.setdefault((name, "sequential"), []).append(await cpu_per_call(client, args.seq, 1))
                samples.setdefault((name, "concurrent"), []).append(
                    await cpu_per_call(client, args.calls, args.concurrency)
                )
        limiter = clients["default"]._transport.rate_limiter
        assert isinstance(limiter, intercom_async.InProcessRateLimiter) and limiter.stats.waits == 0
    finally:
        for client in clients.values():
            await client.aclose()
    return {f"{name}/{mode}": values for (name, mode), values in samples.items()}


def _spread(values: list[float], signed: bool = False) -> str:
    fmt = "{:+.1f}" if signed else "{:.0f}"
    q1, med, q3 = (_common.quantile(values, q) * 1e6 for q in (0.25, 0.5, 0.75))
    return f"{fmt.format(med)} [{fmt.format(q1)}, {fmt.format(q3)}] us"


async def limiter_alone(rounds: int = 5, calls: int = 50_000) -> list[float]:
    """CPU per call of the default limiter's three methods, on the headers aiohttp hands over."""
    from multidict import CIMultiDict, CIMultiDictProxy

    headers = CIMultiDictProxy(
        CIMultiDict(
            {
                "Content-Type": "application/json",
                "X-Request-Id": "000f0bench",
                "X-RateLimit-Limit": "9000000",  # the same answer every time: a budget that never runs out
                "X-RateLimit-Remaining": "8999000",
                "X-RateLimit-Reset": f"{time.time() + 3600:.0f}",
            }
        )
    )
    limiter = intercom_async.InProcessRateLimiter()
    out = []
    for _ in range(rounds):
        c0 = time.process_time()
        for _ in range(calls):
            await limiter.acquire()
            await limiter.observe(200, headers)
            limiter.release()
        out.append((time.process_time() - c0) / calls)
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    print(_common.machine_note())
    with _window_server.WindowServer() as base:
        async with aiohttp.ClientSession() as session:
            rows = await load(args, base, session) if not args.cost_only else []
            print(
                f"\n1. Load: {args.calls} calls, concurrency {args.concurrency}, server allows {args.n} per "
                f"{args.window:g} s window, default RetryPolicy (2 retries)\n"
            )
            print(
                _common.table(
                    [
                        [
                            r["setting"],
                            str(r["ok"]),
                            str(r["caller_429"]),
                            str(r["other_errors"]),
                            f"{r['server_429']} ({r['server_429_share']:.1%})",
                            str(r["busiest_window"]),
                            str(r["busiest_sliding_window"]),
                            f"{r['elapsed']:.1f} s",
                        ]
                        for r in rows
                    ],
                    ["rate_limiter", "ok", "RateLimitError", "other", "server 429s", "busiest", "sliding", "elapsed"],
                )
            )
            costs = await cost(args, base, session)
    print(f"\n2. CPU per call (client process), {args.rounds} interleaved rounds: median [p25, p75]\n")
    table = []
    for mode in ("sequential", "concurrent"):
        off, on = costs[f"off/{mode}"], costs[f"default/{mode}"]
        diffs = [b - a for a, b in zip(off, on, strict=True)]  # paired: the two runs of one round ran back to back
        table.append([mode, _spread(off), _spread(on), _spread(diffs, signed=True)])
    print(_common.table(table, ["calls", "rate_limiter=False", "default pacing", "paired difference"]))
    alone = await limiter_alone()
    costs["limiter_alone"] = alone
    print(
        f"\n3. The default limiter alone (acquire + observe of Intercom-like aiohttp headers + release), "
        f"no HTTP: {_common.median(alone) * 1e6:.1f} us per call (median of {len(alone)} x 50,000)"
    )
    return {"load": rows, "cost": costs}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--n", type=int, default=200, help="requests allowed per window")
    parser.add_argument("--window", type=float, default=1.0, help="seconds")
    parser.add_argument("--repeats", type=int, default=1, help="load runs per setting")
    parser.add_argument("--rounds", type=int, default=20, help="cost rounds")
    parser.add_argument("--seq", type=int, default=500, help="sequential calls per cost round")
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    parser.add_argument("--cost-only", action="store_true", help="skip the load part")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.rounds, args.seq = 600, 4, 300
    result = asyncio.run(main(args))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)
