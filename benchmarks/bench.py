"""Issue 11's figures in one run: raw aiohttp + json, raw aiohttp + orjson, intercom_async and python-intercom
side by side, against one local aiohttp server, each figure from several fresh processes.

    make bench                                    # full run (3-5 min), also rewrites the table in README.md
    make bench BENCH_ARGS=--quick                 # smoke run (~30 s), README untouched
    .cache/bench-venv/bin/python benchmarks/bench.py [--quick] [--repeat N] [--import-runs N]
        [--clients raw_json,raw_orjson,sdk,official] [--official-100k] [--no-readme] [--json PATH]

Every sample comes from a fresh interpreter (``--repeat`` per client, default 3; imports ``--import-runs``,
default 7), clients interleaved within each repetition; the table shows the median and the min-max of the
samples, and each client's ratio to raw aiohttp + orjson (plain dicts), the baseline of the targets.

* calls process: open the client, warm up (20 ``GET /contacts/{id}``, one page of ``GET /contacts``), then
  walk ``--items`` contacts at per_page=150 (contacts/s = items / wall; client CPU per contact; peak RSS),
  sequential ``GET /contacts/{id}`` (client CPU per call), ``--calls`` calls through 64 concurrent workers
  (client CPU per call, calls/s), and the bytes-to-model parse of a 100-part conversation (median wall ms
  per call, garbage collector on);
* memory process: the same warm-up, then a walk of ``--big-items`` contacts; peak RSS (``ru_maxrss``);
* import process: ``import <library>`` timed first thing, then client creation + the first
  ``GET /contacts/{id}`` (wall ms, including anything the library imports on first use).

The server runs in its own process, so ``time.process_time()`` in a client process is the client's CPU alone.
Fixtures and server: ``_common.py``; the four clients: ``_clients.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _clients
import _common

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BASELINE = "raw_orjson"
WARM_CALLS = 20


# ------------------------------------------------------------------ what runs in the client processes


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def warm_up(client: _clients.Client, name: str) -> None:
    _clients.check_contact(name, await client.get_contact(), _common.CONTACT_ID)
    for _ in range(WARM_CALLS):
        await client.get_contact()
    await client.walk(_clients.PER_PAGE)


async def timed_walk(client: _clients.Client, n: int) -> dict[str, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    seen = await client.walk(n)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if seen != n:
        raise RuntimeError(f"walked {seen} contacts, expected {n}")
    return {"walk_per_s": n / wall, "walk_cpu_us": cpu / n * 1e6, "rss_mb": peak_rss_mb()}


def parse_ms(parse: Callable[[bytes], Any], body: bytes, budget_s: float, max_runs: int = 400) -> float:
    """Median wall ms of one ``parse(body)``: after 5 warm-up calls, up to ``max_runs`` calls or ``budget_s``."""
    for _ in range(5):
        parse(body)
    times: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(times) < max_runs and (len(times) < 5 or time.perf_counter() < deadline):
        t0 = time.perf_counter_ns()
        parse(body)
        times.append((time.perf_counter_ns() - t0) / 1e6)
    return _common.median(times)


async def child_calls(name: str, base: str, s: dict[str, Any]) -> dict[str, float]:
    client = _clients.make(name)
    await client.open(base, _common.CONTACT_ID)
    try:
        await warm_up(client, name)
        out = await timed_walk(client, s["items"])
        c0 = time.process_time()
        for _ in range(s["seq"]):
            await client.get_contact()
        out["seq_cpu_us"] = (time.process_time() - c0) / s["seq"] * 1e6
        await _common.run_workers(client.get_contact, 200, s["concurrency"])  # opens the pool's connections
        cpu, wall = await _common.run_workers(client.get_contact, s["calls"], s["concurrency"])
        out["conc_cpu_us"], out["conc_per_s"] = cpu / s["calls"] * 1e6, s["calls"] / wall
    finally:
        await client.close()
    gc.collect()
    body = _common.encode(_common.make_conversation())
    out["parse_ms"] = parse_ms(client.parse_conversation, body, s["parse_budget"])
    return out


async def child_memory(name: str, base: str, n: int) -> dict[str, float]:
    client = _clients.make(name)
    await client.open(base, _common.CONTACT_ID)
    try:
        await warm_up(client, name)
        walk = await timed_walk(client, n)
    finally:
        await client.close()
    return {"rss_big_mb": walk["rss_mb"], "big_walk_per_s": walk["walk_per_s"]}


# Import + first call: everything before `t1` is the timed import; _clients (stdlib only) comes after it.
IMPORT_CHILD = """
import sys, time
t0 = time.perf_counter()
{statement}
t1 = time.perf_counter()
import asyncio, json
sys.path.insert(0, {here!r})
import _clients

