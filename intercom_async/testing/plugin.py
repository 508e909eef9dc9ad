"""The pytest plugin of ``intercom_async.testing``: fixtures ``intercom_fake`` and ``intercom_client``.

Installed with the package (entry point ``pytest11``: ``intercom_async``), so the fixtures are there in any
suite; ``-p no:intercom_async`` turns it off. They are ``async`` fixtures: run them with an async test runner,
pytest-asyncio in ``asyncio_mode = "auto"`` or anyio's plugin (``@pytest.mark.anyio``, asyncio backend). In
pytest-asyncio's strict mode, declare your own fixture with ``@pytest_asyncio.fixture`` around
``FakeIntercom`` (three lines, see the README).

* ``intercom_fake``: a started ``FakeIntercom`` per test, closed after it. Its version is, in order: the
  fixture's own parameter (``@pytest.mark.parametrize("intercom_fake", ["2.12"], indirect=True)``), the
  ``@pytest.mark.intercom_version("2.12")`` marker, the ``intercom_version`` fixture (override or parametrize
  it), else ``intercom_async.DEFAULT_VERSION``.
* ``intercom_client``: ``intercom_fake.client()``, a client of that version pointed at the fake (the fake's
  token, default retry policy), closed after the test.

The version is chosen at run time, so the fixtures are typed ``FakeIntercom[str]`` and ``Intercom`` (the
version-dispatching client); annotate the test's parameter with the version's own types for a type checker
to see its resources and models: ``intercom_client: intercom_async.v2_16.Intercom``,
``intercom_fake: FakeIntercom[Literal["2.16"]]``.

This module imports the fake server and the version packages only when a fixture runs. Loading the plugin
still imports the package ``intercom_async`` (its client core and aiohttp, about 160 ms on a 2-CPU machine),
not the server or any version package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .._versions import Intercom
    from ._fake import FakeIntercom

MARKER = "intercom_version"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(version): the Intercom API version the intercom_fake fixture serves")


@pytest.fixture
def intercom_version(request: pytest.FixtureRequest) -> str:
    """The API version ``intercom_fake`` serves: the ``intercom_version`` marker's, else the default."""
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str):
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes one version string, e.g. {MARKER}('2.16')")
        return str(marker.args[0])
    from intercom_async import DEFAULT_VERSION

    return DEFAULT_VERSION


@pytest.fixture
async def intercom_fake(request: pytest.FixtureRequest, intercom_version: str) -> AsyncIterator[FakeIntercom[str]]:
    """A fake Intercom on 127.0.0.1 for this test (``intercom_async.testing.FakeIntercom``)."""
    from ._fake import FakeIntercom

    version: str = getattr(request, "param", None) or intercom_version
    async with FakeIntercom(version) as fake:
        yield fake


@pytest.fixture
async def intercom_client(intercom_fake: FakeIntercom[str]) -> AsyncIterator[Intercom]:
    """A client of the fake's version pointed at ``intercom_fake``, closed after the test."""
    client = intercom_fake.client()
    try:
        yield client
    finally:
        await client.aclose()
