"""OAuth: the authorize URL, and the code exchange against a loopback token endpoint (success, each token
error code, other errors, a non-JSON error page echoing the request); the client secret and the code never
reach an error text or a log line. The client raises the same token errors on a 401."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp import web

import intercom_async
from intercom_async import oauth

from .conftest import serve_aiohttp

CLIENT_ID = "6a1d5f3c-0b9e-4c8d-9f2a-1b3c5d7e9f01"
CLIENT_SECRET = "f3e2d1c0-b9a8-4765-8432-10fedcba9876"
CODE = "c0de-7b1e-4a2f-9d3c-5e6f7a8b9c0d"


class TokenEndpoint:
    """A loopback stand-in for POST /auth/eagle/token: records each request, answers ``status``/``body``."""

    def __init__(self, status: int = 200, body: Any = None, content_type: str = "application/json") -> None:
        self.status = status
        self.body = {"token_type": "Bearer", "token": "dG9rOmFi", "access_token": "dG9rOmFi"} if body is None else body
        self.content_type = content_type
        self.requests: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.requests.append(
            {
                "path": request.path,
                "content_type": request.content_type,
                "form": dict(form),
                "headers": dict(request.headers),
            }
        )
        body = self.body if isinstance(self.body, (bytes, str)) else json.dumps(self.body)
        return web.Response(status=self.status, body=body, content_type=self.content_type)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(oauth.TOKEN_PATH, self.handle)
        return app


async def exchange(base: str, **kwargs: Any) -> oauth.OAuthToken:
    return await oauth.exchange_code(CODE, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, base_url=base, **kwargs)


def assert_no_secrets(text: str) -> None:
    assert CLIENT_SECRET not in text and CODE not in text


def test_authorize_url():
    url = oauth.authorize_url(CLIENT_ID, state="s t&ate")
    assert url == f"https://app.intercom.com/oauth?client_id={CLIENT_ID}&state=s%20t%26ate"
    url = oauth.authorize_url(CLIENT_ID, state="xyz", redirect_uri="https://app.example.com/cb?x=1", region="EU")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "app.eu.intercom.com", "/oauth")
    assert parse_qs(parts.query) == {
        "client_id": [CLIENT_ID],
        "state": ["xyz"],
        "redirect_uri": ["https://app.example.com/cb?x=1"],
    }
    assert oauth.authorize_url(CLIENT_ID, state="x", region="au").startswith("https://app.au.intercom.com/oauth?")
    assert oauth.authorize_url(CLIENT_ID, state="x", base_url="http://127.0.0.1:9/oauth").startswith(
        "http://127.0.0.1:9/oauth?client_id="
    )
    with pytest.raises(intercom_async.InvalidRequestError):
        oauth.authorize_url(CLIENT_ID, state="")
    with pytest.raises(intercom_async.InvalidRequestError):
        oauth.authorize_url(CLIENT_ID, state="x", region="mars")


def test_state_helpers():
    state = oauth.new_state()
    assert len(state) >= 43 and state != oauth.new_state()
    assert oauth.states_match(state, state)
    assert not oauth.states_match(state, state[:-1] + "x")
    assert (
        not oauth.states_match(None, state) and not oauth.states_match(state, None) and not oauth.states_match("", "")
    )


async def test_successful_exchange_posts_the_form_and_returns_the_token(caplog):
    endpoint = TokenEndpoint()
    with caplog.at_level(logging.DEBUG, logger="intercom_async"):
        async with serve_aiohttp(endpoint.app()) as base:
            token = await exchange(base)
    assert token.access_token == "dG9rOmFi" and token.token_type == "Bearer"
    assert "dG9rOmFi" not in repr(token)
    (req,) = endpoint.requests
    assert req["path"] == "/auth/eagle/token"
    assert req["content_type"] == "application/x-www-form-urlencoded"
    assert req["form"] == {"code": CODE, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert req["headers"]["Accept"] == "application/json"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/auth/eagle/token -> 200" in logged
    assert_no_secrets(logged)


async def test_a_token_under_token_only_is_accepted_and_a_user_session_is_left_open():
    endpoint = TokenEndpoint(body={"token": "only-token-field"})
    async with serve_aiohttp(endpoint.app()) as base, aiohttp.ClientSession() as session:
        token = await exchange(base, session=session)
        assert not session.closed
    assert token.access_token == "only-token-field" and token.token_type is None


TOKEN_CODES = [
    ("token_revoked", intercom_async.TokenRevokedError),
    ("token_suspended", intercom_async.TokenSuspendedError),
    ("token_unauthorized", intercom_async.TokenUnauthorizedError),
    ("token_not_found", intercom_async.TokenNotFoundError),
    ("token_expired", intercom_async.TokenError),  # any other token_* code: the base class
]


@pytest.mark.parametrize(("code", "error"), TOKEN_CODES)
async def test_each_token_error_code_raises_its_class(code, error):
    body = {
        "type": "error.list",
        "request_id": "req-9",
        "errors": [{"code": code, "message": f"Token problem for code {CODE} and secret {CLIENT_SECRET}"}],
    }
    endpoint = TokenEndpoint(status=401, body=body)
    async with serve_aiohttp(endpoint.app()) as base:
        with pytest.raises(error) as info:
            await exchange(base)
    exc = info.value
    assert type(exc) is error
    assert isinstance(exc, intercom_async.TokenError) and isinstance(exc, intercom_async.AuthenticationError)
    assert exc.status_code == 401 and exc.code == code and exc.request_id == "req-9"
    assert code in str(exc)
    for text in (str(exc), repr(exc), exc.response.text, str(exc.errors), str(exc.body)):
        assert_no_secrets(text)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            401,
            {"type": "error.list", "errors": [{"code": "unauthorized", "message": "Access Token Invalid"}]},
            intercom_async.AuthenticationError,
        ),
        (401, {"type": "error.list", "errors": []}, intercom_async.AuthenticationError),
        (
            400,
            {"type": "error.list", "errors": [{"code": "token_revoked", "message": "x"}]},
            intercom_async.BadRequestError,
        ),
        (400, {"error": "invalid_grant", "error_description": "bad code"}, intercom_async.BadRequestError),
        (
            403,
            {"type": "error.list", "errors": [{"code": "forbidden", "message": "no"}]},
            intercom_async.PermissionDeniedError,
        ),
    ],
)
async def test_other_errors_keep_their_usual_types(status, body, error):
    async with serve_aiohttp(TokenEndpoint(status=status, body=body).app()) as base:
        with pytest.raises(error) as info:
            await exchange(base)
    assert type(info.value) is error and not isinstance(info.value, intercom_async.TokenError)


async def test_a_non_json_error_page_that_echoes_the_request_is_scrubbed():
    async def page(request: web.Request) -> web.Response:
        raw = (await request.read()).decode()
        html = f"<html><body><h1>502 Bad Gateway</h1><pre>POST /auth/eagle/token\n{raw}\n{CLIENT_SECRET}</pre></body></html>"
        return web.Response(status=502, text=html, content_type="text/html")

    app = web.Application()
    app.router.add_post(oauth.TOKEN_PATH, page)
    async with serve_aiohttp(app) as base:
        with pytest.raises(intercom_async.ServerError) as info:
            await exchange(base)
    exc = info.value
    assert exc.status_code == 502 and exc.errors == [] and "non-JSON body" in str(exc)
    assert "[REDACTED]" in exc.response.text
    for text in (str(exc), repr(exc), exc.response.text, repr(exc.response.content)):
        assert_no_secrets(text)


@pytest.mark.parametrize("body", [{"token_type": "Bearer"}, {"access_token": ""}, [1, 2], "<html>ok</html>"])
async def test_a_2xx_without_a_token_is_an_invalid_response(body):
    endpoint = TokenEndpoint(body=body if not isinstance(body, str) else body.encode())
    async with serve_aiohttp(endpoint.app()) as base:
        with pytest.raises(intercom_async.InvalidResponseError) as info:
            await exchange(base)
    assert "without an access token" in str(info.value)
    assert info.value.response is not None and info.value.response.status_code == 200


async def test_no_answer_is_a_connection_error_without_secrets():
    async with serve_aiohttp(web.Application()) as base:
        pass  # the port is free again: nothing listens there now
    with pytest.raises(intercom_async.APIConnectionError) as info:
        await exchange(base)
    assert "POST /auth/eagle/token" in str(info.value)
    assert_no_secrets(str(info.value))


@pytest.mark.parametrize(
    "kwargs",
    [{"code": ""}, {"client_id": ""}, {"client_secret": None}, {"region": "mars"}, {"base_url": "ftp://x"}],
)
async def test_bad_arguments_are_refused_before_anything_is_sent(kwargs):
    args: dict[str, Any] = {"code": CODE, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **kwargs}
    with pytest.raises(intercom_async.InvalidRequestError) as info:
        await oauth.exchange_code(args.pop("code"), **args)
    assert_no_secrets(str(info.value))


async def test_regions_pick_the_regional_token_host(monkeypatch):
    """Without base_url the exchange goes to the region's API host (captured, never sent)."""
    seen: list[str] = []

    async def fake_post(session, url, form, headers, timeout):
        seen.append(url)
        return 200, "OK", {}, b'{"token": "t"}', url

    monkeypatch.setattr(oauth, "_post", fake_post)
    for region in ("us", "eu", "au"):
        await oauth.exchange_code(CODE, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, region=region)
    assert seen == [
        "https://api.intercom.io/auth/eagle/token",
        "https://api.eu.intercom.io/auth/eagle/token",
        "https://api.au.intercom.io/auth/eagle/token",
    ]


@pytest.mark.parametrize(("code", "error"), TOKEN_CODES)
async def test_the_client_raises_the_same_token_errors_on_a_401(code, error):
    """A multi-workspace app catches TokenError from any API call to mark the installation as gone."""

    async def me(request: web.Request) -> web.Response:
        body = {"type": "error.list", "request_id": "r1", "errors": [{"code": code, "message": "gone"}]}
        return web.json_response(body, status=401)

    app = web.Application()
    op = intercom_async.VERSIONS["2.12"].load().OPERATIONS["identifyAdmin"]
    app.router.add_route(op.method, op.path, me)
    async with serve_aiohttp(app) as base:
        async with intercom_async.Intercom(
            "tok_installation_1234", version="2.12", base_url=base, max_retries=0
        ) as client:
            with pytest.raises(error) as info:
                await op.bind(client)()
    assert type(info.value) is error and info.value.code == code
    assert "tok_installation_1234" not in str(info.value)
