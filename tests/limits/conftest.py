"""Limits counted in a real Redis: database 4, emptied before each test, with the
thresholds at their production defaults unless a test says otherwise."""

import pytest
import redis
from django.core.cache import cache

from domains import limits

LIMITS_REDIS_URL = "redis://127.0.0.1:6379/4"


@pytest.fixture(autouse=True)
def limits_redis(settings):
    settings.DDNS_LIMITS_REDIS_URL = LIMITS_REDIS_URL
    settings.DDNS_LIMITS_KEY_PREFIX = "ddns:limits:"
    connection = redis.Redis.from_url(LIMITS_REDIS_URL)
    connection.flushdb()
    limits.reset()
    cache.clear()  # the API's own request rates count in the cache
    yield connection
    connection.flushdb()
    connection.close()
    limits.reset()
    cache.clear()
