"""``python -m intercom_async.mcp`` as a subprocess, driven by the MCP SDK's own client session, against
``FakeIntercom`` served from this process on 127.0.0.1: over stdio (read-only default; writes allowed) and over
Streamable HTTP on a free loopback port (compact mode, a destructive write allowed).

Three server starts in all (each costs an import of the SDK and the MCP SDK); every tool result, the server's
stderr and the fake's recorded requests are checked for the token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from intercom_async import VERSIONS
from intercom_async.mcp import kind_of
from intercom_async.testing import FakeIntercom

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok_mcp_subprocess_5f3c9a7e1b2d4c6e"
HTTP_TOKEN = "mcp-http-secret-9d8c7b6a"  # what MCP clients of the HTTP transport must send (not Intercom's token)
TIMEOUT = 60  # seconds for a whole test: a hung server fails the test instead of the CI job


def _env(base_url: str) -> dict[str, str]:
    return {"INTERCOM_TOKEN": TOKEN, "INTERCOM_BASE_URL": base_url, "PYTHONPATH": str(ROOT)}


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if getattr(block, "type", "") == "text")


class Traffic:
    """Everything the test saw come back from the server, to grep for the token."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, result: Any) -> Any:
        self.texts.append(result.model_dump_json(by_alias=True))
        return result

    def assert_no_token(self, *more: str) -> None:
        for text in [*self.texts, *more]:
            assert TOKEN not in text and TOKEN[:12] not in text


@contextlib.asynccontextmanager
async def deadline() -> AsyncIterator[None]:
    with anyio.fail_after(TIMEOUT):
        yield


@contextlib.asynccontextmanager
async def stdio_session(base_url: str, *args: str, errlog: Any) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "intercom_async.mcp", *args], env=_env(base_url), cwd=str(ROOT)
    )
    async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise AssertionError("the HTTP server did not start listening")


async def test_stdio_read_only_by_default_paging_errors_and_no_token():
    registry = VERSIONS["2.16"].load().OPERATIONS
    reads = sum(kind_of(op) == "read" for op in registry.values())
    traffic = Traffic()
    with tempfile.TemporaryFile("w+") as errlog:
        async with FakeIntercom("2.16", token=TOKEN) as fake:
            fake.items("contacts.list", [{"type": "contact", "id": str(i)} for i in range(5)])
            async with deadline(), stdio_session(fake.base_url, errlog=errlog) as session:
                tools = traffic.add(await session.list_tools()).tools
                assert len(tools) == reads == 114
                by_name = {t.name: t for t in tools}
                assert by_name["contacts_find"].annotations.read_only_hint is True
                assert "tags_create" not in by_name

                # a read tool: the JSON the SDK received
                result = traffic.add(await session.call_tool("admins_list", {}))
                assert not result.is_error and json.loads(_text(result)) == fake.example("admins.list")

                # a paged tool: limit + cursor
                first = traffic.add(await session.call_tool("contacts_list", {"limit": 3}))
                page = json.loads(_text(first))
                assert [c["id"] for c in page["items"]] == ["0", "1", "2"] and page["next_cursor"]
                rest = traffic.add(
                    await session.call_tool("contacts_list", {"limit": 3, "cursor": page["next_cursor"]})
                )
                page = json.loads(_text(rest))
                assert [c["id"] for c in page["items"]] == ["3", "4"] and page["next_cursor"] is None

                # a write is refused by default and never reaches the fake
                before = fake.count()
                refused = traffic.add(await session.call_tool("tags_create", {"body": {"name": "vip"}}))
                assert refused.is_error and _text(refused).startswith("refused: tags_create (POST /tags) is a write")
                assert fake.count() == before

                # a 404 and a 429 from the fake reach the client as short typed messages
                fake.fail("contacts.find", status=404)
                missing = traffic.add(await session.call_tool("contacts_find", {"contact_id": "nope"}))
                assert missing.is_error and _text(missing).startswith("NotFoundError: HTTP 404 | not_found: ")
                assert "request_id req_" in _text(missing) and "Traceback" not in _text(missing)
                fake.fail("contacts.find", status=429, times=3, reset_in=0.05)
                limited = traffic.add(await session.call_tool("contacts_find", {"contact_id": "1"}))
                assert limited.is_error
                assert _text(limited).startswith("RateLimitError: HTTP 429 | rate_limit_exceeded: ")
                assert len(_text(limited)) < 300
        errlog.seek(0)
        log = errlog.read()
    assert "Intercom API 2.16, full mode, 114 tools, read-only" in log
    assert "call contacts_find -> error: NotFoundError" in log and "call admins_list -> ok" in log
    assert all(r.authorization == f"Bearer {TOKEN}" for r in fake.requests)  # the token did go to Intercom...
    traffic.assert_no_token(log)  # ...and nowhere else


