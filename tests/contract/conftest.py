"""Fixtures of the contract suite: one Prism server per API version, its spec, and a recording client.

``prism_for(request, version)`` gives the Prism server of one version, for every version in
``intercom_async.VERSIONS``: the session-scoped pool starts Prism on that version's normalised spec the first
time a test needs it and stops every server (by its process group) at the end of the session. When Prism is not installed or does not start, the tests fail if ``CI=true`` and are
skipped with the reason otherwise (run ``npm ci`` to install it).

``recorder`` gives an ``aiohttp`` trace config that records every exchange (request headers, status,
response headers and body bytes) of the session a test hands to the client, so the tests call the public
client methods and still see what Prism said (``sl-violations``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import intercom_async

from .prism import PrismServer, PrismUnavailable, normalised_spec
from .spec_values import SpecValues

# API version -> generated module, for every shipped version
VERSIONS = {name: info.module.rpartition(".")[2] for name, info in intercom_async.VERSIONS.items()}
IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"contract tests need Prism in CI: {reason}", pytrace=False)
    pytest.skip(f"Prism unavailable, contract tests skipped (run `npm ci`): {reason}")


def _ensure_normalised(version: str) -> Path:
    """The normalised spec, written first if missing (``make test`` always refreshes it)."""
    path = normalised_spec(version)
    if not path.exists():
        from codegen.generate import normalised_spec as write_normalised
        from codegen.pins import load_pins, select

        (pin,) = select(load_pins(), [version])
        write_normalised(pin)
    return path


class PrismPool:
    """Prism servers by version, started on first use."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.servers: dict[str, PrismServer] = {}

    def get(self, version: str) -> PrismServer:
        if version not in self.servers:
            server = PrismServer(_ensure_normalised(version), log_dir=self.log_dir)
            try:
                server.start()
            except PrismUnavailable as exc:
                _unavailable(str(exc))
            self.servers[version] = server
        return self.servers[version]

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


@pytest.fixture(scope="session")
def prism_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismPool]:
    pool = PrismPool(tmp_path_factory.mktemp("prism"))
    try:
        yield pool
    finally:
        pool.stop()


_SPECS: dict[str, SpecValues] = {}


def spec_values(version: str) -> SpecValues:
    """The ``SpecValues`` of a version's normalised spec (parsed once per session)."""
    if version not in _SPECS:
        _SPECS[version] = SpecValues(json.loads(_ensure_normalised(version).read_text(encoding="utf-8")))
    return _SPECS[version]


def prism_for(request: pytest.FixtureRequest, version: str) -> PrismServer:
    """The Prism server serving ``version``'s normalised spec (started on first use)."""
    pool: PrismPool = request.getfixturevalue("prism_pool")
    return pool.get(version)


@dataclass
class Exchange:
    """One HTTP exchange as it went over the wire."""

    method: str
    url: str
    request_headers: dict[str, str]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)

    def violations(self) -> list[dict[str, Any]]:
        """Prism's ``sl-violations`` header, decoded (empty when absent)."""
        raw = self.headers.get("sl-violations")
        return json.loads(raw) if raw else []

    def request_violations(self) -> list[dict[str, Any]]:
        """What Prism found wrong with the request: the non-``response`` entries of ``sl-violations`` (sent
        with an error status the operation declares), or the problem document Prism writes itself
        (``application/problem+json``: 422 with a ``validation`` list, 401 for missing credentials, ...)."""
        found = [v for v in self.violations() if (v.get("location") or ["request"])[0] != "response"]
        if "problem+json" in self.headers.get("content-type", ""):
            problem = json.loads(bytes(self.body) or b"{}")
            found += problem.get("validation") or [
                {"location": ["request"], "code": self.status, "message": problem.get("title", "")}
            ]
        return found

    def describe(self) -> str:
        body = bytes(self.body[:600]).decode("utf-8", "replace")
        return f"{self.method} {self.url} -> {self.status}\n  violations: {self.violations()}\n  body: {body}"


class Recorder:
    """Collects ``Exchange``s through an ``aiohttp.TraceConfig``."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._start)
        self.trace.on_request_end.append(self._end)
        self.trace.on_response_chunk_received.append(self._chunk)

    async def _start(self, _session: Any, _ctx: Any, params: aiohttp.TraceRequestStartParams) -> None:
        self.exchanges.append(Exchange(params.method, str(params.url), dict(params.headers)))

    async def _end(self, _session: Any, _ctx: Any, params: aiohttp.TraceRequestEndParams) -> None:
        self.exchanges[-1].status = params.response.status
        self.exchanges[-1].headers = {k.lower(): v for k, v in params.response.headers.items()}

    async def _chunk(self, _session: Any, _ctx: Any, params: aiohttp.TraceResponseChunkReceivedParams) -> None:
        self.exchanges[-1].body += params.chunk

    @property
    def last(self) -> Exchange:
        assert self.exchanges, "no request was sent"
        return self.exchanges[-1]

    def session(self) -> aiohttp.ClientSession:
        """A session for ``Intercom(session=...)``: 127.0.0.1 only, no proxies from the environment."""
        return aiohttp.ClientSession(trace_configs=[self.trace], trust_env=False)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
