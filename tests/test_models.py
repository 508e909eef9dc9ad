"""Off-spec responses: tolerant by default (nothing raised, nothing lost), precise errors in strict mode."""

from __future__ import annotations

import copy
import json

import pytest

from intercom_async import UNSET, StrictValidationError
from intercom_async.v2_12 import OPERATIONS
from intercom_async.v2_12 import models as m

CONTACT = {
    "type": "contact",
    "id": "6329bd9ffe4e2e91dac76188",
    "workspace_id": "ecahpwf5",
    "role": "user",
    "email": "joe@example.com",
    "created_at": 1663597223,
    "tags": {
        "data": [{"type": "tag", "id": "1", "url": "/tags/1"}],
        "url": "/c/tags",
        "total_count": 1,
        "has_more": False,
    },
    "location": {"type": "location", "country": "Ireland", "region": "Dublin", "city": "Dublin"},
}


def roundtrip(model_cls, data, **kwargs):
    parsed = model_cls.from_dict(copy.deepcopy(data), **kwargs)
    assert parsed.to_dict() == data
    return parsed


def test_well_formed_contact_parses_typed():
    contact = roundtrip(m.Contact, CONTACT)
    assert isinstance(contact.tags, m.ContactTags)
    assert isinstance(contact.location, m.ContactLocation)
    assert contact.role == "user"
    assert contact.external_id is UNSET
    m.Contact.from_dict(CONTACT, strict=True)  # the well-formed payload passes strict mode


@pytest.mark.parametrize(
    ("change", "path", "problem"),
    [
        (lambda d: d.update(role="robot"), None, None),  # role is a free string in 2.12: accepted
        (lambda d: d.update(brand_new_field={"x": [1, 2]}), "$.brand_new_field", "field not in the spec for Contact"),
        (lambda d: d.update(email=None), "$.email", "unexpected null"),
        (lambda d: d.pop("id"), None, None),  # id is optional in the schema
        (lambda d: d.update(created_at="2022-09-19T14:20:23Z"), "$.created_at", "expected int, got string"),
        (lambda d: d.update(location="Dublin"), "$.location", "expected object (ContactLocation), got string"),
        (lambda d: d["tags"]["data"].append("not-an-object"), "$.tags.data[1]", "expected object"),
        (lambda d: d["tags"]["data"][0].update(id=17), "$.tags.data[0].id", "expected str, got integer"),
    ],
)
def test_off_spec_contact_is_kept_in_default_mode_and_named_in_strict_mode(change, path, problem):
    data = copy.deepcopy(CONTACT)
    change(data)
    parsed = roundtrip(m.Contact, data)  # never raises, gives back exactly what was received
    if path is None:
        m.Contact.from_dict(data, strict=True)
        return
    with pytest.raises(StrictValidationError) as info:
        m.Contact.from_dict(data, strict=True)
    assert info.value.path == path
    assert problem in str(info.value)
    assert parsed is not None


def test_unknown_enum_value_is_kept_as_plain_str():
    article = {"id": "1", "type": "article", "state": "archived_forever", "title": "t"}
    parsed = roundtrip(m.ArticleListItem, article)
    assert parsed.state == "archived_forever"
    assert type(parsed.state) is str
    known = m.ArticleListItem.from_dict({**article, "state": "published"})
    assert known.state is m.ArticleListItemState.PUBLISHED
    with pytest.raises(
        StrictValidationError, match=r"\$\.state: unknown ArticleListItemState value 'archived_forever'"
    ):
        m.ArticleListItem.from_dict(article, strict=True)


def test_missing_required_fields_do_not_raise_but_strict_names_them():
    # `error` requires type and errors; a server that omits them still parses
    parsed = roundtrip(m.Error, {"request_id": "abc"})
    assert parsed.type_ is UNSET and parsed.errors is UNSET
    with pytest.raises(StrictValidationError, match=r"\$\.type: required field missing"):
        m.Error.from_dict({"request_id": "abc"}, strict=True)


def test_value_of_another_json_type_is_kept_as_received():
    for bad in ("a string", 12, 3.5, True, ["x"], None):
        data = {**CONTACT, "tags": bad}
        parsed = roundtrip(m.Contact, data)
        assert parsed.tags == bad


def test_list_of_models_with_mixed_items_keeps_every_item():
    data = copy.deepcopy(CONTACT)
    data["tags"]["data"] = [{"type": "tag", "id": "1"}, None, 5, "x", {"id": "2", "new": 1}]
    parsed = roundtrip(m.Contact, data)
    items = parsed.tags.data
    assert isinstance(items[0], m.AddressableList)
    assert items[1:4] == [None, 5, "x"]
    assert items[4].additional_properties == {"new": 1}


def test_operation_parse_uses_the_same_rules_and_strict_flag():
    op = OPERATIONS["ShowContact"]
    body = json.dumps({**CONTACT, "surprise": True}).encode()
    parsed = op.parse(200, body)
    assert isinstance(parsed, m.Contact) and parsed["surprise"] is True
    with pytest.raises(StrictValidationError, match=r"\$\.surprise"):
        op.parse(200, body, strict=True)
    # undocumented status: the decoded JSON
    assert op.parse(418, b'{"teapot": 1}') == {"teapot": 1}


def test_union_picks_the_best_fitting_model():
    op = OPERATIONS["SearchContacts"]
    assert op.response_spec(200) is not None
    query = {"query": {"operator": "AND", "value": [{"field": "role", "operator": "=", "value": "user"}]}}
    request = m.SearchRequest.from_dict(query)
    assert type(request.query).__name__ == "MultipleFilterSearchRequest"
    single = m.SearchRequest.from_dict({"query": {"field": "role", "operator": "=", "value": "user"}})
    assert type(single.query).__name__ == "SingleFilterSearchRequest"
    assert request.to_dict() == query


def test_repr_shows_set_fields_only_and_bad_input_is_named():
    contact = m.Contact.from_dict({"id": "1", "email": "a@example.com", "new_field": 1})
    assert repr(contact) == "Contact(id='1', email='a@example.com', additional_properties={'new_field': 1})"
    with pytest.raises(TypeError, match=r"Contact.from_dict\(\) expects a JSON object \(a dict\), got array: \[1\]"):
        m.Contact.from_dict([1])


def test_strict_mode_accepts_what_the_spec_allows_to_be_null():
    # news_item.reactions is an array of nullable strings
    assert m.NewsItem.from_dict({"reactions": [None, "x"]}, strict=True).reactions == [None, "x"]
    with pytest.raises(StrictValidationError, match=r"\$\.reactions\[1\]: expected str"):
        m.NewsItem.from_dict({"reactions": [None, 5]}, strict=True)
