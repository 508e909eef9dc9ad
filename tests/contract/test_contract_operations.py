"""Every operation of every version, called through the public client against Prism.

For each ``(version, operationId)`` of the registries (``intercom_async.<version>.OPERATIONS``) the test
builds valid arguments from the normalised spec (``spec_values.py``: required path and header parameters,
every declared query parameter, and the request body, as its model when it has one), calls
``op.bind(client)(**arguments)`` and asserts:

* Prism reported no request violation: no 422 ``application/problem+json`` and no ``request`` entry in
  the ``sl-violations`` header;
* the answer is a 2xx;
* the result is what the registry documents for that status (the model, list, text, bytes or ``None``),
  and a body model serialises to exactly the JSON it was built from.

The few operations that cannot meet that as they stand are listed in ``EXCEPTIONS`` with the reason, and
each entry is itself checked: it must still be needed, and the call must fail exactly the way described.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import intercom_async
from intercom_async._errors import APIError

from .conftest import VERSIONS, Recorder, prism_for, spec_values


@dataclass(frozen=True)
class Known:
    """Why one operation does not simply answer 2xx without violations, and what happens instead."""

    reason: str
    status: int | None = None  # a documented non-2xx result the SDK returns (not raises)
    accept: str | None = None  # SDK finding: the Accept header the operation needs instead of the default
    prism_limitation: bool = False  # Prism misreads a valid request; the request is validated here instead


_EVENTS_FILTER = Known(
    prism_limitation=True,
    reason=(
        "GET /events: `filter` is a required query object (style form, explode) whose keys (user_id | "
        "intercom_user_id | email) are declared only inside its oneOf branches. Prism 5.14.2 rebuilds an "
        "exploded object from the schema's top-level `properties` only (prism-http "
        "validator/deserializers/style/form.js deserializeImplodeObject), so it always sees filter={} and "
        "answers 422 'must match exactly one schema in oneOf' although the SDK sends ?user_id=...&type=... "
        "as the spec describes. The test checks that this is Prism's only complaint and validates the "
        "request itself."
    ),
)

# By operationId, in every version that has the operation.
EXCEPTIONS: dict[str, Known] = {
    "lisDataEvents": _EVENTS_FILTER,
    "showCallRecording": Known(
        status=302,
        reason=(
            "GET /calls/{id}/recording documents only a 302 to a signed recording URL. The client does not "
            "follow it (the token must not go to another host); a documented 3xx is the call's result: "
            "its Location, the recording URL."
        ),
    ),
}


def _cases() -> list[Any]:
    cases = []
    for version, module in VERSIONS.items():
        registry = importlib.import_module(f"intercom_async.{module}").OPERATIONS
        for op_id in registry:
            cases.append(pytest.param(version, op_id, id=f"{version}-{op_id}"))
    return cases


CASES = _cases()


def _keyword_names(method: Any) -> dict[str, dict[str, str]]:
    """``{"path"|"query"|"headers": {spec name: keyword}}`` read from the generated method's source.

    The generated body passes ``path={"contact_id": contact_id}`` (spec name -> Python name), so the
    mapping is taken from the code rather than re-deriving the generator's naming rules.
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(method))))
    out: dict[str, dict[str, str]] = {"path": {}, "query": {}, "headers": {}}
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg in out and isinstance(node.value, ast.Dict):
            for key, value in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Name):
                    out[node.arg][key.value] = value.id
    return out


def invoke(method: Any, kwargs: dict[str, Any]) -> Any:
    """``method(**kwargs)``, positional-only parameters passed by position (the path parameters of an operation
    whose body has a field of the same name: ``companies.attach_contact(id, /, *, id=...)``)."""
    params = inspect.signature(method).parameters
    rest = dict(kwargs)
    args = [rest.pop(name) for name, p in params.items() if p.kind is p.POSITIONAL_ONLY and name in rest]
    return method(*args, **rest)


def _body_model(method: Any, models: Any) -> Any:
    """The model class named first in the ``request_body`` annotation (``CreateContactRequest | dict | Unset``)."""
    param = inspect.signature(method).parameters.get("request_body")
    if param is None:
        return None
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\||$)", str(param.annotation))
    cls = getattr(models, match.group(1), None) if match else None
    return cls if isinstance(cls, type) and hasattr(cls, "from_dict") else None


def build_call(client: Any, version: str, op: Any, models: Any) -> tuple[Any, dict[str, Any], Any]:
    """``(bound method, keyword arguments, body JSON or None)``; a JSON object body is passed as its model."""
    args = spec_values(version).arguments(op.method, op.path, optional_query=True)
    method = op.bind(client)
    names = _keyword_names(method)
    kwargs: dict[str, Any] = {}
    for where, given in (("path", args.path), ("query", args.query), ("headers", args.headers)):
        for spec_name, value in given.items():
            keyword = names[where].get(spec_name)
            assert keyword, f"{op!r}: spec {where} parameter {spec_name!r} has no keyword in the client method"
            kwargs[keyword] = value
    if not args.has_body:
        return method, kwargs, None
    kwargs["request_body"] = args.body
    model = _body_model(method, models)
    if model is not None and isinstance(args.body, dict):
        kwargs["request_body"] = model.from_dict(args.body)
    return method, kwargs, args.body


