"""Logging and token safety: one DEBUG line per attempt with the useful fields, and no token anywhere (logs of
every logger at DEBUG, exception texts, reprs, formatted tracebacks) across every fault path. The autouse
``logs`` fixture in conftest also checks every other test of this suite the same way."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from intercom_async import APIConnectionError, IntercomError
from intercom_async._ratelimit import InProcessRateLimiter

from .conftest import (
    TOKEN,
    FaultServer,
    LogCapture,
    WindowLimit,
    assert_no_token,
    ok,
    raw,
    reset,
    slow_body,
    slow_headers,
    status,
    truncate,
)

LINE = re.compile(
    r"^(?P<method>GET|POST|PUT|DELETE) (?P<path>/\S*) -> (?P<outcome>\d{3}|\w+Error) in (?P<elapsed>\d+\.\d{3})s "
    r"\(retry (?P<retry>\d+)(?P<again>, will retry)?(, ratelimit remaining (?P<remaining>\S+))?\)$"
)


async def test_one_debug_line_per_attempt(server: FaultServer, make_client: Any, logs: LogCapture) -> None:
    server.script("GET", "/me", status(503, headers={"X-RateLimit-Remaining": "41"}), reset())
    server.default = ok(headers={"X-RateLimit-Remaining": "39"})
    client = make_client()
    await client.admins.identify()
    lines = logs.lines()
    assert len(lines) == 3, lines
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    first, second, third = (m.groupdict() for m in parsed)  # type: ignore[union-attr]
    assert first["outcome"] == "503" and first["retry"] == "0" and first["again"] and first["remaining"] == "41"
    assert second["outcome"] == "APIConnectionError" and second["retry"] == "1" and second["again"]
    assert third["outcome"] == "200" and third["retry"] == "2" and not third["again"] and third["remaining"] == "39"
    assert all(m["method"] == "GET" and m["path"] == "/me" for m in (first, second, third))
    assert all(r.levelno == logging.DEBUG for r in logs.records if r.name == "intercom_async")


async def test_custom_logger_and_silence_when_not_debug(
    server: FaultServer, make_client: Any, logs: LogCapture
) -> None:
    mine = logging.getLogger("myapp.intercom")
    client = make_client(logger=mine)
    await client.admins.identify()
    assert len(logs.lines("myapp.intercom")) == 1 and logs.lines("intercom_async") == []
    logging.getLogger("myapp.intercom").setLevel(logging.INFO)
    try:
        await client.admins.identify()
    finally:
        logging.getLogger("myapp.intercom").setLevel(logging.NOTSET)
    assert len(logs.lines("myapp.intercom")) == 1  # nothing formatted below the level


def test_the_token_check_can_fail() -> None:
    with pytest.raises(AssertionError):
        assert_no_token(f"Authorization: Bearer {TOKEN}")
    with pytest.raises(AssertionError):
        assert_no_token(f"...{TOKEN[-12:]}")  # even a tail of it
    assert_no_token("Authorization: Bearer [REDACTED]")


async def test_no_token_anywhere_across_every_fault_path(
    server: FaultServer, make_client: Any, logs: LogCapture
) -> None:
    echo = (b"<html><body>debug: Authorization: Bearer " + TOKEN.encode() + b"<br>token=" + TOKEN.encode()) + b"</body>"
    faults: list[tuple[str, str, Any]] = [
        ("GET", "/me", status(503)),
        ("GET", "/me", status(429, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"})),
        ("GET", "/me", status(401)),
        ("GET", "/me", status(404)),
        ("GET", "/me", reset()),
        ("GET", "/me", truncate()),
        ("GET", "/me", slow_body(1.0)),
        ("GET", "/me", slow_headers(1.0)),
        ("GET", "/me", raw(200, b"{not json")),
        ("GET", "/me", raw(200, b"")),
        ("GET", "/me", raw(502, echo)),
        ("GET", "/me", raw(200, echo)),
        ("GET", "/me", raw(500, echo, "text/plain")),
        ("POST", "/contacts", status(500)),
        ("POST", "/contacts", reset()),
        ("POST", "/contacts", raw(200, echo)),
        ("POST", "/contacts", raw(422, echo)),
    ]
    tokens = iter([TOKEN, f"{TOKEN}-rotated"] * 200)
    clients = [
        make_client(),
        make_client(token=lambda: next(tokens)),
        make_client(rate_limiter=InProcessRateLimiter(50, 0.5, max_concurrency=5)),
    ]
    seen: list[BaseException] = []
    user_log = logging.getLogger("user.app")
    for client in clients:
        for method, _path, fault in faults:
            server.default = fault
            try:
                if method == "GET":
                    await client.admins.identify(request_options={"timeout": 0.1, "max_retries": 1})
                else:
                    await client.contacts.create(
                        request_body={"email": "x@example.com"}, request_options={"timeout": 0.1}
                    )
            except IntercomError as exc:
                seen.append(exc)
                user_log.exception("intercom call failed")  # what an app does: log it with its traceback
                record = logs.records[-1]
                assert record.name == "user.app" and record.exc_info is not None
                logging.Formatter().format(record)  # fills exc_text with the formatted traceback
    # the rate-limited window and cancellations go through the same paths
    server.default = WindowLimit(2, 0.2)
    await asyncio.gather(*(clients[2].admins.identify() for _ in range(6)))
    server.default = slow_body(5.0)
    task = asyncio.create_task(clients[1].admins.identify())
    await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert len(seen) >= 3 * 14
    assert any(isinstance(e, APIConnectionError) for e in seen)
    for exc in seen:
        assert_no_token(str(exc), repr(exc), *map(str, exc.args))
        assert_no_token(str(exc), repr(exc), token=f"{TOKEN}-rotated")
    texts = logs.texts()
    assert any("Traceback" in t for t in texts)  # formatted tracebacks were checked too
    assert len(logs.lines()) > 40
    assert_no_token(*texts)
    for client in clients:
        assert_no_token(client, client._transport, client.admins, client._transport.rate_limiter)
