"""Base of the generated resource classes (``client.contacts``, ``client.help_centers.collections``...).

A generated method only builds a ``Request`` from its arguments and hands it to ``_call`` (or ``_pager``
for a paginated operation); everything else (URL, headers, JSON, retries, errors, parsing) happens in the
client, once, for every operation. ``raw=True`` (the ``with_raw_response`` view) returns ``APIResponse``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._pagination import AsyncPager

if TYPE_CHECKING:
    from ._client import BaseClient
    from ._request import Request
    from ._response import APIResponse

P = ParamSpec("P")
T = TypeVar("T")
I = TypeVar("I")


class Resource:
    """Groups the operations of one SDK group. ``raw=True`` makes every method return ``APIResponse``."""

    def __init__(self, client: BaseClient, raw: bool = False) -> None:
        self._client = client
        self._raw = raw

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    async def _call(self, request: Request) -> Any:
        response = await self._client._send(request)
        return response if self._raw else response.parsed

    def _pager(self, request: Request) -> Any:
        return AsyncPager(self._client, request, raw=self._raw)


def as_raw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[APIResponse[T]]]:
    """Typing only: a method of a ``raw=True`` resource already returns ``APIResponse``."""
    return method  # type: ignore[return-value]


def as_raw_pager(method: Callable[P, AsyncPager[T, I]]) -> Callable[P, AsyncPager[APIResponse[T], I]]:
    """Typing only: a paginated method of a ``raw=True`` resource awaits to ``APIResponse``."""
    return method  # type: ignore[return-value]
