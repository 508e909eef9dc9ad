"""``make demo`` without Node or a token: ``examples/quickstart.py --fake`` against the package's FakeIntercom.

The script runs as a user runs it (a subprocess, no ``INTERCOM_*`` variables), and the walk must read real
pages: 120 seeded contacts in pages of 50, 50 and 20. With ``INTERCOM_TOKEN`` the script only reads (checked
against the fake standing in for a workspace). The Prism variant is ``tests/contract/test_contract_demo.py``.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from asyncio.subprocess import PIPE, STDOUT
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


async def test_with_a_token_the_quickstart_only_reads():
    """``INTERCOM_TOKEN=... make demo`` against a workspace (here the fake, by ``INTERCOM_BASE_URL``): nothing is
    created or changed, the walk stops after the first few contacts."""
    from intercom_async.testing import FakeIntercom

    async with FakeIntercom("2.16") as fake:
        fake.items("contacts.list", [{"type": "contact", "id": f"c{i}", "role": "user"} for i in range(300)])
        fake.respond("companies.find", {"type": "error.list", "errors": [{"code": "company_not_found"}]}, status=404)
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTERCOM_")}
        env.update(INTERCOM_TOKEN=fake.token, INTERCOM_BASE_URL=fake.base_url)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "examples/quickstart.py", cwd=ROOT, env=env, stdout=PIPE, stderr=STDOUT
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    output = out.decode()
    assert proc.returncode == 0, output
    assert "(read-only)" in output and "skipped: read-only against a real workspace" in output
    assert re.search(r"list contacts +50 in 1 page\(s\)", output), output  # stopped after the first page
    sent = [(r.method, r.operation_id) for r in fake.requests]
    assert ("POST", "CreateContact") not in sent
    assert {method for method, _ in sent} <= {"GET", "POST"}
    assert [op for method, op in sent if method == "POST"] == ["SearchContacts"]  # a search reads
