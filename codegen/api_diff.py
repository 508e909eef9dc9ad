"""API change reports: what changes for a user who moves ``version=`` from one pinned version to another.

``python -m codegen api-diff FROM TO`` (``make api-diff FROM=2.12 TO=2.16``) compares the two normalised specs
and prints a Markdown report:

* operations added and removed (method, path, SDK method), matched by method and path with parameter names
  ignored (``/contacts/{id}`` and ``/contacts/{contact_id}`` are one route);
* operations whose parameters (added, removed, required or type changed), request body or success response
  (the schema or the status) changed;
* per model (component schema), fields added, removed, or changed in type or nullability, and enum values
  added or removed, for enum components and for enum-typed fields.

Every change carries a level (``Change.level``): ``breaking`` (an operation, parameter, field or enum value
removed; a type narrowed; a parameter or request field becoming required; a success response changed), ``additive``
(new operations, optional parameters, fields, enum values; a type widened) or ``documentation`` (deprecation
marks). ``changes()`` lists them for ``codegen/classify.py``; the report prints the same texts.

``make generate`` writes the reports for each consecutive pair of pinned versions into ``docs/api-changes/``
(``REPORT_PAIRS``), so they are regenerated, and checked by ``make check-generated``, with everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

from .names import Name, NameTable, route
from .normalize import operations, resolve
from .pins import Pin

Spec = dict[str, Any]
Level = Literal["breaking", "additive", "documentation"]
BREAKING: Level = "breaking"
ADDITIVE: Level = "additive"
DOCUMENTATION: Level = "documentation"
LEVELS: tuple[Level, ...] = (BREAKING, ADDITIVE, DOCUMENTATION)


class Change(NamedTuple):
    """One line of the report: what changed (``subject``: the operation or model) and how much it matters."""

    subject: str
    text: str
    level: Level


def _widened(old: str, new: str) -> bool | None:
    """``True`` when type text ``new`` accepts every value of ``old`` and more, ``False`` when it is the reverse
    (narrowed), ``None`` when neither (an incompatible change)."""

    def alternatives(text: str) -> set[str]:
        nullable = text.endswith(" | None")
        core = text.removesuffix(" | None")
        parts = set(core[len("one of (") : -1].split(", ")) if core.startswith("one of (") else {core}
        return parts | ({"null"} if nullable else set())

    if new == "any" or alternatives(old) < alternatives(new):
        return True
    if old == "any" or alternatives(new) < alternatives(old):
        return False
    return None


def _type_level(old: str, new: str, *, narrowing_breaks: bool = True) -> Level:
    widened = _widened(old, new)
    if widened is None:
        return BREAKING
    return BREAKING if not widened and narrowing_breaks else ADDITIVE


def request_models(spec: Spec) -> set[str]:
    """Component schemas a request body can contain (followed through references, properties and items)."""
    seen: set[str] = set()
    stack: list[Any] = [
        media.get("schema")
        for _, _, op in operations(spec)
        for media in ((op.get("requestBody") or {}).get("content") or {}).values()
        if isinstance(media, dict)
    ]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = _ref_name(ref)
                if name not in seen:
                    seen.add(name)
                    stack.append(spec.get("components", {}).get("schemas", {}).get(name))
            stack.extend(v for k, v in node.items() if k not in ("example", "examples", "description", "enum"))
    return seen


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[1]


def describe(schema: Any, depth: int = 0) -> str:
    """A short type text for a schema: ``Contact``, ``list[Tag]``, ``str``, ``Company | None``, ``one of (A, B)``."""
    if not isinstance(schema, dict) or depth > 6:
        return "any"
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            parts = [describe(s, depth + 1) for s in schema[key]]
            nulls = "null" in parts
            parts = [p for p in parts if p != "null"]
            text = parts[0] if len(parts) == 1 else f"one of ({', '.join(parts)})"
            return f"{text} | None" if nulls else text
    if "allOf" in schema:
        parts = [describe(s, depth + 1) for s in schema["allOf"]]
        return parts[0] if len(parts) == 1 else f"all of ({', '.join(parts)})"
    kind = schema.get("type")
    if kind == "array":
        return f"list[{describe(schema.get('items', {}), depth + 1)}]"
    if kind == "null":
        return "null"
    if kind == "object" or "properties" in schema:
        return "object"
    names = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    return names.get(str(kind), "any")


def _nullable(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("nullable") is True or None in (schema.get("enum") or ()):
        return True
    return any(
        isinstance(s, dict) and s.get("type") == "null" for s in schema.get("oneOf") or schema.get("anyOf") or ()
    )


def _enum_values(schema: Any) -> list[Any] | None:
    values = schema.get("enum") if isinstance(schema, dict) else None
    return [v for v in values if v is not None] if isinstance(values, list) else None


def _properties(spec: Spec, schema: Any) -> tuple[dict[str, Any], set[str]]:
    """Properties (``allOf`` merged) and required names of an object schema."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return {}, set()
    props = dict(schema.get("properties") or {})
    required = set(schema.get("required") or ())
    for part in schema.get("allOf") or ():
        sub_props, sub_required = _properties(spec, part)
        props = {**sub_props, **props}
        required |= sub_required
    return props, required


