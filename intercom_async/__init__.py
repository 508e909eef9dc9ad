"""intercom_async: an async-first Python SDK for the Intercom REST API.

    async with intercom_async.Intercom(token, version="2.12", region="eu") as client:
        me = await client.admins.identify_admin()

Public surface: ``Intercom`` (picks the generated client of the requested version), ``VERSIONS``, the
errors, ``APIResponse``, ``RequestOptions``, ``UNSET``. Version packages (``v2_10``, ``v2_12``,
``unstable``) and the client are imported on first use, so ``import intercom_async`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._codec import UNSET, StrictValidationError, Unset
from ._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorDetail,
    IntercomError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)

__version__ = "0.1.0"

__all__ = [
    "v2_10",
    "v2_12",
    "unstable",
    "Intercom",
    "VERSIONS",
    "DEFAULT_VERSION",
    "APIResponse",
    "RequestOptions",
    "RetryPolicy",
    "AsyncPager",
    "Page",
    "PaginationError",
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
    "InvalidResponseError",
    "APIConnectionError",
    "APITimeoutError",
    "StrictValidationError",
    "ErrorDetail",
]

_LAZY = {
    "Intercom": "._versions",
    "VERSIONS": "._versions",
    "DEFAULT_VERSION": "._versions",
    "APIResponse": "._response",
    "RequestOptions": "._resource",
    "RetryPolicy": "._transport",
    "AsyncPager": "._pagination",
    "Page": "._pagination",
    "PaginationError": "._pagination",
}
_VERSION_MODULES = {"v2_10", "v2_12", "unstable"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    elif name in _VERSION_MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from . import unstable, v2_10, v2_12
    from ._pagination import AsyncPager, Page, PaginationError
    from ._resource import RequestOptions
    from ._response import APIResponse
    from ._transport import RetryPolicy
    from ._versions import DEFAULT_VERSION, VERSIONS, Intercom
