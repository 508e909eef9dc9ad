"""Helpers for the sync tests: a simulated workspace (``intercom_async.testing.Workspace``) served by
``FakeIntercom`` on 127.0.0.1, with no latency and no limit unless a test asks (everything scaled down)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from intercom_async.testing import FakeIntercom, Workspace

LA = "America/Los_Angeles"
DAY = 86400
T0 = 1_760_000_000  # a fixed "now" for tests on the manual clock (2025-10-09)


@contextlib.asynccontextmanager
async def workspace(
    version: str = "2.16", *, tz: str = LA, manual: bool = True, index_delay: float = 0.0, **fake_options: Any
) -> AsyncIterator[tuple[FakeIntercom, Workspace, Any]]:
    ws = Workspace(timezone=tz, index_delay=index_delay, seed=0)
    if manual:
        ws.set_time(T0)
    fake = FakeIntercom(version, workspace=ws, **fake_options)
    async with fake:
        client = fake.client(max_retries=1)
        yield fake, ws, client


def ids_of(items: list[Any]) -> list[str]:
    return [str(i.id) for i in items]
