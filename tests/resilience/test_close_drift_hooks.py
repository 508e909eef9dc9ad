"""Issue 9 items 8, 9, 12, 13.

8. ``aclose()`` with 50 calls in flight: each raises ``APIConnectionError`` (never ``RuntimeError``), nothing is
   retried; a call made after ``aclose()`` is a programming error (``RuntimeError``).
9. An empty 2xx where every documented 2xx is JSON raises ``InvalidResponseError`` (registry-driven: every
   documented empty success still returns ``None``); header look-alikes are refused before sending.
12. ``strict="warn"``: drift is logged once per kind at WARNING and counted in ``client.drift``, never raised.
13. ``trace_configs=``: OpenTelemetry's aiohttp client instrumentation makes one span per attempt of an SDK
    call, with no token in any attribute; a plain ``TraceConfig`` sees ``RequestTrace`` (operation, attempt).
"""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import intercom_async
from intercom_async import APIConnectionError, Drift, InvalidRequestError, InvalidResponseError, RequestTrace

from .conftest import ADMIN, TOKEN, FaultServer, LogCapture, hold, ok, status

# ------------------------------------------------------------------------------------------ 8: aclose


async def test_aclose_with_50_calls_in_flight(server: FaultServer, make_client: Any) -> None:
    client = make_client(max_retries=2, rate_limiter=False)
    release = asyncio.Event()
    server.script("GET", "/me", *[hold(release) for _ in range(50)])
    calls = [asyncio.create_task(client.admins.identify()) for _ in range(50)]
    while server.count("GET", "/me") < 50:
        await asyncio.sleep(0.005)
    await client.aclose()
    results = await asyncio.gather(*calls, return_exceptions=True)
    release.set()
    assert all(type(r) is APIConnectionError for r in results), {type(r).__name__ for r in results}
    assert all("closed (aclose())" in str(r) and r.retries == 0 for r in results)
    assert server.count("GET", "/me") == 50  # none retried
    with pytest.raises(RuntimeError, match="closed"):
        await client.admins.identify()


async def test_aclose_during_a_retry_wait(server: FaultServer, make_client: Any) -> None:
    waiting = asyncio.Event()

    async def sleep(delay: float) -> None:
        waiting.set()
        await asyncio.sleep(0.05)

    client = make_client(rate_limiter=False)
    client._policy.sleep = sleep
    server.script("GET", "/me", status(503))
    call = asyncio.create_task(client.admins.identify())
    await waiting.wait()
    await client.aclose()
    with pytest.raises(APIConnectionError, match="in flight"):
        await call
    assert server.count("GET", "/me") == 1


# ------------------------------------------------------------------------------------------ 9: typed gaps


def _all_operations() -> list[tuple[str, Any]]:
    return [(v, op) for v, info in intercom_async.VERSIONS.items() for op in info.load().OPERATIONS.values()]


def test_empty_2xx_follows_the_spec_for_every_operation() -> None:
    """Every documented empty success parses to None; an empty 204 on an operation whose every documented 2xx
    is JSON raises InvalidResponseError; otherwise an undocumented empty 2xx stays None."""
    documented_empty = json_only = 0
    for version, op in _all_operations():
        successes = [spec for spec in op.responses if spec[0].startswith("2")]
        for spec in successes:
            if spec[1] == "none":
                assert op.parse(int(spec[0].replace("XX", "00")), b"") is None, (version, op.operation_id)
                documented_empty += 1
        if op.response_spec(204) is not None:
            continue
        if successes and all(spec[1] == "json" for spec in successes):
            json_only += 1
            with pytest.raises(InvalidResponseError, match="empty 204 body"):
                op.parse(204, b"")
        else:
            assert op.parse(204, b"") is None, (version, op.operation_id)
    assert documented_empty >= 20 and json_only > 900


