"""Turn openapi-python-client's parsed properties into the Python snippets our templates embed.

The engine parses and resolves the spec (references, allOf merges, unions, naming); this module decides how
each resolved property is *written*: its annotation, the expression that decodes it from JSON (tolerant,
see ``intercom_async/_codec.py``) and the descriptor strict mode validates it with. Keeping this in
Python rather than in Jinja macros keeps the templates to layout only.

Everything that reaches generated code from the spec passes through ``py_str`` (a ``repr`` of the raw
value) or is an identifier the engine has already sanitised, so spec text cannot inject code.
"""

from __future__ import annotations

from typing import Any

from openapi_python_client.parser.properties import (
    AnyProperty,
    BooleanProperty,
    ConstProperty,
    EnumProperty,
    FileProperty,
    FloatProperty,
    IntProperty,
    ListProperty,
    ModelProperty,
    NoneProperty,
    UnionProperty,
)
from openapi_python_client.parser.properties.literal_enum_property import LiteralEnumProperty
from openapi_python_client.schema.untrusted_string import UntrustedString

MODELS = "_models"  # the alias generated modules give their version's lazy ``models`` package


def raw(value: Any) -> Any:
    """The plain value behind the engine's ``UntrustedString`` wrapper."""
    return value.get_untrusted_value() if isinstance(value, UntrustedString) else value


def py_str(value: Any) -> str:
    """A Python string literal for a raw spec string (safe: ``repr`` escapes everything)."""
    return repr(str(raw(value)))


def variants(prop: Any) -> tuple[list[Any], bool]:
    """The non-null alternatives of ``prop`` (nested unions flattened) and whether null is allowed."""
    if isinstance(prop, UnionProperty):
        out: list[Any] = []
        nullable = False
        for inner in prop.inner_properties:
            sub, sub_null = variants(inner)
            out.extend(sub)
            nullable = nullable or sub_null
        return out, nullable
    if isinstance(prop, NoneProperty):
        return [], True
    return [prop], False


def class_name(prop: Any) -> str:
    return str(prop.class_info.name)


def annotation(prop: Any) -> str:
    """The declared Python type (without ``Unset``); enums admit ``str`` since unknown values are kept."""
    alts, nullable = variants(prop)
    parts: list[str] = []
    for alt in alts:
        for part in _annotation_one(alt):
            if part not in parts:
                parts.append(part)
    if not parts:
        parts = ["Any"] if not nullable else ["None"]
    elif nullable and "Any" not in parts:
        parts.append("None")
    if "Any" in parts:
        return "Any"
    return " | ".join(parts)


def _annotation_one(prop: Any) -> list[str]:
    if isinstance(prop, ModelProperty):
        return [class_name(prop)]
    if isinstance(prop, EnumProperty):
        return [class_name(prop), "int" if prop.value_type is int else "str"]
    if isinstance(prop, ListProperty):
        return [f"list[{annotation(prop.inner_property)}]"]
    if isinstance(prop, BooleanProperty):
        return ["bool"]
    if isinstance(prop, IntProperty):
        return ["int"]
    if isinstance(prop, FloatProperty):
        return ["float"]
    if isinstance(prop, FileProperty):
        return ["bytes"]
    if isinstance(prop, AnyProperty):
        return ["Any"]
    if isinstance(prop, (ConstProperty, LiteralEnumProperty)):
        return ["str"]
    return ["str"]  # string, date, datetime, uuid: kept as received text


def referenced_classes(prop: Any, seen: set[str] | None = None) -> dict[str, str]:
    """``{class name: module name}`` of every model/enum named in ``annotation(prop)``."""
    out: dict[str, str] = {}
    alts, _ = variants(prop)
    for alt in alts:
        if isinstance(alt, (ModelProperty, EnumProperty)):
            out[class_name(alt)] = str(alt.class_info.module_name)
        elif isinstance(alt, ListProperty):
            out.update(referenced_classes(alt.inner_property))
    return out


def is_plain(prop: Any) -> bool:
    """True when the JSON value is used as is (no model, enum or list of them inside)."""
    alts, _ = variants(prop)
    return all(
        not isinstance(a, (ModelProperty, EnumProperty))
        and (not isinstance(a, ListProperty) or is_plain(a.inner_property))
        for a in alts
    )