async def first_call():
    t = time.perf_counter()
    client = _clients.make({name!r})
    await client.open(sys.argv[1], sys.argv[2])
    result = await client.get_contact()
    ms = (time.perf_counter() - t) * 1e3
    _clients.check_contact({name!r}, result, sys.argv[2])
    await client.close()
    return ms

first_ms = asyncio.run(first_call())
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "first_call_ms": first_ms, "import_first_ms": (t1 - t0) * 1e3 + first_ms}}))
"""


# ------------------------------------------------------------------ the parent: processes, table, README


def run_child(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(_common.ROOT), timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark process failed: {' '.join(cmd[:4])}...\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def available(name: str, env: dict[str, str]) -> str | None:
    """None when the client's library imports in this interpreter, else why not."""
    code = _clients.IMPORTS[name]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return None if proc.returncode == 0 else proc.stderr.strip().splitlines()[-1]


Samples = dict[str, dict[str, list[float]]]  # client -> figure key -> one value per process


class Figure:
    """One row of the table: ``key`` in the samples, a label, a number format, and the issue's target for the
    SDK: ``(">=", x)`` / ``("<=", x)`` on the ratio (or on the difference in ms when ``diff_vs`` names the
    client to subtract), ``("max", ms)`` on the value itself, or ``("flat", 0)`` for memory."""

    def __init__(
        self, key: str, label: str, fmt: str, target: tuple[str, float] | None = None, diff_vs: str | None = None
    ) -> None:
        self.key, self.label, self.fmt, self.target, self.diff_vs = key, label, fmt, target, diff_vs

    def compare(self, results: Samples, name: str) -> float | None:
        """The client's median against the baseline's: a ratio, or a difference when ``diff_vs`` is set."""
        base_name = self.diff_vs or BASELINE
        if not results.get(name, {}).get(self.key) or not results.get(base_name, {}).get(self.key):
            return None
        value, base = (_common.median(results[n][self.key]) for n in (name, base_name))
        return value - base if self.diff_vs else value / base

    def compare_text(self, results: Samples, name: str) -> str:
        c = self.compare(results, name)
        if c is None:
            return ""
        return f"{c:+.1f} ms" if self.diff_vs else f"{c:.2f}x" if c >= 0.1 else f"{c:.3f}x"

    def target_text(self) -> str:
        if self.target is None:
            return ""
        kind, limit = self.target
        if kind == "flat":
            return "flat"
        if kind == "max":
            return f"<= {limit:g} ms"
        return f"{kind} +{limit:g} ms" if self.diff_vs else f"{kind} {limit:g}x"

    def verdict(self, results: Samples) -> str:
        """The SDK against the target: MET / NOT MET (for memory: its growth over the shorter walk)."""
        sdk = results.get("sdk", {})
        if self.target is None or not sdk.get(self.key):
            return ""
        kind, limit = self.target
        value = _common.median(sdk[self.key])
        if kind == "flat":
            return f"{value - _common.median(sdk['rss_mb']):+.1f} MB over the shorter walk" if sdk.get("rss_mb") else ""
        if kind == "max":
            return "MET" if value <= limit else "NOT MET"
        c = self.compare(results, "sdk")
        if c is None:
            return "no baseline"
        return "MET" if (c >= limit if kind == ">=" else c <= limit) else "NOT MET"


def figures(s: dict[str, Any], conversation_kb: float) -> list[Figure]:
    calls = f"{s['calls']:,} calls at concurrency {s['concurrency']}"
    return [
        Figure("walk_per_s", f"pagination: contacts/s ({s['items']:,}, per_page 150)", "{:,.0f}", (">=", 0.9)),
        Figure("walk_cpu_us", "pagination: client CPU per contact (us)", "{:.1f}"),
        Figure("rss_mb", f"peak RSS walking {s['items']:,} contacts (MB)", "{:.1f}"),
        Figure("rss_big_mb", f"peak RSS walking {s['big_items']:,} contacts (MB)", "{:.1f}", ("flat", 0)),
        Figure("seq_cpu_us", "CPU per call, sequential GET /contacts/{id} (us)", "{:.0f}", ("<=", 1.1)),
        Figure("conc_cpu_us", f"CPU per call, {calls} (us)", "{:.0f}", ("<=", 1.2)),
        Figure("conc_per_s", f"calls/s, {calls}", "{:,.0f}"),
        Figure(
            "parse_ms", f"{conversation_kb:.1f} KB conversation, 100 parts, bytes to model (ms)", "{:.3f}", ("<=", 1.5)
        ),
        Figure("import_ms", "import (ms)", "{:.1f}", ("<=", 30), diff_vs="raw_json"),
        Figure("first_call_ms", "first call after client creation (wall ms)", "{:.1f}", ("max", 150)),
        Figure("import_first_ms", "import + client creation + first call (wall ms)", "{:.1f}"),
    ]


