"""Normalisation pass: rewrite a pinned Intercom spec into one openapi-python-client can generate completely.

Each rule is a small function ``rule(spec, report)`` that edits the spec dict in place and records what it
changed with ``report(rule_name, detail)``. The docstring of every rule names the spec defect it fixes.
Rules run in the order of ``RULES``; ``normalise()`` returns the new spec and the report, and is pure and
deterministic (same input, same output, same report).

The normalised spec is also what the contract tests serve with Prism, so a fix here fixes both.
"""

from __future__ import annotations

import copy
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

Report = Callable[[str, str], None]
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(path, method, operation)`` for every operation, in path order (shared by the other codegen modules)."""
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def parameters(
    item: dict[str, Any], op: dict[str, Any], spec: dict[str, Any] | None = None
) -> dict[tuple[str, str], dict[str, Any]]:
    """An operation's parameter objects by ``(name, location)``, path-item level ones included (operation level
    wins); with ``spec``, a ``$ref`` parameter is followed first (``resolve``)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        if spec is not None:
            param = resolve(spec, param)
        if isinstance(param, dict) and "name" in param:
            out[(param["name"], param.get("in", ""))] = param
    return out


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with local ``$ref`` followed (``{}`` for a dangling one)."""
    for _ in range(50):
        if not (isinstance(node, dict) and "$ref" in node):
            break
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node = target
    return node


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every dict in the tree, depth first, with its path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


def _schemas(spec: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Every schema object: component schemas and everything below parameters, bodies and responses."""
    for path, node in _walk(spec):
        if path and path[-1] in ("schema", "items", "additionalProperties", "not"):
            yield path, node
        elif len(path) >= 2 and path[-2] in ("properties", "schemas") and "examples" not in path:
            yield path, node
        elif len(path) >= 2 and path[-2] in ("oneOf", "anyOf", "allOf"):
            yield path, node


def _where(path: tuple[Any, ...]) -> str:
    return "/".join(str(p) for p in path)


# --------------------------------------------------------------------------------------------- rules


def drop_version_header_parameter(spec: dict[str, Any], report: Report) -> None:
    """Every operation declares an optional ``Intercom-Version`` header parameter (any of 21 versions).

    The client sends the header itself, from the version the user selected; exposing it per call would let
    a call claim one version while being parsed with another version's models.
    """
    for path, method, op in operations(spec):
        params = op.get("parameters", [])
        kept = [p for p in params if not (p.get("in") == "header" and p.get("name", "").lower() == "intercom-version")]
        if len(kept) != len(params):
            op["parameters"] = kept
            report("drop_version_header_parameter", f"{method.upper()} {path}")


def _binary_success(op: dict[str, Any], media: str) -> list[str]:
    """Give each 2xx response of ``op`` that documents no content a binary body of ``media``; the statuses."""
    changed = []
    for status, response in op.get("responses", {}).items():
        if status.startswith("2") and "$ref" not in response and not response.get("content"):
            response["content"] = {media: {"schema": {"type": "string", "format": "binary"}}}
            changed.append(status)
    return changed


def accept_header_parameter(spec: dict[str, Any], report: Report) -> None:
    """Unstable's export download (``GET /download/reporting_data/{job_identifier}``) declares
    ``Accept: application/octet-stream`` as a required header *parameter* and documents no media type
    for its 200 response.

    As a parameter, every caller would have to pass a constant by hand (and after ``single_value_enums``
    it would be free text). The value is what the 200 response is: the parameter is removed and the
    response gets ``content: {<value>: {schema: {type: string, format: binary}}}``, so the client sends
    that ``Accept`` itself and returns the bytes.
    """
    for path, method, op in operations(spec):
        params = op.get("parameters", [])
        for param in params:
            if param.get("in") == "header" and param.get("name", "").lower() == "accept":
                values = param.get("schema", {}).get("enum") or [param.get("schema", {}).get("example")]
                media = values[0] if values and values[0] else "application/octet-stream"
                op["parameters"] = [p for p in params if p is not param]
                _binary_success(op, media)
                report("accept_header_parameter", f"{method.upper()} {path}: Accept {media}")
                break


