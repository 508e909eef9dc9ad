"""The webhook receiver behind real servers on 127.0.0.1: an aiohttp app, a FastAPI app under uvicorn and a
plain Starlette app under uvicorn, each receiving signed notifications built from the spec's examples (sent by
the testing kit's ``FakeIntercom.deliver`` as Intercom sends them, or posted by hand where a test tampers with
the bytes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import intercom_async
from intercom_async import webhooks
from intercom_async.testing import FakeIntercom
from intercom_async.webhooks import InMemoryDeduplicator, Notification, WebhookReceiver

from .conftest import OTHER_SECRET, SECRET, notification_body, serve_aiohttp, serve_uvicorn, spec_item

PATH = "/intercom/webhooks"
FRAMEWORKS = ["aiohttp", "fastapi", "starlette"]


@contextlib.asynccontextmanager
async def running(framework: str, receiver: WebhookReceiver) -> AsyncIterator[str]:
    """The receiver mounted at PATH in a real server of ``framework``; yields the webhook URL."""
    if framework == "aiohttp":
        app = web.Application()
        receiver.attach_aiohttp(app, PATH)
        async with serve_aiohttp(app) as base:
            yield base + PATH
    elif framework == "fastapi":
        from fastapi import FastAPI

        @contextlib.asynccontextmanager
        async def lifespan(_app: Any) -> AsyncIterator[None]:
            async with receiver:
                yield

        api = FastAPI(lifespan=lifespan)
        api.include_router(receiver.fastapi_router(PATH))
        async with serve_uvicorn(api) as base:
            yield base + PATH
    else:
        from starlette.applications import Starlette

        @contextlib.asynccontextmanager
        async def lifespan(_app: Any) -> AsyncIterator[None]:
            yield
            await receiver.aclose()

        async with serve_uvicorn(Starlette(routes=[receiver.starlette_route(PATH)], lifespan=lifespan)) as base:
            yield base + PATH


class Recorder:
    """The user's async handler: records what it got; optionally fails the first ``fail`` calls or waits."""

    def __init__(self, fail: int = 0, gate: asyncio.Event | None = None) -> None:
        self.received: list[Notification] = []
        self.calls = 0
        self.fail = fail
        self.gate = gate

    async def __call__(self, notification: Notification) -> None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.calls <= self.fail:
            raise RuntimeError("database unavailable")
        self.received.append(notification)


async def post(url: str, body: bytes, signature: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "User-Agent": "intercom-parrot-service-client/1.0"}
    if signature is not None:
        headers["X-Hub-Signature"] = signature
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)


