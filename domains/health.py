"""Read-only checks of what updates depend on: the database and each zone's primary.

For the operators' health endpoint: no writes, short timeouts, and details that never
name a server's address (a hidden primary stays hidden from whoever reads /healthz).
"""

import time
from dataclasses import dataclass

from domains import dns
from domains.models import Domain


@dataclass(frozen=True)
class Primary:
    """Where an enabled zone's updates go: plain values, so it outlives the query."""

    zone: str
    host: str
    port: int


@dataclass(frozen=True)
class PrimaryState:
    ok: bool
    detail: str


def enabled_primaries() -> list[Primary]:
    """Every enabled zone's primary, in one query (raises DatabaseError when it fails)."""
    rows = Domain.objects.filter(enabled=True).order_by("name")
    return [
        Primary(zone=name, host=host, port=port)
        for name, host, port in rows.values_list("name", "nameserver_host", "nameserver_port")
    ]


def primary_state(primary: Primary, *, timeout: float) -> PrimaryState:
    """Whether the primary answers the zone's SOA within `timeout` seconds."""
    # The SOA query is unsigned: no key is decrypted for a health check.
    server = dns.Server(
        zone=primary.zone,
        host=primary.host,
        port=primary.port,
        key_name="",
        algorithm="hmac-sha256",
        secret="",
        timeout=timeout,
    )
    started = time.perf_counter()
    try:
        serial = dns.soa_serial(server)
    except dns.DnsError as error:
        return PrimaryState(ok=False, detail=error.reason)
    took_ms = (time.perf_counter() - started) * 1000
    return PrimaryState(ok=True, detail=f"SOA serial {serial} in {took_ms:.1f} ms")
