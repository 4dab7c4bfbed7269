"""Drift repair: make each zone's A and AAAA records match the database again.

The database is the desired state. A restored, restarted or hand-edited name server is
read back by zone transfer; every host whose records differ is rewritten, and the names
of deleted hosts whose records the server still holds (RetiredName) are removed. Names
the service never published are not looked at.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from domains import dns, services
from domains.models import Domain, Host, RetiredName

logger = logging.getLogger(__name__)

NO_RECORDS: dict[str, set[str]] = {"A": set(), "AAAA": set()}


@dataclass(frozen=True)
class Repair:
    fqdn: str
    found: dict[str, set[str]]
    wanted: dict[str, list[str]]


def domain_reconcile(*, domain: Domain) -> list[Repair]:
    """Rewrite drifted hosts and remove retired names; returns what was repaired.

    Raises dns.DnsError when the zone's server fails (or its key cannot be used); the
    zone is then marked failing.
    """
    try:
        server = services.dns_server(domain)
        published = dns.read_addresses(server)
        repairs = [
            repair
            for pk, fqdn in Host.objects.filter(domain=domain).values_list("pk", "fqdn")
            if (repair := _repair_host(pk, fqdn, published, server, domain.ttl))
        ]
        repairs += _remove_retired(domain, published, server)
    except dns.DnsError as error:
        services.domain_record_failure(domain_id=domain.pk, error=error)
        raise
    if repairs:
        logger.warning("zone %s: repaired %d names", domain.name, len(repairs))
    services.domain_record_success(domain=domain)
    return repairs


def _repair_host(
    pk: int, fqdn: str, published: dict, server: dns.Server, ttl: int
) -> Repair | None:
    with transaction.atomic():
        # Locked, so an update arriving meanwhile waits and the newest state wins.
        services.host_lock_addresses(host_id=pk)
        wanted, ttl = _wanted(pk, ttl)
        found = published.get(fqdn, NO_RECORDS)
        if all(found[rdtype] == set(values) for rdtype, values in wanted.items()):
            return None
        dns.replace_address_sets(server, fqdn, wanted, ttl)
        return Repair(fqdn=fqdn, found=found, wanted=wanted)


def _wanted(pk: int, zone_ttl: int) -> tuple[dict[str, list[str]], int]:
    """The records the database wants at a host's name, and their TTL."""
    host = Host.objects.only("ipv4", "ipv6", "published_set").get(pk=pk)
    chosen = host.published_set
    if chosen is not None:
        return {"A": chosen["A"], "AAAA": chosen["AAAA"]}, chosen["ttl"]
    singles = {rdtype: [a] if a else [] for rdtype, a in host.addresses().items()}
    return singles, zone_ttl


def _remove_retired(domain: Domain, published: dict, server: dns.Server) -> list[Repair]:
    repairs = []
    for pk in RetiredName.objects.filter(domain=domain).values_list("pk", flat=True):
        with transaction.atomic():
            # Locked, so a host registered under this name meanwhile (which deletes the
            # row) is never stripped of its new records.
            retired = RetiredName.objects.select_for_update().filter(pk=pk).first()
            if retired is None:
                continue
            found = published.get(retired.fqdn, NO_RECORDS)
            wanted_by_host = Host.objects.filter(fqdn=retired.fqdn).exists()
            if any(found.values()) and not wanted_by_host:
                dns.delete_names(server, [retired.fqdn])
                repairs.append(Repair(fqdn=retired.fqdn, found=found, wanted={}))
            retired.delete()
    return repairs
