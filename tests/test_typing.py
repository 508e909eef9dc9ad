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


WRITE_CALLS = """
import intercom_async
from intercom_async.v2_16.models import Contact, Conversation


async def main(conversation: Conversation, contact: Contact) -> None:
    client = intercom_async.Intercom("t")
    reveal_type(conversation.id)
    await client.conversations.reply(conversation.id, message_type="comment", type="admin", admin_id="1", body="Thanks")
    await client.conversations.reply(conversation.id, message_type="comment", type="user", email="a@example.com", body="Hi")
    await client.notes.create(contact.id, body="Hello", admin_id="123")
    await client.notes.create("6762f0d51bb69f9f2193bb7f", body="Hello")
    await client.notes.create(contact.id, request_body={"body": "Hello"})
    await client.conversations.delete(conversation.id)
    await client.tags.create(name="vip")
    await client.contacts.merge_lead_in_user(from_="6762f0d5", into="6762f0d6")
    await client.conversations.with_raw_response.reply(conversation.id, message_type="note", type="admin", admin_id="1")
    await client.conversations.reply(conversation.id, message_type="comment", type="admin", admin_id="1", email="a@example.com", body="x")  # mixes two branches
    await client.conversations.reply(conversation.id, message_type="comment", type="admin", body="x")  # no admin_id
    await client.conversations.reply(conversation.id, message_type="comment", type="user", admin_id="1", body="x")  # contact with admin_id
    await client.notes.create(contact.id, body={"body": "Hello"})  # the whole body is request_body=
"""


def test_mypy_accepts_write_calls_as_intercom_documents_them_and_rejects_a_mixed_reply(tmp_path: Path):
    """Issue 18: a reply, a note for a real (hex) contact id, a delete by a model's id pass ``mypy --strict`` with no
    cast or assert; a reply mixing the admin and a contact branch (or missing the admin's id) is rejected."""
    source = snippet(tmp_path, "write_calls")
    source.write_text(textwrap.dedent(WRITE_CALLS))
    result = run_mypy(str(source))
    output = result.stdout + result.stderr
    errors = [line.split(":")[1] for line in result.stdout.splitlines() if ": error: " in line]
    bad = [
        str(i)
        for i, line in enumerate(WRITE_CALLS.splitlines(), 1)
        if line.rstrip().endswith(("branches", "admin_id", "request_body="))
    ]
    assert len(bad) == 4
    assert sorted(set(errors), key=int) == bad, output
    assert 'Revealed type is "builtins.str"' in output, output
    assert 'No overload variant of "reply"' in output and "[call-overload]" in output, output