def _operations(spec: Spec) -> dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]]:
    return {route(method, path): (path, spec["paths"][path], op) for path, method, op in operations(spec)}


def _params(item: dict[str, Any], op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    params = {}
    for param in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        if isinstance(param, dict) and "name" in param:
            params[(param.get("in", ""), param["name"])] = param
    path_names = iter(range(100))  # path parameters are compared by position: their names differ by version
    out = {}
    for (location, name), param in params.items():
        key = (location, f"path parameter {next(path_names) + 1}" if location == "path" else name)
        out[key] = param
    return out


def _body(op: dict[str, Any]) -> str:
    content = (op.get("requestBody") or {}).get("content") or {}
    media = content.get("application/json")
    return describe(media.get("schema")) if media else ("none" if not content else ", ".join(sorted(content)))


def _success(op: dict[str, Any]) -> dict[str, str]:
    out = {}
    for status, response in (op.get("responses") or {}).items():
        if str(status).startswith(("2", "3")):
            content = (response or {}).get("content") or {}
            media = content.get("application/json")
            out[str(status)] = describe(media.get("schema")) if media else ", ".join(sorted(content)) or "no body"
    return out


def _sdk(names: dict[str, Name], op: dict[str, Any]) -> str:
    name = names.get(op.get("operationId", ""))
    return f"`client.{name.qualname}`" if name else "-"


def _operation_changes(old: Spec, new: Spec, old_op: Any, new_op: Any) -> list[tuple[str, Level]]:
    (_, old_item, o), (_, new_item, n) = old_op, new_op
    changes: list[tuple[str, Level]] = []
    op_params, np_params = _params(old_item, o), _params(new_item, n)
    for key in sorted(set(op_params) | set(np_params)):
        location, name = key
        a, b = op_params.get(key), np_params.get(key)
        label = name if location == "path" else f"{location} parameter `{name}`"
        if a is None and b is not None:
            required = bool(b.get("required"))
            changes.append((f"{label} added{' (required)' if required else ''}", BREAKING if required else ADDITIVE))
        elif b is None and a is not None:
            changes.append((f"{label} removed", BREAKING))
        elif a is not None and b is not None:
            if bool(a.get("required")) != bool(b.get("required")):
                now = bool(b.get("required"))
                changes.append(
                    (f"{label} is {'now required' if now else 'no longer required'}", BREAKING if now else ADDITIVE)
                )
            ta, tb = describe(a.get("schema", {})), describe(b.get("schema", {}))
            if ta != tb:
                changes.append((f"{label}: {ta} -> {tb}", _type_level(ta, tb)))
    body_a, body_b = _body(o), _body(n)
    if body_a != body_b:
        changes.append((f"request body: {body_a} -> {body_b}", ADDITIVE if body_a == "none" else BREAKING))
    succ_a, succ_b = _success(o), _success(n)
    for status in sorted(set(succ_a) | set(succ_b)):
        was, now_ = succ_a.get(status), succ_b.get(status)
        if was != now_:
            text = f"{status} response: {was or 'not documented'} -> {now_ or 'not documented'}"
            changes.append((text, ADDITIVE if was is None else BREAKING))
    if bool(o.get("deprecated")) != bool(n.get("deprecated")):
        changes.append(("now deprecated" if n.get("deprecated") else "no longer deprecated", DOCUMENTATION))
    return changes


def _model_changes(old: Spec, new: Spec, name: str, *, sent: bool = True) -> list[tuple[str, Level]]:
    """The changes of one component schema; ``sent``: it can be part of a request body, where a narrowed type
    or a field becoming required breaks callers (in a response only, it is a firmer promise)."""
    a = old["components"]["schemas"][name]
    b = new["components"]["schemas"][name]
    narrowed: Level = BREAKING if sent else ADDITIVE
    changes: list[tuple[str, Level]] = []
    values_a, values_b = _enum_values(a), _enum_values(b)
    if values_a is not None or values_b is not None:
        added = [v for v in values_b or () if v not in (values_a or ())]
        removed = [v for v in values_a or () if v not in (values_b or ())]
        if added:
            changes.append((f"enum values added: {', '.join(map(repr, added))}", ADDITIVE))
        if removed:
            changes.append((f"enum values removed: {', '.join(map(repr, removed))}", BREAKING))
    props_a, req_a = _properties(old, a)
    props_b, req_b = _properties(new, b)
    for field in sorted(set(props_a) | set(props_b)):
        fa, fb = props_a.get(field), props_b.get(field)
        if fa is None:
            required = field in req_b
            text = f"field `{field}` added ({describe(fb)}{', required' if required else ''})"
            changes.append((text, narrowed if required else ADDITIVE))
            continue
        if fb is None:
            changes.append((f"field `{field}` removed", BREAKING))
            continue
        ta, tb = describe(fa), describe(fb)
        if ta != tb:
            changes.append((f"field `{field}`: {ta} -> {tb}", _type_level(ta, tb, narrowing_breaks=sent)))
        if _nullable(fa) != _nullable(fb):
            now = _nullable(fb)
            changes.append(
                (f"field `{field}` is {'now nullable' if now else 'no longer nullable'}", ADDITIVE if now else narrowed)
            )
        if (field in req_a) != (field in req_b):
            now = field in req_b
            changes.append(
                (f"field `{field}` is {'now required' if now else 'no longer required'}", narrowed if now else ADDITIVE)
            )
        ea, eb = _enum_values(resolve(old, fa)), _enum_values(resolve(new, fb))
        if (ea is not None or eb is not None) and "$ref" not in fa:
            added = [v for v in eb or () if v not in (ea or ())]
            removed = [v for v in ea or () if v not in (eb or ())]
            if added:
                changes.append((f"field `{field}`: enum values added: {', '.join(map(repr, added))}", ADDITIVE))
            if removed:
                changes.append((f"field `{field}`: enum values removed: {', '.join(map(repr, removed))}", BREAKING))
    return changes


def _table(rows: Sequence[Sequence[str]], header: tuple[str, ...]) -> Iterator[str]:
    yield "| " + " | ".join(header) + " |"
    yield "|" + "|".join("---" for _ in header) + "|"
    for row in rows:
        yield "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"


class _Comparison(NamedTuple):
    old_ops: dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]]
    new_ops: dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]]
    old_names: dict[str, Name]
    new_names: dict[str, Name]
    added: list[tuple[str, str]]
    removed: list[tuple[str, str]]
    changed: list[tuple[tuple[str, str], list[tuple[str, Level]]]]
    renamed: list[tuple[str, str, str]]
    models_added: list[str]
    models_removed: list[str]
    models_changed: list[tuple[str, list[tuple[str, Level]]]]


