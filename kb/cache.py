"""A Redis cache that a Redis outage cannot turn into a server error.

Django's `RedisCache` raises when Redis refuses a connection or stops
answering. `TolerantRedisCache` answers from this process's memory instead
(a `LocMemCache` of its own) while Redis is unreachable, and goes back to
Redis when it answers again:

- pages and precomputed data: misses, then copies kept per process;
- rate limits (django-ratelimit's `add`/`incr`): counted per process, as
  without Redis, so the sign-in throttle still holds (each worker allows the
  full rate) and nobody is locked out by an outage;
- after a fault, Redis is tried again at most once every RETRY_SECONDS per
  process, so a flood of requests does not queue behind connection attempts.

Each outage is logged once when it starts and once when it ends. Code that
must know (the page cache's precomputed lists) asks `degraded` and may register
`on_recovery` callbacks, run once in the process that sees Redis come back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# A refused or dropped connection, a timeout, Redis still loading its data after a restart.
# Any other refusal (out of memory, a read-only replica after a failover) is one too.
FAULTS = (RedisError,)
RETRY_SECONDS = 1.0
FALLBACK_MAX_ENTRIES = 2000
# Short enough that an unreachable host costs a request little (a refused one costs nothing).
DEFAULT_OPTIONS = {"socket_connect_timeout": 1.0, "socket_timeout": 2.0}

_recovery_callbacks: list[Callable[[], None]] = []


def on_recovery(callback: Callable[[], None]) -> None:
    """Call `callback` in the process that finds Redis answering again after an outage."""
    if callback not in _recovery_callbacks:
        _recovery_callbacks.append(callback)


class _Outage:
    """One process's view of one Redis server: reachable, or down since when."""

    def __init__(self):
        self.lock = threading.Lock()
        self.since: float | None = None
        self.retry_at = 0.0
        self.faults = 0


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(location: str) -> _Outage:
    with _outages_lock:
        return _outages.setdefault(location, _Outage())


def _tolerant(name: str):
    def method(self, *args, **kwargs):
        outage = self._outage
        if outage.since is not None and time.monotonic() < outage.retry_at:
            return getattr(self.fallback, name)(*args, **kwargs)
        try:
            result = getattr(RedisCache, name)(self, *args, **kwargs)
        except FAULTS as error:
            self._fault(error)
            return getattr(self.fallback, name)(*args, **kwargs)
        if outage.since is not None:
            self._recovered()
        return result

    method.__name__ = name
    method.__doc__ = f"RedisCache.{name}, or this process's memory while Redis is unreachable."
    return method


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client, with one `redis.Redis` per connection pool.

    Django's builds a new one for every operation, and each builds its table of
    a few hundred reply handlers: more than a small GET costs on the wire. A
    `redis.Redis` over a pool is safe to share between threads.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    """RedisCache that falls back to process memory while Redis is unreachable."""

    # Every worker and machine sees the same cache (when Redis answers).
    is_shared = True

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        location = ",".join(self._servers)
        self._outage = _outage_for(location)
        # LocMemCache instances with the same name share their data: one per process.
        self.fallback = LocMemCache(
            f"kb-redis-fallback:{location}",
            {
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "OPTIONS": {"MAX_ENTRIES": FALLBACK_MAX_ENTRIES},
            },
        )

    @property
    def degraded(self) -> bool:
        """Whether Redis was unreachable at the last attempt (answers come from process memory)."""
        return self._outage.since is not None

    def _fault(self, error: Exception) -> None:
        outage = self._outage
        with outage.lock:
            now = time.monotonic()
            outage.retry_at = now + RETRY_SECONDS
            outage.faults += 1
            if outage.since is None:
                outage.since = now
                logger.warning(
                    "Redis cache unreachable (%s): answering from process memory until it is back.",
                    error,
                )

    def _recovered(self) -> None:
        outage = self._outage
        with outage.lock:
            if outage.since is None:
                return
            seconds, faults = time.monotonic() - outage.since, outage.faults
            outage.since, outage.faults = None, 0
        logger.warning(
            "Redis cache reachable again after %.1f s (%d operations answered from memory).",
            seconds,
            faults,
        )
        self.fallback.clear()
        for callback in list(_recovery_callbacks):
            try:
                callback()
            except Exception:
                logger.exception("Redis recovery callback %r failed", callback)

    def ping(self) -> bool:
        """Whether Redis answers now (for readiness checks): never raises."""
        try:
            answered = bool(self._cache.get_client(write=True).ping())
        except FAULTS:
            return False
        if answered and self.degraded:
            self._recovered()
        return answered

    add = _tolerant("add")
    get = _tolerant("get")
    set = _tolerant("set")
    touch = _tolerant("touch")
    delete = _tolerant("delete")
    get_many = _tolerant("get_many")
    has_key = _tolerant("has_key")
    incr = _tolerant("incr")
    set_many = _tolerant("set_many")
    delete_many = _tolerant("delete_many")
    clear = _tolerant("clear")
