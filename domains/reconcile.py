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
    """Rewrite every host of the zone whose published records differ from the database.

    Raises dns.DnsError when the zone's server fails; the zone is then marked failing.
    """
    server = services.dns_server(domain)
    try:
        published = dns.read_addresses(server)
        hosts = Host.objects.filter(domain=domain).values_list("pk", "fqdn")
        repairs = []
        for pk, fqdn in hosts:
            repair = _repair_host(pk, fqdn, published, server, domain.ttl)
            if repair:
                repairs.append(repair)
    except dns.DnsError as error:
        services.domain_record_failure(domain_id=domain.pk, error=error)
        raise
    if repairs:
        logger.warning("zone %s: repaired %d drifted hosts", domain.name, len(repairs))
    services.domain_record_success(domain=domain)
    return repairs


def _repair_host(
    pk: int, fqdn: str, published: dict, server: dns.Server, ttl: int
) -> Repair | None:
    with transaction.atomic():
        # Locked, so an update arriving meanwhile waits and the newest state wins.
        current = services.host_lock_addresses(host_id=pk)
        found = published.get(fqdn, {"A": set(), "AAAA": set()})
        wanted = {"A": current["ipv4"], "AAAA": current["ipv6"]}
        if all(found[rdtype] == ({value} if value else set()) for rdtype, value in wanted.items()):
            return None
        dns.replace_addresses(server, fqdn, wanted, ttl)
        return Repair(fqdn=fqdn, found=found, wanted=wanted)
