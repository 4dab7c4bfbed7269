"""Drift repair: make each zone's A and AAAA records of hosts match the database again.

The database is the desired state. A restored, restarted or hand-edited name server is
read back by zone transfer and every host whose records differ is rewritten.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from domains import dns, services
from domains.models import Domain, Host

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Repair:
    fqdn: str
    found: dict[str, set[str]]
    wanted: dict[str, str | None]


def domain_reconcile(*, domain: Domain) -> list[Repair]:
    """Rewrite every host of the zone whose published records differ from the database."""
    server = services.dns_server(domain)
    published = dns.read_addresses(server)
    repairs = []
    for host in Host.objects.filter(domain=domain).only("pk"):
        repair = _repair_host(host.pk, published, server)
        if repair:
            repairs.append(repair)
    if repairs:
        logger.warning("zone %s: repaired %d drifted hosts", domain.name, len(repairs))
    services.domain_record_success(domain=domain)
    return repairs


def _repair_host(pk: int, published: dict, server: dns.Server) -> Repair | None:
    with transaction.atomic():
        # Locked, so an update arriving meanwhile waits and the newest state wins.
        host = Host.objects.select_for_update().select_related("domain").get(pk=pk)
        found = published.get(host.fqdn, {"A": set(), "AAAA": set()})
        wanted = {"A": host.ipv4, "AAAA": host.ipv6}
        if all(found[rdtype] == ({value} if value else set()) for rdtype, value in wanted.items()):
            return None
        dns.replace_addresses(server, host.fqdn, wanted, host.domain.ttl)
        return Repair(fqdn=host.fqdn, found=found, wanted=wanted)
