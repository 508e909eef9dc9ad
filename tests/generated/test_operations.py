"""Every operation of every version, called through the public client against a real HTTP server on
127.0.0.1. Arguments come from the normalised spec (not from the registry under test): every path and
query parameter is given a value of its declared type, and the body is the documented request example
(as the generated model when the body is a single model, else as a dict). The server records the request
and answers with the first documented 2xx example. Checked: method, path (quoted), query string, JSON
body, ``Authorization`` and ``Intercom-Version`` headers, and that the response parses into the declared
type and round-trips.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
import pytest_asyncio
from aiohttp import web

import intercom_async
from codegen.names import OVERRIDES
from intercom_async._codec import dump
from tests.support import loopback, spec

TOKEN = "tok-operations-secret"


def _sample(schema: dict[str, Any], name: str, version: str) -> Any:
    schema = spec.resolve(spec.load(version), schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return 7
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema.get("items", {}), name, version)]
    if kind == "object" or "oneOf" in schema:
        branch = spec.resolve(spec.load(version), (schema.get("oneOf") or [schema])[0])
        props = branch.get("properties", {})
        return {key: _sample(props[key], key, version) for key in (branch.get("required") or list(props)[:1])}
    return f"{name} 1/x"  # a space and a slash: the client must quote path segments


def _expected_query(name: str, value: Any) -> list[tuple[str, str]]:
    def text(v: Any) -> str:
        return {True: "true", False: "false"}.get(v, str(v)) if isinstance(v, bool) else str(v)

    if isinstance(value, dict):  # style: form, explode: true
        return [(k, text(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [(name, text(v)) for v in value]
    return [(name, text(value))]


def _request_example(version: str, op: dict[str, Any]) -> Any:
    body = spec.resolve(spec.load(version), op.get("requestBody", {}))
    media = body.get("content", {}).get("application/json")
    if media is None:
        return None
    for example in media.get("examples", {}).values():
        example = spec.resolve(spec.load(version), example)
        if "value" in example:
            return example["value"]
    if "example" in media:
        return media["example"]
    return {"probe": "value"}


CASES = [
    pytest.param(version, path, method, op, id=f"{version}-{op['operationId']}")
    for version in spec.VERSIONS
    for path, method, op in spec.operations(version)
]


@pytest.mark.parametrize("version", list(spec.VERSIONS))
def test_every_published_operation_is_generated(version):
    """Counted in the spec as Intercom publishes it (with or without an operationId): every operation is in
    the registry, on the client, and a case of this suite."""
    published = sum(1 for _ in spec.operations(version, spec.published(version)))
    registry = importlib.import_module(f"intercom_async.{spec.VERSIONS[version]}").OPERATIONS
    assert published > 100
    assert len(registry) == published
    assert sum(1 for c in CASES if c.values[0] == version) == published
    client = intercom_async.Intercom("t", version=version)
    assert all(callable(op.bind(client)) for op in registry.values())


class Recorder:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: tuple[int, str, bytes] = (200, "application/json", b"{}")

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            {
                "method": request.method,
                "raw_path": request.raw_path,
                "headers": dict(request.headers),
                "body": await request.read(),
            }
        )
        status, content_type, body = self.reply
        return web.Response(status=status, body=body, headers={"Content-Type": content_type} if body else {})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    recorder = Recorder()
    async with loopback.serve(recorder.handle) as url, loopback.clients(url, TOKEN) as clients:
        yield recorder, clients


def _check_name(registry_op: Any, method: str, path: str) -> None:
    """Intercom's own name where its naming table has one (read here independently of the generator);
    elsewhere a name made of the operationId's words, in a group named after a tag or a table group."""
    key = spec.route(method, path)
    expected = spec.intercom_names().get(key)
    if expected is not None and key not in OVERRIDES:
        assert (registry_op.resource, registry_op.name) == expected
    else:
        assert set(registry_op.name.split("_")) <= set(_snake(registry_op.operation_id).split("_")) | {"for", "list"}


def _snake(text: str) -> str:
    """snake_case words of an operationId."""
    text = re.sub(r"[^0-9A-Za-z]+", "_", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return text.strip("_").lower()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("version", "path", "method", "op"), CASES)
async def test_operation_request_and_response(server, version, path, method, op):
    recorder, clients = server
    client = clients[version]
    package = importlib.import_module(f"intercom_async.{spec.VERSIONS[version]}")
    registry_op = package.OPERATIONS[op["operationId"]]
    assert (registry_op.method, registry_op.path) == (method, path)
    _check_name(registry_op, method, path)
    call = registry_op.bind(client)
    signature = inspect.signature(call)

    kwargs: dict[str, Any] = {}
    expected_path = path
    expected_query: list[tuple[str, str]] = []
    for param in spec.parameters(version, path, op):
        py_name = next(n for n in signature.parameters if _snake(n) == _snake(param["name"]) or n == param["name"])
        value = _sample(param.get("schema", {}), param["name"], version)
        kwargs[py_name] = value
        if param["in"] == "path":
            expected_path = expected_path.replace("{" + param["name"] + "}", quote(str(value), safe=""))
        elif param["in"] == "query":
            expected_query += _expected_query(param["name"], value)
    body = _request_example(version, op)
    if body is not None:
        annotation = str(signature.parameters["request_body"].annotation).split(" | ")[0]
        model = getattr(package.models, annotation, None) if annotation in package.models.__all__ else None
        kwargs["request_body"] = model.from_dict(body) if model is not None and isinstance(body, dict) else body

    success = spec.first_success_example(version, op)
    status, example = success if success else (200, {"type": "unexpected"})
    media = {ct for r in op["responses"].values() for ct in spec.resolve(spec.load(version), r).get("content", {})}
    text_response = "text/plain" in media
    binary_response = "application/octet-stream" in media
    if text_response:
        recorder.reply = (status, "text/plain", b"line one\nline two")
    elif binary_response:
        recorder.reply = (status, "application/octet-stream", b"\x00\x01binary")
    elif example is None:
        recorder.reply = (status, "application/json", b"")
    else:
        recorder.reply = (status, "application/json", json.dumps(example).encode())

    recorder.requests.clear()
    positional = [kwargs.pop(n) for n, p in signature.parameters.items() if p.kind is p.POSITIONAL_ONLY]
    result = await call(*positional, **kwargs)

    assert len(recorder.requests) == 1
    sent = recorder.requests[0]
    assert sent["method"] == method
    sent_path, _, sent_query = sent["raw_path"].partition("?")
    assert sent_path == expected_path
    assert sorted(parse_qsl(sent_query, keep_blank_values=True)) == sorted(expected_query)
    assert sent["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert sent["headers"]["Intercom-Version"] == version
    if body is None:
        assert sent["body"] == b""
    else:
        assert sent["headers"]["Content-Type"] == "application/json"
        assert json.loads(sent["body"]) == body

    expected_accept = (
        "text/plain" if text_response else "application/octet-stream" if binary_response else "application/json"
    )
    assert sent["headers"]["Accept"] == expected_accept
    if text_response:
        assert result == "line one\nline two"
    elif binary_response:
        assert result == b"\x00\x01binary"
    elif example is None:
        assert result is None
    else:
        documented = registry_op.response_spec(status)
        descriptor = documented[2] if documented else "any"
        if isinstance(descriptor, tuple) and descriptor[0] == "model":
            assert isinstance(result, getattr(package.models, descriptor[1]))
        assert dump(result) == example
