"""OAuth for public Intercom apps: send the workspace admin to Intercom, trade the code for a token.

1. ``state = new_state()``; keep it in the user's session; redirect to
   ``authorize_url(client_id, state=state, redirect_uri=...)`` (``https://app.intercom.com/oauth?client_id=...&state=...``).
2. Intercom redirects back with ``code`` and ``state``; check ``state`` (``states_match``), then
   ``token = await exchange_code(code, client_id=..., client_secret=..., region=...)``, a ``POST
   https://api.intercom.io/auth/eagle/token`` (``api.eu.intercom.io`` / ``api.au.intercom.io`` for the other
   regions; ``base_url=`` for tests and proxies). ``token.access_token`` is the workspace's bearer token.

Errors: a non-2xx answer raises the client's typed ``APIError``; a 401 whose first error code is
``token_revoked``, ``token_suspended``, ``token_unauthorized``, ``token_not_found`` (or another ``token_*``)
raises the matching ``intercom_async.TokenError`` subclass, the same classes the client raises when an
installed token stops working. A 2xx without a token raises ``InvalidResponseError``; no answer,
``APIConnectionError`` / ``APITimeoutError``. The client secret and the code are never logged, and are
removed from every error text and from the response body kept on the error. Nothing is retried: a code
works once.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

from ._client import REGIONS, USER_AGENT
from ._errors import APIConnectionError, APITimeoutError, InvalidRequestError, InvalidResponseError, error_for, redact
from ._json import loads
from ._response import APIResponse
from ._urls import normalise_base_url

__all__ = [
    "AUTHORIZE_URLS",
    "TOKEN_PATH",
    "OAuthToken",
    "authorize_url",
    "exchange_code",
    "new_state",
    "states_match",
]

# Intercom's OAuth documentation names https://app.intercom.com/oauth; workspaces hosted in Europe and
# Australia live on app.eu.intercom.com / app.au.intercom.com.
AUTHORIZE_URLS: dict[str, str] = {
    "us": "https://app.intercom.com/oauth",
    "eu": "https://app.eu.intercom.com/oauth",
    "au": "https://app.au.intercom.com/oauth",
}
TOKEN_PATH = "/auth/eagle/token"

_log = logging.getLogger("intercom_async.oauth")


def _region(region: str, table: dict[str, str]) -> str:
    key = region.lower() if isinstance(region, str) else region
    if key not in table:
        raise InvalidRequestError(f"unknown region {region!r}; expected one of {sorted(table)} (or pass base_url=)")
    return table[key]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequestError(f"{name} must be a non-empty str")
    return value


def new_state() -> str:
    """A random ``state`` value (256 bits, URL-safe) to bind the redirect to the user's session (CSRF)."""
    return secrets.token_urlsafe(32)


def states_match(expected: str | None, received: str | None) -> bool:
    """Whether the ``state`` Intercom sent back is the one you stored, compared in constant time."""
    if not isinstance(expected, str) or not isinstance(received, str) or not expected:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))


def authorize_url(
    client_id: str,
    *,
    state: str,
    redirect_uri: str | None = None,
    region: str = "us",
    base_url: str | None = None,
) -> str:
    """Where to send the admin installing your app: ``https://app.intercom.com/oauth?client_id=...&state=...``
    (plus ``redirect_uri``, one of the app's registered redirect URLs, when given; else the first one).

    ``region`` picks Intercom's host for workspaces hosted in Europe (``eu``) or Australia (``au``);
    ``base_url`` replaces the whole ``.../oauth`` URL (tests)."""
    params = {"client_id": _text(client_id, "client_id"), "state": _text(state, "state")}
    if redirect_uri is not None:
        params["redirect_uri"] = _text(redirect_uri, "redirect_uri")
    base = normalise_base_url(base_url) if base_url is not None else _region(region, AUTHORIZE_URLS)
    return f"{base}?{urlencode(params, quote_via=quote)}"


