"""Turn openapi-python-client's parsed properties into the Python snippets our templates embed.

The engine parses and resolves the spec (references, allOf merges, unions, naming); this module decides how
each resolved property is *written*: its annotation and its type descriptor, from which the runtime builds the
tolerant decoder of a field, a response body or a page item, and which strict mode validates against (see
``intercom_async/_codec.py``). Keeping this in
Python rather than in Jinja macros keeps the templates to layout only.

Everything that reaches generated code from the spec passes through ``py_str`` (a ``repr`` of the raw
value) or is an identifier the engine has already sanitised, so spec text cannot inject code.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Mapping
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

from .normalize import parameters, resolve

DICT_REF = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)Dict\b")  # ``<Model>Dict`` names inside an annotation


def raw(value: Any) -> Any:
    """The plain value behind the engine's ``UntrustedString`` wrapper."""
    return value.get_untrusted_value() if isinstance(value, UntrustedString) else value


def py_str(value: Any) -> str:
    """A Python string literal for a raw spec string (safe: ``repr`` escapes everything)."""
    return repr(str(raw(value)))


_ADMONITION = re.compile(
    r'\{%\s*admonition\s+type="(?P<type>[a-z]+)"(?:\s+name="(?P<name>[^"]*)")?\s*%\}(?P<body>.*?)\{%\s*/admonition\s*%\}',
    re.S,
)
_WARNING_TYPES = {"warning", "danger", "caution", "attention"}


def prose(text: Any) -> str:
    """Spec prose as written (line breaks kept, no re-wrapping), with Intercom's Markdoc admonitions turned into
    plain ``Note:`` / ``Warning:`` paragraphs and trailing whitespace trimmed."""

    def admonition(match: re.Match[str]) -> str:
        label = "Warning" if match["type"] in _WARNING_TYPES else "Note"
        name = (match["name"] or "").strip()
        body = match["body"].strip("\n")
        head = f"{label}: {name}" if name else f"{label}:"
        return f"\n{head}\n{body.strip()}\n" if name else f"\n{head} {body.strip()}\n"

    text = _ADMONITION.sub(admonition, str(raw(text) or ""))
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:  # collapse runs of blank lines
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def doc(text: Any, indent: int = 0) -> str:
    """``prose(text)`` made safe inside a triple-quoted docstring and indented for continuation lines."""
    value = prose(text)
    value = "".join(c for c in value if unicodedata.category(c) != "Cc" or c in "\n\t")
    value = value.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if value.endswith('"'):
        value += " "
    pad = " " * indent
    return "\n".join((pad + line) if (i and line) else line for i, line in enumerate(value.split("\n")))


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
    for prop in list(model.required_properties or ()) + list(model.optional_properties or ()):
        ann = annotation(prop)
        rows.append(
            {
                "key": str(raw(prop.name)),
                "json": py_str(prop.name),
                "name": str(prop.python_name),
                "required": bool(prop.required),
                "nullable": nullable(prop),
                "annotation": ann,
                "descriptor": descriptor(prop),  # also how the field decodes (intercom_async._codec.decoder)
                "doc": str(raw(prop.description) or "").strip(),
            }
        )
    return rows


IDENTITY_FIELDS = ("id", "type")


def identity_fields(rows: list[dict[str, Any]]) -> list[str]:
    """The attributes typed as present on a response model although the spec marks them optional: ``id`` and
    ``type`` of an Intercom object (a model declaring both), which Intercom always returns. The spec marks almost
    no response field required, so ``Conversation.id`` would otherwise be ``str | Unset`` and could not be passed
    back to ``conversations.delete`` under a type checker. Reading one the JSON lacks raises ``MissingFieldError``
    (``intercom_async._codec``); request models keep the spec's optionality (the caller builds them)."""
    by_json = {row["key"]: row for row in rows if row["key"] in IDENTITY_FIELDS}
    if len(by_json) != len(IDENTITY_FIELDS):
        return []
    return [row["name"] for row in by_json.values() if not row["required"] and not row["nullable"]]


def model_imports(model: ModelProperty) -> dict[str, str]:
    out: dict[str, str] = {}
    for prop in list(model.required_properties or ()) + list(model.optional_properties or ()):
        out.update(referenced_classes(prop))
    extra = model.additional_properties
    if extra is not None and not isinstance(extra, bool):  # typed additionalProperties
        out.update(referenced_classes(extra))
    out.pop(class_name(model), None)
    return dict(sorted(out.items()))


