"""The types reach users: the wheel, installed into a fresh venv outside the repo, type-checks a user's script
under ``mypy --strict`` (no ``--implicit-reexport``, no stubs, no config of ours).

The wheel is built with the dev venv's hatchling (``pip wheel --no-build-isolation``: no network) and installed
with ``--no-deps`` into a venv made in a temporary folder; its runtime dependencies (aiohttp, attrs) come from
the dev venv through a ``.pth`` line, so ``intercom_async`` itself is importable only from the wheel (the test
checks that, and that mypy read the installed copy). The script below carries its expectations inline:
``# R: <type>`` is what ``reveal_type`` on that line must print, ``# E: <message>`` the error mypy must report.
Every other line must be clean.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

USER_SCRIPT = '''\
"""What a user writes after `pip install intercom-async`."""

import asyncio

import intercom_async


async def main() -> None:
    async with intercom_async.Intercom("token", version="2.12", region="eu") as client:
        reveal_type(client)  # R: intercom_async.v2_12.client.Intercom
        me = await client.admins.identify()
        reveal_type(me)  # R: intercom_async.v2_12.models.admin_with_app.AdminWithApp

        # typed body fields
        contact = await client.contacts.create(email="ada@example.com", name="Ada", custom_attributes={"plan": "pro"})
        reveal_type(contact)  # R: intercom_async.v2_12.models.contact.Contact
        await client.contacts.create(emial="ada@example.com")  # E: Unexpected keyword argument "emial" for "create" of "ContactsResource"; did you mean "email"?  [call-arg]
        await client.contacts.create(email=42)  # E: Argument "email" to "create" of "ContactsResource" has incompatible type "int"; expected "str"  [arg-type]
        await client.contacts.create(request_body={"email": "ada@example.com", "role": "lead"})
        await client.contacts.create(request_body={"emial": "ada@example.com"})  # E: Argument "request_body" to "create" of "ContactsResource" has incompatible type "dict[str, str]"; expected "CreateContactRequest | CreateContactRequestDict | Unset"  [arg-type]
        # a plain call, path parameter positional: an object's id is typed present (other fields are `X | Unset`)
        found = await client.contacts.find(contact.id)
        reveal_type(found)  # R: intercom_async.v2_12.models.contact.Contact
        reveal_type(contact.email)  # R: builtins.str | intercom_async._types.Unset

        # write calls as Intercom documents them: body= is the field named body, the whole body is request_body=
        note = await client.notes.create(contact.id, body="Hello", admin_id="123")
        reveal_type(note)  # R: intercom_async.v2_12.models.note.Note
        await client.conversations.reply("1", message_type="comment", type="admin", admin_id="1", body="Thanks")
        await client.contacts.delete(found.id)
        await client.tags.create(name="vip")
        await client.conversations.reply("1", message_type="comment", type="user", admin_id="1", body="x")  # E: No overload variant of "reply" of "ConversationsResource" matches argument types "str", "str", "str", "str", "str"  [call-overload]

        # paginated: await = first page, async for = every item of every page
        pager = client.contacts.list(per_page=50)
        reveal_type(pager)  # R: intercom_async._pagination.AsyncPager[intercom_async.v2_12.models.contact_list.ContactList, intercom_async.v2_12.models.contact.Contact]
        first_page = await pager
        reveal_type(first_page)  # R: intercom_async.v2_12.models.contact_list.ContactList
        async for item in client.contacts.list():
            reveal_type(item)  # R: intercom_async.v2_12.models.contact.Contact
        async for page in client.contacts.list().pages():
            reveal_type(page.items)  # R: builtins.list[intercom_async.v2_12.models.contact.Contact]

        # nested groups
        collections = await client.help_centers.collections.list()
        reveal_type(collections)  # R: intercom_async.v2_12.models.collection_list.CollectionList

        # raw responses and the escape hatch
        raw = await client.contacts.with_raw_response.find("1")
        reveal_type(raw)  # R: intercom_async._response.APIResponse[intercom_async.v2_12.models.contact.Contact]
        reveal_type(raw.status_code)  # R: builtins.int
        reveal_type(raw.parsed)  # R: intercom_async.v2_12.models.contact.Contact
        anything = await client.request("GET", "/contacts/1/notes", query={"page": 2})
        reveal_type(anything)  # R: intercom_async._response.APIResponse[Any]

        # typed errors
        try:
            await client.contacts.find("missing")
        except intercom_async.NotFoundError as e:
            reveal_type(e.status_code)  # R: builtins.int
            reveal_type(e.errors)  # R: builtins.list[intercom_async._errors.ErrorDetail]
            reveal_type(e.request_id)  # R: builtins.str | None
        except intercom_async.RateLimitError as e:
            reveal_type(e.retry_after)  # R: builtins.float | None
        await client.contacts.no_such_method()  # E: "ContactsResource" has no attribute "no_such_method"  [attr-defined]

    other = intercom_async.Intercom("token", version="2.10")
    reveal_type(other)  # R: intercom_async.v2_10.client.Intercom


asyncio.run(main())
'''


KIT_SCRIPT = """
import asyncio

