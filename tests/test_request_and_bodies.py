"""``client.request(...)`` (the escape hatch) and typed request bodies at run time, against a loopback server.

``client.request`` goes through the same headers, version, retries and typed errors as a generated method,
and refuses a path that would leave the base URL. Body fields passed as keyword arguments merge with
``request_body=``; a near miss of a declared field raises ``InvalidRequestError`` naming the field meant, a strict
client refuses every undeclared field, ``extra_body`` is never checked, and required fields are enforced
when the body is built from keyword arguments only. A refused call sends nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import intercom_async
from intercom_async import InvalidRequestError, NotFoundError, RetryPolicy, ServerError
from tests.support import loopback

TOKEN = "tok-request-and-bodies-secret"
TICKET = {"type": "ticket", "id": "7", "ticket_attributes": {}}
CONTACT = {"type": "contact", "id": "c1", "email": "ada@example.com"}


class Server:
    """A loopback server answering from a queue of ``(status, json, headers)``; records every request."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, Any, dict[str, str]]] = []
        self.seen: list[dict[str, Any]] = []
        self.url = ""

    def reply(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.replies.append((status, {"type": "ok"} if body is None else body, headers or {}))

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.seen.append(
            {
                "method": request.method,
                "path": request.raw_path,
                "headers": dict(request.headers),
                "header_names": [name.lower() for name in request.headers],
                "json": json.loads(raw) if raw else None,
            }
        )
        status, body, headers = self.replies.pop(0) if self.replies else (200, {"type": "ok"}, {})
        return web.json_response(body, status=status, headers=headers)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    async with loopback.serve(state.handle) as url:
        state.url = url
        yield state


def client_for(server: Server, **options: Any) -> Any:
    options.setdefault("retry_policy", RetryPolicy(2, backoff_base=0.001, backoff_cap=0.001))
    return intercom_async.Intercom(TOKEN, version="2.12", base_url=server.url, **options)


# ------------------------------------------------------------------ client.request


async def test_request_get_goes_through_the_client_path(server: Server) -> None:
    server.reply(200, {"type": "list", "data": [1, 2]}, {"X-Request-Id": "req-1"})
    async with client_for(server) as client:
        response = await client.request("get", "/contacts/123/notes", query={"per_page": 5, "flag": True, "skip": None})
    assert isinstance(response, intercom_async.APIResponse)
    assert (response.status_code, response.json(), response.parsed) == (
        200,
        {"type": "list", "data": [1, 2]},
        {"type": "list", "data": [1, 2]},
    )
    assert response.request_id == "req-1"
    (seen,) = server.seen
    assert (seen["method"], seen["path"]) == ("GET", "/contacts/123/notes?per_page=5&flag=true")
    assert seen["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert seen["headers"]["Intercom-Version"] == "2.12"
    assert seen["headers"]["Accept"] == "application/json"
    assert seen["json"] is None


@pytest.mark.parametrize("borrowed", [False, True], ids=["own session", "borrowed session"])
async def test_every_request_carries_the_client_headers_once(server: Server, borrowed: bool) -> None:
    """The version, Accept, User-Agent, ``default_headers`` and a string token's Authorization go with every
    request: as the default headers of the client's own session, merged into each request on a borrowed one
    (whose own defaults stay). A call's header with the same name replaces one of them, never doubles it."""
    async with contextlib.AsyncExitStack() as stack:
        session = None
        if borrowed:
            session = await stack.enter_async_context(aiohttp.ClientSession(headers={"X-Theirs": "1"}))
        client = client_for(server, session=session, default_headers={"X-Team": "sync"})
        await stack.enter_async_context(client)
        await client.request("GET", "/contacts/c1")
        await client.request(
            "GET", "/contacts/c1", request_options={"extra_headers": {"Accept": "text/plain", "X-Trace": "t1"}}
        )
    plain, extra = server.seen
    for seen in (plain, extra):
        assert seen["headers"]["Authorization"] == f"Bearer {TOKEN}"
        assert seen["headers"]["Intercom-Version"] == "2.12"
        assert seen["headers"]["User-Agent"].startswith("intercom-async/")
        assert seen["headers"]["X-Team"] == "sync"
        assert ("X-Theirs" in seen["headers"]) is borrowed
        assert len(seen["header_names"]) == len(set(seen["header_names"])), seen["header_names"]
    assert plain["headers"]["Accept"] == "application/json" and "X-Trace" not in plain["headers"]
    assert (extra["headers"]["Accept"], extra["headers"]["X-Trace"]) == ("text/plain", "t1")


async def test_request_post_sends_the_body_unchecked_with_options(server: Server) -> None:
    server.reply(200, CONTACT)
    async with client_for(server, strict=True) as client:  # strict checks responses, not this body
        response = await client.request(
            "POST",
            "/custom_objects/Order",
            body={"external_id": "o-1", "emial": "not checked"},
            request_options={"extra_headers": {"X-Trace": "t1"}, "extra_query": {"dry_run": "1"}},
        )
    assert response.parsed == CONTACT
    (seen,) = server.seen
    assert (seen["method"], seen["path"]) == ("POST", "/custom_objects/Order?dry_run=1")
    assert seen["json"] == {"external_id": "o-1", "emial": "not checked"}
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["headers"]["X-Trace"] == "t1"


async def test_request_retries_and_raises_typed_errors(server: Server) -> None:
    server.reply(503, {"type": "error.list", "errors": [{"code": "service_unavailable", "message": "busy"}]})
    server.reply(200, {"ok": True})
    async with client_for(server) as client:
        response = await client.request("GET", "/anything")
        assert (response.status_code, response.retries, len(server.seen)) == (200, 1, 2)

        server.reply(404, {"type": "error.list", "errors": [{"code": "not_found", "message": "no such"}]})
        with pytest.raises(NotFoundError) as info:
            await client.request("DELETE", "/contacts/missing")
        assert info.value.status_code == 404
        assert [e.code for e in info.value.errors] == ["not_found"]
        assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)

        server.reply(503, {"type": "error.list", "errors": []})
        with pytest.raises(ServerError):
            await client.request("GET", "/anything", request_options={"max_retries": 0})
    assert len(server.seen) == 4


@pytest.mark.parametrize(
    "path",
    [
        "https://elsewhere.example/contacts",
        "//elsewhere.example/contacts",
        "contacts",
        "/contacts?per_page=5",
        "/contacts#top",
        "/../outside",
        "/a/../../outside",
        "",
    ],
)
async def test_request_refuses_paths_that_leave_the_base_url(server: Server, path: str) -> None:
    async with intercom_async.Intercom(TOKEN, base_url=server.url + "/proxy") as client:
        with pytest.raises(InvalidRequestError) as info:
            await client.request("GET", path)
    assert "request()" in str(info.value)
    assert server.seen == []


async def test_request_paths_are_under_the_base_path_and_unsupported_methods_refused(
    server: Server,
) -> None:
    async with intercom_async.Intercom(TOKEN, base_url=server.url + "/proxy") as client:
        await client.request("GET", "/contacts/../admins")
        await client.request("GET", "/contacts/a b")
        with pytest.raises(InvalidRequestError, match="unsupported HTTP method"):
            await client.request("TRACE", "/contacts")
    assert [s["path"] for s in server.seen] == ["/proxy/admins", "/proxy/contacts/a%20b"]


# ------------------------------------------------------------------ typed body fields at run time


async def test_fields_merge_with_request_body_each_given_once(server: Server) -> None:
    async with client_for(server) as client:
        server.reply(200, CONTACT)
        contact = await client.contacts.create(request_body={"role": "lead"}, email="ada@example.com")
        assert contact.id == "c1"
        with pytest.raises(InvalidRequestError, match="'email' given both in request_body and as a keyword argument"):
            await client.contacts.create(request_body={"email": "old@example.com"}, email="ada@example.com")
        server.reply(200, TICKET)
        await client.tickets.update("7", assignment={"admin_id": "1", "assignee_id": "2"}, open=True)
    assert server.seen[0]["json"] == {"role": "lead", "email": "ada@example.com"}
    assert len(server.seen) == 2
    assert (server.seen[1]["path"], server.seen[1]["json"]) == (
        "/tickets/7",
        {"assignment": {"admin_id": "1", "assignee_id": "2"}, "open": True},
    )


async def test_a_near_miss_field_names_the_field_meant_and_sends_nothing(server: Server) -> None:
    async with client_for(server) as client:
        with pytest.raises(InvalidRequestError) as info:
            await client.contacts.create(request_body={"emial": "ada@example.com"})
        assert "contacts.create(): body has no field 'emial' in CreateContactRequest; did you mean 'email'?" in str(
            info.value
        )
        assert "extra_body" in str(info.value)
        with pytest.raises(InvalidRequestError, match="did you mean 'email'"):
            await client.contacts.create(emial="ada@example.com")  # type: ignore[call-arg]
        with pytest.raises(InvalidRequestError, match=r"body\.assignment has no field 'asignee_id'.*'assignee_id'"):
            await client.tickets.update("7", assignment={"asignee_id": "2"})  # type: ignore[typeddict-unknown-key]
    assert server.seen == []


async def test_undeclared_fields_pass_unless_strict_and_extra_body_is_never_checked(server: Server) -> None:
    async with client_for(server) as client:
        server.reply(200, CONTACT)
        await client.contacts.create(request_body={"email": "ada@example.com", "zz_new_flag": True})
    assert server.seen[-1]["json"] == {"email": "ada@example.com", "zz_new_flag": True}

    async with client_for(server, strict=True) as strict:
        with pytest.raises(InvalidRequestError, match="body has no field 'zz_new_flag' in CreateContactRequest"):
            await strict.contacts.create(request_body={"email": "ada@example.com", "zz_new_flag": True})
        assert len(server.seen) == 1
        server.reply(200, CONTACT)
        await strict.contacts.create(
            email="ada@example.com", request_options={"extra_body": {"zz_new_flag": True, "emial": "kept"}}
        )
    assert server.seen[-1]["json"] == {"email": "ada@example.com", "zz_new_flag": True, "emial": "kept"}


async def test_required_fields_are_enforced_for_keyword_bodies_only(server: Server) -> None:
    admin = {"type": "admin", "id": "1", "away_mode_enabled": True}
    async with client_for(server) as client:
        with pytest.raises(
            InvalidRequestError, match=r"missing required field\(s\) 'away_mode_reassign' of SetAwayAdminBody"
        ):
            await client.admins.away(1, away_mode_enabled=True)
        assert server.seen == []
        server.reply(200, admin)
        await client.admins.away(1, request_body={"away_mode_enabled": True})  # a whole body is the caller's business
        server.reply(200, admin)
        await client.admins.away(1, away_mode_enabled=True, away_mode_reassign=False)
    assert [(s["path"], s["json"]) for s in server.seen] == [
        ("/admins/1/away", {"away_mode_enabled": True}),
        ("/admins/1/away", {"away_mode_enabled": True, "away_mode_reassign": False}),
    ]


async def test_a_model_body_is_sent_as_its_dict(server: Server) -> None:
    models = intercom_async.v2_12.models
    async with client_for(server) as client:
        server.reply(200, CONTACT)
        await client.contacts.create(request_body=models.CreateContactRequest(email="ada@example.com", name="Ada"))
    assert server.seen[0]["json"] == {"email": "ada@example.com", "name": "Ada"}