# What each client runs for the figures whose client column would otherwise be ambiguous.
DETAIL = {
    "parse_ms": {"raw_json": "json.loads", "raw_orjson": "orjson.loads", "sdk": "Operation.parse(200, body)"},
    "import_ms": _clients.IMPORTS,
}
DETAIL["parse_ms"]["official"] = "construct_type(Conversation, json.loads)"


def cell(fig: Figure, values: list[float]) -> tuple[str, str]:
    if not values:
        return "n/a", ""
    return fig.fmt.format(_common.median(values)), f"{fig.fmt.format(min(values))}-{fig.fmt.format(max(values))}"


def text_table(figs: list[Figure], results: Samples, notes: dict[str, str]) -> str:
    rows = []
    for fig in figs:
        first = True
        for name, per in results.items():
            median, spread = cell(fig, per.get(fig.key, []))
            client = DETAIL.get(fig.key, {}).get(name, _clients.LABELS[name])
            ratio = (
                fig.compare_text(results, name) if per.get(fig.key) else notes.get(f"{name}:{fig.key}", "not measured")
            )
            target = f"{fig.target_text()}: {fig.verdict(results)}" if name == "sdk" and fig.target else ""
            rows.append([fig.label if first else "", client, median, spread, ratio, target])
            first = False
    return _common.table(rows, ["figure", "client", "median", "min-max", "vs baseline", "target (SDK)"], left=2)