_ACCEPT_IN_DESCRIPTION = re.compile(r"Accept:\s*`(application/octet-stream)`")


def accept_required_in_description(spec: dict[str, Any], report: Report) -> None:
    """The content export download (``GET /download/content/data/{job_identifier}``, every version) says
    in its description that ``Accept: `application/octet-stream``` is required and that the export is
    streamed as a gzipped CSV, but its 200 response documents no content at all.

    Generated as is, the call sent ``Accept: application/json`` and returned ``None`` for the file. A 2xx
    response without content on an operation whose description requires that ``Accept`` gets
    ``content: {<media type>: {schema: {type: string, format: binary}}}``: the client sends the header and
    returns the bytes (or streams them: ``with_streaming_response``).
    """
    for path, method, op in operations(spec):
        found = _ACCEPT_IN_DESCRIPTION.search(op.get("description") or "")
        if not found:
            continue
        for status in _binary_success(op, found.group(1)):
            report("accept_required_in_description", f"{method.upper()} {path} {status}: {found.group(1)}")


INTERCOM_DOCS = "https://developers.intercom.com"
_PROSE_LINK = re.compile(r"\]\((?P<target>ref:[^)\s]+|/[^)\s]*)\)")


def _readme_slug(method: str, path: str) -> str:
    """The pseudo link slug of Intercom's old docs for an operation: ``GET /ticket_types`` -> ``get_ticket-types``,
    ``GET /ticket_types/{id}`` -> ``get_ticket-types-id``."""
    parts = [segment.strip("{}") for segment in path.strip("/").split("/") if segment]
    return f"{method}_" + "-".join(parts).replace("_", "-").lower()


def reference_url(version: str, tag: str, operation_id: str) -> str:
    """Intercom's reference page for an operation (versioned: ``/docs/references/2.12/rest-api/...``)."""
    slug = re.sub(r"\s+", "-", tag.strip().lower())
    return f"{INTERCOM_DOCS}/docs/references/{version.lower()}/rest-api/api.intercom.io/{slug}/{operation_id.lower()}"


def absolute_reference_links(spec: dict[str, Any], report: Report) -> None:
    """Spec prose links to Intercom's own docs in two forms that only work on developers.intercom.com:
    ``[listing the ticket type](ref:get_ticket-types)`` (a pseudo link of Intercom's old docs platform, in the
    ``ticket_type_attributes`` description of every version) and site-relative paths such as
    ``/docs/references/preview/rest-api/api.intercom.io/contacts/searchcontacts`` (Preview) or
    ``/docs/guides/fin-agent-api/setup`` (2.14, 2.16, Preview).

    Anywhere else (docstrings, the API reference site) they are broken links. A relative path gets Intercom's
    host; a ``ref:<method>_<path>`` link becomes the absolute reference URL of the operation it names (the
    URL ``reference_url`` builds for the reference's own links: version, first tag, operationId), and
    one that names no operation of the spec its version's reference home page.
    """
    version = str((spec.get("info") or {}).get("version") or "").lower()
    base = f"{INTERCOM_DOCS}/docs/references/{version}/rest-api/api.intercom.io"
    by_slug: dict[str, str] = {}
    for path, method, op in operations(spec):
        tag = (op.get("tags") or ["default"])[0]
        by_slug[_readme_slug(method, path)] = reference_url(version, tag, str(op.get("operationId", "")))

    def absolute(match: re.Match[str]) -> str:
        target = match.group("target")
        if target.startswith("ref:"):
            url = by_slug.get(target[4:].lower(), base)
        else:
            url = INTERCOM_DOCS + target
        changes.append(f"{where}: {target} -> {url}")
        return f"]({url})"

    for node_path, node in _walk(spec):
        for key in ("description", "summary"):
            text = node.get(key)
            if isinstance(text, str) and "](" in text:
                changes: list[str] = []
                where = _where((*node_path, key))
                node[key] = _PROSE_LINK.sub(absolute, text)
                for change in changes:
                    report("absolute_reference_links", change)


