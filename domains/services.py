"""Every write that touches DNS, and the writes around it.

The database holds the desired state. A DNS change is sent inside the transaction that
stores it and the transaction commits only when the server answered NOERROR, so the
database and DNS never disagree about a change the client was told succeeded.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from domains import crypto, dns, dyndns2
from domains.dyndns2 import Addresses
from domains.models import TSIG_ALGORITHMS, Domain, Host, UpdateEvent

logger = logging.getLogger(__name__)

FAMILIES = (("A", "ipv4"), ("AAAA", "ipv6"))
LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
ZONE_RE = re.compile(r"^(?=.{1,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)*(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class ClientInfo:
    """Who sent an update: recorded per address family and in the history."""

    source: str | None
    user_agent: str
    tls: bool


def dns_server(domain: Domain) -> dns.Server:
    return dns.Server(
        zone=domain.name,
        host=domain.nameserver_host,
        port=domain.nameserver_port,
        key_name=domain.tsig_key_name,
        algorithm=domain.tsig_algorithm,
        secret=domain.tsig_secret,
        timeout=settings.DDNS_DNS_TIMEOUT,
    )


# --- Domains ----------------------------------------------------------------------------


def domain_add(
    *,
    name: str,
    nameserver_host: str,
    nameserver_port: int = 53,
    tsig_key_name: str,
    tsig_algorithm: str = "hmac-sha256",
    tsig_secret: str,
    public: bool = False,
    owner: AbstractBaseUser | None = None,
    ttl: int | None = None,
    check: bool = False,
) -> Domain:
    """Add a zone; with check=True it is saved only after a signed test write succeeded."""
    name = dyndns2.normalize_name(name)
    if not ZONE_RE.match(name):
        raise ValidationError(f"{name!r} is not a valid zone name")
    if tsig_algorithm not in dict(TSIG_ALGORITHMS):
        raise ValidationError(f"unknown TSIG algorithm {tsig_algorithm!r}")
    if not 1 <= nameserver_port <= 65535:
        raise ValidationError("the name server port must be between 1 and 65535")
    if Domain.objects.filter(name=name).exists():
        raise ValidationError(f"zone {name} already exists")
    domain = Domain(
        name=name,
        nameserver_host=nameserver_host,
        nameserver_port=nameserver_port,
        tsig_key_name=tsig_key_name,
        tsig_algorithm=tsig_algorithm,
        public=public,
        owner=owner,
        ttl=ttl or settings.DDNS_DEFAULT_TTL,
    )
    domain.tsig_secret = tsig_secret
    if check:
        domain_check(domain=domain)
    domain.save()
    return domain


def domain_check(*, domain: Domain) -> None:
    """Test the zone's server with a signed write; raises dns.DnsError saying what failed."""
    try:
        dns.check_connectivity(dns_server(domain), crypto.new_host_secret())
    except dns.DnsError as error:
        if domain.pk:
            domain_record_failure(domain_id=domain.pk, error=error)
        raise
    if domain.pk:
        domain_record_success(domain=domain)


def domain_delete(*, domain: Domain) -> None:
    """Remove every host's records from the zone's server, then the zone and its hosts."""
    for host in domain.hosts.all():
        host_delete(host=host)
    domain.delete()


def domain_record_failure(*, domain_id: int, error: dns.DnsError) -> None:
    Domain.objects.filter(pk=domain_id).update(
        available=False, last_error=str(error), last_error_at=timezone.now()
    )


def domain_record_success(*, domain: Domain) -> None:
    # Conditional so the common case (already available) writes nothing.
    if not domain.available:
        Domain.objects.filter(pk=domain.pk, available=False).update(available=True)
        domain.available = True


# --- Hosts ------------------------------------------------------------------------------


def validate_label(label: str) -> str:
    label = label.strip().lower()
    if not LABEL_RE.match(label):
        raise ValidationError(
            "a host name must be 1-63 letters, digits or hyphens, not starting or ending "
            "with a hyphen"
        )
    if label in settings.DDNS_RESERVED_LABELS:
        raise ValidationError(f"the name {label!r} is reserved")
    return label


def host_register(
    *, domain: Domain, label: str, owner: AbstractBaseUser, comment: str = ""
) -> tuple[Host, str]:
    """Create a host and return it with its secret, which is never stored in clear."""
    label = validate_label(label)
    if Host.objects.filter(domain=domain, label=label).exists():
        raise ValidationError(f"{label}.{domain.name} is already taken")
    secret = crypto.new_host_secret()
    host = Host(
        domain=domain,
        label=label,
        owner=owner,
        comment=comment,
        secret_digest=crypto.secret_digest(secret),
    )
    host.save()
    return host, secret


def host_reset_secret(*, host: Host) -> str:
    secret = crypto.new_host_secret()
    Host.objects.filter(pk=host.pk).update(secret_digest=crypto.secret_digest(secret))
    host.secret_digest = crypto.secret_digest(secret)
    return secret


def host_update_addresses(*, host: Host, addresses: Addresses, client: ClientInfo) -> bool:
    """Publish the given addresses; False when they are already so (nochg).

    Raises dns.DnsError when the server did not apply the change; nothing is stored then.
    """
    wanted = {"ipv4": addresses.ipv4, "ipv6": addresses.ipv6}
    if all(value is None or getattr(host, field) == value for field, value in wanted.items()):
        host_mark_seen(host=host)
        return False
    changes = {rdtype: wanted[field] for rdtype, field in FAMILIES if wanted[field] is not None}
    return _apply_changes(host=host, changes=changes, client=client, result="good")


def host_delete_address(*, host: Host, rdtype: str, client: ClientInfo) -> bool:
    """Remove the A or AAAA record; False when there was none."""
    return _apply_changes(host=host, changes={rdtype: None}, client=client, result="deleted")


