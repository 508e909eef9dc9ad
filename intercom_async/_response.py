"""``APIResponse``: what raw access returns (``client.<resource>.with_raw_response.<op>(...)``).

It holds the fully read response (status, headers, body bytes) and parses the body on first access of
``.parsed``, exactly as the normal call would, so raw access costs no parsing you do not ask for. It sits low
in the layers (only ``_types`` below it): the operation that parses is anything with a ``parse`` method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._json import loads
from ._types import ResponseParser

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy

T = TypeVar("T")
_MISSING: Any = object()


class APIResponse(Generic[T]):
    """A completed HTTP exchange. ``parsed`` is the typed result (the model for the status)."""

    __slots__ = (
        "status_code",
        "reason",
        "headers",
        "content",
        "method",
        "path",
        "url",
        "elapsed",
        "retries",
        "operation",
        "_strict",
        "_parsed",
    )

    def __init__(  # positional or keyword (the client passes them positionally: this is on every call's path)
        self,
        status_code: int,
        reason: str | None,
        headers: CIMultiDictProxy[str],
        content: bytes,
        method: str,
        path: str,
        url: str,
        elapsed: float,
        retries: int,
        operation: ResponseParser | None,
        strict: bool = False,
    ) -> None:
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.content = content
        self.method = method
        self.path = path  # the request path, without query string
        self.url = url  # the full request URL (query included)
        self.elapsed = elapsed  # seconds, for the last attempt
        self.retries = retries  # how many retries happened before this response
        self.operation = operation
        self._strict = strict
        self._parsed: Any = _MISSING

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Request-Id") or self.headers.get("Request-Id")

    @property
    def parsed(self) -> T:
        """The body parsed as the operation documents for this status (decoded JSON if undocumented)."""
        if self._parsed is _MISSING:
            if self.operation is None:
                self._parsed = self.json() if self.content else None
            elif 300 <= self.status_code < 400:
                self._parsed = self.headers.get("Location")  # a documented redirect: its target
            else:
                self._parsed = self.operation.parse(self.status_code, self.content, strict=self._strict)
        parsed: T = self._parsed
        return parsed

    def json(self) -> Any:
        return loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<APIResponse {self.status_code} {self.method} {self.path} ({len(self.content)} bytes)>"
