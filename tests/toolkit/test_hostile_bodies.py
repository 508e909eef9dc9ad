"""Hostile bodies the app toolkit receives (issue 18): correctly signed, nested 100,000 levels deep, or holding
integers beyond 64 bits. Each receiver answers its documented 400 (never a 500 with a traceback), the OAuth
exchange raises its typed errors, and long integers reach the handler exact.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

import intercom_async
from intercom_async import canvas_kit as ck
from intercom_async import webhooks
from intercom_async.webhooks import WebhookReceiver

from .conftest import SECRET, notification_body, serve_aiohttp
from .test_canvas_kit import call, submit_handler
from .test_oauth import TokenEndpoint, exchange
from .test_receivers import FRAMEWORKS, Recorder, post, running

DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"type":"notification_event",' + b'"data":' + DEEP + b"}"
BIG = -1180591620717411303424


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["array", "in-an-object"])
async def test_a_signed_webhook_nested_100000_levels_is_answered_400(framework, body):
    handler = Recorder()
    receiver = WebhookReceiver(handler, secret=SECRET)
    async with running(framework, receiver) as url:
        assert await post(url, body, webhooks.sign(body, SECRET)) == (400, {"error": "invalid body"})
    assert handler.calls == 0
    with pytest.raises(webhooks.WebhookPayloadError):
        webhooks.parse(body)


async def test_a_signed_webhook_with_an_integer_beyond_64_bits_reaches_the_handler_exact():
    handler = Recorder()
    receiver = WebhookReceiver(handler, secret=SECRET, version="2.12")
    item = {"type": "contact", "id": "6762f0d51bb69f9f2193bb7f", "custom_attributes": {"balance": BIG}}
    body = notification_body(item, "contact.user.created")
    async with running("aiohttp", receiver) as url:
        assert await post(url, body, webhooks.sign(body, SECRET)) == (200, {"ok": True})
        assert await receiver.drain(5)
    (notification,) = handler.received
    assert notification.item.to_dict() == item
    assert notification.to_dict() == json.loads(body)


async def test_a_signed_canvas_kit_request_nested_100000_levels_is_answered_400():
    app = web.Application()
    app.router.add_post("/canvas/submit", ck.aiohttp_handler(submit_handler, secret=SECRET))
    async with serve_aiohttp(app) as base:
        assert await call(base + "/canvas/submit", DEEP, ck.sign(DEEP, SECRET)) == (400, {"error": "invalid body"})
    with pytest.raises(ck.CanvasKitError):
        ck.parse_request(DEEP)


@pytest.mark.parametrize(
    ("status", "error"),
    [(200, intercom_async.InvalidResponseError), (401, intercom_async.AuthenticationError), (500, None)],
)
async def test_an_oauth_answer_nested_100000_levels_is_a_typed_error(status, error):
    endpoint = TokenEndpoint(status=status, body=DEEP)
    async with serve_aiohttp(endpoint.app()) as base:
        with pytest.raises(intercom_async.IntercomError) as info:
            await exchange(base)
    assert type(info.value) is (error or intercom_async.ServerError)
    assert info.value.response is not None and info.value.response.status_code == status


async def test_an_oauth_token_answer_keeps_long_integers_exact():
    body: dict[str, Any] = {"token_type": "Bearer", "access_token": "dG9rOmFi", "app_id": BIG}
    endpoint = TokenEndpoint(body=json.dumps(body).encode())
    async with serve_aiohttp(endpoint.app()) as base:
        token = await exchange(base)
    assert token.access_token == "dG9rOmFi"
    assert token.raw == body and type(token.raw["app_id"]) is int
