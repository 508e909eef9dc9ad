"""``intercom_async/<module>/examples.json``: the documented response example of every operation, for the testing kit.

``intercom_async.testing`` (the fake Intercom users run in their tests) answers each operation with the spec's
own example. The installed SDK has no spec files, so ``make generate`` writes, per version, the first
documented 2xx JSON example of each operation (the lowest 2xx status; its first named example, else its
``example``), as the normalised spec has it. Operations without one are left out: the kit builds a minimal
valid body from the model's field table instead. Only the kit reads the file (lazily); the client never does.

The file is JSON with one operation per line, sorted by operationId (small diffs when the spec moves), so the
output depends only on the pinned spec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .normalize import operations, resolve

FILE_NAME = "examples.json"
FORMAT = 1


def success_example(spec: dict[str, Any], op: dict[str, Any]) -> tuple[int, Any] | None:
    """``(status, value)`` of the operation's first documented 2xx JSON example, or ``None``."""
    for status, response in sorted(op.get("responses", {}).items()):
        if not (status.isdigit() and 200 <= int(status) < 300):
            continue
        media = resolve(spec, response).get("content", {}).get("application/json")
        if not media:
            return None
        for example in media.get("examples", {}).values():
            example = resolve(spec, example)
            if isinstance(example, dict) and "value" in example:
                return int(status), example["value"]
        if "example" in media:
            return int(status), media["example"]
        return None
    return None


def collect(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{operationId: {"status": int, "example": value}}`` for every operation with a documented example."""
    out: dict[str, dict[str, Any]] = {}
    for _path, _method, op in operations(spec):
        found = success_example(spec, op) if "operationId" in op else None
        if found is not None:
            out[op["operationId"]] = {"status": found[0], "example": found[1]}
    return out


def render(version: str, spec: dict[str, Any]) -> str:
    examples = collect(spec)
    lines = [
        json.dumps(key, ensure_ascii=False)
        + ": "
        + json.dumps(examples[key], ensure_ascii=False, separators=(",", ":"))
        for key in sorted(examples)
    ]
    head = f'{{"format": {FORMAT}, "version": {json.dumps(version)}, "responses": {{\n'
    return head + ",\n".join(lines) + "\n}}\n"


def write(version: str, spec: dict[str, Any], package: Path) -> None:
    """Write ``package/examples.json``."""
    (package / FILE_NAME).write_text(render(version, spec), encoding="utf-8")
