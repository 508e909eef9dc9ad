"""Retries, backoff, server hints, timeouts and typed errors, against the testing kit's fake Intercom with faults
injected per test (``fake.fail``, ``fake.drop_connection``, ``fake.slow``).

Every test counts the requests that reached the server, so "2 retries" means exactly 3 requests seen, and
"not retried" means exactly 1.
"""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from typing import Any

import aiohttp
import pytest

from intercom_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from intercom_async._transport import RetryPolicy
from intercom_async.testing import FakeIntercom, Rule

from .conftest import ADMIN, ERROR_LIST, TOKEN, SleepRecorder, assert_no_token, fast_policy

FAKE_NOW = 1_700_000_000.0
RATE_LIMITED = {
    "type": "error.list",
    "request_id": "req-429",
    "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 167 in 10_seconds"}],
}
PROXY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1>"
    b"<pre>GET /me HTTP/1.1\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n</pre></body></html>"
)


def fail(
    fake: FakeIntercom,
    code: int,
    body: Any = ERROR_LIST,
    *,
    operation: str | None = None,
    headers: dict[str, str] | None = None,
    times: int | None = 1,
    content_type: str | None = None,
    reset_in: float | None = None,
) -> Rule:
    """Answer ``code`` with ``body`` and ``X-Request-Id: req-hdr-<code>`` (``times=None``: every request)."""
    headers = {"X-Request-Id": f"req-hdr-{code}", **(headers or {})}
    return fake.fail(
        operation, status=code, body=body, headers=headers, times=times, content_type=content_type, reset_in=reset_in
    )


def _no_sleep_policy(max_retries: int = 2, **kwargs: Any) -> tuple[RetryPolicy, SleepRecorder]:
    recorder = SleepRecorder(scale=0.0)
    return fast_policy(max_retries, sleep=recorder, **kwargs), recorder


# ------------------------------------------------------------------------------------------ retry counts


async def test_default_is_exactly_two_retries_on_503(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 503, times=None)
    policy, sleeps = _no_sleep_policy()
    client = make_fake_client(retry_policy=policy)
    with pytest.raises(ServerError) as info:
        await client.admins.identify()
    exc = info.value
    assert fake.count("admins.identify") == 3  # 1 attempt + exactly 2 retries
    assert len(sleeps.calls) == 2
    assert exc.retries == 2 and exc.status_code == 503
    assert exc.request_id == "req-body-1"  # the body's request_id wins over the header's
    assert exc.errors == [ErrorDetail(code="server_error", message="boom")]
    assert exc.code == "server_error"


async def test_default_policy_of_a_plain_client_retries_twice(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 500, times=None)
    client = make_fake_client(retry_policy=None, max_retries=2)  # the real default RetryPolicy(2)
    client._policy.sleep = SleepRecorder()  # keep the shape, skip the real backoff
    assert client._policy.max_retries == 2 and client._policy.backoff_base == 0.5
    with pytest.raises(ServerError):
        await client.admins.identify()
    assert fake.count() == 3


async def test_503_then_200_succeeds_after_one_retry(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 503, operation="admins.identify")
    client = make_fake_client()
    response = await client.admins.with_raw_response.identify()
    assert response.status_code == 200 and response.retries == 1
    assert response.parsed.id == ADMIN["id"]
    assert fake.count() == 2


@pytest.mark.parametrize("max_retries", [0, 1, 4])
async def test_client_level_max_retries(fake: FakeIntercom, make_fake_client: Any, max_retries: int) -> None:
    fail(fake, 502, times=None)
    client = make_fake_client(max_retries=max_retries)
    with pytest.raises(ServerError) as info:
        await client.admins.identify()
    assert fake.count() == max_retries + 1
    assert info.value.retries == max_retries


@pytest.mark.parametrize("per_call", [0, 1, 3])
async def test_per_call_max_retries_overrides_client(fake: FakeIntercom, make_fake_client: Any, per_call: int) -> None:
    fail(fake, 504, times=None)
    client = make_fake_client(max_retries=2)
    with pytest.raises(ServerError):
        await client.admins.identify(request_options={"max_retries": per_call})
    assert fake.count() == per_call + 1
    # the client's own policy is untouched
    fake.clear()
    with pytest.raises(ServerError):
        await client.admins.identify()
    assert fake.count() == 3


