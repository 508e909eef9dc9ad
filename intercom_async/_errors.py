"""Typed errors. Every API error carries status, Intercom's error list, the request id and the raw response.

Hierarchy::

    IntercomError
    ├── APIError                      any non-2xx answer
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   │   └── TokenError            401 token_*: TokenRevoked/Suspended/Unauthorized/NotFoundError
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── UnprocessableEntityError  422
    │   ├── RateLimitError            429 (``reset_at``, ``retry_after``)
    │   └── ServerError               5xx
    ├── InvalidResponseError          2xx whose body is not what the operation documents (bad JSON, HTML, empty)
    ├── PaginationError               paging that cannot be followed safely (repeated cursor, foreign next link)
    ├── InvalidRequestError           the call's own input is unusable (empty path parameter, bad header name, ...)
    ├── APIConnectionError            no HTTP answer (refused, reset, closed mid-body)
    │   └── APITimeoutError           the timeout expired
    └── StrictValidationError         strict mode: the response differs from the spec (``intercom_async._codec``)

Every exception of the package is defined here, so any layer can raise any of them.

Messages are built from the status, Intercom's error codes/messages and the request id only: never from
request headers, so a token cannot leak into an exception's text or repr. A body snippet quoted in a
message (an HTML page from a proxy, say) goes through ``redact`` first, in case it echoes the request's
``Authorization`` header.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from typing import Any

from ._ratelimit_headers import parse_count, parse_retry_after, parse_unix_time
from ._response import APIResponse


class IntercomError(Exception):
    """Base class of every error raised by intercom_async."""


_CREDENTIAL_PATTERNS = (
    # "Bearer <token>" / "Basic <creds>" anywhere (echoed headers, debug pages), "access_token=<token>"
    re.compile(r"(?i)\b(bearer\s+|basic\s+|access_token=|token=)[A-Za-z0-9._~+/=:-]{4,}"),
    # "Authorization: <anything up to the end of the line or a quote>"
    re.compile(r"""(?i)(authorization["']?\s*[:=]\s*["']?)([^"'\r\n<,}]+)"""),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials replaced by ``[REDACTED]``: the given secrets verbatim, and anything that
    looks like an ``Authorization`` header or a bearer token."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[REDACTED]")
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(r"\1[REDACTED]", text)
    return text


class ErrorDetail:
    """One entry of Intercom's ``errors`` list."""

    __slots__ = ("code", "message", "field")

    def __init__(self, code: str | None = None, message: str | None = None, field: str | None = None) -> None:
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"ErrorDetail(code={self.code!r}, message={self.message!r}, field={self.field!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorDetail) and (self.code, self.message, self.field) == (
            other.code,
            other.message,
            other.field,
        )


def _error_details(body: Any) -> list[ErrorDetail]:
    if not isinstance(body, dict):
        return []
    raw = body.get("errors")
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        if isinstance(item, dict):
            out.append(
                ErrorDetail(
                    code=item.get("code") if isinstance(item.get("code"), str) else None,
                    message=item.get("message") if isinstance(item.get("message"), str) else None,
                    field=item.get("field") if isinstance(item.get("field"), str) else None,
                )
            )
    return out


