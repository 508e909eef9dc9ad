"""Issue 18: write calls as Intercom documents them, against a real HTTP server on 127.0.0.1 (API 2.16).

The rule: the whole body is ``request_body=``; ``body=`` is the body field named ``body``; every object body
takes its fields as keyword arguments (``from_`` for ``from``); a union body takes the fields of one branch,
which they select. Wrong bodies are refused before anything is sent, naming what was wrong. Ids are typed as
users hold them (``str | int`` path ids; ``id``/``type`` present on response objects).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

import intercom_async
from intercom_async import InvalidRequestError, MissingFieldError, UnprocessableEntityError
from intercom_async.testing import FakeIntercom, sample_body
from intercom_async.testing._data import sample
from intercom_async.v2_16 import OPERATIONS, models
from tests.support import loopback

TOKEN = "tok-write-calls-secret"
CONTACT_ID = "6762f0d51bb69f9f2193bb7f"  # a real contact id is hex: no int annotation could take it

# The 19 operations of API 2.16 that took only body= before: 6 with union bodies, 13 with a field named body.
UNION_OPS = [
    "conversations.reply",
    "conversations.manage",
    "conversations.redact_conversation_part",
    "tickets.reply",
    "tags.create",
    "conversations_attributes.create",
]
BODY_FIELD_OPS = [
    "conversations.create",
    "messages.create",
    "notes.create",
    "notes.create_for_company",
    "articles.create",
    "articles.update",
    "articles.stage_draft",
    "internal_articles.create",
    "internal_articles.update",
    "news.items.create",
    "news.items.update",
    "data_connectors.create",
    "data_connectors.update",
]
BY_NAME = {op.qualname: op for op in OPERATIONS.values()}


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any]] = []

    async def handle(self, request: Any) -> Any:
        from aiohttp import web

        raw = await request.read()
        self.seen.append((request.method, request.raw_path, json.loads(raw) if raw else None))
        return web.json_response({"type": "note", "id": "1"})


@pytest.fixture
async def served() -> AsyncIterator[tuple[Recorder, Any]]:
    recorder = Recorder()
    async with loopback.serve(recorder.handle) as url:
        async with intercom_async.Intercom(TOKEN, base_url=url, max_retries=0) as client:
            yield recorder, client


def _path_args(op: Any) -> list[str]:
    return [f"{name}-1" for name, _json, where, _required in op.params if where == "path"]


def _keyword(key: str) -> str:
    return key + "_" if key in ("from", "class", "import", "global") else key


def test_the_nineteen_are_what_the_issue_counts() -> None:
    assert all(len(BY_NAME[name].body or ()) > 1 for name in UNION_OPS)
    for name in BODY_FIELD_OPS:
        (cls,) = BY_NAME[name].body_models()
        assert "body" in {row[0] for row in cls._FIELDS}, name


async def test_the_issue_first_paragraph_as_written(served: tuple[Recorder, Any]) -> None:
    recorder, client = served
    await client.notes.create(CONTACT_ID, body="Hello", admin_id="123")
    await client.news.items.create(title="Launch", body="<p>New</p>", sender_id=991267)
    await client.conversations.reply("123", message_type="comment", type="admin", admin_id="1", body="Thanks")
    await client.tags.create(name="vip")
    await client.contacts.merge_lead_in_user(from_="6762f0d5", into="6762f0d6")
    await client.conversations.delete(12345)  # an int still fills the path as before
    assert recorder.seen == [
        ("POST", f"/contacts/{CONTACT_ID}/notes", {"body": "Hello", "admin_id": "123"}),
        ("POST", "/news/news_items", {"title": "Launch", "body": "<p>New</p>", "sender_id": 991267}),
        (
            "POST",
            "/conversations/123/reply",
            {"message_type": "comment", "type": "admin", "admin_id": "1", "body": "Thanks"},
        ),
        ("POST", "/tags", {"name": "vip"}),
        ("POST", "/contacts/merge", {"from": "6762f0d5", "into": "6762f0d6"}),
        ("DELETE", "/conversations/12345", None),
    ]


@pytest.mark.parametrize("name", BODY_FIELD_OPS)
async def test_a_body_field_named_body_is_a_keyword_argument(served: tuple[Recorder, Any], name: str) -> None:
    recorder, client = served
    op = BY_NAME[name]
    fields = {**(sample_body(op) or {}), "body": "Hello"}
    await op.bind(client)(*_path_args(op), **{_keyword(k): v for k, v in fields.items()})
    await op.bind(client)(*_path_args(op), request_body=fields)
    assert [sent for _method, _path, sent in recorder.seen] == [fields, fields]


def _branch_fields(cls: Any) -> dict[str, Any]:
    """The least body of one branch: its required fields, each fixed one at its first allowed value."""
    least = sample(("model", cls.__name__), models)
    return {k: cls._LITERALS[k][0] if k in cls._LITERALS else v for k, v in least.items()}


@pytest.mark.parametrize("name", UNION_OPS)
async def test_each_branch_of_a_union_body_by_keywords(served: tuple[Recorder, Any], name: str) -> None:
    recorder, client = served
    op = BY_NAME[name]
    sent = []
    for cls in op.body_models():
        fields = _branch_fields(cls)
        await op.bind(client)(*_path_args(op), **fields)
        sent.append(fields)
    assert [body for _method, _path, body in recorder.seen] == sent
    assert len(sent) >= 2


async def test_an_admin_reply_without_admin_id_names_the_admin_branch(served: tuple[Recorder, Any]) -> None:
    recorder, client = served
    with pytest.raises(InvalidRequestError) as info:
        await client.conversations.reply("1", message_type="comment", type="admin", body="Thanks")  # type: ignore[call-overload]
    text = str(info.value)
    assert "point to AdminReplyConversationRequest, which lacks required field(s) 'admin_id'" in text, text
    assert "(message_type='comment', type='admin')" in text
    assert "ContactReplyIntercomUserIdRequest (message_type='comment', type='user', body, intercom_user_id)" in text
    with pytest.raises(InvalidRequestError, match="point to ContactReplyEmailRequest, which lacks .*'body'"):
        await client.conversations.reply("1", message_type="comment", type="user", email="a@example.com")  # type: ignore[call-overload]
    with pytest.raises(InvalidRequestError, match="no shape of the body takes type='bot'"):
        await client.conversations.reply("1", message_type="comment", type="bot", body="x")  # type: ignore[call-overload]
    assert recorder.seen == []


async def test_the_fake_names_the_branch_the_fields_point_to() -> None:
    """A whole body is not checked for required fields on the client; the fake's 422 then names the branch the
    fixed fields point to (the admin reply), not the first branch of the union."""
    async with FakeIntercom("2.16") as fake:
        with pytest.raises(UnprocessableEntityError) as info:
            await fake.client().conversations.reply(
                "1", request_body={"message_type": "comment", "type": "admin", "body": "Thanks"}
            )
    assert "admin_id: required field missing (AdminReplyConversationRequest)" in str(info.value), str(info.value)


async def test_a_near_miss_of_a_required_field_is_named(served: tuple[Recorder, Any]) -> None:
    recorder, client = served
    with pytest.raises(InvalidRequestError) as info:
        await client.tags.tag_contact(CONTACT_ID, tag_id="7")  # type: ignore[call-arg]
    assert "missing required field(s) 'id' of AttachTagToContactBody" in str(info.value)
    assert "'tag_id' is not a field of AttachTagToContactBody: did you mean 'id'?" in str(info.value)
    assert recorder.seen == []


async def test_no_silent_wrong_request(served: tuple[Recorder, Any]) -> None:
    recorder, client = served
    with pytest.raises(
        InvalidRequestError, match=r"request_body must be a JSON object \(CreateNoteBody or a dict\), got a string"
    ):
        await client.notes.create(CONTACT_ID, request_body="Hello")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="request_body must be a JSON object .* got an array"):
        await client.contacts.create(request_body=[{"email": "a@example.com"}])  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="'body' given both in request_body and as a keyword argument"):
        await client.notes.create(CONTACT_ID, request_body={"body": "a"}, body="b")
    with pytest.raises(InvalidRequestError, match=r"body= is a str field of CreateNoteBody, got object \(the whole"):
        await client.notes.create(CONTACT_ID, body={"body": "Hello"})  # type: ignore[typeddict-item]
    with pytest.raises(InvalidRequestError, match="the body has no field 'body'; the whole request body is"):
        await client.contacts.create(body={"email": "a@example.com"})  # type: ignore[call-arg]
    with pytest.raises(InvalidRequestError, match="need request_body to be a JSON object, got a string"):
        await client.notes.create(CONTACT_ID, request_body="x", admin_id="1")  # type: ignore[arg-type]
    assert recorder.seen == []
    await client.notes.create(CONTACT_ID, request_body={"body": "a"}, admin_id="1")  # merged: each given once
    assert recorder.seen[-1][2] == {"body": "a", "admin_id": "1"}


def test_identity_fields_read_as_present_or_raise_a_typed_error() -> None:
    contact = models.Contact.from_dict({"email": "a@example.com"})  # parsing stays tolerant
    with pytest.raises(MissingFieldError) as info:
        _ = contact.id
    assert (info.value.model, info.value.field) == ("Contact", "id")
    assert isinstance(info.value, intercom_async.InvalidResponseError) and isinstance(info.value, AttributeError)
    assert "Contact.id: Intercom always returns this field" in str(info.value)
    assert getattr(contact, "id", None) is None and not hasattr(contact, "type_")
    assert contact.email == "a@example.com"
    assert contact.to_dict() == {"email": "a@example.com"}  # lossless, nothing invented
    assert repr(contact) == "Contact(email='a@example.com')"
    present = models.Contact.from_dict({"type": "contact", "id": CONTACT_ID})
    assert (present.type_, present.id) == ("contact", CONTACT_ID)
    assert models.Contact._PRESENT == frozenset({"id", "type_"})
    assert models.CreateContactRequest._PRESENT == frozenset()  # request models keep the spec's optionality
