"""Instructions per call under valgrind: the per-call CPU figure without the machine's noise.

    .cache/bench-venv/bin/python benchmarks/bench_instructions.py [--clients raw_orjson,sdk] [--branches]

CPU time per call on a shared 2-core VM moves by 10-15% between processes, as much as the differences this
project tunes. The number of instructions the client process executes does not: each client (``_clients.py``)
runs its warm-up and then ``N`` sequential ``GET /contacts/{id}`` under ``valgrind --tool=cachegrind`` against
the benchmark server (its own, untraced process), for two values of ``N``; the difference divided by the
difference in calls is the cost of one call, start-up and warm-up cancelled out. Repeated runs agree within
about 0.5%. ``--branches`` also counts mispredicted branches (the interpreter's dispatch mispredicts more on
code it runs less often, which is part of why a layer costs more time than its instructions suggest).

Instructions are not time: kernel work (the same for every client: one socket write and read per call) is not
counted, and cache misses and mispredictions weigh differently. Use it to compare changes, and the time
figures of ``bench.py`` for the issue's targets. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL, LARGE = 300, 1500


async def child(name: str, base: str, calls: int) -> None:
    import _clients
    import _common

    client = _clients.make(name)
    await client.open(base, _common.CONTACT_ID)
    try:
        _clients.check_contact(name, await client.get_contact(), _common.CONTACT_ID)
        # as bench.py's figures do: a page of 150 contacts first, so every client's allocator has freed a large
        # block and raised its mmap threshold (see the README: otherwise raw aiohttp maps a buffer per call)
        await client.walk(_clients.PER_PAGE)
        for _ in range(50):
            await client.get_contact()
        for _ in range(calls):
            await client.get_contact()
    finally:
        await client.close()


def counted(name: str, base: str, calls: int, branches: bool, env: dict[str, str]) -> dict[str, int]:
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    if branches:
        command.append("--branch-sim=yes")
    command += [sys.executable, str(HERE / "bench_instructions.py"), "--child", name, base, str(calls)]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stderr
    found = {}
    for key, label in (("instructions", r"I\s+refs"), ("mispredicts", r"Mispredicts")):
        match = re.search(label + r":\s+([\d,]+)", out)
        if match:
            found[key] = int(match.group(1).replace(",", ""))
    if "instructions" not in found:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out[-2000:]}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--clients",
        default="raw_orjson,sdk",
        help="comma-separated: any of _clients.NAMES and _clients.VARIANTS (raw_orjson_session_headers, sdk_unpaced)",
    )
    parser.add_argument("--branches", action="store_true", help="also count mispredicted branches (slower)")
    parser.add_argument("--child", nargs=3, metavar=("CLIENT", "BASE", "CALLS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    if args.child:
        name, base, calls = args.child
        asyncio.run(child(name, base, int(calls)))
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    import _clients
    import _common

    names = [n.strip() for n in args.clients.split(",") if n.strip()]
    known = (*_clients.NAMES, *_clients.VARIANTS)
    unknown = set(names) - set(known)
    if unknown:
        parser.error(f"unknown clients {sorted(unknown)}; choose from {', '.join(known)}")
    env = {**os.environ, "PYTHONPATH": str(_common.ROOT)}
    rows: list[list[str]] = []
    per_call: dict[str, dict[str, float]] = {}
    with _common.ServerProcess() as base:
        for name in names:
            small = counted(name, base, SMALL, args.branches, env)
            large = counted(name, base, LARGE, args.branches, env)
            per_call[name] = {key: (large[key] - small[key]) / (LARGE - SMALL) for key in large}
    baseline = per_call.get("raw_orjson")
    for name, figures in per_call.items():
        row = [{**_clients.LABELS, **_clients.VARIANTS}[name], f"{figures['instructions'] / 1000:,.1f}k"]
        row.append(f"{figures['instructions'] / baseline['instructions']:.3f}x" if baseline else "")
        if args.branches:
            row.append(f"{figures.get('mispredicts', 0) / 1000:,.2f}k")
        rows.append(row)
    header = ["client", "instructions per GET /contacts/{id}", "vs raw aiohttp + orjson"]
    if args.branches:
        header.append("mispredicted branches")
    print(_common.table(rows, header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