def test_invalid_max_retries_rejected() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(-1)
    with pytest.raises(ValueError):
        RetryPolicy().with_max_retries(-2)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (418, APIError),
    ],
)
async def test_other_4xx_never_retried(fake: FakeIntercom, make_fake_client: Any, code: int, cls: type) -> None:
    fail(fake, code, {"type": "error.list", "errors": [{"code": "nope", "message": "no"}]}, times=None)
    client = make_fake_client()
    with pytest.raises(APIError) as info:
        await client.admins.identify()
    assert type(info.value) is cls
    assert fake.count() == 1 and info.value.retries == 0
    assert info.value.request_id == f"req-hdr-{code}"  # no request_id in the body: the header's
    assert info.value.errors == [ErrorDetail(code="nope", message="no")]


async def test_408_is_retried(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 408, operation="admins.identify", times=2)
    client = make_fake_client()
    me = await client.admins.identify()
    assert me.id == ADMIN["id"] and fake.count() == 3


# ------------------------------------------------------------------------------------------ backoff and hints


async def test_full_jitter_backoff_bounds() -> None:
    calls: list[tuple[float, float]] = []

    def rng(a: float, b: float) -> float:
        calls.append((a, b))
        return b

    policy = RetryPolicy(5, backoff_base=0.5, backoff_cap=3.0, rng=rng)
    waits = [policy.wait(n) for n in range(5)]
    assert calls == [(0.0, 0.5), (0.0, 1.0), (0.0, 2.0), (0.0, 3.0), (0.0, 3.0)]
    assert waits == [0.5, 1.0, 2.0, 3.0, 3.0]


async def test_429_burst_waits_for_ratelimit_reset(fake: FakeIntercom, make_fake_client: Any) -> None:
    headers = {"X-RateLimit-Limit": "167", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(FAKE_NOW + 3))}
    fail(fake, 429, RATE_LIMITED, operation="admins.identify", headers=headers, times=2)
    policy, sleeps = _no_sleep_policy(clock=lambda: FAKE_NOW, rng=lambda a, b: a, max_retry_wait=60.0)
    client = make_fake_client(retry_policy=policy)
    response = await client.admins.with_raw_response.identify()
    assert response.retries == 2 and fake.count() == 3
    assert sleeps.calls == [3.0, 3.0]  # exactly until the reset, not the (tiny) exponential backoff


async def test_reset_hint_jitter_is_at_most_ten_percent(fake: FakeIntercom, make_fake_client: Any) -> None:
    headers = {"X-RateLimit-Reset": str(int(FAKE_NOW + 4))}
    fail(fake, 429, RATE_LIMITED, operation="admins.identify", headers=headers)
    policy, sleeps = _no_sleep_policy(clock=lambda: FAKE_NOW, rng=lambda a, b: b, max_retry_wait=60.0)
    client = make_fake_client(retry_policy=policy)
    await client.admins.identify()
    assert sleeps.calls == [pytest.approx(4.4)]


async def test_reset_hint_capped_and_past_reset_falls_back_to_backoff(
    fake: FakeIntercom, make_fake_client: Any
) -> None:
    far = {"X-RateLimit-Reset": str(int(FAKE_NOW + 3600))}
    past = {"X-RateLimit-Reset": str(int(FAKE_NOW - 5))}  # our clock is ahead of the server's
    fail(fake, 429, RATE_LIMITED, operation="admins.identify", headers=far)
    fail(fake, 429, RATE_LIMITED, operation="admins.identify", headers=past)
    policy, sleeps = _no_sleep_policy(clock=lambda: FAKE_NOW, rng=lambda a, b: b, max_retry_wait=2.0)
    client = make_fake_client(retry_policy=policy)
    await client.admins.identify()
    assert sleeps.calls[0] == 2.0  # capped
    assert sleeps.calls[1] == pytest.approx(0.01)  # backoff_base * 2**1, not 0 and not negative


