"""The pytest plugin as installed: registered under ``pytest11``, cheap to load, and usable from a user's suite
run by anyio's plugin instead of pytest-asyncio (a separate pytest process in a temporary folder)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

USER_TEST = """
import pytest

import intercom_async

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_the_fixtures_under_anyio(intercom_fake, intercom_client):
    me = await intercom_client.admins.identify()
    assert me.to_dict() == intercom_fake.example("admins.identify")
    assert intercom_fake.version == intercom_async.DEFAULT_VERSION and intercom_fake.count() == 1


@pytest.mark.intercom_version("2.12")
async def test_the_marker_under_anyio(intercom_fake, intercom_client):
    intercom_fake.items("contacts.list", [{"type": "contact", "id": str(i)} for i in range(7)])
    assert [c.id async for c in intercom_client.contacts.list(per_page=3)] == [str(i) for i in range(7)]
    assert intercom_fake.count("contacts.list") == 3
"""


def test_the_plugin_is_registered_as_a_pytest_entry_point():
    (entry,) = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "intercom_async"]
    assert entry.value == "intercom_async.testing.plugin"


def test_loading_the_plugin_imports_neither_the_server_nor_a_version_package():
    code = (
        "import sys; import intercom_async.testing.plugin; "
        "print(sorted(m for m in sys.modules if m.startswith(('aiohttp.web', 'intercom_async.v', "
        "'intercom_async.testing._', 'intercom_async.preview', 'intercom_async.unstable'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_a_user_suite_runs_the_fixtures_under_anyio(tmp_path: Path):
    (tmp_path / "test_mine.py").write_text(textwrap.dedent(USER_TEST), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:asyncio", "-p", "no:cacheprovider", "test_mine.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "2 passed" in result.stdout
