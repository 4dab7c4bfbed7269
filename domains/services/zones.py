"""Zones: adding one (after a signed test write), changing its server or key, deleting it."""

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from domains import crypto, dns, names
from domains.models import TSIG_ALGORITHMS, Domain, Host, RetiredName
from domains.services.common import DnsFailure, dns_server

logger = logging.getLogger(__name__)

MAX_TTL = 86400


def domain_add(
    *,
    name: str,
    nameserver_host: str,
    nameserver_port: int = 53,
    tsig_key_name: str,
    tsig_algorithm: str = "hmac-sha256",
    tsig_secret: str,
    public: bool = False,
    owner: User | None = None,
    ttl: int | None = None,
    check: bool = False,
) -> Domain:
    """Add a zone; with check=True it is saved only after a signed test write succeeded.

    Raises ValidationError for bad values, DnsFailure when the test write failed.
    """
    name = names.clean_zone_name(name)
    if Domain.objects.filter(name=name).exists():
        raise ValidationError(f"zone {name} is already managed here", code="taken")
    domain = Domain(name=name, public=public, owner=owner)
    _set_server(
        domain,
        host=nameserver_host,
        port=nameserver_port,
        key_name=tsig_key_name,
        algorithm=tsig_algorithm,
        secret=tsig_secret,
    )
    domain.ttl = _clean_ttl(ttl or settings.DDNS_DEFAULT_TTL)
    if check:
        domain_check(domain=domain)
    domain.save()
    return domain


def domain_change(
    *,
    domain: Domain,
    nameserver_host: str,
    nameserver_port: int,
    tsig_key_name: str,
    tsig_algorithm: str,
    tsig_secret: str | None = None,
    public: bool,
    owner: User | None,
    ttl: int,
    check: bool = True,
) -> Domain:
    """Change a zone's settings; its name never changes (hosts' names are built from it).

    A new server or key is tried with a signed test write first (check=True) and nothing
    is stored when it fails. tsig_secret None keeps the stored secret.
    """
    server_before = _server_fields(domain)
    _set_server(
        domain,
        host=nameserver_host,
        port=nameserver_port,
        key_name=tsig_key_name,
        algorithm=tsig_algorithm,
        secret=tsig_secret,
    )
    domain.public, domain.owner, domain.ttl = public, owner, _clean_ttl(ttl)
    if check and (tsig_secret or _server_fields(domain) != server_before):
        domain_check(domain=domain)
    domain.save()
    return domain


def _set_server(
    domain: Domain, *, host: str, port: int, key_name: str, algorithm: str, secret: str | None
) -> None:
    if algorithm not in dict(TSIG_ALGORITHMS):
        raise ValidationError(f"unknown TSIG algorithm {algorithm!r}")
    if not 1 <= port <= 65535:
        raise ValidationError("the name server port must be between 1 and 65535")
    domain.nameserver_host = names.clean_server(host)
    domain.nameserver_port = port
    domain.tsig_key_name = names.clean_key_name(key_name)
    domain.tsig_algorithm = algorithm
    if secret is not None:
        domain.tsig_secret = names.clean_tsig_secret(secret)
    elif not domain.tsig_secret_encrypted:
        raise ValidationError("a new zone needs its TSIG secret")


def _server_fields(domain: Domain) -> tuple:
    return (
        domain.nameserver_host,
        domain.nameserver_port,
        domain.tsig_key_name,
        domain.tsig_algorithm,
        domain.tsig_secret_encrypted,
    )


def _clean_ttl(ttl: int) -> int:
    if not 1 <= ttl <= MAX_TTL:
        raise ValidationError(f"the record TTL must be between 1 and {MAX_TTL} seconds")
    return ttl


def domain_check(*, domain: Domain) -> None:
    """Test the zone's server with a signed write; DnsFailure says what failed."""
    try:
        dns.check_connectivity(dns_server(domain), crypto.new_host_secret())
    except dns.DnsError as error:
        if domain.pk:
            domain_record_failure(domain_id=domain.pk, error=error)
        raise DnsFailure(error) from error
    if domain.pk:
        domain_record_success(domain=domain)


def domain_reachable(*, domain: Domain) -> bool:
    """Whether the zone's primary answers for the zone now (a read: its SOA)."""
    try:
        return bool(dns.lookup(dns_server(domain), domain.name, "SOA"))
    except dns.DnsError:
        return False


def domain_negative_ttl(*, domain: Domain) -> int | None:
    """How long resolvers cache "no such record" in this zone; None when unknown now."""
    try:
        return dns.negative_ttl(dns_server(domain))
    except dns.DnsError:
        return None


def domain_delete(*, domain: Domain) -> None:
    """Remove every name the service published in the zone, then the zone and its hosts.

    All or nothing: when the server does not take the removal, DnsFailure is raised and
    the zone and its hosts stay as they were, so no record is left without its host.
    """
    try:
        with transaction.atomic():
            hosts = Host.objects.select_for_update().filter(domain=domain)
            retired = RetiredName.objects.filter(domain=domain)
            published = [
                fqdn
                for fqdn, *addresses in hosts.values_list("fqdn", "ipv4", "ipv6")
                if any(addresses)
            ]
            published += retired.values_list("fqdn", flat=True)
            if published:
                dns.delete_names(dns_server(domain), published)
            retired.delete()
            hosts.delete()
            domain.delete()
    except dns.DnsError as error:
        logger.warning("zone %s not deleted: %s", domain.name, error)
        domain_record_failure(domain_id=domain.pk, error=error)
        raise DnsFailure(error) from error


def domain_set_enabled(*, domain: Domain, enabled: bool) -> None:
    """Operators may disable a zone: its hosts stop updating until it is enabled again."""
    Domain.objects.filter(pk=domain.pk).update(enabled=enabled)
    domain.enabled = enabled


def domain_set_public(*, domain: Domain, public: bool) -> None:
    Domain.objects.filter(pk=domain.pk).update(public=public)
    domain.public = public


def domain_record_failure(*, domain_id: int, error: dns.DnsError) -> None:
    Domain.objects.filter(pk=domain_id).update(
        available=False, last_error=str(error), last_error_at=timezone.now()
    )


def domain_record_success(*, domain: Domain) -> None:
    # Conditional so the common case (already available) writes nothing. The health
    # check's back-off ends with the outage: the next check (and its recovery e-mail)
    # comes with the next maintenance tick, not after the longest wait.
    if not domain.available:
        Domain.objects.filter(pk=domain.pk, available=False).update(
            available=True, failed_checks=0, next_check_at=None
        )
        domain.available = True


def encryption_key_rotate(*, old_key: str) -> tuple[int, list[str]]:
    """Re-encrypt every zone secret stored under old_key with DDNS_ENCRYPTION_KEY.

    Returns how many were re-encrypted and the zones neither key opens. Secrets already
    under the new key are left alone, so running it twice is harmless.
    """
    rotated, unreadable = 0, []
    for domain in Domain.objects.only("pk", "name", "tsig_secret_encrypted"):
        try:
            token = crypto.reencrypt(domain.tsig_secret_encrypted, old_key)
        except crypto.SecretUnreadable:
            unreadable.append(domain.name)
            continue
        if token is not None:
            Domain.objects.filter(pk=domain.pk).update(tsig_secret_encrypted=token)
            rotated += 1
    return rotated, unreadable
