"""Client lifecycle: lazy session inside the running loop, reuse, exactly-once close, ``async with``, a
borrowed session left open, use from aiohttp startup/cleanup hooks and an ASGI-style lifespan, and proof
that a forgotten ``aclose()`` is caught (pytest runs with warnings as errors)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import intercom_async
from intercom_async._ratelimit import InProcessRateLimiter

from .conftest import ADMIN, TOKEN, FaultServer, fast_policy


def test_constructing_outside_a_loop_creates_nothing() -> None:
    client = intercom_async.Intercom(TOKEN, version="2.12", base_url="http://127.0.0.1:9")
    assert client._transport._session is None and not client.closed
    asyncio.run(client.aclose())  # closing an unused client is fine and creates nothing
    assert client.closed and client._transport._session is None


async def test_session_is_lazy_and_reused(server: FaultServer, make_client: Any) -> None:
    client = make_client()
    assert client._transport._session is None
    await client.admins.identify()
    session = client._transport._session
    assert isinstance(session, aiohttp.ClientSession)
    for _ in range(5):
        await client.admins.identify()
    assert client._transport._session is session
    assert len({h.peer for h in server.hits}) == 1  # one kept-alive connection served all six


async def test_aclose_closes_exactly_once(server: FaultServer, make_client: Any) -> None:
    client = make_client()
    await client.admins.identify()
    session = client._transport._session
    calls = 0
    original = session.close

    async def counting_close() -> None:
        nonlocal calls
        calls += 1
        await original()

    session.close = counting_close  # type: ignore[method-assign]
    await asyncio.gather(client.aclose(), client.aclose(), client.aclose())
    await client.aclose()
    assert calls == 1 and session.closed and client.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.admins.identify()


async def test_cancelled_aclose_still_closes(server: FaultServer, make_client: Any) -> None:
    client = make_client()
    await client.admins.identify()
    session = client._transport._session
    task = asyncio.create_task(client.aclose())
    await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await client.aclose()  # waits for the shielded close
    assert session.closed


async def test_async_with_closes_even_on_error(server: FaultServer) -> None:
    with pytest.raises(ZeroDivisionError):
        async with intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url) as client:
            await client.admins.identify()
            session = client._transport._session
            1 / 0  # noqa: B018
    assert client.closed and session.closed


async def test_borrowed_session_is_used_and_left_open(server: FaultServer) -> None:
    seen: list[str] = []

    async def on_start(session: Any, ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(params.method)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=5), trace_configs=[trace]) as own:
        async with intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url, session=own) as client:
            me = await client.admins.identify()
            assert me.id == ADMIN["id"]
        assert client.closed and not own.closed  # ours, not theirs, to close
        assert seen == ["GET"]
        async with own.get(server.url + "/me") as resp:  # still perfectly usable
            assert resp.status == 200


async def test_client_timeouts_apply_to_a_borrowed_session(server: FaultServer) -> None:
    from .conftest import slow_headers

    server.default = slow_headers(5.0)
    async with aiohttp.ClientSession() as own:  # aiohttp's own default would wait 5 minutes
        client = intercom_async.Intercom(
            TOKEN, version="2.12", base_url=server.url, session=own, timeout=0.1, max_retries=0
        )
        async with client:
            with pytest.raises(intercom_async.APITimeoutError):
                await client.admins.identify()


async def test_client_in_aiohttp_app_startup_and_cleanup(server: FaultServer) -> None:
    """The documented pattern: create in ``cleanup_ctx`` (runs in the app's loop), close after ``yield``."""
    created: list[Any] = []
    intercom_key = web.AppKey("intercom", intercom_async.v2_12.Intercom)

    async def intercom_ctx(app: web.Application) -> AsyncIterator[None]:
        app[intercom_key] = intercom_async.Intercom(
            TOKEN, version="2.12", base_url=server.url, rate_limiter=InProcessRateLimiter(max_concurrency=10)
        )
        created.append(app[intercom_key])
        yield
        await app[intercom_key].aclose()

    async def whoami(request: web.Request) -> web.Response:
        me = await request.app[intercom_key].admins.identify()
        return web.json_response({"id": me.id})

    app = web.Application()
    app.cleanup_ctx.append(intercom_ctx)
    app.router.add_get("/whoami", whoami)
    async with TestClient(TestServer(app)) as http:
        bodies = await asyncio.gather(*(http.get("/whoami") for _ in range(20)))
        for resp in bodies:
            assert resp.status == 200 and (await resp.json()) == {"id": ADMIN["id"]}
            resp.release()
    assert created and created[0].closed
    assert server.count() == 20


async def test_client_in_asgi_style_lifespan(server: FaultServer) -> None:
    """What FastAPI/Starlette call: ``lifespan(app)`` entered at startup, exited at shutdown."""

    class App:
        def __init__(self) -> None:
            self.state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[None]:
        async with intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url) as client:
            app.state["intercom"] = client
            yield

    app = App()
    async with lifespan(app):
        me = await app.state["intercom"].admins.identify()
        assert me.id == ADMIN["id"]
    assert app.state["intercom"].closed


async def test_used_from_another_loop_fails_clearly(server: FaultServer) -> None:
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever)
    thread.start()
    try:
        client = intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url, retry_policy=fast_policy())
        # first use in the other loop; the server lives in this loop, so wait without blocking it
        fut = asyncio.run_coroutine_threadsafe(client.admins.identify(), other)
        me = await asyncio.wrap_future(fut)
        assert me.id == ADMIN["id"]
        with pytest.raises(RuntimeError, match="another event loop"):
            await client.admins.identify()
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(client.aclose(), other))
        assert client.closed
    finally:
        other.call_soon_threadsafe(other.stop)
        await asyncio.to_thread(thread.join, 5)
        other.close()


async def test_forgotten_aclose_is_detected(server: FaultServer) -> None:
    """The guard the whole suite relies on: an unclosed session warns, and warnings are errors here."""
    client = intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url)
    await client.admins.identify()
    session = client._transport._session
    connector = session.connector
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # drop every reference without closing (the transport, then the session), as a leaky app would
        client._transport._session = None
        del client, session
        gc.collect()
    messages = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert any("Unclosed client session" in m for m in messages), messages
    await connector.close()  # tidy up what the leak left behind