def decode(prop: Any, src: str) -> str:
    """A Python expression turning the JSON value ``src`` into the property's Python value, tolerantly."""
    if is_plain(prop):
        return src
    alts, _ = variants(prop)
    if len(alts) == 1:
        alt = alts[0]
        if isinstance(alt, ModelProperty):
            return f"_model({MODELS}.{class_name(alt)}, {src})"
        if isinstance(alt, EnumProperty):
            return f"_enum({MODELS}.{class_name(alt)}, {src})"
        if isinstance(alt, ListProperty):
            inner_alts, _ = variants(alt.inner_property)
            if len(inner_alts) == 1 and isinstance(inner_alts[0], ModelProperty):
                return f"_model_list({MODELS}.{class_name(inner_alts[0])}, {src})"
            if len(inner_alts) == 1 and isinstance(inner_alts[0], EnumProperty):
                return f"_enum_list({MODELS}.{class_name(inner_alts[0])}, {src})"
            return f"_list({src}, lambda _v: {decode(alt.inner_property, '_v')})"
    models = [a for a in alts if isinstance(a, ModelProperty)]
    item_models = [
        i
        for a in alts
        if isinstance(a, ListProperty)
        for i in variants(a.inner_property)[0]
        if isinstance(i, ModelProperty)
    ]
    enums = [a for a in alts if isinstance(a, EnumProperty)]
    model_tuple = "(" + "".join(f"{MODELS}.{class_name(m)}, " for m in models) + ")"
    item_tuple = "(" + "".join(f"{MODELS}.{class_name(m)}, " for m in item_models) + ")"
    enum_tuple = "(" + "".join(f"{MODELS}.{class_name(e)}, " for e in enums) + ")"
    return f"_union({src}, {model_tuple}, {item_tuple}, {enum_tuple})"


def descriptor(prop: Any) -> str:
    """A literal describing the type for strict validation (see ``intercom_async._codec.validate``)."""
    alts, nullable = variants(prop)
    descs = [_descriptor_one(a) for a in alts]
    if not descs:
        return "'any'"
    if len(descs) == 1:
        return descs[0]
    return "('union', (" + "".join(f"{d}, " for d in descs) + "))"


def _descriptor_one(prop: Any) -> str:
    if isinstance(prop, ModelProperty):
        return f"('model', {py_str(class_name(prop))})"
    if isinstance(prop, EnumProperty):
        return f"('enum', {py_str(class_name(prop))})"
    if isinstance(prop, ListProperty):
        kind = "list?" if nullable(prop.inner_property) else "list"  # list? : items may be null
        return f"('{kind}', {descriptor(prop.inner_property)})"
    if isinstance(prop, BooleanProperty):
        return "'bool'"
    if isinstance(prop, IntProperty):
        return "'int'"
    if isinstance(prop, FloatProperty):
        return "'float'"
    if isinstance(prop, (AnyProperty, FileProperty)):
        return "'any'"
    return "'str'"


def nullable(prop: Any) -> bool:
    return variants(prop)[1]


def field_rows(model: ModelProperty) -> list[dict[str, Any]]:
    """One row per property of a model, in declaration order, with everything the model template needs."""
    rows = []
    for prop in list(model.required_properties) + list(model.optional_properties):
        ann = annotation(prop)
        rows.append(
            {
                "json": py_str(prop.name),
                "name": str(prop.python_name),
                "required": bool(prop.required),
                "nullable": nullable(prop),
                "annotation": ann,
                "decode": decode(prop, f"_d.pop({py_str(prop.name)}, UNSET)"),
                "scalar": set(ann.split(" | ")) <= {"str", "int", "float", "bool", "None"},  # to_dict copies as is
                "descriptor": descriptor(prop),
                "doc": str(raw(prop.description) or "").strip(),
            }
        )
    return rows


def model_imports(model: ModelProperty) -> dict[str, str]:
    out: dict[str, str] = {}
    for prop in list(model.required_properties) + list(model.optional_properties):
        out.update(referenced_classes(prop))
    extra = model.additional_properties
    if extra is not None and not isinstance(extra, bool):  # typed additionalProperties
        out.update(referenced_classes(extra))
    out.pop(class_name(model), None)
    return dict(sorted(out.items()))


