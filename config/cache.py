"""The Redis cache, with a per-process fallback for while Redis is unreachable.

Throttles (ours, DRF's, the sign-in rate limits of other apps) and cached reference data all
go through the default cache. Django's ``RedisCache`` raises ``ConnectionError`` when Redis is
down, and every request that touched the cache answered 500: an anonymous raise was lost. This
backend answers from a local memory cache instead, so a limit keeps being enforced by each
process on its own (a client gets at most the limit per process, never unlimited) and the
request goes on.

A failure opens a breaker for ``RETRY_SECONDS``: requests then skip Redis entirely, rather than
each paying a connect timeout, and the outage is logged once when it starts and once when it
ends, not once per request. No library does this for Django's own Redis backend
(django-redis's ``IGNORE_EXCEPTIONS`` answers a miss, which turns every throttle off).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("config.cache")

RETRY_SECONDS = 5.0
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class _Breaker:
    """Shared by every thread of the process (Django builds a cache object per thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open_until = 0.0
        self.down_since = 0.0
        self.fallbacks = 0

    def closed(self) -> bool:
        return time.monotonic() >= self.open_until

    def trip(self, location: str, exc: BaseException) -> None:
        with self.lock:
            first = self.down_since == 0.0
            now = time.monotonic()
            self.open_until = now + RETRY_SECONDS
            if first:
                self.down_since = now
        if first:
            logger.error(
                "cache unavailable (%s): answering from process memory, retrying every %.0fs",
                type(exc).__name__,
                RETRY_SECONDS,
            )

    def recovered(self) -> None:
        if self.down_since == 0.0:
            return
        with self.lock:
            down, self.down_since = time.monotonic() - self.down_since, 0.0
            fallbacks, self.fallbacks = self.fallbacks, 0
        logger.warning(
            "cache available again after %.1fs (%d operations answered locally)", down, fallbacks
        )


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str) -> _Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, _Breaker())


class FallbackRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        # Bounded waits: a Redis that accepts and never answers must not hold a request.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})
        self._location = server if isinstance(server, str) else ",".join(server)
        self._breaker = breaker_for(self._location)
        self._local = LocMemCache(
            f"fallback:{self._location}",
            {k: v for k, v in params.items() if k in {"TIMEOUT", "KEY_PREFIX", "VERSION"}},
        )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._breaker.closed():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except UNAVAILABLE as exc:
                self._breaker.trip(self._location, exc)
            else:
                self._breaker.recovered()
                return result
        self._breaker.fallbacks += 1
        return getattr(self._local, name)(*args, **kwargs)

    @property
    def available(self) -> bool:
        """False while the breaker is open (Redis failed within the last few seconds)."""
        return self._breaker.closed()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        return self._call("clear")
