"""Request limits every web process shares, counted in Redis: the one module that talks to
Redis for them (docs/abuse.md).

- A token bucket per host for address changes (one round trip per change), and a window
  counting the host's unchanged updates (nochg), added up in each process and sent to
  Redis for all hosts at once every DDNS_NOCHG_FLUSH_SECONDS.
- A window per source address counting authentication failures; past the limit, the
  source is refused before any credential is checked. Only a failure costs a round trip:
  the failure that finds the limit passed tells its process, which then refuses the
  source from memory until the window ends, so a good request never asks Redis whether
  its source is refused. Each other process learns it from its own next failure from
  that source: at most one more guess per process gets through.

Fail open: when Redis does not answer, every check says "go ahead", the outage is logged
once and Redis is left alone for DDNS_LIMITS_RETRY_SECONDS, so no request waits for a
timeout while it is down. An update matters more than its limit.
"""

import hashlib
import ipaddress
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

# KEYS: the host's bucket (a hash). ARGV: burst, refill per second.
# Redis's own clock: every web host then agrees on the bucket's time.
_BUCKET_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
return {allowed, wait}
"""

# KEYS: hosts' nochg counters. ARGV: the window in seconds, then what to add to each. A
# window starts at its first count. Returns each counter's new total.
_NOCHG_SCRIPT = """
local window = tonumber(ARGV[1])
local totals = {}
for i, key in ipairs(KEYS) do
  local added = tonumber(ARGV[i + 1])
  local total = redis.call('INCRBY', key, added)
  if total == added then redis.call('EXPIRE', key, window) end
  totals[i] = total
end
return totals
"""

# KEYS: the source's failure counter. ARGV: the window in seconds. The window starts at
# the first failure (a fixed window: simple, and at most twice the limit across an edge).
_FAILURE_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
return {count, redis.call('TTL', KEYS[1])}
"""


@dataclass(frozen=True)
class HostVerdict:
    allowed: bool
    retry_after: int  # seconds until the bucket has room again; 0 when allowed


ALLOW = HostVerdict(allowed=True, retry_after=0)

# Bounds the memory of refused sources per process (a few MB at most).
MAX_REMEMBERED_SOURCES = 100_000


def host_update_check(fqdn: str) -> HostVerdict:
    """Take one update from the host's bucket.

    Counted by name, not row id: a host deleted and registered again keeps its counts."""
    burst = settings.DDNS_HOST_UPDATE_BURST
    per_second = settings.DDNS_HOST_UPDATES_PER_MINUTE / 60
    if burst <= 0 or per_second <= 0:
        return ALLOW
    keys = [_key(f"host:{fqdn}:bucket")]
    result = _call(
        lambda client: _script(client, _BUCKET_SCRIPT)(keys=keys, args=[burst, per_second]), None
    )
    if result is None:
        return ALLOW
    allowed, wait = (int(value) for value in result)
    return HostVerdict(allowed=bool(allowed), retry_after=wait)


def nochg_counted(fqdn: str) -> list[str]:
    """Count one unchanged update of the host; returns the hosts whose window just passed
    DDNS_NOCHG_ABUSE_COUNT.

    Counted in this process first: every DDNS_NOCHG_FLUSH_SECONDS the request that finds
    the time come adds the process's counts to Redis in one round trip (for every host at
    once) and learns the totals. A nochg thus costs no round trip of its own, and a looping
    client is caught within a second of passing the limit."""
    threshold = settings.DDNS_NOCHG_ABUSE_COUNT
    if threshold <= 0:
        return []
    with _state.lock:
        _state.nochg[fqdn] += 1
        now = time.monotonic()
        if now < _state.nochg_flush_at:
            return []
        pending, _state.nochg = _state.nochg, Counter()
        _state.nochg_flush_at = now + settings.DDNS_NOCHG_FLUSH_SECONDS
    keys = [_key(f"host:{name}:nochg") for name in pending]
    args = [settings.DDNS_NOCHG_ABUSE_WINDOW_SECONDS, *pending.values()]
    totals = _call(lambda client: _script(client, _NOCHG_SCRIPT)(keys=keys, args=args), None)
    if totals is None:
        return []
    return [
        name
        for (name, added), total in zip(pending.items(), totals, strict=True)
        if int(total) - added <= threshold < int(total)
    ]


