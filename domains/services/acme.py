"""ACME DNS-01: the TXT records at "_acme-challenge.<host>" that prove control of a name.

Stored first-class (AcmeChallenge) and written like every record: under the host's row
lock, one RFC 2136 message replacing the whole TXT set, stored only when the server took
it. Several values live side by side, because a certificate for the host and for its
wildcard asks for two at the same name at once.
"""

import logging
import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from domains import dns, names
from domains.models import AcmeChallenge, Domain, Host
from domains.services.common import ClientInfo, DnsFailure, dns_server
from domains.services.hosts import host_lock_addresses
from domains.services.zones import domain_record_failure, domain_record_success

logger = logging.getLogger(__name__)

# A DNS-01 value is the base64url SHA-256 digest of a key authorisation, unpadded: 43
# characters (RFC 8555 section 8.4).
ACME_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
# More than a few at once is a client gone wrong; the cap keeps the record set small.
ACME_MAX_VALUES_PER_HOST = 10


def acme_txt_list(host: Host) -> list[str]:
    """The challenge values the host publishes, oldest first."""
    return list(AcmeChallenge.objects.filter(host_id=host.pk).values_list("value", flat=True))


def acme_txt_add(*, host: Host, value: str, client: ClientInfo | None = None) -> None:
    """Publish one more value (the others stay). Presenting a value again keeps it and
    counts as new for expiry. Raises ValidationError or DnsFailure; nothing is stored then."""
    _change(host, add=acme_clean_value(value), client=client)


def acme_txt_rotate(
    *, host: Host, value: str, keep: int = 2, client: ClientInfo | None = None
) -> None:
    """Publish a value and keep only the `keep` most recent (acme-dns does so with 2, so
    a certificate for the host and its wildcard validates), in one DNS message."""
    _change(host, add=acme_clean_value(value), keep=keep, client=client)


def acme_txt_remove(*, host: Host, value: str, client: ClientInfo | None = None) -> None:
    """Withdraw one value; a value not published is already gone (cleanup may repeat)."""
    _change(host, remove=acme_clean_value(value), client=client)


def acme_txt_expire(*, older_than: timedelta) -> int:
    """Withdraw every value presented longer ago than `older_than` (cleanup that never
    came); a zone that does not answer keeps its values for the next run. Returns how
    many were withdrawn."""
    cutoff = timezone.now() - older_than
    stale = AcmeChallenge.objects.filter(created_at__lt=cutoff)
    removed = 0
    for host in Host.objects.filter(acme_challenges__in=stale).distinct():
        try:
            removed += _change(host, expire_before=cutoff)
        except DnsFailure as failure:
            logger.warning("%s: stale challenge records stay for now: %s", host.fqdn, failure)
    return removed


def acme_clean_value(value: str) -> str:
    if not isinstance(value, str) or not ACME_VALUE.fullmatch(value):
        raise ValidationError(
            "a DNS-01 challenge value is the 43-character base64url digest of the key "
            "authorisation (letters, digits, - and _)",
            code="value",
        )
    return value


def acme_challenge_host(name: str) -> str:
    """The host name a challenge record name belongs to: "_acme-challenge.h.zone." gives
    "h.zone". Raises ValidationError for any other name."""
    fqdn = names.normalize_name(name) if isinstance(name, str) else ""
    prefix = dns.challenge_name("")
    if not fqdn.startswith(prefix) or not names.is_fqdn(fqdn[len(prefix) :]):
        raise ValidationError(
            f"the record name must be {dns.challenge_name('<host name>')}", code="fqdn"
        )
    return fqdn[len(prefix) :]


def _change(
    host: Host,
    *,
    add: str | None = None,
    remove: str | None = None,
    keep: int | None = None,
    expire_before: datetime | None = None,
    client: ClientInfo | None = None,
) -> int:
    """Apply one change to the host's challenge values; returns how many were removed."""
    now = timezone.now()
    try:
        with transaction.atomic():
            host_lock_addresses(host_id=host.pk)
            rows = list(AcmeChallenge.objects.filter(host_id=host.pk))
            stored = [row.value for row in rows]
            if add is not None:
                _check_may_publish(host)
            wanted = _wanted(rows, add, remove, keep, expire_before)
            if set(wanted) != set(stored):
                domain = Domain.objects.get(pk=host.domain_id)
                name = dns.challenge_name(host.fqdn)
                dns.replace_txt(dns_server(domain), name, wanted, domain.ttl)
            else:
                domain = None
            gone = [row.pk for row in rows if row.value not in wanted]
            AcmeChallenge.objects.filter(pk__in=gone).delete()
            if add is not None:
                _store(host, add, now, client)
                # A certificate client is a sign of life: the host is not stale.
                Host.objects.filter(pk=host.pk).update(last_seen_at=now)
    except dns.DnsError as error:
        domain_record_failure(domain_id=host.domain_id, error=error)
        raise DnsFailure(error) from error
    if domain is not None:
        domain_record_success(domain=domain)
    return len(gone)


def _wanted(rows, add, remove, keep, expire_before) -> list[str]:
    values = [
        row.value
        for row in rows
        if row.value not in (add, remove)
        and (expire_before is None or row.created_at >= expire_before)
    ]
    if add is not None:
        values.append(add)
        if keep is not None:
            values = values[-keep:]
        elif len(values) > ACME_MAX_VALUES_PER_HOST:
            raise ValidationError(
                "a host may publish at most %(limit)d challenge values at once",
                code="quota",
                params={"limit": ACME_MAX_VALUES_PER_HOST},
            )
    return values


def _check_may_publish(host: Host) -> None:
    row = Host.objects.select_related("domain").only(
        "abuse", "abuse_blocked", "domain__enabled", "domain__name"
    )
    current = row.get(pk=host.pk)
    if current.abuse or current.abuse_blocked:
        raise ValidationError(f"{host.fqdn} is blocked for abuse", code="abuse")
    if not current.domain.enabled:
        raise ValidationError(f"zone {current.domain.name} is disabled", code="zone")


def _store(host: Host, value: str, now: datetime, client: ClientInfo | None) -> None:
    AcmeChallenge.objects.update_or_create(
        host_id=host.pk,
        value=value,
        defaults={
            "created_at": now,
            "source": client.source if client else None,
            "user_agent": client.user_agent[:255] if client else "",
        },
    )