def nullable_enum_without_null(spec: dict[str, Any], report: Report) -> None:
    """Enums marked ``nullable: true`` whose values do not include ``null`` (Unstable
    ``data_connector_detail.data_transformation_type``; the spec's own example sends null there).

    openapi-python-client reads an enum's nullability from a ``null`` among its values and ignores
    ``nullable``, so the field came out non-nullable and strict mode rejected the documented example.
    ``null`` is added to the values (``nullable_enum_listing_null`` then drops the redundant flag).
    """
    for path, node in _schemas(spec):
        values = node.get("enum")
        if node.get("nullable") is True and isinstance(values, list) and None not in values and len(values) > 1:
            values.append(None)
            report("nullable_enum_without_null", _where(path))


def path_parameter_declared_in_query(spec: dict[str, Any], report: Report) -> None:
    """Unstable's reporting-data export paths template ``{job_identifier}`` but declare it ``in: query``.

    The path needs the value (the generator otherwise drops the endpoint for incorrect path templating), so
    a non-path parameter whose name appears as ``{name}`` in the path becomes a required path parameter.
    """
    for path, method, op in operations(spec):
        names = set(re.findall(r"{([^}]+)}", path))
        for param in op.get("parameters", []):
            if param.get("name") in names and param.get("in") != "path":
                report(
                    "path_parameter_declared_in_query",
                    f"{method.upper()} {path}: {param['name']} was in {param.get('in')}",
                )
                param["in"] = "path"
                param["required"] = True


_IDENTIFIER_NAME = re.compile(r"^(?:id|.+_id)$")


def integer_id_path_parameters(spec: dict[str, Any], report: Report) -> None:
    """Path parameters naming an identifier (``id``, ``*_id``) that the spec types as ``integer``.

    2.16 types 38 of them so (``conversation_id``, ``contact_id``, ``article_id``...), while the objects the
    API returns carry their ids as strings (``Conversation.id: str``; a contact id is hex, ``"6762f0d51bb69f9f2193bb7f"``),
    so an id read from a model could not be passed back under a type checker, and a contact id could not be
    typed at all. The schema becomes ``anyOf: [string, integer]``: the SDK accepts ``str | int`` (both fill the
    path segment the same way) and the contract tests' Prism accepts either.
    """
    for path, method, op in operations(spec):
        params = [*(spec["paths"][path].get("parameters") or []), *(op.get("parameters") or [])]
        for param in params:
            param = resolve(spec, param)
            if not isinstance(param, dict) or param.get("in") != "path":
                continue
            schema = param.get("schema")
            target = resolve(spec, schema)
            if not isinstance(target, dict) or target.get("type") != "integer":
                continue
            if not _IDENTIFIER_NAME.match(str(param.get("name", ""))):
                continue
            kept = {k: v for k, v in target.items() if k in ("description", "example")}
            param["schema"] = {"anyOf": [{"type": "string"}, {"type": "integer"}], **kept}
            report("integer_id_path_parameters", f"{method.upper()} {path}: {param['name']}")


def synthesize_operation_ids(spec: dict[str, Any], report: Report) -> None:
    """Four Unstable operations (the reporting-data export API) have no ``operationId``.

    The SDK names every method after the operationId, so one is synthesised with a documented rule:
    the HTTP method followed by the path's literal segments, then ``By<Param>`` for each path parameter,
    in camelCase: ``GET /export/reporting_data/{job_identifier}`` -> ``getExportReportingDataByJobIdentifier``.
    """
    for path, method, op in operations(spec):
        if op.get("operationId"):
            continue
        words = [method]
        params = []
        for segment in path.strip("/").split("/"):
            match = re.fullmatch(r"{([^}]+)}", segment)
            if match:
                params.append(match.group(1))
            else:
                words.extend(re.split(r"[_\-.]", segment))
        words.extend(["by", *(w for p in params for w in p.split("_"))] if params else [])
        op_id = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:] if w)
        op["operationId"] = op_id
        op["x-synthesized-operation-id"] = True  # no upstream name: codegen/docs.py's python-intercom table says so
        report("synthesize_operation_ids", f"{method.upper()} {path} -> {op_id}")


