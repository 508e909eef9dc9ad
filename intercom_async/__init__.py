"""intercom_async: an async-first Python SDK for the Intercom REST API.

    async with intercom_async.Intercom(token, region="eu") as client:
        me = await client.admins.identify()

Public surface: ``Intercom`` (picks the generated client of the requested version), ``VERSIONS``, the
errors, ``APIResponse``, ``RequestOptions``, ``AsyncPager``, ``UNSET``, the rate limiters
(``RedisRateLimiter`` is imported on first use and needs the ``redis`` extra). Version packages (``v2_16``,
``preview``, ... one per entry of ``VERSIONS``) are imported on first use, and their models one by one as
responses need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The hand-written core (and aiohttp with it) is imported here, at application start-up, so that the first
# request of a web app does not pay ~200 ms of imports; only the generated version packages are lazy.
from ._client import Drift
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    IntercomError,
    InvalidRequestError,
    InvalidResponseError,
    MissingFieldError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseTooLargeError,
    ServerError,
    StrictValidationError,
    TokenError,
    TokenNotFoundError,
    TokenRevokedError,
    TokenSuspendedError,
    TokenUnauthorizedError,
    UnprocessableEntityError,
)
from ._pagination import AsyncPager, Page
from ._ratelimit import InProcessRateLimiter, LimiterStats, RateLimiter
from ._response import APIResponse
from ._streaming import StreamedResponse
from ._transport import RequestTrace, RetryPolicy
from ._types import UNSET, RequestOptions, Unset
from ._versions import DEFAULT_VERSION, VERSIONS, Intercom

__version__ = "1.0.0"

_VERSION_MODULES = {info.module.rpartition(".")[2] for info in VERSIONS.values()}

__all__ = [
    *sorted(_VERSION_MODULES),
    "Intercom",
    "VERSIONS",
    "DEFAULT_VERSION",
    "APIResponse",
    "RequestOptions",
    "RetryPolicy",
    "AsyncPager",
    "Page",
    "PaginationError",
    "RateLimiter",
    "InProcessRateLimiter",
    "LimiterStats",
    "UNSET",
    "Unset",
    "IntercomError",
    "APIError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "ServerError",
    "InvalidRequestError",
    "InvalidResponseError",
    "MissingFieldError",
    "ResponseTooLargeError",
    "StreamedResponse",
    "RequestTrace",
    "Drift",
    "APIConnectionError",
    "APITimeoutError",
    "StrictValidationError",
    "ErrorDetail",
    "TokenError",
    "TokenRevokedError",
    "TokenSuspendedError",
    "TokenUnauthorizedError",
    "TokenNotFoundError",
]


def __getattr__(name: str) -> Any:
    """Version packages load on first use: ``intercom_async.v2_16`` costs nothing until touched."""
    if name in _VERSION_MODULES:
        value = importlib.import_module(f".{name}", __name__)
        globals()[name] = value
        return value
    if name == "RedisRateLimiter":  # needs the `redis` extra: imported on first use only
        from .ratelimit_redis import RedisRateLimiter as RedisRateLimiter

        globals()[name] = RedisRateLimiter
        return RedisRateLimiter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from ._versions import *  # noqa: F403  (the version packages, for type checkers; generated from the pins)
    from .ratelimit_redis import RedisRateLimiter as RedisRateLimiter
