"""A catch-all aiohttp server on 127.0.0.1 for tests, and a client of every shipped version pointed at it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

import intercom_async

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[str]:
    """Serve every method and path with ``handler`` on a free loopback port; yields the base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def clients(base_url: str, token: str, **options: Any) -> AsyncIterator[dict[str, Any]]:
    """``{version: client}`` for every shipped version, all pointed at ``base_url``, closed on exit."""
    options.setdefault("max_retries", 0)
    made = {v: intercom_async.Intercom(token, version=v, base_url=base_url, **options) for v in intercom_async.VERSIONS}
    try:
        yield made
    finally:
        for client in made.values():
            await client.aclose()
