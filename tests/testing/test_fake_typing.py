"""The testing kit is typed per version (issue 18): ``FakeIntercom("2.12").client()`` is an
``intercom_async.v2_12.Intercom`` for ``mypy --strict``, as ``Intercom(version="2.12")`` is, so a user's test
code written against the fake is checked (it was ``Any``, and mypy passed on anything)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from tests.support.mypy import run_mypy, snippet

USER_TESTS = """
from typing import Literal

import intercom_async
from intercom_async.testing import FakeIntercom


def runtime_version() -> str:
    return "2.12"


async def test_contacts() -> None:
    async with FakeIntercom("2.12") as fake:
        reveal_type(fake)
        client = fake.client(max_retries=0)
        reveal_type(client)
        reveal_type(await client.contacts.find("1"))
        await client.contacts.fetch("1")
        await client.contacts.find()
        client.brands
    reveal_type(FakeIntercom().client())
    reveal_type(FakeIntercom(version="Preview").client())
    reveal_type(FakeIntercom(runtime_version()).client())
    any_version: FakeIntercom[str] = FakeIntercom("2.10")
    reveal_type(any_version.client())
    exact: FakeIntercom[Literal["2.14"]] = FakeIntercom("2.14")
    reveal_type(exact.client())
    FakeIntercom("2.12", validate="yes")
"""


def test_a_users_tests_against_the_fake_are_typed_per_version(tmp_path: Path) -> None:
    source = snippet(tmp_path, "test_user_fake")
    source.write_text(textwrap.dedent(USER_TESTS))
    result = run_mypy(str(source))
    lines = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if ": " in line]
    # the id parameter's name is the spec's (``id`` in 2.12): not what this test is about
    lines = [re.sub(r'argument "\w+" in call to "find"', 'argument "<id>" in call to "find"', line) for line in lines]
    assert lines == [
        "note: Revealed type is \"intercom_async.testing._fake.FakeIntercom[Literal['2.12']]\"",
        'note: Revealed type is "intercom_async.v2_12.client.Intercom"',
        'note: Revealed type is "intercom_async.v2_12.models.contact.Contact"',
        'error: "ContactsResource" has no attribute "fetch"  [attr-defined]',
        'error: Missing positional argument "<id>" in call to "find" of "ContactsResource"  [call-arg]',
        'error: "Intercom" has no attribute "brands"  [attr-defined]',
        'note: Revealed type is "intercom_async.v2_16.client.Intercom"',
        'note: Revealed type is "intercom_async.preview.client.Intercom"',
        'note: Revealed type is "intercom_async._versions.Intercom"',
        'note: Revealed type is "intercom_async._versions.Intercom"',
        'note: Revealed type is "intercom_async.v2_14.client.Intercom"',
        'error: Argument "validate" to "FakeIntercom" has incompatible type "str"; expected "bool"  [arg-type]',
    ], result.stdout + result.stderr
