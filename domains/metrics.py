"""Every Prometheus instrument of the service, declared once and counted at the boundaries.

Callers use the small functions below, never prometheus_client itself, so a metric's name,
labels and meaning live in one place (docs/observability.md lists them). Under gunicorn
the values are kept per process in PROMETHEUS_MULTIPROC_DIR and summed by /metrics.
Labels take only bounded values: result words, zone names, event kinds, token scopes.
"""

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

# Round numbers around what a change costs here: a few ms to a loopback BIND, tens of ms
# across a network, seconds only when the server times out.
DNS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

UPDATES = Counter(
    "ddns_updates",
    "dyndns2 answers, one per host line, by result word",
    ["result"],
)
UPDATE_REQUEST_SECONDS = Histogram(
    "ddns_update_request_seconds",
    "Time to answer one dyndns2 request (/nic/update, /nic/delete)",
    buckets=DNS_BUCKETS,
)
DNS_UPDATE_SECONDS = Histogram(
    "ddns_dns_update_seconds",
    "Time from sending one RFC 2136 message to the zone's primary until its answer",
    ["zone"],
    buckets=DNS_BUCKETS,
)
DNS_UPDATE_ERRORS = Counter(
    "ddns_dns_update_errors",
    "RFC 2136 messages the zone's primary did not take, by error",
    ["zone", "error"],
)
CHECKS = Counter(
    "ddns_ha_checks",
    "Health checks of high-availability members, by location and result",
    ["location", "result"],
)
HA_EVENTS = Counter(
    "ddns_ha_events",
    "Answer changes of high-availability groups and all-down news, by event kind "
    "(failover, recovery, all-down, answer, first-answer)",
    ["kind"],
)
RECONCILE_REPAIRS = Counter(
    "ddns_reconcile_repairs",
    "Names the reconciler rewrote or removed because DNS differed from the database",
    ["zone"],
)
TOKENS_USED = Counter(
    "ddns_api_tokens_used",
    "Requests authenticated by a personal API token, by the token's scope",
    ["scope"],
)


def update_answered(result: str) -> None:
    UPDATES.labels(result=result).inc()


def update_request_took(seconds: float) -> None:
    UPDATE_REQUEST_SECONDS.observe(seconds)


@contextmanager
def dns_update_timer(zone: str) -> Iterator[None]:
    """Time one message to the zone's primary; a failure is counted by its error class."""
    started = time.perf_counter()
    try:
        yield
    except Exception as error:
        DNS_UPDATE_ERRORS.labels(zone=zone, error=type(error).__name__).inc()
        raise
    finally:
        DNS_UPDATE_SECONDS.labels(zone=zone).observe(time.perf_counter() - started)


def checks_done(location: str, outcomes: Iterable[bool]) -> None:
    """One round's probe results (True: the member answered as it should)."""
    passed = failed = 0
    for ok in outcomes:
        passed, failed = (passed + 1, failed) if ok else (passed, failed + 1)
    for result, count in (("ok", passed), ("failed", failed)):
        if count:
            CHECKS.labels(location=location, result=result).inc(count)


def checks_abstained(location: str, count: int) -> None:
    """Members not judged because the location's own canary failed."""
    if count:
        CHECKS.labels(location=location, result="abstained").inc(count)


def ha_event(kind: str) -> None:
    HA_EVENTS.labels(kind=kind).inc()


def names_repaired(zone: str, count: int) -> None:
    if count:
        RECONCILE_REPAIRS.labels(zone=zone).inc(count)


def token_used(scope: str) -> None:
    TOKENS_USED.labels(scope=scope).inc()
