"""The README's "Testing your app with intercom_async.testing" section, run as written: its example test module
under pytest-asyncio's auto mode, its strict-mode ``conftest.py`` with a test of ours, and its simulated-workspace
test module, each in a separate pytest process in a temporary folder (the plugin as users get it,
``filterwarnings = error``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

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
    # this checkout's package first (the venv may hold an editable install of another checkout)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=180, env=env)


def test_the_example_module_passes_as_written(tmp_path: Path):
    example, _conftest, _workspace = blocks()
    (tmp_path / "test_my_app.py").write_text(example, encoding="utf-8")
    result = run_pytest(tmp_path, "auto")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "4 passed" in result.stdout


def test_the_strict_mode_conftest_works(tmp_path: Path):
    _example, conftest, _workspace = blocks()
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_strict.py").write_text(STRICT_TEST, encoding="utf-8")
    result = run_pytest(tmp_path, "strict")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout


def test_the_workspace_example_passes_as_written(tmp_path: Path):
    _example, _conftest, workspace = blocks()
    (tmp_path / "test_my_sync.py").write_text(workspace, encoding="utf-8")
    result = run_pytest(tmp_path, "auto")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