def define_dangling_component_refs(spec: dict[str, Any], report: Report) -> None:
    """2.10 references ``#/components/schemas/custom_attributes`` but never defines it.

    A missing component is defined as a free-form object (any keys, any values), which is what Intercom's
    custom attributes are; the generator otherwise drops every schema that reaches it, and Prism refuses to
    load the file at all.
    """
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    prefix = "#/components/schemas/"
    missing = set()
    for _, node in _walk(spec):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix) and ref[len(prefix) :] not in schemas:
            missing.add(ref[len(prefix) :])
    for name in sorted(missing):
        schemas[name] = {
            "type": "object",
            "additionalProperties": True,
            "description": f"Free-form object ({name} is referenced but not defined by the published spec).",
        }
        report("define_dangling_component_refs", name)


def nullable_beside_ref(spec: dict[str, Any], report: Report) -> None:
    """``nullable: true`` written beside a ``$ref``; OpenAPI 3.0 ignores every sibling of ``$ref``.

    Intercom does send null there (e.g. a conversation's ``sla_applied``), so the intent is kept by
    wrapping the reference: ``{allOf: [{$ref}], nullable: true}``.
    """
    for path, node in list(_walk(spec)):
        if "$ref" in node and node.get("nullable") is True:
            ref = node.pop("$ref")
            node.pop("nullable")
            node["allOf"] = [{"$ref": ref}]
            node["nullable"] = True
            report("nullable_beside_ref", _where(path))


def nullable_component_schemas(spec: dict[str, Any], report: Report) -> None:
    """Component schemas marked ``nullable: true`` (``visitor``, ``ticket``, ``admin``, ... 38 in 2.12).

    A nullable component becomes a union in openapi-python-client, and every place that references it
    re-creates the inner model, colliding on its name ("duplicate model ...Type0Avatar"). Nullability is a
    property of a use, not of the object: it is removed from the component and moved onto each reference,
    as ``{allOf: [{$ref}], nullable: true}`` (responses and request bodies that are the whole document are
    left non-null: a JSON body of ``null`` is not something these endpoints answer).
    """
    schemas = spec.get("components", {}).get("schemas", {})
    nullable = {name for name, s in schemas.items() if s.get("nullable") is True and "enum" not in s}
    for name in sorted(nullable):
        del schemas[name]["nullable"]
    refs = {f"#/components/schemas/{n}" for n in nullable}
    moved = 0
    for path, node in list(_walk(spec)):
        if (
            node.get("$ref") in refs
            and path
            and path[-1] != "schema"
            and len(path) >= 2
            and path[-2] not in ("oneOf", "anyOf", "allOf")
        ):
            node["allOf"] = [{"$ref": node.pop("$ref")}]
            node["nullable"] = True
            moved += 1
    if nullable:
        report(
            "nullable_component_schemas",
            f"{len(nullable)} components, {moved} references: {', '.join(sorted(nullable))}",
        )


