"""Issue 9 item 7: binary downloads return their bytes and stream without holding the body in memory.

Registry-driven: every operation of every version whose 2xx response is binary (``Accept:
application/octet-stream``) sends that ``Accept``, returns the bytes, and streams them through
``with_streaming_response`` (``iter_bytes``, ``write_to``, ``read``); every operation has the streaming view.
A ~200 MB gzip CSV export is written to a file by a fresh process whose peak memory is measured.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import intercom_async
from intercom_async import APIConnectionError, NotFoundError, ResponseTooLargeError, StreamedResponse

from .conftest import TOKEN, Action, FaultServer, ok, run_rss_client, status

MIB = 1024 * 1024


def binary_operations() -> list[tuple[str, Any]]:
    found = []
    for version, info in intercom_async.VERSIONS.items():
        for op in info.load().OPERATIONS.values():
            if op.accept == "application/octet-stream" or any(
                spec[0].startswith("2") and spec[1] == "bytes" for spec in op.responses
            ):
                found.append((version, op))
    return found


BINARY = binary_operations()


def test_every_version_has_its_binary_downloads() -> None:
    by_id: dict[str, set[str]] = {}
    for version, op in BINARY:
        by_id.setdefault(op.operation_id, set()).add(version)
        assert op.accept == "application/octet-stream"
        assert [s[1] for s in op.responses if s[0].startswith("2")] == ["bytes"]
    assert by_id["downloadDataExport"] == set(intercom_async.VERSIONS)  # the content export, every version
    assert len(by_id.get("getDownloadReportingDataByJobIdentifier", ())) == 4  # Unstable, 2.14, 2.16, Preview


def call_args(op: Any) -> tuple[list[str], dict[str, str], str]:
    """Positional path values, required keyword parameters, and the path the server will see."""
    path_values, kwargs, path = [], {}, op.path
    for py_name, json_name, where, required in op.params:
        if where == "path":
            value = f"{json_name}-1"
            path_values.append(value)
            path = path.replace("{" + json_name + "}", value)
        elif required:
            kwargs[py_name] = "x"
    return path_values, kwargs, path


def method_of(client: Any, op: Any, view: str | None = None) -> Any:
    target = client
    for part in op.resource.split("."):
        target = getattr(target, part)
    return getattr(getattr(target, view) if view else target, op.name)


def recording(body: bytes, seen: list[dict[str, str]], *, chunked: bool = True) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        seen.append(dict(request.headers))
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        if chunked:
            resp.enable_chunked_encoding()
        else:
            resp.content_length = len(body)
        await resp.prepare(request)
        for start in range(0, len(body), 100_000):
            await resp.write(body[start : start + 100_000])
        await resp.write_eof()
        return resp

    return act


@pytest.mark.parametrize("version,op", BINARY, ids=[f"{v}-{op.operation_id}" for v, op in BINARY])
async def test_binary_operation_returns_and_streams_bytes(
    server: FaultServer, make_client: Any, tmp_path: Path, version: str, op: Any
) -> None:
    body = gzip.compress(b"id,email\n" + b"".join(b"%d,u%d@example.com\n" % (i, i) for i in range(40_000)))
    args, kwargs, path = call_args(op)
    seen: list[dict[str, str]] = []
    client = make_client(version=version, max_response_size=MIB)  # streaming is not limited by it
    server.script(op.method, path, recording(body, seen, chunked=False), *[recording(body, seen) for _ in range(3)])

    assert len(body) < MIB
    assert await method_of(client, op)(*args, **kwargs) == body  # the plain call: the bytes, as sent

    async with method_of(client, op, "with_streaming_response")(*args, **kwargs) as response:
        assert isinstance(response, StreamedResponse) and response.status_code == 200
        chunks = [chunk async for chunk in response.iter_bytes(4096)]
    assert b"".join(chunks) == body and max(map(len, chunks)) <= 4096
    assert response.closed

    target = tmp_path / "export.csv.gz"
    async with method_of(client, op, "with_streaming_response")(*args, **kwargs) as response:
        assert await response.write_to(target) == len(body)
    assert target.read_bytes() == body and gzip.decompress(target.read_bytes()).startswith(b"id,email\n")
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left

    async with method_of(client, op, "with_streaming_response")(*args, **kwargs) as response:
        assert await response.read() == body

    assert [h.get("Accept") for h in seen] == ["application/octet-stream"] * 4
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for h in seen)

    server.script(op.method, path, status(404))
    with pytest.raises(NotFoundError):
        async with method_of(client, op, "with_streaming_response")(*args, **kwargs):
            raise AssertionError("not entered")


def test_every_operation_has_a_streaming_view() -> None:
    for version, info in intercom_async.VERSIONS.items():
        client = intercom_async.Intercom(TOKEN, version=version, base_url="http://127.0.0.1:9")
        for op in info.load().OPERATIONS.values():
            assert callable(method_of(client, op, "with_streaming_response")), (version, op.operation_id)


async def test_streaming_json_operation_and_parse(server: FaultServer, make_client: Any) -> None:
    client = make_client()
    async with client.admins.with_streaming_response.identify() as response:
        admin = await response.parse()
    assert admin.id == "991"
    async with client.contacts.with_streaming_response.list() as response:  # a paginated operation: one page
        assert response.status_code == 200
        assert json.loads(await response.read())["id"] == "c-1"


async def test_retried_before_the_body_starts_never_after(server: FaultServer, make_client: Any) -> None:
    op = intercom_async.VERSIONS["2.12"].load().OPERATIONS["downloadDataExport"]
    client = make_client()
    body = bytes(range(256)) * 4000
    seen: list[dict[str, str]] = []
    server.script("GET", "/download/content/data/job-1", status(503), recording(body, seen))
    async with method_of(client, op, "with_streaming_response")("job-1") as response:
        assert response.retries == 1
        assert b"".join([c async for c in response.iter_bytes()]) == body

    async def drop_mid_body(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.content_length = 10 * MIB
        await resp.prepare(request)
        await resp.write(b"a" * MIB)
        await asyncio.sleep(0.01)
        assert request.transport is not None
        request.transport.close()
        return resp

    before = server.count()
    server.script("GET", "/download/content/data/job-2", drop_mid_body, ok())
    received = 0
    with pytest.raises(APIConnectionError):
        async with method_of(client, op, "with_streaming_response")("job-2") as response:
            async for chunk in response.iter_bytes():
                received += len(chunk)
    assert server.count() == before + 1  # the body had started: no retry
    assert 0 < received <= MIB


async def test_read_is_limited_iteration_is_not(server: FaultServer, make_client: Any) -> None:
    op = intercom_async.VERSIONS["2.12"].load().OPERATIONS["downloadDataExport"]
    client = make_client(max_response_size=MIB)
    body = b"b" * (3 * MIB)
    seen: list[dict[str, str]] = []
    server.script("GET", "/download/content/data/job-1", recording(body, seen), recording(body, seen))
    async with method_of(client, op, "with_streaming_response")("job-1") as response:
        with pytest.raises(ResponseTooLargeError):
            await response.read()
    async with method_of(client, op, "with_streaming_response")("job-1") as response:
        assert sum([len(c) async for c in response.iter_bytes()]) == 3 * MIB


async def test_unread_body_is_closed_and_the_client_goes_on(server: FaultServer, make_client: Any) -> None:
    op = intercom_async.VERSIONS["2.12"].load().OPERATIONS["downloadDataExport"]
    client = make_client()
    seen: list[dict[str, str]] = []
    server.script("GET", "/download/content/data/job-1", recording(b"c" * (4 * MIB), seen))
    async with method_of(client, op, "with_streaming_response")("job-1") as response:
        assert response.status_code == 200  # body left unread
    assert response.closed
    with pytest.raises(RuntimeError, match="closed"):
        await response.read()
    assert (await client.admins.identify()).id == "991"


# ------------------------------------------------------------------------------------ a 200 MB export


class GzipCsvExport:
    """A gzip CSV of ``blocks`` repeated, independently compressed blocks (~220 KB each), streamed chunked;
    its sha256 is known in advance."""

    def __init__(self, blocks: int) -> None:
        rows = b"".join(b"%d,%08x,user%d@example.com,note\n" % (i, i * 2654435761 % 2**32, i) for i in range(20000))
        comp = zlib.compressobj(6, zlib.DEFLATED, 31)
        self.head = comp.compress(b"") + comp.compress(b"id,hash,email,note\n") + comp.flush(zlib.Z_FULL_FLUSH)
        first = comp.compress(rows) + comp.flush(zlib.Z_FULL_FLUSH)
        self.block = comp.compress(rows) + comp.flush(zlib.Z_FULL_FLUSH)
        assert first == self.block
        self.blocks = blocks
        crc = zlib.crc32(b"id,hash,email,note\n")
        for _ in range(blocks):
            crc = zlib.crc32(rows, crc)
        size = len(b"id,hash,email,note\n") + blocks * len(rows)
        self.tail = b"\x03\x00" + crc.to_bytes(4, "little") + (size % 2**32).to_bytes(4, "little")
        self.rows_per_block = 20000
        digest = hashlib.sha256(self.head)
        for _ in range(blocks):
            digest.update(self.block)
        digest.update(self.tail)
        self.sha256 = digest.hexdigest()
        self.size = len(self.head) + blocks * len(self.block) + len(self.tail)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(self.head)
        for _ in range(self.blocks):
            await resp.write(self.block)
        await resp.write(self.tail)
        await resp.write_eof()
        return resp


async def test_a_200_mb_export_is_written_with_bounded_memory(server: FaultServer, tmp_path: Path) -> None:
    export = GzipCsvExport(blocks=900)
    assert export.size > 190 * MIB
    server.script("GET", "/me", ok())
    server.script("GET", "/download/content/data/job-200mb", export)
    out = tmp_path / "export.csv.gz"

    report = await asyncio.to_thread(run_rss_client, "stream", server.url, str(out), timeout=300)
    assert report["outcome"] == "written" and report["written"] == export.size
    growth_mib = (report["peak_kib"] - report["baseline_kib"]) / 1024
    print(f"200 MB export: {export.size / MIB:.0f} MiB written, peak RSS growth {growth_mib:.1f} MiB")
    assert growth_mib < 32, report

    def check() -> tuple[str, bytes]:
        digest = hashlib.sha256()
        with out.open("rb") as f:
            while chunk := f.read(4 * MIB):
                digest.update(chunk)
        with gzip.open(out, "rb") as f:
            first = f.read(200)
        return digest.hexdigest(), first

    sha, first = await asyncio.to_thread(check)
    assert sha == export.sha256
    assert first.startswith(b"id,hash,email,note\n0,00000000,user0@example.com,note\n")
