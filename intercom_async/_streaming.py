"""Streamed responses: ``client.<group>.with_streaming_response.<method>(...)`` and ``StreamedResponse``.

A streamed call is sent like any other (token, rate limiter, retries until the 2xx headers arrive, typed
errors for non-2xx answers), but its 2xx body is left unread: ``async with`` yields a ``StreamedResponse``
that reads it in chunks (``iter_bytes``), writes it to a file (``write_to``) or, for a small body, reads it
whole (``read``/``parse``, limited by ``max_response_size`` like any call). ``iter_bytes`` and ``write_to``
have no size limit and hold one chunk at a time, so a multi-gigabyte export never sits in memory. Leaving the
block closes the response; a body not read to the end closes its connection instead of returning it to the
pool. Failures while reading raise ``APIConnectionError`` / ``APITimeoutError`` (no retry: the body has
started). The call's concurrency slot (``max_concurrency``) and rate-limiter slot are given back when the
headers arrive; the connection stays taken from aiohttp's pool until the response is closed.

    async with client.data_export.with_streaming_response.download(job_id) as response:
        await response.write_to("export.csv.gz")
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import aiohttp

from ._errors import IntercomError
from ._transport import _CAUGHT_ERRORS, _map_error, read_limited

if TYPE_CHECKING:
    from types import TracebackType

    from multidict import CIMultiDictProxy

    from ._types import ResponseParser

__all__ = ["StreamContext", "StreamedResponse"]

T = TypeVar("T")
DEFAULT_CHUNK_SIZE = 64 * 1024
WRITE_CHUNK_SIZE = 1024 * 1024


class StreamedResponse(Generic[T]):
    """A 2xx response whose body has not been read yet. Read it once: ``iter_bytes``, ``write_to``, ``read``
    or ``parse``. ``status_code``, ``headers``, ``url``, ``retries`` are there at once."""

    def __init__(
        self,
        *,
        status_code: int,
        reason: str | None,
        headers: CIMultiDictProxy[str],
        method: str,
        path: str,
        url: str,
        elapsed: float,
        retries: int,
        operation: ResponseParser | None,
        stream: aiohttp.ClientResponse | None,
        content: bytes = b"",
        max_response_size: int | None = None,
        strict: bool = False,
        scrub: Callable[[IntercomError], Any] | None = None,
    ) -> None:
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.method = method
        self.path = path
        self.url = url
        self.elapsed = elapsed  # seconds until the headers arrived
        self.retries = retries
        self.operation = operation
        self.max_response_size = max_response_size  # applies to read() and parse(), not to iter_bytes/write_to
        self._stream = stream  # None: the body was read already (a documented redirect) and is ``content``
        self._content = content
        self._strict = strict
        self._scrub = scrub
        self._started = False
        self._finished = stream is None
        self._closed = False  # aclose() was called (aiohttp marks a response closed at EOF, data still unread)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<StreamedResponse {self.status_code} {self.method} {self.path} ({state})>"

    @property
    def closed(self) -> bool:
        """``aclose()`` was called (on leaving the ``async with`` block)."""
        return self._closed

    @property
    def content_length(self) -> int | None:
        """The declared ``Content-Length``, if any (of the body as sent, before any decompression)."""
        value = self.headers.get("Content-Length")
        return int(value) if value is not None and value.isdigit() else None

    async def iter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """The body in chunks of at most ``chunk_size`` bytes (decoded, if the server compressed it for
        transport). No size limit; one chunk in memory at a time."""
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        stream = self._begin()
        if stream is None:
            if self._content:
                for start in range(0, len(self._content), chunk_size):
                    yield self._content[start : start + chunk_size]
            return
        started = time.monotonic()
        content = stream.content
        while True:
            try:
                chunk = await content.read(chunk_size)
            except _CAUGHT_ERRORS as exc:
                raise self._failed(exc, started) from None
            if not chunk:
                break
            yield chunk
        self._finished = True

    async def read(self) -> bytes:
        """The whole body, at most ``max_response_size`` bytes of it (``ResponseTooLargeError`` beyond)."""
        stream = self._begin()
        if stream is None:
            return self._content
        started = time.monotonic()
        try:
            body = await read_limited(stream, self.max_response_size, self.method, self.path)
        except _CAUGHT_ERRORS as exc:
            raise self._failed(exc, started) from None
        except IntercomError as exc:
            raise self._scrubbed(exc) from None
        self._finished = True
        return body

    async def parse(self) -> T:
        """``read()``, then the body parsed as the call would have returned it."""
        body = await self.read()
        if self.operation is None:
            return body  # type: ignore[return-value]
        try:
            parsed: T = self.operation.parse(self.status_code, body, strict=self._strict)
        except IntercomError as exc:
            raise self._scrubbed(exc) from None
        return parsed

    async def write_to(self, path: str | os.PathLike[str], *, chunk_size: int = WRITE_CHUNK_SIZE) -> int:
        """Write the body to ``path`` and return the number of bytes written. The body goes to a temporary
        file in the same directory, renamed to ``path`` once complete, so a failed transfer never leaves a
        truncated file under that name. File writes run in a worker thread, off the event loop."""
        target = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(target))
        loop = asyncio.get_running_loop()
        fd, temp = tempfile.mkstemp(prefix=".intercom-", suffix=".part", dir=directory)
        written = 0
        try:
            with os.fdopen(fd, "wb") as file:
                async for chunk in self.iter_bytes(chunk_size):
                    await loop.run_in_executor(None, file.write, chunk)
                    written += len(chunk)
            os.replace(temp, target)
        except BaseException:
            try:
                os.unlink(temp)
            except OSError:
                pass
            raise
        return written

    async def aclose(self) -> None:
        """Release the response: its connection goes back to the pool when the body was read to the end,
        and is closed otherwise. Safe to call more than once."""
        self._closed = True
        stream = self._stream
        if stream is None:
            return
        if self._finished:
            stream.release()
        else:
            stream.close()

    def _begin(self) -> aiohttp.ClientResponse | None:
        if self._started:
            raise RuntimeError("the body of a StreamedResponse can be read only once")
        if self._closed:
            raise RuntimeError("this StreamedResponse is closed (read it inside its `async with` block)")
        self._started = True
        return self._stream

    def _failed(self, exc: BaseException, started: float) -> IntercomError:
        if self._stream is not None:
            self._stream.close()
        error = _map_error(self.method, self.path, exc, time.monotonic() - started, self.retries)
        return self._scrubbed(error)

    def _scrubbed(self, exc: IntercomError) -> IntercomError:
        if self._scrub is not None:
            self._scrub(exc)
        return exc


class StreamContext(Generic[T]):
    """``async with`` around a streamed call: sends it on entry (yielding the ``StreamedResponse``) and closes
    the response on exit. Nothing is sent until the block is entered."""

    __slots__ = ("_open", "_response")

    def __init__(self, open_response: Callable[[], Awaitable[StreamedResponse[T]]]) -> None:
        self._open = open_response
        self._response: StreamedResponse[T] | None = None

    async def __aenter__(self) -> StreamedResponse[T]:
        if self._response is not None:
            raise RuntimeError("a streamed call's `async with` block can be entered only once")
        self._response = await self._open()
        return self._response

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._response is not None:
            await self._response.aclose()