CONVERSATION = spec_item("2.12", "conversation")


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_signed_notification_reaches_the_handler_as_a_model(framework):
    handler = Recorder()
    receiver = WebhookReceiver(handler, secret=SECRET, version="2.12")
    async with running(framework, receiver) as url, FakeIntercom("2.12") as intercom:
        delivery = await intercom.deliver(url, "conversation.user.created", CONVERSATION, SECRET)  # as Intercom does
        assert (delivery.status, json.loads(delivery.response_body)) == (200, {"ok": True})
        assert await receiver.drain(5)
    assert receiver.closed  # the app's shutdown closed it
    assert handler.calls == 1
    (notification,) = handler.received
    assert isinstance(notification.item, intercom_async.v2_12.models.Conversation)
    assert notification.item.to_dict() == CONVERSATION
    assert notification.to_dict() == json.loads(delivery.body) == delivery.notification
    assert notification.topic == "conversation.user.created"


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_forged_and_unsigned_deliveries_are_refused_before_parsing(framework, caplog):
    handler = Recorder()
    receiver = WebhookReceiver(handler, secret=SECRET)
    body = notification_body(CONVERSATION)
    signature = webhooks.sign(body, SECRET)
    tampered = body.replace(b'"conversation.user.created"', b'"conversation.admin.closed"')
    assert tampered != body
    with caplog.at_level(logging.DEBUG, logger="intercom_async"):
        async with running(framework, receiver) as url:
            assert await post(url, tampered, signature) == (401, {"error": "invalid signature"})
            assert await post(url, body, webhooks.sign(body, OTHER_SECRET)) == (401, {"error": "invalid signature"})
            assert await post(url, body, None) == (401, {"error": "invalid signature"})
            assert await post(url, body, "sha256=" + "0" * 64) == (401, {"error": "invalid signature"})
            assert await post(url, b"not json", webhooks.sign(b"not json", SECRET)) == (400, {"error": "invalid body"})
            assert await post(url, b"[]", webhooks.sign(b"[]", SECRET)) == (400, {"error": "invalid body"})
    assert handler.calls == 0
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "does not match" in logged and "missing" in logged
    assert SECRET not in logged and signature[5:] not in logged


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_replayed_delivery_is_answered_but_handled_once(framework):
    handler = Recorder()
    receiver = WebhookReceiver(handler, secret=SECRET, deduplicator=InMemoryDeduplicator())
    first = notification_body(CONVERSATION, notification_id="notif_1")
    topic = "conversation.user.created"
    async with running(framework, receiver) as url, FakeIntercom() as intercom:

        async def deliver(notification_id: str, attempts: int = 1) -> tuple[int, Any]:
            sent = await intercom.deliver(
                url, topic, CONVERSATION, SECRET, notification_id=notification_id, delivery_attempts=attempts
            )
            assert sent.notification["delivery_attempts"] == attempts
            return sent.status, json.loads(sent.response_body)

        assert await deliver("notif_1") == (200, {"ok": True})
        assert await deliver("notif_1", attempts=2) == (200, {"ok": True, "duplicate": True})  # Intercom's retry
        assert await post(url, first, webhooks.sign(first, SECRET)) == (200, {"ok": True, "duplicate": True})
        assert await deliver("notif_2") == (200, {"ok": True})
        assert await receiver.drain(5)
    assert [n.id for n in handler.received] == ["notif_1", "notif_2"]
    assert handler.calls == 2


@pytest.mark.parametrize("framework", ["aiohttp", "fastapi"])
async def test_inline_handler_failure_answers_500_and_the_retry_is_handled(framework, caplog):
    handler = Recorder(fail=1)
    errors: list[tuple[str | None, str]] = []

    async def on_error(notification: Notification, exc: BaseException) -> None:
        errors.append((notification.id, str(exc)))

    receiver = WebhookReceiver(
        handler, secret=SECRET, background=False, deduplicator=InMemoryDeduplicator(), on_error=on_error
    )
    body = notification_body(CONVERSATION, notification_id="notif_retry")
    with caplog.at_level(logging.ERROR, logger="intercom_async.webhooks"):
        async with running(framework, receiver) as url:
            assert await post(url, body, webhooks.sign(body, SECRET)) == (500, {"error": "handler failed"})
            # Intercom redelivers; the failed claim was released, so this one is handled
            assert await post(url, body, webhooks.sign(body, SECRET)) == (200, {"ok": True})
            assert await post(url, body, webhooks.sign(body, SECRET)) == (200, {"ok": True, "duplicate": True})
    assert handler.calls == 2 and [n.id for n in handler.received] == ["notif_retry"]
    assert errors == [("notif_retry", "database unavailable")]
    assert any("notif_retry" in r.getMessage() and "RuntimeError" in r.getMessage() for r in caplog.records)
    assert not any(b"conversation_parts".decode() in r.getMessage() for r in caplog.records)  # no body in logs


async def test_background_failures_are_reported_and_release_the_claim():
    gate = asyncio.Event()
    handler = Recorder(fail=1, gate=gate)
    seen: list[str] = []
    receiver = WebhookReceiver(
        handler,
        secret=SECRET,
        deduplicator=InMemoryDeduplicator(),
        on_error=lambda n, exc: seen.append(type(exc).__name__),
    )
    body = notification_body(CONVERSATION, notification_id="notif_bg")
    async with running("aiohttp", receiver) as url:
        assert await post(url, body, webhooks.sign(body, SECRET)) == (200, {"ok": True})  # answered before handling
        assert handler.calls == 1 and receiver.pending == 1
        gate.set()
        assert await receiver.drain(5)
        assert seen == ["RuntimeError"] and receiver.pending == 0
        assert await post(url, body, webhooks.sign(body, SECRET)) == (200, {"ok": True})
        assert await receiver.drain(5)
    assert [n.id for n in handler.received] == ["notif_bg"]