async def test_empty_204_for_a_json_operation_raises(server: FaultServer, make_client: Any) -> None:
    client = make_client()

    async def empty(request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    server.script("GET", "/me", empty)
    with pytest.raises(InvalidResponseError) as info:
        await client.admins.identify()
    assert info.value.response is not None and info.value.response.status_code == 204


@pytest.mark.parametrize("name", ["Authorization ", " Authorization", "Authorization:", "X-A: b", "Intercom-Version\t"])
async def test_header_look_alikes_are_refused(server: FaultServer, make_client: Any, name: str) -> None:
    with pytest.raises(InvalidRequestError, match="not a valid HTTP header name"):
        make_client(default_headers={name: "Bearer other"})
    client = make_client()
    with pytest.raises(InvalidRequestError):
        await client.admins.identify(request_options={"extra_headers": {name: "x"}})
    assert server.count() == 0


# ------------------------------------------------------------------------------------------ 12: drift


async def test_strict_warn_logs_once_counts_and_never_raises(
    server: FaultServer, make_client: Any, logs: LogCapture
) -> None:
    client = make_client(strict="warn")
    drifted = {**ADMIN, "away_mode_enabled": "yes", "team_ids": [1, "two", "three"]}
    server.script("GET", "/me", *[ok(drifted) for _ in range(3)], ok(ADMIN))
    for _ in range(3):
        admin = await client.admins.identify()
        assert admin.away_mode_enabled == "yes"  # tolerant result, as without strict
    assert (await client.admins.identify()).id == ADMIN["id"]
    assert client.drift == {
        Drift("identifyAdmin", "$.away_mode_enabled", "expected bool, got string 'yes'"): 3,
    }
    warnings = [r for r in logs.records if r.name == "intercom_async" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "identifyAdmin" in warnings[0].getMessage()
    assert "$.away_mode_enabled" in warnings[0].getMessage()

    # list indices are folded, so the same problem at another index is the same kind of drift
    server.script("GET", "/me", ok({**ADMIN, "team_ids": ["a"]}), ok({**ADMIN, "team_ids": [1, "b"]}))
    await client.admins.identify()
    await client.admins.identify()
    kinds = [k for k in client.drift if k.path == "$.team_ids[*]"]
    assert len(kinds) == 2  # the problem quotes the value: 'a' and 'b'
    assert client.strict == "warn"
    with pytest.raises(ValueError, match="strict must be"):
        make_client(strict="yes")


async def test_strict_warn_does_not_refuse_undeclared_body_fields(server: FaultServer, make_client: Any) -> None:
    client = make_client(strict="warn")
    server.script("POST", "/contacts", ok())
    await client.contacts.create(request_body={"email": "a@example.com", "brand_new_field": 1})
    strict = make_client(strict=True)
    with pytest.raises(InvalidRequestError):
        await strict.contacts.create(request_body={"email": "a@example.com", "brand_new_field": 1})


# ------------------------------------------------------------------------------------------ 13: hooks


async def test_trace_config_sees_operation_and_attempts(server: FaultServer, make_client: Any) -> None:
    seen: list[tuple[str, Any]] = []

    async def on_start(session: Any, ctx: SimpleNamespace, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(("start", ctx.trace_request_ctx))

    async def on_end(session: Any, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams) -> None:
        seen.append(("end", params.response.status))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_end.append(on_end)
    client = make_client(trace_configs=[trace])
    server.script("GET", "/me", status(503), ok())
    await client.admins.identify()
    starts = [item for kind, item in seen if kind == "start"]
    assert all(isinstance(t, RequestTrace) for t in starts)
    assert [(t.operation, t.method, t.path, t.attempt) for t in starts] == [
        ("identifyAdmin", "GET", "/me", 0),
        ("identifyAdmin", "GET", "/me", 1),
    ]
    assert [item for kind, item in seen if kind == "end"] == [503, 200]
    with pytest.raises(ValueError, match="trace_configs"):
        async with aiohttp.ClientSession() as session:
            make_client(session=session, trace_configs=[trace])


async def test_opentelemetry_spans_for_sdk_calls(server: FaultServer, make_client: Any) -> None:
    from opentelemetry.instrumentation.aiohttp_client import create_trace_config
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    client = make_client(trace_configs=[create_trace_config(tracer_provider=provider)])
    server.script("GET", "/me", status(503), ok())
    await client.admins.identify()
    await client.contacts.find("c-1")
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == ["GET", "GET", "GET"]  # the retry is a span of its own
    statuses = [
        span.attributes.get("http.status_code", span.attributes.get("http.response.status_code")) for span in spans
    ]
    assert statuses == [503, 200, 200]
    urls = [span.attributes.get("http.url", span.attributes.get("url.full")) for span in spans]
    assert urls == [f"{server.url}/me", f"{server.url}/me", f"{server.url}/contacts/c-1"]
    for span in spans:
        text = repr(dict(span.attributes or {})) + repr([e.attributes for e in span.events])
        assert TOKEN not in text and TOKEN[-12:] not in text and "Bearer" not in text
    provider.shutdown()