async def test_retry_after_seconds_and_http_date(fake: FakeIntercom, make_fake_client: Any) -> None:
    date = email.utils.formatdate(FAKE_NOW + 1.0, usegmt=True)
    fail(fake, 429, RATE_LIMITED, operation="admins.identify", headers={"Retry-After": "1.5"})
    fail(fake, 503, operation="admins.identify", headers={"Retry-After": date})
    policy, sleeps = _no_sleep_policy(clock=lambda: FAKE_NOW, rng=lambda a, b: a)
    client = make_fake_client(retry_policy=policy)
    await client.admins.identify()
    assert sleeps.calls == [1.5, 1.0]


async def test_rate_limit_error_exposes_reset_and_keeps_request_id(fake: FakeIntercom, make_fake_client: Any) -> None:
    headers = {
        "X-RateLimit-Limit": "167",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(FAKE_NOW + 1)),
        "Retry-After": "1",
    }
    fail(fake, 429, RATE_LIMITED, headers=headers, times=None)
    policy, sleeps = _no_sleep_policy(clock=lambda: FAKE_NOW)
    client = make_fake_client(retry_policy=policy)
    with pytest.raises(RateLimitError) as info:
        await client.admins.identify()
    exc = info.value
    assert fake.count() == 3 and exc.retries == 2 and len(sleeps.calls) == 2
    assert exc.reset_at == int(FAKE_NOW + 1) and exc.retry_after == 1.0
    assert exc.limit == 167 and exc.remaining == 0
    assert exc.request_id == "req-429" and exc.code == "rate_limit_exceeded"
    assert "rate_limit_exceeded" in str(exc) and "req-429" in str(exc)


# ------------------------------------------------------------------------------------------ POST / PUT safety


@pytest.mark.parametrize("code", [500, 502, 504, 408])
async def test_post_not_retried_after_possibly_processed_status(
    fake: FakeIntercom, make_fake_client: Any, code: int
) -> None:
    fail(fake, code, times=None)
    client = make_fake_client()
    with pytest.raises(APIError) as info:
        await client.contacts.create(request_body={"email": "x@example.com"})
    assert info.value.status_code == code
    assert fake.count("contacts.create") == 1


@pytest.mark.parametrize("code", [429, 503])
async def test_post_retried_after_429_or_503(fake: FakeIntercom, make_fake_client: Any, code: int) -> None:
    fail(fake, code, operation="contacts.create", times=2, reset_in=0.01)
    client = make_fake_client()
    contact = await client.contacts.create(request_body={"email": "x@example.com"})
    assert contact.id == "c-1"
    hits = [h for h in fake.requests if h.method == "POST"]
    assert len(hits) == 3 and all(h.body == hits[0].body for h in hits)  # same payload each time


@pytest.mark.parametrize("where", ["before_response", "mid_body"], ids=["reset-before-response", "closed-mid-body"])
async def test_post_not_retried_after_connection_drop(fake: FakeIntercom, make_fake_client: Any, where: Any) -> None:
    fake.drop_connection("contacts.create", where=where)
    client = make_fake_client()
    with pytest.raises(APIConnectionError) as info:
        await client.contacts.create(request_body={"email": "x@example.com"})
    assert type(info.value) is APIConnectionError and info.value.retries == 0
    assert fake.count("contacts.create") == 1  # sent once, never duplicated


