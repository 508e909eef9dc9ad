"""``make bench-sync``: exports at Intercom's rate limit, on the simulated workspace (issue 17).

    .venv/bin/python benchmarks/bench_sync.py [--contacts 100000] [--conversations 20000] [--latency 0.3]
        [--limit 600] [--window 10] [--sequential-seconds 20] [--kill-at 0.4] [--json FILE]

Three kinds of processes, so that each one's memory and CPU are its own:

* the server: ``FakeIntercom("2.16")`` serving a ``Workspace`` of ``--contacts`` contacts and ``--conversations``
  conversations (2 parts each) created over the past year, answering after ``--latency`` seconds, allowing
  ``--limit`` requests per app per fixed ``--window``-second window (429 beyond, ``X-RateLimit-*`` headers);
* one client process per run: a 2.16 client with the default pacing (it follows ``X-RateLimit-*``), which
  writes the id of every item delivered to a file (``os.write`` per item: an item is in the file once the
  loop body returns, even across ``kill -9``), and reports its peak RSS and RSS samples as items go by;
* this process: starts them, starts each timed run at the start of a server window, with a new token (a new
  app, whose window budget is untouched), and reads the server's counters after each run.

Runs: ``export(client, "contacts")``; ``export(client, "conversations", enrich=True)`` (each conversation fetched
in full, with its parts); the same two as one sequential ``async for`` (``contacts.list``;
``conversations.list`` + ``conversations.find`` per item), stopped after ``--sequential-seconds`` and
extrapolated to the whole export; and an export of the contacts with a ``FileCheckpointStore`` killed
(``SIGKILL``) once ``--kill-at`` of them were delivered, then run again on the same store: items lost (in the
workspace, never delivered) and re-delivered (delivered by both runs).

The ceiling is what the limit allows: ``limit / window`` requests a second, ``per_page`` (150) items each; with
enrichment each item costs one more request, so the ceiling is ``limit / window * per_page / (per_page + 1)``
items a second. The server's windows are fixed, so a run may spend a window's budget in a burst: a run lasting
a window or two can come out slightly above the long-run ceiling; the requests per window show how it went.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common

HERE = Path(__file__).resolve()
DAY = 86400
PER_PAGE = 150


# ------------------------------------------------------------------------------------------ the server process


async def serve(cfg: dict[str, Any]) -> None:
    from intercom_async.testing import FakeIntercom, Workspace

    ws = Workspace(timezone="America/Los_Angeles", seed=0)
    now = time.time()
    ws.add("contacts", cfg["contacts"], created_from=now - 365 * DAY, created_to=now - 3600)
    ws.add("conversations", cfg["conversations"], created_from=now - 365 * DAY, created_to=now - 3600, parts=2)
    fake = FakeIntercom(
        "2.16", workspace=ws, latency=cfg["latency"], rate_limit=cfg["limit"], rate_window=cfg["window"]
    )
    fake.per_page = PER_PAGE
    await fake.start()
    origin = time.time()  # the fake's windows start at its start (within a millisecond)
    print(json.dumps({"base_url": fake.base_url, "origin": origin}), flush=True)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = (await loop.run_in_executor(None, sys.stdin.readline)).split()
            if not line or line[0] == "quit":
                break
            answer: Any = {}
            if line[0] == "token":
                answer = {"token": fake.new_token()}
            elif line[0] == "reset":
                fake.stats.reset()
            elif line[0] == "stats":
                s = fake.stats
                windows = [s.windows[k] for k in sorted(s.windows)]
                answer = {"requests": s.requests, "limited": s.limited, "max_app": s.max_app_window, "windows": windows}
            elif line[0] == "ids":  # ids KIND PATH: the workspace's ids of KIND, one a line
                Path(line[2]).write_text("".join(f"{r['id']}\n" for r in ws.records(line[1])))
                answer = {"count": len(ws.records(line[1]))}
            print(json.dumps(answer), flush=True)
    finally:
        await fake.close()


# ------------------------------------------------------------------------------------------ a client process


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def run(cfg: dict[str, Any]) -> dict[str, Any]:
    import intercom_async
    from intercom_async.sync import FileCheckpointStore, export

    client = intercom_async.Intercom(cfg["token"], version="2.16", base_url=cfg["base_url"])
    fd = os.open(cfg["ids_file"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    samples: list[tuple[int, int]] = []
    count = 0
    step = max(1, cfg["expected"] // 10)
    await client.admins.identify()  # connection and lazy imports ready before the start line (1 request)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.perf_counter()
    progress: Any = None
    try:
        if cfg["mode"] == "export":
            options: dict[str, Any] = {"enrich": cfg["enrich"]}
            if cfg.get("store"):
                options.update(store=FileCheckpointStore(cfg["store"]), name="bench")
            for name in ("concurrency", "enrich_concurrency"):
                if cfg.get(name):
                    options[name] = cfg[name]
            trace: list[list[float]] = []
            if cfg.get("trace"):  # progress snapshots: seconds, items, requests, partitions done, requests/s
                options.update(
                    progress_interval=0.5,
                    on_progress=lambda p: trace.append(
                        [round(p.elapsed, 2), p.items, p.requests, p.partitions_done, round(p.rate, 1)]
                    ),
                )
            ex = export(client, cfg["resource"], **options)
            async for item in ex:
                os.write(fd, f"{item.id}\n".encode())
                count += 1
                if count % step == 0:
                    samples.append((count, _rss()))
                    print(f"progress {count}", flush=True)
            progress = ex.progress
            if trace:
                print(f"trace {json.dumps(trace)}", flush=True)
        else:  # one sequential walk, stopped after the time bound
            deadline = started + cfg["seconds"]
            if cfg["resource"] == "contacts":
                async for contact in client.contacts.list(per_page=PER_PAGE):
                    os.write(fd, f"{contact.id}\n".encode())
                    count += 1
                    if time.perf_counter() > deadline:
                        break
            else:
                async for conversation in client.conversations.list(per_page=PER_PAGE):
                    full = await client.conversations.find(int(conversation.id))
                    os.write(fd, f"{full.id}\n".encode())
                    count += 1
                    if time.perf_counter() > deadline:
                        break
    finally:
        elapsed = time.perf_counter() - started
        os.close(fd)
        await client.aclose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "items": count,
        "elapsed": elapsed,
        "peak_rss": peak,
        "rss_samples": samples,
        "partitions": getattr(progress, "partitions_total", None),
    }


# ------------------------------------------------------------------------------------------ this process


class Server:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE), "--serve", json.dumps(cfg)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError("the fake server did not start")
        info = json.loads(line)
        self.base_url: str = info["base_url"]
        self.origin: float = info["origin"]
        self.window: float = cfg["window"]

    def ask(self, command: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def until_next_window(self, lead: float = 0.0) -> None:
        now = time.time()
        k = math.ceil((now - self.origin) / self.window + 1e-9)
        time.sleep(max(0.0, self.origin + k * self.window - now - lead))

    def close(self) -> None:
        try:
            self.ask("quit")
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def client_run(
    server: Server, cfg: dict[str, Any], kill_after: int | None = None, align: bool = True
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """One client process: started, aligned to a window start, timed; its report (None when killed) and the
    server's counters for the run."""
    cfg = {**cfg, "base_url": server.base_url, "token": server.ask("token")["token"]}
    proc = subprocess.Popen(
        [sys.executable, str(HERE), "--run", json.dumps(cfg)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        if proc.stdout.readline() != "ready\n":
            raise RuntimeError("the client process did not start")
        if align:
            server.until_next_window()
        server.ask("reset")
        proc.stdin.write("go\n")
        proc.stdin.flush()
        report: dict[str, Any] | None = None
        for line in proc.stdout:
            if line.startswith("trace "):
                print("  trace [s, items, requests, partitions done, requests/s]:", line[6:].strip(), flush=True)
            elif line.startswith("progress "):
                if kill_after is not None and int(line.split()[1]) >= kill_after:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
            elif line.startswith("{"):
                report = json.loads(line)
        proc.wait(60)
        if kill_after is None and (proc.returncode != 0 or report is None):
            raise RuntimeError(f"the client process failed ({proc.returncode})")
        return report, server.ask("stats")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _ids(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _mb(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


def _rss_column(samples: list[list[int]], peak: int) -> str:
    """RSS after 10%, 50% and 100% of the items, and the peak: flat in items if the first three agree."""
    if len(samples) < 3:
        return f"peak {_mb(peak)}"
    picks = [samples[0], samples[len(samples) // 2 - 1], samples[-1]]
    return " / ".join(f"{row[1] / 2**20:.0f}" for row in picks) + f" MB (peak {_mb(peak)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per request")
    parser.add_argument("--limit", type=int, default=600, help="requests per app per window")
    parser.add_argument("--window", type=float, default=10.0, help="seconds")
    parser.add_argument("--sequential-seconds", type=float, default=20.0, help="time bound of the sequential walks")
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction of the contacts delivered before kill -9")
    parser.add_argument("--concurrency", type=int, help="export(concurrency=...) (default: the SDK's)")
    parser.add_argument("--enrich-concurrency", type=int, help="export(enrich_concurrency=...) (default: the SDK's)")
    parser.add_argument(
        "--skip", default="", help="comma-separated runs to skip: contacts,conversations,sequential,resume"
    )
    parser.add_argument("--repeat", type=int, default=3, help="contacts exports (the median is shown)")
    parser.add_argument("--trace", action="store_true", help="print the exports' progress every 0.5 s")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(_common.machine_note())
    rps = args.limit / args.window
    ceiling = {"plain": rps * PER_PAGE, "enriched": rps * PER_PAGE / (PER_PAGE + 1)}
    server_cfg = {k: getattr(args, k) for k in ("contacts", "conversations", "latency", "limit", "window")}
    results: dict[str, Any] = {"config": server_cfg, "ceiling": ceiling}
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        directory = Path(tmp)
        server = Server(server_cfg)
        try:
            expected = {}
            for kind in ("contacts", "conversations"):
                server.ask(f"ids {kind} {directory / (kind + '.expected')}")
                expected[kind] = set(_ids(directory / (kind + ".expected")))
            tuning = {
                "concurrency": args.concurrency,
                "enrich_concurrency": args.enrich_concurrency,
                "trace": args.trace,
            }
            for kind, enrich in (("contacts", False), ("conversations", True)):
                if kind in skip:
                    continue
                runs = []
                for attempt in range(1 if enrich else max(1, args.repeat)):  # enrichment takes minutes: once
                    ids_file = directory / f"{kind}.export{attempt}"
                    cfg = {"mode": "export", "resource": kind, "enrich": enrich, "ids_file": str(ids_file)}
                    cfg.update(expected=len(expected[kind]), **tuning)
                    what = f"{len(expected[kind]):,} {kind}{' with their parts' if enrich else ''}"
                    print(f"export of {what} ({attempt + 1}) ...", flush=True)
                    report, stats = client_run(server, cfg)
                    assert report is not None
                    got = _ids(ids_file)
                    report.update(stats, lost=len(expected[kind] - set(got)), dup=len(got) - len(set(got)))
                    report["rate"] = report["items"] / report["elapsed"]
                    print(f"  {report['items']:,} in {report['elapsed']:.1f} s; requests per window {stats['windows']}")
                    runs.append(report)
                top = ceiling["enriched" if enrich else "plain"]
                runs.sort(key=lambda r: r["rate"])
                mid = runs[len(runs) // 2]  # the median run (of an odd number)
                spread = f" ({runs[0]['rate'] / top:.2f}-{runs[-1]['rate'] / top:.2f})" if len(runs) > 1 else ""
                results[f"export_{kind}"] = {"runs": runs, "median": mid, "fraction": mid["rate"] / top}
                rows.append(
                    [
                        f"export {kind}" + (" + parts" if enrich else ""),
                        f"{mid['items']:,}",
                        f"{mid['elapsed']:.1f} s",
                        f"{mid['rate']:,.0f}/s",
                        f"{mid['rate'] / top:.2f}{spread} of {top:,.0f}/s",
                        str(max(r["lost"] for r in runs)),
                        str(max(r["dup"] for r in runs)),
                        f"{mid['requests']:,}",
                        f"{max(r['max_app'] for r in runs)} / {args.limit}",
                        str(sum(r["limited"] for r in runs)),
                        _rss_column(mid["rss_samples"], mid["peak_rss"]),
                    ]
                )
                print(f"  {rows[-1]}", flush=True)
            if "sequential" not in skip:
                for kind in ("contacts", "conversations"):
                    ids_file = directory / f"{kind}.sequential"
                    cfg = {"mode": "sequential", "resource": kind, "seconds": args.sequential_seconds}
                    cfg.update(ids_file=str(ids_file), expected=len(expected[kind]))
                    print(f"one sequential async for over the {kind} ({args.sequential_seconds:g} s) ...", flush=True)
                    report, stats = client_run(server, cfg, align=False)
                    assert report is not None
                    rate = report["items"] / report["elapsed"]
                    whole = len(expected[kind]) / rate
                    results[f"sequential_{kind}"] = {**report, **stats, "rate": rate, "extrapolated_seconds": whole}
                    enrich = kind == "conversations"
                    top = ceiling["enriched" if enrich else "plain"]
                    rows.append(
                        [
                            f"sequential {kind}" + (" + parts" if enrich else ""),
                            f"{report['items']:,} (cut)",
                            f"{report['elapsed']:.1f} s (all: ~{whole:,.0f} s)",
                            f"{rate:,.0f}/s",
                            f"{rate / top:.3f} of {top:,.0f}/s",
                            "-",
                            "-",
                            f"{stats['requests']:,}",
                            f"{stats['max_app']} / {args.limit}",
                            str(stats["limited"]),
                            _mb(report["peak_rss"]),
                        ]
                    )
                    print(f"  {rows[-1]}", flush=True)
            if "resume" not in skip:
                ids_file = directory / "contacts.resume"
                store = directory / "checkpoints"
                total = len(expected["contacts"])
                cfg = {"mode": "export", "resource": "contacts", "enrich": False, "ids_file": str(ids_file)}
                cfg.update(store=str(store), expected=total, **tuning)
                kill_after = int(total * args.kill_at)
                print(f"export of the contacts, kill -9 after {kill_after:,}, then again on the same store ...")
                _, first_stats = client_run(server, cfg, kill_after=kill_after)
                before = len(_ids(ids_file))
                report, stats = client_run(server, cfg)
                assert report is not None
                got = _ids(ids_file)
                lost = len(expected["contacts"] - set(got))
                again = len(got) - len(set(got))
                results["resume"] = {
                    "delivered_before_kill": before,
                    "resumed": report,
                    "lost": lost,
                    "redelivered": again,
                    "requests": first_stats["requests"] + stats["requests"],
                    "limited": first_stats["limited"] + stats["limited"],
                }
                rows.append(
                    [
                        "export contacts, kill -9, resume",
                        f"{before:,} + {report['items']:,}",
                        f"resume {report['elapsed']:.1f} s",
                        "-",
                        "-",
                        str(lost),
                        str(again),
                        f"{first_stats['requests'] + stats['requests']:,}",
                        f"{max(first_stats['max_app'], stats['max_app'])} / {args.limit}",
                        str(first_stats["limited"] + stats["limited"]),
                        _mb(report["peak_rss"]),
                    ]
                )
        finally:
            server.close()
    header = ["run", "items", "time", "items/s", "fraction of ceiling", "lost", "dup", "requests", "max/window"]
    header += ["429s", "RSS at 10/50/100%"]
    print(
        f"\n2.16 on the simulated workspace: latency {args.latency:g} s, {args.limit} requests per {args.window:g} s "
        f"window; ceiling {ceiling['plain']:,.0f} items/s ({ceiling['enriched']:.1f}/s with one request per item)\n"
    )
    print(_common.table(rows, header))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        asyncio.run(serve(json.loads(sys.argv[2])))
    elif len(sys.argv) == 3 and sys.argv[1] == "--run":
        print(json.dumps(asyncio.run(run(json.loads(sys.argv[2])))), flush=True)
    else:
        main()
