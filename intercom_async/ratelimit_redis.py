"""``RedisRateLimiter``: one Intercom rate-limit budget shared by many processes and machines through Redis.

Intercom limits each app (10,000 calls a minute for a private app, counted in 10-second windows), while an
application often runs many worker processes. Every process creates its own limiter with the same token (or
the same ``key=``) and the same Redis, and they then share:

* the window budget: an atomic Lua script books each send time in a Redis sorted set, so that any
  ``window + headroom`` seconds hold at most ``limit`` sends and any ``burst * (window + headroom) / limit``
  seconds at most ``burst`` (the same sliding-window pacing as ``InProcessRateLimiter``, on Redis' clock, so
  the machines' clocks do not matter). A request that must wait books a future slot (FIFO across all
  processes) and sleeps until then; a cancelled waiter gives its slot back;
* the pause: a 429, or an answer reporting the window spent (``X-RateLimit-Remaining`` at ``reserve`` or
  below), pauses every process until ``X-RateLimit-Reset`` (or ``Retry-After``), capped at ``max_wait``.

The keys are ``<prefix>:{<hash>}:log``, ``...:pause`` and ``...:procs`` (below), where ``<hash>`` is a SHA-256 of the
token (or ``key=``): the token itself is never stored, sent to Redis, logged or shown in a repr. Keys expire
on their own. One ``RedisRateLimiter`` serves one event loop (redis-py's connections belong to a loop): create
it per process, e.g. in the application's start-up hook, and ``await limiter.aclose()`` at shutdown.

When Redis is slow or down
    Every Redis call has ``redis_timeout`` seconds (default 0.25). On an error or a timeout the limiter logs
    one WARNING on the ``intercom_async`` logger and paces locally with an ``InProcessRateLimiter``
    (``limiter.fallback``), plus the adaptive ``X-RateLimit-*`` pacing and 429 pause, which it keeps learning
    all along; it never raises to the caller because of Redis. The local budget is this process's **share**:
    ``limit // P`` per window (at least 1), where ``P`` is the number of processes last seen using the budget.
    Each process registers itself in Redis (``<prefix>:{<hash>}:procs``, a sorted set; a member is a random
    id, refreshed inside the booking script at most every ``(window + headroom) / 2`` seconds and forgotten
    ``3 * (window + headroom)`` seconds after its last request), and remembers the count it read for the
    outage. The local budget also starts with the process's own sends of the last window, so the window the
    outage begins in is counted too; requests waiting for a booked slot when Redis fails are paced locally
    instead. So with an even load the fleet stays under ``limit`` while Redis is out (if only some processes
    lose Redis, the others do not see their local sends: at most their shares more). A process that never
    reached Redis paces at the whole ``limit``; ``fallback_limit=`` fixes the local budget instead of the
    share. Every ``retry_interval`` seconds (default 5) one request tries Redis again (on fresh connections);
    when it answers, shared pacing resumes (an INFO line says so), and for ``retry_interval + window +
    headroom`` more each request also takes a local slot: the other processes, still pacing locally until
    their own retry, are not in Redis' log. The server's ``X-RateLimit-Remaining`` and 429s pause each
    process alone while Redis is out.

Needs the ``redis`` extra: ``pip install 'intercom-async[redis]'`` (redis-py's asyncio client).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "intercom_async.ratelimit_redis needs redis-py: install the redis extra, pip install 'intercom-async[redis]'"
    ) from exc

from ._ratelimit import InProcessRateLimiter, RateLimiter
from ._ratelimit_headers import parse_count, parse_reset_delay, parse_retry_after

__all__ = ["RedisRateLimiter", "RedisLimiterStats"]

logger = logging.getLogger("intercom_async")

# KEYS: the send log (sorted set: member -> send time on Redis' clock), the pause (Redis time to wait for), the
# processes using the budget (sorted set: process id -> Redis time last seen)
# ARGV: mode ("book" | "confirm"), member, limit, span, burst, burst_span, process id, heartbeat ttl ("" = none)
# "book": (re)book a send time for `member`; "confirm": after sleeping, 0 if `member` may go now, else the
# seconds still to wait (its slot is later, or a pause began meanwhile: then it is booked again after it).
# With a heartbeat, the process is (re)registered and the processes seen within the ttl are counted.
# Returns {seconds as a string (a Lua number would be truncated to an integer), processes counted or 0}.
_ACQUIRE_LUA = """
if redis.replicate_commands then redis.replicate_commands() end -- Redis < 5: allow TIME before writes
local log, pause_key, procs_key = KEYS[1], KEYS[2], KEYS[3]
local mode, member = ARGV[1], ARGV[2]
local limit, span = tonumber(ARGV[3]), tonumber(ARGV[4])
local burst, burst_span = tonumber(ARGV[5]), tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local procs = 0
if ARGV[8] ~= '' then
  local ttl = tonumber(ARGV[8])
  redis.call('ZADD', procs_key, now, ARGV[7])
  redis.call('ZREMRANGEBYSCORE', procs_key, '-inf', now - ttl)
  procs = redis.call('ZCARD', procs_key)
  redis.call('PEXPIRE', procs_key, math.ceil(ttl * 1000))
