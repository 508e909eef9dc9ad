"""Every documented request-body example of every version, sent two ways against a real HTTP server on 127.0.0.1:
its fields as keyword arguments (``notes.create(cid, body="Hello", admin_id="1")``; a field named like a Python
keyword spelt ``from_``) and the whole example as ``request_body=``. Both must send exactly the example's JSON,
except that an example missing a required field of every shape of the body (Intercom documents some 400s with
their request, ``bad_request``) is refused before sending when built from keyword arguments.

The examples are read from the normalised spec (``components``' examples included), independently of the
generated code; an operation documents one or more (each is a case).
"""

from __future__ import annotations

import importlib
import json
import keyword
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from intercom_async import InvalidRequestError
from tests.support import loopback, spec

TOKEN = "tok-body-examples-secret"


def _examples(version: str, op: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(name, JSON object)`` of each documented example of the operation's JSON request body."""
    document = spec.load(version)
    body = spec.resolve(document, op.get("requestBody", {}))
    media = body.get("content", {}).get("application/json") or {}
    found = []
    for name, example in (media.get("examples") or {}).items():
        example = spec.resolve(document, example)
        if isinstance(example.get("value"), dict):
            found.append((name, example["value"]))
    if not found and isinstance(media.get("example"), dict):
        found.append(("example", media["example"]))
    return found


CASES = [
    pytest.param(version, path, method, op, example, id=f"{version}-{op['operationId']}-{name}")
    for version in spec.VERSIONS
    for path, method, op in spec.operations(version)
    for name, example in _examples(version, op)
]


def _required_sets(document: dict[str, Any], schema: Any) -> list[set[str]]:
    """The required fields of each shape the body schema allows (one per ``oneOf``/``anyOf`` branch), ``allOf``
    parts merged."""
    schema = spec.resolve(document, schema)
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        return [s for b in branches for s in _required_sets(document, b)]
    required = set(schema.get("required") or ())
    for part in schema.get("allOf") or ():
        required |= set().union(*_required_sets(document, part))
    return [required]


def complete(version: str, op: dict[str, Any], example: dict[str, Any]) -> bool:
    """Does the example give every required field of one shape of the body? (Some document a 400: ``bad_request``.)"""
    document = spec.load(version)
    body = spec.resolve(document, op["requestBody"])
    schema = body["content"]["application/json"].get("schema", {})
    return any(required <= example.keys() for required in _required_sets(document, schema))


def keyword_name(key: str) -> str:
    """The keyword argument of a body field (the SDK's one rule: a Python keyword takes a trailing ``_``)."""
    return key + "_" if keyword.iskeyword(key) else key


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[Any] = []

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.bodies.append(json.loads(raw) if raw else None)
        return web.json_response({"type": "ok"})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    recorder = Recorder()
    async with loopback.serve(recorder.handle) as url, loopback.clients(url, TOKEN) as clients:
        yield recorder, clients


def test_examples_are_found_in_every_version() -> None:
    counts = {version: sum(1 for c in CASES if c.values[0] == version) for version in spec.VERSIONS}
    assert all(n >= 20 for n in counts.values()), counts


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("version", "path", "method", "op", "example"), CASES)
async def test_example_fields_as_keywords_and_as_request_body(server, version, path, method, op, example) -> None:
    recorder, clients = server
    package = importlib.import_module(f"intercom_async.{spec.VERSIONS[version]}")
    registry_op = package.OPERATIONS[op["operationId"]]
    call = registry_op.bind(clients[version])
    positional = [f"{name}-1" for name, _json, where, _required in registry_op.params if where == "path"]
    required = {name: "x" for name, _json, where, is_required in registry_op.params if where != "path" and is_required}

    declared = {key for cls in registry_op.body_models() for key, *_ in cls._FIELDS}
    taken = {name for name, *_ in registry_op.params}
    # an undeclared key named like a parameter (2.16's note examples repeat the path's contact_id) cannot be a
    # keyword argument: it goes the documented way for undeclared fields, extra_body
    kwargs = {keyword_name(k): v for k, v in example.items() if k in declared or k not in taken}
    extra = {k: v for k, v in example.items() if k not in declared and k in taken}
    options = {"request_options": {"extra_body": extra}} if extra else {}

    recorder.bodies.clear()
    if complete(version, op, example):
        await call(*positional, **required, **options, **kwargs)
    else:  # a body missing a required field is refused before sending when it is built from keywords
        with pytest.raises(InvalidRequestError, match="lacks required field|missing required field"):
            await call(*positional, **required, **options, **kwargs)
        recorder.bodies.append(example)
    await call(*positional, **required, request_body=example)  # the whole body: the caller's business
    assert recorder.bodies == [example, example]