def _apply_changes(
    *, host: Host, changes: dict[str, str | None], client: ClientInfo, result: str
) -> bool:
    try:
        with transaction.atomic():
            current = host_lock_addresses(host_id=host.pk)
            changed = {
                rdtype: address
                for rdtype, address in changes.items()
                if current[_field(rdtype)] != address
            }
            if not changed:
                return False
            # Fresh zone settings (the caller's copy may hold only a few columns).
            domain = Domain.objects.get(pk=host.domain_id)
            dns.replace_addresses(dns_server(domain), host.fqdn, changed, domain.ttl)
            _store_changes(host.pk, current, changed, client, result)
    except dns.DnsError as error:
        host_record_server_fault(host=host, error=error, changes=changes, client=client)
        raise
    for rdtype, address in changed.items():
        setattr(host, _field(rdtype), address)
    domain_record_success(domain=domain)
    return True


def host_lock_addresses(*, host_id: int) -> dict[str, str | None]:
    """Lock the host row for this transaction and read its addresses.

    Only the host row: a join would lock the zone's row too and queue every change in it.
    """
    return Host.objects.select_for_update().filter(pk=host_id).values("ipv4", "ipv6").get()


def _store_changes(
    host_id: int,
    current: dict[str, str | None],
    changed: dict[str, str | None],
    client: ClientInfo,
    result: str,
) -> None:
    """One UPDATE of the changed columns and one history row per changed family."""
    now = timezone.now()
    user_agent = client.user_agent[:255]
    fields: dict = {"last_seen_at": now}
    events = []
    for rdtype, address in changed.items():
        field = _field(rdtype)
        fields |= {
            field: address,
            f"{field}_updated_at": now,
            f"{field}_source": client.source,
            f"{field}_user_agent": user_agent,
            f"{field}_tls": client.tls,
        }
        events.append(
            UpdateEvent(
                host_id=host_id,
                family=rdtype,
                old_address=current[field],
                new_address=address,
                source=client.source,
                user_agent=user_agent,
                tls=client.tls,
                result=result,
            )
        )
    Host.objects.filter(pk=host_id).update(**fields)
    UpdateEvent.objects.bulk_create(events)


def _field(rdtype: str) -> str:
    return dict(FAMILIES)[rdtype]


def host_mark_seen(*, host: Host, now: datetime | None = None) -> None:
    """Refresh "last seen" at most every DDNS_SEEN_THROTTLE_SECONDS (nochg must not write)."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=settings.DDNS_SEEN_THROTTLE_SECONDS)
    if host.last_seen_at is None or host.last_seen_at < threshold:
        Host.objects.filter(pk=host.pk).update(last_seen_at=now)
        host.last_seen_at = now


def host_delete(*, host: Host) -> None:
    """Remove the host's records from DNS first, then the host."""
    with transaction.atomic():
        current = host_lock_addresses(host_id=host.pk)
        if current["ipv4"] or current["ipv6"]:
            domain = Domain.objects.get(pk=host.domain_id)
            dns.delete_name(dns_server(domain), host.fqdn)
        Host.objects.filter(pk=host.pk).delete()


# --- Fault counters: incremented in the database so concurrent requests never lose one ---


def host_record_auth_fault(*, host_id: int, message: str) -> None:
    _count_fault(host_id, "auth_faults", "auth_fault_message", message)


def host_record_client_fault(*, host_id: int, message: str) -> None:
    _count_fault(host_id, "client_faults", "client_fault_message", message)


def _count_fault(host_id: int, counter: str, message_field: str, message: str) -> None:
    """counter = counter + 1 in one statement, so concurrent faults are never lost."""
    message = message[:1000]
    if connection.vendor != "postgresql":
        Host.objects.filter(pk=host_id).update(**{counter: F(counter) + 1, message_field: message})
        return
    # One round trip, and no disk flush at its commit: losing the last few fault counts
    # in a crash is fine, making every wrong secret wait for the disk is not. set_config
    # with is_local applies to this statement's own transaction only.
    table = Host._meta.db_table
    sql = (
        f"WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
        f'UPDATE "{table}" SET "{counter}" = "{counter}" + 1, "{message_field}" = %s '
        f'FROM quick WHERE "id" = %s'
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [message, host_id])


def host_record_server_fault(
    *, host: Host, error: dns.DnsError, changes: dict[str, str | None], client: ClientInfo
) -> None:
    logger.warning("DNS update for %s failed: %s", host.fqdn, error)
    with transaction.atomic():
        Host.objects.filter(pk=host.pk).update(
            server_faults=F("server_faults") + 1, server_fault_message=str(error)[:1000]
        )
        UpdateEvent.objects.bulk_create(
            UpdateEvent(
                host=host,
                family=rdtype,
                old_address=getattr(host, _field(rdtype)),
                new_address=address,
                source=client.source,
                user_agent=client.user_agent[:255],
                tls=client.tls,
                result=f"dnserr: {error}"[:255],
            )
            for rdtype, address in changes.items()
        )
    domain_record_failure(domain_id=host.domain_id, error=error)


def host_reset_client_faults(*, host: Host) -> None:
    Host.objects.filter(pk=host.pk).update(client_faults=0, client_fault_message="")


def host_clear_abuse(*, host: Host) -> None:
    """The owner may clear the abuse flag; an operator's block stays."""
    Host.objects.filter(pk=host.pk).update(abuse=False)


# --- History ----------------------------------------------------------------------------


def history_prune(*, now: datetime | None = None) -> int:
    """Delete update history older than DDNS_HISTORY_RETENTION_DAYS; returns rows removed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DDNS_HISTORY_RETENTION_DAYS)
    deleted, _ = UpdateEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
