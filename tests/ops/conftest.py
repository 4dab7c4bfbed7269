"""The ops tests' broker: Redis database 3 on the machine's Redis, emptied around each test,
and no cached health answer carried from one test to the next."""

import pytest
import redis

from ops import health

BROKER_URL = "redis://127.0.0.1:6379/3"


@pytest.fixture
def broker():
    client = redis.Redis.from_url(BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def _ops_settings(settings, broker):
    settings.CELERY_BROKER_URL = BROKER_URL
    settings.DDNS_HEALTH_CACHE_SECONDS = 0.0
    settings.DDNS_LIMITS_REDIS_URL = ""  # rate limits have their own tests
    health.forget()
    yield
    health.forget()
