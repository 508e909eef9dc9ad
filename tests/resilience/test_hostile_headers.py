"""Hostile or broken rate-limit headers (issue 9, item 6): ``nan``, ``inf``, negative, absurd and look-alike
numbers in ``X-RateLimit-*`` / ``Retry-After`` are ignored (logged once per limiter/policy and header, without
the token), never an exception, a hang or a stall. Reproduced against the loopback fault server: before the
fix ``Remaining: nan``/``inf`` lost the 200 to ``ValueError``/``OverflowError``, ``Reset: nan`` made the
limiter sleep ``nan`` seconds (forever), ``Remaining: -1`` stalled every later request, and a ``Retry-After:
inf`` made each retry sleep the full ``max_retry_wait``."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Any

import pytest

from intercom_async import InProcessRateLimiter, RateLimitError
from intercom_async._ratelimit_headers import (
    MAX_COUNT,
    MAX_DELAY,
    HeaderReader,
    parse_count,
    parse_retry_after,
    parse_unix_time,
)

from .conftest import TOKEN, FaultServer, SleepRecorder, fast_policy, ok, status

# Values ``float()`` accepts (or almost does) that no sane rate-limit header carries.
HOSTILE_NUMBERS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1", "1e3", "1_000", "\u0663", "0x10", "", " "]
HOSTILE_NUMBERS += ["9" * 400, f"Bearer {TOKEN}"]  # an absurdly long number; a server echoing the token


def _warnings(logs: Any, header: str) -> list[str]:
    return [
        r.getMessage()
        for r in logs.records
        if r.name == "intercom_async" and r.levelno == logging.WARNING and header in r.getMessage()
    ]


# ------------------------------------------------------------------------------------------ the parsers


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_parsers_refuse_non_finite_negative_and_look_alike_numbers(value: str) -> None:
    assert parse_count(value) is None
    assert parse_unix_time(value) is None
    assert parse_retry_after(value, time.time()) is None


def test_parsers_accept_plain_decimals_in_range() -> None:
    assert parse_count("0") == 0 and parse_count(" 166 ") == 166 and parse_count("12.9") == 12
    assert parse_count(str(MAX_COUNT)) == MAX_COUNT and parse_count(str(MAX_COUNT + 1)) is None
    assert parse_unix_time("1700000000.25") == 1700000000.25
    assert parse_unix_time("0") is None  # not a time
    assert parse_unix_time("1700000000000") is None  # milliseconds, not seconds
    now = 1_700_000_000.0
    assert parse_retry_after("2.5", now) == 2.5
    assert parse_retry_after(str(int(MAX_DELAY) + 1), now) is None
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", now) == pytest.approx(10.0)
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now) is None  # a date centuries away
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:30", now) is None  # no zone: ambiguous


def test_reader_warns_once_per_header_and_never_quotes_the_value(logs: Any) -> None:
    reader = HeaderReader("TestOwner")
    bad = {"X-RateLimit-Remaining": f"Bearer {TOKEN}", "X-RateLimit-Reset": "nan", "Retry-After": "inf"}
    for _ in range(3):
        assert reader.count(bad, "X-RateLimit-Remaining") is None
        assert reader.reset_delay(bad, "X-RateLimit-Reset", time.time()) is None
        assert reader.retry_after(bad, time.time()) is None
    for header in bad:
        assert len(_warnings(logs, header)) == 1, header
    assert all("TestOwner" in line for line in _warnings(logs, "X-RateLimit"))
    # another owner warns again, once (the autouse `logs` fixture fails the test if the token shows anywhere)
    HeaderReader("Other").count(bad, "X-RateLimit-Remaining")
    assert len(_warnings(logs, "X-RateLimit-Remaining")) == 2


# ------------------------------------------------------------------------------------------ the limiter


@pytest.mark.parametrize(
    "hostile",
    [
        {"X-RateLimit-Remaining": "nan"},
        {"X-RateLimit-Remaining": "inf"},
        {"X-RateLimit-Remaining": "-1"},
        {"X-RateLimit-Remaining": "1e400"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "nan"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e400"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "far"},  # replaced by a time a year ahead
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "ms"},  # replaced by the reset in milliseconds
        {"X-RateLimit-Limit": "inf", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "-1"},
        {"X-RateLimit-Limit": "nan", "X-RateLimit-Remaining": "-5"},
    ],
    ids=lambda h: ",".join(f"{k.split('-')[-1]}={v}" for k, v in h.items()),
)
async def test_limiter_ignores_hostile_headers_and_never_stalls(
    server: FaultServer, make_client: Any, logs: Any, hostile: dict[str, str]
) -> None:
    headers = dict(hostile)
    if headers.get("X-RateLimit-Reset") == "far":
        headers["X-RateLimit-Reset"] = f"{time.time() + 365 * 86400:.0f}"
    elif headers.get("X-RateLimit-Reset") == "ms":
        headers["X-RateLimit-Reset"] = f"{(time.time() + 5) * 1000:.0f}"
    else:
        headers.setdefault("X-RateLimit-Reset", f"{time.time() + 5:.3f}")  # a valid reset beside a bad count
    server.script("GET", "/me", ok(headers=headers), ok(headers=headers))
    waits = SleepRecorder(scale=1.0)  # real sleeps, recorded: a nan or endless wait would show here
    limiter = InProcessRateLimiter(window=0.2, max_wait=0.5, sleep=waits)
    clients = [make_client(rate_limiter=limiter) for _ in range(2)]  # a shared limiter: all its users at risk
    for client in clients:
        me = await asyncio.wait_for(client.admins.identify(), 10)  # the 200 is not lost
        assert me.id == "991"
    # Later calls (no headers now) go straight through: nothing from the hostile answers gates them.
    await asyncio.wait_for(asyncio.gather(*(c.admins.identify() for c in clients for _ in range(5))), 10)
    assert waits.calls == []
    assert limiter.stats.acquired == 12 and limiter.stats.in_flight == 0
    bad = [name for name, value in hostile.items() if not (name == "X-RateLimit-Remaining" and value == "0")]
    for name in bad:
        assert len(_warnings(logs, name)) == 1, (name, _warnings(logs, name))  # once per limiter and header


async def test_valid_headers_still_pace(server: FaultServer, make_client: Any, logs: Any) -> None:
    """The same path with sane values still waits for the reset (the hostile cases above are not vacuous)."""
    reset = f"{time.time() + 0.3:.3f}"
    server.script("GET", "/me", ok(headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}))
    waits = SleepRecorder(scale=1.0)
    limiter = InProcessRateLimiter(window=0.2, max_wait=0.5, sleep=waits)
    client = make_client(rate_limiter=limiter)
    await client.admins.identify()
    await asyncio.wait_for(client.admins.identify(), 10)
    assert len(waits.calls) == 1 and 0 < waits.calls[0] <= 0.5
    assert not [r for r in logs.records if r.levelno >= logging.WARNING]


async def test_hostile_retry_after_on_429_backs_off_instead(server: FaultServer, make_client: Any, logs: Any) -> None:
    """nan/inf/huge/negative ``Retry-After`` (and ``X-RateLimit-Reset``) on a 429: the retry uses the normal
    backoff, not ``nan`` and not the full ``max_retry_wait``; ``RateLimitError``'s accessors give ``None``."""
    values = ["nan", "inf", "1e400", "-5", str(10**12), "Infinity"]
    for value in values:
        server.script(
            "GET",
            "/me",
            *[status(429, headers={"Retry-After": value, "X-RateLimit-Reset": value, "X-RateLimit-Limit": value})] * 3,
        )
    sleeps = SleepRecorder()
    policy = fast_policy(2, max_retry_wait=30.0, sleep=sleeps)
    client = make_client(retry_policy=policy)
    for _ in values:
        with pytest.raises(RateLimitError) as info:
            await client.admins.identify()
        exc = info.value
        assert exc.retry_after is None and exc.reset_at is None and exc.limit is None and exc.remaining is None
    assert len(sleeps.calls) == 2 * len(values)
    assert all(math.isfinite(s) and 0 <= s <= policy.backoff_cap for s in sleeps.calls), sleeps.calls
    for header in ("Retry-After", "X-RateLimit-Reset"):  # once per owner (the policy, the default limiter)
        owners = sorted(line.split(":")[0] for line in _warnings(logs, header))
        assert owners == ["InProcessRateLimiter", "RetryPolicy"], (header, owners)


async def test_debug_line_never_quotes_the_remaining_header(server: FaultServer, make_client: Any, logs: Any) -> None:
    server.script("GET", "/me", ok(headers={"X-RateLimit-Remaining": f"Bearer {TOKEN}"}))
    client = make_client(rate_limiter=False)
    await client.admins.identify()
    assert any("ratelimit remaining -" in line for line in logs.lines())  # the fixture checks for the token
