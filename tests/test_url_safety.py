"""Hostile path parameters and next-page links cannot retarget a request (issue 9, items 1, 2 and 9).

Registry-driven: every operation with a path parameter, of every version, is called through its public
method with each path parameter in turn set to a dot segment (``..``, ``.``) while the others hold ``5``.
The call must raise ``InvalidRequestError`` naming the parameter, and a real aiohttp server on 127.0.0.1
must have seen no request: an encoded dot segment (``%2E%2E``) would still be collapsed by a normalising
proxy (issue 18). Values that only contain dots or escapes are sent, each in its own segment.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

import intercom_async
from intercom_async import InvalidRequestError, PaginationError
from tests.support import loopback

TOKEN = "tok-url-safety-secret"


def _snake(text: str) -> str:
    text = re.sub(r"[^0-9A-Za-z]+", "_", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return text.strip("_").lower()


def _path_operations() -> list[Any]:
    cases = []
    for version, info in intercom_async.VERSIONS.items():
        for op in info.load().OPERATIONS.values():
            names = re.findall(r"{([^}]+)}", op.path)
            for name in names:
                for hostile in ("..", "."):
                    cases.append(
                        pytest.param(
                            version, op.operation_id, name, hostile, id=f"{version}-{op.operation_id}-{name}={hostile}"
                        )
                    )
    return cases


CASES = _path_operations()


class Recorder:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.paths.append(request.raw_path.partition("?")[0])
        return web.json_response({})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server():
    recorder = Recorder()
    async with loopback.serve(recorder.handle) as url, loopback.clients(url, TOKEN) as clients:
        yield recorder, clients


def _arguments(method: Any, path_values: dict[str, Any], op: Any = None) -> dict[str, Any]:
    """Keyword arguments for ``method``: the given path values, placeholders for other required ones."""
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(method).parameters.items():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        keys = [k for k in path_values if _snake(k) == name or k == name]
        if keys:
            kwargs[name] = path_values[keys[0]]
        elif param.default is inspect.Parameter.empty:
            kwargs[name] = "x"
    if op is not None and op.body_required:
        kwargs["request_body"] = {}
    return kwargs


def test_every_path_operation_is_covered():
    """The cases are the registries: every operation with a path parameter, in every shipped version."""
    for version, info in intercom_async.VERSIONS.items():
        expected = sum(2 * len(re.findall(r"{[^}]+}", op.path)) for op in info.load().OPERATIONS.values())
        assert expected > 0
        assert sum(1 for c in CASES if c.values[0] == version) == expected


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("version", "operation_id", "param", "hostile"), CASES)
async def test_dot_segment_is_refused_before_sending(server, version, operation_id, param, hostile):
    recorder, clients = server
    client = clients[version]
    op = intercom_async.VERSIONS[version].load().OPERATIONS[operation_id]
    method = op.bind(client)
    names = re.findall(r"{([^}]+)}", op.path)
    values = {n: (hostile if n == param else "5") for n in names}
    recorder.paths.clear()
    kwargs = _arguments(method, values, op)
    positional = [kwargs.pop(n) for n, p in inspect.signature(method).parameters.items() if p.kind is p.POSITIONAL_ONLY]
    with pytest.raises(InvalidRequestError, match=f"path parameter {param!r} must not be a dot segment"):
        await method(*positional, **kwargs)
    assert recorder.paths == []


@pytest.mark.asyncio(loop_scope="module")
async def test_the_reported_attacks_are_refused(server):
    """The DELETEs of the reports: detaching with ``ticket_id=".."`` (or its encoded forms) must not reach
    ``DELETE /tags/5``, not even as ``/tickets/%2E%2E/tags/5``, which a normalising proxy collapses."""
    recorder, clients = server
    ops = intercom_async.VERSIONS["2.12"].load().OPERATIONS
    targets = {op.path: op for op in ops.values() if op.method == "DELETE"}
    recorder.paths.clear()
    for path in ("/tickets/{ticket_id}/tags/{id}", "/contacts/{contact_id}/companies/{id}"):
        op = targets[path]
        method = op.bind(clients["2.12"])
        first = re.findall(r"{([^}]+)}", path)[0]
        for hostile in ("..", "%2E%2E", "%2e.", ".%2E", "%252E%252e", "%25%32%45", "%2E"):
            with pytest.raises(InvalidRequestError, match="dot segment"):
                await method(**_arguments(method, {first: hostile, "id": "5"}, op))
    assert recorder.paths == []


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("...", "..."),
        ("a..b", "a..b"),
        ("1.5", "1.5"),
        ("%2E%2E%2E", "%252E%252E%252E"),
        ("%", "%25"),
        ("%zz", "%25zz"),
        ("../5", "..%2F5"),
        (12, "12"),
    ],
)
async def test_values_that_are_not_dot_segments_are_sent_in_their_segment(server, value, sent):
    recorder, clients = server
    recorder.paths.clear()
    ops = intercom_async.VERSIONS["2.12"].load().OPERATIONS
    op = next(o for o in ops.values() if o.path == "/contacts/{id}" and o.method == "GET")
    method = op.bind(clients["2.12"])
    await method(**_arguments(method, {"id": value}))
    assert recorder.paths == [f"/contacts/{sent}"]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("empty", ["", None])
async def test_empty_path_parameter_is_a_typed_error(server, empty):
    recorder, clients = server
    recorder.paths.clear()
    ops = intercom_async.VERSIONS["2.12"].load().OPERATIONS
    op = next(o for o in ops.values() if o.path == "/contacts/{id}" and o.method == "GET")
    method = op.bind(clients["2.12"])
    with pytest.raises(InvalidRequestError, match="path parameter 'id'"):
        await method(**_arguments(method, {"id": empty}))  # type: ignore[dict-item]
    assert recorder.paths == []


# ---------------------------------------------------------------------------------------- next links


class LinkServer:
    """``GET /proxy/contacts/{id}/companies`` answers one page whose ``pages.next`` is ``self.next``."""

    def __init__(self) -> None:
        self.next: str = ""
        self.paths: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.paths.append(request.raw_path)
        if request.raw_path.startswith("/proxy/contacts/1/companies"):
            return web.json_response(
                {
                    "type": "list",
                    "companies": [{"type": "company", "id": "c1"}],
                    "data": [{"type": "company", "id": "c1"}],
                    "pages": {"next": self.next},
                }
            )
        return web.json_response({"type": "list", "data": [], "pages": {}})


@pytest_asyncio.fixture
async def link_server():
    state = LinkServer()
    async with loopback.serve(state.handle) as url:
        yield state, url


def _link_op() -> Any:
    ops = intercom_async.VERSIONS["2.12"].load().OPERATIONS
    return next(o for o in ops.values() if o.pagination is not None and o.pagination.shape == "link" and "{" in o.path)


@pytest.mark.parametrize(
    "link",
    [
        "/proxy/../outside/contacts?page=2",
        "{base}/proxy/../outside?page=2",
        "{base}/proxy/%2E%2E/outside?page=2",
        "/proxy/./../outside",
        "/proxyfoo/contacts?page=2",
        "http://user:pass@127.0.0.1:1/proxy/contacts?page=2",
        "{userinfo}/proxy/contacts?page=2",
        "http://[::1/proxy",
    ],
)
async def test_next_links_cannot_leave_the_base_path(link_server, link):
    state, origin = link_server
    state.next = link.format(base=origin, userinfo=origin.replace("http://", "http://u:p@"))
    op = _link_op()
    async with intercom_async.Intercom(TOKEN, version="2.12", base_url=origin + "/proxy", max_retries=0) as client:
        method = op.bind(client)
        pager = method(**_arguments(method, {"id": "1", "contact_id": "1"}))
        with pytest.raises(PaginationError, match="outside the configured base URL|not a URL") as info:
            async for _ in pager:
                pass
    assert TOKEN not in str(info.value)
    assert "pass" not in str(info.value)
    assert all(p.startswith("/proxy/") for p in state.paths)
    assert len(state.paths) == 1


async def test_next_link_inside_the_base_path_is_followed(link_server):
    state, origin = link_server
    state.next = "/proxy/./contacts/2/companies?page=2"
    op = _link_op()
    async with intercom_async.Intercom(TOKEN, version="2.12", base_url=origin + "/proxy", max_retries=0) as client:
        method = op.bind(client)
        items = [item async for item in method(**_arguments(method, {"id": "1", "contact_id": "1"}))]
    assert len(items) == 1
    assert state.paths[1] == "/proxy/contacts/2/companies?page=2"


def test_base_url_with_credentials_is_refused():
    with pytest.raises(InvalidRequestError, match="credentials"):
        intercom_async.Intercom(TOKEN, base_url="http://user:secret@127.0.0.1:1")
