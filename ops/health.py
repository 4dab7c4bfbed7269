"""What /healthz says: each part the service needs, its status and a short detail.

    {"status": "ok" | "degraded" | "down",
     "parts": {"database": {...}, "broker": {...}, "zones": {"<zone>": {...}},
               "worker": {...}, "beat": {...}}}

"down" (HTTP 503) only when this process cannot answer updates: its database is down. A
zone's primary, the broker, the worker or beat being down makes the answer "degraded"
(HTTP 200): updates still work (a zone whose primary is down answers dnserr, and every
web process shares that primary, so taking this one out of a load balancer helps no one).

A load balancer may ask every second: the answer is computed at most once per
DDNS_HEALTH_CACHE_SECONDS per process, every check has a timeout of a few tenths of a
second, the zones' primaries are asked in parallel, and nothing is written.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import DatabaseError

from domains import health as domain_health
from ops import heartbeat

logger = logging.getLogger(__name__)

OK, DEGRADED, DOWN, UNKNOWN = "ok", "degraded", "down", "unknown"
MAX_PARALLEL_ZONES = 16


@dataclass(frozen=True)
class Part:
    status: str
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Broker:
    part: Part
    beats: heartbeat.Beats | None


_lock = threading.Lock()
_cached: tuple[float, dict] | None = None
# The zones last read, so their primaries are still checked while the database is down.
_last_primaries: list[domain_health.Primary] = []
_executor: ThreadPoolExecutor | None = None


def health() -> dict:
    """The answer, computed at most once per DDNS_HEALTH_CACHE_SECONDS in this process;
    concurrent callers wait for the one computing it instead of all checking."""
    global _cached
    with _lock:
        now = time.monotonic()
        if _cached is None or now >= _cached[0]:
            _cached = (now + settings.DDNS_HEALTH_CACHE_SECONDS, _answer())
        return _cached[1]


def forget() -> None:
    """Drop the cached answer (after a setting changed)."""
    global _cached
    with _lock:
        _cached = None


def _answer() -> dict:
    # The broker is asked while this thread asks the database (whose connection belongs
    # to this thread) and then the zones' primaries: the wait is the longest, not the sum.
    asking_broker = _pool().submit(_guarded_broker)
    database, primaries = _guarded("database", _database)
    zones = _zones(primaries)
    broker = asking_broker.result()
    worker, beat = _heartbeat_parts(broker.beats)
    parts: dict[str, object] = {
        "database": database.as_json(),
        "broker": broker.part.as_json(),
        "zones": {zone: part.as_json() for zone, part in zones.items()},
        "worker": worker.as_json(),
        "beat": beat.as_json(),
    }
    others = [broker.part, worker, beat, *zones.values()]
    if database.status != OK:
        status = DOWN
    else:
        status = OK if all(part.status == OK for part in others) else DEGRADED
    return {"status": status, "parts": parts}


def _guarded(name: str, check: Callable[[], tuple[Part, list]]) -> tuple[Part, list]:
    """A check that fails in an unforeseen way says so instead of failing the answer."""
    try:
        return check()
    except Exception as error:
        logger.exception("health check of the %s failed", name)
        return Part(DOWN, f"check failed: {type(error).__name__}"), []


def _database() -> tuple[Part, list[domain_health.Primary]]:
    """One query that proves the database answers and reads the enabled zones."""
    global _last_primaries
    started = time.perf_counter()
    try:
        primaries = domain_health.enabled_primaries()
    except DatabaseError as error:
        return Part(DOWN, _failure(error)), _last_primaries
    _last_primaries = primaries
    return Part(OK, f"answered in {_ms(started)} ms"), primaries


def _guarded_broker() -> Broker:
    try:
        return _broker()
    except Exception as error:
        logger.exception("health check of the broker failed")
        return Broker(Part(DOWN, f"check failed: {type(error).__name__}"), None)


def _broker() -> Broker:
    client = heartbeat.broker_redis()
    if client is None:
        return Broker(Part(UNKNOWN, "only a Redis broker is checked"), None)
    started = time.perf_counter()
    try:
        beats = heartbeat.read(client)
    except (redis.RedisError, OSError) as error:
        return Broker(Part(DOWN, _failure(error)), None)
    return Broker(Part(OK, f"answered in {_ms(started)} ms"), beats)


def _zones(primaries: list[domain_health.Primary]) -> dict[str, Part]:
    timeout = settings.DDNS_HEALTH_DNS_TIMEOUT
    if len(primaries) <= 1:  # the common case needs no thread
        return {
            p.zone: _zone_part(domain_health.primary_state(p, timeout=timeout)) for p in primaries
        }
    futures = {
        primary.zone: _pool().submit(domain_health.primary_state, primary, timeout=timeout)
        for primary in primaries
    }
    # Each query has its own timeout; this bound only guards against a stuck pool.
    wait(futures.values(), timeout=timeout + 0.5)
    return {
        zone: _zone_part(future.result()) if future.done() else Part(DOWN, "no answer in time")
        for zone, future in futures.items()
    }


def _zone_part(state: domain_health.PrimaryState) -> Part:
    return Part(OK if state.ok else DOWN, state.detail)


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:  # created lazily: after gunicorn forked this worker
        _executor = ThreadPoolExecutor(MAX_PARALLEL_ZONES, thread_name_prefix="healthz")
    return _executor


def _heartbeat_parts(beats: heartbeat.Beats | None) -> tuple[Part, Part]:
    if beats is None:
        unknown = Part(UNKNOWN, "the broker cannot be read")
        return unknown, unknown
    now = time.time()
    worker = _freshness(heartbeat.age(beats.worker_ran_at, now), "ran a heartbeat")
    if worker.status == OK and beats.queue_lag is not None:
        worker = Part(OK, f"{worker.detail}, queue lag {beats.queue_lag:.2f} s")
    beat = _freshness(heartbeat.age(beats.beat_sent_at, now), "sent a heartbeat")
    return worker, beat


def _freshness(age: float | None, did: str) -> Part:
    stale = settings.DDNS_HEARTBEAT_STALE_SECONDS
    if age is None:
        return Part(DOWN, f"never {did}")
    status = OK if age <= stale else DOWN
    return Part(status, f"{did} {age:.0f} s ago" + ("" if status == OK else f" (> {stale:g} s)"))


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.1f}"


def _failure(error: Exception) -> str:
    # The error's class only: its text names hosts and ports, which /healthz keeps private.
    return f"not answering ({type(error).__name__})"
