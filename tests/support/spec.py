"""Read the normalised specs (written by ``python -m codegen normalise``) for registry-driven tests."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import intercom_async

ROOT = Path(__file__).resolve().parents[2]
# API version -> generated module, for every shipped version (derived from the pins through VERSIONS)
VERSIONS = {name: info.module.rpartition(".")[2] for name, info in intercom_async.VERSIONS.items()}
METHODS = ("get", "put", "post", "delete", "patch")


@functools.cache
def load(version: str) -> dict[str, Any]:
    path = ROOT / ".cache" / "openapi" / version / "normalised.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m codegen normalise` (make test does)")
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def published(version: str) -> dict[str, Any]:
    """The pinned spec exactly as Intercom publishes it (the sha256-checked file in the cache)."""
    import yaml

    path = ROOT / ".cache" / "openapi" / version / "api.intercom.io.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m codegen normalise` (make test does)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        parts = node["$ref"].lstrip("#/").split("/")
        target: Any = spec
        for part in parts:
            target = target[part]
        node = target
    return node


def operations(version: str, source: dict[str, Any] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    spec = load(version) if source is None else source
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method.upper(), item[method]


def parameters(version: str, path: str, op: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters, path-item level ones included (operation level wins)."""
    spec = load(version)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*spec["paths"][path].get("parameters", []), *op.get("parameters", [])]:
        param = resolve(spec, param)
        merged[(param["name"], param["in"])] = param
    return list(merged.values())


def response_examples(version: str, source: dict[str, Any] | None = None) -> Iterator[tuple[str, int, str, Any]]:
    """(operationId, status, example name, JSON value) for every documented JSON response example."""
    spec = load(version) if source is None else source
    for _path, _method, op in operations(version, spec):
        for status, response in op["responses"].items():
            response = resolve(spec, response)
            media = response.get("content", {}).get("application/json")
            if not media or not status.isdigit():
                continue
            for name, example in media.get("examples", {}).items():
                example = resolve(spec, example)
                if "value" in example:
                    yield op.get("operationId", ""), int(status), name, example["value"]
            if "example" in media:
                yield op.get("operationId", ""), int(status), "example", media["example"]


def first_success_example(version: str, op: dict[str, Any]) -> tuple[int, Any] | None:
    spec = load(version)
    for status, response in sorted(op["responses"].items()):
        if not (status.isdigit() and 200 <= int(status) < 300):
            continue
        response = resolve(spec, response)
        media = response.get("content", {}).get("application/json")
        if not media:
            return int(status), None
        for example in media.get("examples", {}).values():
            example = resolve(spec, example)
            if "value" in example:
                return int(status), example["value"]
        if "example" in media:
            return int(status), media["example"]
        schema = resolve(spec, media.get("schema", {}))
        return int(status), ([] if schema.get("type") == "array" else {"undocumented_example": True})
    return None


def route(method: str, path: str) -> tuple[str, str]:
    """An operation's identity across versions: method and path without parameter names."""
    return method.upper(), re.sub(r"{[^}]+}", "{}", path)


def _snake_words(text: str) -> str:
    text = re.sub(r"[^0-9A-Za-z]+", "_", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return text.strip("_").lower()


@functools.cache
def intercom_names() -> dict[tuple[str, str], tuple[str, str]]:
    """``route -> (dotted group, method)`` from Intercom's naming table (fetched into the cache by codegen)."""
    import yaml

    out: dict[tuple[str, str], tuple[str, str]] = {}
    folder = ROOT / ".cache" / "openapi" / "naming"
    files = sorted(folder.glob("*.yml"), key=lambda p: p.name.startswith("preview"))
    if not files:
        raise FileNotFoundError(f"{folder} is empty: run `python -m codegen normalise` (make test does)")
    for file in files:
        for path, item in (yaml.safe_load(file.read_text(encoding="utf-8")).get("paths") or {}).items():
            for method, op in (item or {}).items():
                if isinstance(op, dict) and "x-fern-sdk-method-name" in op:
                    group = ".".join(_snake_words(g) for g in op["x-fern-sdk-group-name"])
                    out[route(method, path)] = (group, _snake_words(op["x-fern-sdk-method-name"]))
    return out
