"""``webhooks.parse``: items become the version's models by ``type``, losslessly; everything else stays data."""

from __future__ import annotations

import json
import typing

import pytest

import intercom_async
from intercom_async import InvalidRequestError, webhooks
from tests.support.spec import response_examples

from .conftest import notification_body, spec_item

SPEC_VERSIONS = list(intercom_async.VERSIONS)  # every shipped version, new ones included


def _documented_items(version: str) -> list[tuple[str, dict]]:
    """Every documented response example whose top-level type has a model in ``version``."""
    out = []
    for op, _status, name, value in response_examples(version):
        if isinstance(value, dict) and webhooks.model_for(value.get("type"), version) is not None:
            out.append((f"{op}:{name}", value))
    return out


@pytest.mark.parametrize("version", SPEC_VERSIONS)
def test_every_documented_item_parses_into_its_model_and_round_trips(version):
    items = _documented_items(version)
    types = {item["type"] for _, item in items}
    assert {"conversation", "contact", "ticket", "company", "admin", "visitor"} <= types
    for where, item in items:
        body = notification_body(item, topic="conversation.user.created")
        notification = webhooks.parse(body, version)
        model = webhooks.model_for(item["type"], version)
        assert isinstance(notification.item, model), where
        assert type(notification.item).__module__.startswith(intercom_async.VERSIONS[version].module), where
        assert notification.item.to_dict() == item, where
        assert notification.to_dict() == json.loads(body), where
        assert notification.item_type == item["type"]


def test_envelope_fields_and_typed_attributes_of_a_conversation():
    item = spec_item("2.12", "conversation")
    n = webhooks.parse(notification_body(item, "conversation.admin.replied", "notif_abc"), version="2.12")
    assert (n.type, n.id, n.topic, n.app_id) == (
        "notification_event",
        "notif_abc",
        "conversation.admin.replied",
        "a86dr8yl",
    )
    assert (n.created_at, n.first_sent_at, n.delivery_attempts, n.self_) == (1719843122, 1719843123, 1, None)
    assert n.known_topic and n.data is not None and n.data.type == "notification_event_data"
    conversation = n.item
    assert isinstance(conversation, intercom_async.v2_12.models.Conversation)
    assert conversation.id == item["id"]
    assert conversation.source is not intercom_async.UNSET  # nested objects are models too
    assert conversation.source.to_dict() == item["source"]
    assert n.version == "2.12" and "Conversation" in repr(n)


def test_the_same_body_decodes_into_each_versions_own_classes():
    item = spec_item("2.10", "contact")
    body = notification_body(item, "contact.user.created")
    classes = {version: type(webhooks.parse(body, version).item) for version in ("2.10", "2.12", "Unstable")}
    assert classes["2.10"] is intercom_async.v2_10.models.Contact
    assert classes["2.12"] is intercom_async.v2_12.models.Contact
    assert classes["Unstable"] is intercom_async.unstable.models.Contact
    assert webhooks.parse(body).version == intercom_async.DEFAULT_VERSION


def test_legacy_user_and_lead_items_are_contacts():
    for item_type in ("user", "lead"):
        item = {"type": item_type, "id": "530370b477ad7120001d", "user_id": "25", "custom_attributes": {}}
        n = webhooks.parse(notification_body(item, "user.created"))
        assert isinstance(n.item, intercom_async.VERSIONS[intercom_async.DEFAULT_VERSION].load().models.Contact)
        assert n.item.to_dict() == item
        assert not n.known_topic  # a 1.x topic: parsed all the same


def test_item_models_are_found_by_class_name_in_every_shipped_version():
    """The type -> model table is resolved by class name, so a version added later needs no edit here."""
    for version, info in intercom_async.VERSIONS.items():
        models = info.load().models
        for item_type, class_name in webhooks.ITEM_MODELS.items():
            found = webhooks.model_for(item_type, version)
            expected = getattr(models, class_name, None)
            assert found is expected, (version, item_type)
        assert webhooks.model_for("conversation", version) is models.Conversation
    assert webhooks.model_for("call", "2.12") is None  # 2.12 has no Call model: a call item stays a dict
    assert webhooks.model_for("call", "Unstable") is intercom_async.unstable.models.Call


