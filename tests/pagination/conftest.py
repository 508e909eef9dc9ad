"""Fixtures of the pagination suite.

Well-behaved paging is served by the testing kit (``intercom_async.testing``, through its pytest plugin's
``intercom_fake`` fixture, or ``FakeIntercom`` where a test needs several versions at once). Servers that page
*wrongly* on purpose (lying ``total_pages``, repeated cursors, foreign next links, scrolls that die) stay in
``tests/pagination/fake.py`` behind the ``server`` fixture: the kit models Intercom, not its failures of protocol.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest_asyncio

import intercom_async
from tests.pagination.fake import Recorder

TOKEN = "tok-pagination-secret"
VERSIONS = tuple(intercom_async.VERSIONS)


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    yield recorder
    await recorder.close()


@pytest_asyncio.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """``connect(version, base_url, **options)``: a client closed at the end of the test."""
    clients: list[Any] = []

    def make(version: str, base_url: str, **options: Any) -> Any:
        options.setdefault("max_retries", 0)
        client = intercom_async.Intercom(TOKEN, version=version, base_url=base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
