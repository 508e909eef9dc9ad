"""Negative contract tests: bodies the SDK knows are invalid are rejected by Prism the same way.

For every operation whose JSON request body is an object with typed properties, two bodies are derived
from the valid one (``spec_values.py``): one with a property of the wrong JSON type, one without a required
property. The SDK's strict model validation (``Model.from_dict(..., strict=True)``) must reject each at that
property, and Prism must reject the same request (422 ``application/problem+json``, or the operation's own
4xx with an ``sl-violations`` header) naming the same property. If either side accepted it, the positive
suite could not be trusted to notice a wrong request.
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

import pytest

import intercom_async
from intercom_async._codec import StrictValidationError
from intercom_async._errors import APIError

from .conftest import VERSIONS, Recorder, prism_for, spec_values
from .test_contract_operations import _body_model, _keyword_names, invoke

WRONG_TYPE = {
    "string": 12345,
    "integer": "not-a-number",
    "number": "not-a-number",
    "boolean": "not-a-boolean",
    "array": "not-an-array",
    "object": "not-an-object",
}


def _object_schema(values: Any, schema: Any) -> dict[str, Any] | None:
    s = values.resolve(schema)
    if any(k in s for k in ("oneOf", "anyOf")):
        return None
    if "allOf" in s:
        s = values._merge_all_of(s)
    return s if s.get("properties") else None


def _mutations(values: Any, method: str, path: str) -> list[tuple[str, str, Any]]:
    """``[(kind, property, invalid body), ...]`` for one operation (empty if it has no object body)."""
    args = values.arguments(method, path)
    schema = _object_schema(values, args.body_schema) if args.has_body else None
    if schema is None or not isinstance(args.body, dict):
        return []
    props = schema["properties"]
    typed = [n for n in props if values.resolve(props[n]).get("type") in WRONG_TYPE]
    required = [n for n in schema.get("required", []) if n in props]
    out = []
    target = next((n for n in required if n in typed), typed[0] if typed else None)
    if target is not None:
        body = copy.deepcopy(args.body)
        body[target] = WRONG_TYPE[values.resolve(props[target])["type"]]
        out.append(("wrong type", target, body))
    if required:
        body = copy.deepcopy(args.body)
        body.pop(required[0], None)
        out.append(("missing required", required[0], body))
    return out


def _cases() -> list[Any]:
    cases = []
    for version, module in VERSIONS.items():
        values = spec_values(version)
        for op_id, op in importlib.import_module(f"intercom_async.{module}").OPERATIONS.items():
            if _mutations(values, op.method, op.path):
                cases.append(pytest.param(version, op_id, id=f"{version}-{op_id}"))
    return cases


def _names_property(violation: dict[str, Any], prop: str) -> bool:
    location = [str(p) for p in violation.get("location", []) if p != "request"]
    return location[-1:] == [prop] or f"'{prop}'" in violation.get("message", "")


@pytest.mark.parametrize(("version", "op_id"), _cases())
async def test_invalid_body_is_rejected_by_sdk_and_prism(
    request: pytest.FixtureRequest, recorder: Recorder, version: str, op_id: str
):
    server = prism_for(request, version)
    module = importlib.import_module(f"intercom_async.{VERSIONS[version]}")
    op = module.OPERATIONS[op_id]
    async with recorder.session() as session:
        client = intercom_async.Intercom(token="x", version=version, base_url=server.base_url, session=session)
        method = op.bind(client)
        model = _body_model(method, module.models)
        valid = spec_values(version).arguments(op.method, op.path, optional_query=True)
        kwargs = _keywords(method, {**valid.path, **valid.query, **valid.headers})
        for kind, prop, body in _mutations(spec_values(version), op.method, op.path):
            if model is not None:
                with pytest.raises(StrictValidationError) as caught:
                    model.from_dict(body, strict=True)
                assert caught.value.path == f"$.{prop}", f"{kind} {prop}: SDK blamed {caught.value}"
            with pytest.raises(APIError) as rejected:
                await invoke(method, {**kwargs, "request_body": body, "request_options": {"max_retries": 0}})
            exchange = recorder.last
            violations = exchange.request_violations()
            assert 400 <= rejected.value.status_code < 500 and violations, f"{kind} {prop}: {exchange.describe()}"
            assert any(_names_property(v, prop) for v in violations), f"{kind} {prop}: {exchange.describe()}"


def _keywords(method: Any, given: dict[str, Any]) -> dict[str, Any]:
    """Spec parameter names -> the method's keywords (read from its source, as the positive suite does)."""
    names = _keyword_names(method)
    mapping = {**names["path"], **names["query"], **names["headers"]}
    return {mapping[k]: v for k, v in given.items() if k in mapping}


@pytest.mark.parametrize(("method", "path", "declares_401"), [("GET", "/me", False), ("POST", "/contacts", True)])
async def test_prism_rejects_a_request_without_credentials(
    request: pytest.FixtureRequest, recorder: Recorder, method: str, path: str, declares_401: bool
):
    """The declared security is enforced. Without ``Authorization`` Prism answers 401: its own problem
    document when the operation declares no 401, else the declared 401 with an ``sl-violations`` header;
    the suite reads both as request violations. (The client always sends a token, so plain aiohttp.)"""
    server = prism_for(request, "2.12")
    async with recorder.session() as session:
        headers = {"Intercom-Version": "2.12", "Content-Type": "application/json"}
        async with session.request(method, server.base_url + path, headers=headers, data=b"{}") as resp:
            await resp.read()
    exchange = recorder.last
    assert exchange.status == 401, exchange.describe()
    assert bool(exchange.violations()) is declares_401, exchange.describe()
    assert exchange.request_violations(), exchange.describe()
