"""The README's quick start, run as written against a loopback server standing in for the EU region.

The block is executed verbatim (``asyncio.run(main())`` included); only the EU region's URL is pointed at
127.0.0.1. The server checks what a real Intercom would see: the token, the version header, the typed body
fields as JSON, the paging query and a positional path parameter, and answers the last call with a 404.
The "Writing" section's calls (a write call of each kind) run as written against the package's FakeIntercom,
which checks every body against the spec. Every other Python block of the README and of ``docs/`` must at
least compile.
"""

from __future__ import annotations

import ast
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from intercom_async import _client
from intercom_async.testing import FakeIntercom

ROOT = Path(__file__).resolve().parents[1]
ADMIN = {"type": "admin", "id": "1", "email": "admin@example.com", "app": {"type": "app", "id_code": "abc"}}
CONTACT = {"type": "contact", "id": "c1", "email": "ada@example.com", "name": "Ada"}


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.fixture
def fake_eu(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "token": self.headers.get("Authorization"),
                    "version": self.headers.get("Intercom-Version"),
                    "json": json.loads(body) if body else None,
                }
            )
            route = (self.command, self.path.split("?")[0])
            status, reply = {
                ("GET", "/me"): (200, ADMIN),
                ("POST", "/contacts"): (200, CONTACT),
                ("GET", "/contacts"): (200, {"type": "list", "data": [CONTACT], "total_count": 1}),
            }.get(route, (404, {"type": "error.list", "errors": [{"code": "not_found", "message": "No such"}]}))
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Request-Id", "req-42")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(_client.REGIONS, "eu", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_the_quick_start_runs_as_written(fake_eu: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = python_blocks(text.split("## Quick start", 1)[1].split("\n#", 1)[0])
    exec(compile(block, "README.md (quick start)", "exec"), {"__name__": "readme_quickstart"})
    assert [(s["method"], s["path"]) for s in fake_eu] == [
        ("GET", "/me"),
        ("POST", "/contacts"),
        ("GET", "/contacts?per_page=50"),
        ("GET", "/contacts/no-such-contact"),
    ]
    assert {s["token"] for s in fake_eu} == {"Bearer ..."}  # the README's placeholder token
    assert {s["version"] for s in fake_eu} == {"2.16"}
    assert fake_eu[1]["json"] == {"email": "ada@example.com", "name": "Ada"}
    assert capsys.readouterr().out.splitlines() == ["c1 ada@example.com", "404 req-42", "admin@example.com c1"]


async def test_the_write_calls_run_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = python_blocks(text.split("### Writing: every body as keyword arguments", 1)[1].split("\n#", 1)[0])
    namespace: dict[str, Any] = {"__name__": "readme_writes"}
    exec(compile(block, "README.md (writing)", "exec"), namespace)
    async with FakeIntercom("2.16") as fake:
        async with fake.client() as client:
            await namespace["write"](client, "6650a1b2c3d4e5f6a7b8c9d0", "123")
    sent = [(r.operation_id, r.path, r.json, r.status) for r in fake.requests]
    assert sent == [
        ("CreateContact", "/contacts", {"email": "grace@example.com", "name": "Grace Hopper"}, 200),
        (
            "replyConversation",
            "/conversations/123/reply",
            {"message_type": "comment", "type": "admin", "admin_id": "1", "body": "Thanks"},
            200,
        ),
        ("createTag", "/tags", {"name": "vip"}, 200),
        ("createNote", "/contacts/6650a1b2c3d4e5f6a7b8c9d0/notes", {"body": "Hello", "admin_id": "123"}, 200),
    ]
    assert capsys.readouterr().out.strip() == fake.example("contacts.create")["id"]


@pytest.mark.parametrize(
    "path",
    [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_python_block_compiles(path: Path) -> None:
    blocks = python_blocks(path.read_text(encoding="utf-8"))
    for block in blocks:
        compile(block, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