def _compare(old: Spec, new: Spec, table: NameTable) -> _Comparison:
    old_names, new_names = table.assign(old), table.assign(new)
    old_ops, new_ops = _operations(old), _operations(new)
    changed = []
    renamed = []
    for key in sorted(set(old_ops) & set(new_ops)):
        diffs = _operation_changes(old, new, old_ops[key], new_ops[key])
        if diffs:
            changed.append((key, diffs))
        sdk_a, sdk_b = _sdk(old_names, old_ops[key][2]), _sdk(new_names, new_ops[key][2])
        if sdk_a != sdk_b:
            renamed.append((f"`{key[0]} {new_ops[key][0]}`", sdk_a, sdk_b))
    old_schemas, new_schemas = old["components"]["schemas"], new["components"]["schemas"]
    sent = request_models(old) | request_models(new)
    return _Comparison(
        old_ops,
        new_ops,
        old_names,
        new_names,
        sorted(set(new_ops) - set(old_ops)),
        sorted(set(old_ops) - set(new_ops)),
        changed,
        renamed,
        sorted(set(new_schemas) - set(old_schemas)),
        sorted(set(old_schemas) - set(new_schemas)),
        [
            (name, diffs)
            for name in sorted(set(old_schemas) & set(new_schemas))
            if (diffs := _model_changes(old, new, name, sent=name in sent))
        ],
    )


