"""codegen/docs.py's pieces that are not just layout: the site's version order, python-intercom's names, and
annotations written as Markdown with their models linked."""

from __future__ import annotations

import re

from codegen import docs
from codegen.pins import ROOT, default_version, load_pins


def test_site_order_is_the_default_then_newest_first():
    pinned = [pin.name for pin in load_pins()]
    assert pinned == ["2.10", "2.12", "Unstable", "2.14", "2.16", "Preview"]  # the pins' own order
    assert docs.site_order(pinned, default_version()) == ["2.16", "2.14", "2.12", "2.10", "Preview", "Unstable"]
    assert docs.site_order(pinned, "2.12") == ["2.12", "2.16", "2.14", "2.10", "Preview", "Unstable"]


def _info(op_id: str, tag: str, method: str, path: str) -> dict[str, str]:
    return {"operation_id_raw": op_id, "tag_raw": tag, "http_method": method, "raw_path": path}


def test_python_intercom_names_follow_its_naming_table_then_the_operation_id():
    table = {("GET", "/contacts/{}"): (("contacts",), "find")}
    find = _info("ShowContact", "Contacts", "GET", "/contacts/{contact_id}")
    by_external = _info("ShowContactByExternalId", "Contacts", "GET", "/contacts/find_by_external_id/{external_id}")
    calls = _info("listCalls", "Calls", "GET", "/calls")
    assert docs.python_intercom_name("2.16", find, {}, table) == "client.contacts.find"
    assert docs.python_intercom_name("2.16", by_external, {}, table) == "client.contacts.show_contact_by_external_id"
    assert docs.python_intercom_name("2.16", calls, {}, table) == "client.calls.list_calls"
    # the unstable namespace (Unstable, Preview): operationIds throughout, the table does not apply
    assert docs.python_intercom_name("Preview", find, {}, table) == "client.unstable.contacts.show_contact"
    assert docs.python_intercom_name("2.16", calls, {"x-synthesized-operation-id": True}, table) is None


def test_the_generated_tables_cover_every_operation():
    for pin in load_pins():
        page = (ROOT / "docs" / "python-intercom" / f"{pin.name}.md").read_text(encoding="utf-8")
        rows = [line for line in page.splitlines() if line.startswith("| ") and "](../reference/" in line]
        reference = (ROOT / "docs" / "reference" / f"{pin.name}.md").read_text(encoding="utf-8")
        methods = re.findall(r"^### (client\.\S+)$", reference, flags=re.M)
        assert len(rows) == len(methods) > 100
    page = (ROOT / "docs" / "python-intercom" / "2.16.md").read_text(encoding="utf-8")
    assert "| `client.contacts.show_contact_by_external_id` | [`client.contacts.show_by_external_id`]" in page
    assert "| `client.calls.list_calls` | [`client.calls.list`]" in page


def test_annotations_link_their_models():
    models = {"Tag": {}, "TagList": {}}
    assert docs.typed("list[Tag] | None", models, "m.md") == "`list`\\[[`Tag`](m.md#tag)\\] | `None`"
    assert docs.typed("TagDict | Unset", models, "") == "[`TagDict`](#tag) | `Unset`"
    assert docs.models_in("AsyncPager[TagList, Tag]", models) == ["TagList", "Tag"]


def test_keyword_bodies_are_documented_when_the_generator_makes_them():
    """Body info with ``branches`` (union bodies as keyword arguments): the whole body is ``request_body=`` and
    each shape lists its keyword fields; without it (older generator data) the whole body is ``body=``."""
    reply_fields = [
        {"name": "message_type", "key": "message_type", "required": True},
        {"name": "type", "key": "type", "required": True},
        {"name": "admin_id", "key": "admin_id", "required": True},
        {"name": "body", "key": "body", "required": False},
    ]
    info = {
        "name": "reply",
        "resource": "conversations",
        "route": "POST /conversations/{conversation_id}/reply",
        "operation_id_raw": "replyConversation",
        "reference_url": "https://developers.intercom.com/",
        "params": [{"name": "conversation_id", "annotation": "str", "location": "path", "required": True, "doc": "."}],
        "body": {
            "annotation": "AdminReply | AdminReplyDict | ContactReply | ContactReplyDict",
            "required": True,
            "models": ["AdminReply", "ContactReply"],
            "fields_dict": None,
            "fields": [],
            "branches": [
                {"model": "AdminReply", "fields_dict": "AdminReplyFields", "fields": reply_fields},
                {"model": "ContactReply", "fields_dict": "ContactReplyFields", "fields": reply_fields[:2]},
            ],
        },
        "returns": "Conversation",
    }
    models = {
        name: {"kind": "model", "doc": "", "fields": []} for name in ("AdminReply", "ContactReply", "Conversation")
    }
    signature = docs.signature(info)
    assert (
        "    request_body: AdminReply | AdminReplyDict | ContactReply | ContactReplyDict | Unset = UNSET," in signature
    )
    assert "    **fields: Unpack[AdminReplyFields] | Unpack[ContactReplyFields]," in signature
    section = "\n".join(docs._method_section(info, models, "m.md"))
    assert "or `request_body=` the model or its dict" in section
    admin = "- [`AdminReply`](m.md#adminreply) (required `message_type`, `type`, `admin_id`; optional `body`)"
    assert admin in section
    del info["body"]["branches"]
    assert "    body: AdminReply" in docs.signature(info)
    assert "one of 2 shapes, as `body=` the model or its dict" in "\n".join(docs._method_section(info, models, "m.md"))
