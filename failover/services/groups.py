"""Configuring groups and members: validation every entry point shares, and the first
answer (the configured primary, published before the first check completes)."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from domains import crypto, names
from domains import services as domain_services
from domains.models import Host
from failover import checks
from failover.models import SWITCHES, Event, Group, Member, Schedule
from failover.services.answers import group_decide
from failover.services.targets import target_refusal

MAX_MEMBERS = 32


@dataclass(frozen=True)
class MemberSpec:
    """A member as given: fixed addresses, or a registered host; what to probe."""

    ipv4: str | None = None
    ipv6: str | None = None
    host: Host | None = None
    check_target: str = ""
    weight: int = 1


def parse_member(text: str) -> MemberSpec:
    """`ADDRESS[,ADDRESS][=CHECK_TARGET]` or `REGISTERED_FQDN[=CHECK_TARGET]`."""
    published, _, target = text.strip().partition("=")
    try:
        addresses = names.by_family(names.parse_address(a) for a in published.split(","))
    except names.BadAddress:
        fqdn = names.normalize_name(published)
        host = Host.objects.filter(fqdn=fqdn).first()
        if host is None:
            raise ValidationError(
                f"{published!r} is neither an address nor a host registered here"
            ) from None
        return MemberSpec(host=host, check_target=target.strip())
    return MemberSpec(ipv4=addresses.ipv4, ipv6=addresses.ipv6, check_target=target.strip())


def parse_codes(text: str) -> frozenset[int]:
    """ "200,204,300-399" -> the set of status codes."""
    codes: set[int] = set()
    for part in text.replace(" ", "").split(","):
        low, _, high = part.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise ValidationError(f"{part!r} is not a status code or a range of them") from None
        if not 100 <= first <= last <= 599:
            raise ValidationError(f"{part!r}: status codes run from 100 to 599")
        codes.update(range(first, last + 1))
    return frozenset(codes)


def check_spec(group: Group) -> checks.CheckSpec:
    """The group's check as the prober takes it."""
    return checks.CheckSpec(
        kind=group.check_kind,
        port=group.check_port,
        path=group.check_path,
        method=group.check_method,
        expected_codes=parse_codes(group.expected_codes),
        body_contains=group.body_contains,
        headers=tuple((str(k), str(v)) for k, v in group.headers),
        tls_verify=group.tls_verify,
        sni=group.sni,
        timeout=group.timeout,
        cert_expiry_days=group.cert_expiry_days,
        vault_policy=group.vault_policy,
    )


def group_create(
    *, host: Host, members: list[MemberSpec], by: User | None, **options: object
) -> tuple[Group, str]:
    """Make `host` a generic name following `members` (priority: the order given).

    `by` is the user acting (None: an operator, from the command line or the admin).
    Returns the group and its webhook secret (shown once). The configured primary is
    published at once; raises DnsFailure (nothing stored) when the server does not take
    it, ValidationError for bad settings.
    """
    if by is not None and host.owner_id != by.pk and not by.is_staff:
        raise ValidationError(f"{host.fqdn} is not yours")
    if Group.objects.filter(host=host).exists():
        raise ValidationError(f"{host.fqdn} already follows a group")
    if not members:
        raise ValidationError("a group needs at least one member")
    group = Group(host=host, internal_targets=by is None or by.is_staff, **options)
    webhook_secret = secrets.token_urlsafe(32)
    group.webhook_secret_encrypted = crypto.encrypt(webhook_secret)
    _validate(group, by)
    with transaction.atomic():
        group.save()
        for spec in members:
            _add_member(group, spec, by)
        for location in settings.DDNS_CHECK_LOCATIONS:
            Schedule.objects.create(group=group, location=location, next_due_at=timezone.now())
        group_decide(group_id=group.pk, raise_dns_failure=True)
    return group, webhook_secret


def group_update(*, group: Group, by: User | None, **options: object) -> Group:
    """Change the check or the policy; the next round uses it."""
    for field, value in options.items():
        setattr(group, field, value)
    _validate(group, by)
    group.save()
    return group


def _validate(group: Group, by: User | None = None) -> None:
    try:
        group.full_clean(exclude=["host", "answer", "webhook_secret_encrypted"])
    except ValidationError as error:
        # Say which setting is wrong: the command line has no form to point at.
        raise ValidationError(
            [
                f"{field}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
        ) from None
    parse_codes(group.expected_codes)
    webhook_host = urlsplit(group.webhook_url).hostname or ""
    refusal = webhook_host and not group.internal_targets and target_refusal(webhook_host, by)
    if refusal:
        raise ValidationError(f"webhook: {refusal}")
    if not isinstance(group.headers, list) or not all(
        isinstance(h, list | tuple) and len(h) == 2 for h in group.headers
    ):
        raise ValidationError("headers are a list of [name, value] pairs")


def group_delete(*, group: Group) -> None:
    """Stop checking at once; the generic name keeps its current first addresses as a
    plain host. Raises DnsFailure (the group stays) when the server does not answer."""
    with transaction.atomic():
        Group.objects.filter(pk=group.pk).delete()
        domain_services.host_release_set(host_id=group.host_id)


def member_add(*, group: Group, spec: MemberSpec, by: User | None) -> Member:
    with transaction.atomic():
        member = _add_member(group, spec, by)
    _decide(group)
    return member


def _add_member(group: Group, spec: MemberSpec, by: User | None) -> Member:
    if group.members.count() >= MAX_MEMBERS:
        raise ValidationError(f"a group has at most {MAX_MEMBERS} members")
    addresses = names.Addresses(ipv4=spec.ipv4, ipv6=spec.ipv6)
    if spec.host is None and not addresses:
        raise ValidationError("a member needs an address or a registered host")
    try:
        names.check_publishable(addresses, settings.DDNS_REJECTED_ADDRESS_KINDS)
    except names.BadAddress as exc:
        raise ValidationError(str(exc)) from None
    if spec.host is not None and spec.host.pk == group.host_id:
        raise ValidationError("the generic name cannot be its own member")
    member = Member(
        group=group,
        priority=_next_priority(group),
        ipv4=spec.ipv4,
        ipv6=spec.ipv6,
        host=spec.host,
        check_target=spec.check_target,
        weight=spec.weight,
    )
    refusal = target_refusal(member.probe_target(), by)
    if refusal:
        raise ValidationError(refusal)
    member.save()
    return member


def _next_priority(group: Group) -> int:
    last = group.members.order_by("-priority").values_list("priority", flat=True).first()
    return (last or 0) + 1


def member_delete(*, member: Member) -> None:
    """Its checks stop at once; the answer is decided again without it."""
    group = member.group
    member.delete()
    _decide(group)


def member_set_switch(*, member: Member, switch: str, until: datetime | None = None) -> None:
    """Maintenance or a forced state (optionally until a time), or back to automatic."""
    if switch not in dict(SWITCHES):
        raise ValidationError(f"unknown state {switch!r}")
    old = member.switch
    Member.objects.filter(pk=member.pk).update(switch=switch, switch_until=until)
    Event.objects.create(
        group_id=member.group_id,
        member=member,
        kind="switch",
        old_state=old,
        new_state=switch,
        reason=f"set by its owner{f' until {until:%Y-%m-%d %H:%M}' if until else ''}",
    )
    _decide(member.group)


def _decide(group: Group) -> None:
    group_decide(group_id=group.pk)