def changes(old: Spec, new: Spec, table: NameTable) -> list[Change]:
    """Every change of the report from ``old`` to ``new``, each with its level."""
    c = _compare(old, new, table)
    out = [
        Change(f"`{k[0]} {c.new_ops[k][0]}`", f"operation added ({_sdk(c.new_names, c.new_ops[k][2])})", ADDITIVE)
        for k in c.added
    ]
    out += [
        Change(f"`{k[0]} {c.old_ops[k][0]}`", f"operation removed ({_sdk(c.old_names, c.old_ops[k][2])})", BREAKING)
        for k in c.removed
    ]
    out += [Change(route_, f"SDK method renamed: {a} -> {b}", BREAKING) for route_, a, b in c.renamed]
    for key, diffs in c.changed:
        subject = f"`{key[0]} {c.new_ops[key][0]}` ({_sdk(c.new_names, c.new_ops[key][2])})"
        out += [Change(subject, text, level) for text, level in diffs]
    out += [Change(f"`{m}`", "model added", ADDITIVE) for m in c.models_added]
    out += [Change(f"`{m}`", "model removed", BREAKING) for m in c.models_removed]
    out += [Change(f"`{name}`", text, level) for name, diffs in c.models_changed for text, level in diffs]
    return out


def documentation_changes(old: Spec, new: Spec) -> list[Change]:
    """Operations and models whose summary or descriptions changed (not part of the report: between two versions
    they are noise; between two pins of one version they tell a documentation-only change from no change)."""
    out = []
    old_ops, new_ops = _operations(old), _operations(new)
    for key in sorted(set(old_ops) & set(new_ops)):
        a, b = old_ops[key][2], new_ops[key][2]
        texts = [f"{k} changed" for k in ("summary", "description") if a.get(k) != b.get(k)]
        out += [Change(f"`{key[0]} {new_ops[key][0]}`", text, DOCUMENTATION) for text in texts]
    old_schemas, new_schemas = old["components"]["schemas"], new["components"]["schemas"]
    for name in sorted(set(old_schemas) & set(new_schemas)):
        a, b = old_schemas[name], new_schemas[name]
        if not (isinstance(a, dict) and isinstance(b, dict)):
            continue
        (props_a, _), (props_b, _) = _properties(old, a), _properties(new, b)
        fields = [
            f
            for f in sorted(set(props_a) & set(props_b))
            if isinstance(props_a[f], dict)
            and isinstance(props_b[f], dict)
            and props_a[f].get("description") != props_b[f].get("description")
        ]
        if a.get("description") != b.get("description"):
            out.append(Change(f"`{name}`", "description changed", DOCUMENTATION))
        out += [Change(f"`{name}`", f"field `{f}`: description changed", DOCUMENTATION) for f in fields]
    return out