async def test_put_treated_like_post(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.drop_connection("contacts.update", match={"id": "c-1"})
    client = make_fake_client()
    with pytest.raises(APIConnectionError):
        await client.contacts.update("c-1", request_body={"name": "N"})
    assert fake.count("contacts.update") == 1
    fail(fake, 503, operation="contacts.update")
    await client.contacts.update("c-1", request_body={"name": "N"})
    assert fake.count("contacts.update") == 3


async def test_post_retried_when_never_sent_connection_refused(make_fake_client: Any) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connection refused
    policy, sleeps = _no_sleep_policy()
    client = make_fake_client(base_url=f"http://127.0.0.1:{port}", retry_policy=policy)
    with pytest.raises(APIConnectionError) as info:
        await client.contacts.create(request_body={"email": "x@example.com"})
    assert type(info.value) is APIConnectionError
    assert info.value.retries == 2 and len(sleeps.calls) == 2
    assert "ClientConnectorError" in str(info.value)


async def test_post_retried_after_connect_timeout(make_fake_client: Any) -> None:
    # A listener with a full accept queue drops SYNs: the connection never opens (Linux/BSD behaviour).
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    try:
        policy, sleeps = _no_sleep_policy()
        client = make_fake_client(base_url=f"http://127.0.0.1:{port}", retry_policy=policy, connect_timeout=5.0)
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as info:
            await client.contacts.create(
                request_body={"email": "x@example.com"}, request_options={"connect_timeout": 0.1, "timeout": 5.0}
            )
        assert info.value.retries == 2 and len(sleeps.calls) == 2  # never sent, so even a POST is retried
        assert time.monotonic() - started < 2.0  # the per-call connect timeout, not the client's 5 s
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_error_classification() -> None:
    policy = RetryPolicy()
    key = aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None)
    refused = aiohttp.ClientConnectorError(key, OSError(111, "refused"))
    assert policy.should_retry_error("POST", refused)
    assert policy.should_retry_error("POST", aiohttp.ConnectionTimeoutError())
    assert not policy.should_retry_error("POST", aiohttp.ServerDisconnectedError())
    assert not policy.should_retry_error("PUT", aiohttp.SocketTimeoutError())
    assert policy.should_retry_error("GET", aiohttp.ServerDisconnectedError())
    assert policy.should_retry_error("GET", aiohttp.ClientPayloadError("cut"))
    assert policy.should_retry_error("DELETE", asyncio.TimeoutError())
    assert not policy.should_retry_error("GET", aiohttp.InvalidURL("x"))
    assert not policy.should_retry_status("GET", 404)
    assert policy.should_retry_status("GET", 501)
    assert not policy.should_retry_status("POST", 500)
    assert policy.should_retry_status("POST", 429)


# ------------------------------------------------------------------------------------------ GET connection faults


