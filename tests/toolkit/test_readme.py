"""The README's "Building an Intercom app" section: every Python block compiles, and the two webhook
receivers, run as written, receive a signed notification on 127.0.0.1."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from intercom_async import webhooks

from .conftest import SECRET, notification_body, serve_aiohttp, serve_uvicorn, spec_item

README = Path(__file__).resolve().parents[2] / "README.md"


def section_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Building an Intercom app", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_every_python_block_of_the_section_compiles():
    blocks = section_blocks()
    assert len(blocks) >= 6
    for block in blocks:
        compile(block, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


async def _deliver(url: str) -> tuple[int, Any]:
    body = notification_body(spec_item("2.12", "conversation"), "conversation.admin.closed")
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers={"X-Hub-Signature": webhooks.sign(body, SECRET)}) as resp:
            return resp.status, await resp.json()


async def test_the_aiohttp_block_runs(monkeypatch, capsys):
    (block,) = [b for b in section_blocks() if "attach_aiohttp" in b]
    monkeypatch.setenv("INTERCOM_CLIENT_SECRET", SECRET)
    served: list[web.Application] = []
    monkeypatch.setattr(web, "run_app", lambda app, **kwargs: served.append(app))
    namespace: dict[str, Any] = {"__name__": "readme_aiohttp"}
    exec(compile(block, "README.md", "exec"), namespace)
    (app,) = served
    async with serve_aiohttp(app) as base:
        assert await _deliver(base + "/intercom/webhooks") == (200, {"ok": True})
        assert await namespace["receiver"].drain(5)
    assert "conversation.admin.closed" in capsys.readouterr().out


async def test_the_fastapi_block_runs(monkeypatch, capsys):
    (block,) = [b for b in section_blocks() if "fastapi_router" in b]
    monkeypatch.setenv("INTERCOM_CLIENT_SECRET", SECRET)
    namespace: dict[str, Any] = {"__name__": "readme_fastapi"}
    exec(compile(block, "README.md", "exec"), namespace)
    async with serve_uvicorn(namespace["app"]) as base:
        assert await _deliver(base + "/intercom/webhooks") == (200, {"ok": True})
        assert await namespace["receiver"].drain(5)
    assert "conversation.admin.closed conversation" in capsys.readouterr().out
