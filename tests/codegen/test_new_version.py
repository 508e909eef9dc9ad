"""Adding an API version is one ``[[version]]`` table in ``openapi/versions.toml`` plus ``make generate``.

In a temporary copy of the repository, a version this SDK does not ship (``2.99``: the 2.14 description
re-pinned under another name and module) is added to the pins and nothing else is edited. The generator
runs, then a fresh interpreter imports the copy and calls the new version through the public client
against a loopback server: ``intercom_async.Intercom(version="2.99")`` is the new package's client, it sends
``Intercom-Version: 2.99``, returns typed models and pages with ``async for``; ``VERSIONS``, the package's
lazy attributes, the typing overloads, the docs and the API change reports all include it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from codegen.pins import load_pins

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import asyncio, json, sys
from aiohttp import web
import intercom_async

async def main():
    seen = []

    async def contacts(request):
        seen.append(dict(request.headers))
        page = int(request.query.get("page", "1"))
        body = {"type": "list", "data": [{"type": "contact", "id": f"c{page}"}],
                "pages": {"type": "pages", "page": page, "per_page": 1, "total_pages": 2}}
        if page == 1:
            body["pages"]["next"] = {"starting_after": "cursor-2"}
        if request.query.get("starting_after") == "cursor-2":
            body["data"] = [{"type": "contact", "id": "c2"}]
            body["pages"].pop("next", None)
        return web.json_response(body)

    async def me(request):
        seen.append(dict(request.headers))
        return web.json_response({"type": "admin", "id": "1", "email": "a@example.com"})

    app = web.Application()
    app.router.add_get("/contacts", contacts)
    app.router.add_get("/me", me)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with intercom_async.Intercom("tok", version="2.99", base_url=f"http://127.0.0.1:{port}") as client:
        me_ = await client.admins.identify()
        ids = [c.id async for c in client.contacts.list(per_page=1)]
    await runner.cleanup()
    print(json.dumps({
        "client": type(client).__module__,
        "me": type(me_).__module__ + "." + type(me_).__name__,
        "ids": ids,
        "headers": sorted({h["Intercom-Version"] for h in seen}),
        "versions": list(intercom_async.VERSIONS),
        "module": intercom_async.v2_99.VERSION,
        "operations": len(intercom_async.v2_99.OPERATIONS),
        "in_all": "v2_99" in intercom_async.__all__,
    }))

asyncio.run(main())
"""


def _copy_repository(target: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            dest = target / name.decode()
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    shutil.copytree(ROOT / ".cache" / "openapi", target / ".cache" / "openapi")  # fetched specs (git-ignored)


def test_a_new_pin_alone_generates_an_importable_callable_version(tmp_path: Path):
    repo = tmp_path / "repo"
    _copy_repository(repo)
    (tmp_path / "shared").symlink_to(ROOT.parent / "shared")  # as in CI: ../shared beside the clone
    (base,) = [p for p in load_pins() if p.name == "2.14"]
    pins = repo / "openapi" / "versions.toml"
    pins_text = pins.read_text(encoding="utf-8")
    table = textwrap.dedent(
        f"""
        [[version]]
        name = "2.99"
        module = "v2_99"
        commit = "{base.commit}"
        path = "{base.path}"
        sha256 = "{base.sha256}"
        """
    )
    pins.write_text(
        pins_text.replace("\n# Intercom's own SDK naming table", table + "\n# Intercom's own SDK naming table", 1)
    )
    assert '"2.99"' in pins.read_text(encoding="utf-8")
    before = {p.relative_to(repo) for p in repo.rglob("*") if p.is_file() and ".cache" not in p.parts}

    generate = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "2.99"], cwd=repo, capture_output=True, text=True, timeout=600
    )
    assert generate.returncode == 0, generate.stdout[-2000:] + generate.stderr[-4000:]
    assert "[2.99] generated intercom_async/v2_99" in generate.stdout

    after = {p.relative_to(repo) for p in repo.rglob("*") if p.is_file() and ".cache" not in p.parts}
    added = after - before
    assert {p.parts[1] for p in added if p.parts[0] == "intercom_async"} == {"v2_99"}
    assert Path("docs/reference/2.99.md") in added and Path("docs/migration/2.99.md") in added
    assert Path("docs/api-changes/2.16-to-2.99.md") in added  # the new newest numbered version joins the chain
    assert 'Literal["2.99"]' in (repo / "intercom_async" / "_versions.py").read_text(encoding="utf-8")

    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(repo), "PATH": ""},
    )
    assert probe.returncode == 0, probe.stderr[-4000:]
    result = json.loads(probe.stdout)
    assert result["client"] == "intercom_async.v2_99.client"
    assert result["me"].startswith("intercom_async.v2_99.models.")
    assert result["ids"] == ["c1", "c2"]
    assert result["headers"] == ["2.99"]
    assert "2.99" in result["versions"] and result["module"] == "2.99" and result["in_all"]
    assert result["operations"] == len(__import__("intercom_async").v2_14.OPERATIONS)
