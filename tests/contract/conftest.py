"""Fixtures of the contract suite: one Prism server per API version, its spec, and a recording client.

``prism_2_10``, ``prism_2_12`` and ``prism_unstable`` are session-scoped: each starts Prism on that
version's normalised spec the first time a test needs it and stops it (by its process group) at the end
of the session. When Prism is not installed or does not start, the tests fail if ``CI=true`` and are
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

from .prism import PrismServer, PrismUnavailable, normalised_spec
from .spec_values import SpecValues

VERSIONS = {"2.10": "v2_10", "2.12": "v2_12", "Unstable": "unstable"}  # API version -> generated module
FIXTURES = {"2.10": "prism_2_10", "2.12": "prism_2_12", "Unstable": "prism_unstable"}
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


def _prism_fixture(version: str) -> Any:
    @pytest.fixture(scope="session")
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismServer]:
        server = PrismServer(_ensure_normalised(version), log_dir=tmp_path_factory.mktemp("prism"))
        try:
            server.start()
        except PrismUnavailable as exc:
            _unavailable(str(exc))
        try:
            yield server
        finally:
            server.stop()

    fixture.__doc__ = f"Prism serving the normalised Intercom API {version} spec on 127.0.0.1."
    return fixture


prism_2_10 = _prism_fixture("2.10")
prism_2_12 = _prism_fixture("2.12")
prism_unstable = _prism_fixture("Unstable")

_SPECS: dict[str, SpecValues] = {}


def spec_values(version: str) -> SpecValues:
    """The ``SpecValues`` of a version's normalised spec (parsed once per session)."""
    if version not in _SPECS:
        _SPECS[version] = SpecValues(json.loads(_ensure_normalised(version).read_text(encoding="utf-8")))
    return _SPECS[version]


def prism_for(request: pytest.FixtureRequest, version: str) -> PrismServer:
    return request.getfixturevalue(FIXTURES[version])


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
