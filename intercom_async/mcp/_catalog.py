"""The tool catalogue: one tool per operation of a version, its input schema, its kind and the allow-list.

Pure data, no MCP and no I/O beyond reading the version's ``tools.json`` (written by ``codegen/tools.py`` from
the normalised spec the package is generated from): the server (``_server``) lists and calls what this module
describes, and the tests check every schema of every version without starting a server.

**Names.** A tool is named from the SDK method: ``conversations.reply`` -> ``conversations_reply``,
``help_centers.collections.list`` -> ``help_centers_collections_list``.

**Input.** Path, query and header parameters are top-level arguments under their JSON names; the JSON request
body is the ``body`` argument (an object, or one of the union's branches). A paginated operation takes
``limit`` (items to return, 1-``MAX_LIMIT``) and ``cursor`` (opaque, from the previous result) instead of its
own paging parameters (``starting_after``, ``page``, ``per_page``, ``scroll_param``).

**Kinds** (documented rules, by HTTP method and SDK method name):

* *read*: ``GET``, or a ``POST`` whose method name starts with ``search`` or ``list`` (``contacts.search``,
  ``companies.list``);
* *destructive*: ``DELETE`` (deletes, detaches, untags, unlinks), or a method name containing one of the words
  ``delete``, ``merge``, ``archive``, ``redact``, ``block``, ``erase``, ``purge``, ``remove``
  (``contacts.archive``, ``conversations.merge``, ``conversations.redact_conversation_part``,
  ``companies.bulk_delete``); ``unarchive`` is not;
* *write*: every other operation.

**Policy.** Read tools are always offered. A write or destructive tool is offered only when it matches an
``allow`` pattern (``conversations.reply``, ``tags.*``, ``*``; matched against the SDK name, the tool name and
the operationId), and a destructive one also needs ``allow_destructive``. A tool that is not offered is
refused by name, with the flag that would enable it, before any request is built.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .._json import loads
from .._operation import Operation, Registry

__all__ = ["MAX_LIMIT", "Catalog", "Policy", "ToolSpec", "kind_of", "tool_name"]

MAX_LIMIT = 100  # items a paged tool returns at most per call
DEFAULT_LIMIT = 20
RESERVED = ("body", "limit", "cursor")
_DESTRUCTIVE_WORDS = frozenset({"delete", "merge", "archive", "redact", "block", "erase", "purge", "remove"})
_READ_PREFIXES = ("search", "list")
_PAGING_PARAMS = frozenset({"starting_after", "page", "per_page", "scroll_param"})
_REF = re.compile(r'"\$ref":\s*"#/\$defs/([^"]+)"')


def tool_name(op: Operation) -> str:
    """``conversations.reply`` -> ``conversations_reply``."""
    return op.qualname.replace(".", "_")


def kind_of(op: Operation) -> str:
    """``"read"``, ``"write"`` or ``"destructive"`` by the rules of the module docstring."""
    if op.method in ("GET", "HEAD"):
        return "read"
    if op.method == "POST" and op.name.startswith(_READ_PREFIXES):
        return "read"
    if op.method == "DELETE" or _DESTRUCTIVE_WORDS & set(op.name.split("_")):
        return "destructive"
    return "write"


@dataclass(frozen=True)
class Policy:
    """Which tools are offered: reads always; writes matching ``allow``; destructive ones also need
    ``allow_destructive``."""

    allow: tuple[str, ...] = ()
    allow_destructive: bool = False

    @classmethod
    def parse(cls, allow: Iterable[str] | str | None, allow_destructive: bool = False) -> Policy:
        """``allow`` as given on the command line: comma-separated patterns (or a list of them)."""
        items = allow.split(",") if isinstance(allow, str) else list(allow or ())
        patterns = tuple(p.strip() for p in items if p and p.strip())
        return cls(patterns, allow_destructive)

    def matches(self, op: Operation) -> bool:
        names = (op.qualname, tool_name(op), op.operation_id)
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.allow for name in names)

    def refusal(self, op: Operation, kind: str) -> str | None:
        """``None`` when the policy allows ``op``, else the message explaining what would allow it."""
        if kind == "read":
            return None
        what = f"{tool_name(op)} ({op.method} {op.path}) is a {'destructive ' if kind == 'destructive' else ''}write"
        if not self.matches(op):
            return (
                f"refused: {what}; this server offers read-only tools unless writes are allowed "
                f"(start it with --allow {op.qualname} or --allow {op.resource or op.name}.*)"
            )
        if kind == "destructive" and not self.allow_destructive:
            return f"refused: {what}; destructive operations also need --allow-destructive"
        return None

    def describe(self) -> str:
        if not self.allow:
            return "read-only"
        return f"writes allowed: {','.join(self.allow)}" + ("; destructive allowed" if self.allow_destructive else "")


@dataclass
class ToolSpec:
    """One operation as a tool."""

    name: str
    op: Operation
    kind: str
    title: str
    description: str
    input_schema: dict[str, Any]
    params: dict[str, tuple[str, str]] = field(default_factory=dict)  # argument -> (JSON name, location)
    paged: bool = False
    page_size_in: str = ""  # paged: where the page size goes, "query" (``per_page``), "body" (body cursor) or ""

    @property
    def annotations(self) -> dict[str, Any]:
        """MCP tool annotations (hints): readOnly, destructive, idempotent, openWorld."""
        return {
            "title": self.title,
            "readOnlyHint": self.kind == "read",
            "destructiveHint": self.kind == "destructive",
            "idempotentHint": self.op.method in ("GET", "HEAD", "PUT", "DELETE") or self.kind == "read",
            "openWorldHint": True,
        }


def load_tools_json(registry: Registry) -> dict[str, Any]:
    """The version's ``tools.json`` (see ``codegen/tools.py``)."""
    package = registry.models.__name__.rsplit(".", 1)[0]
    data: dict[str, Any] = loads(resources.files(package).joinpath("tools.json").read_bytes())  # the package's decoder
    return data