class APIError(IntercomError):
    """Intercom (or something in between) answered with a non-2xx status."""

    status_code: int
    errors: list[ErrorDetail]
    request_id: str | None
    response: APIResponse[Any]
    body: Any

    def __init__(self, response: APIResponse[Any]) -> None:
        self.response = response
        self.status_code = response.status_code
        try:
            self.body = json.loads(response.content) if response.content else None
        except ValueError:
            self.body = None
        self.errors = _error_details(self.body)
        body_id = self.body.get("request_id") if isinstance(self.body, dict) else None
        self.request_id = body_id if isinstance(body_id, str) else response.request_id
        super().__init__(self._message())

    @property
    def code(self) -> str | None:
        """The first error code (e.g. ``"not_found"``), if Intercom sent one."""
        return self.errors[0].code if self.errors else None

    @property
    def retries(self) -> int:
        """How many retries were made before this answer."""
        return self.response.retries

    def _message(self) -> str:
        parts = [f"{self.status_code} {self.response.reason or ''}".rstrip()]
        parts.append(f"{self.response.method} {self.response.path}")
        if self.errors:
            parts.append("; ".join(f"{e.code}: {e.message}" if e.code else str(e.message) for e in self.errors))
        elif self.body is None and self.response.content:
            snippet = redact(self.response.content[:120].decode("utf-8", "replace").strip())
            parts.append(f"non-JSON body: {snippet!r}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " | ".join(parts)


class BadRequestError(APIError):
    """400"""


class AuthenticationError(APIError):
    """401: missing, invalid or revoked token."""


class PermissionDeniedError(APIError):
    """403: the token lacks the scope this operation needs."""


class NotFoundError(APIError):
    """404"""


class ConflictError(APIError):
    """409"""


class UnprocessableEntityError(APIError):
    """422"""


class RateLimitError(APIError):
    """429. ``reset_at`` is ``X-RateLimit-Reset`` (Unix seconds), ``retry_after`` the ``Retry-After`` seconds."""

    @property
    def reset_at(self) -> float | None:
        """``X-RateLimit-Reset`` as Unix seconds; ``None`` when absent or not a plausible Unix time."""
        return parse_unix_time(self.response.headers.get("X-RateLimit-Reset"))

    @property
    def retry_after(self) -> float | None:
        """``Retry-After`` in seconds (an HTTP date is converted); ``None`` when absent, negative or absurd."""
        seconds = parse_retry_after(self.response.headers.get("Retry-After"), time.time())
        return None if seconds is None else max(seconds, 0.0)

    @property
    def limit(self) -> int | None:
        """``X-RateLimit-Limit``: requests allowed per window."""
        return parse_count(self.response.headers.get("X-RateLimit-Limit"))

    @property
    def remaining(self) -> int | None:
        """``X-RateLimit-Remaining`` (0 on a 429)."""
        return parse_count(self.response.headers.get("X-RateLimit-Remaining"))


class ServerError(APIError):
    """5xx"""


class InvalidResponseError(IntercomError):
    """A 2xx response whose body does not decode as the operation documents (bad JSON, HTML, empty)."""

    def __init__(self, message: str, response: APIResponse[Any] | None = None) -> None:
        self.response = response
        super().__init__(message)


class InvalidRequestError(IntercomError, ValueError):
    """The request cannot be built from what the caller passed (an empty path parameter, a header name that
    is not a token, a protected header, ...). Nothing was sent. Also a ``ValueError``."""


class APIConnectionError(IntercomError):
    """The request got no HTTP answer: connection refused or reset, or closed mid-body.

    ``retries`` is how many retries were made before giving up."""

    retries: int = 0


class APITimeoutError(APIConnectionError):
    """The request's timeout expired before the response was complete."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for(response: APIResponse[Any]) -> APIError:
    """The typed exception for a non-2xx response."""
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    if cls is AuthenticationError:
        cls = _token_error_class(response) or cls
    return cls(response)


class PaginationError(IntercomError):
    """The server's paging cannot be followed safely: a repeated cursor or link, a page number it does not
    honour, a page identical to the previous one, a scroll that does not advance, or a next-page link
    outside the configured base URL."""


class StrictValidationError(IntercomError, ValueError):
    """A response differs from the spec; raised only in strict mode. ``path`` is a JSONPath-like string."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


# ---------------------------------------------------------------------------------------------------------
# Token errors (app toolkit). A 401 whose first error code says the access token itself is unusable raises a
# ``TokenError`` subclass, both from the client and from the OAuth code exchange (``intercom_async.oauth``):
# a multi-workspace app catches ``TokenError`` to mark that workspace's installation as gone.


class TokenError(AuthenticationError):
    """401 because the token is unusable (revoked, suspended, unknown, ...): the installation is gone or
    must be re-authorised. Other 401 codes stay plain ``AuthenticationError``."""


class TokenRevokedError(TokenError):
    """401 ``token_revoked``: the workspace uninstalled the app or revoked its access."""


class TokenSuspendedError(TokenError):
    """401 ``token_suspended``: the workspace (or the app) is suspended."""


class TokenUnauthorizedError(TokenError):
    """401 ``token_unauthorized``: the token cannot be decoded or is not valid."""


class TokenNotFoundError(TokenError):
    """401 ``token_not_found``: no such token (deleted, or from another region or app)."""


TOKEN_ERRORS: dict[str, type[TokenError]] = {
    "token_revoked": TokenRevokedError,
    "token_suspended": TokenSuspendedError,
    "token_unauthorized": TokenUnauthorizedError,
    "token_not_found": TokenNotFoundError,
}


def _token_error_class(response: APIResponse[Any]) -> type[TokenError] | None:
    """The ``TokenError`` class for a 401 whose first error code is a ``token_*`` code (the listed ones get
    their own class, any other ``token_*`` code the base class), else ``None``."""
    try:
        details = _error_details(json.loads(response.content)) if response.content else []
    except ValueError:
        return None
    code = details[0].code if details else None
    if not code or not code.startswith("token_"):
        return None
    return TOKEN_ERRORS.get(code, TokenError)
