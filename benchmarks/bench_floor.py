"""The floor of issue 11's per-call targets: what the SDK's required work costs with no layers at all.

    .cache/bench-venv/bin/python benchmarks/bench_floor.py [--repeat 7]      # ~40 s

Times CPU per ``GET /contacts/{id}`` (1,000 sequential calls, then 5,000 at concurrency 64), in fresh
interleaved processes against the benchmark server, for four clients:

* ``raw``: raw aiohttp + orjson (``_clients.Raw``, the baseline of ``bench.py``);
* ``floor_unpaced``: the SDK's per-call work written as one coroutine: build the ``Request``, ``prepare`` it,
  send on the client's own session, the size check, the typed parse (``Operation.parse``); no retry loop, no
  layers, no rate limiter;
* ``floor``: the same plus the default pacing (the adaptive limiter's synchronous fast paths);
* ``sdk``: ``client.contacts.find`` with the defaults (``_clients.Sdk``).

The floor clients reach into the SDK's internals and skip everything a call must also do (retries, typed
errors, token rotation, streaming, the closed-client checks): they are lower bounds for measurement, not a way
to call the API. Every client first walks one page of 150 contacts, as ``bench.py`` does (see the README: until
a process frees a large block, raw aiohttp maps and unmaps a read buffer per call).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODES = ("raw", "floor_unpaced", "floor", "sdk")
SEQ, CALLS, CONCURRENCY = 1000, 5000, 64


def make(mode: str) -> Any:
    import _clients

    if mode == "raw":
        return _clients.make("raw_orjson")
    if mode == "sdk":
        return _clients.make("sdk")

    class Floor(_clients.Sdk):  # type: ignore[misc,name-defined,unused-ignore]
        async def open(self, base: str, contact_id: str) -> None:
            await super().open(base, contact_id)
            from intercom_async._request import Request
            from intercom_async._transport import _fits
            from intercom_async._urls import request_url

            op = self.ops["ShowContact"]
            client, transport = self.client, self.client._transport
            limiter = transport.rate_limiter if mode == "floor" else None
            limit = transport.max_response_size
            path_param = next(p[1] for p in op.params if p[2] == "path")

            async def get_contact() -> Any:
                path, params, data, headers = Request(op, path={path_param: contact_id}).prepare()
                url = request_url(client.base_url + path)
                if limiter is not None and not limiter.try_acquire():
                    await limiter.acquire()
                try:
                    async with transport.session().request(
                        op.method, url, headers=headers, params=params, data=data, allow_redirects=False
                    ) as resp:
                        if not _fits(resp, limit, op.method, path):
                            raise RuntimeError("the floor client reads small bodies only")
                        body = await resp.read()
                    if limiter is not None:
                        limiter.try_observe(resp.status, resp.headers)
                finally:
                    if limiter is not None:
                        limiter.release()
                return op.parse(resp.status, body)

            self.get_contact = get_contact  # type: ignore[method-assign]

    return Floor()


async def child(mode: str, base: str) -> dict[str, float]:
    import _clients
    import _common

    client = make(mode)
    await client.open(base, _common.CONTACT_ID)
    try:
        _clients.check_contact("raw_orjson" if mode == "raw" else "sdk", await client.get_contact(), _common.CONTACT_ID)
        await client.walk(_clients.PER_PAGE)
        for _ in range(50):
            await client.get_contact()
        c0 = time.process_time()
        for _ in range(SEQ):
            await client.get_contact()
        seq = (time.process_time() - c0) / SEQ * 1e6
        await _common.run_workers(client.get_contact, 200, CONCURRENCY)
        cpu, _ = await _common.run_workers(client.get_contact, CALLS, CONCURRENCY)
    finally:
        await client.close()
    return {"seq": seq, "conc": cpu / CALLS * 1e6}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes per client (default 7)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "BASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    if args.child:
        print(json.dumps(asyncio.run(child(*args.child))))
        return 0
    import _common

    env = {**os.environ, "PYTHONPATH": str(_common.ROOT)}
    samples: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with _common.ServerProcess() as base:
        for _ in range(args.repeat):
            for mode in MODES:
                command = [sys.executable, str(HERE / "bench_floor.py"), "--child", mode, base]
                out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
                samples[mode].append(json.loads(out.strip().splitlines()[-1]))
    print(_common.machine_note())
    rows = []
    for key, label in (("seq", "sequential"), ("conc", f"concurrency {CONCURRENCY}")):
        raw = _common.median([s[key] for s in samples["raw"]])
        for mode in MODES:
            values = [s[key] for s in samples[mode]]
            spread = f"{min(values):.0f}-{max(values):.0f}"
            rows.append([label, mode, f"{_common.median(values):.1f}", spread, f"{_common.median(values) / raw:.3f}x"])
    print(_common.table(rows, ["CPU per call", "client", "median us", "min-max", "vs raw"], left=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