# ------------------------------------------------------------------ endpoints


# The method's own arguments: a parameter or body field of these names cannot be an argument. The whole body is
# ``request_body=`` (like ``request_options=``), so a body field named ``body`` is a keyword argument like any other.
RESERVED_ARGUMENTS = frozenset({"self", "request_body", "request_options", "fields"})


def python_name(key: str) -> str | None:
    """The keyword argument for a body field: the JSON name, with ``_`` appended to a Python keyword (``from_``:
    the one spelling rule, as the engine names model attributes); ``None`` when it is not an identifier at all."""
    if keyword.iskeyword(key):
        return key + "_"
    return key if key.isidentifier() else None


def _param_rows(endpoint: Any, spec_params: dict[tuple[str, str], dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for location, props in (
        ("path", endpoint.path_parameters),
        ("query", endpoint.query_parameters),
        ("header", endpoint.header_parameters),
    ):
        for prop in props:
            json_name = str(raw(prop.name))
            spec = spec_params.get((json_name, location), {})
            described = spec.get("description") or (spec.get("schema") or {}).get("description") or prop.description
            name = str(prop.python_name)
            if name in RESERVED_ARGUMENTS:
                raise ValueError(f"parameter {json_name!r} would be named {name!r}, which the method needs itself")
            rows.append(
                {
                    "name": name,
                    "json": py_str(prop.name),
                    "json_name": json_name,
                    "location": location,
                    "required": bool(prop.required) or location == "path",
                    "annotation": annotation(prop),
                    "doc": prose(described) or f"The ``{json_name}`` {location} parameter.",
                    "refs": referenced_classes(prop),
                }
            )
    return rows


def dict_annotation(prop: Any, dict_models: Mapping[str, bool]) -> str:
    """Like ``annotation`` for a field of a request TypedDict: a nested model may also be its ``<Model>Dict``,
    or any ``dict[str, Any]`` when it declares no field (free-form objects such as ``custom_attributes``, whose
    keys are the workspace's own; an empty TypedDict would refuse them all)."""
    alts, nullable = variants(prop)
    parts: list[str] = []
    for alt in alts:
        if isinstance(alt, ModelProperty):
            name = class_name(alt)
            found = [name]
            if name in dict_models:
                found.append("dict[str, Any]" if dict_models[name] else f"{name}Dict")
        elif isinstance(alt, ListProperty):
            found = [f"list[{dict_annotation(alt.inner_property, dict_models)}]"]
        else:
            found = _annotation_one(alt)
        parts.extend(p for p in found if p not in parts)
    if not parts:
        return "Any"
    if "Any" in parts:
        return "Any"
    if nullable:
        parts.append("None")
    return " | ".join(parts)


def _full(prop: Any, models: dict[str, ModelProperty]) -> Any:
    """A model property with its properties (a reference may come without them)."""
    return models.get(class_name(prop), prop) if isinstance(prop, ModelProperty) else prop


def request_closure(props: list[Any], models: dict[str, ModelProperty]) -> dict[str, bool]:
    """Every model reachable from the given request body properties (nested fields, lists, unions), by name,
    with whether it is free-form (declares no field, so its dict form is any ``dict[str, Any]``)."""
    seen: dict[str, bool] = {}
    stack = list(props)
    while stack:
        alts, _ = variants(stack.pop())
        for alt in alts:
            if isinstance(alt, ListProperty):
                stack.append(alt.inner_property)
            elif isinstance(alt, ModelProperty) and class_name(alt) not in seen:
                full = _full(alt, models)
                fields = list(full.required_properties or ()) + list(full.optional_properties or ())
                seen[class_name(alt)] = not fields
                stack.extend(fields)
                extra = full.additional_properties
                if extra is not None and not isinstance(extra, bool):
                    stack.append(extra)
    return seen


def fields_models(props: list[Any], models: dict[str, ModelProperty]) -> tuple[set[str], set[str]]:
    """The request body models that need a ``<Model>Fields`` TypedDict for their keyword arguments: the branches
    of union bodies, and the single bodies with a field named like a Python keyword."""
    branches: set[str] = set()
    keywords: set[str] = set()
    for prop in props:
        alts, _ = variants(prop)
        body_models = [a for a in alts if isinstance(a, ModelProperty)]
        if len(alts) > 1 and len(body_models) == len(alts):
            branches.update(class_name(a) for a in body_models)
        elif len(alts) == 1 and len(body_models) == 1:
            full = _full(body_models[0], models)
            if any(keyword.iskeyword(str(raw(p.name))) for p in _props(full)):
                keywords.add(class_name(full))
    return branches, keywords


def dict_rows(model: ModelProperty, dict_models: Mapping[str, bool]) -> list[dict[str, Any]]:
    """Rows of ``<Model>Dict``, the TypedDict form of a request model (every key optional)."""
    rows = []
    for prop in list(model.required_properties or ()) + list(model.optional_properties or ()):
        rows.append(
            {
                "key": str(raw(prop.name)),
                "json": py_str(prop.name),
                "annotation": dict_annotation(prop, dict_models),
                "required": bool(prop.required),
            }
        )
    return rows


def _response_kind(source: Any) -> str:
    attribute = source["attribute"]
    return {"response.json()": "json", "response.text": "text", "response.content": "bytes"}.get(attribute, "none")


def _identifier_keys(rows: list[dict[str, Any]]) -> bool:
    return all(r["key"].isidentifier() and not keyword.iskeyword(r["key"]) for r in rows)


def _keyword_rows(rows: list[dict[str, Any]], taken: set[str]) -> list[dict[str, Any]] | None:
    """``rows`` with the keyword argument of each field (``name``), or ``None`` when one has none (not an
    identifier) or would clash with a parameter or an argument of the method itself."""
    out = []
    for row in rows:
        name = python_name(row["key"])
        if name is None or name in taken:
            return None
        out.append({**row, "name": name})
    return out


_LITERAL_PATTERN = re.compile(r"^\^((?:[^.^$*+?()\[\]{}|\\]|\\.)*)\$$")


def _plain(node: Any) -> Any:
    """An engine schema object (pydantic, untrusted strings, refs) as plain JSON data."""
    if hasattr(node, "model_dump"):
        node = node.model_dump(by_alias=True, exclude_none=True)
    if isinstance(node, dict):
        return {str(_plain(k)): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if hasattr(node, "get_untrusted_value"):
        return node.get_untrusted_value()
    if hasattr(node, "value") and not isinstance(node, (str, int, float, bool)):
        return node.value
    return node


def _fixed_values(node: dict[str, Any]) -> tuple[str, ...] | None:
    """The values a string schema allows when it lists them: ``enum``, or a ``pattern`` matching one literal
    (``^admin$``: how ``codegen/normalize.py``'s ``single_value_enums`` keeps a constant tag)."""
    values: tuple[str, ...] | None = None
    enum = node.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(v, str) for v in enum):
        values = tuple(enum)
    match = _LITERAL_PATTERN.match(str(node.get("pattern", ""))) if "pattern" in node else None
    if match:
        literal = re.sub(r"\\(.)", r"\1", match[1])
        values = (literal,) if values is None or literal in values else ()
    return values


def literals(model: ModelProperty, spec: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """``{json name: allowed values}`` of the fields of a model whose value the spec fixes (a constant tag such as
    a reply's ``type``, or an enum such as its ``message_type``), ``allOf`` parts merged (a value allowed by every
    part that constrains the field): what tells the branches of a union body apart."""
    out: dict[str, tuple[str, ...]] = {}

    def visit(node: Any, depth: int) -> None:
        node = resolve(spec, node)
        if not isinstance(node, dict) or depth > 20:
            return
        for part in node.get("allOf") or ():
            visit(part, depth + 1)
        for key, prop in (node.get("properties") or {}).items():
            values = _fixed_values(resolve(spec, prop)) if isinstance(resolve(spec, prop), dict) else None
            if values is None:
                continue
            if key in out:
                values = tuple(v for v in out[key] if v in values)
            out[key] = values

    visit(_plain(model.data), 0)
    return {k: v for k, v in out.items() if v}


def fields_rows(
    model: ModelProperty,
    dict_models: Mapping[str, bool],
    fixed: Mapping[str, tuple[str, ...]],
    *,
    branch: bool,
) -> list[dict[str, Any]]:
    """Rows of ``<Model>Fields``, the keyword arguments of a body whose fields cannot use ``<Model>Dict`` as is:
    keys spelt as arguments (``from_``), and for a branch of a union body its required fields ``Required`` and
    its fixed fields ``Literal`` (so a type checker picks the branch from them and rejects a mix of two)."""
    rows = []
    for row in dict_rows(model, dict_models):
        ann = row["annotation"]
        values = fixed.get(row["key"]) if branch else None
        if values:
            literal = "Literal[" + ", ".join(repr(v) for v in values) + "]"
            parts = ann.split(" | ")
            enums = [p for p in parts if p not in ("str", "None") and not p.startswith(("dict[", "list["))]
            ann = " | ".join([literal, *(enums if len(values) > 1 else ()), *(["None"] if "None" in parts else ())])
        if branch and row["required"]:
            ann = f"Required[{ann}]"
        rows.append({"key": python_name(row["key"]) or row["key"], "annotation": ann})
    return rows


def endpoint_info(
    endpoint: Any,
    *,
    operation_id: str,
    tag: str,
    group: tuple[str, ...],
    method_name: str,
    spec_item: dict[str, Any],
    spec_op: dict[str, Any],
    models: dict[str, ModelProperty],
    dict_models: Mapping[str, bool],
    reference_url: str,
    fixed_values: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
) -> dict[str, Any]:
    """Everything the resource, registry and reference templates need about one operation (``fixed_values``: the
    ``literals`` of each union branch model, shown beside its fields)."""
    params = _param_rows(endpoint, parameters(spec_item, spec_op))
    body: dict[str, Any] | None = None
    path_names: set[str] = set()
    if endpoint.bodies:
        prop = endpoint.bodies[0].prop
        alts, _ = variants(prop)
        body_models = [class_name(a) for a in alts if isinstance(a, ModelProperty)]
        fields_dict = None
        fields: list[dict[str, Any]] = []
        aliases: dict[str, str] = {}
        branches: list[dict[str, Any]] = []
        # path parameters become positional-only where a body field has the same name (``companies.attach_contact
        # (id, /, *, id=...)``: the contact's id in the path, the company's in the body), so the field is a keyword
        taken = {p["name"] for p in params if p["location"] != "path"} | RESERVED_ARGUMENTS
        path_names = {p["name"] for p in params if p["location"] == "path"}
        if len(alts) == 1 and len(body_models) == 1:
            full = _full(alts[0], models)
            rows = [
                {**r, "doc": prose(d.description)}
                for r, d in zip(dict_rows(full, dict_models), _props(full), strict=True)
            ]
            named = _keyword_rows(rows, taken)
            fields = named or rows
            if rows and named:
                aliases = {r["name"]: r["key"] for r in named if r["name"] != r["key"]}
                fields_dict = f"{body_models[0]}Fields" if aliases else f"{body_models[0]}Dict"
        elif len(alts) > 1 and len(body_models) == len(alts):
            for alt in alts:  # a union of objects: one overload per branch, when every branch can take keywords
                full = _full(alt, models)
                rows = [
                    {**r, "doc": prose(d.description)}
                    for r, d in zip(dict_rows(full, dict_models), _props(full), strict=True)
                ]
                named = _keyword_rows(rows, taken)
                if not rows or named is None:
                    branches = []
                    break
                aliases.update({r["name"]: r["key"] for r in named if r["name"] != r["key"]})
                fixed = (fixed_values or {}).get(class_name(alt), {})
                named = [{**r, "values": fixed.get(r["key"], ())} for r in named]
                branches.append({"model": class_name(alt), "fields_dict": f"{class_name(alt)}Fields", "fields": named})
        dict_refs = {
            f"{m}Dict": str(models[m].class_info.module_name)
            for m in body_models
            if m in dict_models and not dict_models[m]
        }
        if fields_dict and fields_dict.endswith("Fields"):
            dict_refs[fields_dict] = str(models[body_models[0]].class_info.module_name)
        for branch in branches:
            dict_refs[branch["fields_dict"]] = str(models[branch["model"]].class_info.module_name)
        body = {
            "annotation": dict_annotation(prop, dict_models),
            "required": bool(prop.required),
            "content_type": py_str(endpoint.bodies[0].content_type),
            "models": body_models if len(body_models) == len(alts) else [],
            "models_repr": repr(tuple(body_models)) if len(body_models) == len(alts) else "None",
            "fields_dict": fields_dict,
            "fields": fields,
            "branches": branches,
            "aliases": aliases,
            "aliases_repr": repr(dict(sorted(aliases.items()))) if aliases else "None",
            "refs": {**referenced_classes(prop), **dict_refs},
        }
    positional_only = body is not None and any(
        f.get("name") in path_names for f in [*body["fields"], *(f for b in body["branches"] for f in b["fields"])]
    )
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
            kind, ann, desc = "json", "Any", "'any'"
        elif kind == "json":
            ann, desc = annotation(prop), descriptor(prop)
        else:
            ann, desc = {"text": "str", "bytes": "bytes"}.get(kind, "None"), "'any'"
        responses.append({"pattern": py_str(pattern), "kind": py_str(kind), "descriptor": desc, "annotation": ann})
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
        "name": method_name,
        "group": group,
        "resource": ".".join(group),
        "operation_id": py_str(operation_id),
        "operation_id_raw": operation_id,
        "http_method": endpoint.method.upper(),
        "raw_path": str(raw(endpoint.path)),
        "method": py_str(endpoint.method.upper()),
        "route": f"{endpoint.method.upper()} {raw(endpoint.path)}",
        "path": py_str(endpoint.path),
        "tag": py_str(tag),
        "tag_raw": tag,
        "summary": prose(endpoint.summary),
        "description": prose(endpoint.description),
        "reference_url": reference_url,
        "deprecated": bool(spec_op.get("deprecated")),
        "params": params,
        "path_params": [p for p in params if p["location"] == "path"],
        "positional_only": positional_only,
        "query_params": [p for p in params if p["location"] == "query"],
        "header_params": [p for p in params if p["location"] == "header"],
        "body": body,
        "responses": responses,
        "returns": returns,
        "refs": dict(sorted(refs.items())),
    }


def _props(model: ModelProperty) -> list[Any]:
    return list(model.required_properties or ()) + list(model.optional_properties or ())


def op_docstring(info: dict[str, Any], indent: int = 8) -> str:
    """The docstring of a generated method: summary, the spec's prose as written, every argument described
    from the spec, the result, and the route with a link to Intercom's reference for the operation."""
    pad = " " * indent

    def block(text: str, extra: int = 0) -> str:
        return doc(text, indent + extra)

    parts = [block(info["summary"] or info["route"])]
    if info["description"] and info["description"] != info["summary"]:
        parts.append(block(info["description"]))
    if info["deprecated"]:
        parts.append("Deprecated: Intercom marks this operation as deprecated.")
    args = [f"{p['name']}: {block(p['doc'], 4)}" for p in info["params"]]
    body = info["body"]
    if body:
        if body["fields_dict"]:
            args.append(
                f"request_body: the whole request body, a ``{body['models'][0]}`` or a ``{body['models'][0]}Dict``; "
                "or pass its fields as keyword arguments, listed below (merged over ``request_body``, each given once)."
            )
            for field in body["fields"]:
                args.append(f"{field['name']}: {block(field['doc'] or '(body field)', 4)}")
        elif body["branches"]:
            shapes = ", ".join(f"``{b['model']}``" for b in body["branches"])
            args.append(
                f"request_body: the whole request body, one of {shapes} (or its dict form); or pass the fields of "
                "one of them as keyword arguments: the fields given select the shape (fixed values such as "
                "``type`` first), and one missing a required field raises ``InvalidRequestError``."
            )
            for branch in body["branches"]:
                names = ", ".join(
                    f["name"]
                    + ("*" if f["required"] else "")
                    + ("=" + "|".join(map(repr, f["values"])) if f["values"] else "")
                    for f in branch["fields"]
                )
                args.append(f"{branch['model']} fields (* required): {names}.")
        else:
            args.append(f"request_body: the request body ({block(body['annotation'])}).")
    args.append("request_options: per-call overrides (timeout, retries, extra query, headers or body).")
    parts.append("Args:\n" + "\n".join(f"{pad}    {a}" for a in args))
    paging = info.get("pagination")
    if paging:
        returns = (
            f"An ``AsyncPager``: ``await`` it for the first page (``{info['returns']}``), ``async for`` over it "
            f"for every ``{paging['item_annotation']}`` of every page ({paging['shape'][1:-1]} paging)."
        )
    else:
        returns = f"``{info['returns']}``."
    parts.append(f"Returns:\n{pad}    {returns}")
    parts.append(
        f"``{info['route']}`` (operationId ``{info['operation_id_raw']}``). Reference:\n{pad}{info['reference_url']}"
    )
    return f"\n\n{pad}".join(parts)
