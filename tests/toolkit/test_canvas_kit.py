"""Canvas Kit: signed requests to a real aiohttp app and a real FastAPI app (uvicorn), typed request parsing,
and the answer builders."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import intercom_async
from intercom_async import canvas_kit as ck
from intercom_async._signatures import SignatureInputError

from .conftest import OTHER_SECRET, SECRET, serve_aiohttp, serve_uvicorn, spec_item

ADMIN = spec_item("2.12", "admin")
CONTACT = spec_item("2.12", "contact")
CONVERSATION = spec_item("2.12", "conversation")

SUBMIT = {
    "workspace_id": "ecahpwf5",
    "workspace_region": "us",
    "admin": ADMIN,
    "component_id": "book",
    "context": {"conversation_id": 41084211973, "location": "conversation", "locale": "en"},
    "conversation": CONVERSATION,
    "contact": CONTACT,
    "current_canvas": {
        "content": {"components": [{"type": "input", "id": "email", "label": "Email"}]},
        "stored_data": {"step": 2},
    },
    "input_values": {"email": "ada@example.com"},
    "user": CONTACT,
}


def test_a_submit_request_is_typed_with_the_versions_models():
    req = ck.parse_request(json.dumps(SUBMIT).encode(), version="2.12")
    models = intercom_async.v2_12.models
    assert isinstance(req.admin, models.Admin) and req.admin.to_dict() == ADMIN
    assert isinstance(req.conversation, models.Conversation) and req.conversation.to_dict() == CONVERSATION
    assert isinstance(req.contact, models.Contact) and req.contact.to_dict() == CONTACT
    assert isinstance(req.user, models.Contact)
    assert (req.workspace_id, req.workspace_region, req.component_id) == ("ecahpwf5", "us", "book")
    assert (req.context.location, req.context.conversation_id, req.context.locale) == (
        "conversation",
        41084211973,
        "en",
    )
    assert req.input_values == {"email": "ada@example.com"} and req.stored_data == {"step": 2}
    assert req.current_canvas == SUBMIT["current_canvas"] and req.raw == SUBMIT
    assert "book" in repr(req)


def test_a_minimal_configure_request_parses():
    req = ck.parse_request({"app_id": "abc", "context": {"location": "home"}}, version="Unstable")
    assert req.workspace_id == "abc" and req.context.location == "home"
    assert req.admin is None and req.conversation is None and req.contact is None and req.user is None
    assert req.input_values == {} and req.card_creation_options == {} and req.stored_data == {}
    assert req.current_canvas is None


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b"1"])
def test_request_bodies_that_are_not_objects_are_a_typed_error(body):
    with pytest.raises(ck.CanvasKitError):
        ck.parse_request(body)


def test_answer_builders_produce_the_documented_shapes():
    components = [
        ck.text("Book a demo", style="header"),
        ck.text_input("email", label="Email", placeholder="you@example.com"),
        ck.spacer("m"),
        ck.divider(),
        ck.button("Book", id="book"),
        ck.button("Docs", id="docs", action=ck.url_action("https://example.com/docs")),
        ck.button("More", id="more", action=ck.sheet_action("https://example.com/sheet")),
    ]
    answer = ck.canvas(components, stored_data={"step": 1})
    assert answer == {
        "canvas": {
            "content": {
                "components": [
                    {"type": "text", "text": "Book a demo", "style": "header"},
                    {"type": "input", "id": "email", "label": "Email", "placeholder": "you@example.com"},
                    {"type": "spacer", "size": "m"},
                    {"type": "divider"},
                    {"type": "button", "id": "book", "label": "Book", "action": {"type": "submit"}},
                    {
                        "type": "button",
                        "id": "docs",
                        "label": "Docs",
                        "action": {"type": "url", "url": "https://example.com/docs"},
                    },
                    {
                        "type": "button",
                        "id": "more",
                        "label": "More",
                        "action": {"type": "sheet", "url": "https://example.com/sheet"},
                    },
                ]
            },
            "stored_data": {"step": 1},
        }
    }
    assert ck.canvas([ck.text("hi")]) == {"canvas": {"content": {"components": [{"type": "text", "text": "hi"}]}}}
    assert ck.live_canvas("https://example.com/live") == {"canvas": {"content_url": "https://example.com/live"}}
    assert ck.content([ck.divider()]) == {"content": {"components": [{"type": "divider"}]}}
    assert ck.results({"calendar": "team"}) == {"results": {"calendar": "team"}}


def test_answers_intercom_would_refuse_are_a_typed_error():
    with pytest.raises(ck.CanvasKitError, match="at most 65536"):
        ck.canvas([ck.text("x" * ck.MAX_CANVAS_BYTES)])
    with pytest.raises(ck.CanvasKitError, match="component 1"):
        ck.canvas([ck.text("ok"), {"text": "no type"}])
    with pytest.raises(ck.CanvasKitError):
        ck.canvas("text")  # type: ignore[arg-type]
    with pytest.raises(ck.CanvasKitError, match="JSON"):
        ck.canvas([ck.text("ok")], stored_data={"when": object()})
    with pytest.raises(ck.CanvasKitError):
        ck.live_canvas("ftp://example.com")


async def submit_handler(request: ck.CanvasRequest) -> dict[str, Any]:
    email = request.input_values.get("email")
    name = request.contact.name if request.contact is not None else None
    return ck.canvas([ck.text(f"Booked for {email} ({name})")], stored_data={"component": request.component_id})


async def call(url: str, body: bytes, signature: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Body-Signature"] = signature
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)


async def _exercise(url: str) -> None:
    body = json.dumps(SUBMIT).encode()
    status, answer = await call(url, body, ck.sign(body, SECRET))
    assert status == 200
    assert answer == {
        "canvas": {
            "content": {
                "components": [{"type": "text", "text": f"Booked for ada@example.com ({CONTACT.get('name')})"}]
            },
            "stored_data": {"component": "book"},
        }
    }
    assert await call(url, body + b" ", ck.sign(body, SECRET)) == (401, {"error": "invalid signature"})
    assert await call(url, body, ck.sign(body, OTHER_SECRET)) == (401, {"error": "invalid signature"})
    assert await call(url, body, None) == (401, {"error": "invalid signature"})
    assert await call(url, b"[]", ck.sign(b"[]", SECRET)) == (400, {"error": "invalid body"})


async def test_aiohttp_canvas_kit_endpoint():
    app = web.Application()
    app.router.add_post("/canvas/submit", ck.aiohttp_handler(submit_handler, secret=SECRET))
    async with serve_aiohttp(app) as base:
        await _exercise(base + "/canvas/submit")


async def test_fastapi_canvas_kit_endpoint():
    from fastapi import FastAPI

    api = FastAPI()
    api.add_route(
        "/canvas/submit", ck.starlette_endpoint(submit_handler, secret=[OTHER_SECRET + "x", SECRET]), methods=["POST"]
    )
    async with serve_uvicorn(api) as base:
        await _exercise(base + "/canvas/submit")


def test_endpoint_factories_check_their_configuration():
    with pytest.raises(SignatureInputError):
        ck.aiohttp_handler(submit_handler, secret="")
    with pytest.raises(intercom_async.InvalidRequestError):
        ck.starlette_endpoint(submit_handler, secret=SECRET, version="0.9")
