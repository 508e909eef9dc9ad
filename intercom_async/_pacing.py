"""Default pacing: every client follows ``X-RateLimit-*`` unless told otherwise, sharing what it learns with
the other clients of the same app in this process.

``BaseClient(rate_limiter=...)`` accepts:

* ``None`` (the default) or ``True``: an adaptive ``InProcessRateLimiter`` (no explicit budget, no concurrency
  cap) that waits for the window's reset once the server reports the window spent (``X-RateLimit-Remaining``
  at 0), and pauses on a 429 until ``X-RateLimit-Reset``/``Retry-After``. With a string token it is shared by
  every client in the process with the same token and base URL (one app, one budget): a process-wide
  registry keyed by a SHA-256 hash of base URL and token (never the token itself) holds the limiters weakly,
  so one lives exactly as long as a client uses it. With a token callable (rotation) each client gets its own;
* a ``RateLimiter`` (``InProcessRateLimiter(limit=...)`` for an explicit budget, ``RedisRateLimiter`` for many
  processes): used as is, instead of the default;
* ``False``: no limiter at all (429s are still retried by the ``RetryPolicy``).
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from typing import Any

from ._ratelimit import InProcessRateLimiter, RateLimiter

__all__ = ["default_rate_limiter", "resolve_rate_limiter"]

_lock = threading.Lock()
_shared: weakref.WeakValueDictionary[str, InProcessRateLimiter] = weakref.WeakValueDictionary()


def _new_default() -> InProcessRateLimiter:
    return InProcessRateLimiter(adaptive=True)


def default_rate_limiter(token: Any, base_url: str) -> InProcessRateLimiter:
    """The adaptive limiter for clients of ``token`` on ``base_url``: shared in-process for a string token."""
    if not isinstance(token, str):
        return _new_default()  # a rotating token: nothing stable to key on
    key = hashlib.sha256(f"{base_url}\0{token}".encode()).hexdigest()
    with _lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = _new_default()
        return limiter


def resolve_rate_limiter(value: object, token: Any, base_url: str) -> RateLimiter | None:
    """What a client's ``rate_limiter=`` argument means (see the module docstring)."""
    if value is None or value is True:
        return default_rate_limiter(token, base_url)
    if value is False:
        return None
    if isinstance(value, RateLimiter):
        return value
    raise TypeError(
        "rate_limiter must be a RateLimiter, None/True (default pacing by X-RateLimit-*) or False (no limiter), "
        f"not {type(value).__name__}"
    )
