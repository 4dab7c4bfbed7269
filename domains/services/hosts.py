"""Hosts: registering, publishing addresses, deleting; the checks every entry point shares."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from domains import crypto, dns, names
from domains.models import AcmeChallenge, Domain, Host, RetiredName
from domains.names import Addresses
from domains.services.batch import host_apply_changes
from domains.services.common import ClientInfo, DnsFailure, dns_server
from domains.services.zones import domain_record_failure, domain_record_success

logger = logging.getLogger(__name__)

MAX_COMMENT_LENGTH = 255


def host_register(
    *,
    domain: Domain,
    label: str,
    owner: User,
    comment: str = "",
    by_operator: bool = False,
    wildcard: bool = False,
) -> tuple[Host, str]:
    """Create a host and return it with its secret, which is never stored in clear.

    Raises ValidationError when the name is malformed, reserved or taken, the zone does
    not take hosts from this owner (operators may place a host in any zone), or the
    owner has reached DDNS_MAX_HOSTS_PER_USER.
    """
    label = _clean_new_label(label)
    comment = _clean_comment(comment)
    if not by_operator:
        _check_zone_open_to(domain, owner)
    secret = crypto.new_host_secret()
    host = Host(
        domain=domain,
        label=label,
        owner=owner,
        comment=comment,
        secret_digest=crypto.secret_digest(secret),
        wildcard=wildcard,
    )
    try:
        with transaction.atomic():
            # The owner's row is the quota's lock: two registrations at once cannot both
            # take the last place.
            get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
            _check_quota(owner)
            if Host.objects.filter(domain=domain, label=label).exists():
                raise _taken(label, domain)
            # The name is wanted again: its old records are the new host's to decide.
            RetiredName.objects.filter(domain=domain, fqdn=f"{label}.{domain.name}").delete()
            host.save()
    except IntegrityError:
        raise _taken(label, domain) from None
    return host, secret


def _clean_new_label(label: str) -> str:
    label = names.clean_label(label)
    if label in settings.DDNS_RESERVED_LABELS:
        raise ValidationError(f"the name {label!r} is reserved", code="reserved")
    return label


def _clean_comment(comment: str) -> str:
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(f"the comment may have at most {MAX_COMMENT_LENGTH} characters")
    if any(not ch.isprintable() for ch in comment):
        raise ValidationError("the comment may not contain control characters")
    return comment


def _check_zone_open_to(domain: Domain, owner: User) -> None:
    if not domain.enabled:
        raise ValidationError(f"zone {domain.name} is disabled", code="zone")
    if not (domain.public or domain.owner_id == owner.pk):
        raise ValidationError(f"zone {domain.name} does not take hosts from you", code="zone")


def _check_quota(owner: User) -> None:
    limit = settings.DDNS_MAX_HOSTS_PER_USER
    if Host.objects.filter(owner=owner).count() >= limit:
        raise ValidationError(
            "the limit of %(limit)d hosts is reached", code="quota", params={"limit": limit}
        )


def _taken(label: str, domain: Domain) -> ValidationError:
    return ValidationError(f"{label}.{domain.name} is already taken", code="taken")


def host_set_comment(*, host: Host, comment: str) -> None:
    comment = _clean_comment(comment)
    Host.objects.filter(pk=host.pk).update(comment=comment)
    host.comment = comment


def host_reset_secret(*, host: Host) -> str:
    secret = crypto.new_host_secret()
    Host.objects.filter(pk=host.pk).update(secret_digest=crypto.secret_digest(secret))
    host.secret_digest = crypto.secret_digest(secret)
    return secret


def host_update_addresses(*, host: Host, addresses: Addresses, client: ClientInfo) -> bool:
    """Publish the given addresses; False when they are already so (nochg).

    Raises DnsFailure when the server did not apply the change; nothing is stored then.
    The caller has checked them with names.check_publishable.
    """
    wanted: dict[str, str | None] = {
        rdtype: a for rdtype, a in addresses.by_rdtype().items() if a is not None
    }
    if all(getattr(host, names.field_of(rdtype)) == a for rdtype, a in wanted.items()):
        host_mark_seen(host=host)
        return False
    return _apply_changes(host=host, changes=wanted, client=client, result="good")


def host_delete_address(*, host: Host, rdtype: str, client: ClientInfo) -> bool:
    """Remove the A or AAAA record; False when there was none."""
    return _apply_changes(host=host, changes={rdtype: None}, client=client, result="deleted")


def _apply_changes(
    *, host: Host, changes: dict[str, str | None], client: ClientInfo, result: str
) -> bool:
    """Through the zone's group commit: "changed" means the server has it and it is
    committed (domains/services/batch.py)."""
    if host.managed:
        raise ValidationError(
            f"{host.fqdn} follows a high-availability group; change its members instead",
            code="managed",
        )
    changed = host_apply_changes(host=host, changes=changes, client=client, result=result)
    for rdtype, address in changes.items():
        # What the row holds now, whether this change set it or found it so.
        setattr(host, names.field_of(rdtype), address)
    return bool(changed)


def host_lock_addresses(*, host_id: int) -> dict[str, str | None]:
    """Lock the host row for this transaction and read its addresses."""
    return host_lock_records(host_id=host_id)[0]


def host_lock_records(*, host_id: int) -> tuple[dict[str, str | None], bool]:
    """Lock the host row for this transaction; its addresses and its wildcard flag.

    Only the host row: a join would lock the zone's row too and queue every change in it.
    """
    row = (
        Host.objects.select_for_update()
        .filter(pk=host_id)
        .values_list("ipv4", "ipv6", "wildcard")
        .get()
    )
    return {"ipv4": row[0], "ipv6": row[1]}, row[2]


def host_set_wildcard(*, host: Host, wildcard: bool) -> bool:
    """Make "*.<host>" follow the host's addresses, or stop it; False when already so.

    Both names are written in one RFC 2136 message. Raises DnsFailure when the server did
    not take it; nothing is stored then.
    """
    try:
        with transaction.atomic():
            current, was = host_lock_records(host_id=host.pk)
            if was == wildcard:
                host.wildcard = wildcard
                return False
            row = Host.objects.only("fqdn", "domain_id", "published_set").get(pk=host.pk)
            domain = Domain.objects.get(pk=row.domain_id)
            if any(current.values()):
                sets, ttl = host_address_sets(row, current, domain.ttl)
                dns.replace_address_sets(dns_server(domain), row.fqdn, sets, ttl, wildcard=wildcard)
            Host.objects.filter(pk=host.pk).update(wildcard=wildcard)
    except dns.DnsError as error:
        domain_record_failure(domain_id=host.domain_id, error=error)
        raise DnsFailure(error) from error
    host.wildcard = wildcard
    domain_record_success(domain=domain)
    return True


def host_address_sets(
    host: Host, current: dict[str, str | None], zone_ttl: int
) -> tuple[dict[str, list[str]], int]:
    """The address sets the database wants at a host's name, and their TTL: a group's
    set when one manages it, else the single address of each family."""
    chosen = host.published_set
    if chosen is not None:
        return {"A": chosen["A"], "AAAA": chosen["AAAA"]}, chosen["ttl"]
    singles: dict[str, list[str]] = {}
    for rdtype, field in names.RDTYPE_FIELDS.items():
        address = current[field]
        singles[rdtype] = [address] if address else []
    return singles, zone_ttl


def host_mark_seen(*, host: Host, now: datetime | None = None) -> None:
    """Refresh "last seen" at most every DDNS_SEEN_THROTTLE_SECONDS (nochg must not write)."""
    now = now or timezone.now()
    threshold = now - timedelta(seconds=settings.DDNS_SEEN_THROTTLE_SECONDS)
    if host.last_seen_at is None or host.last_seen_at < threshold:
        Host.objects.filter(pk=host.pk).update(last_seen_at=now)
        host.last_seen_at = now


def host_delete(*, host: Host) -> bool:
    """Delete the host at once and remove its records from DNS.

    Returns True when the records are gone (or there were none). When the zone's server
    does not answer, the name is kept as a RetiredName and the reconciler removes its
    records once the server answers again; False is returned then. Either way the host
    is gone for its owner and no record outlives it.
    """
    with transaction.atomic():
        current = host_lock_addresses(host_id=host.pk)
        has_challenges = AcmeChallenge.objects.filter(host_id=host.pk).exists()
        # Its challenge rows go with it (cascade); their records go in the same message.
        Host.objects.filter(pk=host.pk).delete()
        if not any(current.values()) and not has_challenges:
            return True
        domain = Domain.objects.get(pk=host.domain_id)
        try:
            dns.delete_names(dns_server(domain), [host.fqdn])
        except dns.DnsError as error:
            RetiredName.objects.update_or_create(
                domain=domain, fqdn=host.fqdn, defaults={"last_error": str(error)}
            )
            failure = error
        else:
            return True
    logger.warning("%s deleted; its records wait for the server: %s", host.fqdn, failure)
    domain_record_failure(domain_id=domain.pk, error=failure)
    return False


def host_block(*, host: Host) -> None:
    """An operator's block: updates are answered `abuse` until an operator lifts it."""
    Host.objects.filter(pk=host.pk).update(abuse_blocked=True)
    host.abuse_blocked = True


def host_unblock(*, host: Host) -> None:
    Host.objects.filter(pk=host.pk).update(abuse_blocked=False, abuse=False)
    host.abuse_blocked = host.abuse = False


def host_clear_abuse(*, host: Host) -> None:
    """The owner may clear the abuse flag; an operator's block stays."""
    Host.objects.filter(pk=host.pk).update(abuse=False)
    host.abuse = False
