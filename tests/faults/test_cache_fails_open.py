"""The Redis cache gives way when Redis is down: an empty cache that keeps nothing."""

import pytest

from ddns.cache import FailOpenRedisCache
from tests.support.redis import start_redis


@pytest.fixture
def redis_server(tmp_path):
    server = start_redis(tmp_path / "redis")
    yield server
    server.stop()


def cache_on(server) -> FailOpenRedisCache:
    options = {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}
    return FailOpenRedisCache(server.url(1), options)


def test_it_is_a_plain_redis_cache_while_redis_runs(redis_server):
    cache = cache_on(redis_server)
    assert cache.add("alert", 1, 60) is True
    assert cache.add("alert", 1, 60) is False
    cache.set("count", 3)
    assert cache.incr("count") == 4
    assert cache.get("count") == 4


def test_it_acts_as_an_empty_cache_while_redis_is_down(redis_server):
    cache = cache_on(redis_server)
    cache.set("count", 3)
    redis_server.stop()

    assert cache.get("count", "none") == "none"
    assert cache.get_many(["count"]) == {}
    assert cache.has_key("count") is False
    assert cache.add("alert", 1, 60) is True  # the caller's first time: alerts still go out
    assert cache.incr("count") == 1
    cache.set("count", 5)  # dropped, without raising
    cache.delete("count")
    cache.clear()


def test_it_works_again_once_redis_is_back(redis_server):
    cache = cache_on(redis_server)
    redis_server.stop()
    assert cache.get("count") is None
    redis_server.start()
    cache.set("count", 7)
    assert cache.get("count") == 7
