"""Django's Redis cache, failing open: when Redis is down the cache behaves as an empty one
that keeps nothing, instead of raising.

What the service keeps in the cache is all advisory: login and API throttling counts,
OpenID Connect answers believed for a while, de-duplication of repeated alerts. Losing it
for the length of a Redis outage lets a few more attempts or alerts through; raising
would turn every login, every API call and every page that counts something into a 500.
Updates and the portal must keep working while Redis restarts, so the cache gives way.

Each operation waits at most `socket_timeout` seconds (set in settings OPTIONS) for a
Redis that hangs rather than refuses.
"""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY_SECONDS = 60.0  # one log line a minute per process, not one per request
T = TypeVar("T")

_last_warning = 0.0


def _fail_open(operation: Callable[[], T], fallback: T) -> T:
    try:
        return operation()
    except UNAVAILABLE as error:
        _warn(error)
        return fallback


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:
        _last_warning = now
        logger.warning("cache unavailable, going on without it: %s", error)


class FailOpenRedisCache(RedisCache):
    """RedisCache whose every operation acts on an empty cache when Redis is unreachable:
    nothing is found, `add` succeeds (the caller's first time), writes are dropped."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return _fail_open(
            lambda: super(FailOpenRedisCache, self).get(key, default, version), default
        )

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        return _fail_open(lambda: super(FailOpenRedisCache, self).get_many(keys, version), {})

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return _fail_open(lambda: super(FailOpenRedisCache, self).has_key(key, version), False)

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return _fail_open(
            lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version), True
        )

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        _fail_open(lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version), None)

    def set_many(self, data: dict, timeout: Any = None, version: int | None = None) -> list:
        return _fail_open(
            lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version), []
        )

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return _fail_open(
            lambda: super(FailOpenRedisCache, self).touch(key, timeout, version), False
        )

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return _fail_open(lambda: super(FailOpenRedisCache, self).incr(key, delta, version), delta)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return _fail_open(lambda: super(FailOpenRedisCache, self).delete(key, version), False)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        _fail_open(lambda: super(FailOpenRedisCache, self).delete_many(keys, version), None)

    def clear(self) -> None:
        _fail_open(lambda: super(FailOpenRedisCache, self).clear(), None)
