"""The README's "Testing your app with intercom_async.testing" section, run as written: its example test module
under pytest-asyncio's auto mode, and its strict-mode ``conftest.py`` with a test of ours, each in a separate
pytest process in a temporary folder (the plugin as users get it, ``filterwarnings = error``)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

STRICT_TEST = """
import pytest


@pytest.mark.asyncio
async def test_the_conftest_fixtures(intercom_fake, intercom_client):
    me = await intercom_client.admins.identify()
    assert me.to_dict() == intercom_fake.example("admins.identify")
"""


def blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Testing your app with `intercom_async.testing`", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def run_pytest(folder: Path, mode: str) -> subprocess.CompletedProcess[str]:
    ini = f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\nfilterwarnings = error\n"
    (folder / "pytest.ini").write_text(ini, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-markers"]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=180)


def test_the_example_module_passes_as_written(tmp_path: Path):
    example, _conftest = blocks()
    (tmp_path / "test_my_app.py").write_text(example, encoding="utf-8")
    result = run_pytest(tmp_path, "auto")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout


def test_the_strict_mode_conftest_works(tmp_path: Path):
    _example, conftest = blocks()
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_strict.py").write_text(STRICT_TEST, encoding="utf-8")
    result = run_pytest(tmp_path, "strict")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