end
local pause = tonumber(redis.call('GET', pause_key) or '0') or 0
if mode == 'confirm' then
  local mine = tonumber(redis.call('ZSCORE', log, member) or '0') or 0
  if pause <= now then
    if mine <= now then return {'0', procs} end
    return {tostring(mine - now), procs}
  end
end
redis.call('ZREM', log, member)
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - span)
local size = redis.call('ZCARD', log)
local slot = now
if size >= burst then
  local last = tonumber(redis.call('ZRANGE', log, -1, -1, 'WITHSCORES')[2])
  local first_of_burst = tonumber(redis.call('ZRANGE', log, -burst, -burst, 'WITHSCORES')[2])
  slot = math.max(now, last, first_of_burst + burst_span)
  if size >= limit then
    slot = math.max(slot, tonumber(redis.call('ZRANGE', log, -limit, -limit, 'WITHSCORES')[2]) + span)
  end
end
if pause > slot then slot = pause end
redis.call('ZADD', log, slot, member)
redis.call('PEXPIRE', log, math.ceil((slot - now + span) * 1000) + 1000)
return {tostring(slot - now), procs}
"""

# KEYS: the pause; ARGV: seconds from now. Extends the pause, never shortens it.
_PAUSE_LUA = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local delay = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if now + delay > current then
  redis.call('SET', KEYS[1], tostring(now + delay), 'PX', math.ceil(delay * 1000) + 1000)
end
return 1
"""

_UNBOOK_LUA = "return redis.call('ZREM', KEYS[1], ARGV[1])"  # also: a process leaving the budget

_REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, asyncio.TimeoutError, ValueError)


def key_hash(secret: str) -> str:
    """The 32-hex-digit SHA-256 prefix that names a budget in Redis (never the token itself)."""
    return hashlib.sha256(b"intercom_async rate limit\0" + secret.encode()).hexdigest()[:32]


class RedisLimiterStats:
    """Counters of a ``RedisRateLimiter`` (this process only; monotonic)."""

    __slots__ = ("local", "outages", "pauses", "redis_errors", "shared", "waited_seconds", "waits")

    def __init__(self) -> None:
        self.shared = 0  # requests let through by the shared (Redis) budget
        self.local = 0  # requests let through by the local fallback while Redis was unavailable
        self.waits = 0  # shared requests that had to wait for their slot or a pause
        self.waited_seconds = 0.0
        self.pauses = 0  # pauses this process published (429s, spent windows)
        self.redis_errors = 0  # failed or timed-out Redis calls
        self.outages = 0  # times the limiter switched to local pacing

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"RedisLimiterStats({fields})"


class _Unavailable(Exception):
    """Internal: Redis did not answer usefully; use the fallback."""


