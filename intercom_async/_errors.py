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
    │   └── ResponseTooLargeError     a body (any status) larger than ``max_response_size``; never buffered past it
    ├── PaginationError               paging that cannot be followed safely (repeated cursor, foreign next link)
    ├── InvalidRequestError           the call's own input is unusable (empty path parameter, bad header name, ...)
    ├── APIConnectionError            no HTTP answer (refused, reset, closed mid-body)
    │   └── APITimeoutError           the timeout expired
    └── StrictValidationError         strict mode: the response differs from the spec (``intercom_async._codec``)

Every exception of the package is defined here, so any layer can raise any of them.

Messages are built from the status, Intercom's error codes/messages and the request id only: never from
request headers, so a token cannot leak into an exception's text or repr. A body snippet quoted in a
message (an HTML page from a proxy, say) goes through ``redact`` first (before it is cut to length), in case
it echoes the request's ``Authorization`` header. The client then passes every ``IntercomError`` raised from
a call through ``scrub`` with the tokens it sent recently: any fragment of 8 or more characters of one of
them is removed from the error's text, wherever the text came from (a status line, a reason phrase, a value
quoted by strict validation).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any

from ._json import loads
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


FRAGMENT = 8  # a run of this many characters of a secret is treated as the secret (a cut-off echo)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with credentials replaced by ``[REDACTED]``: the given secrets, whole or any fragment of at
    least ``FRAGMENT`` characters of one (an echo cut by truncation), and anything that looks like an
    ``Authorization`` header or a bearer token."""
    grams: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[REDACTED]")
            grams.update(secret[i : i + FRAGMENT] for i in range(len(secret) - FRAGMENT + 1))
    if grams and len(text) >= FRAGMENT:
        text = _redact_fragments(text, grams)
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub(r"\1[REDACTED]", text)
    return text


def _redact_fragments(text: str, grams: set[str]) -> str:
    """Replace every maximal run of ``text`` covered by windows found in ``grams`` with ``[REDACTED]``."""
    covered_to = -1
    runs: list[list[int]] = []
    for i in range(len(text) - FRAGMENT + 1):
        if text[i : i + FRAGMENT] in grams:
            if runs and i <= covered_to:
                runs[-1][1] = i + FRAGMENT
            else:
                runs.append([i, i + FRAGMENT])
            covered_to = i + FRAGMENT
    if not runs:
        return text
    out, last = [], 0
    for start, end in runs:
        out.append(text[last:start])
        out.append("[REDACTED]")
        last = end
    out.append(text[last:])
    return "".join(out)


def scrub(exc: BaseException, secrets: Iterable[str]) -> BaseException:
    """``exc`` with ``redact(..., secrets)`` applied to its arguments (its text) and to the texts it keeps from
    the server (Intercom's error messages, a strict-validation path and problem); the context of an error
    raised ``from None`` (an aiohttp exception that may quote the status line) is dropped. Returns ``exc``."""
    secrets = [s for s in secrets if isinstance(s, str)]
    exc.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in exc.args)
    for name in ("path", "problem"):
        value = getattr(exc, name, None)
        if isinstance(value, str) and isinstance(exc, StrictValidationError):
            setattr(exc, name, redact(value, secrets))
    for detail in getattr(exc, "errors", None) or ():
        if isinstance(detail, ErrorDetail):
            for name in ("code", "message", "field"):
                value = getattr(detail, name)
                if isinstance(value, str):
                    setattr(detail, name, redact(value, secrets))
    if exc.__suppress_context__:
        exc.__context__ = None
    return exc


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
            self.body = loads(response.content) if response.content else None  # bounded, as for a 2xx body
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
            # redact before cutting: a cut could leave a token too short for the patterns to recognise
            text = redact(self.response.content[:4096].decode("utf-8", "replace").strip())
            parts.append(f"non-JSON body: {text[:120]!r}")
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


class ResponseTooLargeError(InvalidResponseError):
    """The response body (of any status) exceeded the size limit (``max_response_size``, per client or per
    call). Reading stopped at the limit, so nothing past it was held in memory, and the connection was
    closed. Not retried: the same request would bring the same body. ``limit`` is the limit in bytes,
    ``received`` how many (decoded) bytes had been read when reading stopped, ``content_length`` the
    declared ``Content-Length`` (``None`` when absent), ``status_code`` the response's status. Read large
    bodies with ``with_streaming_response`` instead."""

    def __init__(
        self, message: str, *, limit: int, received: int, status_code: int, content_length: int | None = None
    ) -> None:
        self.limit = limit
        self.received = received
        self.status_code = status_code
        self.content_length = content_length
        super().__init__(message)


class MissingFieldError(InvalidResponseError, AttributeError):
    """Reading an identity field (``id``, ``type``) of an Intercom object the response did not include: the
    models type them as present (``Contact.id: str``), since Intercom always returns them, so a body without one
    is off-spec. Parsing stays tolerant (nothing is checked until the field is read); ``model`` and ``field``
    name what was missing. Also an ``AttributeError``: ``getattr(contact, "id", None)`` and ``hasattr`` work."""

    def __init__(self, model: str, field: str) -> None:
        self.model = model
        self.field = field
        super().__init__(f"{model}.{field}: Intercom always returns this field, but this {model} has none")


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
        details = _error_details(loads(response.content)) if response.content else []
    except ValueError:
        return None
    code = details[0].code if details else None
    if not code or not code.startswith("token_"):
        return None
    return TOKEN_ERRORS.get(code, TokenError)