from intercom_async.testing import FakeIntercom


async def main():
    async with FakeIntercom("2.12") as fake:
        me = await fake.client().admins.identify()
        assert me.to_dict() == fake.example("admins.identify")
        print(type(me).__name__)


asyncio.run(main())
"""


def readme_snippets() -> str:
    """The README's quick start as written, and its typed-body and ``client.request`` examples inside a function
    (they are fragments): every line must type-check."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")

    def blocks(section: str) -> list[str]:
        body = text.split(section, 1)[1].split("\n#", 1)[0]
        return re.findall(r"```python\n(.*?)```", body, flags=re.S)

    (quick_start,) = blocks("## Quick start")
    fragments = blocks("### Request bodies") + blocks("### Endpoints a version does not describe")
    assert len(fragments) == 2
    wrapped = "".join(textwrap.indent(f, "    ") for f in fragments)
    return (
        quick_start
        + "\n\nasync def fragments(client: intercom_async.v2_12.Intercom, ticket_id: str) -> None:\n"
        + wrapped
    )


_EXPECT = re.compile(r"  # ([RE]): (.*)$")


def _expected(script: str) -> list[str]:
    out = []
    for number, line in enumerate(script.splitlines(), 1):
        match = _EXPECT.search(line)
        if match:
            kind, text = match.groups()
            out.append(f'{number}: note: Revealed type is "{text}"' if kind == "R" else f"{number}: error: {text}")
    return out


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=300)
    return result


def test_installed_wheel_type_checks_a_user_script_under_mypy_strict(tmp_path: Path) -> None:
    mypy = shutil.which("mypy", path=str(Path(sys.executable).parent))
    assert mypy, "mypy is part of the dev extra"
    assert ROOT not in tmp_path.parents, "the user's folder must be outside the repo"

    # 1. the wheel, with py.typed for the core package and each version package
    dist = tmp_path / "dist"
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", str(ROOT), "-w", str(dist),
        cwd=tmp_path,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("intercom_async-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "intercom_async/py.typed" in names
    assert {"intercom_async/v2_10/py.typed", "intercom_async/v2_12/py.typed"} <= names
    # the testing kit: its package, each version's documented examples, the pytest plugin's entry point
    import intercom_async

    modules = {info.module.rpartition(".")[2] for info in intercom_async.VERSIONS.values()}
    assert {f"intercom_async/{m}/examples.json" for m in modules} | {"intercom_async/testing/plugin.py"} <= names
    # the MCP server (the `mcp` extra) and each version's tool schemas
    assert {f"intercom_async/{m}/tools.json" for m in modules} | {"intercom_async/mcp/__main__.py"} <= names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "intercom_async = intercom_async.testing.plugin" in zipfile.ZipFile(wheel).read(entry_points).decode()

    # 2. a fresh venv: the package only from the wheel, its dependencies from the dev venv
    venv = tmp_path / "venv"
    made = _run(sys.executable, "-m", "venv", "--without-pip", str(venv), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(
        _run(
            str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path
        ).stdout.strip()
    )
    (site / "_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    installed = _run(
        sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel), cwd=tmp_path
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = _run(str(python), "-c", "import intercom_async, aiohttp; print(intercom_async.__file__)", cwd=tmp_path)
    assert where.stdout.strip() == str(site / "intercom_async" / "__init__.py"), where.stdout + where.stderr
    kit = _run(str(python), "-c", KIT_SCRIPT, cwd=tmp_path)  # the fake answers from the wheel's examples.json
    assert kit.returncode == 0 and kit.stdout.strip() == "AdminWithApp", kit.stdout + kit.stderr

    # 3. strict mypy on the user's script, run from the user's folder with the venv's interpreter
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(USER_SCRIPT, encoding="utf-8")
    (project / "readme.py").write_text(readme_snippets(), encoding="utf-8")
    result = _run(
        mypy, "--strict", "--python-executable", str(python), "--cache-dir", str(tmp_path / "mypy-cache"),
        "--no-error-summary", "--hide-error-context", "--no-pretty", "--no-color-output", "app.py", "readme.py",
        cwd=project,
    )  # fmt: skip
    out = result.stdout + result.stderr
    seen, readme, elsewhere = [], [], []
    for line in out.splitlines():
        if line.startswith("app.py:"):
            note = line.partition(": note: ")[2]
            if note.startswith(("Possible overload variants", "    ")):  # the variants listed under an # E: line
                continue
            seen.append(line[len("app.py:") :])
        elif line.startswith("readme.py:"):
            readme.append(line)
        elif line.strip():
            elsewhere.append(line)
    assert seen == _expected(USER_SCRIPT), out
    assert readme == [], out
    # mypy's "defined here" notes point into the installed copy, never into the repo
    assert elsewhere, out
    for line in elsewhere:
        assert line.startswith(str(site / "intercom_async")), out
        assert ": note: " in line, out
    assert result.returncode == 1, out  # the deliberate errors above, nothing else