# ------------------------------------------------------------------ endpoints


def _param_rows(endpoint: Any) -> list[dict[str, Any]]:
    rows = []
    for location, props in (
        ("path", endpoint.path_parameters),
        ("query", endpoint.query_parameters),
        ("header", endpoint.header_parameters),
    ):
        for prop in props:
            ann = annotation(prop)
            rows.append(
                {
                    "name": str(prop.python_name),
                    "json": py_str(prop.name),
                    "json_name": str(raw(prop.name)),
                    "location": location,
                    "required": bool(prop.required) or location == "path",
                    "annotation": ann,
                    "doc": str(raw(prop.description) or "").strip(),
                    "refs": referenced_classes(prop),
                }
            )
    return rows


def _response_kind(source: Any) -> str:
    attribute = source["attribute"]
    return {"response.json()": "json", "response.text": "text", "response.content": "bytes"}.get(attribute, "none")


def endpoint_info(endpoint: Any, operation_id: str, tag: str, resource: str) -> dict[str, Any]:
    """Everything the resource and registry templates need about one operation."""
    params = _param_rows(endpoint)
    body = None
    if endpoint.bodies:
        prop = endpoint.bodies[0].prop
        body = {
            "annotation": annotation(prop),
            "required": bool(prop.required),
            "content_type": py_str(endpoint.bodies[0].content_type),
            "refs": referenced_classes(prop),
        }
    responses = []
    success: list[str] = []
    refs: dict[str, str] = {}
    for response in endpoint.responses:
        code_range = response.status_code.range
        pattern = (
            "default"
            if code_range is None
            else (str(code_range[0]) if code_range[0] == code_range[1] else f"{code_range[0] // 100}XX")
        )
        kind = _response_kind(response.source)
        prop = response.prop
        schemaless_json = kind == "none" and any(
            "json" in str(raw(ct)) for ct in (getattr(response.data, "content", None) or {})
        )
        if schemaless_json:
            # JSON documented by examples only (e.g. 2.10 createPhoneSwitch 400): decoded, kept as is
            kind, ann, dec, desc = "json", "Any", "_v", "'any'"
        elif kind == "json":
            ann, dec, desc = annotation(prop), decode(prop, "_v"), descriptor(prop)
        else:
            ann, dec, desc = {"text": "str", "bytes": "bytes"}.get(kind, "None"), "_v", "'any'"
        responses.append(
            {"pattern": py_str(pattern), "kind": py_str(kind), "decode": dec, "descriptor": desc, "annotation": ann}
        )
        if code_range is not None and 200 <= code_range[0] <= 299:
            for part in ann.split(" | "):
                if part not in success:
                    success.append(part)
            refs.update(referenced_classes(prop))
    for row in params:
        refs.update(row["refs"])
    if body:
        refs.update(body["refs"])
    if not success:
        # No 2xx documented (Unstable GET /fin_voice/phone_number/{phone_number}): the decoded JSON; a
        # documented redirect (GET /calls/{id}/recording, 302) returns its Location, the target URL.
        redirect = any(r.status_code.range and 300 <= r.status_code.range[0] < 400 for r in endpoint.responses)
        success = ["str | None" if redirect else "Any"]
    returns = "Any" if "Any" in success else " | ".join(success)
    return {
        "name": str(endpoint.name),
        "operation_id": py_str(operation_id),
        "method": py_str(endpoint.method.upper()),
        "title": f"``{endpoint.method.upper()} {raw(endpoint.path)}`` (operationId {operation_id})",  # docstring text
        "path": py_str(endpoint.path),
        "tag": py_str(tag),
        "resource": resource,
        "summary": raw(endpoint.summary) or "",
        "description": raw(endpoint.description) or "",
        "params": params,
        "path_params": [p for p in params if p["location"] == "path"],
        "query_params": [p for p in params if p["location"] == "query"],
        "header_params": [p for p in params if p["location"] == "header"],
        "body": body,
        "responses": responses,
        "returns": returns,
        "refs": dict(sorted(refs.items())),
    }