async def test_stdio_writes_when_allowed_and_destructive_needs_its_flag():
    traffic = Traffic()
    with tempfile.TemporaryFile("w+") as errlog:
        async with FakeIntercom("2.16", token=TOKEN) as fake:
            async with (
                deadline(),
                stdio_session(fake.base_url, "--allow", "tags.*,contacts.delete", errlog=errlog) as session,
            ):
                names = {t.name for t in traffic.add(await session.list_tools()).tools}
                assert {"tags_create", "tags_tag_contact"} <= names
                assert "tags_delete" not in names and "contacts_delete" not in names  # destructive: flag missing
                created = traffic.add(await session.call_tool("tags_create", {"body": {"name": "vip"}}))
                assert not created.is_error, _text(created)
                assert fake.requests_for("tags.create")[0].json == {"name": "vip"}
                refused = traffic.add(await session.call_tool("contacts_delete", {"contact_id": "1"}))
                assert refused.is_error and "destructive operations also need --allow-destructive" in _text(refused)
                assert fake.count("contacts.delete") == 0
        errlog.seek(0)
        traffic.assert_no_token(errlog.read())


async def test_streamable_http_compact_mode_with_a_destructive_write_allowed():
    port = _free_port()
    traffic = Traffic()
    async with FakeIntercom("2.16", token=TOKEN) as fake:
        with tempfile.TemporaryFile("w+b") as errlog:
            proc = subprocess.Popen(
                [sys.executable, "-m", "intercom_async.mcp", "--transport", "http", "--port", str(port)]
                + ["--compact", "--allow", "contacts.delete", "--allow-destructive"],
                cwd=ROOT,
                env={**os.environ, **_env(fake.base_url), "INTERCOM_MCP_HTTP_TOKEN": HTTP_TOKEN},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errlog,
            )
            try:
                async with deadline():
                    await _wait_for_port(port, proc)
                    url = f"http://127.0.0.1:{port}/mcp"
                    async with aiohttp.ClientSession() as raw:  # without the server's bearer token: 401
                        async with raw.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}) as resp:
                            assert resp.status == 401
                    http = create_mcp_http_client(headers={"Authorization": f"Bearer {HTTP_TOKEN}"})
                    async with (
                        http,
                        streamable_http_client(url, http_client=http) as (read, write),
                        ClientSession(read, write) as session,
                    ):
                        await session.initialize()
                        tools = traffic.add(await session.list_tools()).tools
                        assert [t.name for t in tools] == ["intercom_list_groups", "intercom_describe", "intercom_call"]
                        groups = json.loads(_text(traffic.add(await session.call_tool("intercom_list_groups", {}))))
                        assert groups["version"] == "2.16" and groups["groups"]["contacts"] >= 5
                        described = traffic.add(
                            await session.call_tool("intercom_describe", {"operation": "contacts.delete"})
                        )
                        info = json.loads(_text(described))
                        assert info["kind"] == "destructive" and info["input_schema"]["required"] == ["contact_id"]
                        deleted = traffic.add(
                            await session.call_tool(
                                "intercom_call", {"operation": "contacts_delete", "arguments": {"contact_id": "1"}}
                            )
                        )
                        assert not deleted.is_error and fake.count("contacts.delete") == 1
                        refused = traffic.add(
                            await session.call_tool(
                                "intercom_call", {"operation": "tags_create", "arguments": {"body": {"name": "x"}}}
                            )
                        )
                        assert refused.is_error and _text(refused).startswith("refused: tags_create")
                        assert fake.count("tags.create") == 0
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            errlog.seek(0)
            log = errlog.read().decode("utf-8", "replace")
    assert "compact mode, 3 tools" in log
    traffic.assert_no_token(log)
