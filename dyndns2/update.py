"""The dyndns2 endpoints' use case: authenticate, check, and call the services per host.

Views hand in plain request values; this returns the protocol lines to send back.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from accounts import oidc, tokens
from accounts.models import ApiToken
from domains import limits, names, services
from domains.models import Host
from dyndns2 import protocol
from dyndns2.protocol import Line

HOT_FIELDS = (
    "fqdn",
    "secret_digest",
    "ipv4",
    "ipv6",
    "abuse",
    "abuse_blocked",
    "last_seen_at",
    "published_set",
    "domain",
    "domain__enabled",
)


@dataclass(frozen=True)
class NicRequest:
    query: dict[str, str]
    authorization: str | None
    client: str | None  # the caller's address, already past any trusted proxies
    user_agent: str
    tls: bool

    def client_info(self) -> services.ClientInfo:
        return services.ClientInfo(source=self.client, user_agent=self.user_agent, tls=self.tls)


def update(request: NicRequest) -> list[Line]:
    if _throttled(request):
        return [Line(protocol.ABUSE)]
    creds = protocol.credentials(request.authorization, request.query)
    bearer = tokens.token_from_header(request.authorization or "")
    if bearer or (creds and tokens.looks_like_token(creds.password)):
        return _update_with_token(request, bearer, creds)
    host, refusal = _authorize(request, creds)
    if refusal:
        return refusal
    assert host is not None  # _authorize refuses whenever it has no host
    hostnames = protocol.hostnames(request.query.get("hostname"), host.fqdn)
    if len(hostnames) > settings.DDNS_MAX_HOSTS_PER_REQUEST:
        return [Line(protocol.NUMHOST)]
    return [_update_one(host, name, request) for name in hostnames]


def delete(request: NicRequest) -> list[Line]:
    """Remove the A or AAAA record: the family of myip (0.0.0.0 or ::), else the client's."""
    if _throttled(request):
        return [Line(protocol.ABUSE)]
    host, refusal = _authorize(request, protocol.credentials(request.authorization, request.query))
    if refusal:
        return refusal
    assert host is not None  # _authorize refuses whenever it has no host
    try:
        addresses = protocol.requested_addresses(request.query, request.client)
    except names.BadAddress as exc:
        return [_client_fault(host, str(exc))]
    try:
        services.host_admit_update(host=host, addresses=None, count_repeats=False)
    except services.UpdateRefused:
        return [Line(protocol.ABUSE)]
    rdtypes = [rdtype for rdtype, address in addresses.by_rdtype().items() if address]
    lines = []
    for rdtype in rdtypes:
        try:
            services.host_delete_address(host=host, rdtype=rdtype, client=request.client_info())
        except services.DnsFailure:
            lines.append(Line(protocol.DNSERR))
        else:
            lines.append(Line(protocol.DELETED, rdtype))
    return lines


def _throttled(request: NicRequest) -> bool:
    """Too many authentication failures from the caller's address: refused before its
    credentials are looked at (docs/protocol.md: `abuse`, not HTTP 429)."""
    return limits.source_refusal(request.client) is not None


def _authorize(
    request: NicRequest, creds: protocol.Credentials | None
) -> tuple[Host | None, list[Line] | None]:
    if creds is None:
        return None, [Line(protocol.BADAUTH)]
    if _blocked_agent(request.user_agent):
        return None, [Line(protocol.BADAGENT)]
    host = authenticate(creds)
    if host is None:
        limits.source_failed(request.client)
        return None, [Line(protocol.BADAUTH)]
    refusal = _host_refusal(host)
    if refusal:
        return None, [refusal]
    return host, None


def _host_refusal(host: Host) -> Line | None:
    """Why this authorised host may not be updated now, if it may not."""
    if host.abuse or host.abuse_blocked:
        return Line(protocol.ABUSE)
    if not host.domain.enabled:
        # A zone disabled by an operator behaves as if its hosts did not exist.
        return Line(protocol.NOHOST)
    if host.managed:
        # A high-availability group decides this name's records; an update would fight it.
        services.host_record_client_fault(
            host_id=host.pk, message="updates refused: a high-availability group manages it"
        )
        return Line(protocol.NOHOST)
    return None