def check_result(op: Any, status: int, result: Any, models: Any) -> None:
    """The result is what the registry documents for ``status``."""
    spec = op.response_spec(status)
    assert spec is not None, f"{op!r}: status {status} is not documented (responses {[s[0] for s in op.responses]})"
    _, kind, descriptor = spec
    if kind == "none" and 300 <= status < 400:
        assert isinstance(result, str) and result.startswith("http"), f"{op!r}: {status} should give its Location"
    elif kind == "none":
        assert result is None, f"{op!r}: {status} documents no body, got {type(result).__name__}"
    elif kind == "text":
        assert isinstance(result, str), f"{op!r}: expected text, got {type(result).__name__}"
    elif kind == "bytes":
        assert isinstance(result, bytes), f"{op!r}: expected bytes, got {type(result).__name__}"
    else:
        _check_descriptor(op, descriptor, result, models)


def _check_descriptor(op: Any, descriptor: Any, value: Any, models: Any) -> None:
    if not isinstance(descriptor, tuple):
        return  # "str", "int", "any", ...: plain JSON, nothing to decode
    kind, arg = descriptor
    if kind == "model":
        cls = getattr(models, arg)
        assert isinstance(value, cls), f"{op!r}: expected {cls.__name__}, got {type(value).__name__}: {value!r:.200}"
    elif kind == "list":
        assert isinstance(value, list), f"{op!r}: expected a list, got {type(value).__name__}"
        for item in value:
            _check_descriptor(op, arg, item, models)
    elif kind == "union":
        has_models = any(isinstance(d, tuple) and d[0] == "model" for d in arg)
        assert not (has_models and isinstance(value, dict)), f"{op!r}: union body not decoded: {value!r:.200}"


def _check_events_filter_request(version: str, op: Any, exchange: Any) -> None:
    """``lisDataEvents``: Prism's only complaint is the ``filter`` object, and the request is valid."""
    values = spec_values(version)
    complaints = exchange.request_violations()
    assert exchange.status == 422 and complaints, (
        f"Prism no longer rejects it; drop the exception:\n{exchange.describe()}"
    )
    assert all(v.get("location") == ["query", "filter"] for v in complaints), exchange.describe()
    sent = dict(parse_qsl(urlsplit(exchange.url).query))
    params = {p["name"]: values.resolve(p) for p in values.operation(op.method, op.path).get("parameters", [])}
    schema = values.resolve(params["filter"]["schema"])
    keys = {k for branch in schema["oneOf"] for k in values.resolve(branch).get("properties", {})}
    filter_value = {k: v for k, v in sent.items() if k in keys}
    assert values.valid(schema, filter_value), f"filter {filter_value} invalid: {values.errors(schema, filter_value)}"
    for name, param in params.items():
        if param.get("required") and name != "filter":
            assert name in sent and values.valid(param["schema"], sent[name]), f"query {name!r}: {sent}"


@pytest.mark.parametrize(("version", "op_id"), CASES)
async def test_operation_against_prism(request: pytest.FixtureRequest, recorder: Recorder, version: str, op_id: str):
    server = prism_for(request, version)
    module = importlib.import_module(f"intercom_async.{VERSIONS[version]}")
    op = module.OPERATIONS[op_id]
    known = EXCEPTIONS.get(op_id)
    async with recorder.session() as session:
        client = intercom_async.Intercom(
            token="x", version=version, base_url=server.base_url, session=session, max_retries=0, timeout=30
        )
        method, kwargs, body_json = build_call(client, version, op, module.models)
        if body_json is not None and hasattr(kwargs["request_body"], "to_dict"):
            assert kwargs["request_body"].to_dict() == body_json, f"{op!r}: the body model does not round-trip its JSON"
        try:
            result = await invoke(method, kwargs)
            error = None
        except APIError as exc:
            error = exc
        if known is not None and known.accept is not None:
            assert error is not None and error.status_code == 406, (
                f"{op!r} now works with the SDK's default Accept header: remove it from EXCEPTIONS\n"
                f"{recorder.last.describe()}"
            )
            kwargs["request_options"] = {"extra_headers": {"Accept": known.accept}}
            try:
                result = await invoke(method, kwargs)
                error = None
            except APIError as exc:
                error = exc
    exchange = recorder.last
    sent = exchange.request_headers
    assert sent.get("Intercom-Version") == module.VERSION and sent.get("Authorization") == "Bearer x", sent
    if body_json is not None:
        assert sent.get("Content-Type") == "application/json", sent
    if known is not None and known.prism_limitation:
        _check_events_filter_request(version, op, exchange)
        return
    assert not exchange.request_violations(), f"Prism reported request violations:\n{exchange.describe()}"
    assert error is None, f"{op!r} raised {type(error).__name__}:\n{exchange.describe()}"
    if known is not None and known.status is not None:
        assert exchange.status == known.status, exchange.describe()
        assert exchange.headers.get("location"), f"{op!r}: a {exchange.status} without Location"
    else:
        assert 200 <= exchange.status < 300, exchange.describe()
    check_result(op, exchange.status, result, module.models)


def test_every_operation_is_covered():
    """The parametrisation is the registries: every operation of every shipped version."""
    counts = {v: sum(1 for c in CASES if c.values[0] == v) for v in VERSIONS}
    assert counts == {v: len(importlib.import_module(f"intercom_async.{m}").OPERATIONS) for v, m in VERSIONS.items()}
    assert set(EXCEPTIONS) <= {c.values[1] for c in CASES}, "an exception names an unknown operation"
