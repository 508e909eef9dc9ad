"""Base of the generated resource classes (``client.contacts``, ``client.help_centers.collections``...).

A generated method only builds a ``Request`` from its arguments and hands it to ``_call`` (or ``_pager``
for a paginated operation); everything else (URL, headers, JSON, retries, errors, parsing) happens in the
client, once, for every operation. ``raw=True`` (the ``with_raw_response`` view) returns ``APIResponse``;
``stream=True`` (the ``with_streaming_response`` view, wrapped by ``as_streaming``) returns a
``StreamedResponse`` with the body unread, inside an ``async with`` block (``intercom_async._streaming``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._pagination import AsyncPager
from ._streaming import StreamContext

if TYPE_CHECKING:
    from ._client import BaseClient
    from ._request import Request
    from ._response import APIResponse

P = ParamSpec("P")
T = TypeVar("T")
I = TypeVar("I")


class Resource:
    """Groups the operations of one SDK group. ``raw=True`` makes every method return ``APIResponse``."""

    def __init__(self, client: BaseClient, raw: bool = False, *, stream: bool = False) -> None:
        self._client = client
        self._raw = raw
        self._stream = stream

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    def _call(self, request: Request) -> Awaitable[Any]:
        """The client's send of ``request``, to await: the parsed result (``APIResponse`` when raw). A plain
        function returning the client's coroutine, so a call resumes through one frame less on every await."""
        if self._stream:
            return self._client._send_stream(request)
        return self._client._send(request, not self._raw)

    def _pager(self, request: Request) -> Any:
        if self._stream:  # a paginated operation streams its first page (the call, not the walk)
            return self._call(request)
        return AsyncPager(self._client, request, raw=self._raw)


def as_raw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[APIResponse[T]]]:
    """Typing only: a method of a ``raw=True`` resource already returns ``APIResponse``."""
    return method  # type: ignore[return-value]


def as_raw_pager(method: Callable[P, AsyncPager[T, I]]) -> Callable[P, AsyncPager[APIResponse[T], I]]:
    """Typing only: a paginated method of a ``raw=True`` resource awaits to ``APIResponse``."""
    return method  # type: ignore[return-value]


def as_streaming(method: Callable[P, Awaitable[T]]) -> Callable[P, StreamContext[T]]:
    """The method of a ``stream=True`` resource as ``async with view.method(...) as response``: nothing is
    sent until the block is entered."""

    def streaming(*args: P.args, **kwargs: P.kwargs) -> StreamContext[T]:
        return StreamContext(lambda: method(*args, **kwargs))  # type: ignore[arg-type,return-value]

    streaming.__name__ = getattr(method, "__name__", "streaming")
    streaming.__doc__ = getattr(method, "__doc__", None)
    return streaming


def as_streaming_pager(method: Callable[P, AsyncPager[T, I]]) -> Callable[P, StreamContext[T]]:
    """``as_streaming`` for a paginated method: the block streams the first page's response."""
    return as_streaming(method)
