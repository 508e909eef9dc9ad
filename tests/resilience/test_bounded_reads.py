"""Issue 9 item 4: a response body is never read into memory past ``max_response_size``.

A body that never ends (chunked), a gzip bomb and an oversized ``Content-Length`` each raise
``ResponseTooLargeError`` (an ``InvalidResponseError``), are not retried, and leave no connection half read in
the pool. The peak memory of a fresh process facing the endless body and the bomb is measured
(``rss_client.py``) and must stay far below what reading them would take.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any

import pytest
from aiohttp import web

import intercom_async
from intercom_async import InvalidResponseError, ResponseTooLargeError

from .conftest import ADMIN, Action, FaultServer, ok, run_rss_client

MIB = 1024 * 1024
SERVER_MAX = 512 * MIB  # every server loop here stops by itself after this many bytes


def endless(chunk: bytes = b"x" * MIB, stop_after: int = SERVER_MAX) -> Action:
    """A chunked 200 whose body goes on until the client hangs up (or ``stop_after`` bytes, to stay bounded)."""

    async def act(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        sent = 0
        try:
            while sent < stop_after:
                await resp.write(chunk)
                sent += len(chunk)
        except (ConnectionError, asyncio.CancelledError):
            raise
        return resp

    return act


def gzip_bomb(decoded: int) -> bytes:
    """A valid gzip member of ``decoded`` zero bytes (about 1,000 times smaller), built by repeating one
    independently compressed block (``Z_FULL_FLUSH`` resets the window, so the block is the same each time)."""
    block_in = bytes(MIB)
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = comp.compress(b"")
    first = comp.compress(block_in) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(block_in) + comp.flush(zlib.Z_FULL_FLUSH)
    count = decoded // MIB
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block_in, crc)
    deflate_end = b"\x03\x00"  # an empty final fixed-Huffman block
    trailer = crc.to_bytes(4, "little") + (count * MIB % 2**32).to_bytes(4, "little")
    return head + first + block * (count - 1) + deflate_end + trailer


def serve_bytes(body: bytes, headers: dict[str, str]) -> Action:
    async def act(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers=headers)

    return act


def test_the_gzip_bomb_is_valid_and_small() -> None:
    bomb = gzip_bomb(64 * MIB)
    assert len(bomb) < 100_000
    out = zlib.decompressobj(31)
    total = 0
    data = bomb
    while data:
        total += len(out.decompress(data, MIB))
        data = out.unconsumed_tail
    assert total == 64 * MIB and out.eof


async def test_endless_body_stops_at_the_limit(server: FaultServer, make_client: Any) -> None:
    client = make_client(max_response_size=2 * MIB)
    server.script("GET", "/me", endless(chunk=b"y" * 65536))
    with pytest.raises(ResponseTooLargeError) as info:
        await client.admins.identify()
    err = info.value
    assert isinstance(err, InvalidResponseError)
    assert err.limit == 2 * MIB and 2 * MIB < err.received <= 2 * MIB + 65536 * 2
    assert err.status_code == 200 and err.content_length is None
    assert "max_response_size" in str(err) and "GET /me" in str(err)
    assert server.count("GET", "/me") == 1  # not retried
    # the connection was closed, not returned half read: the next call works on a fresh one
    assert (await client.admins.identify()).id == ADMIN["id"]


async def test_declared_length_above_the_limit_fails_before_reading(server: FaultServer, make_client: Any) -> None:
    client = make_client(max_response_size=1000)
    body = json.dumps({**ADMIN, "name": "n" * 5000}).encode()
    server.script("GET", "/me", serve_bytes(body, {"Content-Type": "application/json"}))
    with pytest.raises(ResponseTooLargeError) as info:
        await client.admins.identify()
    assert info.value.content_length == len(body) and info.value.received == 0
    assert f"Content-Length {len(body)}" in str(info.value)


async def test_gzip_bomb_is_counted_after_decompression(server: FaultServer, make_client: Any) -> None:
    client = make_client(max_response_size=4 * MIB)
    bomb = gzip_bomb(256 * MIB)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    server.script("GET", "/me", serve_bytes(bomb, headers))
    with pytest.raises(ResponseTooLargeError) as info:
        await client.admins.identify()
    assert len(bomb) < 4 * MIB < info.value.received < 8 * MIB  # the compressed size alone is under the limit


async def test_limit_per_call_and_none(server: FaultServer, make_client: Any) -> None:
    client = make_client(max_response_size=100)
    big = {**ADMIN, "name": "n" * 400}
    server.script("GET", "/me", ok(big), ok(big), ok(big))
    with pytest.raises(ResponseTooLargeError):
        await client.admins.identify()
    admin = await client.admins.identify(request_options={"max_response_size": 10_000})
    assert admin.name == "n" * 400
    admin = await client.admins.identify(request_options={"max_response_size": None})
    assert admin.name == "n" * 400
    unlimited = make_client(max_response_size=None)
    server.script("GET", "/me", endless(chunk=b"z" * 65536, stop_after=3 * MIB))
    with pytest.raises(InvalidResponseError):  # read whole (3 MiB, not JSON): no limit applied
        await unlimited.admins.identify()


async def test_default_limit_and_bad_values() -> None:
    client = intercom_async.Intercom("tok", base_url="http://127.0.0.1:9")
    assert client._transport.max_response_size == 32 * MIB
    for bad in (0, -1, 1.5, True, "1"):
        with pytest.raises(ValueError, match="max_response_size"):
            intercom_async.Intercom("tok", base_url="http://127.0.0.1:9", max_response_size=bad)
    await client.aclose()


async def test_error_bodies_are_limited_too(server: FaultServer, make_client: Any) -> None:
    client = make_client(max_response_size=MIB, max_retries=0)

    async def error_page(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(status=502, headers={"Content-Type": "text/html"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for _ in range(64):
            await resp.write(b"<p>" * 30000)
        return resp

    server.script("GET", "/me", error_page)
    with pytest.raises(ResponseTooLargeError) as info:
        await client.admins.identify()
    assert info.value.status_code == 502


@pytest.mark.parametrize("kind", ["endless", "gzip_bomb"])
async def test_peak_memory_stays_bounded(server: FaultServer, kind: str) -> None:
    """A fresh process with the default limit (32 MiB) against 512 MiB of endless body, or a gzip bomb that
    expands to 1 GiB: the call raises and the process' peak RSS grows by less than 64 MiB (the 32 MiB read,
    plus buffers); without the limit it grows by about 1 GiB and 2 GiB."""
    if kind == "endless":
        server.script("GET", "/me", ok(), endless())
    else:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        server.script("GET", "/me", ok(), serve_bytes(gzip_bomb(1024 * MIB), headers))
    report = await asyncio.to_thread(run_rss_client, "capped", server.url)
    assert report["outcome"] == "ResponseTooLargeError"
    assert report["limit"] == 32 * MIB and report["received"] > 32 * MIB
    growth_mib = (report["peak_kib"] - report["baseline_kib"]) / 1024
    print(f"{kind}: peak RSS growth {growth_mib:.1f} MiB (baseline {report['baseline_kib'] / 1024:.1f} MiB)")
    assert growth_mib < 64, report
