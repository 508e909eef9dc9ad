"""Valid request arguments for any operation, built from the normalised OpenAPI 3.0 spec.

``SpecValues(spec).arguments(method, path)`` returns the required path, query and header parameters and
the request body of one operation. Values come from the schemas: ``$ref`` resolved, ``allOf`` merged, the
first ``oneOf``/``anyOf`` branch whose value validates, enums, defaults, formats and bounds honoured.
Examples are used only where they validate against their own schema: about 17 request examples per
version do not (wrong types, missing required keys), and Prism would rightly reject them.

``SpecValues.errors(schema, value)`` is the validator behind that choice: the subset of OpenAPI 3.0 schema
semantics the Intercom specs use (type and ``nullable``, enum, required, properties,
``additionalProperties``, items, string/number/array bounds, pattern, the common formats,
``allOf``/``anyOf``/``oneOf`` with "exactly one" for ``oneOf``), close to what Prism's validator enforces.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

_FORMATS = {
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "uri": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"),
    "url": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"),
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
    "date-time": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"),
    "date": re.compile(r"^\d{4}-\d\d-\d\d$"),
    "ipv4": re.compile(r"^(\d{1,3}\.){3}\d{1,3}$"),
}
_FORMAT_SAMPLES = {
    "email": "jane.doe@example.com",
    "uri": "https://example.com/path",
    "url": "https://example.com/path",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "date-time": "2024-01-01T12:00:00Z",
    "date": "2024-01-01",
    "ipv4": "192.0.2.1",
}
_JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "null": lambda v: v is None,
}
_MAX_DEPTH = 12


@dataclass
class Arguments:
    """What to send for one operation. ``body`` is ``None`` when the operation takes none."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    body_from_example: bool = False
    body_schema: dict[str, Any] | None = None


