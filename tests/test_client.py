"""Version selection, regions, typed errors, raw access, request options, registry and import laziness."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest
from aiohttp import web
from aioresponses import aioresponses

import intercom_async
from intercom_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableEntityError,
)
from tests.support import loopback

TOKEN = "secret-token-do-not-leak"
ADMIN = {"type": "admin", "id": "991267464", "name": "Ciaran", "email": "admin@example.com"}


@pytest.fixture
async def local():
    """A local HTTP server whose next answer the test sets; records every request."""
    state = {"reply": (200, ADMIN, {}), "requests": []}

    async def handle(request: web.Request) -> web.Response:
        state["requests"].append((request.method, request.raw_path, dict(request.headers), await request.read()))
        status, body, headers = state["reply"]
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        return web.Response(status=status, body=payload, headers={"Content-Type": "application/json", **headers})

    async with loopback.serve(handle) as url:
        state["url"] = url
        yield state


_MODULES = {name: info.module.rpartition(".")[2] for name, info in intercom_async.VERSIONS.items()}


@pytest.mark.parametrize(("version", "module"), [*_MODULES.items(), (None, _MODULES[intercom_async.DEFAULT_VERSION])])
async def test_version_selects_module_and_header(local, version, module):
    kwargs = {"version": version} if version else {}
    async with intercom_async.Intercom(TOKEN, base_url=local["url"], **kwargs) as client:
        assert type(client).__module__ == f"intercom_async.{module}.client"
        assert isinstance(client, intercom_async.Intercom)
        me = await client.admins.identify()
        assert me.id == ADMIN["id"]
        assert type(me).__module__.startswith(f"intercom_async.{module}.models.")
    headers = local["requests"][0][2]
    assert headers["Intercom-Version"] == (version or intercom_async.DEFAULT_VERSION)
    assert headers["Authorization"] == f"Bearer {TOKEN}"


async def test_versioned_class_can_be_used_directly(local):
    async with intercom_async.v2_10.Intercom(TOKEN, base_url=local["url"]) as client:
        assert client.VERSION == "2.10"
        await client.admins.identify()
    assert local["requests"][0][2]["Intercom-Version"] == "2.10"
    with pytest.raises(ValueError, match="speaks Intercom API 2.10, not '2.12'"):
        intercom_async.v2_10.Intercom(TOKEN, version="2.12")


@pytest.mark.parametrize(
    ("region", "host"),
    [("us", "https://api.intercom.io"), ("eu", "https://api.eu.intercom.io"), ("au", "https://api.au.intercom.io")],
)
async def test_regions(region, host):
    with aioresponses() as mocked:
        mocked.get(f"{host}/me", payload=ADMIN)
        async with intercom_async.Intercom(TOKEN, region=region) as client:
            assert client.base_url == host
            me = await client.admins.identify()
        assert me.email == ADMIN["email"]
        ((key, calls),) = mocked.requests.items()
        assert str(key[1]) == f"{host}/me"
        assert calls[0].kwargs["headers"]["Intercom-Version"] == intercom_async.DEFAULT_VERSION


def test_bad_configuration_is_reported_clearly(monkeypatch):
    monkeypatch.delenv("INTERCOM_TOKEN", raising=False)
    with pytest.raises(
        ValueError, match=re.escape(f"unknown Intercom API version '3.0'; this SDK has {list(intercom_async.VERSIONS)}")
    ):
        intercom_async.Intercom(TOKEN, version="3.0")
    with pytest.raises(ValueError, match="unknown region 'mars'"):
        intercom_async.Intercom(TOKEN, region="mars")
    with pytest.raises(ValueError, match="access token is required"):
        intercom_async.Intercom()
    with pytest.raises(TypeError, match="token must be a str or a callable"):
        intercom_async.Intercom(12345)
    with pytest.raises(ValueError, match="base_url must start with http"):
        intercom_async.Intercom(TOKEN, base_url="api.intercom.io")


def test_token_from_environment(monkeypatch):
    monkeypatch.setenv("INTERCOM_TOKEN", TOKEN)
    client = intercom_async.Intercom()
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(vars(client).get("_transport"))


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, APIError),
    ],
)
async def test_typed_errors_carry_status_errors_request_id_and_response(local, status, error):
    body = {
        "type": "error.list",
        "request_id": "req-123",
        "errors": [{"code": "some_code", "message": "Something failed", "field": "email"}],
    }
    local["reply"] = (status, body, {"X-RateLimit-Reset": "1700000000"})
    async with intercom_async.Intercom(TOKEN, base_url=local["url"], max_retries=0) as client:
        with pytest.raises(error) as info:
            await client.contacts.find("c1")
    exc = info.value
    assert type(exc) is error
    assert exc.status_code == status
    assert exc.request_id == "req-123"
    assert [(e.code, e.message, e.field) for e in exc.errors] == [("some_code", "Something failed", "email")]
    assert exc.response.status_code == status and json.loads(exc.response.content) == body
    assert "GET /contacts/c1" in str(exc) and "some_code: Something failed" in str(exc)
    assert TOKEN not in str(exc) and TOKEN not in repr(exc) and TOKEN not in repr(exc.response)
    if status == 429:
        assert exc.reset_at == 1700000000.0


async def test_non_json_error_page_is_still_typed(local):
    local["reply"] = (502, b"<html><body>Bad gateway</body></html>", {"Content-Type": "text/html"})
    async with intercom_async.Intercom(TOKEN, base_url=local["url"], max_retries=0) as client:
        with pytest.raises(ServerError, match="non-JSON body") as info:
            await client.admins.identify()
    assert info.value.errors == [] and info.value.body is None


async def test_raw_response_access(local):
    local["reply"] = (200, ADMIN, {"X-Request-Id": "rid-9", "X-RateLimit-Remaining": "99"})
    async with intercom_async.Intercom(TOKEN, base_url=local["url"]) as client:
        raw = await client.admins.with_raw_response.identify()
    assert raw.status_code == 200
    assert raw.headers["X-RateLimit-Remaining"] == "99"
    assert raw.request_id == "rid-9"
    assert json.loads(raw.content) == ADMIN
    assert raw.parsed.id == ADMIN["id"] and raw.parsed.to_dict() == ADMIN
    assert raw.method == "GET" and raw.path == "/me"


async def test_body_model_or_dict_and_request_options(local):
    local["reply"] = (200, {"type": "contact", "id": "c9"}, {})
    models = intercom_async.v2_12.models
    async with intercom_async.Intercom(TOKEN, base_url=local["url"]) as client:
        await client.contacts.create(request_body=models.CreateContactRequest(email="a@example.com", name=None))
        await client.contacts.create(
            request_body={"email": "b@example.com"},
            request_options={
                "extra_body": {"custom_attributes": {"plan": "pro"}},
                "extra_query": {"trace": True},
                "extra_headers": {"X-Debug": "1"},
            },
        )
        with pytest.raises(InvalidRequestError, match="Authorization header is set by the client"):
            await client.contacts.create(request_body={}, request_options={"extra_headers": {"Authorization": "x"}})
    first, second = local["requests"]
    assert json.loads(first[3]) == {"email": "a@example.com", "name": None}
    assert first[2]["Content-Type"] == "application/json"
    assert json.loads(second[3]) == {"email": "b@example.com", "custom_attributes": {"plan": "pro"}}
    assert second[1] == "/contacts?trace=true"
    assert second[2]["X-Debug"] == "1"


async def test_token_callables_are_called_per_request(local):
    calls = []

    def sync_token() -> str:
        calls.append("sync")
        return f"rotating-{len(calls)}"

    async def async_token() -> str:
        calls.append("async")
        return "async-token"

    async with intercom_async.Intercom(sync_token, base_url=local["url"]) as client:
        await client.admins.identify()
        await client.admins.identify()
    async with intercom_async.Intercom(async_token, base_url=local["url"]) as client:
        await client.admins.identify()
    assert [r[2]["Authorization"] for r in local["requests"]] == [
        "Bearer rotating-1",
        "Bearer rotating-2",
        "Bearer async-token",
    ]


def test_registry_and_versions():
    from codegen.pins import load_pins

    assert list(intercom_async.VERSIONS) == [pin.name for pin in load_pins()]
    assert list(intercom_async.VERSIONS)[:6] == ["2.10", "2.12", "Unstable", "2.14", "2.16", "Preview"]
    assert intercom_async.VERSIONS["Unstable"].module == "intercom_async.unstable"
    assert intercom_async.DEFAULT_VERSION == "2.16"
    client = intercom_async.Intercom(TOKEN, version="Unstable")
    for module in _MODULES.values():
        registry = getattr(intercom_async, module).OPERATIONS
        versioned = intercom_async.Intercom(TOKEN, version=registry.version)
        for op_id, op in registry.items():
            assert op.operation_id == op_id
            assert op.method in {"GET", "POST", "PUT", "DELETE", "PATCH"}
            assert op.path.startswith("/")
            method = op.bind(versioned)
            assert callable(method), op
    synthesized = intercom_async.unstable.OPERATIONS["getExportReportingDataByJobIdentifier"]
    assert (synthesized.method, synthesized.path) == ("GET", "/export/reporting_data/{job_identifier}")
    assert synthesized.resource == "data_export" and synthesized.name == "export_reporting_data"
    assert callable(client.data_export.export_reporting_data)


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_imports_are_lazy():
    result = _run(
        """
        import json, sys
        import intercom_async
        before = sorted(m for m in sys.modules if m.startswith("intercom_async."))
        client = intercom_async.Intercom("t", version="2.12")
        client.contacts  # resource module
        after = sorted(m for m in sys.modules if m.startswith("intercom_async."))
        print(json.dumps({"before": before, "after": after}))
        """
    )
    others = tuple(f"intercom_async.{m}" for m in _MODULES.values())
    assert not any(m.startswith(others) for m in result["before"]), "import intercom_async loads no version"
    assert "intercom_async.v2_12.resources.contacts" in result["after"]
    others = tuple(f"intercom_async.{m}" for m in _MODULES.values() if m != "v2_12")
    assert not any(m.startswith(others) for m in result["after"]), "using 2.12 loads no other version"
    loaded_models = [m for m in result["after"] if m.startswith("intercom_async.v2_12.models.")]
    assert loaded_models == [], loaded_models  # no model is imported before a response needs it


async def test_undecodable_2xx_body_is_a_typed_error_not_a_crash(local):
    local["reply"] = (200, b"\xff\xfe not utf-8 \x80", {})
    async with intercom_async.Intercom(TOKEN, base_url=local["url"]) as client:
        with pytest.raises(intercom_async.InvalidResponseError, match=r"GET /me: 200 body is not JSON") as info:
            await client.admins.identify()
    assert info.value.response is not None and info.value.response.content.startswith(b"\xff\xfe")
