"""Address sets: several addresses per family at one name, as a high-availability group
publishes them. Same rule as every change: stored only when the server took it."""

from django.db import transaction
from django.utils import timezone

from domains import dns
from domains.models import Domain, Host, UpdateEvent
from domains.services.common import DnsFailure, dns_server
from domains.services.hosts import host_lock_records
from domains.services.zones import domain_record_failure, domain_record_success


def host_publish_set(
    *, host_id: int, ipv4: list[str], ipv6: list[str], ttl: int, source: str
) -> bool:
    """Publish exactly these addresses at the host's name; False when already so.

    Raises DnsFailure when the server did not take the change: nothing is stored then,
    and the caller tries again later. `source` names who decided, for the history.
    """
    wanted: dict[str, object] = {"A": list(ipv4), "AAAA": list(ipv6), "ttl": ttl}
    try:
        with transaction.atomic():
            current, wildcard = host_lock_records(host_id=host_id)
            host = Host.objects.only("fqdn", "domain_id", "published_set").get(pk=host_id)
            if host.published_set == wanted:
                return False
            domain = Domain.objects.get(pk=host.domain_id)
            sets = {"A": list(ipv4), "AAAA": list(ipv6)}
            dns.replace_address_sets(dns_server(domain), host.fqdn, sets, ttl, wildcard=wildcard)
            _store_set(host, current, wanted, source)
    except dns.DnsError as error:
        domain_record_failure(domain_id=host.domain_id, error=error)
        raise DnsFailure(error) from error
    domain_record_success(domain=domain)
    return True


def _store_set(host: Host, current: dict, wanted: dict, source: str) -> None:
    now = timezone.now()
    first = {"ipv4": (wanted["A"] or [None])[0], "ipv6": (wanted["AAAA"] or [None])[0]}
    fields = {"published_set": wanted, "last_seen_at": now}
    for field, address in first.items():
        if current[field] != address:
            fields |= {field: address, f"{field}_updated_at": now, f"{field}_user_agent": source}
    Host.objects.filter(pk=host.pk).update(**fields)
    old = host.published_set or {"A": [], "AAAA": []}
    UpdateEvent.objects.bulk_create(
        UpdateEvent(
            host_id=host.pk,
            family=rdtype,
            old_address=current["ipv4" if rdtype == "A" else "ipv6"],
            new_address=first["ipv4" if rdtype == "A" else "ipv6"],
            user_agent=source,
            result=f"set: {', '.join(wanted[rdtype]) or 'none'}"[:255],
        )
        for rdtype in ("A", "AAAA")
        if old.get(rdtype, []) != wanted[rdtype]
    )


def host_release_set(*, host_id: int) -> None:
    """The group let go of the name: it becomes a plain dynamic host again, publishing the
    first address of each family (what its pages showed). Raises DnsFailure."""
    try:
        with transaction.atomic():
            current, wildcard = host_lock_records(host_id=host_id)
            host = Host.objects.only("fqdn", "domain_id", "published_set").get(pk=host_id)
            if host.published_set is None:
                return
            domain = Domain.objects.get(pk=host.domain_id)
            singles = {"A": [current["ipv4"]] if current["ipv4"] else [], "AAAA": []}
            singles["AAAA"] = [current["ipv6"]] if current["ipv6"] else []
            dns.replace_address_sets(
                dns_server(domain), host.fqdn, singles, domain.ttl, wildcard=wildcard
            )
            Host.objects.filter(pk=host_id).update(published_set=None)
    except dns.DnsError as error:
        domain_record_failure(domain_id=host.domain_id, error=error)
        raise DnsFailure(error) from error


def host_served_addresses(*, host_id: int) -> set[str]:
    """The A and AAAA addresses the zone's primary serves at the host's name right now."""
    host = Host.objects.select_related("domain").only("fqdn", "domain").get(pk=host_id)
    try:
        server = dns_server(host.domain)
        return {a for rdtype in ("A", "AAAA") for a in dns.lookup(server, host.fqdn, rdtype)}
    except dns.DnsError as error:
        raise DnsFailure(error) from error
