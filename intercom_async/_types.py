"""The bottom layer: sentinels, per-call options and the small type aliases every other module shares.

Nothing here imports another module of the package, so every layer may import it (see
``docs/ARCHITECTURE.md`` for the order of layers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Literal, Protocol, TypedDict, Union

__all__ = ["UNSET", "RequestOptions", "ResponseParser", "TokenSource", "Unset"]


class Unset:
    """The type of ``UNSET``: a field that was absent from the JSON (as opposed to ``null``), or an argument
    that was not passed."""

    __slots__ = ()
    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()

TokenSource = Union[str, Callable[[], str], Callable[[], Awaitable[str]]]
"""An access token, or a sync/async callable returning one (called before every attempt)."""


class RequestOptions(TypedDict, total=False):
    """Per-call overrides, passed as ``request_options={...}`` to any operation.

    timeout:       total seconds for the call (each attempt), overriding the client's
    connect_timeout: seconds to open a connection, overriding the client's
    max_retries:   retries for this call, overriding the client's (0 disables)
    extra_query:   query parameters added to (or overriding) the declared ones, e.g. undeclared paging params
    extra_headers: headers added to the request (``Authorization`` and ``Intercom-Version`` cannot be changed)
    extra_body:    keys merged into a JSON object body (not checked against the spec: the way to send a field
                   the spec does not declare yet)
    max_response_size: the most bytes of (decoded) body this call reads into memory, overriding the client's
                   (``None``: no limit); beyond it ``ResponseTooLargeError``
    """

    timeout: float
    connect_timeout: float
    max_retries: int
    extra_query: Mapping[str, Any]
    extra_headers: Mapping[str, str]
    extra_body: Mapping[str, Any]
    max_response_size: int | None


class ResponseParser(Protocol):
    """What an ``APIResponse`` needs of its operation to parse a body (``intercom_async._operation.Operation``)."""

    def parse(self, status: int, content: bytes, *, strict: bool = False) -> Any: ...
