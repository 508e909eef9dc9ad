"""Static typing: ``export``/``sync`` yield the client version's models (overloads over the client type)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.support.mypy import run_mypy, snippet

SNIPPET = """
import intercom_async
from intercom_async.sync import export, sync

async def main() -> None:
    c16 = intercom_async.Intercom("t")
    cp = intercom_async.Intercom("t", version="Preview")
    c10 = intercom_async.Intercom("t", version="2.10")
    reveal_type(export(c16, "contacts"))
    reveal_type(export(cp, "companies", concurrency=4))
    reveal_type(export(c10, "conversations"))
    async for event in sync(c16, "contacts"):
        reveal_type(event)
    export(c16, "contacts", concurrency="many")
"""


def test_exports_and_syncs_are_typed_per_version(tmp_path: Path):
    source = snippet(tmp_path, "sync_snippet")
    source.write_text(textwrap.dedent(SNIPPET))
    result = run_mypy(str(source))
    lines = [
        line.split(": ", 1)[1] for line in result.stdout.splitlines() if ": " in line and " note: Possible" not in line
    ]
    assert lines[:4] == [
        'note: Revealed type is "intercom_async.sync._export.Export[intercom_async.v2_16.models.contact.Contact]"',
        'note: Revealed type is "intercom_async.sync._export.Export[intercom_async.preview.models.company.Company]"',
        'note: Revealed type is "intercom_async.sync._export.Export['
        'intercom_async.v2_10.models.conversation_list_item.ConversationListItem]"',
        'note: Revealed type is "intercom_async.v2_16.models.contact.Contact | intercom_async.sync._sync.Deleted | '
        'intercom_async.sync._sync.Merged"',
    ]
    assert any('No overload variant of "export"' in line for line in lines[4:])  # a bad option type is caught
