"""Rate-limit windows of the fake Intercom: per app (per bearer token) and per workspace, and their counters.

Intercom limits a private app (10,000 calls a minute by default) and a workspace (25,000 a minute, shared by
all its private apps), counted in fixed 10-second windows. ``Windows.count(app, now)`` counts one request that
arrived at ``now`` for ``app`` and says which limit it exceeds (``None``, ``"app"`` or ``"workspace"``), with
the ``X-RateLimit-*`` headers to send: ``Limit`` is the app's limit, ``Remaining`` the smaller of what the app and the workspace have left,
``Reset`` the end of the window (unix seconds). Windows follow one another from ``origin`` (the fake's start).

``Stats`` is what a test or a benchmark reads afterwards: requests per window (all apps, and the busiest app),
the busiest window, and the 429s the limits answered.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Stats", "Windows"]


class Stats:
    """Counters of the requests the fake received (``reset()`` clears them).

    * ``requests``: every request counted; ``limited``: the 429s answered because a limit was exceeded;
    * ``windows``: ``{window number: requests}`` (all apps); ``max_window``: the most in one window;
    * ``max_app_window``: the most one app (token) sent in one window.
    """

    __slots__ = ("limited", "max_app_window", "max_window", "requests", "windows")

    def __init__(self) -> None:
        self.requests = 0
        self.limited = 0
        self.windows: dict[int, int] = {}
        self.max_window = 0
        self.max_app_window = 0

    def reset(self) -> None:
        self.requests = self.limited = self.max_window = self.max_app_window = 0
        self.windows = {}

    def __repr__(self) -> str:
        return (
            f"<Stats {self.requests} requests, busiest window {self.max_window} (one app: {self.max_app_window}), "
            f"{self.limited} answered 429>"
        )


def _number(value: float) -> str:
    """A number of seconds for a header or a message: ``60``, ``0.5`` -> ``0.500``."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"


def _unix(value: float) -> str:
    """A unix time for ``X-RateLimit-Reset``, to the millisecond."""
    return _number(round(value, 3))


class Windows:
    """Fixed windows of ``window()`` seconds from ``origin``; limits read through callables (a test may change
    the fake's ``rate_limit`` while it runs)."""

    def __init__(
        self,
        window: Callable[[], float],
        app_limit: Callable[[], int],
        workspace_limit: Callable[[], int | None],
        origin: float,
    ) -> None:
        self.window = window
        self.app_limit = app_limit
        self.workspace_limit = workspace_limit
        self.origin = origin
        self.stats = Stats()
        self._apps: dict[str, tuple[int, int]] = {}  # app -> (window number, requests in it)
        self._all: tuple[int, int] = (-1, 0)

    def restart(self, origin: float) -> None:
        self.origin = origin
        self._apps.clear()
        self._all = (-1, 0)

    def count(self, app: str, now: float) -> tuple[dict[str, str], str | None]:
        """Count a request of ``app`` at ``now``: the rate-limit headers and the limit it exceeds, if any."""
        window = self.window()
        number = int((now - self.origin) // window)
        seen = self._apps.get(app)
        used = seen[1] + 1 if seen is not None and seen[0] == number else 1
        self._apps[app] = (number, used)
        everyone = self._all[1] + 1 if self._all[0] == number else 1
        self._all = (number, everyone)
        stats = self.stats
        stats.requests += 1
        stats.windows[number] = stats.windows.get(number, 0) + 1
        stats.max_window = max(stats.max_window, stats.windows[number])
        stats.max_app_window = max(stats.max_app_window, used)
        limit = self.app_limit()
        remaining = limit - used
        over = "app" if used > limit else None
        shared = self.workspace_limit()
        if shared is not None:
            remaining = min(remaining, shared - everyone)
            if over is None and everyone > shared:
                over = "workspace"
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": _unix(self.origin + (number + 1) * window),
        }
        if over:
            stats.limited += 1
        return headers, over
