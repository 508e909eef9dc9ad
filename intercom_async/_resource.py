"""Base of the generated resource classes (``client.contacts``...), per-call options and raw access.

A generated method only gathers its arguments and calls ``Resource._call``; everything else (URL, headers,
JSON encoding, retries, errors, parsing) happens in the client, once, for every operation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec, TypedDict, TypeVar

from ._codec import UNSET

if TYPE_CHECKING:
    from ._client import BaseClient
    from ._operation import Operation
    from ._response import APIResponse

P = ParamSpec("P")
T = TypeVar("T")


class RequestOptions(TypedDict, total=False):
    """Per-call overrides, passed as ``request_options={...}`` to any operation.

    timeout:       total seconds for the call (each attempt), overriding the client's
    connect_timeout: seconds to open a connection, overriding the client's
    max_retries:   retries for this call, overriding the client's (0 disables)
    extra_query:   query parameters added to (or overriding) the declared ones, e.g. undeclared paging params
    extra_headers: headers added to the request (``Authorization`` and ``Intercom-Version`` cannot be changed)
    extra_body:    keys merged into a JSON object body
    """

    timeout: float
    connect_timeout: float
    max_retries: int
    extra_query: Mapping[str, Any]
    extra_headers: Mapping[str, str]
    extra_body: Mapping[str, Any]


class Resource:
    """Groups the operations of one tag. ``raw=True`` makes every method return ``APIResponse``."""

    def __init__(self, client: BaseClient, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _call(
        self,
        op: Operation,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
        body: Any = UNSET,
        options: RequestOptions | None = None,
    ) -> Any:
        response = await self._client._request(op, path=path, query=query, headers=headers, body=body, options=options)
        return response if self._raw else response.parsed


def as_raw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[APIResponse[T]]]:
    """Typing only: a method of a ``raw=True`` resource already returns ``APIResponse``."""
    return method  # type: ignore[return-value]
