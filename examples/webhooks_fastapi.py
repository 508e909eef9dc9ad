"""Receive Intercom webhook notifications in a FastAPI app.

    pip install fastapi uvicorn
    INTERCOM_CLIENT_SECRET=... uvicorn examples.webhooks_fastapi:app      # serve POST /intercom/webhooks
    python examples/webhooks_fastapi.py --demo                          # self-test on 127.0.0.1, then exit

The receiver is mounted as a router; the app's lifespan closes it, which waits for the notifications still
being handled. ``--demo`` serves the app with uvicorn on a free loopback port, sends it a signed
notification twice (the repeat is skipped) and a forged one (refused with 401), and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator

import aiohttp
from fastapi import FastAPI

from intercom_async import v2_12, webhooks

VERSION = "2.12"  # the API version set for your app's webhooks in the Developer Hub


async def handle(notification: webhooks.Notification) -> None:
    """Your code: runs after Intercom got its 200. Keep it idempotent; hand slow work to a queue."""
    item = notification.item
    if isinstance(item, v2_12.models.Ticket):
        print(f"{notification.topic}: ticket {item.id} ({item.ticket_state})")
    elif isinstance(item, v2_12.models.Conversation):
        print(f"{notification.topic}: conversation {item.id} ({item.state})")
    else:
        print(f"{notification.topic}: {notification.item_type}")


def create_app(secret: str) -> FastAPI:
    receiver = webhooks.WebhookReceiver(
        handle, secret=secret, version=VERSION, deduplicator=webhooks.InMemoryDeduplicator()
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with receiver:  # on shutdown: stop accepting, wait for running handlers
            yield

    api = FastAPI(lifespan=lifespan)
    api.include_router(receiver.fastapi_router("/intercom/webhooks"))
    return api


async def demo() -> None:
    import uvicorn

    secret = "demo-client-secret"
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/intercom/webhooks"
    server = uvicorn.Server(uvicorn.Config(create_app(secret), log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    body = json.dumps(
        {
            "type": "notification_event",
            "id": "notif_78c122d0-23ba-11e4-9464-79b01267cc2e",
            "topic": "ticket.created",
            "app_id": "a86dr8yl",
            "created_at": 1719843122,
            "delivery_attempts": 1,
            "first_sent_at": 1719843123,
            "data": {
                "type": "notification_event_data",
                "item": {"type": "ticket", "id": "619", "ticket_id": "19", "ticket_state": "submitted"},
            },
        }
    ).encode()
    try:
        async with aiohttp.ClientSession() as session:
            for label, signature in [
                ("signed", webhooks.sign(body, secret)),
                ("repeat", webhooks.sign(body, secret)),
                ("forged", webhooks.sign(body, "not-the-secret")),
            ]:
                async with session.post(url, data=body, headers={"X-Hub-Signature": signature}) as resp:
                    print(f"{label}: {resp.status} {await resp.text()}")
                await asyncio.sleep(0.05)  # let the background handler print first
    finally:
        server.should_exit = True
        await serving


def app_from_env() -> FastAPI:
    secret = os.environ.get("INTERCOM_CLIENT_SECRET")
    if not secret:
        sys.exit("set INTERCOM_CLIENT_SECRET (Developer Hub > Basic information > Client secret), or run with --demo")
    return create_app(secret)


if __name__ == "__main__":
    if "--demo" in sys.argv:
        asyncio.run(demo())
    else:
        import uvicorn

        uvicorn.run(app_from_env(), host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ.get("PORT", "8000")))
else:
    app = app_from_env()  # `uvicorn examples.webhooks_fastapi:app` imports this module and serves `app`
