"""Static typing follows the version: mypy sees the versioned client class, its resources and models."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.support.mypy import run_mypy, snippet

SNIPPET = """
import intercom_async

async def main() -> None:
    c10 = intercom_async.Intercom("t", version="2.10")
    c12 = intercom_async.Intercom("t", version="2.12")
    c16 = intercom_async.Intercom("t")
    cu = intercom_async.Intercom("t", version="Unstable")
    direct = intercom_async.v2_10.Intercom("t")
    reveal_type(c10)
    reveal_type(c12)
    reveal_type(cu)
    reveal_type(direct)
    reveal_type(c16)
    reveal_type(intercom_async.Intercom("t", version="Preview"))
    reveal_type(await c12.admins.identify())
    cu.brands
    c12.brands
"""


def test_mypy_knows_each_versions_resources(tmp_path: Path):
    source = snippet(tmp_path, "snippet")
    source.write_text(textwrap.dedent(SNIPPET))
    result = run_mypy(str(source))
    lines = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if ": " in line]
    assert lines == [
        'note: Revealed type is "intercom_async.v2_10.client.Intercom"',
        'note: Revealed type is "intercom_async.v2_12.client.Intercom"',
        'note: Revealed type is "intercom_async.unstable.client.Intercom"',
        'note: Revealed type is "intercom_async.v2_10.client.Intercom"',
        'note: Revealed type is "intercom_async.v2_16.client.Intercom"',
        'note: Revealed type is "intercom_async.preview.client.Intercom"',
        'note: Revealed type is "intercom_async.v2_12.models.admin_with_app.AdminWithApp"',
        'error: "Intercom" has no attribute "brands"  [attr-defined]',
    ], result.stdout + result.stderr