async def test_too_many_pending_handlers_answer_429_until_they_finish():
    gate = asyncio.Event()
    handler = Recorder(gate=gate)
    dedup = InMemoryDeduplicator()
    receiver = WebhookReceiver(handler, secret=SECRET, max_pending=2, deduplicator=dedup)
    bodies = [notification_body(CONVERSATION, notification_id=f"notif_{i}") for i in range(3)]
    async with running("aiohttp", receiver) as url:
        for body in bodies[:2]:
            assert await post(url, body, webhooks.sign(body, SECRET)) == (200, {"ok": True})
        assert await post(url, bodies[2], webhooks.sign(bodies[2], SECRET)) == (
            429,
            {"error": "too many notifications pending"},
        )
        gate.set()
        assert await receiver.drain(5)
        # the refused one was not remembered as handled: its redelivery goes through
        assert await post(url, bodies[2], webhooks.sign(bodies[2], SECRET)) == (200, {"ok": True})
        assert await receiver.drain(5)
    assert sorted(n.id for n in handler.received) == ["notif_0", "notif_1", "notif_2"]


async def test_close_drains_then_cancels_stuck_handlers_and_refuses_new_deliveries():
    gate = asyncio.Event()  # never set: the handler is stuck
    handler = Recorder(gate=gate)
    receiver = WebhookReceiver(handler, secret=SECRET)
    body = notification_body(CONVERSATION)
    app = web.Application()
    app.router.add_post(PATH, receiver.aiohttp_handler())
    async with serve_aiohttp(app) as base:
        assert await post(base + PATH, body, webhooks.sign(body, SECRET)) == (200, {"ok": True})
        assert receiver.pending == 1
        assert not await receiver.drain(0.05)
        await receiver.aclose(timeout=0.05)
        assert receiver.pending == 0 and receiver.closed
        assert await post(base + PATH, body, webhooks.sign(body, SECRET)) == (503, {"error": "receiver closed"})
        await receiver.aclose()  # idempotent
    assert handler.received == []


@pytest.mark.parametrize("framework", ["aiohttp", "fastapi"])
async def test_oversized_bodies_are_refused(framework):
    receiver = WebhookReceiver(Recorder(), secret=SECRET, max_body_size=1000)
    body = notification_body({"type": "conversation", "id": "1", "title": "x" * 2000})
    async with running(framework, receiver) as url:
        assert await post(url, body, webhooks.sign(body, SECRET)) == (413, {"error": "body too large"})


async def test_only_post_is_routed():
    receiver = WebhookReceiver(Recorder(), secret=SECRET)
    async with running("aiohttp", receiver) as url, aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.status == 405


def test_receiver_configuration_errors_fail_at_start_up():
    with pytest.raises(webhooks.SignatureInputError):
        WebhookReceiver(Recorder(), secret="")
    with pytest.raises(intercom_async.InvalidRequestError):
        WebhookReceiver(Recorder(), secret=SECRET, version="1.0")
    with pytest.raises(ValueError):
        WebhookReceiver(Recorder(), secret=SECRET, max_pending=0)
    with pytest.raises(TypeError):
        WebhookReceiver("not callable", secret=SECRET)  # type: ignore[arg-type]
    assert SECRET not in repr(WebhookReceiver(Recorder(), secret=SECRET))


async def test_in_memory_deduplicator_expires_and_bounds_its_memory():
    now = [1000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    dedup = InMemoryDeduplicator(ttl=60, max_entries=3, clock=clock)
    assert isinstance(dedup, webhooks.Deduplicator)
    assert await dedup.claim("a") and not await dedup.claim("a")
    now[0] += 59
    assert not await dedup.claim("a")
    now[0] += 2
    assert await dedup.claim("a")  # expired, claimed again
    for key in "bcd":
        assert await dedup.claim(key)
    assert len(dedup) == 3
    assert await dedup.claim("a")  # the oldest ("a") was dropped to stay within max_entries
    await dedup.release("d")
    assert await dedup.claim("d")
    with pytest.raises(ValueError):
        InMemoryDeduplicator(ttl=0)
