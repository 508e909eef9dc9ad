"""The companies scroll lock for many processes: at most one open scroll per workspace.

``redis_scroll_lock(redis, name)`` is an async context manager holding a Redis key (``SET NX PX``) for as long
as the scroll walk runs, renewed every ``ttl / 3`` seconds while held, and released by a compare-and-delete
(only by its owner). Another process waits (polling every ``poll`` seconds) until the key is free or expires:
a crashed holder frees it after ``ttl`` seconds (default 70: Intercom closes an unused scroll after a minute,
so by then a new scroll may be opened). Pass it as ``export(..., scroll_lock=redis_scroll_lock(r, "acme"))``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["redis_scroll_lock"]

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)


@contextlib.asynccontextmanager
async def redis_scroll_lock(
    redis: Any, name: str, *, ttl: float = 70.0, poll: float = 0.5, prefix: str = "intercom_async:scroll:"
) -> AsyncIterator[None]:
    """Hold the workspace's scroll slot named ``name`` in Redis (see the module docstring)."""
    key = prefix + name
    token = secrets.token_hex(16)
    ms = int(ttl * 1000)
    while not await redis.set(key, token, nx=True, px=ms):
        await asyncio.sleep(poll)

    async def renew() -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            await redis.eval(_RENEW, 1, key, token, ms)

    keeper = asyncio.ensure_future(renew())
    try:
        yield
    finally:
        keeper.cancel()
        with contextlib.suppress(BaseException):
            await keeper
        await redis.eval(_RELEASE, 1, key, token)