def markdown_table(figs: list[Figure], results: Samples, notes: dict[str, str]) -> str:
    names = list(results)
    head = ["figure", *(_clients.LABELS[n] for n in names), "SDK vs baseline", "target (SDK)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for fig in figs:
        cells = []
        for name in names:
            values = results[name].get(fig.key, [])
            median, spread = cell(fig, values)
            cells.append(f"{median} ({spread})" if values else notes.get(f"{name}:{fig.key}", "not measured"))
        ratio = fig.compare_text(results, "sdk")
        target = f"{fig.target_text()}: {fig.verdict(results)}" if fig.target else ""
        lines.append("| " + " | ".join([fig.label, *cells, ratio, target]) + " |")
    return "\n".join(lines)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write_readme(block: str) -> None:
    start, end = "<!-- bench-results:start -->", "<!-- bench-results:end -->"
    text = README.read_text()
    if start not in text or end not in text:
        raise RuntimeError(f"{README} lacks the {start} / {end} markers")
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    README.write_text(f"{before}{start}\n{block}\n{end}{after}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 process per figure, fewer calls")
    parser.add_argument("--repeat", type=int, help="fresh processes per client and figure (default 3, quick 1)")
    parser.add_argument("--import-runs", type=int, help="fresh processes per import figure (default 7, quick 2)")
    parser.add_argument("--clients", default=",".join(_clients.NAMES), help="comma-separated subset")
    parser.add_argument("--items", type=int, default=10_000, help="contacts walked for throughput")
    parser.add_argument("--big-items", type=int, help="contacts walked for memory (default 100,000, quick 30,000)")
    parser.add_argument("--seq", type=int, help="sequential calls (default 1,000, quick 200)")
    parser.add_argument("--calls", type=int, help="concurrent calls (default 5,000, quick 1,000)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--official-100k", action="store_true", help="also walk --big-items with python-intercom")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite the table in benchmarks/README.md")
    parser.add_argument("--json", metavar="PATH", help="also write every sample as JSON")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "CLIENT", "BASE", "SETTINGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        mode, name, base, settings = args.child
        s = json.loads(settings)
        coro = child_calls(name, base, s) if mode == "calls" else child_memory(name, base, s["big_items"])
        print(json.dumps(asyncio.run(coro)))
        return 0

    q = args.quick
    s = {
        "items": args.items,
        "big_items": args.big_items or (30_000 if q else 100_000),
        "seq": args.seq or (200 if q else 1_000),
        "calls": args.calls or (1_000 if q else 5_000),
        "concurrency": args.concurrency,
        "parse_budget": 0.5 if q else 1.5,
    }
    repeat = args.repeat or (1 if q else 3)
    import_runs = args.import_runs or (2 if q else 7)
    asked = {n.strip() for n in args.clients.split(",") if n.strip()}
    names = [n for n in _clients.NAMES if n in asked]
    unknown = asked - set(_clients.NAMES)
    if unknown:
        parser.error(f"unknown clients {sorted(unknown)}; choose from {', '.join(_clients.NAMES)}")

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    results: Samples = {}
    notes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as pyc:
        # Children reuse .pyc files from a private prefix (as after `pip install`; nothing written into the tree).
        env = {**os.environ, "PYTHONPATH": str(_common.ROOT), "PYTHONPYCACHEPREFIX": pyc}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("INTERCOM_TOKEN", None)
        env.pop("INTERCOM_API_KEY", None)
        for name in names:
            why = available(name, env)
            if why:
                print(f"skipping {_clients.LABELS[name]}: {why} (run `make bench` for the bench virtualenv)")
            else:
                results[name] = {}
        if BASELINE not in results:
            print("note: raw aiohttp + orjson is not in this run, so there is no baseline: ratios are left out")

        def child(mode: str, name: str) -> dict[str, float]:
            t0 = time.perf_counter()
            cmd = [sys.executable, str(HERE / "bench.py"), "--child", mode, name, base, json.dumps(s)]
            out = run_child(cmd, env)
            print(f"  {mode:<7} {_clients.LABELS[name]:<22} {time.perf_counter() - t0:5.1f} s", file=sys.stderr)
            return out

        with _common.ServerProcess() as base:
            for r in range(repeat):
                print(f"repetition {r + 1}/{repeat}", file=sys.stderr)
                for name in results:
                    for key, value in child("calls", name).items():
                        results[name].setdefault(key, []).append(value)
                for name in results:
                    if name == "official" and not args.official_100k:
                        eta = s["big_items"] / _common.median(results[name]["walk_per_s"])
                        notes["official:rss_big_mb"] = f"not run (~{eta:.0f} s per process; --official-100k)"
                        continue
                    for key, value in child("memory", name).items():
                        results[name].setdefault(key, []).append(value)
            print("imports", file=sys.stderr)
            for r in range(import_runs + 1):  # the first round only fills the .pyc prefix and the OS file cache
                for name in results:
                    code = IMPORT_CHILD.format(statement=_clients.IMPORTS[name], here=str(HERE), name=name)
                    out = run_child([sys.executable, "-c", code, base, _common.CONTACT_ID], env)
                    if r:
                        for key, value in out.items():
                            results[name].setdefault(key, []).append(value)

    conversation_kb = len(_common.encode(_common.make_conversation())) / 1000
    figs = figures(s, conversation_kb)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    today = datetime.date.today().isoformat()
    header = (
        f"{today}; {machine()}; aiohttp server on 127.0.0.1 in its own process; {repeat} fresh processes per"
        f" figure and client ({import_runs} for import / first call); load average {load_before:.2f} before,"
        f" {load_after:.2f} after; run took {elapsed:.0f} s"
    )
    print(f"\n{header}\n")
    print(text_table(figs, results, notes))
    print(
        "\nvs baseline: client median / raw aiohttp + orjson median (import: difference to `import aiohttp`, as in"
        " the target); min-max over the fresh processes is the run's noise."
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": s, "header": header, "results": results}, indent=1))
    if q or args.no_readme or list(results) != list(_clients.NAMES):
        print(f"\n{README.name} left unchanged (only a full run with all four clients rewrites its table)")
    else:
        command = f"benchmarks/bench.py {' '.join(sys.argv[1:])}" if sys.argv[1:] else "make bench"
        legend = (
            "Cells: median (min-max) over the fresh processes. SDK vs baseline: intercom_async / raw aiohttp + orjson"
            " (import: difference to `import aiohttp`). Bytes to model runs "
            + " / ".join(f"`{DETAIL['parse_ms'][n]}`" for n in results)
            + "; import runs "
            + " / ".join(f"`{_clients.IMPORTS[n]}`" for n in results)
            + "."
        )
        block = f"`{command}`, {header}.\n\n{markdown_table(figs, results, notes)}\n\n{legend}"
        write_readme(block)
        print(f"\nwrote the table into {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
