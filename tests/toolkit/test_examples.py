"""The webhook examples run: each serves itself on 127.0.0.1, receives a signed notification, skips its
repeat and refuses a forged one (``--demo``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "handled"),
    [
        ("webhooks_aiohttp.py", "conversation.user.created: conversation 1295 (open)"),
        ("webhooks_fastapi.py", "ticket.created: ticket 619 (submitted)"),
    ],
)
def test_example_demo(script, handled):
    env = {k: v for k, v in os.environ.items() if k != "INTERCOM_CLIENT_SECRET"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--demo"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines.count(handled) == 1, result.stdout  # handled once, although delivered twice
    assert any(line.startswith("signed: 200") for line in lines), result.stdout
    assert any(line.startswith("repeat: 200") and "duplicate" in line for line in lines), result.stdout
    assert any(line.startswith("forged: 401") for line in lines), result.stdout
    assert "Traceback" not in result.stderr


def test_fastapi_example_refuses_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "INTERCOM_CLIENT_SECRET"}
    result = subprocess.run(
        [sys.executable, "-c", "import examples.webhooks_fastapi"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert result.returncode == 1 and "INTERCOM_CLIENT_SECRET" in result.stderr