class SpecValues:
    """Schema-driven values for one normalised spec (a parsed JSON document)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    # ------------------------------------------------------------------ references

    def resolve(self, node: Any) -> Any:
        """Follow ``$ref`` (local JSON pointers) until a node without one."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                raise ValueError(f"unresolvable $ref {ref!r}")
            seen.add(ref)
            node = self.spec
            for part in ref[2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def operation(self, method: str, path: str) -> dict[str, Any]:
        return self.spec["paths"][path][method.lower()]

    # ------------------------------------------------------------------ validation

    def errors(self, schema: Any, value: Any, where: str = "$") -> list[str]:
        """What is wrong with ``value`` under ``schema`` (empty when it validates)."""
        s = self.resolve(schema)
        if not isinstance(s, dict) or not s:
            return []
        if value is None:
            if s.get("nullable") or s.get("type") == "null":
                return []
            if "type" in s or "enum" in s:
                return [f"{where}: null"]
        problems: list[str] = []
        for part in s.get("allOf", []):
            problems += self.errors(part, value, where)
        if "anyOf" in s and not any(not self.errors(b, value, where) for b in s["anyOf"]):
            problems.append(f"{where}: matches no anyOf branch")
        if "oneOf" in s:
            matching = sum(1 for b in s["oneOf"] if not self.errors(b, value, where))
            if matching != 1:
                problems.append(f"{where}: matches {matching} oneOf branches, not exactly 1")
        kind = s.get("type")
        if kind and not _JSON_TYPES.get(kind, lambda v: True)(value):
            return [*problems, f"{where}: expected {kind}, got {type(value).__name__}"]
        if "enum" in s and value not in s["enum"]:
            problems.append(f"{where}: {value!r} not in enum {s['enum']}")
        if isinstance(value, str):
            if len(value) < s.get("minLength", 0) or len(value) > s.get("maxLength", len(value)):
                problems.append(f"{where}: string length {len(value)} out of bounds")
            if "pattern" in s and not re.search(s["pattern"], value):
                problems.append(f"{where}: {value!r} does not match {s['pattern']!r}")
            fmt = _FORMATS.get(s.get("format", ""))
            if fmt is not None and not fmt.match(value):
                problems.append(f"{where}: {value!r} is not a {s['format']}")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in s and (value < s["minimum"] or (s.get("exclusiveMinimum") and value == s["minimum"])):
                problems.append(f"{where}: {value} below minimum {s['minimum']}")
            if "maximum" in s and (value > s["maximum"] or (s.get("exclusiveMaximum") and value == s["maximum"])):
                problems.append(f"{where}: {value} above maximum {s['maximum']}")
        elif isinstance(value, list):
            if len(value) < s.get("minItems", 0) or len(value) > s.get("maxItems", len(value)):
                problems.append(f"{where}: {len(value)} items out of bounds")
            if "items" in s:
                for i, item in enumerate(value):
                    problems += self.errors(s["items"], item, f"{where}[{i}]")
        elif isinstance(value, dict):
            props = s.get("properties", {})
            for name in s.get("required", []):
                if name not in value:
                    problems.append(f"{where}.{name}: required")
            extra = s.get("additionalProperties", True)
            for key, item in value.items():
                if key in props:
                    problems += self.errors(props[key], item, f"{where}.{key}")
                elif extra is False:
                    problems.append(f"{where}.{key}: not allowed (additionalProperties: false)")
                elif isinstance(extra, dict):
                    problems += self.errors(extra, item, f"{where}.{key}")
            if len(value) < s.get("minProperties", 0):
                problems.append(f"{where}: fewer than {s['minProperties']} properties")
        return problems

    def valid(self, schema: Any, value: Any) -> bool:
        return not self.errors(schema, value)

    # ------------------------------------------------------------------ building

    def _merge_all_of(self, s: dict[str, Any]) -> dict[str, Any]:
        """One schema with the properties, required keys and type of ``s`` and its ``allOf`` parts."""
        merged: dict[str, Any] = {k: v for k, v in s.items() if k != "allOf"}
        props = dict(merged.get("properties", {}))
        required = list(merged.get("required", []))
        for part in s.get("allOf", []):
            p = self.resolve(part)
            if "allOf" in p:
                p = self._merge_all_of(p)
            for key, value in p.items():
                if key == "properties":
                    props = {**value, **props}
                elif key == "required":
                    required += [r for r in value if r not in required]
                elif key not in merged:
                    merged[key] = value
        if props:
            merged["properties"] = props
        if required:
            merged["required"] = required
        return merged

    def build(self, schema: Any, *, use_examples: bool = True, depth: int = 0) -> Any:
        """A value valid under ``schema``: the example if it validates, else one built from the schema."""
        s = self.resolve(schema)
        if not isinstance(s, dict):
            return "value"
        if use_examples:
            for key in ("example", "default"):
                if key in s and s[key] is not None and self.valid(s, s[key]):
                    return copy.deepcopy(s[key])
        if "enum" in s:
            choices = [v for v in s["enum"] if v is not None]
            return choices[0] if choices else None
        for key in ("oneOf", "anyOf"):
            if key in s:
                rest = {k: v for k, v in s.items() if k != key}
                first = None
                branches = [b for b in s[key] if self.resolve(b).get("type") != "null"] or s[key]
                for branch in branches:  # a value, not null, whenever the schema allows one
                    candidate = self.build({**rest, "allOf": [*rest.get("allOf", []), branch]}, depth=depth + 1)
                    first = candidate if first is None else first
                    if self.valid(s, candidate):
                        return candidate
                    candidate = self.build(
                        {**rest, "allOf": [*rest.get("allOf", []), branch]}, use_examples=False, depth=depth + 1
                    )
                    if self.valid(s, candidate):
                        return candidate
                return first
        if "allOf" in s:
            merged = self._merge_all_of(s)
            if use_examples and "example" in merged and self.valid(s, merged["example"]):
                return copy.deepcopy(merged["example"])
            merged.pop("example", None)
            return self.build(merged, use_examples=use_examples, depth=depth + 1)
        kind = s.get("type") or ("object" if "properties" in s else None)
        if kind == "object":
            return self._build_object(s, use_examples, depth)
        if kind == "array":
            count = max(s.get("minItems", 1), 1) if depth < _MAX_DEPTH else s.get("minItems", 0)
            count = min(count, s.get("maxItems", count))
            items = [self.build(s.get("items", {}), use_examples=use_examples, depth=depth + 1) for _ in range(count)]
            if s.get("uniqueItems") and isinstance(items[0] if items else None, str):
                items = [f"{v}{i}" if i else v for i, v in enumerate(items)]
            return items
        if kind == "integer":
            return self._number(s, 1)
        if kind == "number":
            return self._number(s, 1.5)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(s)

    def _build_object(self, s: dict[str, Any], use_examples: bool, depth: int) -> dict[str, Any]:
        props = s.get("properties", {})
        wanted = [n for n in s.get("required", [])]
        if len(wanted) < s.get("minProperties", 0):
            wanted += [n for n in props if n not in wanted][: s["minProperties"] - len(wanted)]
        out = {}
        for name in wanted:
            out[name] = self.build(props.get(name, {"type": "string"}), use_examples=use_examples, depth=depth + 1)
        if len(out) < s.get("minProperties", 0) and isinstance(s.get("additionalProperties"), dict):
            out["key"] = self.build(s["additionalProperties"], use_examples=use_examples, depth=depth + 1)
        return out

    @staticmethod
    def _number(s: dict[str, Any], fallback: float) -> float:
        low, high = s.get("minimum"), s.get("maximum")
        value = fallback if low is None else low + (1 if s.get("exclusiveMinimum") else 0)
        if high is not None and value > high:
            value = high
        return int(value) if s.get("type") == "integer" else value

    @staticmethod
    def _string(s: dict[str, Any]) -> str:
        value = _FORMAT_SAMPLES.get(s.get("format", ""), "example")
        low, high = s.get("minLength", 0), s.get("maxLength")
        if len(value) < low:
            value = value + "x" * (low - len(value))
        if high is not None:
            value = value[:high]
        return value

    # ------------------------------------------------------------------ operations

    def media_examples(self, media: dict[str, Any]) -> list[Any]:
        """The examples of a media type object, in document order."""
        out = []
        if "example" in media:
            out.append(media["example"])
        for example in (media.get("examples") or {}).values():
            example = self.resolve(example)
            if "value" in example:
                out.append(example["value"])
        return out

    def arguments(self, method: str, path: str, *, optional_query: bool = False) -> Arguments:
        """Valid required parameters (optionally every query parameter) and body for one operation."""
        op = self.operation(method, path)
        item = self.spec["paths"][path]
        args = Arguments()
        params = {}
        for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
            p = self.resolve(raw)
            params[(p["in"], p["name"])] = p
        for (where, name), p in params.items():
            if not p.get("required") and not (optional_query and where == "query"):
                continue
            schema = p.get("schema", {"type": "string"})
            value = None
            for candidate in [p["example"]] if "example" in p else self.media_examples(p):
                if self.valid(schema, candidate):
                    value = copy.deepcopy(candidate)
                    break
            if value is None:
                value = self.build(schema)
            {"path": args.path, "query": args.query, "header": args.headers}.get(where, {})[name] = value
        body = op.get("requestBody")
        if body is not None:
            body = self.resolve(body)
            media = body.get("content", {}).get("application/json")
            if media is not None:
                schema = media.get("schema", {})
                args.has_body = True
                args.body_schema = schema
                for example in self.media_examples(media):
                    if self.valid(schema, example):
                        args.body = copy.deepcopy(example)
                        args.body_from_example = True
                        break
                else:
                    args.body = self.build(schema)
        return args

    def invalid_request_examples(self) -> list[tuple[str, str, list[str]]]:
        """``(METHOD, path, problems)`` for each operation whose first JSON request example fails its schema."""
        out = []
        for path, item in self.spec["paths"].items():
            for method, op in item.items():
                if not isinstance(op, dict) or "requestBody" not in op:
                    continue
                media = self.resolve(op["requestBody"]).get("content", {}).get("application/json")
                if media is None:
                    continue
                for example in self.media_examples(media):
                    problems = self.errors(media.get("schema", {}), example)
                    if problems:
                        out.append((method.upper(), path, problems))
                        break
        return out