def extend_single_ref_allof(spec: dict[str, Any], report: Report) -> None:
    """A schema that extends one other schema as ``allOf: [{$ref: X}]`` plus its own ``properties``
    (``article`` = ``article_list_item`` + ``statistics``; the seven ``contact_reply_*_request`` bodies =
    ``contact_reply_base_request`` + ``email``/``user_id``/...; 2.12's ``GET /contacts/{id}`` answer =
    ``contact`` + ``enabled_push_messaging``).

    openapi-python-client treats a one-element ``allOf`` of a reference as an alias of that reference and
    silently drops the sibling properties. For a named component the own properties move into a second
    ``allOf`` branch, which the engine merges into a model of its own (``Article``). For an inline response
    or body schema that only adds optional properties, they are added (optional) to the referenced
    component instead, so ``GET /contacts/{id}`` still returns a ``Contact``, now with the extra field
    typed; an inline extension with required properties or a conflicting definition gets its own model.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    for path, node in list(_schemas(spec)):
        branches = node.get("allOf")
        if not (isinstance(branches, list) and len(branches) == 1 and "$ref" in branches[0]):
            continue
        own = {k: node.pop(k) for k in ("properties", "required", "additionalProperties") if k in node}
        if not own.get("properties") and not own.get("required"):
            node.update(own)
            continue
        target_name = branches[0]["$ref"].rsplit("/", 1)[1]
        target = schemas.get(target_name, {})
        inline = path[:2] != ("components", "schemas") or len(path) != 3
        target_props = target.setdefault("properties", {}) if "properties" in target else None
        if (
            inline
            and target_props is not None
            and not own.get("required")
            and set(own) == {"properties"}
            and all(target_props.get(k, v) == v for k, v in own["properties"].items())
        ):
            target_props.update(own["properties"])
            report("extend_single_ref_allof", f"{_where(path)}: {sorted(own['properties'])} added to {target_name}")
            continue
        node["allOf"] = [branches[0], {"type": "object", **own}]
        report("extend_single_ref_allof", f"{_where(path)} extends {target_name} (own model)")


def array_without_items(spec: dict[str, Any], report: Report) -> None:
    """``type: array`` without ``items`` (ticket custom attribute values); OpenAPI 3.0 requires ``items``.

    The generator rejects the whole union it sits in ("Invalid property in union"), taking the ticket
    schemas and ``POST /tickets`` with it. An array of anything (``items: {}``) is what the author meant.
    """
    for path, node in _schemas(spec):
        if node.get("type") == "array" and "items" not in node:
            node["items"] = {}
            report("array_without_items", _where(path))


def single_value_enums(spec: dict[str, Any], report: Report) -> None:
    """Intercom writes the constant ``type`` tag of each object as a one-value enum (``type: [ticket]``).

    Each becomes an enum class named after its parent and property, and those names collide with real
    models (``ticket.type`` -> ``TicketType`` vs the ``ticket_type`` schema: "conflicting enums"), which
    drops ``ticket`` and every ticket endpoint. A one-value enum is a documented constant, not a choice: it
    becomes a plain string whose description names the value, and a ``pattern`` matching only that value
    (ignored by the generator) keeps validators exact: in 2.16's ``create_conversation_attribute_request``
    the constant ``data_type`` is what tells its eight ``oneOf`` branches apart.
    """
    count = 0
    for _path, node in _schemas(spec):
        values = node.get("enum")
        if isinstance(values, list) and len(values) == 1 and node.get("type", "string") == "string":
            del node["enum"]
            node["type"] = "string"
            if isinstance(values[0], str) and "pattern" not in node:
                node["pattern"] = "^" + re.sub(r"([.^$*+?()[\]{}|\\/])", r"\\\1", values[0]) + "$"
            note = f"Always `{values[0]}`."
            node["description"] = f"{node['description']} {note}" if node.get("description") else note
            count += 1
    report("single_value_enums", f"{count} enums")


def hoist_inline_objects_in_compositions(spec: dict[str, Any], report: Report) -> None:
    """Inline objects inside schemas combined with ``allOf``/``oneOf``/``anyOf`` (``contact_reply_base_request``'s
    ``reply_options`` items, the ``options`` items of a data attribute's ``list attribute`` variant).

    openapi-python-client re-creates such an inline model once per composition that reaches it, and the
    copies collide ("duplicate models with name ...OptionsItem"), dropping every reply endpoint. Moving each
    such inline object into ``components/schemas`` under its positional name makes it one shared model.
    Free-form objects (``additionalProperties`` and no ``properties``) are inline models too (2.11's
    ``configure_request`` branches both declare ``input_values``: "duplicate models ...InputValues"). The
    positional name depends only on where the object sits in its schema, so adding unrelated schemas never
    renames it.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    composed = set()
    for name, schema in schemas.items():
        if any(k in schema for k in ("allOf", "oneOf", "anyOf")):
            composed.add(name)
            for part in schema.get("allOf", []):
                ref = part.get("$ref", "")
                if ref.startswith("#/components/schemas/"):
                    composed.add(ref.rsplit("/", 1)[1])
    hoisted = []

    def visit(node: Any, name: str) -> None:
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key == "properties" and isinstance(value, dict):
                    for prop, sub in value.items():
                        hoist(sub, f"{name}_{prop}", functools.partial(value.__setitem__, prop))
                elif key == "items" and isinstance(value, dict):
                    hoist(value, f"{name}_item", lambda new: node.__setitem__("items", new))
                elif key in ("oneOf", "anyOf", "allOf") and isinstance(value, list):
                    for i, sub in enumerate(value):
                        visit(sub, f"{name}_{key.lower()}{i}")
                elif key not in ("properties", "items", "example", "examples", "enum", "default"):
                    visit(value, name)

    def hoist(sub: Any, new_name: str, replace: Callable[[dict[str, Any]], None]) -> None:
        if not isinstance(sub, dict):
            return
        is_object = sub.get("type") == "object" and ("properties" in sub or "additionalProperties" in sub)
        if is_object and new_name not in schemas:
            schemas[new_name] = sub
            replace({"$ref": f"#/components/schemas/{new_name}"})
            hoisted.append(new_name)
            visit(sub, new_name)
        else:
            visit(sub, new_name)

    for name in sorted(composed):
        visit(schemas[name], name)
    if hoisted:
        report("hoist_inline_objects_in_compositions", ", ".join(hoisted))


def constraint_only_compositions(spec: dict[str, Any], report: Report) -> None:
    """``anyOf``/``oneOf`` whose branches only list ``required`` keys (``create_contact_request``: email *or*
    external_id *or* role; ``create_data_event_request``: id *or* user_id *or* email).

    These are validation rules over one object, not alternative shapes, but the generator reads them as a
    union of untyped schemas and the request model degrades to ``Any``. The rule moves them into the
    description ("At least one of: ...") and keeps the object's properties as the model.
    """
    for path, node in list(_schemas(spec)):
        for key in ("anyOf", "oneOf"):
            branches = node.get(key)
            if not isinstance(branches, list) or not branches or "properties" not in node:
                continue
            if all(isinstance(b, dict) and set(b) <= {"required", "title", "description"} for b in branches):
                groups = [" + ".join(b.get("required", [])) or "(none)" for b in branches]
                word = "At least one of" if key == "anyOf" else "Exactly one of"
                note = f"{word}: {'; '.join(groups)}."
                node["description"] = f"{node.get('description', '')}\n\n{note}".strip()
                del node[key]
                report("constraint_only_compositions", f"{_where(path)} ({key}: {'; '.join(groups)})")


def merge_object_branches(spec: dict[str, Any], report: Report) -> None:
    """``oneOf`` branches that only add properties to the object they sit in (data attribute requests: a
    "list attribute" branch adding ``options``, an "other type" branch that is empty).

    An empty branch matches anything, so the engine types the whole request body as ``Any``; and branches
    that merely extend one object become separate models for what is one object with a rule. The branches'
    properties are merged into the object as optional ones (enums of the same property are united), and the
    rule ("options is required when data_type is options") moves into the description.
    """
    allowed = {"properties", "required", "title", "description"}
    for path, node in list(_schemas(spec)):
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            if not isinstance(branches, list) or "properties" not in node:
                continue
            if not all(isinstance(b, dict) and set(b) <= allowed for b in branches):
                continue
            if not any("properties" in b for b in branches):
                continue  # constraint-only: handled by constraint_only_compositions
            notes = []
            for branch in branches:
                label = branch.get("title") or branch.get("description") or "variant"
                for name, prop in branch.get("properties", {}).items():
                    existing = node["properties"].get(name)
                    if existing is None:
                        node["properties"][name] = copy.deepcopy(prop)
                    elif "enum" in existing and "enum" in prop:
                        existing["enum"] = existing["enum"] + [v for v in prop["enum"] if v not in existing["enum"]]
                if branch.get("required"):
                    notes.append(f"{label}: requires {', '.join(branch['required'])}")
            del node[key]
            if notes:
                node["description"] = f"{node.get('description', '')}\n\n{'; '.join(notes)}.".strip()
            report("merge_object_branches", f"{_where(path)} ({len(branches)} {key} branches)")


def single_branch_compositions(spec: dict[str, Any], report: Report) -> None:
    """``oneOf`` with a single ``$ref`` as a request body (``POST /contacts``, ``PUT /contacts/{id}``).

    A one-branch union is the branch; the generator would otherwise wrap it in a union type with one member.
    """
    for path, node in list(_schemas(spec)):
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            if isinstance(branches, list) and len(branches) == 1 and set(node) <= {key, "description", "nullable"}:
                only = branches[0]
                del node[key]
                if "$ref" in only and not node.get("nullable"):
                    node.clear()
                    node["$ref"] = only["$ref"]
                elif "$ref" in only:
                    node["allOf"] = [only]
                else:
                    node.update(only)
                report("single_branch_compositions", _where(path))


def drop_schema_titles(spec: dict[str, Any], report: Report) -> None:
    """Schema ``title``s are display names reused across unrelated schemas ("Contact", "Email", "ID").

    openapi-python-client names inline models after their title, so the repeats collide ("duplicate model
    names") and whole schemas are dropped. Without titles, models are named by their position
    (``ContactTags``, ``CreateContactRequestType0``), which is unique. The title text moves into the
    description when the schema has none, so the docs keep it.
    """
    count = 0
    for _path, node in _schemas(spec):
        title = node.get("title")
        if isinstance(title, str) and (
            "type" in node
            or "properties" in node
            or "$ref" in node
            or any(k in node for k in ("oneOf", "anyOf", "allOf"))
        ):
            del node["title"]
            if not node.get("description") and "$ref" not in node:
                node["description"] = title
            count += 1
    report("drop_schema_titles", f"{count} titles")


def keep_date_times_verbatim(spec: dict[str, Any], report: Report) -> None:
    """Intercom's ``format: date-time``/``date`` strings sit beside Unix-integer timestamps for the same facts
    (``datetime`` is a oneOf of both) and are not all RFC 3339 (examples use ``""`` and naive times).

    Parsing them would fail on real data or change their text on the way back, so they stay ``str``:
    ``to_dict()`` then returns the exact text received.
    """
    count = 0
    for _path, node in _schemas(spec):
        if node.get("type") == "string" and node.get("format") in ("date-time", "date"):
            del node["format"]
            count += 1
    report("keep_date_times_verbatim", f"{count} formats")


def uuid_format_on_non_uuid_ids(spec: dict[str, Any], report: Report) -> None:
    """``format: uuid`` on a string whose own length bounds exclude a UUID: ``create_conversation_request``'s
    ``from.id`` (``POST /conversations``, every version) is ``minLength: 24, maxLength: 24`` with the example
    ``536e564f316c83104c000020``, an Intercom contact id, while a UUID has 36 characters.

    No value satisfies both, so a validating server (Prism, the contract tests) rejects every request. The
    bounds and the example describe what Intercom accepts; the contradicting format is dropped (the SDK
    already keeps such strings as ``str``, so generated code is unchanged).
    """
    for path, node in _schemas(spec):
        if node.get("type") == "string" and node.get("format") == "uuid":
            low, high = node.get("minLength", 0), node.get("maxLength", 36)
            if not low <= 36 <= high:
                del node["format"]
                report("uuid_format_on_non_uuid_ids", f"{_where(path)} (length {low}..{high})")


def nullable_without_type(spec: dict[str, Any], report: Report) -> None:
    """``nullable: true`` in a schema without ``type`` (``{allOf: [{$ref}], nullable: true}``, written by the
    spec beside references and by ``nullable_beside_ref``/``nullable_component_schemas``; ~130 per version).

    OpenAPI 3.0.3 gives ``nullable`` effect only next to ``type`` in the same schema, and JSON Schema
    validators refuse the combination: ajv throws ``"nullable" cannot be used without "type"``, and Prism
    (which compiles every schema with ajv and ignores compile errors) then validates nothing of a request
    body that reaches such a schema (4 operations in 2.10, 6 in 2.12 and in Unstable). The intent
    is written as the union it means, ``{oneOf: [{type: "null"}, {allOf: [{$ref}]}]}``, which is exactly how
    openapi-python-client reads ``nullable`` on an ``allOf`` (so the generated code does not change); on a
    ``oneOf``/``anyOf`` a ``{type: "null"}`` branch is appended (likewise); on a schema with neither, which
    already accepts null, ``nullable`` is dropped. ``type: "null"`` is JSON Schema (and OpenAPI 3.1); both
    consumers of the normalised spec, openapi-python-client and Prism, read it.
    """
    count = 0
    for _path, node in list(_schemas(spec)):
        if node.get("nullable") is not True or "type" in node:
            continue
        del node["nullable"]  # the same order of cases as openapi-python-client's Schema.handle_nullable
        if "oneOf" in node or "anyOf" in node:
            key = "oneOf" if "oneOf" in node else "anyOf"
            node[key] = [*node[key], {"type": "null"}]
        elif "allOf" in node:
            node["oneOf"] = [{"type": "null"}, {"allOf": node.pop("allOf")}]
        count += 1
    if count:
        report("nullable_without_type", f"{count} schemas")


def nullable_enum_listing_null(spec: dict[str, Any], report: Report) -> None:
    """Enums that say "may be null" twice: ``nullable: true`` and ``null`` among the ``enum`` values
    (``group_translated_content.type``, ``article_translated_content.type``, ...; 5-7 per version).

    The redundancy breaks validation: Prism's spec loader turns ``nullable`` into an
    extra ``null`` enum value, ajv rejects the duplicate ("enum must NOT have duplicate items") and Prism,
    ignoring the compile error, validates nothing of the bodies that reach the schema (article and
    collection create/update: 4 operations per version). ``null`` in ``enum`` is what openapi-python-client
    reads as nullability, so ``nullable`` is dropped. The field keeps its type (``AiAgentLastAnswerTypeType1
    | str | None``); the generator no longer also emits two copies of the enum for the double declaration
    (``AiAgentLastAnswerTypeType2Type1``, ``...Type3Type1``: the same values again). Validators now read the
    enum's ``type: string`` as excluding null: stricter, never looser, than the author meant.
    """
    count = 0
    for _path, node in _schemas(spec):
        if node.get("nullable") is True and isinstance(node.get("enum"), list) and None in node["enum"]:
            del node["nullable"]
            count += 1
    if count:
        report("nullable_enum_listing_null", f"{count} enums")


RULES: list[Callable[[dict[str, Any], Report], None]] = [
    drop_version_header_parameter,
    accept_header_parameter,
    accept_required_in_description,
    absolute_reference_links,
    nullable_enum_without_null,
    path_parameter_declared_in_query,
    integer_id_path_parameters,
    synthesize_operation_ids,
    define_dangling_component_refs,
    nullable_beside_ref,
    nullable_component_schemas,
    extend_single_ref_allof,
    array_without_items,
    merge_object_branches,
    single_value_enums,
    hoist_inline_objects_in_compositions,
    constraint_only_compositions,
    single_branch_compositions,
    drop_schema_titles,
    keep_date_times_verbatim,
    uuid_format_on_non_uuid_ids,
    nullable_without_type,
    nullable_enum_listing_null,
]


def normalise(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Return a normalised deep copy of ``spec`` and ``{rule name: [what it changed, ...]}``."""
    out = copy.deepcopy(spec)
    changes: dict[str, list[str]] = defaultdict(list)

    def report(rule: str, detail: str) -> None:
        changes[rule].append(detail)

    for rule in RULES:
        rule(out, report)
    return out, dict(changes)
