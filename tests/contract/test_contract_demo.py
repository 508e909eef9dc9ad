"""``examples/quickstart.py`` (what ``make demo`` runs against the package's fake) runs against Prism serving the
default version's spec too.

Every request the quickstart sends is validated by Prism, so an example that drifts from the API (a
renamed method, a body the spec no longer accepts) fails here rather than in front of a new user. The fake
variant, ``make demo`` itself, is ``tests/test_demo.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import intercom_async

from .conftest import prism_for
from .prism import ROOT

QUICKSTART = ROOT / "examples" / "quickstart.py"


def test_quickstart_runs_against_prism(request: pytest.FixtureRequest):
    server = prism_for(request, intercom_async.DEFAULT_VERSION)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERCOM_")}
    env["INTERCOM_BASE_URL"] = server.base_url
    proc = subprocess.run(
        [sys.executable, str(QUICKSTART)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    for step in ("identify the admin", "create a contact", "list contacts", "fetch a contact", "search role = user"):
        assert f"  {step}" in output, output
    assert "NotFoundError 404 (company_not_found" in output, output


def test_quickstart_without_token_or_mock_explains_itself():
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERCOM_")}
    proc = subprocess.run(
        [sys.executable, str(QUICKSTART)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert "make demo" in proc.stderr