def authenticate(creds: protocol.Credentials) -> Host | None:
    """One indexed query and a constant-time digest compare; failures are counted."""
    return services.host_authenticate(fqdn=creds.username, secret=creds.password, fields=HOT_FIELDS)


def _update_one(host: Host, name: str, request: NicRequest) -> Line:
    if not names.is_fqdn(name):
        return Line(protocol.NOTFQDN)
    if name != host.fqdn:
        return Line(protocol.NOHOST)
    return _publish(host, request)


def _publish(host: Host, request: NicRequest) -> Line:
    try:
        addresses = protocol.requested_addresses(request.query, request.client)
        names.check_publishable(addresses, settings.DDNS_REJECTED_ADDRESS_KINDS)
    except names.BadAddress as exc:
        return _client_fault(host, str(exc))
    try:
        services.host_admit_update(host=host, addresses=addresses, count_repeats=True)
    except services.UpdateRefused:
        return Line(protocol.ABUSE)  # see docs/protocol.md: `abuse`, not HTTP 429
    try:
        changed = services.host_update_addresses(
            host=host, addresses=addresses, client=request.client_info()
        )
    except services.DnsFailure:
        return Line(protocol.DNSERR)
    return Line(protocol.GOOD if changed else protocol.NOCHG, addresses.text())


def _update_with_token(
    request: NicRequest, bearer: str | None, creds: protocol.Credentials | None
) -> list[Line]:
    """Up to DDNS_MAX_HOSTS_PER_REQUEST hosts the token covers; one line per name."""
    if _blocked_agent(request.user_agent):
        return [Line(protocol.BADAGENT)]
    try:
        token = _token_of(bearer, creds, request.client)
    except tokens.TokenRejected:
        limits.source_failed(request.client)
        return [Line(protocol.BADAUTH)]
    except oidc.OidcUnavailable:
        # The provider could not say whether the token is good: not the client's fault.
        return [Line(protocol.SERVICE_PROBLEM)]
    if not token.can_write():
        # Valid, but not a credential for updates: clients must stop and be reconfigured
        # (see docs/protocol.md).
        return [Line(protocol.BADAUTH)]
    requested = protocol.hostnames(request.query.get("hostname"), default="")
    limit = settings.DDNS_MAX_HOSTS_PER_REQUEST
    hosts = _hosts_named(requested[:limit])
    lines = [_update_covered(token, hosts.get(name), name, request) for name in requested[:limit]]
    return lines + [Line(protocol.NUMHOST)] * len(requested[limit:])


def _token_of(
    bearer: str | None, creds: protocol.Credentials | None, source: str | None
) -> ApiToken:
    """The token a request authenticates with: Bearer, or the account name and the token."""
    if bearer is not None:
        return oidc.bearer_token(bearer, source=source)
    assert creds is not None  # update() comes here only with one or the other
    token = tokens.token_authenticate(creds.password, source=source)
    if token.owner.get_username() != creds.username:
        raise tokens.TokenRejected("the token belongs to another account")
    return token


def _hosts_named(requested: list[str]) -> dict[str, Host]:
    """The requested hosts by name, in one query."""
    fqdns = [name for name in requested if names.is_fqdn(name)]
    rows = Host.objects.select_related("domain").only(*HOT_FIELDS, "owner")
    return {host.fqdn: host for host in rows.filter(fqdn__in=fqdns).order_by()}


def _update_covered(token: ApiToken, host: Host | None, name: str, request: NicRequest) -> Line:
    if not names.is_fqdn(name):
        return Line(protocol.NOTFQDN)
    if host is None or not token.covers_host(host):
        # The same answer whether the name exists or not: a token reveals only its hosts.
        return Line(protocol.NOHOST)
    return _host_refusal(host) or _publish(host, request)


def _client_fault(host: Host, message: str) -> Line:
    services.host_record_client_fault(host_id=host.pk, message=message)
    return Line(protocol.BADREQUEST)


def _blocked_agent(user_agent: str) -> bool:
    return any(pattern.search(user_agent) for pattern in _agent_patterns())


@lru_cache(maxsize=1)
def _agent_patterns() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in settings.DDNS_BLOCKED_USER_AGENTS)