def source_refusal(source: str | None) -> int | None:
    """Seconds this source must wait when its failures passed the limit; None: go ahead.

    Answered from this process's memory (see the module's docstring): no round trip."""
    key = _source_key(source)
    if key is None or settings.DDNS_AUTH_FAILURES_PER_SOURCE <= 0:
        return None
    until = _state.refused_until.get(key)
    if until is None:
        return None
    wait = until - time.monotonic()
    if wait <= 0:
        _state.refused_until.pop(key, None)
        return None
    return max(int(wait + 0.999), 1)


def source_failed(source: str | None) -> None:
    """Count one authentication failure from this source; past the limit, this process
    refuses the source until the window ends."""
    key = _source_key(source)
    limit = settings.DDNS_AUTH_FAILURES_PER_SOURCE
    if key is None or limit <= 0:
        return
    window = settings.DDNS_AUTH_FAILURE_WINDOW_SECONDS
    result = _call(lambda client: _script(client, _FAILURE_SCRIPT)(keys=[key], args=[window]), None)
    if result is None:
        return
    count, ttl = (int(value) for value in result)
    if count >= limit:
        if len(_state.refused_until) >= MAX_REMEMBERED_SOURCES:
            _state.refused_until.clear()  # a flood of addresses: forget, Redis still counts
        _state.refused_until[key] = time.monotonic() + max(ttl, 1)


def _source_key(source: str | None) -> str | None:
    """One counter per IPv4 address and per IPv6 /64 (what one subscriber usually has)."""
    if not source:
        return None
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return None
    if address.version == 6:
        return _key(f"auth:{ipaddress.ip_network(f'{address}/64', strict=False)}")
    return _key(f"auth:{address}")


def _key(name: str) -> str:
    return (
        f"{settings.DDNS_LIMITS_KEY_PREFIX}{_installation(connection.settings_dict['NAME'])}:{name}"
    )


@lru_cache(maxsize=8)
def _installation(database_name: object) -> str:
    """A short mark of the database: installations (and test runs) sharing one Redis keep
    their counts apart, and host ids mean one host each."""
    return hashlib.blake2s(str(database_name).encode(), digest_size=4).hexdigest()


# --- The connection, and staying out of the way when it is down -------------------------


class _State:
    """Per process: one client per URL, and when Redis may be tried again."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clients: dict[tuple[str, float], redis.Redis] = {}
        self.scripts: dict[tuple[int, str], Any] = {}
        self.down_until = 0.0
        self.outage_logged = False
        # Sources past the failure limit, by key: when this process may hear them again.
        self.refused_until: dict[str, float] = {}
        # Unchanged updates by host name, not yet added to Redis, and when to add them.
        self.nochg: Counter[str] = Counter()
        self.nochg_flush_at = 0.0


_state = _State()


def reset() -> None:
    """Forget clients and any outage (settings changed, e.g. in tests)."""
    global _state
    _state = _State()


def _call(action: Callable[[redis.Redis], T], fallback: T) -> T:
    """action(client), or the fallback when limits are off or Redis is down."""
    client = _client()
    if client is None:
        return fallback
    try:
        result = action(client)
    except redis.RedisError as error:
        _went_down(error)
        return fallback
    if _state.outage_logged:
        _state.outage_logged = False
        logger.warning("limits: Redis answers again; limits apply again")
    return result


def _client() -> redis.Redis | None:
    url = settings.DDNS_LIMITS_REDIS_URL
    if not url or time.monotonic() < _state.down_until:
        return None
    timeout = settings.DDNS_LIMITS_TIMEOUT
    with _state.lock:
        client = _state.clients.get((url, timeout))
        if client is None:
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            _state.clients[(url, timeout)] = client
    return client


def _script(client: redis.Redis, source: str) -> Any:
    """The registered script (EVALSHA, loaded again by redis-py when Redis lost it)."""
    key = (id(client), source)
    script = _state.scripts.get(key)
    if script is None:
        script = _state.scripts[key] = client.register_script(source)
    return script


def _went_down(error: Exception) -> None:
    _state.down_until = time.monotonic() + settings.DDNS_LIMITS_RETRY_SECONDS
    if not _state.outage_logged:
        _state.outage_logged = True
        logger.warning(
            "limits: Redis does not answer (%s); requests go unlimited, retrying every %ss",
            error,
            settings.DDNS_LIMITS_RETRY_SECONDS,
        )
