"""Read the numbers of rate-limit response headers safely: one parser for the limiters, the retry policy and
``RateLimitError``.

A server (or a proxy, or an attacker in between) can send anything in ``X-RateLimit-Limit``,
``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` and ``Retry-After``. ``float()`` accepts ``nan``, ``inf``,
``1e400``, ``-1``, ``1_000`` and non-ASCII digits, and each of those once made a call raise (``int(nan)``),
hang a limiter (a ``nan`` sleep) or stall it (a negative budget). Here a value is used only when it is a
plain ASCII decimal (``123`` or ``123.45``, at most 20 digits on either side) inside a plausible range:

* a count (limit, remaining): ``0 <= n <= MAX_COUNT`` requests per window;
* a delay (``Retry-After`` seconds, or the time left until ``X-RateLimit-Reset``): at most ``MAX_DELAY``
  seconds ahead; ``Retry-After`` may also be an HTTP date, as RFC 9110 allows;
* a Unix time (``X-RateLimit-Reset``): ``0 < t <= MAX_UNIX_TIME`` (this also refuses milliseconds).

Anything else is ignored, as if the header were absent. ``HeaderReader`` logs the first ignored value of
each header name once, at WARNING on the ``intercom_async`` logger, naming the header and the problem but
never the value (a hostile server could echo a credential into it).
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable, Mapping

__all__ = ["MAX_COUNT", "MAX_DELAY", "MAX_UNIX_TIME", "HeaderReader", "parse_count", "parse_unix_time"]

MAX_COUNT = 10_000_000  # requests in one window: Intercom's limits are in the thousands
MAX_DELAY = 86_400.0  # one day: a rate-limit window that far away is not a hint worth following
MAX_UNIX_TIME = 1e11  # year 5138; a reset in milliseconds (1.7e12) is refused instead of read as seconds

logger = logging.getLogger("intercom_async")


def _decimal(value: str) -> float | None:
    """The value as a non-negative float if it is a plain ASCII decimal (at most 20 digits on either side of
    an optional point, surrounding whitespace allowed), else ``None``. Such a value is always finite."""
    if len(value) > 64:
        return None
    text = value.strip()
    whole, point, fraction = text.partition(".")
    if not (0 < len(whole) <= 20 and whole.isascii() and whole.isdigit()):
        return None
    if point and not (0 < len(fraction) <= 20 and fraction.isascii() and fraction.isdigit()):
        return None
    return float(text)


def parse_count(value: str | None) -> int | None:
    """A request count (``X-RateLimit-Limit``/``Remaining``): an int in ``[0, MAX_COUNT]``, else ``None``."""
    if value is None:
        return None
    number = _decimal(value)
    if number is None or number > MAX_COUNT:
        return None
    return int(number)


def parse_unix_time(value: str | None) -> float | None:
    """A Unix time in seconds (``X-RateLimit-Reset``) in ``(0, MAX_UNIX_TIME]``, else ``None``."""
    if value is None:
        return None
    number = _decimal(value)
    if number is None or not 0 < number <= MAX_UNIX_TIME:
        return None
    return number


def _until(when: float | None, now: float) -> float | None:
    return None if when is None or when - now > MAX_DELAY else when - now


def parse_reset_delay(value: str | None, now: float) -> float | None:
    """Seconds from ``now`` (Unix seconds) until the Unix time ``value`` (``X-RateLimit-Reset``; negative if
    past), at most ``MAX_DELAY``; ``None`` when absent or unusable."""
    return _until(parse_unix_time(value), now)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now`` (Unix seconds): a decimal number of seconds or an HTTP date, at
    most ``MAX_DELAY`` ahead. A date in the past gives a negative delay; unusable values give ``None``."""
    if value is None:
        return None
    number = _decimal(value)
    if number is not None:
        return number if number <= MAX_DELAY else None
    if len(value) > 64:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None or when.tzinfo is None:
        return None
    delay = when.timestamp() - now
    return delay if delay <= MAX_DELAY else None


class HeaderReader:
    """Reads rate-limit numbers from a response's headers for one owner (a limiter, a retry policy), logging
    the first unusable value of each header name once (WARNING, ``intercom_async`` logger).

    The last text parsed per header is remembered: ``X-RateLimit-Limit`` and ``X-RateLimit-Reset`` repeat on
    every answer of a window, so most answers cost a string comparison for them."""

    __slots__ = ("_last", "_owner", "_warned")

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._warned: set[str] = set()
        self._last: dict[str, tuple[str, float | None]] = {}

    def _number(self, name: str, value: str, parse: Callable[[str], float | None]) -> float | None:
        last = self._last.get(name)
        if last is not None and last[0] == value:
            return last[1]
        result = parse(value)
        self._last[name] = (value, result)
        return result

    def count(self, headers: Mapping[str, str], name: str) -> int | None:
        value = headers.get(name)
        if value is None:
            return None
        if len(value) <= 7 and value.isdigit() and value.isascii():  # the usual case: a plain count < MAX_COUNT
            return int(value)
        result = self._number(name, value, parse_count)
        if result is None:
            self._warn(name, f"not a number of requests between 0 and {MAX_COUNT}")
            return None
        return int(result)

    def reset_delay(self, headers: Mapping[str, str], name: str, now: float) -> float | None:
        """Seconds from ``now`` (Unix seconds) until the Unix time in header ``name`` (negative if past)."""
        value = headers.get(name)
        if value is None:
            return None
        delay = _until(self._number(name, value, parse_unix_time), now)
        if delay is None:
            self._warn(name, f"not a Unix time in seconds within {MAX_DELAY:.0f} s from now")
        return delay

    def retry_after(self, headers: Mapping[str, str], now: float) -> float | None:
        value = headers.get("Retry-After")
        result = parse_retry_after(value, now)  # not cached: an HTTP date is relative to now
        if result is None and value is not None:
            self._warn("Retry-After", f"not a number of seconds (or HTTP date) within {MAX_DELAY:.0f} s")
        return result

    def _warn(self, name: str, problem: str) -> None:
        key = name.lower()
        if key in self._warned:
            return
        self._warned.add(key)
        logger.warning(
            "%s: ignoring the %s response header: %s (logged once; later bad values are ignored silently)",
            self._owner,
            name,
            problem,
        )