CALL = {"type": "call", "id": "call_1", "state": "completed", "new_field": {"x": [1, 2]}}
RAW_ITEMS = [
    (
        "contact.user.tag.created",
        {
            "type": "contact_tag",
            "created_at": 1392731331,
            "tag": {"id": "1287", "name": "independent", "type": "tag"},
            "contact": {"type": "contact", "id": "1287ab1287fefe"},
        },
    ),
    (
        "content_stat.series",
        {"type": "content_stat.series", "created_at": "2022-10-11T15:01:07.000Z", "content_stat": {"id": 1}},
    ),
    ("ping", {"type": "ping", "message": "something something interzen"}),
    ("job.completed", {"type": "job", "id": "5", "status": "success"}),
    ("data_connector.execution.completed", {"type": "data_connector.execution", "id": "987", "success": False}),
    ("ticket.closed", {"ticket": {"type": "ticket", "id": "9"}}),  # 2.15+: the ticket wrapped in the item
    ("a.brand.new.topic", {"type": "something_new", "id": 1}),
    ("call.started", CALL),  # no Call model in 2.12
]


@pytest.mark.parametrize(("topic", "item"), RAW_ITEMS, ids=[t for t, _ in RAW_ITEMS])
def test_unknown_and_model_less_items_stay_plain_data(topic, item):
    body = notification_body(item, topic)
    n = webhooks.parse(body, "2.12")
    assert type(n.item) is dict and n.item == item
    assert n.topic == topic and n.to_dict() == json.loads(body)


def test_call_items_become_models_where_the_version_has_one():
    n = webhooks.parse(notification_body(CALL, "call.started"), "Unstable")
    assert isinstance(n.item, intercom_async.unstable.models.Call)
    assert n.item.to_dict() == CALL  # the undeclared field included


def test_off_spec_values_are_kept_as_received():
    item = {"type": "contact", "id": 42, "email": None, "role": "robot", "custom_attributes": "odd", "extra": {"k": 1}}
    n = webhooks.parse(notification_body(item, "contact.user.updated"))
    assert n.item.to_dict() == item
    assert n.item.role == "robot" and n.item["extra"] == {"k": 1}


@pytest.mark.parametrize(
    "data",
    [
        {"type": "notification_event", "topic": "ping"},  # no data
        {"type": "notification_event", "topic": "ping", "data": None},
        {"type": "notification_event", "topic": "ping", "data": {"type": "notification_event_data"}},
        {"type": "notification_event", "topic": "ping", "data": {"item": ["not", "an", "object"]}},
        {"topic": 7, "data": {"item": None}},
        {},
    ],
)
def test_incomplete_envelopes_parse(data):
    n = webhooks.parse(json.dumps(data).encode())
    assert n.to_dict() == data
    assert n.item == (data.get("data") or {}).get("item")


def test_parse_accepts_text_and_decoded_objects():
    item = spec_item("2.12", "ticket")
    body = notification_body(item, "ticket.created")
    for form in (body, body.decode(), json.loads(body)):
        assert webhooks.parse(form).item.to_dict() == item


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff\xfe\x00", b"[1, 2]", b'"notification"', b"null"])
def test_bodies_that_are_not_json_objects_are_a_typed_error(body):
    with pytest.raises(webhooks.WebhookPayloadError) as info:
        webhooks.parse(body)
    assert isinstance(info.value, intercom_async.IntercomError) and isinstance(info.value, ValueError)


def test_unknown_version_is_a_typed_error():
    with pytest.raises(InvalidRequestError, match="unknown Intercom API version '9.99'"):
        webhooks.parse(notification_body({"type": "conversation"}), version="9.99")
    with pytest.raises(InvalidRequestError):
        webhooks.model_for("conversation", "9.99")


def test_topic_literal_lists_the_documented_topics():
    assert "conversation.user.created" in webhooks.TOPICS
    assert "contact.user.created" in webhooks.TOPICS and "ticket.state.updated" in webhooks.TOPICS
    assert "ping" in webhooks.TOPICS
    listed = typing.get_args(webhooks.Topic)
    assert len(listed) == len(webhooks.TOPICS) >= 90  # no topic listed twice


def test_event_and_merged_contact_items():
    event = {
        "type": "event",
        "event_name": "invited-friend",
        "created_at": 1671028894,
        "user_id": "314159",
        "metadata": {"a": 1},
    }
    n = webhooks.parse(notification_body(event, "event.created"), "2.12")
    assert isinstance(n.item, intercom_async.v2_12.models.DataEvent) and n.item.to_dict() == event
    merged = {"type": "contact", "id": "5f2a", "role": "user", "merged_from": {"type": "contact", "id": "6a3b"}}
    n = webhooks.parse(notification_body(merged, "contact.merged"), "2.12")
    assert isinstance(n.item, intercom_async.v2_12.models.Contact)
    assert n.item["merged_from"] == {"type": "contact", "id": "6a3b"} and n.item.to_dict() == merged