def report(old_pin: Pin, old: Spec, new_pin: Pin, new: Spec, table: NameTable) -> str:
    """The Markdown report of what changes from ``old_pin`` to ``new_pin``."""
    c = _compare(old, new, table)
    old_ops, new_ops, old_names, new_names = c.old_ops, c.new_ops, c.old_names, c.new_names
    added, removed, changed, renamed = c.added, c.removed, c.changed, c.renamed
    models_added, models_removed, models_changed = c.models_added, c.models_removed, c.models_changed
    old_schemas, new_schemas = old["components"]["schemas"], new["components"]["schemas"]
    out = [
        f"# API changes: {old_pin.name} -> {new_pin.name}",
        "",
        f'What changes for code that moves from `version="{old_pin.name}"` to `version="{new_pin.name}"`, '
        f"computed from the normalised specs (`make api-diff FROM={old_pin.name} TO={new_pin.name}`). Routes are "
        "matched by method and path, parameter names ignored; models by component name.",
        "",
        "| | operations | models |",
        "|---|---|---|",
        f"| {old_pin.name} | {len(old_ops)} | {len(old_schemas)} |",
        f"| {new_pin.name} | {len(new_ops)} | {len(new_schemas)} |",
        f"| added / removed / changed | {len(added)} / {len(removed)} / {len(changed)} | "
        f"{len(models_added)} / {len(models_removed)} / {len(models_changed)} |",
        "",
    ]
    added_rows = [(f"`{k[0]} {new_ops[k][0]}`", _sdk(new_names, new_ops[k][2])) for k in added]
    removed_rows = [(f"`{k[0]} {old_ops[k][0]}`", _sdk(old_names, old_ops[k][2])) for k in removed]
    out += _section("Operations added", [*_table(added_rows, ("route", "SDK method"))] if added else [])
    out += _section("Operations removed", [*_table(removed_rows, ("route", "SDK method"))] if removed else [])
    if renamed:
        out += _section("SDK methods renamed", [*_table(renamed, ("route", old_pin.name, new_pin.name))])
    out += _section(
        "Operations changed",
        _nested(
            (f"`{key[0]} {new_ops[key][0]}` ({_sdk(new_names, new_ops[key][2])})", [t for t, _ in diffs])
            for key, diffs in changed
        ),
    )
    out += _section("Models added", [", ".join(f"`{m}`" for m in models_added)] if models_added else [])
    out += _section("Models removed", [", ".join(f"`{m}`" for m in models_removed)] if models_removed else [])
    out += _section("Models changed", _nested((f"`{name}`", [t for t, _ in diffs]) for name, diffs in models_changed))
    return "\n".join(out).rstrip() + "\n"


def _section(title: str, lines: Sequence[str]) -> list[str]:
    """A report section: its lines, or "None." when it has none."""
    return [f"## {title}", "", *(lines or ["None."]), ""]


def _nested(entries: Iterable[tuple[str, Sequence[str]]]) -> list[str]:
    """``- entry`` lines, each followed by its ``  - detail`` lines."""
    return [line for head, details in entries for line in (f"- {head}", *(f"  - {d}" for d in details))]


def _numbered(name: str) -> tuple[int, ...] | None:
    return tuple(int(p) for p in name.split(".")) if re.fullmatch(r"\d+(\.\d+)*", name) else None


def report_pairs(pins: list[Pin]) -> list[tuple[Pin, Pin]]:
    """Consecutive pairs: the numbered versions in order; each named line (Unstable, Preview) after the one
    before it in pin order; and the newest numbered version to the last named one (its successor line)."""
    numbered = sorted((p for p in pins if _numbered(p.name)), key=lambda p: _numbered(p.name) or ())
    named = [p for p in pins if not _numbered(p.name)]
    pairs = list(zip(numbered, numbered[1:], strict=False))
    pairs += list(zip(named, named[1:], strict=False))
    if numbered and named:
        pairs.append((numbered[-1], named[-1]))
    return pairs


def report_path(folder: Path, old: Pin, new: Pin) -> Path:
    return folder / f"{old.name}-to-{new.name}.md"