async def test_get_reset_before_response_retried_exactly_twice(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.drop_connection(times=None)
    client = make_fake_client()
    with pytest.raises(APIConnectionError) as info:
        await client.admins.identify()
    assert type(info.value) is APIConnectionError and info.value.retries == 2
    assert "ServerDisconnectedError" in str(info.value)
    # 3, not 6: aiohttp's hidden resend on a dropped keep-alive connection is off
    assert fake.count() == 3


async def test_get_recovers_from_reset_and_truncation(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.drop_connection("admins.identify")
    fake.drop_connection("admins.identify", where="mid_body")
    client = make_fake_client()
    response = await client.admins.with_raw_response.identify()
    assert response.retries == 2 and response.parsed.email == ADMIN["email"]
    assert fake.count() == 3


async def test_get_closed_mid_body_every_time(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.drop_connection(where="mid_body", times=None)
    client = make_fake_client()
    with pytest.raises(APIConnectionError) as info:
        await client.admins.identify()
    assert "ClientPayloadError" in str(info.value) and info.value.retries == 2
    assert fake.count() == 3


# ------------------------------------------------------------------------------------------ timeouts


async def test_slow_body_per_call_timeout(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.slow(delay=2.0, times=None)
    client = make_fake_client()
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        await client.admins.identify(request_options={"timeout": 0.15})
    elapsed = time.monotonic() - started
    assert isinstance(info.value, APIConnectionError) and info.value.retries == 2
    assert fake.count() == 3
    assert 0.45 <= elapsed < 1.5  # three attempts of 0.15 s, plus tiny backoff
    assert "timed out after" in str(info.value)


async def test_slow_headers_client_timeout_then_success(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.slow("admins.identify", delay=2.0, where="headers")
    client = make_fake_client(timeout=0.15)
    me = await client.admins.identify()
    assert me.id == ADMIN["id"] and fake.count() == 2


async def test_post_timeout_not_retried(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.slow(delay=2.0, where="headers", times=None)
    client = make_fake_client()
    with pytest.raises(APITimeoutError) as info:
        await client.contacts.create(request_body={"email": "x@example.com"}, request_options={"timeout": 0.1})
    assert info.value.retries == 0 and fake.count("contacts.create") == 1


def test_per_call_timeout_objects() -> None:
    import intercom_async

    client = intercom_async.Intercom(TOKEN, version="2.12", base_url="http://127.0.0.1:9", timeout=7, connect_timeout=3)
    transport = client._transport
    assert transport.client_timeout(None, None) is None  # no override: the session's own
    t = transport.client_timeout(1.5, None)
    assert (t.total, t.sock_connect) == (1.5, 3)
    t = transport.client_timeout(None, 0.5)
    assert (t.total, t.sock_connect) == (7, 0.5)


# ------------------------------------------------------------------------------------------ bad bodies


async def test_malformed_json_200_is_invalid_response_not_retried(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 200, b'{"type": "admin", "id": ', content_type="application/json", times=None)
    client = make_fake_client()
    with pytest.raises(InvalidResponseError) as info:
        await client.admins.identify()
    assert fake.count() == 1
    assert info.value.response is not None and info.value.response.retries == 0
    assert "not JSON" in str(info.value)


async def test_empty_200_is_invalid_response(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 200, b"", content_type="application/json", times=None)
    client = make_fake_client()
    with pytest.raises(InvalidResponseError, match="empty body"):
        await client.admins.identify()
    assert fake.count() == 1


async def test_html_proxy_error_page_retried_then_server_error(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 502, PROXY_PAGE, content_type="text/html", times=None)
    client = make_fake_client()
    with pytest.raises(ServerError) as info:
        await client.admins.identify()
    exc = info.value
    assert fake.count() == 3 and exc.retries == 2
    assert exc.errors == [] and exc.body is None and "non-JSON body" in str(exc)
    assert_no_token(str(exc), repr(exc), *exc.args)  # the page echoed the Authorization header


async def test_html_proxy_page_with_200_is_invalid_response(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 200, PROXY_PAGE, content_type="text/html", times=None)
    client = make_fake_client()
    with pytest.raises(InvalidResponseError) as info:
        await client.contacts.create(request_body={"email": "x@example.com"})
    assert fake.count() == 1
    assert_no_token(str(info.value), repr(info.value), *info.value.args)


# ------------------------------------------------------------------------------------------ token


async def test_token_callables_called_per_attempt(fake: FakeIntercom, make_fake_client: Any) -> None:
    fake.accept_any_token = True  # the token rotates: any Bearer token is let in
    fail(fake, 503, operation="admins.identify", times=2)
    issued: list[str] = []

    async def rotate() -> str:
        issued.append(f"{TOKEN}-{len(issued)}")
        return issued[-1]

    client = make_fake_client(token=rotate)
    await client.admins.identify()
    assert [h.authorization for h in fake.requests] == [f"Bearer {t}" for t in issued]
    assert len(issued) == 3

    counter = iter(range(100))
    sync_client = make_fake_client(token=lambda: f"{TOKEN}-sync-{next(counter)}")
    fake.clear()
    fail(fake, 500, operation="admins.identify")
    await sync_client.admins.identify()
    assert [h.authorization for h in fake.requests] == [f"Bearer {TOKEN}-sync-0", f"Bearer {TOKEN}-sync-1"]


async def test_token_never_in_reprs_or_errors(fake: FakeIntercom, make_fake_client: Any) -> None:
    fail(fake, 401, {"type": "error.list", "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}]})
    client = make_fake_client()
    with pytest.raises(AuthenticationError) as info:
        await client.admins.identify()
    assert "Access Token Invalid" in str(info.value)  # Intercom's own message is kept intact
    assert_no_token(client, client._transport, client._policy, info.value, info.value.response, client.admins)
