"""Every component schema of every version is generated: object schemas as a model class of the same name
(with every declared property), enums as an enum class; unions and primitives are type aliases the
generator inlines where they are used, so they need no class."""

from __future__ import annotations

import importlib

import pytest
from openapi_python_client.strings import pascal_case

from tests.support import spec


def _own_properties(version: str, schema: dict) -> set[str]:
    schema = spec.resolve(spec.load(version), schema)
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _own_properties(version, part)
    return names


@pytest.mark.parametrize("version", list(spec.VERSIONS))
def test_every_component_schema_is_generated(version):
    models = importlib.import_module(f"intercom_async.{spec.VERSIONS[version]}.models")
    schemas = spec.load(version)["components"]["schemas"]
    checked = aliases = 0
    for name, schema in schemas.items():
        cls_name = pascal_case(name)
        all_of = [schema] if "$ref" in schema else schema.get("allOf", [])
        if len(all_of) == 1 and "$ref" in all_of[0] and "properties" not in schema:
            # a pure alias (Unstable internal_article = internal_article_list_item): uses that class
            assert pascal_case(all_of[0]["$ref"].rsplit("/", 1)[1]) in models.__all__
            aliases += 1
            continue
        free_form = schema.get("type") == "object" and not any(k in schema for k in ("oneOf", "anyOf"))
        is_object = "properties" in schema or "allOf" in schema or free_form
        if "enum" in schema or is_object:
            assert cls_name in models.__all__, f"{version}: component {name!r} has no class {cls_name}"
            cls = getattr(models, cls_name)
            if is_object:
                declared = {f[0] for f in cls._FIELDS}
                missing = _own_properties(version, schema) - declared
                assert not missing, f"{version}: {cls_name} lacks {sorted(missing)}"
            checked += 1
        else:
            assert any(k in schema for k in ("oneOf", "anyOf", "type")), (name, schema)
            aliases += 1
    assert checked + aliases == len(schemas)
    assert aliases <= 15  # unions, primitives and pure aliases (datetime, customer_request, internal_article, ...)
