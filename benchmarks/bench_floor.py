"""The floor of issue 11's per-call targets: what the SDK's required work costs with no layers at all.

    .cache/bench-venv/bin/python benchmarks/bench_floor.py [--repeat 7]      # ~40 s

CPU per ``GET /contacts/{id}`` (1,000 sequential calls, then 5,000 at concurrency 64), in fresh interleaved
processes against the benchmark server, for four clients of ``_clients.py``: raw aiohttp + orjson (the
baseline of ``bench.py``), ``sdk_floor_unpaced`` and ``sdk_floor`` (the SDK's per-call work written as one
coroutine, without and with the default pacing: ``_clients.Floor``, a lower bound that reaches into the SDK's
internals) and the SDK itself. Each process is ``bench.py``'s own calls process with a walk of one page: so every
client has freed a large block first (see the README on the allocator), and the figures are measured exactly
as ``bench.py`` measures its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import _common
import bench

CLIENTS = ("raw_orjson", "sdk_floor_unpaced", "sdk_floor", "sdk")
SETTINGS = {"items": 150, "big_items": 0, "seq": 1000, "calls": 5000, "concurrency": 64, "parse_budget": 0.05}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes per client (default 7)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(_common.ROOT)}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in CLIENTS}
    with _common.ServerProcess() as base:
        for _ in range(args.repeat):
            for name in CLIENTS:
                command = [sys.executable, str(bench.HERE / "bench.py"), "--child", "calls", name, base]
                samples[name].append(bench.run_child([*command, json.dumps(SETTINGS)], env))
    print(_common.machine_note())
    rows = []
    for key, label in (("seq_cpu_us", "sequential"), ("conc_cpu_us", "concurrency 64")):
        raw = _common.median([sample[key] for sample in samples["raw_orjson"]])
        for name in CLIENTS:
            values = [sample[key] for sample in samples[name]]
            median = _common.median(values)
            rows.append([label, name, f"{median:.1f}", f"{min(values):.0f}-{max(values):.0f}", f"{median / raw:.3f}x"])
    print(_common.table(rows, ["CPU per call", "client", "median us", "min-max", "vs raw"], left=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
