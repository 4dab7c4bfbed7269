"""Drift repair: make each zone's records of the service match the database again.

The database is the desired state. A restored, restarted or hand-edited name server is
read back by zone transfer and compared with the database in a plan (`zone_plan`):

- rewrite: hosts whose records differ (A and AAAA at the name and, for a wildcard host, at
  "*.<name>"; the ACME challenge TXT records);
- remove: names the service published and no longer wants (deleted hosts kept as
  RetiredName, and a left-over write check of the zone, "_ddns-check.<zone>");
- foreign: records at names the service does not manage, which it leaves alone.

`manage.py reconcile --dry-run` shows the plan; `domain_reconcile` carries it out, each
rewrite under the host's row lock so an update arriving meanwhile wins.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction

from domains import dns, metrics, services
from domains.models import AcmeChallenge, Domain, Host, RetiredName

logger = logging.getLogger(__name__)

RDTYPES = ("A", "AAAA", "TXT")
NO_RECORDS: dict[str, set[str]] = {rdtype: set() for rdtype in RDTYPES}
NO_ADDRESSES: dict[str, list[str]] = {"A": [], "AAAA": []}
# Where domains.services.domain_check proves the key may write the zone; it removes the
# record at once, so one found here was left by a check that was cut short.
WRITE_CHECK_LABEL = "_ddns-check"

# A host disabled for going unused keeps its row; its addresses are withdrawn.
WITHDRAWN = "addresses withdrawn from a host disabled as unused"

Records = dict[str, dict[str, set[str]]]  # name -> record type -> values, as read by AXFR


@dataclass(frozen=True)
class Repair:
    """A name whose records the run rewrites (`wanted` empty: removes)."""

    fqdn: str
    found: dict[str, set[str]]
    wanted: dict[str, list[str]]
    reason: str = "differs from the database"


@dataclass(frozen=True)
class Foreign:
    """Records at a name the service does not manage (by record type)."""

    fqdn: str
    records: dict[str, set[str]]


@dataclass
class ZonePlan:
    zone: str
    rewrite: list[Repair] = field(default_factory=list)
    remove: list[Repair] = field(default_factory=list)
    foreign: list[Foreign] = field(default_factory=list)

    @property
    def differences(self) -> int:
        """Names where the name server and the database disagree."""
        return len(self.rewrite) + len(self.remove)


def zone_plan(*, domain: Domain) -> ZonePlan:
    """What a run would change in the zone; reads the server and the database, writes
    nothing. Raises dns.DnsError when the zone's server fails (or its key is unusable)."""
    return _plan(domain, dns.read_addresses(services.dns_server(domain)))


def domain_reconcile(*, domain: Domain) -> list[Repair]:
    """Rewrite drifted hosts and remove names no longer wanted; returns what was repaired.

    Raises dns.DnsError when the zone's server fails (or its key cannot be used); the
    zone is then marked failing.
    """
    try:
        server = services.dns_server(domain)
        published = dns.read_addresses(server)
        plan = _plan(domain, published)
        repairs = [
            repair
            for host_id in _drifted_host_ids(domain, plan)
            for repair in _repair_host(host_id, published, server, domain.ttl)
        ]
        repairs += _remove_retired(domain, published, server)
        repairs += _remove_write_check(domain, plan, server)
    except dns.DnsError as error:
        services.domain_record_failure(domain_id=domain.pk, error=error)
        raise
    if repairs:
        logger.warning("zone %s: repaired %d names", domain.name, len(repairs))
        metrics.names_repaired(domain.name, len(repairs))
    services.domain_record_success(domain=domain)
    return repairs


# --- The plan: a comparison, no locks, no writes -------------------------------------------


def _plan(domain: Domain, published: Records) -> ZonePlan:
    plan = ZonePlan(zone=domain.name)
    managed: dict[str, set[str]] = {}  # name -> the record types the service decides there
    challenges = _challenge_values(domain)
    for host in Host.objects.filter(domain=domain).only(
        "fqdn", "ipv4", "ipv6", "wildcard", "published_set", "stale_disabled_at"
    ):
        current = {"ipv4": host.ipv4, "ipv6": host.ipv6}
        wanted, _ttl = services.host_address_sets(host, current, domain.ttl)
        star = dns.wildcard_name(host.fqdn)
        challenge = dns.challenge_name(host.fqdn)
        managed |= {host.fqdn: {"A", "AAAA"}, star: {"A", "AAAA"}, challenge: {"TXT"}}
        found = published.get(host.fqdn, NO_RECORDS)
        if not (
            _same(found, wanted)
            and _same(published.get(star, NO_RECORDS), wanted if host.wildcard else NO_ADDRESSES)
        ):
            reason = WITHDRAWN if host.stale_disabled_at else "differs from the database"
            plan.rewrite.append(Repair(host.fqdn, _only(found, wanted), wanted, reason))
        values = challenges.get(host.pk, [])
        found_txt = published.get(challenge, NO_RECORDS)["TXT"]
        if found_txt != set(values):
            plan.rewrite.append(Repair(challenge, {"TXT": found_txt}, {"TXT": values}))
    plan.remove = _retired_removals(domain, published, set(managed))
    plan.remove += _write_check_removal(domain, published)
    removed = {name for repair in plan.remove for name in _names_of(repair.fqdn)}
    plan.foreign = _foreign(published, managed, removed)
    return plan