def _reachable(schema: Any, defs: Mapping[str, Any]) -> dict[str, Any]:
    """The ``$defs`` ``schema`` reaches, transitively, sorted by name."""
    found: dict[str, Any] = {}
    todo = _REF.findall(json.dumps(schema))
    while todo:
        name = todo.pop()
        if name in found or name not in defs:
            continue
        found[name] = defs[name]
        todo.extend(_REF.findall(json.dumps(defs[name])))
    return dict(sorted(found.items()))


class Catalog:
    """Every operation of ``registry`` as a ``ToolSpec`` (``catalog.tools``: by tool name, in name order),
    and ``policy``'s view of them (``offered``)."""

    def __init__(self, registry: Registry, policy: Policy | None = None) -> None:
        self.registry = registry
        self.version = registry.version
        self.policy = policy or Policy()
        data = load_tools_json(registry)
        self._defs: dict[str, Any] = data.get("defs", {})
        ops: dict[str, Any] = data.get("operations", {})
        built = [self._build(op, ops.get(op.operation_id, {})) for op in registry.values()]
        self.tools: dict[str, ToolSpec] = {t.name: t for t in sorted(built, key=lambda t: t.name)}
        self.by_operation = {t.op.operation_id: t for t in built}
        if len(self.tools) != len(built):
            raise ValueError(f"Intercom API {self.version}: two operations give the same tool name")

    # ------------------------------------------------------------------ lookup

    def find(self, name: str) -> ToolSpec | None:
        """A tool by tool name, SDK name (``conversations.reply``) or operationId."""
        if not isinstance(name, str):
            return None
        return self.tools.get(name) or self.by_operation.get(name) or self.tools.get(name.replace(".", "_"))

    def refusal(self, tool: ToolSpec) -> str | None:
        return self.policy.refusal(tool.op, tool.kind)

    def offered(self) -> list[ToolSpec]:
        """The tools the policy allows, in name order."""
        return [t for t in self.tools.values() if self.refusal(t) is None]

    def groups(self) -> dict[str, list[ToolSpec]]:
        """Offered tools by top-level group (``help_centers`` holds ``help_centers.collections.*`` too)."""
        out: dict[str, list[ToolSpec]] = {}
        for tool in self.offered():
            out.setdefault(tool.op.resource.split(".")[0] or tool.op.name, []).append(tool)
        return out

    # ------------------------------------------------------------------ building

    def _build(self, op: Operation, info: Mapping[str, Any]) -> ToolSpec:
        schemas: Mapping[str, Any] = info.get("params") or {}
        paged = op.pagination is not None
        properties: dict[str, Any] = {}
        required: list[str] = []
        params: dict[str, tuple[str, str]] = {}
        for _py, json_name, where, is_required in op.params:
            if paged and where == "query" and json_name in _PAGING_PARAMS:
                continue  # limit and cursor stand for them
            if json_name in RESERVED and (json_name == "body" or paged):
                raise ValueError(f"{op.operation_id}: parameter {json_name!r} clashes with a reserved argument")
            param = dict(schemas.get(json_name) or {})
            if where == "path" and "type" not in param and "$ref" not in param and "allOf" not in param:
                param["type"] = "string"
            properties[json_name] = param
            params[json_name] = (json_name, where)
            if is_required or where == "path":
                required.append(json_name)
        body = info.get("body")
        if op.body is not None or body is not None:
            properties["body"] = body if body is not None else {"type": "object"}
            if op.body_required:
                required.append("body")
        if paged:
            properties["limit"] = {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
                "description": f"items to return (at most {MAX_LIMIT})",
            }
            properties["cursor"] = {
                "type": "string",
                "description": "next_cursor of the previous result, to read on; omit for the first items",
            }
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        if required:
            schema["required"] = required
        defs = _reachable(properties, self._defs)
        if defs:
            schema["$defs"] = defs
        summary = info.get("summary") or op.qualname
        text = info.get("description") or ""
        description = summary if not text or text.startswith(summary) else f"{summary}. {text}"
        page_size_in = ""
        if paged:
            description += " Paged: returns up to `limit` items and a `next_cursor`."
            if any(p[1] == "per_page" for p in op.params):
                page_size_in = "query"
            elif op.pagination is not None and op.pagination.shape == "body_cursor":
                page_size_in = "body"
        return ToolSpec(
            name=tool_name(op),
            op=op,
            kind=kind_of(op),
            title=summary,
            description=description,
            input_schema=schema,
            params=params,
            paged=paged,
            page_size_in=page_size_in,
        )
