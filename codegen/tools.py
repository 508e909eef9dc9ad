"""``intercom_async/<module>/tools.json``: each operation's parameters and JSON body as JSON Schema, for the MCP server.

``intercom_async.mcp`` offers every operation as a tool whose input schema must agree with what the SDK sends.
The installed SDK has no spec, so ``make generate`` writes, per version, from the same normalised spec the
package is generated from:

* ``operations``: per operationId, a short ``summary``, a ``description`` cut to a useful length (Markdoc
  tags dropped, whitespace folded, cut at a sentence or word boundary), ``params`` (JSON name -> schema, path
  and operation level merged) and ``body`` (the JSON request body's schema, or ``null``);
* ``defs``: the component schemas those reach, once per file, as JSON Schema 2020-12 (``$ref`` to
  ``#/$defs/<Name>``); the server copies into each tool only the ``$defs`` it reaches.

OpenAPI 3.0 becomes JSON Schema: ``nullable`` becomes a ``"null"`` type (or an ``anyOf`` branch),
``readOnly`` properties leave request schemas, boolean ``exclusiveMinimum``/``exclusiveMaximum`` become
numbers, and what a model does not need to fill a call (``example``, ``x-*``, ``xml``, ``discriminator``,
``externalDocs``, ``title``) is dropped; property descriptions are cut short. One operation or definition per
line, sorted, so the output depends only on the pinned spec and a spec change gives a small diff.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .normalize import operations, parameters, resolve

FILE_NAME = "tools.json"
FORMAT = 1
TOOL_DESCRIPTION = 360  # characters of a tool's description (after the summary)
FIELD_DESCRIPTION = 140  # characters of a parameter's or property's description

_COMPONENT = "#/components/schemas/"
_KEEP = ("type", "format", "enum", "default", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems")
_KEEP_MORE = ("maxItems", "uniqueItems", "deprecated")
_MARKDOC = re.compile(r"\{%.*?%\}", re.S)
_LINK = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def cut(text: Any, limit: int) -> str:
    """``text`` without Markdoc tags, Markdown links reduced to their text, whitespace folded, cut at the last
    sentence end (else word) before ``limit`` characters, with an ellipsis when cut."""
    if not isinstance(text, str):
        return ""
    plain = " ".join(_LINK.sub(r"\1", _MARKDOC.sub(" ", text)).split())
    if len(plain) <= limit:
        return plain
    head = plain[: limit - 1]
    end = max(head.rfind(". "), head.rfind(".\n"))
    if end >= limit // 2:
        return head[: end + 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "…"


class _Converter:
    """OpenAPI 3.0 schema objects -> JSON Schema, collecting the component schemas reached."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.defs: dict[str, Any] = {}
        self._pending: list[str] = []

    def schema(self, node: Any) -> Any:
        if not isinstance(node, dict):
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref.startswith(_COMPONENT):
                name = ref[len(_COMPONENT) :]
                if name not in self.defs:
                    self.defs[name] = None  # reserved: a cycle meets it as a $ref
                    self._pending.append(name)
                return {"$ref": "#/$defs/" + name}
            return self.schema(resolve(self.spec, node))
        out: dict[str, Any] = {}
        for key in _KEEP + _KEEP_MORE:
            if key in node:
                out[key] = node[key]
        if "description" in node:
            text = cut(node["description"], FIELD_DESCRIPTION)
            if text:
                out["description"] = text
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            if node.get(key) is True and key.replace("exclusive", "").lower() in out:
                bound = key.replace("exclusiveM", "m")
                out[key] = out.pop(bound)
        if isinstance(node.get("properties"), dict):
            props = {
                name: self.schema(sub)
                for name, sub in node["properties"].items()
                if not (isinstance(sub, dict) and sub.get("readOnly"))
            }
            out["properties"] = props
            required = [name for name in node.get("required", []) if name in props]
            if required:
                out["required"] = required
        if "items" in node:
            out["items"] = self.schema(node["items"])
        extra = node.get("additionalProperties")
        if isinstance(extra, bool):
            out["additionalProperties"] = extra
        elif isinstance(extra, dict):
            out["additionalProperties"] = self.schema(extra)
        for key in ("oneOf", "anyOf", "allOf"):
            if isinstance(node.get(key), list):
                out[key] = [self.schema(sub) for sub in node[key]]
        if node.get("nullable"):
            out = _nullable(out)
        return out

    def drain(self) -> None:
        """Convert every component schema reached so far (and those they reach)."""
        while self._pending:
            name = self._pending.pop()
            node = self.spec.get("components", {}).get("schemas", {}).get(name, {})
            self.defs[name] = self.schema(node)


def _nullable(out: dict[str, Any]) -> dict[str, Any]:
    kind = out.get("type")
    if isinstance(kind, str) and not any(k in out for k in ("oneOf", "anyOf", "allOf")):
        out["type"] = [kind, "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


def collect(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(operations, defs)`` as described in the module docstring."""
    conv = _Converter(spec)
    ops: dict[str, Any] = {}
    for path, _method, op in operations(spec):
        if "operationId" not in op:
            continue
        params: dict[str, Any] = {}
        for param in parameters(spec["paths"][path], op, spec).values():
            if param.get("in") not in ("path", "query", "header"):
                continue
            schema = conv.schema(param.get("schema", {}))
            text = cut(param.get("description"), FIELD_DESCRIPTION)
            if text and "$ref" not in schema:
                schema = {**schema, "description": text}
            elif text:
                schema = {"allOf": [schema], "description": text}
            params[param["name"]] = schema
        body = None
        request_body = resolve(spec, op.get("requestBody"))
        if isinstance(request_body, dict):
            media = request_body.get("content", {}).get("application/json")
            if isinstance(media, dict) and "schema" in media:
                body = conv.schema(media["schema"])
                text = cut(request_body.get("description"), FIELD_DESCRIPTION)
                if text and "description" not in body:
                    body = {**body, "description": text} if "$ref" not in body else body
        ops[op["operationId"]] = {
            "summary": cut(op.get("summary"), 120),
            "description": cut(op.get("description"), TOOL_DESCRIPTION),
            "params": params,
            "body": body,
        }
    conv.drain()
    return ops, conv.defs


def render(version: str, spec: dict[str, Any]) -> str:
    ops, defs = collect(spec)

    def line(key: str, value: Any) -> str:
        return json.dumps(key, ensure_ascii=False) + ": " + json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    head = f'{{"format": {FORMAT}, "version": {json.dumps(version)},\n'
    op_lines = ",\n".join(line(key, ops[key]) for key in sorted(ops))
    def_lines = ",\n".join(line(key, defs[key]) for key in sorted(defs))
    return head + '"operations": {\n' + op_lines + '\n},\n"defs": {\n' + def_lines + "\n}}\n"


def write(version: str, spec: dict[str, Any], package: Path) -> None:
    """Write ``package/tools.json``."""
    (package / FILE_NAME).write_text(render(version, spec), encoding="utf-8")
