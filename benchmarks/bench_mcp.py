"""The MCP server's costs: the size of ``tools/list`` per version and mode, and a tool call over the SDK call.

    .venv/bin/python benchmarks/bench_mcp.py [--calls 400] [--repeat 3]      # ~30 s, run from the repository root

1. ``tools/list``: the JSON of the ``ListToolsResult`` the server answers (what an agent's context holds), in
   bytes and approximate tokens (bytes / 4, the usual rule of thumb for English and JSON; a model's own
   tokenizer gives somewhat different counts), for every version in three configurations: the default
   (read-only tools), every tool (``--allow '*' --allow-destructive``) and ``--compact``.
2. One ``GET /contacts/{id}`` against a minimal aiohttp server on 127.0.0.1 answering a fixed 1 KB contact,
   ``--calls`` sequential calls, wall time per call (median of ``--repeat`` runs), for: the SDK method
   (``client.contacts.find``), the server's call path without MCP (``Caller.call``: argument check, ``Request``,
   send, answer text), the MCP server in process (the MCP SDK's ``Client`` over in-memory JSON-RPC streams:
   framing, validation, dispatch) and the real server as a subprocess over stdio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mcp_types as types  # noqa: E402
from mcp.client import Client  # noqa: E402
from mcp.client.stdio import StdioServerParameters  # noqa: E402

from intercom_async import VERSIONS, Intercom  # noqa: E402
from intercom_async.mcp import Caller, Catalog, Policy, build_server, list_tools  # noqa: E402

TOKEN = "tok_bench_mcp_0123456789"
CONTACT = (
    b'{"type":"contact","id":"1","workspace_id":"ecahpwf5","external_id":"70","role":"user",'
    b'"email":"joe@example.com","phone":null,"name":"Joe Example","avatar":null,"owner_id":null,'
    b'"social_profiles":{"type":"list","data":[]},"has_hard_bounced":false,"marked_email_as_spam":false,'
    b'"unsubscribed_from_emails":false,"created_at":1734537559,"updated_at":1734537561,"signed_up_at":null,'
    b'"last_seen_at":null,"last_replied_at":null,"last_contacted_at":null,"last_email_opened_at":null,'
    b'"last_email_clicked_at":null,"language_override":null,"browser":null,"browser_version":null,'
    b'"browser_language":null,"os":null,"location":{"type":"location","country":null,"region":null,"city":null},'
    b'"android_app_name":null,"ios_app_name":null,"custom_attributes":{},'
    b'"tags":{"type":"list","data":[],"url":"/contacts/1/tags","total_count":0,"has_more":false},'
    b'"notes":{"type":"list","data":[],"url":"/contacts/1/notes","total_count":0,"has_more":false}}'
)


def sizes() -> None:
    print("tools/list (the ListToolsResult JSON): tools, bytes, ~tokens (bytes/4)")
    print(f"{'version':<9} {'default (read-only)':>26} {'every tool':>26} {'compact':>20}")
    for version, info in VERSIONS.items():
        registry = info.load().OPERATIONS
        cells = []
        for policy, compact in ((Policy(), False), (Policy(("*",), True), False), (Policy(), True)):
            tools = list_tools(Catalog(registry, policy), compact)
            size = len(types.ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True))
            cells.append(f"{len(tools):>3} {size:>9,} B {size // 4:>7,} t")
        print(f"{version:<9} {cells[0]:>26} {cells[1]:>26} {cells[2]:>20}")


async def _serve() -> tuple[web.AppRunner, str]:
    async def contact(request: web.Request) -> web.Response:
        return web.Response(body=CONTACT, content_type="application/json")

    app = web.Application()
    app.router.add_get("/contacts/{id}", contact)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def _time(call: Any, n: int) -> float:
    for _ in range(20):  # warm up: connections, caches, first decode
        await call()
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - start) / n * 1e6


async def per_call(n: int, repeat: int) -> None:
    runner, base_url = await _serve()
    results: dict[str, list[float]] = {}
    try:
        async with Intercom(TOKEN, version="2.16", base_url=base_url) as client:
            catalog = Catalog(client_registry(), Policy())
            caller = Caller(catalog, client)
            tool = catalog.tools["contacts_find"]
            server = build_server(catalog, caller)
            env = {"INTERCOM_TOKEN": TOKEN, "INTERCOM_BASE_URL": base_url, "PYTHONPATH": str(ROOT)}
            stdio = StdioServerParameters(
                command=sys.executable, args=["-m", "intercom_async.mcp", "--log-level", "WARNING"], env=env, cwd=ROOT
            )
            async with (
                Client(server, mode="legacy") as in_memory,
                Client(stdio, mode="legacy") as subprocess_client,
            ):
                variants = {
                    "SDK client.contacts.find": lambda: client.contacts.find("1"),
                    "Caller.call (no MCP)": lambda: caller.call(tool, {"contact_id": "1"}),
                    "MCP server in process": lambda: in_memory.call_tool("contacts_find", {"contact_id": "1"}),
                    "MCP server over stdio": lambda: subprocess_client.call_tool("contacts_find", {"contact_id": "1"}),
                }
                for _ in range(repeat):
                    for name, call in variants.items():  # interleaved, so drift hits every variant alike
                        results.setdefault(name, []).append(await _time(call, n))
    finally:
        await runner.cleanup()
    base = statistics.median(results["SDK client.contacts.find"])
    print(f"\nper call, GET /contacts/{{id}} on 127.0.0.1, {n} sequential calls, median of {repeat} (wall time)")
    for name, values in results.items():
        value = statistics.median(values)
        print(f"{name:<28} {value:>8.0f} us  (+{value - base:>6.0f} us over the SDK call)")


def client_registry() -> Any:
    return VERSIONS["2.16"].load().OPERATIONS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes-only", action="store_true")
    args = parser.parse_args()
    os.chdir(ROOT)
    sizes()
    if not args.sizes_only:
        asyncio.run(per_call(args.calls, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
