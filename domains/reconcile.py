"""Drift repair: make each zone's records of the service match the database again.

The database is the desired state. A restored, restarted or hand-edited name server is
read back by zone transfer; every host whose records differ (A and AAAA at its name and,
for a wildcard host, at "*.<name>"; the ACME challenge TXT records) is rewritten, and the
names of deleted hosts whose records the server still holds (RetiredName) are removed.
Names the service never published are not looked at.
"""

import logging
from dataclasses import dataclass

from django.db import transaction

from domains import dns, services
from domains.models import AcmeChallenge, Domain, Host, RetiredName

logger = logging.getLogger(__name__)

NO_RECORDS: dict[str, set[str]] = {"A": set(), "AAAA": set(), "TXT": set()}
NO_ADDRESSES: dict[str, list[str]] = {"A": [], "AAAA": []}


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
            for pk in Host.objects.filter(domain=domain).values_list("pk", flat=True)
            for repair in _repair_host(pk, published, server, domain.ttl)
        ]
        repairs += _remove_retired(domain, published, server)
    except dns.DnsError as error:
        services.domain_record_failure(domain_id=domain.pk, error=error)
        raise
    if repairs:
        logger.warning("zone %s: repaired %d names", domain.name, len(repairs))
    services.domain_record_success(domain=domain)
    return repairs


def _repair_host(pk: int, published: dict, server: dns.Server, zone_ttl: int) -> list[Repair]:
    repairs = []
    with transaction.atomic():
        # Locked, so an update arriving meanwhile waits and the newest state wins.
        current, wildcard = services.host_lock_records(host_id=pk)
        host = Host.objects.only("fqdn", "published_set").get(pk=pk)
        wanted, ttl = services.host_address_sets(host, current, zone_ttl)
        star = dns.wildcard_name(host.fqdn)
        if not (
            _same(published.get(host.fqdn, NO_RECORDS), wanted)
            and _same(published.get(star, NO_RECORDS), wanted if wildcard else NO_ADDRESSES)
        ):
            dns.replace_address_sets(server, host.fqdn, wanted, ttl, wildcard=wildcard)
            found = published.get(host.fqdn, NO_RECORDS)
            repairs.append(Repair(fqdn=host.fqdn, found=found, wanted=wanted))
        challenge = dns.challenge_name(host.fqdn)
        values = list(AcmeChallenge.objects.filter(host_id=pk).values_list("value", flat=True))
        found = published.get(challenge, NO_RECORDS)
        if found["TXT"] != set(values):
            dns.replace_txt(server, challenge, values, zone_ttl)
            repairs.append(Repair(fqdn=challenge, found=found, wanted={"TXT": values}))
    return repairs


def _same(found: dict[str, set[str]], wanted: dict[str, list[str]]) -> bool:
    return all(found[rdtype] == set(values) for rdtype, values in wanted.items())


def _remove_retired(domain: Domain, published: dict, server: dns.Server) -> list[Repair]:
    repairs = []
    for pk in RetiredName.objects.filter(domain=domain).values_list("pk", flat=True):
        with transaction.atomic():
            # Locked, so a host registered under this name meanwhile (which deletes the
            # row) is never stripped of its new records.
            retired = RetiredName.objects.select_for_update().filter(pk=pk).first()
            if retired is None:
                continue
            fqdn = retired.fqdn
            names = (fqdn, dns.wildcard_name(fqdn), dns.challenge_name(fqdn))
            found: dict[str, set[str]] = {rdtype: set() for rdtype in NO_RECORDS}
            for name in names:
                for rdtype, values in published.get(name, NO_RECORDS).items():
                    found[rdtype] |= values
            wanted_by_host = Host.objects.filter(fqdn=fqdn).exists()
            if any(found.values()) and not wanted_by_host:
                dns.delete_names(server, [fqdn])
                repairs.append(Repair(fqdn=fqdn, found=found, wanted={}))
            retired.delete()
    return repairs