class _Fallback(InProcessRateLimiter):
    """The local budget used while Redis is unavailable: resized to the process's share when an outage begins,
    and seeded with the process's own recent sends so that the window the outage begins in counts them."""

    def share(self, limit: int, burst: int | None, sent: Iterable[float]) -> None:
        with self._lock:
            size = min(limit, burst if burst is not None else max(1, limit // 10))
            self.limit, self.burst, self._burst_span = limit, size, self._span * size / limit
            cutoff = self._clock() - self._span
            self._log = deque(sorted(t for t in (*self._log, *sent) if t > cutoff))


class RedisRateLimiter(RateLimiter):
    """A ``RateLimiter`` whose budget and pauses live in Redis, shared by every process using the same token.

    Args:
        redis: a ``redis.asyncio.Redis`` client (used as is, never closed here), or a URL such as
            ``"redis://localhost:6379/0"`` (a client is created with ``redis_timeout`` socket timeouts and
            no automatic retries, and closed by ``aclose()``).
        limit: requests per ``window`` for the whole app, all processes together (a private app allowed
            10,000 a minute: ``limit=1666, window=10``).
        window: the server's window in seconds (Intercom: 10).
        token: the app's access token; only its SHA-256 hash names the Redis keys. Or pass ``key=``.
        key: any stable name of the budget instead of the token (e.g. the app id, when tokens rotate).
        burst: at most this many sends back to back (default ``limit // 10``, at least 1).
        headroom: seconds added to ``window`` (default 5% of it, at least 50 ms) to absorb the delay between
            a slot and the server counting the request.
        reserve: pause every process once the server reports this many requests left or fewer (default 0).
        reset_margin: seconds added to a pause (clock granularity).
        max_wait: cap on a pause, and on each sleep (a longer booked wait is slept in several steps).
        redis_timeout: seconds allowed for each Redis call before falling back to local pacing.
        retry_interval: seconds between attempts to reach Redis again while it is unavailable.
        fallback_limit: a fixed number of requests per ``window`` for this process alone while Redis is
            unavailable (default ``None``: its share, ``limit // P`` with ``P`` the processes last seen using
            the budget, or ``limit`` before Redis ever answered).
        prefix: Redis key prefix.
        clock / wall_clock / sleep: injectable for tests (monotonic seconds, Unix seconds, async sleep).
    """

    def __init__(
        self,
        redis: aioredis.Redis | str,
        *,
        limit: int,
        window: float = 10.0,
        token: str | None = None,
        key: str | None = None,
        burst: int | None = None,
        headroom: float | None = None,
        reserve: int = 0,
        reset_margin: float = 0.02,
        max_wait: float = 60.0,
        redis_timeout: float = 0.25,
        retry_interval: float = 5.0,
        fallback_limit: int | None = None,
        prefix: str = "intercom_async:rl",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        if (token is None) == (key is None):
            raise ValueError("pass exactly one of token= (hashed) or key= to name the shared budget")
        secret = token if token is not None else key
        if not isinstance(secret, str) or not secret:
            raise ValueError("token= / key= must be a non-empty str")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {limit!r}")
        for name, value in (("window", window), ("redis_timeout", redis_timeout), ("max_wait", max_wait)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if not (math.isfinite(retry_interval) and retry_interval >= 0):
            raise ValueError(f"retry_interval must be >= 0, got {retry_interval!r}")
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be >= 1 (or None), got {burst}")
        if reserve < 0:
            raise ValueError(f"reserve must be >= 0, got {reserve}")
        if isinstance(redis, str):
            self._redis = aioredis.Redis.from_url(
                redis,
                socket_timeout=redis_timeout,
                socket_connect_timeout=redis_timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._owns_redis = True
        elif isinstance(redis, aioredis.Redis):
            self._redis = redis
            self._owns_redis = False
        else:
            raise TypeError(f"redis must be a redis.asyncio.Redis or a URL str, not {type(redis).__name__}")
        self.limit = limit
        self.window = float(window)
        self.burst = min(limit, burst if burst is not None else max(1, limit // 10))
        self.headroom = max(0.05 * self.window, 0.05) if headroom is None else float(headroom)
        self.reserve = reserve
        self.reset_margin = reset_margin
        self.max_wait = float(max_wait)
        self.redis_timeout = float(redis_timeout)
        self.retry_interval = float(retry_interval)
        self._span = self.window + self.headroom
        self._burst_span = self._span * self.burst / limit
        self._hash = key_hash(secret)
        self.log_key = f"{prefix}:{{{self._hash}}}:log"  # {hash}: both keys in one Redis Cluster slot
        self.pause_key = f"{prefix}:{{{self._hash}}}:pause"
        self._acquire_script = self._redis.register_script(_ACQUIRE_LUA)
        self._pause_script = self._redis.register_script(_PAUSE_LUA)
        self._unbook_script = self._redis.register_script(_UNBOOK_LUA)
        self.procs_key = f"{prefix}:{{{self._hash}}}:procs"
        self._id = uuid.uuid4().hex[:12]  # this process (this limiter) among the budget's users
        self._members = (f"{self._id}:{n}" for n in itertools.count())
        self._beat_every = self._span / 2  # refresh this process's registration at most this often
        self._beat_ttl_s = 3 * self._span  # processes not seen for this long no longer count
        self._beat_ttl = repr(self._beat_ttl_s)
        self._beat_at = 0.0  # monotonic: the next booking carries a heartbeat from then on
        self._processes: int | None = None  # processes seen at the last heartbeat (this one included)
        self._counted_at = 0.0  # monotonic: when that count was taken
        self._fixed_fallback = fallback_limit is not None
        self._burst_arg = burst
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self.fallback = _Fallback(
            fallback_limit if fallback_limit is not None else limit,
            window,
            burst=burst,
            headroom=headroom,
            reserve=reserve,
            reset_margin=reset_margin,
            max_wait=max_wait,
            clock=clock,
            wall_clock=wall_clock,
            sleep=sleep,
        )
        self._local_held = 0  # fallback acquisitions not yet released
        self._sent: deque[float] = deque(maxlen=limit)  # monotonic times of this process's recent shared sends
        self._down = False
        self._retry_at = 0.0  # monotonic: when to try Redis again while down
        self._rejoin_until = 0.0  # monotonic: until then, requests also take a local slot (see acquire)
        self._background: set[asyncio.Task[Any]] = set()
        self.stats = RedisLimiterStats()

    def __repr__(self) -> str:
        state = "local (Redis unavailable)" if self._down else "shared"
        return f"<RedisRateLimiter limit={self.limit} window={self.window} budget={self._hash[:8]}... state={state}>"

    @property
    def shared(self) -> bool:
        """False while Redis is unavailable and this process paces alone."""
        return not self._down

    @property
    def processes(self) -> int | None:
        """The processes seen using this budget (this one included) at this process's last heartbeat, or
        None before Redis answered one. An outage divides ``limit`` by it (unless ``fallback_limit`` is set)."""
        return self._processes

    # ------------------------------------------------------------------ RateLimiter

    async def acquire(self) -> None:
        if not self._down or await self._probe():
            # Rejoining after an outage: other processes may still pace locally, unseen in Redis, so for a
            # while a request takes a local slot (within this process's share) before booking a shared one.
            rejoining = self._down or self._clock() < self._rejoin_until
            if rejoining:
                await self.fallback.acquire()
            member = next(self._members)
            try:
                await self._acquire_shared(member)
            except _Unavailable:
                if rejoining:  # already paced locally
                    self._local_held += 1
                    self.stats.local += 1
                    return
            except BaseException:
                if rejoining:
                    self.fallback.release()
                raise
            else:
                self.stats.shared += 1
                if rejoining:
                    self._local_held += 1  # counted in the local log (it seeds the next outage's share)
                else:
                    self._sent.append(self._clock())
                return
        await self.fallback.acquire()
        self._local_held += 1
        self.stats.local += 1

    def release(self) -> None:
        # Shared slots need no release (they age out of the window); fallback ones do.
        if self._local_held > 0:
            self._local_held -= 1
            self.fallback.release()

    async def observe(self, status: int, headers: Mapping[str, str]) -> None:
        # The fallback always learns (and logs bad header values, once per header): it is warm when needed.
        await self.fallback.observe(status, headers)
        wall = self._wall_clock()
        delay: float | None = None
        if status == 429:
            delay = parse_retry_after(headers.get("Retry-After"), wall)
            if delay is None:
                delay = parse_reset_delay(headers.get("X-RateLimit-Reset"), wall)
        else:
            remaining = parse_count(headers.get("X-RateLimit-Remaining"))
            if remaining is not None and remaining <= self.reserve:
                delay = parse_reset_delay(headers.get("X-RateLimit-Reset"), wall)  # the fallback logs bad ones
        if delay is None or delay <= 0 or self._down:
            return
        delay = min(delay + self.reset_margin, self.max_wait)
        try:
            await self._call(self._pause_script, [self.pause_key], [repr(delay)])
        except _Unavailable:
            return
        self.stats.pauses += 1

    async def aclose(self) -> None:
        """Wait for pending slot returns (at most ``redis_timeout``) and close the Redis client if this
        limiter created it from a URL. The limiter is not usable for shared pacing afterwards."""
        if self._processes is not None and not self._down:  # leave the count of the budget's processes
            self._background.add(asyncio.ensure_future(self._unbook(self._id, self.procs_key)))
        if self._background:
            _, pending = await asyncio.wait(set(self._background), timeout=self.redis_timeout * 2)
            for task in pending:  # Redis too slow: those slots age out of the window by themselves
                task.cancel()
        if self._owns_redis:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisRateLimiter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ internals

    async def _probe(self) -> bool:
        """While Redis is unavailable: True for one caller every ``retry_interval`` seconds, which tries Redis
        again (on fresh connections: the pool's idle ones died with the server) while the others stay local."""
        now = self._clock()
        if now < self._retry_at:
            return False
        self._retry_at = now + self.retry_interval
        try:
            await asyncio.wait_for(self._redis.connection_pool.disconnect(inuse_connections=False), self.redis_timeout)
        except _REDIS_ERRORS:
            pass  # the probe itself will tell
        return True

    async def _acquire_shared(self, member: str) -> None:
        """Book a slot for ``member`` and sleep until it; raises ``_Unavailable`` if Redis fails (before or
        after booking: a booked slot is then paced again locally, with the share's seeded budget)."""
        try:
            delay = await self._book("book", member)
            if delay <= 0:
                return
            self.stats.waits += 1
            while delay > 0:
                step = min(delay, self.max_wait)
                self.stats.waited_seconds += step
                await self._sleep(step)
                delay = await self._book("confirm", member)
        except _Unavailable:
            raise
        except BaseException:
            self._unbook_later(member)  # cancelled (possibly after booking): give the slot back
            raise

    async def _book(self, mode: str, member: str) -> float:
        """One run of the booking script (with a heartbeat when one is due); the seconds to wait."""
        now = self._clock()
        beat = now >= self._beat_at
        args = [mode, member, self.limit, repr(self._span), self.burst, repr(self._burst_span), self._id]
        args.append(self._beat_ttl if beat else "")
        raw = await self._call(self._acquire_script, [self.log_key, self.pause_key, self.procs_key], args)
        try:
            delay = float(raw[0])
            if beat:
                self._beat_at = now + self._beat_every
                self._count(max(1, int(raw[1])), now)
        except (TypeError, ValueError, IndexError) as exc:
            self._mark_down(exc)
            raise _Unavailable from None
        return delay if math.isfinite(delay) and delay > 0 else 0.0

    def _count(self, processes: int, now: float) -> None:
        """Remember the processes counted: the most seen within a membership's lifetime, and never fewer while
        rejoining after an outage (a Redis that came back empty has not seen every process again yet)."""
        current = self._processes
        if current is None or processes >= current:
            self._processes, self._counted_at = processes, now
        elif now - self._counted_at > self._beat_ttl_s and now >= self._rejoin_until:
            self._processes, self._counted_at = processes, now

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        try:
            raw = await asyncio.wait_for(script(keys=keys, args=args), self.redis_timeout)
        except _REDIS_ERRORS as exc:
            self.stats.redis_errors += 1
            self._mark_down(exc)
            raise _Unavailable from None
        if self._down:
            self._down = False
            # the other processes come back within retry_interval; their local sends leave the window a span later
            self._rejoin_until = self._clock() + self.retry_interval + self._span
            logger.info("RedisRateLimiter %s...: Redis answers again; shared pacing resumed", self._hash[:8])
        return raw

    def _mark_down(self, exc: BaseException) -> None:
        self._retry_at = self._clock() + self.retry_interval
        if self._down:
            return
        self._down = True
        self.stats.outages += 1
        if self._fixed_fallback:
            how = "fallback_limit"
        else:  # this process's share of the budget, counting its own sends of the last window
            processes = self._processes or 1
            self.fallback.share(max(1, self.limit // processes), self._burst_arg, self._sent)
            how = f"1/{processes} of {self.limit}: {processes} processes last seen"
        logger.warning(
            "RedisRateLimiter %s...: Redis unavailable (%s); pacing this process locally "
            "(%d requests per %.4g s, %s) and trying Redis again every %.4g s",
            self._hash[:8],
            "timed out" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__,
            self.fallback.limit,
            self.window,
            how,
            self.retry_interval,
        )

    def _unbook_later(self, member: str) -> None:
        """Remove a booked slot in the background (the caller is being cancelled and cannot await)."""
        try:
            task = asyncio.get_running_loop().create_task(self._unbook(member))
        except RuntimeError:
            return  # no loop left: the slot simply ages out of the window
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _unbook(self, member: str, key: str | None = None) -> None:
        try:
            keys = [key or self.log_key]
            await asyncio.wait_for(self._unbook_script(keys=keys, args=[member]), self.redis_timeout)
        except _REDIS_ERRORS:
            pass  # the slot ages out of the window by itself
