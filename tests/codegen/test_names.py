"""SDK names (codegen/names.py): one name per operation, the same in every version that has it.

Checked over the registries of every shipped version: an operation (same method, path with parameter names
ignored, and operationId) has the same ``client.<group>.<method>`` everywhere; no group holds two methods of
one name; Intercom's naming table is used wherever it names the route. The rule is checked on examples, and
generation fails on a clash.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

import intercom_async
from codegen.names import OVERRIDES, NameTable, NamingError, drop_noun, route, words
from tests.support import spec


def _registries():
    return {version: info.load().OPERATIONS for version, info in intercom_async.VERSIONS.items()}


def test_an_operation_has_one_name_in_every_version():
    names: dict[tuple[tuple[str, str], str], set[str]] = defaultdict(set)
    for registry in _registries().values():
        for op in registry.values():
            names[(route(op.method, op.path), op.operation_id)].add(op.qualname)
    assert {key: found for key, found in names.items() if len(found) > 1} == {}


def test_no_group_has_two_methods_of_one_name():
    for version, registry in _registries().items():
        seen: dict[str, str] = {}
        for op in registry.values():
            assert seen.setdefault(op.qualname, op.operation_id) == op.operation_id, (version, op.qualname)


@pytest.mark.parametrize("version", list(spec.VERSIONS))
def test_intercoms_own_names_are_used_where_its_table_has_them(version):
    table = spec.intercom_names()
    registry = _registries()[version]
    named = 0
    for op in registry.values():
        key = route(op.method, op.path)
        if key in table and key not in OVERRIDES:
            assert (op.resource, op.name) == table[key], op
            named += 1
    assert named > 0


@pytest.mark.parametrize(
    ("operation_id", "group", "expected"),
    [
        ("listHelpCenterRedirects", "help_centers", "list_redirects"),
        ("attachTagToArticle", "articles", "attach_tag"),
        ("ShowContactByExternalId", "contacts", "show_by_external_id"),
        ("deleteConversationAttributeOption", "conversations_attributes", "delete_option"),
        ("listContacts", "contacts", "list"),
        ("contacts", "contacts", "contacts"),  # nothing would be left: unchanged
        ("askFin", "fin_agent", "ask_fin"),  # the noun is not in the operationId: unchanged
    ],
)
def test_the_rule_drops_the_groups_noun(operation_id, group, expected):
    assert "_".join(drop_noun(words(operation_id), group)) == expected


def _spec(*ops: tuple[str, str, str, str]) -> dict:
    paths: dict = {}
    for method, path, op_id, tag in ops:
        paths.setdefault(path, {})[method] = {"operationId": op_id, "tags": [tag]}
    return {"paths": paths}


def test_a_short_name_taken_falls_back_to_the_full_operation_id():
    names = NameTable({}).assign(
        _spec(("get", "/widgets", "listWidgets", "Widgets"), ("get", "/widgets/all", "list", "Widgets"))
    )
    assert names["list"].qualname == "widgets.list"
    assert names["listWidgets"].qualname == "widgets.list_widgets"
    assert names["listWidgets"].source == "rule (full operationId)"


def test_a_clash_stops_generation_naming_the_operations():
    table = {("GET", "/a"): (("things",), "list"), ("GET", "/b"): (("things",), "list")}
    with pytest.raises(NamingError, match=r"things\.list is claimed by getA, getB"):
        NameTable(table).assign(_spec(("get", "/a", "getA", "Things"), ("get", "/b", "getB", "Things")))


def test_a_name_python_cannot_use_stops_generation():
    with pytest.raises(NamingError, match="not a usable Python name"):
        NameTable({("GET", "/x"): (("import",), "list")}).assign(_spec(("get", "/x", "getX", "X")))