class OAuthToken:
    """The token Intercom issued for one workspace. ``access_token`` is never shown in ``repr``.
    ``raw`` is the decoded JSON answer (it holds the token too)."""

    __slots__ = ("access_token", "token_type", "raw")

    def __init__(self, access_token: str, token_type: str | None, raw: dict[str, Any]) -> None:
        self.access_token = access_token
        self.token_type = token_type
        self.raw = raw

    def __repr__(self) -> str:
        return f"OAuthToken(token_type={self.token_type!r}, access_token=[REDACTED])"


def _scrub(content: bytes, hidden: list[str]) -> bytes:
    for value in hidden:
        for variant in {value, quote(value, safe=""), json.dumps(value)[1:-1]}:
            if len(variant) >= 4:
                content = content.replace(variant.encode("utf-8", "replace"), b"[REDACTED]")
    return content


async def exchange_code(
    code: str,
    *,
    client_id: str,
    client_secret: str,
    region: str = "us",
    base_url: str | None = None,
    session: aiohttp.ClientSession | None = None,
    timeout: float = 30.0,
) -> OAuthToken:
    """Trade the authorization ``code`` from the redirect for the workspace's access token.

    ``region`` (``us``, ``eu``, ``au``) picks ``api.intercom.io`` / ``api.eu.intercom.io`` / ``api.au.intercom.io``;
    ``base_url`` overrides it (``http://127.0.0.1:8080`` in tests). ``session``: an ``aiohttp.ClientSession`` to
    use (not closed here); by default a short-lived one is opened and closed. See the module docstring for errors.
    """
    _text(code, "code")
    _text(client_id, "client_id")
    _text(client_secret, "client_secret")
    base = normalise_base_url(base_url) if base_url is not None else _region(region, REGIONS)
    url = base + TOKEN_PATH
    hidden = [client_secret, code]
    form = {"code": code, "client_id": client_id, "client_secret": client_secret}
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    started = time.monotonic()
    try:
        if session is None:
            async with aiohttp.ClientSession() as own:
                status, reason, resp_headers, content, final_url = await _post(own, url, form, headers, client_timeout)
        else:
            status, reason, resp_headers, content, final_url = await _post(session, url, form, headers, client_timeout)
    except asyncio.TimeoutError:
        raise APITimeoutError(f"POST {TOKEN_PATH}: timed out after {time.monotonic() - started:.2f}s") from None
    except (aiohttp.ClientError, OSError) as exc:
        reason_text = redact(str(exc).split("\n", 1)[0][:200] or type(exc).__name__, hidden)
        raise APIConnectionError(f"POST {TOKEN_PATH}: {type(exc).__name__}: {reason_text}") from None
    elapsed = time.monotonic() - started
    _log.debug("POST %s -> %d in %.3fs", TOKEN_PATH, status, elapsed)
    response: APIResponse[Any] = APIResponse(
        status_code=status,
        reason=reason,
        headers=resp_headers,
        content=_scrub(content, hidden),
        method="POST",
        path=TOKEN_PATH,
        url=final_url,
        elapsed=elapsed,
        retries=0,
        operation=None,
    )
    if not 200 <= status < 300:
        error = error_for(response)
        error.args = tuple(redact(a, hidden) if isinstance(a, str) else a for a in error.args)
        raise error
    try:
        data = loads(content)
    except ValueError:
        data = None
    token = None
    if isinstance(data, dict):
        token = data.get("access_token") or data.get("token")
    if not isinstance(token, str) or not token:
        raise InvalidResponseError(
            f"POST {TOKEN_PATH} answered {status} without an access token"
            + (" (the body is not JSON)" if data is None else ""),
            response,
        )
    token_type = data.get("token_type") if isinstance(data, dict) else None
    return OAuthToken(token, token_type if isinstance(token_type, str) else None, data)


async def _post(
    session: aiohttp.ClientSession,
    url: str,
    form: dict[str, str],
    headers: dict[str, str],
    timeout: aiohttp.ClientTimeout,
) -> tuple[int, str | None, Any, bytes, str]:
    async with session.post(url, data=form, headers=headers, timeout=timeout, allow_redirects=False) as resp:
        content = await resp.read()
        return resp.status, resp.reason, resp.headers, content, str(resp.url)
