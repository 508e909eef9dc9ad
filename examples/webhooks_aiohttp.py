"""Receive Intercom webhook notifications in an aiohttp app.

    INTERCOM_CLIENT_SECRET=... python examples/webhooks_aiohttp.py      # serve POST /intercom/webhooks on :8080
    python examples/webhooks_aiohttp.py --demo                         # self-test on 127.0.0.1, then exit

Point your app's webhook URL (Developer Hub > Webhooks) at ``https://<your host>/intercom/webhooks``.
The receiver checks ``X-Hub-Signature`` against the raw body, parses the notification into the API 2.12
models, skips repeated deliveries, answers 200 at once and runs ``handle`` in the background.
``--demo`` starts the app on a free loopback port, sends it a signed notification twice (the repeat is
skipped), a forged one (refused with 401), and exits.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp
from aiohttp import web

from intercom_async import v2_12, webhooks

VERSION = "2.12"  # the API version set for your app's webhooks in the Developer Hub


async def handle(notification: webhooks.Notification) -> None:
    """Your code: runs after Intercom got its 200. Keep it idempotent; hand slow work to a queue."""
    item = notification.item
    if notification.topic == "ping":
        print("ping received")
    elif isinstance(item, v2_12.models.Conversation):
        print(f"{notification.topic}: conversation {item.id} ({item.state})")
    elif isinstance(item, v2_12.models.Contact):
        print(f"{notification.topic}: contact {item.id} <{item.email}>")
    else:  # item types without a model (contact_tag, content_stat.*, ...) arrive as plain dicts
        print(f"{notification.topic}: {notification.item_type} {item!r:.80}")


def build_app(secret: str) -> web.Application:
    receiver = webhooks.WebhookReceiver(
        handle, secret=secret, version=VERSION, deduplicator=webhooks.InMemoryDeduplicator()
    )
    app = web.Application()
    receiver.attach_aiohttp(app, "/intercom/webhooks")  # POST route + drain the handlers on shutdown
    return app


async def demo() -> None:
    secret = "demo-client-secret"
    runner = web.AppRunner(build_app(secret))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/intercom/webhooks"
    body = json.dumps(
        {
            "type": "notification_event",
            "id": "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
            "topic": "conversation.user.created",
            "app_id": "a86dr8yl",
            "created_at": 1719843122,
            "delivery_attempts": 1,
            "first_sent_at": 1719843123,
            "data": {
                "type": "notification_event_data",
                "item": {"type": "conversation", "id": "1295", "state": "open", "open": True, "title": "Refund"},
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
        await runner.cleanup()  # shutdown drains the receiver's handlers


def main() -> None:
    if "--demo" in sys.argv:
        asyncio.run(demo())
        return
    secret = os.environ.get("INTERCOM_CLIENT_SECRET")
    if not secret:
        sys.exit("set INTERCOM_CLIENT_SECRET (Developer Hub > Basic information > Client secret), or run with --demo")
    web.run_app(build_app(secret), host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ.get("PORT", "8080")))


if __name__ == "__main__":
    main()
