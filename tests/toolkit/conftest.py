"""Shared pieces of the app-toolkit tests: real HTTP servers on 127.0.0.1 and notification bodies.

* ``serve_aiohttp(app)``: an aiohttp ``web.Application`` on a free loopback port (``AppRunner`` + ``TCPSite``
  with port 0), yielding its base URL; cleaned up (shutdown hooks included) on exit.
* ``serve_uvicorn(app)``: an ASGI app (FastAPI) under a real uvicorn ``Server`` started in this event loop on a
  free port, stopped with ``should_exit`` and awaited.
* ``notification_body(item, topic)``: a notification envelope as Intercom sends it, around ``item``; the items
  come from the documented response examples of the normalised specs (``spec_item(version, type)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from tests.support.spec import response_examples

SECRET = "cs_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # what a client secret looks like; asserted absent from errors
OTHER_SECRET = "cs_live_00000000000000000000000000000000"


@contextlib.asynccontextmanager
async def serve_aiohttp(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_uvicorn(app: Any) -> AsyncIterator[str]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", http="h11", ws="none", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):  # bounded: at most ~5 s
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            task.result()  # raise what made it stop
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


def spec_item(version: str, item_type: str) -> dict[str, Any]:
    """The first documented response example of ``version`` whose top-level ``type`` is ``item_type``."""
    for _op, _status, _name, value in response_examples(version):
        if isinstance(value, dict) and value.get("type") == item_type:
            return value
    raise LookupError(f"no {item_type!r} example in the {version} spec")


def notification_body(
    item: Any,
    topic: str = "conversation.user.created",
    notification_id: str = "notif_7f0c2a3e-1b2d-4c5e-8f90-1a2b3c4d5e6f",
) -> bytes:
    envelope = {
        "type": "notification_event",
        "app_id": "a86dr8yl",
        "data": {"type": "notification_event_data", "item": item},
        "links": {},
        "id": notification_id,
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": 1719843123,
        "created_at": 1719843122,
        "self": None,
    }
    # Intercom's bodies are compact JSON; key order as above (the signature covers these exact bytes)
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
