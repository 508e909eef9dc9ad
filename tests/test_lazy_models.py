"""Lazy models (``intercom_async._codec``): fields decode on first read, and whatever is read, set or changed in
place, ``to_dict()`` is the JSON received with those changes, and never shares its dicts with the model."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest

from intercom_async import UNSET, StrictValidationError
from intercom_async._codec import Model
from intercom_async.v2_12 import OPERATIONS
from intercom_async.v2_12 import models as m

CONTACT = {
    "type": "contact",
    "id": "1",
    "email": "joe@example.com",
    "role": "user",
    "tags": {"data": [{"type": "tag", "id": "7", "url": "/tags/7"}], "url": "/c/tags", "has_more": False},
    "location": {"type": "location", "country": "Ireland", "city": "Dublin"},
    "custom_attributes": {"plan": {"tier": "gold"}, "seats": 3},
    "surprise": [1, {"two": 2}],
}


def parsed() -> m.Contact:
    return m.Contact.from_dict(copy.deepcopy(CONTACT))


def test_parsing_decodes_nothing_until_a_field_is_read():
    contact = parsed()
    assert isinstance(contact, Model) and attrs.has(m.Contact)
    assert set(vars(contact)) == {"_raw"}  # only the JSON is kept
    tags = contact.tags
    assert isinstance(tags, m.ContactTags) and contact.tags is tags  # decoded once, then kept
    assert isinstance(tags.data[0], m.AddressableList) and tags.data is tags.data
    assert contact.id == "1" and contact.external_id is UNSET and contact["surprise"] == [1, {"two": 2}]


def test_to_dict_is_the_json_received_and_a_copy():
    contact = parsed()
    out = contact.to_dict()
    assert out == CONTACT
    out["location"]["city"] = "Cork"
    out["custom_attributes"]["plan"]["tier"] = "free"
    assert contact.to_dict() == CONTACT  # the model's JSON is not shared with what to_dict() returned


def test_changes_made_after_reading_show_in_to_dict():
    contact = parsed()
    contact.email = "new@example.com"  # assigned
    contact.location.city = "Cork"  # a nested model changed
    contact.tags.data.append(m.AddressableList(type_="tag", id="8"))  # a decoded list changed in place
    contact.custom_attributes["plan"]["tier"] = "free"  # a free-form value changed in place
    contact["surprise"][1]["two"] = 22
    contact.role = UNSET  # removed
    contact["added"] = True
    expected = copy.deepcopy(CONTACT)
    expected["email"] = "new@example.com"
    expected["location"]["city"] = "Cork"
    expected["tags"]["data"].append({"type": "tag", "id": "8"})
    expected["custom_attributes"]["plan"]["tier"] = "free"
    expected["surprise"][1]["two"] = 22
    del expected["role"]
    expected["added"] = True
    assert contact.to_dict() == expected


def test_from_dict_neither_changes_its_input_nor_follows_later_changes_of_its_top_level():
    data = copy.deepcopy(CONTACT)
    contact = m.Contact.from_dict(data)
    contact.location.city = "Cork"
    contact.tags.data.append(m.AddressableList(type_="tag", id="8"))
    assert data == CONTACT  # reading and changing the model never writes into the JSON it came from
    data["email"] = "changed@example.com"
    assert contact.email == "joe@example.com"  # the top-level dict is copied


def test_models_built_by_their_constructor_and_parsed_models_behave_alike():
    built = m.ContactLocation(type_="location", country="Ireland", city="Dublin")
    parsed_location = m.ContactLocation.from_dict({"type": "location", "country": "Ireland", "city": "Dublin"})
    assert built == parsed_location
    assert built.to_dict() == parsed_location.to_dict() == {"type": "location", "country": "Ireland", "city": "Dublin"}
    assert repr(parsed_location) == "ContactLocation(type_='location', country='Ireland', city='Dublin')"
    assert attrs.evolve(parsed_location, city="Cork").to_dict()["city"] == "Cork"
    assert attrs.asdict(parsed_location)["city"] == "Dublin"


def test_copies_and_pickles_keep_the_json_and_the_changes():
    contact = parsed()
    contact.location.city = "Cork"
    expected = contact.to_dict()
    for clone in (copy.deepcopy(contact), pickle.loads(pickle.dumps(contact))):
        assert clone.to_dict() == expected and clone == contact
    shallow = copy.copy(contact)
    assert shallow.to_dict() == expected


def test_operation_parse_returns_a_lazy_model_that_strict_mode_validated_eagerly():
    body = b'{"type": "contact", "id": "1", "location": {"type": "location", "city": 5}}'
    contact = OPERATIONS["ShowContact"].parse(200, body)
    assert set(vars(contact)) == {"_raw"} and contact.location.city == 5  # tolerant: kept as received
    with pytest.raises(StrictValidationError, match=r"\$\.location\.city: expected str, got integer 5"):
        OPERATIONS["ShowContact"].parse(200, body, strict=True)
