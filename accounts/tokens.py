"""Personal API tokens: creating, authenticating and revoking them.

A token is `ddns_` and 43 random url-safe characters (256 bits), so it cannot be taken for
a host secret. It is shown once; the row keeps its SHA-256 digest (domains.crypto, as for
host secrets), so authentication is one indexed lookup and a constant-time compare.
"""

import ipaddress
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import timezone

from accounts.models import FULL, HOSTS, SCOPES, ApiToken
from domains import crypto, metrics, names
from domains.models import Host

TOKEN_PREFIX = "ddns_"  # noqa: S105 (a marker, not a secret)
TOKEN_BYTES = 32
TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # token_urlsafe(32) is 43 characters
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
MAX_NAME_LENGTH = 100
MAX_EXPIRY_DAYS = 3650
MAX_NETWORKS = 20
# "Last used" is for people: refreshing it once a minute keeps busy tokens from writing
# on every request.
LAST_USED_THROTTLE = timedelta(seconds=60)


class TokenRejected(Exception):
    """The token may not be used; str(exc) is a sentence safe to show the caller."""


def token_create(
    *,
    owner: User,
    name: str,
    scope: str = FULL,
    hosts: Iterable[Host] = (),
    expires_days: int | None = None,
    networks: Iterable[str] = (),
) -> tuple[ApiToken, str]:
    """Create a token and return it with the raw token, which is never stored in clear.

    Raises ValidationError when the name, scope, hosts, expiry or networks are unusable:
    hosts must be the owner's, and only a `hosts` token names hosts (at least one).
    """
    hosts = list(hosts)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(
        owner=owner,
        name=_clean_name(name),
        scope=_clean_scope(scope, hosts, owner),
        allowed_networks=clean_networks(networks),
        expires_at=_expiry(expires_days),
        digest=crypto.secret_digest(raw),
        prefix=raw[:SHOWN_PREFIX_LENGTH],
    )
    with transaction.atomic():
        token.save()
        token.hosts.set(hosts)
    return token, raw


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationError("a token needs a name", code="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(f"the name may have at most {MAX_NAME_LENGTH} characters")
    if any(not ch.isprintable() for ch in name):
        raise ValidationError("the name may not contain control characters")
    return name


def _clean_scope(scope: str, hosts: list[Host], owner: User) -> str:
    if scope not in dict(SCOPES):
        raise ValidationError(f"unknown scope {scope!r}: use read, full or hosts", code="scope")
    if scope == HOSTS and not hosts:
        raise ValidationError("a token of scope hosts needs at least one host", code="hosts")
    if scope != HOSTS and hosts:
        raise ValidationError("only a token of scope hosts names hosts", code="hosts")
    for host in hosts:
        if host.owner_id != owner.pk:
            raise ValidationError(
                f"{host.fqdn} is not a host of {owner.get_username()}", code="hosts"
            )
    return scope


def clean_networks(networks: Iterable[str]) -> list[str]:
    """The networks in CIDR form (a bare address is a /32 or /128); ValidationError if not."""
    cleaned = []
    for text in networks:
        try:
            cleaned.append(str(ipaddress.ip_network(text.strip(), strict=False)))
        except ValueError:
            raise ValidationError(
                f"{text!r} is not a network (e.g. 192.0.2.0/24 or 2001:db8::/48)",
                code="networks",
            ) from None
    if len(cleaned) > MAX_NETWORKS:
        raise ValidationError(f"at most {MAX_NETWORKS} networks", code="networks")
    return cleaned


def _expiry(days: int | None) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ValidationError(
            f"the expiry must be between 1 and {MAX_EXPIRY_DAYS} days", code="expires"
        )
    return timezone.now() + timedelta(days=days)


def token_revoke(*, token: ApiToken) -> None:
    """Stop the token at once; the row stays so its owner still sees it (and when)."""
    now = timezone.now()
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now):
        token.revoked_at = now


def token_authenticate(raw: str, *, source: str | None) -> ApiToken:
    """The usable token for this raw token sent from `source`, or TokenRejected.

    One indexed query (with the owner); a `hosts` token's host list is loaded as well, and
    "last used" is refreshed at most once a minute.
    """
    if not looks_like_token(raw):
        raise TokenRejected("invalid token")
    digest = crypto.secret_digest(raw)
    token = ApiToken.objects.select_related("owner").filter(digest=digest).first()
    # The lookup by digest tells a timing observer nothing about the token; the compare
    # keeps the rule that every secret is checked in constant time.
    if token is None or not crypto.secret_matches(raw, token.digest):
        raise TokenRejected("invalid token")
    _check_usable(token, source)
    if token.scope == HOSTS:
        prefetch_related_objects([token], "hosts")
    _mark_used(token)
    metrics.token_used(token.scope)
    return token


def _check_usable(token: ApiToken, source: str | None) -> None:
    if token.revoked_at is not None:
        raise TokenRejected("token revoked")
    if token.expired:
        raise TokenRejected("token expired")
    if not token.owner.is_active:
        raise TokenRejected("the token's account is disabled")
    if token.allowed_networks and not source_allowed(source, token.allowed_networks):
        raise TokenRejected("source address not allowed")


def source_allowed(source: str | None, networks: list[str]) -> bool:
    return names.address_within(source, (ipaddress.ip_network(n) for n in networks))


def _mark_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_THROTTLE:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def looks_like_token(raw: str) -> bool:
    """Shaped like a personal API token (a host secret never is: 32 characters, no prefix)."""
    return raw.startswith(TOKEN_PREFIX) and len(raw) == TOKEN_LENGTH


def token_from_header(authorization: str) -> str | None:
    """The raw token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, with their hosts (for lists)."""
    return ApiToken.objects.filter(owner=user).prefetch_related("hosts")
