"""Worker and beat heartbeats and the queues' state, kept in the broker's Redis.

Beat sends `ops.tasks.heartbeat` every DDNS_HEARTBEAT_SECONDS. As it publishes the
message it records "beat sent at" and stamps the message with that time; the worker that
runs it records "worker ran at" and how long the message waited in the queue (the queue
lag). Health and metrics read the three values back with one short Redis call, so every
web process, on any machine, sees the same beat and the same workers.
"""

import time
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings

KEY = "ddns:ops:heartbeat"
SENT_HEADER = "ddns_sent_at"
BEAT_SENT_AT = "beat_sent_at"
WORKER_RAN_AT = "worker_ran_at"
QUEUE_LAG = "queue_lag_seconds"


@dataclass(frozen=True)
class Beats:
    """The last heartbeat values; None where none was recorded yet."""

    beat_sent_at: float | None
    worker_ran_at: float | None
    queue_lag: float | None
    queue_lengths: dict[str, int]


def broker_redis() -> redis.Redis | None:
    """A client of the broker's Redis with short timeouts; None for other brokers."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return _client(url, settings.DDNS_HEALTH_REDIS_TIMEOUT)


@lru_cache(maxsize=4)
def _client(url: str, timeout: float) -> redis.Redis:
    # Cached per URL: one connection pool per process, reused by every check.
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def record(client: redis.Redis, **values: float) -> None:
    client.hset(KEY, mapping={name: repr(value) for name, value in values.items()})


def watched_queues() -> list[str]:
    """The queues whose length is worth watching: the default one and each location's."""
    return ["celery", *(f"checks.{location}" for location in settings.DDNS_CHECK_LOCATIONS)]


def read(client: redis.Redis) -> Beats:
    """Ping, the heartbeat values and the queue lengths in one round trip."""
    queues = watched_queues()
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(KEY)
    for queue in queues:
        pipe.llen(queue)
    stored, *lengths = pipe.execute()
    return Beats(
        beat_sent_at=_float(stored.get(BEAT_SENT_AT.encode())),
        worker_ran_at=_float(stored.get(WORKER_RAN_AT.encode())),
        queue_lag=_float(stored.get(QUEUE_LAG.encode())),
        queue_lengths=dict(zip(queues, (int(n) for n in lengths), strict=True)),
    )


def age(at: float | None, now: float | None = None) -> float | None:
    return None if at is None else max(0.0, (now or time.time()) - at)


def _float(raw: bytes | None) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None