def _challenge_values(domain: Domain) -> dict[int, list[str]]:
    values: dict[int, list[str]] = {}
    rows = AcmeChallenge.objects.filter(host__domain=domain).values_list("host_id", "value")
    for host_id, value in rows:
        values.setdefault(host_id, []).append(value)
    return values


def _same(found: dict[str, set[str]], wanted: dict[str, list[str]]) -> bool:
    return all(found[rdtype] == set(values) for rdtype, values in wanted.items())


def _only(found: dict[str, set[str]], wanted: dict[str, list[str]]) -> dict[str, set[str]]:
    return {rdtype: found[rdtype] for rdtype in wanted}


def _names_of(fqdn: str) -> tuple[str, str, str]:
    """Every name the service may publish for a host name."""
    return fqdn, dns.wildcard_name(fqdn), dns.challenge_name(fqdn)


def _published_for(fqdn: str, published: Records) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {rdtype: set() for rdtype in RDTYPES}
    for name in _names_of(fqdn):
        for rdtype, values in published.get(name, NO_RECORDS).items():
            found[rdtype] |= values
    return found


def _retired_removals(domain: Domain, published: Records, hosts: set[str]) -> list[Repair]:
    removals = []
    for fqdn in RetiredName.objects.filter(domain=domain).values_list("fqdn", flat=True):
        found = _published_for(fqdn, published)
        if any(found.values()) and fqdn not in hosts:
            removals.append(Repair(fqdn, found, {}, reason="a deleted host's name"))
    return removals


def _write_check_removal(domain: Domain, published: Records) -> list[Repair]:
    name = f"{WRITE_CHECK_LABEL}.{domain.name}"
    found = published.get(name, NO_RECORDS)["TXT"]
    if not found:
        return []
    return [Repair(name, {"TXT": set(found)}, {}, reason="a write check left behind")]


def _foreign(published: Records, managed: dict[str, set[str]], removed: set[str]) -> list[Foreign]:
    foreign = []
    for name in sorted(published):
        if name in removed:
            continue
        mine = managed.get(name, set())
        records = {t: v for t, v in published[name].items() if v and t not in mine}
        if records:
            foreign.append(Foreign(fqdn=name, records=records))
    return foreign


# --- Carrying it out ----------------------------------------------------------------------


def _drifted_host_ids(domain: Domain, plan: ZonePlan) -> list[int]:
    """The hosts the plan rewrites (by their name or their challenge name)."""
    names = {repair.fqdn for repair in plan.rewrite}
    prefix = f"{dns.CHALLENGE_LABEL}."
    names |= {name.removeprefix(prefix) for name in names}
    query = Host.objects.filter(domain=domain, fqdn__in=names)
    return list(query.values_list("pk", flat=True))


def _repair_host(pk: int, published: Records, server: dns.Server, zone_ttl: int) -> list[Repair]:
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


def _remove_retired(domain: Domain, published: Records, server: dns.Server) -> list[Repair]:
    repairs = []
    for pk in RetiredName.objects.filter(domain=domain).values_list("pk", flat=True):
        with transaction.atomic():
            # Locked, so a host registered under this name meanwhile (which deletes the
            # row) is never stripped of its new records.
            retired = RetiredName.objects.select_for_update().filter(pk=pk).first()
            if retired is None:
                continue
            found = _published_for(retired.fqdn, published)
            wanted_by_host = Host.objects.filter(fqdn=retired.fqdn).exists()
            if any(found.values()) and not wanted_by_host:
                dns.delete_names(server, [retired.fqdn])
                repairs.append(Repair(retired.fqdn, found, {}, reason="a deleted host's name"))
            retired.delete()
    return repairs


def _remove_write_check(domain: Domain, plan: ZonePlan, server: dns.Server) -> list[Repair]:
    leftovers = [r for r in plan.remove if r.fqdn == f"{WRITE_CHECK_LABEL}.{domain.name}"]
    for leftover in leftovers:
        dns.replace_txt(server, leftover.fqdn, [], domain.ttl)
    return leftovers
