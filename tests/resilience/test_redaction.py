"""Issue 9 item 5: no token, whole or in part, in any error text built from server data.

A raw asyncio TCP server (not an HTTP library: it must be able to answer malformed HTTP) echoes the request's
``Authorization`` header back in a broken status line, a reason phrase, a header line, or a body cut so that
the 120-character snippet ends inside the token. Strict validation quotes a value carrying the token; a
rotating token callable's concurrent 401s echo earlier tokens. Every error's ``str``, ``repr``, traceback and
detail attributes must hold no run of 8 characters of any token the client sent.
"""

from __future__ import annotations

import asyncio
import secrets
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

import intercom_async
from intercom_async import APIConnectionError, IntercomError, StrictValidationError
from intercom_async._errors import redact

from .conftest import TOKEN, FaultServer, fast_policy, hold

LONG_TOKEN = "dG9rOjY5YjBmZjE0XzQ1MmNfNDlmZl9iZjQ3XzQ3ZWU0YjQ1ZGZjMToxOjA9"


def fragments(token: str, size: int = 8) -> set[str]:
    return {token[i : i + size] for i in range(len(token) - size + 1)}


def exposed(exc: BaseException) -> str:
    """Everything of ``exc`` a log line, an error tracker or a debugger would show."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for name in ("path", "problem", "errors", "reason"):
        parts.append(repr(getattr(exc, name, "")))
    return "\n".join(parts)


def assert_no_fragment(exc: BaseException, *tokens: str) -> None:
    text = exposed(exc)
    for token in tokens:
        leaked = [f for f in fragments(token) if f in text]
        assert not leaked, f"token fragment {leaked[0]!r} in: {text[:600]!r}"


# --------------------------------------------------------------------------------------------- raw server

Responder = Callable[[bytes], bytes]


class RawServer:
    """Answers each connection with ``respond(authorization_line)`` and closes it."""

    def __init__(self, respond: Responder) -> None:
        self.respond = respond
        self.server: asyncio.AbstractServer | None = None
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            self.requests += 1
            line = next((ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"authorization:")), b"")
            writer.write(self.respond(line))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Responder], Any]]:
    servers: list[RawServer] = []

    async def start(respond: Responder) -> RawServer:
        srv = RawServer(respond)
        srv.server = await asyncio.start_server(srv.handle, "127.0.0.1", 0)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        assert srv.server is not None
        srv.server.close()
        await srv.server.wait_closed()


def _value(line: bytes) -> bytes:
    return line.split(b":", 1)[1].strip()


RESPONSES: dict[str, Responder] = {
    # a status code that is not a number, the reason phrase echoing the header
    "bad_status_code": lambda line: b"HTTP/1.1 2x0 " + line + b"\r\n\r\n",
    # the echoed header line in place of the status line
    "header_as_status_line": lambda line: line + b"\r\n\r\n",
    # an unknown protocol, then the token
    "bad_protocol": lambda line: b"HTXP/1.1 200 " + _value(line) + b"\r\n\r\n",
    # a valid status whose reason phrase is the header (APIError's message quotes the reason)
    "reason_phrase": lambda line: b"HTTP/1.1 502 " + line + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    # a header line without a colon
    "header_without_colon": lambda line: b"HTTP/1.1 200 OK\r\n" + line.replace(b":", b"") + b"\r\n\r\n",
    # a header whose value is the token, and an invalid Content-Length
    "bad_content_length": lambda line: b"HTTP/1.1 200 OK\r\nContent-Length: " + _value(line) + b"\r\n\r\n",
    # a non-JSON 401 body whose 120-character snippet ends inside the (bare) token
    "body_cut_in_token": lambda line: _page(401, b"x" * 100 + _value(line)[7:]),
    # the same with the whole header echoed after 90 characters
    "body_cut_in_header": lambda line: _page(401, b"y" * 90 + line),
}


def _page(status: int, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status} Oops\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


@pytest.mark.parametrize("case", sorted(RESPONSES))
@pytest.mark.parametrize("token", [TOKEN, LONG_TOKEN], ids=["short", "long"])
async def test_malformed_answers_echoing_the_token(raw_server: Any, case: str, token: str) -> None:
    srv = await raw_server(RESPONSES[case])
    async with intercom_async.Intercom(
        token, version="2.12", base_url=srv.url, retry_policy=fast_policy(0), rate_limiter=False, timeout=5
    ) as client:
        with pytest.raises(IntercomError) as info:
            await client.admins.identify()
    assert srv.requests == 1
    assert_no_fragment(info.value, token)
    if case.startswith(("bad_", "header_")):
        assert isinstance(info.value, APIConnectionError)


async def test_rotating_token_concurrent_401s(server: FaultServer, make_client: Any) -> None:
    """20 calls in flight, each sent with a token of its own (the callable rotates on every call), all
    answered at once with a 401 page echoing the request's header: no error holds any of the 20 tokens,
    although the client remembers only the last 8."""
    tokens = [secrets.token_urlsafe(40) for _ in range(20)]
    produced = iter(tokens)
    release = asyncio.Event()

    async def echo_401(request: web.Request) -> web.StreamResponse:
        return web.Response(status=401, text=f"<pre>denied: {request.headers['Authorization'][7:]}</pre>")  # bare

    client = make_client(token=lambda: next(produced), max_retries=0, rate_limiter=False)
    server.script("GET", "/me", *[hold(release, echo_401) for _ in tokens])
    calls = [asyncio.create_task(client.admins.identify()) for _ in tokens]
    while server.count("GET", "/me") < len(tokens):
        await asyncio.sleep(0.005)
    release.set()
    errors = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(e, intercom_async.AuthenticationError) for e in errors)
    for error in errors:
        assert_no_fragment(error, *tokens)
    assert "[REDACTED]" in str(errors[0])


@pytest.mark.parametrize("where", ["value", "key"])
async def test_strict_mode_quotes_are_scrubbed(server: FaultServer, make_client: Any, where: str) -> None:
    client = make_client(token=LONG_TOKEN, strict=True)
    body: dict[str, Any] = {"type": "admin", "id": "1"}
    if where == "value":
        body["away_mode_enabled"] = LONG_TOKEN  # "expected bool, got string '<token cut at 60>'"
    else:
        body[LONG_TOKEN] = 1  # "$.<token>: field not in the spec"
    from .conftest import ok

    server.script("GET", "/me", ok(body))
    with pytest.raises(StrictValidationError) as info:
        await client.admins.identify()
    assert_no_fragment(info.value, LONG_TOKEN)
    assert "[REDACTED]" in str(info.value)


def test_redact_fragments_and_patterns() -> None:
    token = LONG_TOKEN
    assert redact("cut: " + token[:30], [token]) == "cut: [REDACTED]"
    assert redact(token[25:] + " tail", [token]) == "[REDACTED] tail"
    assert redact("a " + token[10:17] + " b", [token]) == "a " + token[10:17] + " b"  # 7 characters: kept
    assert redact("Authorization: Bearer abcd1234") == "Authorization: [REDACTED]"
    assert redact("x" * 10, []) == "x" * 10
