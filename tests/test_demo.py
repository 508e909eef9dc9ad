"""``make demo`` without Node or a token: ``examples/quickstart.py --fake`` against the package's FakeIntercom.

The script runs as a user runs it (a subprocess, no ``INTERCOM_*`` variables), and the walk must read real
pages: 120 seeded contacts in pages of 50, 50 and 20. The Prism variant is ``tests/contract/test_contract_demo.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_demo_runs_the_quickstart_against_the_fake():
    make = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert "examples/quickstart.py --fake" in make.stdout and "prism" not in make.stdout.lower(), make.stdout
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERCOM_")}
    proc = subprocess.run(
        [sys.executable, "examples/quickstart.py", "--fake"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "FakeIntercom at http://127.0.0.1:" in output
    created = re.search(r"create a contact +id=(\w+) email=ada@example.com", output)
    assert created, output
    assert re.search(r"list contacts +120 in 3 page\(s\) of up to 50", output), output
    assert re.search(rf"fetch a contact +id={created.group(1)} email=ada@example.com", output), output
    assert re.search(r"search role = user +total_count=80, 5 on the first page", output), output
    assert "NotFoundError 404 (company_not_found: Company Not Found; request_id=req-demo)" in output
